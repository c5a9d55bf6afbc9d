"""Kernel entry used at build time: ipykernel plus a record of what the notebook touches.

An audit hook notes every file opened and every module loaded; ``mark()`` (run before the
first cell) snapshots ``sys.modules``; ``report(path)`` (run after the last) writes the modules
imported since, the modules the kernel itself had imported by then (its start-up: ipykernel,
IPython's formatters, display hooks and default extensions, all loaded by name where
PyInstaller's analysis cannot see them) and the files opened since to a JSON file. Nothing here
runs in the packaged app.

Modules loaded and then taken out of ``sys.modules`` again count too: hvplot removes
``hvplot.pandas`` (and its other ``hvplot.<library>`` modules) before every cell in IPython so
that the next ``import hvplot.pandas`` runs again, and an app frozen without it failed there.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

_opened: list[tuple[str, bool]] = []  # (path, opened for reading only)
_loaded: set[str] = set()  # modules loaded while recording (the "import" audit event)
_state = {"recording": False}
_baseline: set[str] = set()
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def _reads_only(mode: Any, flags: Any) -> bool:
    if isinstance(mode, str):
        return not any(c in mode for c in "wax+")
    if isinstance(flags, int):
        return not flags & _WRITE_FLAGS
    return True


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if not _state["recording"] or not args:
        return
    if event == "import":  # raised only when a module is not in sys.modules yet
        if isinstance(args[0], str):
            _loaded.add(args[0])
        return
    if event != "open":
        return
    path = args[0]
    if isinstance(path, (str, bytes, os.PathLike)) and not isinstance(path, int):
        name = os.fsdecode(path)
        mode = args[1] if len(args) > 1 else None
        flags = args[2] if len(args) > 2 else None
        _opened.append((os.path.abspath(name), _reads_only(mode, flags)))


def mark() -> None:
    _baseline.update(sys.modules)
    _state["recording"] = True


def _found(name: str) -> bool:
    """Whether ``name`` is a module that exists (a failed optional import is not one)."""
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def report(path: str) -> None:
    _state["recording"] = False
    current = set(sys.modules)
    gone_again = {n for n in _loaded - current - _baseline if _found(n)}
    modules = sorted((current - _baseline) | gone_again)
    files: dict[str, bool] = {}
    for name, reads in _opened:
        files[name] = files.get(name, True) and reads
    data = {
        "modules": modules,
        "kernel_modules": sorted(_baseline),
        "files": [[n, r] for n, r in sorted(files.items())],
    }
    Path(path).write_text(json.dumps(data), encoding="utf-8")


def main() -> None:
    sys.addaudithook(_hook)
    from nbapp.kernel.main import main as kernel_main

    kernel_main(sys.argv[1:])


if __name__ == "__main__":
    # Run as a script this file is ``__main__``; cells import ``nbapp.package.recorder``, so
    # the hook and the records must live in that module, not in this copy.
    from nbapp.package import recorder  # noqa: PLW0406 (see above)

    recorder.main()
