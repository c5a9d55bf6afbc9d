"""The private kernel: one ipykernel process per app, isolated from the user's Jupyter setup."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

import zmq
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager

from nbapp.errors import KernelError
from nbapp.kernel_main import PARENT_PID_ENV, RUNTIME_DIR_ENV
from nbapp.library_assets import kernel_env_defaults

log = logging.getLogger(__name__)

FROZEN_KERNEL_FLAG = "--nbapp-kernel"
_SHUTDOWN_WAIT_SECONDS = 3.0


def kernel_argv() -> list[str]:
    """The command that starts our kernel; never the user's ``python3`` kernelspec."""
    if getattr(sys, "frozen", False):
        head = [sys.executable, FROZEN_KERNEL_FLAG]
    else:
        head = [sys.executable, "-m", "nbapp.kernel_main"]
    return [*head, "-f", "{connection_file}", "--HistoryManager.enabled=False"]


class _PrivateSpecManager(KernelSpecManager):
    """Answers every kernel name with nbapp's own Python kernel command."""

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        return KernelSpec(
            argv=kernel_argv(), display_name="Python (nbapp)", language="python", metadata={}
        )


def isolated_env(runtime_dir: Path, query_string: str) -> dict[str, str]:
    """The kernel's environment: the user's, minus any Jupyter/IPython config or startup files."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PYTHONSTARTUP", "JUPYTER_CONFIG_PATH", "IPYTHONDIR", "JUPYTER_CONFIG_DIR"}
    }
    for key, value in kernel_env_defaults().items():
        env.setdefault(key, value)
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


class PrivateKernel:
    """Owns the kernel process and its private runtime directory (connection file, ipc sockets)."""

    def __init__(self, *, cwd: Path, query_string: str = "") -> None:
        self._cwd = cwd
        self._query_string = query_string
        self._runtime_dir: Path | None = None
        self._manager: AsyncKernelManager | None = None
        self._closed = False
        # Known before the process starts, so pages can be served while it boots.
        self.kernel_id = str(uuid.uuid4())

    @property
    def manager(self) -> AsyncKernelManager:
        if self._manager is None:
            raise RuntimeError("the kernel has not been started")
        return self._manager

    @property
    def started(self) -> bool:
        return self._manager is not None

    @property
    def runtime_dir(self) -> Path | None:
        return self._runtime_dir

    async def start(self) -> None:
        if self._closed:
            raise RuntimeError("Cannot restart a kernel once it has been shut down.")
        runtime = Path(tempfile.mkdtemp(prefix="nbapp-"))
        runtime.chmod(0o700)
        self._runtime_dir = runtime
        manager = AsyncKernelManager(
            kernel_name="python3",
            kernel_id=self.kernel_id,
            kernel_spec_manager=_PrivateSpecManager(),
            connection_file=str(runtime / "kernel.json"),
            transport="ipc",
            ip=str(runtime / "kernel"),
            shutdown_wait_time=_SHUTDOWN_WAIT_SECONDS,
        )
        # The page's bridge subscribes to iopub through this context. ZeroMQ drops messages
        # past 1000 queued for a subscriber that falls behind, and one cell can send more
        # (a grid of 400 buttons opens 1242 comms): no limit on our receiving side.
        manager.context.setsockopt(zmq.RCVHWM, 0)
        self._manager = manager
        try:
            await manager.start_kernel(
                env=isolated_env(runtime, self._query_string), cwd=str(self._cwd)
            )
        except Exception as exc:  # any launch failure is reported the same way
            raise KernelError(f"the Python kernel could not be started: {exc}") from exc
        log.debug("kernel %s started (pid %s)", manager.kernel_id, self.pid)

    @property
    def pid(self) -> int | None:
        provisioner: Any = self._manager.provisioner if self._manager else None
        return getattr(provisioner, "pid", None)

    def _process_group(self) -> int | None:
        provisioner: Any = self._manager.provisioner if self._manager else None
        return getattr(provisioner, "pgid", None)

    async def is_alive(self) -> bool:
        return self._manager is not None and bool(await self._manager.is_alive())

    async def interrupt(self) -> None:
        await self.manager.interrupt_kernel()

    async def restart(self) -> None:
        """A fresh kernel process on the same connection; cells' leftovers are killed."""
        group = self._process_group()
        await self.manager.restart_kernel(now=True)
        _kill_group(group)

    async def shutdown(self, *, now: bool = False) -> None:
        """Stop the kernel and everything it started; remove the runtime directory. Idempotent.

        ``now`` kills it at once: a kernel busy in a cell would answer a shutdown request with
        a traceback from the reply it can no longer send.
        """
        if self._closed:
            return
        self._closed = True
        manager, group = self._manager, self._process_group()
        try:
            if manager is not None and manager.has_kernel and now:
                await manager.shutdown_kernel(now=True)
            elif manager is not None and manager.has_kernel:
                try:
                    await asyncio.wait_for(
                        manager.shutdown_kernel(now=False), 2 * _SHUTDOWN_WAIT_SECONDS
                    )
                except (asyncio.TimeoutError, RuntimeError):
                    log.warning("kernel did not stop in time; killing it")
                    await manager.shutdown_kernel(now=True)
        finally:
            _kill_group(group)
            if manager is not None:
                await manager.cleanup_resources()
                with contextlib.suppress(Exception):
                    manager.context.destroy(linger=0)
            if self._runtime_dir is not None:
                shutil.rmtree(self._runtime_dir, ignore_errors=True)


def _kill_group(group: int | None) -> None:
    """Kill what a kernel's cells left running in its process group (the kernel leads it)."""
    if group is None or not hasattr(os, "killpg") or group == os.getpgid(0):
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signal.SIGKILL)
