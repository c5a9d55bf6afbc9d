"""The page's websocket to the kernel, shaped like jupyter_server's ``/api/kernels/<id>/channels``.

Only widget traffic crosses it. From the page: comm_open, comm_msg, comm_close,
comm_info_request and kernel_info_request on the shell channel; everything else is dropped
and logged, so the page cannot choose what code the kernel runs. To the page: shell replies
to its own requests, comm messages, and the outputs and status of its own requests (a widget
callback's prints); never ``execute_input`` (it carries source) and never the outputs of the
notebook's own cells, which reach the page rendered, through the dashboard.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import uuid
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import zmq.asyncio

from nbapp.kernel.channels import wait_readable
from nbapp.kernel.private import PrivateKernel
from nbapp.state.widget_memory import WidgetMemory, page_update
from nbapp.web.protocol import MalformedMessage, Message, decode, encode

log = logging.getLogger(__name__)

PAGE_TO_KERNEL = frozenset(
    {"comm_open", "comm_msg", "comm_close", "comm_info_request", "kernel_info_request"}
)
_COMM = frozenset({"comm_open", "comm_msg", "comm_close"})
_OUTPUTS = frozenset(
    {"stream", "display_data", "update_display_data", "execute_result", "error", "clear_output"}
)
_REMEMBERED_REQUESTS = 4096
# Comm ids: uuid4 hex from ipywidgets, dashed UUIDs from @jupyterlab/services.
_COMM_ID = re.compile(r"[0-9a-fA-F-]{32,36}")


def _shown(text: str) -> str:
    """What the page chose, fit for one log line: quoted, escaped, short."""
    return repr(text[:40])


def _malformed(msg_type: str, content: dict[str, Any]) -> str:
    """Why an allowed message's content is not what ipykernel expects ('' if it is). The
    kernel would print a KeyError traceback for each, or the page's id in its own log."""
    if msg_type not in _COMM:
        return ""
    comm_id = content.get("comm_id")
    if not isinstance(comm_id, str) or not _COMM_ID.fullmatch(comm_id):
        return "no comm_id, or not a comm id"
    if msg_type == "comm_open" and not isinstance(content.get("target_name"), str):
        return "no target_name"
    if not isinstance(content.get("data", {}), dict):
        return "data is not an object"
    return ""


class KernelBridge:
    """One page connection: its own shell and iopub sockets on the private kernel."""

    def __init__(
        self,
        kernel: PrivateKernel,
        send: Callable[[str | bytes], None],
        *,
        show_tracebacks: bool,
        memory: WidgetMemory | None = None,
    ) -> None:
        self._kernel = kernel
        self._memory = memory  # told of widget value changes both ways
        self._send = send
        self._show_tracebacks = show_tracebacks
        # A copy of the kernel's session: the same key, but its own record of the signatures
        # it has seen. Sharing one record, every iopub message that reached a second page (or
        # the cell runner) first was refused here as a replayed "Duplicate Signature", and a
        # second page never got its widgets.
        self._session = kernel.manager.session.clone()
        self._requests: OrderedDict[str, None] = OrderedDict()
        self._shell: zmq.asyncio.Socket | None = None
        self._sockets: list[zmq.asyncio.Socket] = []
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        manager = self._kernel.manager  # an AsyncKernelManager: its sockets are asyncio ones
        shell: zmq.asyncio.Socket = manager.connect_shell(identity=uuid.uuid4().hex.encode())  # type: ignore[assignment]
        iopub: zmq.asyncio.Socket = manager.connect_iopub()  # type: ignore[assignment]
        self._shell, self._sockets = shell, [shell, iopub]
        self._tasks = [
            asyncio.create_task(self._pump(shell, "shell")),
            asyncio.create_task(self._pump(iopub, "iopub")),
        ]

    def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for socket in self._sockets:
            socket.close(linger=0)

    # --- page -> kernel -------------------------------------------------------------------
    def from_page(self, frame: str | bytes) -> None:
        try:
            msg = decode(frame)
        except MalformedMessage as exc:
            log.warning("dropped a malformed frame from the page: %s", exc)
            return
        msg_type = msg["header"]["msg_type"]
        if msg["channel"] != "shell" or msg_type not in PAGE_TO_KERNEL:
            log.warning(
                "dropped %s on %s from the page (not allowed)",
                _shown(msg_type),
                _shown(msg["channel"]),
            )
            return
        problem = _malformed(msg_type, msg["content"])
        if problem:
            log.warning("dropped a %s from the page: %s", msg_type, problem)
            return
        assert self._shell is not None
        if self._memory is not None and msg_type == "comm_msg":
            update = page_update(msg["content"])
            if update is not None:
                self._memory.from_page(*update)
        self._remember(msg["header"]["msg_id"])
        wire = {k: msg[k] for k in ("header", "parent_header", "metadata", "content")}
        self._session.send(self._shell, wire, buffers=msg["buffers"] or None)

    def _remember(self, msg_id: str) -> None:
        self._requests[msg_id] = None
        while len(self._requests) > _REMEMBERED_REQUESTS:
            self._requests.popitem(last=False)

    # --- kernel -> page -------------------------------------------------------------------
    async def _pump(self, socket: zmq.asyncio.Socket, channel: str) -> None:
        while True:
            await wait_readable(socket)  # see channels.py
            frames = await socket.recv_multipart()
            try:
                _, parts = self._session.feed_identities(frames)
                msg = self._session.deserialize(parts)
            except (ValueError, KeyError) as exc:
                log.warning("dropped an unreadable %s message from the kernel: %s", channel, exc)
                continue
            self._watch_widgets(msg, channel)
            outgoing = self._to_page(msg, channel)
            if outgoing is not None:
                with contextlib.suppress(Exception):
                    self._send(encode(outgoing))

    def _watch_widgets(self, msg: Message, channel: str) -> None:
        if self._memory is None or channel != "iopub" or msg["header"]["msg_type"] != "comm_msg":
            return
        update = page_update(msg["content"])
        if update is not None:
            self._memory.from_kernel(*update)

    def _to_page(self, msg: Message, channel: str) -> Message | None:
        msg_type = msg["header"]["msg_type"]
        ours = msg["parent_header"].get("msg_id") in self._requests
        if channel == "shell":
            allowed = ours
        elif msg_type in _COMM:
            allowed = True
        elif msg_type == "status":
            allowed = ours or not msg["parent_header"]
        else:
            allowed = ours and msg_type in _OUTPUTS
        if not allowed:
            return None
        if msg_type == "error" and not self._show_tracebacks:
            content = msg["content"]
            summary = f"{content.get('ename', 'Error')}: {content.get('evalue', '')}"
            msg["content"] = {**content, "traceback": [summary]}
        out: dict[str, Any] = {
            key: msg[key] for key in ("header", "parent_header", "metadata", "content")
        }
        out.update(
            channel=channel,
            msg_id=msg["header"]["msg_id"],
            msg_type=msg_type,
            buffers=msg.get("buffers") or [],
        )
        return out
