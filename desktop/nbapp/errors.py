"""The one exception family of nbapp.

    NbappError            anything nbapp reports to the user; carries its exit code
    ├── UsageError        the user asked for something that cannot be done (exit 2)
    │   ├── NotebookError the notebook file is missing, unreadable or invalid
    │   └── PortInUseError
    └── KernelError       the private kernel could not be started or was lost (exit 1)

The CLI catches NbappError once and prints ``nbapp: error: <message>``.
"""

from __future__ import annotations

from pathlib import Path


class NbappError(Exception):
    """An error with a message meant for the user and a process exit code."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(NbappError):
    exit_code = 2


class NotebookError(UsageError):
    """The notebook at ``path`` cannot be used; the message names the file."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


class PortInUseError(UsageError):
    def __init__(self, port: int) -> None:
        super().__init__(
            f"port {port} is already in use on 127.0.0.1 (use --port 0 to pick a free one)"
        )
        self.port = port


class KernelError(NbappError):
    exit_code = 1
