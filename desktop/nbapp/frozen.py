"""``main`` of an app built by ``nbapp package`` (see build/app_entry.py).

The bundle carries ``nbapp_app/app.json`` (written at build time) naming the notebook inside
the bundle; the app is ``nbapp run`` on that notebook, with the same options and serving line.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

BUNDLE_DIR = "nbapp_app"
CONFIG_FILE = "app.json"


def bundle_root() -> Path:
    root = getattr(sys, "_MEIPASS", None)
    if root is None:
        raise RuntimeError("nbapp.frozen runs only inside a packaged app")
    return Path(root) / BUNDLE_DIR


def main() -> int:
    from nbapp.cli import run_packaged

    root = bundle_root()
    config = json.loads((root / CONFIG_FILE).read_text(encoding="utf-8"))
    snapshot = config.get("snapshot")
    return run_packaged(
        root / config["notebook"],
        label=config["label"],
        argv=sys.argv[1:],
        prog=config["name"],
        snapshot=root / snapshot if snapshot else None,
    )
