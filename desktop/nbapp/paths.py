"""Where nbapp finds the files it ships, in a checkout, a wheel or a frozen app."""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path


@cache
def assets_dir() -> Path:
    """``assets/``: inside the package when installed, at the repo root in a checkout."""
    here = Path(__file__).resolve().parent
    candidates = [here / "assets", here.parent.parent / "assets"]
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        candidates.insert(0, Path(frozen_root) / "nbapp" / "assets")
    for candidate in candidates:
        if (candidate / "templates").is_dir():
            return candidate
    raise FileNotFoundError("nbapp's assets folder is missing from this installation")


def templates_dir() -> Path:
    return assets_dir() / "templates"


def static_dir() -> Path:
    return assets_dir() / "static"


@cache
def nbconvert_lab_static_dir() -> Path:
    """The lab template's CSS, from nbconvert's shared data (not inside the nbconvert package)."""
    from jupyter_core.paths import jupyter_path

    for base in jupyter_path("nbconvert", "templates"):
        candidate = Path(base) / "lab" / "static"
        if (candidate / "index.css").is_file():
            return candidate
    raise FileNotFoundError("nbconvert's lab template is not installed")


def nbconvert_template_paths() -> list[Path]:
    """Where nbconvert finds its lab template's files (and the base ones those extend), in
    nbconvert's own order; for checking templates without importing nbconvert."""
    from jupyter_core.paths import jupyter_path

    paths: list[Path] = []
    for name in ("lab", "base"):
        paths += [Path(base) / name for base in jupyter_path("nbconvert", "templates")]
    for root in jupyter_path():
        paths += [Path(root), Path(root) / "nbconvert" / "templates"]
    return [p for p in paths if p.is_dir()]
