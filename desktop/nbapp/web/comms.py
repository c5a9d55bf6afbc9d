"""Setting widget state in the kernel from the server, as a page would.

A comm ``update`` is what a page sends when the user moves a slider; the kernel's widget then
sets its traits and its observers run (``interact`` redraws, ``observe`` callbacks fire), and
the kernel tells every page what changed. nbapp uses it to give a relaunched app the values the
user left (``nbapp.state.widget_memory``). No code is executed: these are the comm messages the
page's websocket may carry.

One thing a page does that the kernel does not: an Output widget's ``with out:`` only tells the
front end which request's outputs to capture, and the front end keeps them and sends them back
as the widget's ``outputs``. The updates here come from no page, so this module does that part
too (as nbclient does while cells run): otherwise a callback's printout would be lost.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

import zmq.asyncio
from nbformat.v4 import output_from_msg

from nbapp.kernel.channels import wait_readable
from nbapp.kernel.private import PrivateKernel

log = logging.getLogger(__name__)

_HANDLED_SECONDS = 30.0
_HANDSHAKE_STEP = 0.5
_OUTPUT_MODEL = "OutputModel"
_OUTPUT_TYPES = frozenset({"stream", "display_data", "execute_result", "error"})

Update = tuple[str, dict[str, Any]]


def output_widgets(widget_state: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Model id -> outputs, of the Output widgets in a run's saved widget state."""
    found: dict[str, list[dict[str, Any]]] = {}
    models = widget_state.get("state", {})
    for model_id, model in models.items() if isinstance(models, dict) else ():
        state = model.get("state", {}) if isinstance(model, dict) else {}
        if isinstance(state, dict) and state.get("_model_name") == _OUTPUT_MODEL:
            found[model_id] = list(state.get("outputs") or [])
    return found


class OutputCapture:
    """A front end's Output widgets, for the requests this module sends."""

    def __init__(self, outputs: dict[str, list[dict[str, Any]]]) -> None:
        self._outputs = outputs  # model id -> its outputs, as the kernel last heard them
        self._capturing: dict[str, str] = {}  # request msg_id -> Output model id
        self._clear_on_next: set[str] = set()

    def feed(self, msg: dict[str, Any]) -> list[Update]:
        """Take in one iopub message; the ``outputs`` updates to send back to the kernel."""
        msg_type = msg["header"]["msg_type"]
        content = msg["content"]
        if msg_type == "comm_open":
            self._opened(content)
        elif msg_type == "comm_msg":
            self._kernel_update(content)
        parent = msg["parent_header"].get("msg_id", "")
        target = self._capturing.get(parent)
        if target is None:
            return []
        if msg_type == "clear_output":
            if content.get("wait"):
                self._clear_on_next.add(target)
                return []
            self._outputs[target] = []
            return [(target, {"outputs": []})]
        if msg_type not in _OUTPUT_TYPES:
            return []
        if target in self._clear_on_next:
            self._clear_on_next.discard(target)
            self._outputs[target] = []
        self._outputs[target].append(dict(output_from_msg(msg)))
        return [(target, {"outputs": list(self._outputs[target])})]

    def _opened(self, content: dict[str, Any]) -> None:
        data = content.get("data") or {}
        state = data.get("state") or {}
        if state.get("_model_name") == _OUTPUT_MODEL:  # made by a callback
            self._outputs[content["comm_id"]] = list(state.get("outputs") or [])

    def _kernel_update(self, content: dict[str, Any]) -> None:
        comm_id = content.get("comm_id")
        data = content.get("data") or {}
        state = data.get("state") or {}
        if comm_id not in self._outputs or data.get("method") != "update":
            return
        if "outputs" in state:  # set in the kernel (out.outputs = ..., or cleared there)
            self._outputs[comm_id] = list(state["outputs"] or [])
        if "msg_id" in state:
            for request, model in list(self._capturing.items()):
                if model == comm_id:
                    del self._capturing[request]
            if state["msg_id"]:
                self._capturing[state["msg_id"]] = comm_id


