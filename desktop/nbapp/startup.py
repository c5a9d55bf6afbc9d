"""Where a start spends its time: marks from process start, logged with ``--debug``.

``mark(what)`` records the seconds since this process started (the OS's own start time, so a
packaged app's bootloader counts too); the marks are logged once logging is set up and as they
come after. Standard library only: the frozen entry point marks before anything is imported.
"""

from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)

_marks: list[tuple[float, str]] = []
_state = {"flushed": False}


def since_start() -> float | None:
    """Seconds since this process started (Linux: /proc), else None."""
    try:
        with open("/proc/self/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        with open("/proc/uptime", encoding="ascii") as f:
            uptime = float(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    started = int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22: starttime, in ticks
    return uptime - started


def mark(what: str) -> None:
    seconds = since_start()
    if seconds is None:
        return
    _marks.append((seconds, what))
    if _state["flushed"]:
        log.debug("start-up: %6.3f s %s", seconds, what)


def flush() -> None:
    """Log the marks made before logging was set up; later marks log as they come."""
    _state["flushed"] = True
    for seconds, what in _marks:
        log.debug("start-up: %6.3f s %s", seconds, what)
