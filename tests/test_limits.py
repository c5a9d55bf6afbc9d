"""Limits that protect the user, and leaks found by the soak (docs/reliability.md): message
size, connections per app, a page that stops reading, the run's own kernel client, and a
quiet stderr for old notebooks."""

from __future__ import annotations

import asyncio
import hashlib
import http.client
import json
import os
import re
import signal
from pathlib import Path

import nbformat
import psutil
import pytest
from playwright.sync_api import Page
from tornado.websocket import WebSocketClientConnection, WebSocketClosedError

from nbapp.notebook import load_notebook
from nbapp.page.layout import place
from nbapp.page.render import CellRenderer
from nbapp.web.server import MAX_CONNECTIONS, MAX_MESSAGE_BYTES
from test_security import close, connect, kernel_id_of, message
from test_widgets import UPLOAD

from conftest import PageLog
from support import (
    WIDGET_TIMEOUT_MS,
    Running,
    kernel_runtime_dir,
    open_dashboard,
    read_events,
    run_async,
    state_is,
    text_becomes,
    wait_for,
)

SLIDER = (
    "import ipywidgets as w\n"
    "s = w.IntSlider(max=10**9)\n"
    "print('MODEL', s.model_id)\n"
    "s.observe(lambda change: None, 'value')\n"
    "s"
)


def old_notebook(path: Path) -> Path:
    """An nbformat 4.4 file as Jupyter wrote them before 2021: no cell ids."""
    nb = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["# Old notebook"]},
            {
                "cell_type": "code",
                "execution_count": None,
                "metadata": {},
                "outputs": [],
                "source": ["print('hello from 4.4')"],
            },
        ],
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
        "nbformat": 4,
        "nbformat_minor": 4,
    }
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def test_old_notebook_renders_without_nbformat_warnings(tmp_path: Path) -> None:
    """pytest turns warnings into errors: MissingIDFieldWarning from the renderer fails this."""
    notebook = load_notebook(old_notebook(tmp_path / "old.ipynb"))
    renderer = CellRenderer(show_tracebacks=False)
    for index, cell in enumerate(notebook.node.cells):
        fields = place(cell, only_tagged=False).template_fields(index, cell.cell_type)
        assert renderer.render(cell, notebook.node.metadata, fields)
    # Upgraded once at load, so every consumer (renderer, nbclient, export, package) gets
    # a valid 4.5 notebook with ids.
    assert notebook.node.nbformat_minor == 5
    assert all(cell.get("id") for cell in notebook.node.cells)
    nbformat.validate(notebook.node)


def test_a_normal_run_prints_the_serving_line_and_nothing_else(serve, tmp_path: Path) -> None:
    app = serve(old_notebook(tmp_path / "old.ipynb"))
    read_events(app, state_is("done"))
    assert app.stop(signal.SIGTERM) == 0
    app.close()
    assert app.stderr == "", app.stderr
    assert app.proc.stdout is not None


def _model_id(app: Running) -> str:
    events = read_events(app, state_is("done"))
    found = re.search(r"MODEL ([0-9a-f]{32})", json.dumps(events))
    assert found, events
    return found[1]


def _iopub_subscribers(app: Running) -> int:
    """Connections to the kernel's iopub socket (an ipc path), besides its listener."""
    kernel = app.kernels()[0]
    info = json.loads((kernel_runtime_dir(kernel) / "kernel.json").read_text())
    path = f"{info['ip']}-{info['iopub_port']}"
    return sum(1 for c in kernel.net_connections(kind="unix") if c.laddr == path) - 1


def _update(model: str, value: int) -> str:
    state = {"method": "update", "state": {"value": value}, "buffer_paths": []}
    return json.dumps(message("comm_msg", {"comm_id": model, "data": state}))


async def _until_value(ws: WebSocketClientConnection, value: int, timeout: float = 120) -> None:
    """Read until the kernel echoes ``value`` back: it has handled every update before it."""
    needle = f'"value": {value}'
    while True:
        raw = await asyncio.wait_for(ws.read_message(), timeout)
        assert raw is not None, "the socket closed"
        if isinstance(raw, str) and needle in raw and '"echo_update"' in raw:
            return


def test_after_the_run_only_pages_listen_to_the_kernel(serve, notebook) -> None:
    """The run's nbclient client used to stay subscribed to iopub after the last cell: every
    later widget change's echo and status piled up unread in the server (the soak's widget
    storm grew it ~40 MB per 10,000 changes)."""
    app = serve(notebook([SLIDER]))
    model = _model_id(app)
    # ZeroMQ closes a socket's connection on its own thread: a moment after close().
    wait_for(lambda: _iopub_subscribers(app) == 0, 10, "the run's client to unsubscribe")

    async def storm() -> int:
        ws = await connect(app)
        for value in range(1, 2001):
            await ws.write_message(_update(model, value))
        await _until_value(ws, 2000)
        subscribers = _iopub_subscribers(app)
        await close(ws)
        return subscribers

    assert run_async(storm()) == 1
    wait_for(lambda: _iopub_subscribers(app) == 0, 10, "the page's subscription to end")


def _events_status(app: Running) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", app.port, timeout=10)
    conn.request("GET", "/nbapp/api/events", headers=app.auth)
    status = conn.getresponse().status
    conn.close()
    return status


