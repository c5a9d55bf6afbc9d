"""Medians, ranges and percentiles of repeated measurements."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Summary:
    """What the report shows of a list of samples."""

    median: float
    low: float
    high: float
    p95: float
    count: int


def summarize(samples: Sequence[float]) -> Summary | None:
    """``None`` when nothing was measured (a run that failed or timed out)."""
    if not samples:
        return None
    ordered = sorted(samples)
    return Summary(
        median=statistics.median(ordered),
        low=ordered[0],
        high=ordered[-1],
        p95=percentile(ordered, 95),
        count=len(ordered),
    )


def percentile(ordered: Sequence[float], pct: float) -> float:
    """Linear-interpolated percentile of already sorted samples."""
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * pct / 100
    below = int(rank)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (rank - below)
