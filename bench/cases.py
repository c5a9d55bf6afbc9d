"""The notebooks both tools run, and what each must show to count as done."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .page import RoundTrip

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent.parent / "shared" / "corpus" / "voila"

SLIDER_LABEL = RoundTrip(".bench-slider .noUi-handle", ".bench-label", "square={square}")
INTERACT_OUTPUT = RoundTrip(
    ".widget-interact .noUi-handle", ".widget-interact .widget-output", "cube={cube}"
)


@dataclass(frozen=True)
class Case:
    """One notebook: how many widget views it displays, its URL query, its round trips."""

    name: str
    path: Path
    min_views: int = 0
    query: str = ""
    round_trips: tuple[tuple[str, RoundTrip], ...] = ()
    note: str = ""


OWN = (
    Case("trivial", HERE / "notebooks" / "trivial.ipynb", note="a Markdown cell, a print, a value"),
    Case(
        "widgets",
        HERE / "notebooks" / "widgets.ipynb",
        min_views=2,
        round_trips=(("slider → Label", SLIDER_LABEL), ("interact → Output", INTERACT_OUTPUT)),
        note="IntSlider observed by a Label; interact printing into its Output",
    ),
    Case(
        "pandas_matplotlib",
        HERE / "notebooks" / "pandas_matplotlib.ipynb",
        note="DataFrame.describe, a matplotlib line chart (inline PNG), a Styler table",
    ),
)

# Voilà's own example dashboards. basics.ipynb reads iris.csv from GitHub, so it fails
# offline in both tools and is left out; query-strings reads QUERY_STRING.
CORPUS_CASES = (
    Case("bqplot", CORPUS / "bqplot.ipynb", min_views=1),
    Case("dashboard", CORPUS / "dashboard.ipynb", min_views=3),
    Case("gridspecLayout", CORPUS / "gridspecLayout.ipynb", min_views=1),
    Case("interactive", CORPUS / "interactive.ipynb", min_views=1),
    Case("ipympl", CORPUS / "ipympl.ipynb", min_views=2),
    Case("multiple_widgets", CORPUS / "multiple_widgets.ipynb", min_views=1),
    Case("query-strings", CORPUS / "query-strings.ipynb", query="username=Ada"),
    Case("yaml", CORPUS / "yaml.ipynb"),
)
LEFT_OUT = {"basics": "reads iris.csv from GitHub; fails offline in both tools"}


def cases(quick: bool) -> list[Case]:
    """Quick mode: the trivial and widgets notebooks only. Absent corpus notebooks are skipped."""
    if quick:
        return [c for c in OWN if c.name in {"trivial", "widgets"}]
    return [*OWN, *(c for c in CORPUS_CASES if c.path.exists())]