class _Connection:
    """A shell and an iopub socket of our own on the kernel."""

    def __init__(self, kernel: PrivateKernel) -> None:
        manager = kernel.manager
        self.session = manager.session.clone()  # its own signature record (see bridge.py)
        identity = uuid.uuid4().hex.encode()
        self.shell: zmq.asyncio.Socket = manager.connect_shell(identity=identity)  # type: ignore[assignment]
        self.iopub: zmq.asyncio.Socket = manager.connect_iopub()  # type: ignore[assignment]

    def close(self) -> None:
        for socket in (self.shell, self.iopub):
            socket.close(linger=0)

    def send(
        self, msg_type: str, content: dict[str, Any], metadata: dict[str, Any] | None = None
    ) -> str:
        msg = self.session.msg(msg_type, content, metadata=metadata)
        self.session.send(self.shell, msg)
        return str(msg["header"]["msg_id"])

    def send_update(self, comm_id: str, state: dict[str, Any]) -> str:
        data = {"method": "update", "state": state, "buffer_paths": []}
        return self.send("comm_msg", {"comm_id": comm_id, "data": data})

    async def read(self, socket: zmq.asyncio.Socket) -> dict[str, Any]:
        await wait_readable(socket)
        frames = await socket.recv_multipart()
        _, parts = self.session.feed_identities(frames)
        msg: dict[str, Any] = self.session.deserialize(parts)
        return msg

    async def subscribed(self) -> None:
        """Return once iopub hears the kernel (a new subscription takes a moment to reach it:
        anything published before that is lost)."""
        while True:
            request = self.send("kernel_info_request", {})
            deadline = time.monotonic() + _HANDSHAKE_STEP
            while time.monotonic() < deadline:
                try:
                    msg = await asyncio.wait_for(self.read(self.iopub), _HANDSHAKE_STEP)
                except asyncio.TimeoutError:
                    break
                if msg["parent_header"].get("msg_id") == request:
                    return


async def send_updates(
    kernel: PrivateKernel,
    updates: list[Update],
    outputs: dict[str, list[dict[str, Any]]],
    *,
    watch: Callable[[dict[str, Any]], None] | None = None,
    timeout: float = _HANDLED_SECONDS,
) -> bool:
    """Send each (model id, state) as a page's ``update``, one at a time, capturing what the
    kernel prints into Output widgets (``outputs``: model id -> their current outputs); True
    once the kernel has handled them all, False if it took longer than ``timeout``.
    ``watch`` sees every iopub message meanwhile (what the kernel made of the values)."""
    if not updates:
        return True
    connection = _Connection(kernel)
    capture = OutputCapture(outputs)
    try:
        await asyncio.wait_for(_send_all(connection, updates, capture, watch), timeout)
    except asyncio.TimeoutError:
        log.warning("the kernel did not take the restored widget values within %g s", timeout)
        return False
    finally:
        connection.close()
    return True


async def _send_all(
    connection: _Connection,
    updates: list[Update],
    capture: OutputCapture,
    watch: Callable[[dict[str, Any]], None] | None,
) -> None:
    await connection.subscribed()
    for comm_id, state in updates:
        request = connection.send_update(comm_id, state)
        while True:  # until the kernel is idle again after this request: its observers ran
            msg = await connection.read(connection.iopub)
            if watch is not None:
                watch(msg)
            for widget, captured in capture.feed(msg):
                connection.send_update(widget, captured)
            if (
                msg["header"]["msg_type"] == "status"
                and msg["parent_header"].get("msg_id") == request
                and msg["content"].get("execution_state") == "idle"
            ):
                break
    # The kernel handles shell messages in order: once it answers this, the captured outputs
    # sent back above have been taken in too.
    barrier = connection.send("kernel_info_request", {})
    while (await connection.read(connection.shell))["parent_header"].get("msg_id") != barrier:
        pass


async def widget_state_now(
    kernel: PrivateKernel, *, timeout: float = 10.0
) -> dict[str, Any] | None:
    """Every widget's state as the kernel holds it now, in the notebook format
    (``application/vnd.jupyter.widget-state+json``), asked the way a page restoring its widgets
    asks (``request_states`` on ipywidgets' control comm); None if the kernel does not answer.
    """
    connection = _Connection(kernel)
    try:
        return await asyncio.wait_for(_request_states(connection), timeout)
    except asyncio.TimeoutError:
        log.warning("the kernel did not report its widgets' state within %g s", timeout)
        return None
    finally:
        connection.close()


async def _request_states(connection: _Connection) -> dict[str, Any]:
    await connection.subscribed()
    comm_id = uuid.uuid4().hex
    version = {"version": "1.0.0"}  # ipywidgets' control protocol
    opened = {"comm_id": comm_id, "target_name": "jupyter.widget.control", "data": {}}
    connection.send("comm_open", opened, metadata=version)
    asked = {"comm_id": comm_id, "data": {"method": "request_states"}}
    connection.send("comm_msg", asked, metadata=version)
    try:
        while True:
            msg = await connection.read(connection.iopub)
            content = msg["content"]
            data = content.get("data") or {}
            if content.get("comm_id") == comm_id and data.get("method") == "update_states":
                return _notebook_state(data, msg.get("buffers") or [])
    finally:
        connection.send("comm_close", {"comm_id": comm_id, "data": {}})


def _notebook_state(data: dict[str, Any], buffers: list[Any]) -> dict[str, Any]:
    states: dict[str, Any] = data.get("states") or {}
    for path, buffer in zip(data.get("buffer_paths") or [], buffers, strict=False):
        model_id, _, *where = path  # [model id, "state", key, ...]
        states[model_id].setdefault("buffers", []).append(
            {"path": where, "encoding": "base64", "data": base64.b64encode(bytes(buffer)).decode()}
        )
    return {"version_major": 2, "version_minor": 0, "state": states}
