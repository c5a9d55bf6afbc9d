"""Where a windowed nbapp writes its log: it has no console, so a file in the user's log dir."""

from __future__ import annotations

import logging
import os
import re
import sys
from pathlib import Path

import platformdirs

_TOKEN = re.compile(r"(token[=:\s]+)[A-Za-z0-9_\-]{8,}", re.IGNORECASE)
_FORMAT = "%(asctime)s %(process)d %(threadName)s %(name)s %(levelname)s: %(message)s"


def log_path() -> Path:
    return Path(platformdirs.user_log_dir("nbapp")) / "nbapp.log"


class RedactTokens(logging.Filter):
    """The per-run token must never reach a log, whatever a library chooses to print."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _TOKEN.sub(r"\1<redacted>", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


class _FileHandler(logging.FileHandler):
    """A log file that, once it cannot be written (a full disk, a folder gone read-only),
    says so once on stderr and stops, instead of a traceback per record."""

    def handleError(self, record: logging.LogRecord) -> None:
        problem = sys.exc_info()[1]
        reason = getattr(problem, "strerror", None) or str(problem)
        logging.getLogger().removeHandler(self)
        print(
            f"nbapp: warning: stopped writing the log file {self.baseFilename}: {reason}",
            file=sys.stderr,
        )


def log_to_file(debug: bool) -> Path | None:
    """Add the log file to the root logger; stderr keeps warnings only unless ``debug``.

    None, with one line on stderr, when the log folder cannot be written: the app runs on
    with its messages on stderr rather than not at all."""
    path = log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Created private before the first write: logs name the user's files.
        os.close(os.open(path, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600))
        handler = _FileHandler(path, encoding="utf-8")
    except OSError as exc:
        print(
            f"nbapp: warning: cannot write the log file {path} ({exc.strerror}); logging to stderr",
            file=sys.stderr,
        )
        return None
    handler.setFormatter(logging.Formatter(_FORMAT))
    root = logging.getLogger()
    for existing in root.handlers:
        existing.setLevel(logging.DEBUG if debug else logging.WARNING)
        existing.addFilter(RedactTokens())
    handler.addFilter(RedactTokens())
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    return path


def route_native_stderr(path: Path) -> None:
    """Send what C++ code writes to file descriptor 2 (Qt, Chromium) to the log file.

    QtWebEngine prints GPU and sandbox chatter straight to fd 2; a windowed app has no console
    for it. Python's ``sys.stderr`` keeps the original stream, so nbapp's own one-line
    messages and errors still reach a terminal if there is one.
    """
    console = os.fdopen(os.dup(2), "w", buffering=1, encoding="utf-8", errors="replace")
    target = os.open(path, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600)
    sys.stderr.flush()
    os.dup2(target, 2)
    os.close(target)
    sys.stderr = console
    for handler in logging.getLogger().handlers:
        if type(handler) is logging.StreamHandler:
            handler.setStream(console)
