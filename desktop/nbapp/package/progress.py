"""The stages of ``nbapp package`` on stderr: one line per stage, a live clock on a terminal."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO


class Progress:
    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stderr
        self._total = total
        self._number = 0
        self._live = self._stream.isatty()

    def _write(self, text: str) -> None:
        self._stream.write(text)
        self._stream.flush()

    @contextmanager
    def stage(self, name: str, detail: str) -> Iterator[list[str]]:
        """Show ``[n/total] name: detail``; the block may append a result note to the list."""
        self._number += 1
        head = f"nbapp: [{self._number}/{self._total}] {name}: {detail}"
        notes: list[str] = []
        started = time.monotonic()
        stop = threading.Event()
        ticker = None
        if self._live:

            def tick() -> None:
                while not stop.wait(1):
                    self._write(f"\r{head} ... {time.monotonic() - started:.0f} s")

            ticker = threading.Thread(target=tick, daemon=True)
            ticker.start()
            self._write(f"{head} ...")
        else:
            self._write(f"{head} ...\n")
        try:
            yield notes
        except BaseException:
            stop.set()
            if self._live:
                self._write(f"\r{head} ... failed\n")
            raise
        stop.set()
        if ticker is not None:
            ticker.join()
        elapsed = time.monotonic() - started
        note = f" ({'; '.join(notes)})" if notes else ""
        short = f"nbapp: [{self._number}/{self._total}] {name}: "
        prefix = f"\r{head} ... " if self._live else short
        self._write(f"{prefix}done in {elapsed:.1f} s{note}\n")
