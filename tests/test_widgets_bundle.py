"""The committed widget bundle was built from the committed source and lockfile.

`make assets-check` proves the build is reproducible (it rebuilds with Node and diffs); this
test needs no Node: build.mjs records the hash of every input next to its output, so an edit
to the source or the lockfile without a rebuild fails here.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
JS = REPO / "assets" / "js"
WIDGETS = REPO / "assets" / "static" / "widgets"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_bundle_inputs_match_the_recorded_hashes() -> None:
    recorded = json.loads((WIDGETS / "SOURCES.json").read_text())
    current = {
        name: sha256(JS / name) for name in ("package.json", "package-lock.json", "build.mjs")
    }
    current |= {
        f"src/{p.relative_to(JS / 'src').as_posix()}": sha256(p)
        for p in sorted((JS / "src").rglob("*.js"))
    }
    assert recorded == current, "assets/static/widgets is stale: run `make assets` and commit it"


def test_bundle_is_shipped_with_woff2_fonts_only() -> None:
    assert (WIDGETS / "widgets.js").stat().st_size > 100_000
    css = (WIDGETS / "widgets.css").read_text()
    fonts = sorted(p.name for p in (WIDGETS / "fonts").iterdir())
    assert fonts and all(name.endswith(".woff2") for name in fonts), fonts
    assert all(f"fonts/{name}" in css for name in fonts)
    assert "//cdn" not in css and "https://" not in css.replace("https://fontawesome.com", "")
