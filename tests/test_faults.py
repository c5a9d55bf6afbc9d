"""Faults from outside the notebook (docs/reliability.md): a restart cut short, the port,
folders nbapp writes that are unwritable or full, corrupt state, the display going away.
Each ends with one clear line, the documented exit code, and nothing left running."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from nbapp.gui.geometry import Geometry, remember, remembered
from test_window import (  # noqa: F401 (fixtures)
    START_TIMEOUT,
    Windowed,
    open_window,
    window_env,
)

from conftest import _start_xvfb
from support import (
    NBAPP,
    descendants,
    gone,
    kernel_runtime_dir,
    read_events,
    state_is,
    wait_for,
    wait_serving,
    write_notebook,
)

needs_x = pytest.mark.skipif(
    not shutil.which("Xvfb") or not shutil.which("xdotool"), reason="needs Xvfb and xdotool"
)


# --- the kernel ------------------------------------------------------------------------------
def test_sigterm_during_a_restart_is_clean(serve, notebook) -> None:
    """Closing the app while a restart is under way used to shut the kernel down under
    jupyter_client's restart: InvalidStateError on stderr, a kernel in a removed folder."""
    app = serve(notebook(["x = 1"]))
    read_events(app, state_is("done"))
    kernel = app.kernels()[0]
    runtime = kernel_runtime_dir(kernel)
    with socket.create_connection(("127.0.0.1", app.port), timeout=10) as conn:
        conn.sendall(
            (
                "POST /nbapp/api/restart HTTP/1.1\r\n"
                f"Host: 127.0.0.1:{app.port}\r\nOrigin: {app.base}\r\n"
                f"Authorization: token {app.token}\r\nContent-Length: 0\r\n\r\n"
            ).encode()
        )
        read_events(app, lambda e: e.get("message") == "Restarting the kernel")
        everything = descendants(app.proc.pid)
        assert app.stop(signal.SIGTERM) == 0
    wait_for(lambda: gone([kernel, *everything]), 15, "every kernel to exit")
    assert not runtime.exists()
    assert "Traceback" not in app.stderr and "rror" not in app.stderr, app.stderr


# --- the port --------------------------------------------------------------------------------
def test_port_0_keeps_the_socket_it_bound(serve, notebook) -> None:
    """No pick-close-rebind: from the serving line on, nobody else can take the port."""
    app = serve(notebook(["x = 1"]))
    with socket.socket() as other, pytest.raises(OSError) as refused:
        other.bind(("127.0.0.1", app.port))
    assert refused.value.errno == errno.EADDRINUSE


def test_a_taken_port_is_one_line_exit_2_and_starts_nothing(tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "nb.ipynb", ["x = 1"])
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [NBAPP, "run", "--no-window", "--port", str(port), str(nb)],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "TMPDIR": str(private_tmp)},
            check=False,
        )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"nbapp: error: port {port} is already in use on 127.0.0.1 (use --port 0 to pick a free one)"
    ]
    assert done.stdout == ""
    assert list(private_tmp.iterdir()) == []  # no kernel runtime folder was ever made


# --- folders nbapp writes --------------------------------------------------------------------
@pytest.fixture
def full_folder(tmp_path: Path) -> Iterator[Path]:
    """A real full file system: a 256 KB tmpfs, filled. Root only (mount)."""
    target = tmp_path / "full"
    target.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(target)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        filler = os.open(target / "filler", os.O_CREAT | os.O_WRONLY, 0o600)
        try:
            with pytest.raises(OSError) as full:
                while True:
                    os.write(filler, b"\0" * 4096)
        finally:
            os.close(filler)
        assert full.value.errno == errno.ENOSPC
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], check=False)


@needs_x
@pytest.mark.parametrize("problem", ["a file, not a folder", "full"])
def test_an_unusable_log_folder_warns_once_and_the_window_opens(
    problem: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    open_window,  # noqa: F811 (the fixture imported above)
    window_env,  # noqa: F811
) -> None:
    if problem == "full":
        state = request.getfixturevalue("full_folder")
        (state / "nbapp").mkdir()  # a directory entry still fits; no byte of the log does
    else:
        state = tmp_path / "state-file"
        state.write_text("not a folder")
    env = {**window_env, "XDG_STATE_HOME": str(state)}
    nb = write_notebook(
        tmp_path / "nb.ipynb", ["print('up')"], metadata={"nbapp": {"title": "Logs"}}
    )
    app: Windowed = open_window(nb, env=env)
    app.find_window("Logs")
    read_events(app.running, state_is("done"))
    kernels = app.running.kernels()
    assert app.running.stop(signal.SIGTERM) == 0
    wait_for(lambda: gone(kernels), 10, "the kernel to exit")
    app.running.close()
    lines = app.running.stderr.splitlines()
    assert "Traceback" not in app.running.stderr and "Logging error" not in app.running.stderr
    warnings = [line for line in lines if "log file" in line]
    assert len(warnings) == 1, lines
    assert warnings[0].startswith("nbapp: warning:") and str(state) in warnings[0]


def test_a_window_size_that_cannot_be_saved_is_a_warning(
    full_folder: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(full_folder))
    nb = _loaded(full_folder.parent / "nb.ipynb")
    remember(str(nb.path), Geometry(900, 700))  # raises nothing
    assert any(
        "could not write" in r.message and "window.json" in r.message for r in caplog.records
    )


