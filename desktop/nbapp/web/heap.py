"""Giving memory back to the system once a burst of widget messages is over.

A page can send thousands of widget changes in a second (a held arrow key, a script), and the
server relays each, and each of the kernel's answers, while the slower side catches up. glibc
keeps the heap that burst freed for reuse, so the server's resident memory stayed at its peak
(+67 MB after 10,000 changes, all of it free: docs/reliability.md). ``malloc_trim`` hands it
back. Elsewhere (macOS, Windows, musl) there is no such call and nothing is done.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import sys
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

QUIET_SECONDS = 2.0
BURST_MESSAGES = 2000
BURST_BYTES = 16 * 2**20  # or a few large messages (a flood of big widget values)


def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None
    return trim


class AfterBursts:
    """Counts relayed messages; once ``BURST_MESSAGES`` (or ``BURST_BYTES``) went by and
    ``QUIET_SECONDS`` pass with none, returns freed heap to the system. One timer at most;
    O(1) per message."""

    def __init__(self) -> None:
        self._trim = _malloc_trim()
        self._count = 0
        self._bytes = 0
        self._seen = 0
        self._timer: asyncio.TimerHandle | None = None

    def note(self, size: int) -> None:
        if self._trim is None:
            return
        self._count += 1
        self._bytes += size
        if self._timer is None:
            self._seen = self._count
            self._timer = asyncio.get_running_loop().call_later(QUIET_SECONDS, self._check)

    def _check(self) -> None:
        if self._count != self._seen:  # still busy: look again later
            self._seen = self._count
            self._timer = asyncio.get_running_loop().call_later(QUIET_SECONDS, self._check)
            return
        self._timer = None
        if (self._count >= BURST_MESSAGES or self._bytes >= BURST_BYTES) and self._trim:
            self._count = self._bytes = 0
            self._trim(0)
            log.debug("returned freed memory to the system after a burst")

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


WATCH_SECONDS = 2.0
GROWTH = 1.1  # trim when resident memory is a tenth above what it was after the last trim
IDLE = 0.05  # ... and the process used under 5% of a core since the last look: it is idle


def watch_in_background() -> bool:
    """For the kernel, which has no message loop of ours: every ``WATCH_SECONDS``, if resident
    memory grew by a tenth since the last trim and the kernel is idle, return what is free.
    Trimming mid-burst would raise the floor it compares with (the soak's first run kept the
    kernel at +18% after a storm that way). Geometric, so a cell that loads gigabytes costs a
    handful of trims. Whether the watcher runs."""
    trim = _malloc_trim()
    if trim is None:
        return False
    page = os.sysconf("SC_PAGE_SIZE")

    def resident() -> int:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * page

    def cpu_seconds() -> float:
        times = os.times()
        return times.user + times.system

    def watch() -> None:
        floor, busy = resident(), cpu_seconds()
        while True:
            time.sleep(WATCH_SECONDS)
            now, used = resident(), cpu_seconds()
            idle = used - busy < IDLE * WATCH_SECONDS
            busy = used
            if now > floor * GROWTH and idle:
                trim(0)
                now = resident()
                floor = now  # what is really in use now
            floor = min(floor, now)

    threading.Thread(target=watch, name="nbapp-heap", daemon=True).start()
    return True
