"""SECURITY.md's tests that `nbapp run` must pass: token, Host, Origin, CORS, message
filtering, sources, static routes, private runtime files."""

from __future__ import annotations

import asyncio
import base64
import http.client
import json
import os
import stat
import struct
import uuid
from pathlib import Path
from typing import Any

import pytest
from jupyter_client import BlockingKernelClient
from tornado.httpclient import HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

from support import (
    Md,
    Running,
    kernel_runtime_dir,
    read_events,
    run_async,
    state_is,
    write_notebook,
)

EVIL_ORIGINS = [
    "http://evil.example",
    "http://127.0.0.1:1",
    "http://localhost.evil.example:{port}",
    "null",
]


def get(
    app: Running, path: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", app.port, timeout=10)
    conn.request(method, path, headers=headers or {})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def message(
    msg_type: str, content: dict[str, Any] | None = None, channel: str = "shell"
) -> dict[str, Any]:
    header = {
        "msg_id": uuid.uuid4().hex,
        "msg_type": msg_type,
        "username": "page",
        "session": "page-session",
        "date": "2026-01-01T00:00:00Z",
        "version": "5.3",
    }
    return {
        "header": header,
        "parent_header": {},
        "metadata": {},
        "content": content or {},
        "channel": channel,
    }


async def connect(app: Running) -> WebSocketClientConnection:
    """A websocket to the kernel as the page opens it: our Origin and the token."""
    url = f"ws://127.0.0.1:{app.port}/api/kernels/{kernel_id_of(app)}/channels"
    return await websocket_connect(HTTPRequest(url, headers={"Origin": app.base, **app.auth}))


async def close(ws: WebSocketClientConnection) -> None:
    """Close and wait for the server's close frame, so no socket outlives the test."""
    ws.close()
    while await asyncio.wait_for(ws.read_message(), 10) is not None:
        pass


def kernel_id_of(app: Running) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", app.port, timeout=10)
    conn.request("GET", "/", headers=app.auth)
    html = conn.getresponse().read().decode()
    conn.close()
    return html.split('data-kernel-id="')[1].split('"')[0]


async def replies_until(
    ws: WebSocketClientConnection, msg_id: str, timeout: float = 15
) -> list[dict[str, Any]]:
    """Every frame until the shell reply to ``msg_id``."""
    frames: list[dict[str, Any]] = []
    while True:
        raw = await asyncio.wait_for(ws.read_message(), timeout)
        assert raw is not None, "the socket closed"
        msg = json.loads(raw) if isinstance(raw, str) else {"binary": True}
        frames.append(msg)
        if msg.get("channel") == "shell" and msg.get("parent_header", {}).get("msg_id") == msg_id:
            return frames


@pytest.fixture
def app(serve, tmp_path: Path) -> Running:
    nb = write_notebook(tmp_path / "app" / "nb.ipynb", ["x = 1"])
    running = serve(nb)
    read_events(running, state_is("done"))
    return running


def test_page_needs_the_token(app: Running) -> None:
    assert get(app, "/").status == 403
    wrong = "x" * len(app.token)
    assert get(app, f"/?token={wrong}").status == 403
    assert get(app, "/", {"Cookie": f"nbapp-token-{app.port}={wrong}"}).status == 403
    first = get(app, f"/?token={app.token}")
    assert first.status == 302 and first.getheader("Location") == "/"
    cookie = first.getheader("Set-Cookie") or ""
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert get(app, "/", {"Cookie": cookie.split(";")[0]}).status == 200
    assert get(app, "/nbapp/api/events").status == 403
    assert get(app, "/nbapp/static/nbapp.js").status == 403


@pytest.mark.parametrize(
    "host", ["attacker.example:{port}", "127.0.0.1:1", "localhost", "127.0.0.2:{port}"]
)
def test_foreign_host_is_refused_even_with_the_token(app: Running, host: str) -> None:
    assert get(app, "/", {**app.auth, "Host": host.format(port=app.port)}).status == 403


@pytest.mark.parametrize(
    "host", ["127.0.0.1:{port}", "localhost:{port}", "[::1]:{port}", "LOCALHOST:{port}"]
)
def test_loopback_hosts_are_accepted(app: Running, host: str) -> None:
    assert get(app, "/", {**app.auth, "Host": host.format(port=app.port)}).status == 200


def test_no_cors_headers_anywhere(app: Running) -> None:
    evil = {"Origin": "http://evil.example"}
    for path, method in [
        ("/", "GET"),
        ("/nbapp/static/nbapp.js", "GET"),
        ("/nbapp/api/restart", "POST"),
        ("/", "OPTIONS"),
        ("/nope", "GET"),
    ]:
        for headers in (evil, {**evil, **app.auth}):
            response = get(app, path, headers, method)
            assert not [
                h for h, _ in response.getheaders() if h.lower().startswith("access-control-")
            ], (path, method)


def test_restart_needs_our_origin(app: Running) -> None:
    assert get(app, "/nbapp/api/restart", app.auth, "POST").status == 403
    assert (
        get(app, "/nbapp/api/restart", {**app.auth, "Origin": "http://evil.example"}, "POST").status
        == 403
    )


def test_listens_on_loopback_only(app: Running) -> None:
    listening = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port = local.rsplit(":", 1)
            if int(port, 16) == app.port and state == "0A":  # LISTEN
                listening.append(address)
    assert listening == ["0100007F"]  # 127.0.0.1 only, no 0.0.0.0 or ::


def handshake(
    app: Running, *, origin: str | None = "self", host: str | None = None, token: bool = True
) -> int:
    """The status of a websocket upgrade request (101 = accepted), sent over plain HTTP."""
    headers = {
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
    }
    if origin is not None:
        headers["Origin"] = app.base if origin == "self" else origin.format(port=app.port)
    if host is not None:
        headers["Host"] = host
    if token:
        headers.update(app.auth)
    conn = http.client.HTTPConnection("127.0.0.1", app.port, timeout=10)
    try:
        conn.request("GET", f"/api/kernels/{kernel_id_of(app)}/channels", headers=headers)
        return conn.getresponse().status
    finally:
        conn.close()


@pytest.mark.parametrize("origin", [*EVIL_ORIGINS, None])
def test_websocket_refuses_foreign_or_missing_origin(app: Running, origin: str | None) -> None:
    assert handshake(app, origin=origin) == 403


def test_websocket_refuses_missing_token_and_foreign_host(app: Running) -> None:
    assert handshake(app) == 101  # the control: everything right
    assert handshake(app, token=False) == 403
    evil_host = f"attacker.example:{app.port}"
    assert handshake(app, host=evil_host, origin=f"http://{evil_host}") == 403
    assert handshake(app, host=evil_host) == 403


def test_websocket_with_our_origin_reaches_the_kernel(app: Running) -> None:
    async def scenario() -> list[dict[str, Any]]:
        ws = await connect(app)
        request = message("kernel_info_request")
        await ws.write_message(json.dumps(request))
        frames = await replies_until(ws, request["header"]["msg_id"])
        await close(ws)
        return frames

    frames = run_async(scenario())
    assert frames[-1]["msg_type"] == "kernel_info_reply"
    assert frames[-1]["content"]["language_info"]["name"] == "python"


def execution_count(app: Running) -> int:
    """The kernel's execution counter, read over a direct (test-only) client without changing it."""
    client = BlockingKernelClient()
    client.load_connection_file(str(kernel_runtime_dir(app.kernels()[0]) / "kernel.json"))
    client.start_channels()
    try:
        reply = client.execute_interactive(
            "",
            store_history=False,
            user_expressions={"n": "get_ipython().execution_count"},
            timeout=15,
        )
        return int(reply["content"]["user_expressions"]["n"]["data"]["text/plain"])
    finally:
        client.stop_channels()


def test_execute_request_from_the_page_is_dropped(app: Running, tmp_path: Path) -> None:
    probe = tmp_path / "probe-created"
    before = execution_count(app)

    async def scenario() -> list[dict[str, Any]]:
        ws = await connect(app)
        code = f"open({str(probe)!r}, 'w').write('ran')"
        await ws.write_message(
            json.dumps(
                message(
                    "execute_request",
                    {
                        "code": code,
                        "silent": False,
                        "store_history": True,
                        "user_expressions": {},
                        "allow_stdin": False,
                    },
                )
            )
        )
        # The shell handles messages in order: once this reply is back, an execute would have run.
        info = message("kernel_info_request")
        await ws.write_message(json.dumps(info))
        frames = await replies_until(ws, info["header"]["msg_id"])
        await close(ws)
        return frames

    frames = run_async(scenario())
    assert [f["msg_type"] for f in frames if f.get("channel") == "shell"] == ["kernel_info_reply"]
    assert not [
        f
        for f in frames
        if f.get("msg_type") in ("execute_input", "stream", "execute_result", "execute_reply")
    ]
    assert not probe.exists()
    assert execution_count(app) == before


DROPPED = [
    message("inspect_request", {"code": "x", "cursor_pos": 1, "detail_level": 0}),
    message("complete_request", {"code": "x", "cursor_pos": 1}),
    message("history_request", {"output": True, "raw": True, "hist_access_type": "tail", "n": 10}),
    message("is_complete_request", {"code": "x"}),
    message(
        "debug_request", {"seq": 1, "type": "request", "command": "initialize"}, channel="control"
    ),
    message("input_reply", {"value": "x"}, channel="stdin"),
    message("shutdown_request", {"restart": False}, channel="control"),
    message("shutdown_request", {"restart": False}),
    message("interrupt_request", {}, channel="control"),
    message("made_up_request", {}),
    message("kernel_info_request", {}, channel="nonsense"),
]


def test_everything_else_is_dropped_and_the_socket_keeps_working(app: Running) -> None:
    async def scenario() -> list[dict[str, Any]]:
        ws = await connect(app)
        for msg in DROPPED:
            await ws.write_message(json.dumps(msg))
        await ws.write_message("{ not json")
        await ws.write_message(json.dumps({"header": "no"}))
        await ws.write_message(struct.pack("!I", 3) + b"\x00\x00", binary=True)  # truncated
        await ws.write_message(struct.pack("!II", 1, 8) + b"{bad", binary=True)
        info = message("kernel_info_request")
        await ws.write_message(json.dumps(info))
        frames = await replies_until(ws, info["header"]["msg_id"])
        await close(ws)
        return frames

    frames = run_async(scenario())
    assert [f["msg_type"] for f in frames if f.get("channel") == "shell"] == ["kernel_info_reply"]
    assert len(app.kernels()) == 1  # the shutdown requests did not reach it
    assert get(app, "/", app.auth).status == 200


SENTINEL = "SENTINEL_9f2c41"


def test_no_frame_html_or_route_ever_carries_cell_source(serve, tmp_path: Path) -> None:
    nb = write_notebook(
        tmp_path / "app" / "nb.ipynb",
        [
            Md(f"# Shown\n\n<!-- {SENTINEL} hidden note -->"),
            f"# {SENTINEL} in a comment\nimport ipywidgets as w\nslider = w.IntSlider(description='x')\nslider",
            f"value = 2  # {SENTINEL}\nprint('visible output')",
            f"raise RuntimeError('boom')  # {SENTINEL}",
        ],
    )
    app = serve(nb)
    seen: list[str] = []
    seen += [json.dumps(e) for e in read_events(app, state_is("error"))]
    for path in [
        "/",
        "/nb.ipynb",
        "/nbapp/static/nbapp.js",
        "/does-not-exist",
        "/nbapp/api/restart",
    ]:
        conn = http.client.HTTPConnection("127.0.0.1", app.port, timeout=10)
        conn.request("GET", path, headers=app.auth)
        seen.append(conn.getresponse().read().decode(errors="replace"))
        conn.close()

    async def frames() -> list[str]:
        ws = await connect(app)
        out: list[str] = []
        for msg in (message("comm_info_request", {}), message("kernel_info_request")):
            await ws.write_message(json.dumps(msg))
            out += [json.dumps(f) for f in await replies_until(ws, msg["header"]["msg_id"])]
        await close(ws)
        return out

    seen += run_async(frames())
    blob = "\n".join(seen)
    assert "visible output" in blob and "RuntimeError" in blob  # outputs did arrive
    assert SENTINEL not in blob


ESCAPES = [
    "/nbapp/static/../../pyproject.toml",
    "/nbapp/static/%2e%2e/%2e%2e/pyproject.toml",
    "/nbapp/static/..%2f..%2fpyproject.toml",
    "/nbapp/static/..%5c..%5cpyproject.toml",
    "/nbapp/static/%2fetc%2fpasswd",
    "/nbapp/static//etc/passwd",
    "/nbapp/lab/../../../../../etc/passwd",
    "/..%2fsecret.png",
    "/%2e%2e/secret.png",
    "/%5c%5cserver%5cshare%5csecret.png",
    "//etc/passwd",
    "/escape.png",
    "/nb.ipynb",
    "/helper.py",
    "/.env",
    "/.hidden/pic.png",
    "/data.csv",
    # the front ends served from installed packages (BokehJS, Panel, panel-material-ui)
    "/nbapp/vendor/bokeh/js/../../__init__.py",
    "/nbapp/vendor/bokeh/js/%2e%2e/%2e%2e/__init__.py",
    "/nbapp/vendor/bokeh/js/..%2f..%2f__init__.py",
    "/nbapp/vendor/bokeh/js/compiler.json",
    "/nbapp/vendor/panel/1.0/dist/../__init__.py",
    "/nbapp/vendor/panel/1.0/dist/%2e%2e/config.py",
    "/nbapp/vendor/panel-material-ui/v1/%2e%2e/base.py",
    "/nbapp/vendor/panel-material-ui/v1/../__init__.py",
]


def test_static_routes_cannot_escape_or_serve_code(serve, tmp_path: Path) -> None:
    folder = tmp_path / "app"
    nb = write_notebook(folder / "nb.ipynb", ["1"])
    (tmp_path / "secret.png").write_text("TOP-SECRET")
    (folder / "escape.png").symlink_to(tmp_path / "secret.png")
    (folder / "helper.py").write_text("TOP-SECRET")
    (folder / ".env").write_text("TOP-SECRET")
    (folder / ".hidden").mkdir()
    (folder / ".hidden" / "pic.png").write_text("TOP-SECRET")
    (folder / "data.csv").write_text("TOP-SECRET")
    (folder / "pic.png").write_bytes(b"\x89PNG fake")
    app = serve(nb)
    for path in ESCAPES:
        conn = http.client.HTTPConnection("127.0.0.1", app.port, timeout=10)
        conn.request("GET", path, headers=app.auth)
        response = conn.getresponse()
        body = response.read()
        conn.close()
        assert response.status in (400, 403, 404), (path, response.status)
        assert b"TOP-SECRET" not in body and b"root:" not in body, path
    assert get(app, "/pic.png", app.auth).status == 200  # media next to the notebook is served
    # BokehJS as the bokeh package ships it: with the token only
    assert get(app, "/nbapp/vendor/bokeh/js/bokeh.min.js", app.auth).status == 200
    assert get(app, "/nbapp/vendor/bokeh/js/bokeh.min.js", {}).status == 403


def test_token_never_reaches_the_log(serve, tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "nb.ipynb", ["print(1)"])
    app = serve(nb, "--debug")
    get(app, f"/?token={app.token}")
    get(app, "/", app.auth)
    read_events(app, state_is("done"))
    assert app.stop() == 0
    assert app.stderr  # debug logging did write
    assert app.token not in app.stderr


def test_two_instances_are_independent(serve, tmp_path: Path) -> None:
    a = serve(write_notebook(tmp_path / "a.ipynb", ["1"]))
    b = serve(write_notebook(tmp_path / "b.ipynb", ["2"]))
    read_events(a, state_is("done"))
    read_events(b, state_is("done"))
    assert a.port != b.port and a.token != b.token
    assert get(b, "/", a.auth).status == 403
    assert get(b, "/", {"Cookie": f"nbapp-token-{b.port}={a.token}"}).status == 403
    assert {k.pid for k in a.kernels()}.isdisjoint(k.pid for k in b.kernels())


def test_kernel_files_are_private(app: Running) -> None:
    runtime = kernel_runtime_dir(app.kernels()[0])
    assert runtime.name.startswith("nbapp-")
    # jupyter_core adds the sticky bit to runtime dirs (against tmp cleaners); access is owner-only.
    assert stat.S_IMODE(runtime.stat().st_mode) & 0o777 == 0o700
    assert stat.S_IMODE((runtime / "kernel.json").stat().st_mode) == 0o600
    assert runtime.stat().st_uid == os.getuid()
