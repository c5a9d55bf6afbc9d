"""What makes the window an app: widget values kept across launches, one running copy per app,
the window's place remembered, the menu and what it does. A real Qt window under a private
Xvfb, driven with xdotool and python-xlib; pages checked in Chromium.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest
from playwright.sync_api import Browser, Page
from Xlib import X, display, protocol

from test_window import MAGENTA, Windowed, box_of, count_colour, start_windowed

from support import NBAPP, Md, kernel_runtime_dir, read_events, state_is, wait_for, write_notebook

pytestmark = pytest.mark.skipif(
    not all(shutil.which(t) for t in ("Xvfb", "xdotool", "import", "pdftotext", "openbox")),
    reason="needs Xvfb, xdotool, imagemagick, poppler-utils, openbox (`make test` installs them)",
)

BOARD = [
    Md("# Dial Board"),
    "import ipywidgets as w\n"
    "level = w.IntSlider(value=3, max=20, description='Level',\n"
    "                    layout=w.Layout(width='600px'), style={'handle_color': '#ff00ff'})\n"
    "shown = w.Label(f'level is {level.value}')\n"
    "shown.add_class('level-text')\n"
    "level.observe(lambda change: setattr(shown, 'value', f'level is {change.new}'), 'value')\n"
    "w.VBox([level, shown])",
    "pick = w.Dropdown(options=['red', 'green', 'blue'], value='red', description='Colour')\n"
    "out = w.Output()\n"
    "out.add_class('colour-text')\n"
    "def draw(change):\n"
    "    out.clear_output()\n"
    "    with out:\n"
    "        print('colour is', pick.value)\n"
    "pick.observe(draw, 'value')\n"
    "draw(None)\n"
    "w.VBox([pick, out])",
]


@pytest.fixture
def app_env(tmp_path: Path, xvfb: str) -> Iterator[dict[str, str]]:
    """The private display, XDG folders of the test's own (state, logs), and a runtime folder
    for single-instance locks with a short path: a Unix socket's must stay under ~100 bytes."""
    runtime = tempfile.mkdtemp(prefix="nbrt-")
    env = {k: v for k, v in os.environ.items() if k not in ("WAYLAND_DISPLAY", "BROWSER")}
    env.update(
        NBAPP_WEBVIEW="qt",  # the window whose menu, shortcuts and PDF these tests drive
        DISPLAY=xvfb,
        XDG_STATE_HOME=str(tmp_path / "state"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        XDG_RUNTIME_DIR=runtime,
    )
    yield env
    shutil.rmtree(runtime, ignore_errors=True)


@pytest.fixture
def open_app(app_env: dict[str, str]) -> Iterator[Callable[..., Windowed]]:
    """``open_app(notebook, *args, env=None)``: a windowed nbapp; stopped after the test."""
    started: list[Windowed] = []

    def start(notebook: Path, *args: str, env: dict[str, str] | None = None) -> Windowed:
        started.append(start_windowed(notebook, args, env or app_env))
        return started[-1]

    yield start
    for windowed in started:
        windowed.running.close()


def _text(page: Page, selector: str, expected: str, timeout: float = 30) -> None:
    page.wait_for_function(
        "([sel, text]) => (document.querySelector(sel)?.textContent || '').includes(text)",
        arg=[selector, expected],
        timeout=timeout * 1000,
    )


def _dashboard(browser: Browser, app: Windowed) -> Page:
    """The app's page in Chromium too (the same kernel as the window's page)."""
    page = browser.new_context().new_page()
    page.goto(app.running.url)
    page.wait_for_selector('body[data-nbapp-state="done"]', state="attached", timeout=60_000)
    page.wait_for_selector(".widget-slider .noUi-handle", timeout=30_000)
    return page


def _close(app: Windowed, window: int) -> None:
    app.close_window(window)
    assert app.proc.wait(30) == 0, app.running.stderr


def _state_file(env: dict[str, str], name: str) -> Path:
    found = list((Path(env["XDG_STATE_HOME"]) / "nbapp" / "apps").glob(f"*/{name}"))
    assert len(found) == 1, found
    return found[0]


# --- widget values survive a relaunch ---------------------------------------------------------
def test_moved_widgets_come_back_after_a_relaunch_with_their_outputs(
    tmp_path: Path,
    open_app: Callable[..., Windowed],
    app_env: dict[str, str],
    browser: Browser,
) -> None:
    nb = write_notebook(tmp_path / "dial.ipynb", BOARD)
    first = open_app(nb)
    window = first.find_window("Dial Board")
    read_events(first.running, state_is("done"))
    # In the window itself: click the slider's magenta handle, then press Right four times.
    handle = wait_for(
        lambda: box_of(first.screenshot(tmp_path / "a.png"), MAGENTA), 30, "the slider handle"
    )
    x, y = (handle[0] + handle[2]) // 2, (handle[1] + handle[3]) // 2
    first.xdotool("mousemove", str(x), str(y), "click", "1")
    for _ in range(4):
        first.xdotool("key", "Right")
    page = _dashboard(browser, first)  # the kernel's state, seen by a second page
    _text(page, ".level-text", "level is 7")
    page.select_option(".widget-dropdown select", "blue")
    _text(page, ".colour-text", "colour is blue")
    _close(first, window)
    saved = json.loads(_state_file(app_env, "widgets.json").read_text())
    assert [entry["state"] for entry in saved["widgets"]] == [{"value": 7}, {"index": 2}]

    second = open_app(nb)
    second.find_window("Dial Board")
    page = _dashboard(browser, second)
    # The values came back, and the observers ran: the outputs match them.
    assert page.locator(".widget-readout").first.inner_text() == "7"
    _text(page, ".level-text", "level is 7")
    assert page.locator(".widget-dropdown select").input_value() == "blue"
    _text(page, ".colour-text", "colour is blue")
    assert "colour is red" not in page.inner_text(".colour-text")
    second.proc.send_signal(signal.SIGTERM)
    assert second.proc.wait(30) == 0
    assert second.running.stderr == ""


def test_saved_values_never_break_a_changed_notebook(
    tmp_path: Path,
    open_app: Callable[..., Windowed],
    app_env: dict[str, str],
    browser: Browser,
) -> None:
    """The Colour dropdown became a text box, a widget is gone, the slider's range shrank and
    the state file was hand-edited: what still fits is restored, the rest skipped."""
    nb = write_notebook(tmp_path / "dial.ipynb", BOARD)
    first = open_app(nb)
    window = first.find_window("Dial Board")
    page = _dashboard(browser, first)
    page.focus(".widget-slider .noUi-handle")
    for _ in range(12):
        page.keyboard.press("ArrowRight")
    _text(page, ".level-text", "level is 15")
    page.select_option(".widget-dropdown select", "green")
    _text(page, ".colour-text", "colour is green")
    _close(first, window)
    state = _state_file(app_env, "widgets.json")
    saved = json.loads(state.read_text())
    saved["widgets"].append({"widget": {"module": "x", "model": "GoneModel"}, "state": {}})
    saved["widgets"].append({"widget": {"module": "@jupyter-widgets/controls",
                             "model": "CheckboxModel", "description": "Gone", "nth": 0},
                             "state": {"value": True}})  # fmt: skip
    state.write_text(json.dumps(saved))

    changed = [
        BOARD[0],
        BOARD[1].replace("max=20", "max=10"),  # 15 no longer fits: the slider clamps it
        "import ipywidgets as w\nw.Text(value='plain', description='Colour')",
    ]
    write_notebook(nb, changed)
    second = open_app(nb)
    second.find_window("Dial Board")
    page = _dashboard(browser, second)
    _text(page, ".level-text", "level is 10")
    assert page.locator(".widget-text input").input_value() == "plain"
    second.proc.send_signal(signal.SIGTERM)
    assert second.proc.wait(30) == 0
    assert second.running.stderr == ""
    log = (Path(app_env["XDG_STATE_HOME"]) / "nbapp" / "log" / "nbapp.log").read_text()
    assert "Traceback" not in log and "TraitError" not in log
    # What no longer fits is forgotten; the slider keeps what the kernel made of it.
    kept = json.loads(state.read_text())["widgets"]
    assert [(e["widget"]["model"], e["state"]) for e in kept] == [("IntSliderModel", {"value": 10})]


def test_corrupt_state_file_is_ignored_with_a_warning(
    tmp_path: Path, open_app: Callable[..., Windowed], app_env: dict[str, str]
) -> None:
    nb = write_notebook(tmp_path / "dial.ipynb", BOARD)
    first = open_app(nb)
    window = first.find_window("Dial Board")
    read_events(first.running, state_is("done"))
    _close(first, window)
    state = _state_file(app_env, "window.json").with_name("widgets.json")
    state.write_text("{ not json")
    second = open_app(nb)
    window = second.find_window("Dial Board")
    read_events(second.running, state_is("done"))
    _close(second, window)
    log = (Path(app_env["XDG_STATE_HOME"]) / "nbapp" / "log" / "nbapp.log").read_text()
    assert f"ignoring {state}: not valid JSON" in log


def test_opting_out_in_metadata_keeps_nothing(
    tmp_path: Path,
    open_app: Callable[..., Windowed],
    app_env: dict[str, str],
    browser: Browser,
) -> None:
    nb = write_notebook(
        tmp_path / "dial.ipynb", BOARD, metadata={"nbapp": {"remember_widgets": False}}
    )
    first = open_app(nb)
    window = first.find_window("Dial Board")
    page = _dashboard(browser, first)
    page.select_option(".widget-dropdown select", "blue")
    _text(page, ".colour-text", "colour is blue")
    _close(first, window)
    apps = Path(app_env["XDG_STATE_HOME"]) / "nbapp" / "apps"
    assert not list(apps.glob("*/widgets.json"))


# --- one running copy per app ------------------------------------------------------------------
@pytest.fixture
def cover(xvfb: str) -> Iterator[Callable[[], int]]:
    """A black window over the whole screen, on top of everything (as another app would be)."""
    conns: list[display.Display] = []

    def make() -> int:
        conn = display.Display(xvfb)
        screen = conn.screen()
        window = screen.root.create_window(
            0, 0, screen.width_in_pixels, screen.height_in_pixels, 0, screen.root_depth,
            background_pixel=screen.black_pixel, override_redirect=True,
        )  # fmt: skip
        window.map()
        window.raise_window()
        conn.sync()
        conns.append(conn)
        return int(window.id)

    yield make
    for conn in conns:
        conn.close()


def _stacking(xvfb: str) -> list[int]:
    """Top-level windows, bottom first."""
    conn = display.Display(xvfb)
    try:
        return [child.id for child in conn.screen().root.query_tree().children]
    finally:
        conn.close()


def _kernels_in(folder: Path) -> list[psutil.Process]:
    """Kernel processes working in ``folder`` (a kernel's working directory is its notebook's)."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        try:
            kernel = "nbapp.kernel.main" in " ".join(proc.info["cmdline"] or [])
            if kernel and Path(proc.cwd()) == folder:
                found.append(proc)
        except psutil.Error:
            continue
    return found


MAGENTA_BLOCK = "from IPython.display import HTML\nHTML(\"<div style='width:600px;height:300px;background:#ff00ff'></div>\")"


def test_a_second_launch_raises_the_first_window_and_starts_no_kernel(
    tmp_path: Path,
    open_app: Callable[..., Windowed],
    app_env: dict[str, str],
    xvfb: str,
    cover: Callable[[], int],
) -> None:
    nb = write_notebook(tmp_path / "one.ipynb", [Md("# Only One"), MAGENTA_BLOCK])
    first = open_app(nb)
    window = first.find_window("Only One")
    read_events(first.running, state_is("done"))
    wait_for(
        lambda: count_colour(first.screenshot(tmp_path / "a.png"), MAGENTA) > 0.9 * 600 * 300,
        30,
        "the magenta block",
    )
    ours = first.running.kernels()
    assert [k.pid for k in _kernels_in(tmp_path)] == [k.pid for k in ours]
    blocker = cover()
    assert count_colour(first.screenshot(tmp_path / "b.png"), MAGENTA) == 0  # covered
    assert _stacking(xvfb).index(blocker) > _stacking(xvfb).index(window)

    scratch = tmp_path / "scratch"  # a kernel's private runtime folder would appear here
    scratch.mkdir()
    started = time.monotonic()
    second = subprocess.run(
        [NBAPP, "run", str(nb)],
        env={**app_env, "TMPDIR": str(scratch)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    took = time.monotonic() - started
    assert second.returncode == 0, second.stderr
    assert second.stdout == f"nbapp: {nb} is already running; brought its window to the front\n"
    assert second.stderr == ""
    assert took < 10, took  # no kernel, no server: only nbapp's own imports (seconds when loaded)
    # The first window is on top again, and shows its page.
    wait_for(lambda: _stacking(xvfb).index(window) > _stacking(xvfb).index(blocker), 10, "raise")
    wait_for(
        lambda: count_colour(first.screenshot(tmp_path / "c.png"), MAGENTA) > 0.9 * 600 * 300,
        10,
        "the magenta block back on screen",
    )
    assert list(scratch.iterdir()) == []  # the second launch started no kernel
    assert [k.pid for k in _kernels_in(tmp_path)] == [k.pid for k in ours]  # one kernel
    _close(first, window)


def test_a_lock_left_by_a_crash_is_taken_over(
    tmp_path: Path, open_app: Callable[..., Windowed], app_env: dict[str, str]
) -> None:
    nb = write_notebook(tmp_path / "crash.ipynb", [Md("# Crash Board"), "x = 1"])
    first = open_app(nb)
    first.find_window("Crash Board")
    kernels = wait_for(first.running.kernels, 30, "the kernel")
    runtime = kernel_runtime_dir(kernels[0])
    first.proc.kill()  # a crash: no cleanup at all
    first.proc.wait(10)
    wait_for(lambda: all(not k.is_running() for k in kernels), 20, "the orphaned kernel to exit")
    locks = list(Path(app_env["XDG_RUNTIME_DIR"]).glob("nbapp/*.lock"))
    assert len(locks) == 1 and locks[0].with_suffix(".sock").exists()  # left behind

    second = open_app(nb, env=app_env)  # starts normally: prints its serving line, opens its window
    window = second.find_window("Crash Board")
    read_events(second.running, state_is("done"))
    assert locks[0].read_text().strip() == str(second.proc.pid)
    _close(second, window)
    shutil.rmtree(runtime, ignore_errors=True)  # the killed app could not remove it


# --- the window's place -------------------------------------------------------------------------
def _frame(app: Windowed, window: int) -> tuple[int, int, int, int]:
    out = app.xdotool("getwindowgeometry", "--shell", str(window))
    values = dict(line.split("=", 1) for line in out.splitlines())
    return int(values["X"]), int(values["Y"]), int(values["WIDTH"]), int(values["HEIGHT"])


def test_place_is_remembered_and_brought_back_onto_the_screen(
    tmp_path: Path, open_app: Callable[..., Windowed], app_env: dict[str, str]
) -> None:
    nb = write_notebook(tmp_path / "place.ipynb", [Md("# Place Board"), "x = 1"])
    first = open_app(nb)
    window = first.find_window("Place Board")
    first.xdotool("windowsize", str(window), "700", "500")
    first.xdotool("windowmove", str(window), "300", "200")
    wait_for(lambda: _frame(first, window) == (300, 200, 700, 500), 10, "the move")
    _close(first, window)
    saved = json.loads(_state_file(app_env, "window.json").read_text())
    assert saved == {"size": [700, 500], "position": [300, 200], "maximized": False}

    second = open_app(nb)
    window = second.find_window("Place Board")
    assert wait_for(lambda: _frame(second, window) == (300, 200, 700, 500), 10, "the place")
    _close(second, window)

    # Left on a second monitor that is gone now, and bigger than this 1280x800 screen.
    state = _state_file(app_env, "window.json")
    state.write_text(json.dumps({"size": [1600, 700], "position": [2500, 300]}))
    third = open_app(nb)
    window = third.find_window("Place Board")
    x, y, width, height = wait_for(lambda: _frame(third, window), 10, "the window")
    assert (width, height) == (1280, 700)
    assert x >= 0 and x + width <= 1280 and y >= 0 and y + height <= 800
    _close(third, window)


@pytest.fixture
def window_manager(xvfb: str) -> Iterator[str]:
    """Openbox on the private display: only a window manager maximizes windows (and puts frames
    around them), so this test has one; the others run without, where the place is exact."""
    wm = subprocess.Popen(
        ["openbox", "--sm-disable"],
        env={**os.environ, "DISPLAY": xvfb},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def running() -> bool:
        conn = display.Display(xvfb)
        try:
            check = conn.intern_atom("_NET_SUPPORTING_WM_CHECK")
            return conn.screen().root.get_full_property(check, X.AnyPropertyType) is not None
        finally:
            conn.close()

    wait_for(running, 30, "openbox")
    yield xvfb
    wm.terminate()
    wm.wait(10)


def _maximize(xvfb: str, window: int, on: bool) -> None:
    """What a window's maximize button asks the window manager (EWMH _NET_WM_STATE)."""
    conn = display.Display(xvfb)
    try:
        target = conn.create_resource_object("window", window)
        state = conn.intern_atom("_NET_WM_STATE")
        both = [conn.intern_atom(f"_NET_WM_STATE_MAXIMIZED_{side}") for side in ("VERT", "HORZ")]
        event = protocol.event.ClientMessage(
            window=target, client_type=state, data=(32, [int(on), *both, 1, 0])
        )
        mask = X.SubstructureRedirectMask | X.SubstructureNotifyMask
        conn.screen().root.send_event(event, event_mask=mask)
        conn.sync()
    finally:
        conn.close()


def test_maximized_state_is_remembered_with_the_size_under_it(
    tmp_path: Path,
    open_app: Callable[..., Windowed],
    app_env: dict[str, str],
    window_manager: str,
) -> None:
    nb = write_notebook(
        tmp_path / "max.ipynb",
        [Md("# Max Board"), "x = 1"],
        metadata={"nbapp": {"width": 800, "height": 600}},
    )
    first = open_app(nb)
    window = first.find_window("Max Board")
    wait_for(lambda: _frame(first, window)[2:] == (800, 600), 10, "the window")
    _maximize(window_manager, window, on=True)
    wait_for(lambda: _frame(first, window)[2] == 1280, 10, "the window maximized")
    _close(first, window)
    saved = json.loads(_state_file(app_env, "window.json").read_text())
    assert saved["maximized"] is True and saved["size"] == [800, 600]  # the size under it

    second = open_app(nb)
    window = second.find_window("Max Board")
    wait_for(lambda: _frame(second, window)[2] == 1280, 10, "the window opened maximized")
    _maximize(window_manager, window, on=False)
    wait_for(lambda: _frame(second, window)[2:] == (800, 600), 10, "its size back")
    _close(second, window)
    saved = json.loads(_state_file(app_env, "window.json").read_text())
    assert saved["maximized"] is False and saved["size"] == [800, 600]


# --- the menu ----------------------------------------------------------------------------------
def _dialog(app: Windowed, title: str) -> int:
    found = wait_for(
        lambda: app.xdotool("search", "--onlyvisible", "--name", f"^{re.escape(title)}$"),
        30,
        f"the {title!r} dialog",
    )
    return int(found.split()[0])


def _save_through_dialog(app: Windowed, title: str, target: Path) -> None:
    dialog = _dialog(app, title)
    app.xdotool("windowfocus", "--sync", str(dialog))
    app.xdotool("key", "--clearmodifiers", "ctrl+a")
    app.xdotool("type", "--delay", "20", str(target))
    app.xdotool("key", "Return")
    wait_for(lambda: target.is_file() and target.stat().st_size > 0, 60, f"{target.name}")


def _keys(app: Windowed, window: int, keys: str) -> None:
    app.xdotool("windowfocus", "--sync", str(window))
    app.xdotool("key", "--clearmodifiers", keys)


def test_menu_actions_work_from_their_shortcuts_and_the_menu_bar(
    tmp_path: Path,
    open_app: Callable[..., Windowed],
    app_env: dict[str, str],
    browser: Browser,
) -> None:
    nb = write_notebook(tmp_path / "dial.ipynb", BOARD)
    downloads = tmp_path / "Downloads"
    downloads.mkdir()
    env = {**app_env, "XDG_DOWNLOAD_DIR": str(downloads), "HOME": str(tmp_path)}
    app = open_app(nb, "--debug", env=env)
    window = app.find_window("Dial Board")
    page = _dashboard(browser, app)
    page.select_option(".widget-dropdown select", "green")
    _text(page, ".colour-text", "colour is green")

    # File > Save as PDF (Ctrl+P): the live page, widgets as they are now.
    _keys(app, window, "ctrl+p")
    pdf = downloads / "board.pdf"
    _save_through_dialog(app, "Save as PDF", pdf)
    pdftotext = ["pdftotext", str(pdf), "-"]
    text = subprocess.run(pdftotext, capture_output=True, text=True, check=True).stdout
    assert "level is 3" in text and "colour is green" in text

    # File > Export HTML (Ctrl+S): one file, widgets as they are now, no kernel needed.
    _keys(app, window, "ctrl+s")
    html = downloads / "board.html"
    _save_through_dialog(app, "Export HTML", html)
    saved = browser.new_context().new_page()
    saved.goto(html.as_uri())
    saved.wait_for_selector(".nbapp-widget-ready >> nth=1", state="attached")
    assert saved.locator(".widget-dropdown select").input_value() == "green"
    assert "colour is green" in saved.inner_text(".colour-text")

    # Help > About (Alt+H opens the Help menu; Return takes its one item).
    _keys(app, window, "alt+h")
    app.xdotool("key", "Return")
    about = _dialog(app, "About Dial Board")
    app.xdotool("windowfocus", "--sync", str(about))
    app.xdotool("key", "Return")
    wait_for(lambda: not app.xdotool("search", "--onlyvisible", "--name", "^About"), 10, "close")

    # Kernel > Restart kernel (Ctrl+Shift+R): a new kernel runs the notebook again.
    old_kernel = wait_for(app.running.kernels, 10, "the kernel")[0]
    _keys(app, window, "ctrl+shift+r")
    wait_for(
        lambda: [k for k in app.running.kernels() if k.pid != old_kernel.pid], 60, "a new kernel"
    )
    read_events(app.running, state_is("done"))
    assert not old_kernel.is_running() and len(app.running.kernels()) == 1

    # Kernel > Reset to the notebook's values (Alt+K, then its mnemonic N).
    page.reload()
    page.wait_for_selector(".widget-dropdown select", timeout=30_000)
    _text(page, ".colour-text", "colour is green")  # restored after the restart
    _keys(app, window, "alt+k")
    app.xdotool("key", "n")
    _text(page, ".colour-text", "colour is red", timeout=60)
    assert json.loads(_state_file(env, "widgets.json").read_text())["widgets"] == []

    # View > Reload (Ctrl+R): the window's page loads again and reconnects.
    loads = app.running.stderr.count("200 GET /\n")
    _keys(app, window, "ctrl+r")
    wait_for(lambda: app.running.stderr.count("200 GET /\n") > loads, 30, "the page to reload")

    # File > Quit (Ctrl+Q): the app ends cleanly.
    kernels = app.running.kernels()
    _keys(app, window, "ctrl+q")
    assert app.proc.wait(30) == 0
    wait_for(lambda: all(not k.is_running() for k in kernels), 10, "the kernel to exit")


# --- a folder as an app --------------------------------------------------------------------------
def test_a_folder_app_moves_between_its_list_and_a_notebook_in_one_window(
    tmp_path: Path, open_app: Callable[..., Windowed], app_env: dict[str, str]
) -> None:
    boards = tmp_path / "boards"
    write_notebook(boards / "magenta.ipynb", [Md("# Magenta board"), MAGENTA_BLOCK])
    write_notebook(boards / "plain.ipynb", [Md("# Plain board"), "print('plain')"])
    app = open_app(boards, "--debug")  # its log on stderr says when the list has loaded
    window = app.find_window("boards")
    full = 0.9 * 600 * 300
    wait_for(lambda: "200 GET /nbapp/static/home.css" in app.running.stderr, 60, "the list")

    def magenta() -> int:
        return count_colour(app.screenshot(tmp_path / "shot.png"), MAGENTA)

    assert magenta() == 0 and app.running.kernels() == []  # the list; nothing runs yet
    _keys(app, window, "Tab")  # the first card's link (the list is in file-name order)
    app.xdotool("key", "Return")
    wait_for(lambda: magenta() > full, 60, "the magenta notebook's output")
    assert len(app.running.kernels()) == 1
    assert app.find_window("Magenta board", 10) == window  # the title follows the page
    _keys(app, window, "alt+Left")  # View > Back: the list again, with its preview
    wait_for(lambda: 0 < magenta() < full / 4, 30, "the list with the notebook's preview")
    assert app.find_window("boards", 10) == window
    _keys(app, window, "alt+Right")  # View > Forward: the notebook, still running
    wait_for(lambda: magenta() > full, 30, "the notebook again")
    # One copy per folder app too: a second launch raises this window and starts nothing.
    second = subprocess.run(
        [NBAPP, "run", str(boards)],
        env=app_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert second.returncode == 0, second.stderr
    assert second.stdout == f"nbapp: {boards} is already running; brought its window to the front\n"
    assert len(app.running.kernels()) == 1
    _close(app, window)
