"""The private kernel: one kernel process per app, isolated from the user's Jupyter setup.

nbapp's own ipykernel for Python notebooks; for other languages the installed kernel that
``nbapp.kernel.specs`` chose, started behind ``nbapp.kernel.supervisor`` so that it dies with nbapp.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import zmq
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager

from nbapp.errors import KernelError
from nbapp.kernel.channels import CLIENT_CLASS
from nbapp.kernel.early import (
    CONNECTION_FILE,
    EarlyKernel,
    isolated_env,
    kernel_argv,
    new_runtime_dir,
)
from nbapp.kernel.specs import ForeignKernel
from nbapp.kernel.supervisor import command_prefix

log = logging.getLogger(__name__)

_SHUTDOWN_WAIT_SECONDS = 3.0


class _PrivateSpecManager(KernelSpecManager):
    """Answers every kernel name with the one kernel this app runs: by default nbapp's own
    Python kernel command, never the user's ``python3`` kernelspec."""

    def __init__(self, spec: KernelSpec | None = None) -> None:
        super().__init__()
        self._spec = spec

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        if self._spec is not None:
            return self._spec
        return KernelSpec(
            argv=kernel_argv(), display_name="Python (nbapp)", language="python", metadata={}
        )


class _AdoptingKernelManager(AsyncKernelManager):
    """jupyter_client's manager, able to take over a kernel started early (``EarlyKernel``)."""

    _early: EarlyKernel | None = None

    def adopt(self, early: EarlyKernel) -> None:
        """The next start takes over ``early`` instead of launching a process."""
        self.load_connection_file(str(early.connection_file))
        self._early = early

    def write_connection_file(self, **kwargs: Any) -> None:
        if self._early is not None:
            return  # the early kernel may be reading it right now: never rewrite it under it
        super().write_connection_file(**kwargs)

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
        early = self._early
        if early is None:  # the ordinary launch, and every restart
            await super()._async_launch_kernel(kernel_cmd, **kw)
            return
        self._early = None
        provisioner: Any = self.provisioner  # a LocalProvisioner: what its launch_kernel sets
        provisioner.process = early.process
        provisioner.pid = early.process.pid
        provisioner.pgid = early.process.pid  # started in a session of its own
        provisioner.cwd = kw.get("cwd")
        early.adopted = True
        self._reconcile_connection_info(provisioner.connection_info)


class PrivateKernel:
    """Owns the kernel process and its private runtime directory (connection file, ipc sockets)."""

    def __init__(
        self,
        *,
        cwd: Path,
        query_string: str = "",
        early: EarlyKernel | None = None,
        foreign: ForeignKernel | None = None,
        settings_env: Mapping[str, str] | None = None,
    ) -> None:
        self._cwd = cwd
        self._query_string = query_string
        self._settings_env = dict(settings_env or {})  # see RunSettings.kernel_env
        self._early = early  # started before the server's imports; adopted by start()
        self.foreign = foreign  # an installed non-Python kernel; None: nbapp's own
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
        early, self._early = self._early, None
        runtime = early.runtime_dir if early is not None else new_runtime_dir()
        self._runtime_dir = runtime
        foreign = self.foreign
        # ipc sockets in the private directory for ours; installed kernels (IRkernel's
        # pbdZMQ among them) may know only tcp: loopback, each message signed with the key in
        # the connection file, which only this user can read (as Jupyter itself runs them).
        where: dict[str, Any] = (
            {"transport": "tcp", "ip": "127.0.0.1"}
            if foreign
            else {"transport": "ipc", "ip": str(runtime / "kernel")}
        )
        manager = _AdoptingKernelManager(
            kernel_name=foreign.name if foreign else "python3",
            kernel_id=self.kernel_id,
            kernel_spec_manager=_PrivateSpecManager(
                foreign.spec(command_prefix()) if foreign else None
            ),
            connection_file=str(runtime / CONNECTION_FILE),
            shutdown_wait_time=_SHUTDOWN_WAIT_SECONDS,
            client_class=CLIENT_CLASS,  # cells wait for replies in steps (see channels.py)
            **where,
        )
        # The page's bridge subscribes to iopub through this context. ZeroMQ drops messages
        # past 1000 queued for a subscriber that falls behind, and one cell can send more
        # (a grid of 400 buttons opens 1242 comms): no limit on our receiving side.
        manager.context.setsockopt(zmq.RCVHWM, 0)
        if early is not None:
            manager.adopt(early)
        self._manager = manager
        try:
            await manager.start_kernel(
                env=isolated_env(runtime, self._query_string, self._settings_env),
                cwd=str(self._cwd),
            )
        except Exception as exc:  # any launch failure is reported the same way
            raise KernelError(
                f"the {self.display_name} kernel could not be started: {exc}"
            ) from exc
        log.debug("kernel %s started (pid %s)", manager.kernel_id, self.pid)

    @property
    def name(self) -> str:
        """The kernelspec name the page's kernel model reports."""
        return self.foreign.name if self.foreign else "python3"

    @property
    def display_name(self) -> str:
        return self.foreign.display_name if self.foreign else "Python"

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
        if self._early is not None:  # closed before it was ever started
            self._early.discard()
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
