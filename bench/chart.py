"""The PNG chart of the main figures: first output, all done, memory, round trip."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.axes import Axes

from .report import Pick, figure, pick_done, pick_first, pick_total_mb
from .run import TRIP_MODES, Plan, Results
from .stats import Summary, summarize

COLORS = {"nbapp": "#2f6fb3", "voila": "#e08a2c"}
NAMES = {"nbapp": "nbapp", "voila": "Voilà"}


def _bars(ax: Axes, labels: list[str], values: dict[str, list[Summary | None]], title: str) -> None:
    width = 0.38
    for offset, tool in ((-width / 2, "nbapp"), (width / 2, "voila")):
        xs, heights, low, high = [], [], [], []
        for index, summary in enumerate(values[tool]):
            if summary is None:
                continue
            xs.append(index + offset)
            heights.append(summary.median)
            low.append(summary.median - summary.low)
            high.append(summary.high - summary.median)
        error = [low, high]
        ax.bar(xs, heights, width, yerr=error, capsize=2, color=COLORS[tool], label=NAMES[tool])
    ax.set_title(title, fontsize=10)
    ax.set_xticks(range(len(labels)), labels, rotation=35, ha="right", fontsize=8)
    ax.grid(axis="y", alpha=0.3)


def _per_notebook(results: Results, plan: Plan, pick: Pick) -> dict[str, list[Summary | None]]:
    return {
        tool: [figure(results, case.name, tool, pick) for case in plan.cases]
        for tool in ("nbapp", "voila")
    }


def draw(results: Results, plan: Plan, path: Path) -> None:
    labels = [case.name for case in plan.cases]
    fig, axes = plt.subplots(2, 2, figsize=(12, 8))
    panels = (
        (axes[0][0], pick_first, "Start to first output (s)"),
        (axes[0][1], pick_done, "Start to all done, widgets live (s)"),
        (axes[1][0], pick_total_mb, "Server + kernel RSS (MB)"),
    )
    for ax, pick, title in panels:
        _bars(ax, labels, _per_notebook(results, plan, pick), title)
    trips = [
        (case.name, f"{label}, {mode}")
        for case in plan.cases
        for label, _ in case.round_trips
        for mode, _pause in TRIP_MODES
    ]
    trip_values = {
        tool: [summarize(results.trips.get((name, label, tool), [])) for name, label in trips]
        for tool in ("nbapp", "voila")
    }
    _bars(axes[1][1], [label for _, label in trips], trip_values, "Widget round trip (ms)")
    axes[0][0].legend()
    fig.suptitle("nbapp and Voilà on the same notebooks (median, bars: min-max)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
