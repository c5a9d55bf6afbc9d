"""Where each cell falls in a slideshow, from the ``slideshow.slide_type`` cell metadata that
Jupyter's "Slide Type" menu writes and that nbconvert's and Voilà's reveal templates read.

``slide`` starts a slide, ``subslide`` a slide below the current one, ``fragment`` appears on
the next step of the current (sub)slide, ``-`` (or nothing) continues it, ``skip`` is left
out and ``notes`` are speaker notes. The first cell shown always starts a slide. The
``slides`` template lays cells out from this; other templates ignore it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

KINDS = ("slide", "subslide", "fragment", "-", "skip", "notes")


@dataclass(frozen=True)
class SlideStep:
    slide: int  # 0-based, left to right
    subslide: int  # 0-based, top to bottom within the slide
    fragment: int  # 0: shown with its (sub)slide; n: after n more steps
    kind: str  # the cell's slide_type (one of KINDS)


def slide_type(cell: Any) -> str:
    meta = cell.get("metadata", {}).get("slideshow") if isinstance(cell, dict) else None
    kind = meta.get("slide_type") if isinstance(meta, dict) else None
    return kind if kind in KINDS else "-"


def plan(cells: Iterable[Any]) -> list[SlideStep | None]:
    """One entry per cell: its step, or None for a skipped cell."""
    steps: list[SlideStep | None] = []
    slide = subslide = fragment = 0
    started = False
    for cell in cells:
        kind = slide_type(cell)
        if kind == "skip":
            steps.append(None)
            continue
        if kind != "notes":
            if not started:
                started = True  # the first cell shown starts slide 0, whatever its type
            elif kind == "slide":
                slide, subslide, fragment = slide + 1, 0, 0
            elif kind == "subslide":
                subslide, fragment = subslide + 1, 0
            elif kind == "fragment":
                fragment += 1
        steps.append(SlideStep(slide, subslide, fragment, kind))
    return steps
