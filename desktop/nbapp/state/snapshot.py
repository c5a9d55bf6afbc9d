"""Snapshots: what a finished run showed, kept so the next start can paint it at once.

A snapshot is the rendered outputs of a run that reached ``done`` (the HTML fragments the
page showed, never cell source) and the widgets' state as the run left them. It is keyed by
the notebook's content and the settings that change what the page shows, so a changed
notebook never opens on another notebook's outputs. ``nbapp run`` keeps them in the user's
cache folder; ``nbapp package`` puts the build run's snapshot inside the app.

The page paints a snapshot marked as starting (controls not live) and replaces each cell as
its live output arrives; whatever the live run does not confirm is removed when it ends.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbformat import NotebookNode

from nbapp import __version__
from nbapp.page.layout import Placement

if TYPE_CHECKING:
    from nbapp.page.templates import Template

log = logging.getLogger(__name__)

FORMAT = 1
MAX_BYTES = 32 * 1024 * 1024  # a run with more output than this is not kept
MAX_FILES = 64  # per user: the oldest go first
BUNDLED_NAME = "snapshot.json"


@dataclass(frozen=True)
class Fragment:
    """One cell as the page showed it."""

    index: int
    html: str
    placement: Placement

    @property
    def digest(self) -> str:
        return fragment_digest(self.html)


@dataclass(frozen=True)
class Snapshot:
    fragments: list[Fragment]
    widget_state: dict[str, Any] = field(default_factory=dict)
    key: str = ""  # content_key of the notebook and settings it was taken with
    app: dict[str, Any] = field(default_factory=dict)  # a servable template's title...

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "nbapp": __version__,
            "key": self.key,
            "fragments": [
                {
                    "index": f.index,
                    "html": f.html,
                    "region": f.placement.region,
                    "width": f.placement.width,
                    "folded": f.placement.folded,
                }
                for f in self.fragments
            ],
            "widget_state": self.widget_state,
            "app": self.app,
        }

    @classmethod
    def from_json(cls, data: Any) -> Snapshot | None:
        """A snapshot from its JSON, or None for anything malformed or from another format."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            return None
        if data.get("nbapp") != __version__:  # another renderer: its HTML may not fit the page
            return None
        fragments: list[Fragment] = []
        try:
            for item in data["fragments"]:
                placement = Placement(
                    shown=True,
                    region=str(item["region"]),
                    width=str(item["width"]),
                    folded=bool(item["folded"]),
                )
                fragments.append(Fragment(int(item["index"]), str(item["html"]), placement))
            state = data.get("widget_state") or {}
            app = data.get("app") or {}
        except (KeyError, TypeError, ValueError):
            return None
        if not isinstance(state, dict) or not isinstance(app, dict):
            return None
        return cls(fragments, state, str(data.get("key", "")), app)


def from_run(
    executed: NotebookNode,
    *,
    only_tagged: bool,
    show_tracebacks: bool = False,
    template: Template | None = None,
) -> list[Fragment]:
    """The fragments the page shows for an executed notebook (what ``Dashboard`` shows cell
    by cell), for a snapshot taken outside a dashboard (``nbapp package``'s build run)."""
    from nbapp.page.layout import parts, place_all
    from nbapp.page.render import CellRenderer

    renderer = CellRenderer(show_tracebacks=show_tracebacks, template=template)
    placements = place_all(executed, only_tagged=only_tagged)
    fragments = []
    for index, cell in enumerate(executed.cells):
        for part, where in parts(cell, placements[index], only_tagged=only_tagged):
            fields = where.template_fields(index, cell.cell_type)
            html = renderer.render(part, executed.metadata, fields)
            if html:  # the template may leave a cell out
                fragments.append(Fragment(index, html, where))
    return fragments


def fragment_digest(html: str) -> str:
    """What the page compares to know that a live cell shows what its snapshot showed."""
    return hashlib.sha1(html.encode("utf-8"), usedforsecurity=False).hexdigest()[:16]


def content_key(
    node: NotebookNode,
    *,
    only_tagged: bool,
    show_tracebacks: bool,
    query: str,
    template: Template | None = None,
) -> str:
    """The notebook's content and the settings that change the page, as a file-safe key.

    Outputs saved in the file and cell ids do not count (nbapp runs the notebook anew), nor
    does where the file is: the same notebook copied elsewhere opens on the same snapshot.
    """
    cells = [
        [
            cell.get("cell_type"),
            cell.get("source"),
            cell.get("metadata", {}).get("tags", []),
            cell.get("metadata", {}).get("nbapp", {}),
            cell.get("metadata", {}).get("raw_mimetype", ""),
            cell.get("attachments", {}),
        ]
        for cell in node.cells
    ]
    material = {
        "cells": cells,
        "app": node.metadata.get("nbapp", {}),
        "nbapp": __version__,
        "only_tagged": only_tagged,
        "show_tracebacks": show_tracebacks,
        "query": query,
        "template": [folder.name for folder in template.chain] if template else [],
    }
    text = json.dumps(material, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def store_dir() -> Path:
    from platformdirs import user_cache_path

    return user_cache_path("nbapp") / "snapshots"


def read(path: Path) -> Snapshot | None:
    """The snapshot in ``path``; None if there is none or it cannot be used (never raises)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.info("ignoring the snapshot %s: %s", path, exc)
        return None
    return Snapshot.from_json(data)


def load(key: str) -> Snapshot | None:
    """The last finished run's snapshot for ``key`` from the user's cache, if any."""
    return read(store_dir() / f"{key}.json")


def write(path: Path, snapshot: Snapshot) -> bool:
    """Write ``snapshot`` to ``path`` atomically and privately (outputs are the user's data);
    False if it is too large to keep or cannot be written."""
    data = json.dumps(snapshot.to_json(), separators=(",", ":")).encode("utf-8")
    if len(data) > MAX_BYTES:
        log.info("not keeping a snapshot of %d MB", len(data) // 2**20)
        return False
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, partial = tempfile.mkstemp(dir=path.parent, prefix=".snapshot-", suffix=".partial")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(partial, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(partial)
            raise
    except OSError as exc:
        log.warning("could not keep the run's snapshot in %s: %s", path.parent, exc.strerror)
        return False
    return True


def save(key: str, snapshot: Snapshot) -> bool:
    """Keep ``snapshot`` as the last run of ``key``; old snapshots beyond MAX_FILES go."""
    folder = store_dir()
    if not write(folder / f"{key}.json", replace(snapshot, key=key)):
        return False
    _prune(folder)
    return True


def _prune(folder: Path) -> None:
    try:
        files = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return
    for old in files[MAX_FILES:]:
        with contextlib.suppress(OSError):
            old.unlink()
