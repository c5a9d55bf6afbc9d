"""Entry point of the private kernel process.

Runs ipykernel, plus a watchdog: when nbapp dies without shutting the kernel down (SIGKILL,
a crash), the kernel takes its own process group (itself and anything its cells started)
down with it and removes the private runtime directory. Kept free of heavy imports so a
frozen app can dispatch here first.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

RUNTIME_DIR_ENV = "NBAPP_RUNTIME_DIR"
PARENT_PID_ENV = "NBAPP_PARENT_PID"
_POLL_SECONDS = 0.5
_THREAD_JOIN_SECONDS = 5.0


def _clean_up_and_exit() -> None:
    runtime = os.environ.get(RUNTIME_DIR_ENV, "")
    if runtime and Path(runtime).name.startswith("nbapp-"):
        shutil.rmtree(runtime, ignore_errors=True)
    if hasattr(os, "killpg") and os.getpgid(0) == os.getpid():
        os.killpg(os.getpid(), signal.SIGKILL)
    os._exit(1)


def _watch_parent(parent_pid: int) -> None:
    while True:
        time.sleep(_POLL_SECONDS)
        if os.getppid() != parent_pid:
            _clean_up_and_exit()


def start_watchdog() -> bool:
    """Watch nbapp if it said who it is; whether the watchdog runs.

    Not on Windows: a parent's pid is not observable there the same way, and ipykernel's
    ParentPollerWindows watches the handle jupyter_client passes in JPY_PARENT_PID.
    """
    parent = os.environ.get(PARENT_PID_ENV)
    if not (parent and parent.isdigit()) or sys.platform == "win32":
        return False
    threading.Thread(
        target=_watch_parent, args=(int(parent),), name="nbapp-watchdog", daemon=True
    ).start()
    return True


def main(argv: list[str] | None = None) -> None:
    watched = start_watchdog()
    from nbapp.web.heap import watch_in_background

    watch_in_background()  # a widget storm's freed heap goes back to the system
    import zmq
    from ipykernel.kernelapp import IPKernelApp

    class KernelApp(IPKernelApp):
        def init_iopub(self, context: zmq.Context[Any]) -> None:
            # ZeroMQ drops what a subscriber has not taken once 1000 messages are queued; one
            # cell can send more (a grid of buttons opens thousands of comms) before nbapp,
            # on a busy machine, reads them. Queue without limit instead (nbapp does too).
            context.setsockopt(zmq.SNDHWM, 0)
            super().init_iopub(context)  # type: ignore[no-untyped-call]

        def init_poller(self) -> None:
            # With the watchdog on, ipykernel's own parent poller would race it and, winning,
            # exit alone and leave the cells' children running. Without it (Windows, or a
            # kernel with no nbapp parent to watch) the poller is what ends an orphan.
            if not watched:
                super().init_poller()  # type: ignore[no-untyped-call]

        def init_code(self) -> None:
            super().init_code()  # type: ignore[no-untyped-call]
            from nbapp.kernel.preload import preload
            from nbapp.kernel.served import install

            install(self.shell)
            preload(self.shell)  # the first cell's libraries, while nbapp's server starts

        def start(self) -> None:
            super().start()  # type: ignore[no-untyped-call]
            # A shutdown_request stops this (main) loop from the control thread, which then
            # still flushes stdout/stderr through the IOPub thread. Exiting at once let the
            # IOPub thread be stopped under that flush, and ipykernel printed a ZMQError
            # traceback on the stderr nbapp shares with the user. Let those threads finish.
            for thread in (self.control_thread, self.shell_channel_thread):
                if thread is not None and thread.is_alive():
                    thread.stop()
                    thread.join(_THREAD_JOIN_SECONDS)

    KernelApp.launch_instance(argv)


if __name__ == "__main__":
    main()
