"""Launching the kernel process before the server's modules load: standard library only.

`nbapp run` spends about half a second importing its server stack (tornado, nbconvert,
jupyter_client); the kernel needs about as long to import ipykernel. Started first, the kernel
boots while those imports run: its process starts about 0.4 s sooner (0.17 s after nbapp's
own start instead of 0.60 s, trivial notebook).
The process is then adopted by jupyter_client's manager (``PrivateKernel``), which owns it from
there (interrupt, restart, shutdown) as if it had launched it. The command, environment and
connection file are the ones ``PrivateKernel`` itself would use.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from nbapp.kernel.main import PARENT_PID_ENV, RUNTIME_DIR_ENV
from nbapp.page.library_assets import INLINE_RESOURCES_ENV, kernel_env_defaults

FROZEN_KERNEL_FLAG = "--nbapp-kernel"
CONNECTION_FILE = "kernel.json"
_IPC_PORTS = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")


def kernel_argv(connection_file: str = "{connection_file}") -> list[str]:
    """The command that starts our kernel; never the user's ``python3`` kernelspec."""
    if getattr(sys, "frozen", False):
        head = [sys.executable, FROZEN_KERNEL_FLAG]
    else:
        head = [sys.executable, "-m", "nbapp.kernel.main"]
    return [*head, "-f", connection_file, "--HistoryManager.enabled=False"]


def isolated_env(
    runtime_dir: Path, query_string: str, settings_env: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The kernel's environment: the user's, minus any Jupyter/IPython config or startup files.

    ``settings_env``: what the run's settings tell nbapp's kernel (``RunSettings.kernel_env``).
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PYTHONSTARTUP", "JUPYTER_CONFIG_PATH", "IPYTHONDIR", "JUPYTER_CONFIG_DIR"}
    }
    settings_env = settings_env or {}
    inline = settings_env.get(INLINE_RESOURCES_ENV) == "1"
    for key, value in kernel_env_defaults(inline=inline).items():
        env.setdefault(key, value)
    env.update(settings_env)
    env.update(
        JUPYTER_RUNTIME_DIR=str(runtime_dir),
        JUPYTER_CONFIG_DIR=str(runtime_dir / "config"),
        JUPYTER_NO_CONFIG="1",
        IPYTHONDIR=str(runtime_dir / "ipython"),
        QUERY_STRING=query_string,
        PYDEVD_DISABLE_FILE_VALIDATION="1",
        **{RUNTIME_DIR_ENV: str(runtime_dir), PARENT_PID_ENV: str(os.getpid())},
    )
    return env


def new_runtime_dir() -> Path:
    """A private directory (0700) for the connection file and the kernel's ipc sockets."""
    runtime = Path(tempfile.mkdtemp(prefix="nbapp-"))
    runtime.chmod(0o700)
    return runtime


@dataclass
class EarlyKernel:
    """A kernel process started ahead of its manager, and what the manager needs to adopt it."""

    runtime_dir: Path
    connection_file: Path
    process: subprocess.Popen[bytes]
    adopted: bool = False

    def discard(self) -> None:
        """Kill it and remove its runtime directory, unless a manager has adopted it."""
        if self.adopted:
            return
        self.adopted = True  # once only
        with contextlib.suppress(ProcessLookupError, PermissionError):
            # start_new_session made the kernel the leader of its own process group.
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)
        shutil.rmtree(self.runtime_dir, ignore_errors=True)


def _write_connection_file(runtime: Path) -> Path:
    info = {
        **{name: number for number, name in enumerate(_IPC_PORTS, start=1)},
        "ip": str(runtime / "kernel"),
        "key": str(uuid.uuid4()),
        "transport": "ipc",
        "signature_scheme": "hmac-sha256",
        "kernel_name": "python3",
    }
    path = runtime / CONNECTION_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(info, f, indent=1)
    return path


def launch_early(
    cwd: Path, query_string: str, settings_env: Mapping[str, str] | None = None
) -> EarlyKernel | None:
    """Start the kernel now, or None where only jupyter_client's launcher will do.

    On Windows the launcher also sets up the interrupt event and the parent handle the kernel
    watches, so the kernel starts there the ordinary way, a little later.
    """
    if sys.platform == "win32":
        return None
    runtime = new_runtime_dir()
    try:
        connection_file = _write_connection_file(runtime)
        env = isolated_env(runtime, query_string, settings_env)
        # As jupyter_client's launcher sets it. Without it ipykernel assumes a terminal started
        # it and prints a Ctrl-C notice on the stdout it shares with us (the serving line's).
        env["JPY_PARENT_PID"] = str(os.getpid())
        process = subprocess.Popen(
            kernel_argv(str(connection_file)),
            stdin=subprocess.PIPE,
            cwd=str(cwd),
            env=env,
            start_new_session=True,  # as jupyter_client does: Ctrl-C in a terminal is ours
        )
    except OSError:
        # jupyter_client's launcher will try again and report the failure in its words.
        shutil.rmtree(runtime, ignore_errors=True)
        return None
    assert process.stdin is not None
    process.stdin.close()  # the kernel reads no terminal input
    return EarlyKernel(runtime, connection_file, process)
