"""Waiting on the kernel's sockets in short steps, so a lost wakeup costs a step, not a timeout.

pyzmq's asyncio sockets learn of new messages through ZeroMQ's edge-triggered file
descriptor. Now and then that wakeup never comes: on the corpus's interactive.ipynb the
kernel's execute_reply sat unread in 2 page loads of 80, and nbclient's wait for it lasted
the cell's whole timeout (60 s by default) until the poll that ends a timeout found it. A poll
that ends checks the socket itself, so polling in short steps bounds the loss to one step.
"""

from __future__ import annotations

import time
from queue import Empty
from typing import Any

import zmq.asyncio
from jupyter_client.asynchronous.client import AsyncKernelClient
from jupyter_client.channels import AsyncZMQSocketChannel
from traitlets import Type

STEP_SECONDS = 0.25


class SteppedChannel(AsyncZMQSocketChannel):
    """jupyter_client's asyncio channel, with ``get_msg`` waiting in steps of STEP_SECONDS.

    ``execute_metadata`` goes into the metadata of the execute requests it sends (where
    JupyterLab puts ``cellId``): what nbapp tells its kernel about the cell (served.py).
    """

    execute_metadata: dict[str, Any] = {}  # noqa: RUF012 (replaced, never mutated)

    def send(self, msg: dict[str, Any]) -> None:
        if self.execute_metadata and msg["header"]["msg_type"] == "execute_request":
            msg["metadata"].update(self.execute_metadata)
        super().send(msg)

    async def get_msg(self, timeout: float | None = None) -> dict[str, Any]:  # type: ignore[override]
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            step = STEP_SECONDS
            if deadline is not None:
                step = max(0.0, min(step, deadline - time.monotonic()))
            try:
                return await super().get_msg(timeout=step)
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise


class SteppedKernelClient(AsyncKernelClient):
    """The asyncio kernel client nbapp runs cells with; named in its managers' ``client_class``."""

    shell_channel_class = Type(SteppedChannel)
    iopub_channel_class = Type(SteppedChannel)


CLIENT_CLASS = f"{__name__}.SteppedKernelClient"


async def wait_readable(socket: zmq.asyncio.Socket) -> None:
    """Return once ``socket`` has a message to read, checking it at least every step."""
    while not await socket.poll(int(STEP_SECONDS * 1000)):
        pass
