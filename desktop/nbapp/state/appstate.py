"""What an app remembers between launches, one folder per app in the user's state directory.

An app is known by its identity (``RunSettings.identity``): the notebook's path for ``nbapp
run``, the app's name for a packaged app (whose notebook may sit in a new temporary folder at
every launch). Its folder holds small JSON files (the window's place, the widgets' values),
each written whole or not at all; a file that cannot be read is ignored with a warning in the
log, never a reason not to start.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import platformdirs

log = logging.getLogger(__name__)

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def state_root() -> Path:
    return Path(platformdirs.user_state_dir("nbapp"))


def app_slug(identity: str) -> str:
    """A file name for ``identity``: readable, and unique through a digest of the whole."""
    digest = hashlib.sha256(identity.encode("utf-8")).hexdigest()[:16]
    stem = Path(identity).stem if "/" in identity or "\\" in identity else identity
    readable = _UNSAFE.sub("-", stem).strip("-.")[:40] or "app"
    return f"{readable}-{digest}"


def app_dir(identity: str) -> Path:
    return state_root() / "apps" / app_slug(identity)


def read_json(path: Path) -> Any:
    """The JSON in ``path``; None if there is none, or (with a warning) if it is unreadable."""
    try:
        return json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("ignoring %s: %s", path, exc.strerror)
        return None
    except ValueError as exc:  # not JSON, or not text at all (UnicodeDecodeError)
        log.warning("ignoring %s: not valid JSON (%s)", path, exc)
        return None


def write_json(path: Path, data: Any) -> bool:
    """Write ``data`` to ``path`` atomically (a crash leaves the old file or the new one);
    False, with a warning, if it could not be written (full disk, read-only home)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        log.warning("could not write %s: %s", path, exc.strerror)
        return False
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=1)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        log.warning("could not write %s: %s", path, exc.strerror)
        return False
    return True
