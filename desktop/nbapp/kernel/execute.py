"""Running a notebook's cells one at a time on the private kernel, with nbclient."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from enum import Enum
from typing import Any

import nbformat
import zmq
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from nbformat import NotebookNode

from nbapp.errors import KernelError
from nbapp.kernel.channels import SteppedChannel
from nbapp.kernel.private import PrivateKernel
from nbapp.kernel.served import RESULT_HINT

log = logging.getLogger(__name__)

_KERNEL_READY_SECONDS = 60.0
_IOPUB_DRAIN_SECONDS = 120


WIDGET_STATE_MIME = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json"
AFTER_COMM_KEY = "nbapp_after_comm"
_COMM_MESSAGES = frozenset({"comm_open", "comm_msg", "comm_close"})


class Outcome(Enum):
    OK = "ok"
    ERROR = "error"
    TIMEOUT = "timeout"
    DEAD = "dead"


@dataclass(frozen=True)
class CellResult:
    index: int
    cell: NotebookNode
    outcome: Outcome
    error_name: str = ""
    error_value: str = ""


class _BoundedClient(NotebookClient):
    """nbclient's client with a per-cell output budget, so a runaway print cannot eat memory,
    and widget views stamped with the last comm message that preceded them."""

    def __init__(self, nb: NotebookNode, *, max_output_bytes: int, **kwargs: Any) -> None:
        super().__init__(nb, **kwargs)
        self._budget = max_output_bytes
        self._spent: dict[int, int] = {}
        self._truncated: set[int] = set()
        self._last_comm_msg = ""

    def process_message(
        self, msg: dict[str, Any], cell: NotebookNode, cell_index: int
    ) -> NotebookNode | None:
        if msg["msg_type"] in _COMM_MESSAGES:
            self._last_comm_msg = msg["header"]["msg_id"]
        return super().process_message(msg, cell, cell_index)

    def output(
        self, outs: list[NotebookNode], msg: dict[str, Any], display_id: str | None, cell_index: int
    ) -> NotebookNode | None:
        view = msg.get("content", {}).get("data", {}).get(WIDGET_VIEW_MIME)
        if isinstance(view, dict) and self._last_comm_msg:
            # The page gets this output by the event stream and the comm messages by its
            # websocket; it draws the view once it has applied that message (widgets.js).
            view[AFTER_COMM_KEY] = self._last_comm_msg
        spent = self._spent.get(cell_index, 0) + _content_size(msg.get("content", {}))
        self._spent[cell_index] = spent
        if spent <= self._budget:
            return super().output(outs, msg, display_id, cell_index)
        if cell_index not in self._truncated:
            self._truncated.add(cell_index)
            notice = (
                f"[nbapp: output truncated: this cell printed more than {self._budget // 2**20} MB]"
            )
            outs.append(nbformat.v4.new_output("stream", name="stderr", text=notice))
        return None


def _cancel_pollers() -> None:
    """nbclient leaves its per-cell polling tasks running when a cell's await is cancelled
    (the app closing mid-cell); once the client is gone they would fail noisily."""
    with contextlib.suppress(RuntimeError):  # no running loop: nothing to cancel
        for task in asyncio.all_tasks():
            coro = task.get_coro()
            if getattr(coro, "__qualname__", "").startswith("NotebookClient._async_poll"):
                task.cancel()


def _content_size(content: dict[str, Any]) -> int:
    if "text" in content:
        return len(content["text"])
    data = content.get("data", {})
    return sum(len(v) if isinstance(v, str) else len(str(v)) for v in data.values())


class CellRunner:
    """Runs cells of ``nb`` on ``kernel`` one at a time; the caller decides what follows."""

    def __init__(
        self,
        nb: NotebookNode,
        kernel: PrivateKernel,
        *,
        cell_timeout: float | None,
        max_output_bytes: int,
    ) -> None:
        self._nb = nb
        self._kernel = kernel
        self._client = _BoundedClient(
            nb,
            km=kernel.manager,
            timeout=int(cell_timeout) if cell_timeout else None,
            interrupt_on_timeout=False,
            allow_errors=False,
            record_timing=False,
            # Once the kernel has replied, its outputs are already queued: wait for them as
            # long as it takes. nbclient's default (4 s, then carry on without them) dropped
            # the output of a cell that made a thousand widgets on a loaded machine.
            iopub_timeout=_IOPUB_DRAIN_SECONDS,
            raise_on_iopub_timeout=True,
            max_output_bytes=max_output_bytes,
        )

    async def connect(self) -> None:
        """Open a client on the kernel and wait until it answers (nbclient's own setup would
        install signal handlers that shut the kernel down, so it is not used)."""
        kc = self._kernel.manager.client()
        kc.session = kc.session.clone()  # its own signature record (see bridge.py)
        kc.context.setsockopt(zmq.RCVHWM, 0)  # never drop iopub messages (see kernel.py)
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=_KERNEL_READY_SECONDS)
        except RuntimeError as exc:
            kc.stop_channels()
            raise KernelError(f"the kernel did not start: {exc}") from exc
        kc.allow_stdin = False
        self._client.kc = kc

    def widget_state(self) -> dict[str, Any]:
        """The widgets' state as the cells left it, in the notebook format
        (``application/vnd.jupyter.widget-state+json``: models with base64 buffers)."""
        self._client.set_widgets_metadata()
        widgets = self._nb.metadata.get("widgets", {})
        state: dict[str, Any] = widgets.get(WIDGET_STATE_MIME, {})
        return state

    def close(self) -> None:
        _cancel_pollers()
        kc = self._client.kc
        self._client.kc = None
        if kc is not None:
            with contextlib.suppress(Exception):
                kc.stop_channels()

    async def run(self, index: int, *, shown: bool = True) -> CellResult:
        """Run cell ``index``; ``shown=False``: the page will not show its outputs, so the
        kernel need not render the cell's result (it still runs; see served.py)."""
        cell = self._nb.cells[index]
        shell = self._client.kc.shell_channel if self._client.kc is not None else None
        if isinstance(shell, SteppedChannel):
            shell.execute_metadata = {} if shown else {RESULT_HINT: {"shown": False}}
        try:
            await self._client.async_execute_cell(cell, index)
        except CellTimeoutError:
            log.warning("cell %d timed out; interrupting the kernel", index + 1)
            with contextlib.suppress(Exception):
                await self._kernel.interrupt()
            return CellResult(index, cell, Outcome.TIMEOUT)
        except DeadKernelError:
            return CellResult(index, cell, Outcome.DEAD)
        except CellExecutionError as exc:
            return CellResult(index, cell, Outcome.ERROR, exc.ename, exc.evalue)
        except Exception as exc:
            # nbclient failing on what the kernel sent, e.g. a display_data whose text/html is
            # not text (nbformat rejects it): the cell failed; the page must not wait forever.
            # The status names the cell and the error; the details are for --debug.
            log.debug("cell %d: nbclient could not take its output", index + 1, exc_info=True)
            return CellResult(index, cell, Outcome.ERROR, type(exc).__name__, str(exc))
        return CellResult(index, cell, Outcome.OK)