def test_a_message_over_the_limit_is_refused_and_the_page_told(serve, notebook) -> None:
    app = serve(notebook([SLIDER]))
    model = _model_id(app)
    conn = http.client.HTTPConnection("127.0.0.1", app.port, timeout=30)
    conn.request("GET", "/nbapp/api/events", headers=app.auth)
    events = conn.getresponse()
    server = psutil.Process(app.proc.pid)
    before = server.memory_info().rss

    async def too_big() -> None:
        ws = await connect(app)
        pad = "x" * (MAX_MESSAGE_BYTES + 1)
        frame = json.dumps(message("comm_msg", {"comm_id": model, "data": {"pad": pad}}))
        # Tornado answers 1009 and drops the connection at once, so a client still writing
        # sees only the socket go; the reason reaches the page through its event stream.
        try:
            with pytest.raises(WebSocketClosedError):
                await ws.write_message(frame)
                await ws.write_message(_update(model, 1))
        finally:
            ws.close()

    try:
        run_async(too_big())
        # Refused from the frame's header: the server never buffered the 24 MiB.
        assert server.memory_info().rss - before < MAX_MESSAGE_BYTES // 2
        notices = []
        while not notices:
            line = events.fp.readline().decode()
            assert line, "event stream ended"
            if line.startswith("data: ") and '"notice"' in line:
                notices.append(json.loads(line[len("data: ") :])["message"])
    finally:
        conn.close()
    assert "more than 24 MB" in notices[0]
    # The log line and the page's notice come from one refusal; the line may still be in the pipe.
    wait_for(lambda: "larger than 24 MiB" in app.stderr, 10, "the refusal in the log")

    async def still_works() -> None:  # the same page reconnects, as @jupyterlab/services does
        ws = await connect(app)
        await ws.write_message(_update(model, 7))
        await _until_value(ws, 7)
        await close(ws)

    run_async(still_works())


@pytest.mark.browser
def test_file_upload_of_20_mb_fits(serve, notebook, page: Page, page_log: PageLog) -> None:
    payload = os.urandom(20 * 2**20)
    app = serve(notebook([UPLOAD]))
    open_dashboard(page, app.url)
    with page.expect_file_chooser(timeout=WIDGET_TIMEOUT_MS) as chooser:
        page.click(".up", timeout=WIDGET_TIMEOUT_MS)
    chooser.value.set_files(
        files=[{"name": "big.bin", "mimeType": "application/octet-stream", "buffer": payload}]
    )
    digest = hashlib.sha256(payload).hexdigest()
    text_becomes(page, ".got", f"big.bin {len(payload)} {digest}")
    assert not page_log.console_errors, page_log.console_errors


def test_connections_beyond_the_bound_are_refused_clearly(serve, notebook) -> None:
    app = serve(notebook(["x = 1"]))
    read_events(app, state_is("done"))

    async def crowd() -> tuple[int | None, str | None, bool]:
        sockets = [await connect(app) for _ in range(MAX_CONNECTIONS)]
        extra = await connect(app)
        assert await asyncio.wait_for(extra.read_message(), 10) is None
        refused = (extra.close_code, extra.close_reason)
        extra.close()
        await close(sockets.pop())
        again = await connect(app)  # a slot freed is a slot taken
        info = message("kernel_info_request")
        await again.write_message(json.dumps(info))
        reply = json.loads(await asyncio.wait_for(again.read_message(), 15))
        for ws in [*sockets, again]:
            await close(ws)
        return (*refused, reply["parent_header"]["msg_id"] == info["header"]["msg_id"])

    code, reason, answered = run_async(crowd())
    assert code == 1013 and reason == f"too many open pages (at most {MAX_CONNECTIONS})"
    assert answered

    streams = []
    for _ in range(MAX_CONNECTIONS):
        conn = http.client.HTTPConnection("127.0.0.1", app.port, timeout=10)
        conn.request("GET", "/nbapp/api/events", headers=app.auth)
        response = conn.getresponse()
        assert response.status == 200
        streams.append(conn)
    assert _events_status(app) == 503
    streams.pop().close()
    wait_for(lambda: _events_status(app) == 200, 20, "a freed event stream slot")
    for conn in streams:
        conn.close()


FLOOD = """
import threading, time, pathlib
import ipywidgets as w
t = w.Text()
def flood():
    while not pathlib.Path('go').exists():
        time.sleep(0.05)
    for i in range(160):
        t.value = str(i) + 'x' * 2**20
threading.Thread(target=flood, daemon=True).start()
t
"""


def test_a_page_that_stops_reading_is_dropped_not_buffered(serve, notebook, tmp_path) -> None:
    """Each widget change goes to every page; one that never reads them must not make the
    server hold 160 MB for it. (While the kernel floods, the server's ZeroMQ queue may hold
    some of it on a loaded machine; once the flood is over, it is all given back.)"""
    app = serve(notebook([FLOOD]))
    read_events(app, state_is("done"))
    server = psutil.Process(app.proc.pid)
    before = server.memory_info().rss

    async def stall() -> int:
        ws = await connect(app)  # and never read
        await ws.write_message(json.dumps(message("kernel_info_request")))
        (tmp_path / "go").touch()
        deadline = asyncio.get_running_loop().time() + 60
        grown = server.memory_info().rss - before
        while grown > 40 * 2**20 or "stopped reading" not in app.stderr:
            assert asyncio.get_running_loop().time() < deadline, f"held {grown / 2**20:.0f} MB"
            await asyncio.sleep(0.2)
            grown = server.memory_info().rss - before
        # Read what is left until the server's close, so no socket outlives the test (a
        # close without waiting left it to the garbage collector, which warned later on).
        await close(ws)
        return grown

    run_async(stall())
    assert "dropped a page that stopped reading" in app.stderr, app.stderr
    read_events(app, state_is("done"))  # still answers
    assert kernel_id_of(app)