def test_corrupt_window_state_is_ignored_then_rewritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    sizes = tmp_path / "state" / "nbapp" / "windows.json"  # nbapp 0.1's file, still read
    nb = _loaded(tmp_path / "nb.ipynb")
    for corrupt in (b"{not json", b"\xff\xfe\x00", b"[1, 2]", b'{"%s": "wide"}'):
        sizes.parent.mkdir(parents=True, exist_ok=True)
        sizes.write_bytes(corrupt.replace(b"%s", str(nb.path).encode()))
        assert remembered(str(nb.path)) is None  # the window opens at its declared size
    remember(str(nb.path), Geometry(900, 700, 10, 20))
    assert remembered(str(nb.path)) == Geometry(900, 700, 10, 20)
    place = next((tmp_path / "state" / "nbapp" / "apps").glob("*/window.json"))
    place.write_bytes(b"\x00garbage")
    assert remembered(str(nb.path)) is None


def _loaded(path: Path) -> Any:
    from nbapp.notebook import load_notebook

    return load_notebook(write_notebook(path, ["x = 1"]))


def test_a_full_cache_folder_costs_the_snapshot_only(serve, notebook, full_folder: Path) -> None:
    """The snapshot of a finished run (issue 15) cannot be kept on a full disk: one warning,
    the run itself unaffected."""
    app = serve(notebook(["print('up')"]), env={**os.environ, "XDG_CACHE_HOME": str(full_folder)})
    read_events(app, state_is("done"))
    wait_for(lambda: "snapshot" in app.stderr, 30, "the warning about the snapshot")
    assert app.stop() == 0
    app.close()
    lines = app.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("nbapp: warning: could not keep the run's")
    assert "No space left on device" in lines[0], lines[0]


def test_an_unwritable_package_cache_is_one_line_exit_1(tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "nb.ipynb", ["x = 1"])
    cache = tmp_path / "cache-file"
    cache.write_text("not a folder")
    done = subprocess.run(
        [NBAPP, "package", str(nb), "-o", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "XDG_CACHE_HOME": str(cache)},
        check=False,
    )
    assert done.returncode == 1, done.stderr
    errors = [line for line in done.stderr.splitlines() if "error" in line]
    assert errors == [f"nbapp: error: {errors[0].split('error: ', 1)[1]}"]
    assert str(cache) in errors[0] and "Not a directory" in errors[0]
    assert "Traceback" not in done.stderr


# --- the display -----------------------------------------------------------------------------
def test_a_display_without_an_x_server_falls_back_to_serving(tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "nb.ipynb", ["x = 1"])
    number = next(n for n in range(1300, 1400) if not Path(f"/tmp/.X11-unix/X{n}").exists())
    env = {**os.environ, "DISPLAY": f":{number}", "XDG_STATE_HOME": str(tmp_path / "state")}
    env.pop("WAYLAND_DISPLAY", None)
    proc = subprocess.Popen(
        [NBAPP, "run", "--port", "0", str(nb)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    running = wait_serving(proc, START_TIMEOUT)
    try:
        read_events(running, state_is("done"))
    finally:
        assert running.stop() == 0
        running.close()
    assert running.stderr == (
        f"nbapp: no X server answers at DISPLAY=:{number}; serving for a browser instead\n"
    )


@needs_x
def test_the_display_going_away_ends_the_app_and_its_kernel(tmp_path: Path) -> None:
    """Qt ends the process itself when its X connection breaks (exit code 1, its message in
    the log file); nbapp's kernel notices its parent gone and leaves nothing behind."""
    started = None
    for number in range(1400 + os.getpid() % 300, 1800):
        if not Path(f"/tmp/.X{number}-lock").exists():
            started = _start_xvfb(number)
            if started is not None:
                break
    assert started is not None, "no free X display for a private Xvfb"
    server, pipe = started
    env = {
        **os.environ,
        "NBAPP_WEBVIEW": "qt",  # Qt's own end when its X connection breaks, described above
        "DISPLAY": f":{number}",
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    env.pop("WAYLAND_DISPLAY", None)
    nb = write_notebook(
        tmp_path / "nb.ipynb", ["print('up')"], metadata={"nbapp": {"title": "Gone"}}
    )
    proc = subprocess.Popen(
        [NBAPP, "run", "--port", "0", str(nb)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    running = wait_serving(proc, START_TIMEOUT)
    try:
        shown = Windowed(running, f":{number}", env)
        shown.find_window("Gone")
        read_events(running, state_is("done"))
        everything = [psutil.Process(proc.pid), *descendants(proc.pid)]
        runtime = kernel_runtime_dir(running.kernels()[0])
        server.kill()
        server.wait(10)
        assert proc.wait(20) == 1
        wait_for(lambda: gone(everything), 15, "the kernel and the web engine to exit")
        wait_for(lambda: not runtime.exists(), 10, "the runtime folder to be removed")
    finally:
        running.close()
        if server.poll() is None:
            server.kill()
        os.close(pipe)
    log = (tmp_path / "state" / "nbapp" / "log" / "nbapp.log").read_text()
    assert "X11 connection broke" in log
