"""``nbapp export``: the executed dashboard as one self-contained HTML file.

The notebook runs once on a private kernel, exactly as ``nbapp run`` runs it (same tags,
layout and theme); the page is then laid out here instead of by nbapp.js, with every style,
script and font inlined and the widgets' final state embedded, so it opens from disk with no
server and makes no request at all. Widgets render from that saved state (built-in
ipywidgets; they no longer talk to a kernel); math is typeset by an inlined MathJax, Plotly
figures drawn by an inlined plotly.js.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tornado import template

from nbapp import __version__
from nbapp.dashboard import Dashboard, State
from nbapp.errors import NbappError, NotebookError
from nbapp.inline import data_url, inline_links, loader_assets, mentions, script_text
from nbapp.layout import Placement
from nbapp.library_assets import plotly_js_dir
from nbapp.notebook import Notebook
from nbapp.paths import nbconvert_lab_static_dir, static_dir, templates_dir
from nbapp.settings import RunSettings

_CSS_URL = re.compile(r"""url\((["']?)(\./fonts/[^"')]+)\1\)""")
_LOCAL_SRC = re.compile(r"""(<img\b[^>]*?\bsrc=)(["'])([^"':]+?)\2""", re.IGNORECASE)
# What MathJax would typeset; without it the page needs no MathJax at all.
_MATH = re.compile(r"\$|\\\(|\\\[|\\begin\{|<math\b|MathJax")
_PLOTLY_MIME = "application/vnd.plotly.v1+json"
_FOLDED = '<details class="nbapp-folded"><summary>Show output</summary>{}</details>'


@dataclass(frozen=True)
class Snapshot:
    """A finished run: what the page showed and the widgets' state."""

    fragments: list[tuple[int, str, Placement]]
    widget_state: dict[str, Any]


async def run_to_end(notebook: Notebook, settings: RunSettings) -> Snapshot:
    """Run every cell; a failing cell (or a dead kernel) is the user's to fix: NotebookError."""
    dashboard = Dashboard(notebook, settings)
    events = dashboard.subscribe()
    await dashboard.start()
    try:
        while True:
            event = await events.get()
            if event is None:
                raise NbappError("the run was stopped before it finished")
            if event["type"] != "status":
                continue
            _progress(event["message"])
            if event["state"] != State.RUNNING.value:
                break
        if dashboard.status.state is not State.DONE:
            raise NotebookError(notebook.path, dashboard.status.message.rstrip("."))
        return Snapshot(dashboard.fragments(), dashboard.widget_state)
    finally:
        await dashboard.close()


def _progress(message: str) -> None:
    if message and sys.stderr.isatty():
        print(f"\r\033[Knbapp: {message}", end="", file=sys.stderr, flush=True)


def _widgets_css() -> str:
    folder = static_dir() / "widgets"
    css = (folder / "widgets.css").read_text(encoding="utf-8")
    return _CSS_URL.sub(lambda m: f'url("{data_url(folder / m.group(2))}")', css)


def _inline_local_images(html: str, folder: Path) -> str:
    """Images next to the notebook that its Markdown or HTML shows become data URLs."""

    def replace(match: re.Match[str]) -> str:
        target = (folder / match.group(3)).resolve()
        if not (target.is_file() and target.is_relative_to(folder.resolve())):
            return match.group(0)
        return f"{match.group(1)}{match.group(2)}{data_url(target)}{match.group(2)}"

    return _LOCAL_SRC.sub(replace, html)


def _section(index: int, html: str, placement: Placement) -> str:
    body = _FOLDED.format(html) if placement.folded else html
    return (
        f'<section class="nbapp-cell nbapp-w-{placement.width}" '
        f'data-cell-index="{index}">{body}</section>'
    )


def render_page(notebook: Notebook, snapshot: Snapshot, theme: str) -> str:
    """The self-contained page for ``snapshot``."""
    main: list[str] = []
    sidebar: list[str] = []
    for index, html, placement in snapshot.fragments:
        shown = inline_links(_inline_local_images(html, notebook.folder))
        section = _section(index, shown, placement)
        (sidebar if placement.region == "sidebar" else main).append(section)
    content = "".join(main) + "".join(sidebar)
    lab = nbconvert_lab_static_dir()
    themes = {
        name: (lab / f"theme-{name}.css").read_text(encoding="utf-8") for name in ("light", "dark")
    }
    state = json.dumps(snapshot.widget_state, separators=(",", ":"))
    with_math = bool(_MATH.search(content))
    plotly = plotly_js_dir() if mentions(content, _PLOTLY_MIME) else None
    loader_styles, loader_scripts, answered = loader_assets(content)
    loader = template.Loader(str(templates_dir()), autoescape="xhtml_escape")
    page = loader.load("export.html").generate(
        title=notebook.title,
        version=__version__,
        theme=theme,
        themes=themes,
        lab_css=(lab / "index.css").read_text(encoding="utf-8"),
        widgets_css=_widgets_css(),
        nbapp_css=(static_dir() / "nbapp.css").read_text(encoding="utf-8"),
        main="".join(main),
        sidebar="".join(sidebar),
        widget_state=script_text(state) if snapshot.widget_state else "",
        widgets_js=script_text((static_dir() / "widgets" / "widgets.js").read_text("utf-8")),
        mathjax_config=(static_dir() / "mathjax-config.js").read_text(encoding="utf-8"),
        mathjax_js=script_text(
            (static_dir() / "vendor" / "mathjax" / "tex-svg.js").read_text(encoding="utf-8")
        )
        if with_math
        else "",
        plotly_js=script_text((plotly / "plotly.min.js").read_text("utf-8")) if plotly else "",
        loader_styles=loader_styles,
        loader_scripts=loader_scripts,
        answered_scripts=json.dumps(answered),
    )
    return page.decode("utf-8")


def export(notebook: Notebook, settings: RunSettings, out: Path) -> int:
    """Run ``notebook`` and write its page to ``out``; the page's size in bytes."""
    snapshot = asyncio.run(run_to_end(notebook, settings))
    page = render_page(notebook, snapshot, settings.theme)
    data = page.encode("utf-8")
    partial = out.with_name(f".{out.name}.partial")
    partial.write_bytes(data)  # a failed write never leaves half a page under the real name
    partial.replace(out)
    return len(data)
