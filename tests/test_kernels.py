"""Notebooks in other languages, on real installed kernels: R (IRkernel, from Debian) and bash
(bash_kernel, from PyPI). `make test` installs and registers both; a C++ kernel is absent."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
from pathlib import Path
from typing import Any

import psutil
import pytest

from test_security import close, connect, message, replies_until

from support import (
    NBAPP,
    Running,
    descendants,
    env_with,
    gone,
    read_events,
    run_async,
    state_is,
    wait_for,
    wait_serving,
    wait_state,
    write_notebook,
)

R = {"kernelspec": {"name": "ir", "display_name": "R", "language": "R"}}
BASH = {"kernelspec": {"name": "bash", "display_name": "Bash", "language": "bash"}}
CPP = {
    "kernelspec": {"name": "xcpp17", "display_name": "C++17", "language": "C++17"},
    "language_info": {"name": "c++", "version": "17"},
}

R_DASHBOARD = [
    "plot(1:10, main = 'base graphics')",
    "data.frame(fruit = c('apple', 'pear', 'plum'), count = c(3L, 5L, 8L))",
    "IRdisplay::display_latex('$$e^{i\\\\pi} + 1 = 0$$')",
    "IRdisplay::display_markdown('Some **bold** words')",
    "options(jupyter.plot_mimetypes = 'image/svg+xml')\nplot(3:1, main = 'as svg')",
    "cat('query:', Sys.getenv('QUERY_STRING'), 'folder:', basename(getwd()), '\\n')",
]


def supervisors(app: Running) -> list[psutil.Process]:
    """The supervisor processes nbapp started for an installed kernel."""
    return [p for p in descendants(app.proc.pid) if _runs(p, "nbapp.kernel.supervisor")]


def _runs(proc: psutil.Process, text: str) -> bool:
    try:
        return text in " ".join(proc.cmdline())
    except psutil.Error:
        return False


def runtime_dir_of(proc: psutil.Process) -> Path:
    """The private runtime dir: the folder of the connection file on the kernel's command."""
    path = next(arg for arg in proc.cmdline() if arg.endswith("kernel.json"))
    return Path(path).parent


def r_processes() -> set[int]:
    return {p.pid for p in psutil.process_iter() if _runs(p, "IRkernel::main")}


@pytest.mark.browser
def test_r_notebook_shows_plots_tables_math_and_markdown(serve, page, page_log, tmp_path) -> None:
    nb = write_notebook(tmp_path / "r-app" / "report.ipynb", R_DASHBOARD, metadata=R)
    app = serve(nb, "--query", "region=north")
    page.goto(app.url)
    wait_state(page, "done", timeout=90)
    png = page.locator("img[src^='data:image/png']")
    assert png.count() == 1
    assert page.evaluate("document.querySelector(\"img[src^='data:image/png']\").naturalWidth") > 0
    table = page.locator("table.dataframe")  # repr's HTML: a caption and a row of types
    words = table.inner_text().split()
    assert words[:4] == ["A", "data.frame:", "3", "\u00d7"]
    assert words[-8:] == ["<chr>", "<int>", "apple", "3", "pear", "5", "plum", "8"]
    page.wait_for_selector("mjx-container", timeout=30_000)  # the LaTeX, typeset offline
    assert page.locator("strong", has_text="bold").count() == 1
    svg = ".jp-RenderedSVG img[src^='data:image/svg+xml']"  # as nbconvert shows Python's
    assert page.locator(svg).count() == 1
    assert page.evaluate(f'document.querySelector("{svg}").naturalWidth') > 0
    body = page.inner_text("body")
    assert "query: region=north folder: r-app" in body
    assert "plot(" not in page.content()  # sources never reach the page
    assert not page_log.console_errors, page_log.console_errors
    app.close()
    assert app.stderr == ""  # a normal run says nothing more (R's or IRkernel's included)


def test_r_export_writes_the_outputs(tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "report.ipynb", R_DASHBOARD[:2], metadata=R)
    out = tmp_path / "report.html"
    done = subprocess.run(
        [NBAPP, "export", str(nb), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    html = out.read_text(encoding="utf-8")
    assert html.count('src="data:image/png;base64,') == 1
    assert "<td>apple</td><td>3</td>" in html and 'data-nbapp-state="done"' in html
    assert done.stderr.splitlines()[-1].startswith("nbapp: wrote"), done.stderr


@pytest.mark.parametrize(
    ("metadata", "spawn"),
    [
        (R, "system('sleep 300', wait = FALSE)\ncat('started')"),
        # bash_kernel's shell runs in a session of its own (pexpect's pty): not in the group.
        (BASH, "sleep 300 &\necho started"),
    ],
    ids=["R", "bash"],
)
def test_sigkill_of_nbapp_leaves_no_kernel_process(serve, tmp_path, metadata, spawn) -> None:
    app = serve(write_notebook(tmp_path / "nb.ipynb", [spawn], metadata=metadata))
    read_events(app, state_is("done"), timeout=90)
    supervisor = supervisors(app)[0]
    runtime = runtime_dir_of(supervisor)
    everything = descendants(app.proc.pid)
    assert len(everything) >= 3  # supervisor, kernel, the cell's sleep (and bash's shell)
    assert any(_runs(p, "sleep 300") for p in everything)
    app.stop(signal.SIGKILL)
    wait_for(lambda: gone(everything), 10, "the kernel and everything it started to exit")
    wait_for(lambda: not runtime.exists(), 5, "the runtime dir to be removed")


def test_sigterm_stops_the_r_kernel_and_its_children(serve, tmp_path) -> None:
    spawn = "system('sleep 300', wait = FALSE)\ncat('started')"
    app = serve(write_notebook(tmp_path / "nb.ipynb", [spawn], metadata=R))
    read_events(app, state_is("done"), timeout=90)
    runtime = runtime_dir_of(supervisors(app)[0])
    # Private, as for Python: owner-only directory, connection file (its key) 0600.
    assert runtime.name.startswith("nbapp-") and runtime.stat().st_uid == os.getuid()
    assert stat.S_IMODE(runtime.stat().st_mode) & 0o777 == 0o700
    assert stat.S_IMODE((runtime / "kernel.json").stat().st_mode) == 0o600
    everything = descendants(app.proc.pid)
    assert app.stop(signal.SIGTERM) == 0
    wait_for(lambda: gone(everything), 10, "the kernel and its children to exit")
    assert not runtime.exists()
    assert "Traceback" not in app.stderr, app.stderr


def test_r_cell_over_the_timeout_is_interrupted_not_killed(serve, tmp_path) -> None:
    nb = write_notebook(tmp_path / "nb.ipynb", ["Sys.sleep(300)", "cat('never')"], metadata=R)
    app = serve(nb, "--timeout", "3")
    events = read_events(app, lambda e: e.get("type") == "status" and e["state"] != "running", 90)
    assert events[-1]["state"] == "error"
    assert "Cell 1 timed out after 3 s" in events[-1]["message"]
    kernel = wait_for(r_kernel_of(app), 10, "the R kernel")
    assert kernel.is_running()

    # The kernel answers again (it is single-threaded: a sleeping R would not), so SIGINT
    # reached R itself through the supervisor's process group and ended the sleep.
    async def ask() -> list[dict[str, Any]]:
        ws = await connect(app)
        info = message("kernel_info_request")
        await ws.write_message(json.dumps(info))
        frames = await replies_until(ws, info["header"]["msg_id"], timeout=20)
        await close(ws)
        return frames

    frames = run_async(ask())
    assert frames[-1]["content"]["language_info"]["name"] == "R"
    assert "never" not in json.dumps(read_events(app, state_is("error")))


def r_kernel_of(app: Running) -> Any:
    return lambda: next((p for p in descendants(app.proc.pid) if _runs(p, "IRkernel")), None)


@pytest.mark.browser
def test_dead_r_kernel_is_shown_and_restart_runs_again(serve, page, page_log, tmp_path) -> None:
    dies_once = (
        "if (!file.exists('ran-once')) {\n  file.create('ran-once')\n"
        "  tools::pskill(Sys.getpid(), tools::SIGKILL)\n}\ncat('alive')"
    )
    app = serve(write_notebook(tmp_path / "nb.ipynb", [dies_once], metadata=R))
    page.goto(app.url)
    wait_state(page, "dead", timeout=90)
    assert "kernel stopped" in page.inner_text(".nbapp-status-text").lower()
    page.get_by_role("button", name="Restart").click()
    wait_state(page, "done", timeout=90)
    assert "alive" in page.inner_text("body")
    assert len(supervisors(app)) == 1  # the dead kernel's supervisor is gone too
    assert not page_log.console_errors, page_log.console_errors


def test_execute_request_from_the_page_does_not_reach_the_r_kernel(serve, tmp_path) -> None:
    probe = tmp_path / "probe-created"
    app = serve(write_notebook(tmp_path / "nb.ipynb", ["x <- 1"], metadata=R))
    read_events(app, state_is("done"), timeout=90)

    async def scenario() -> list[dict[str, Any]]:
        ws = await connect(app)
        code = f"writeLines('ran', {json.dumps(str(probe))})"
        request = {"code": code, "silent": False, "store_history": True}
        await ws.write_message(json.dumps(message("execute_request", request)))
        # The shell answers in order: once this reply is back, an execute would have run.
        info = message("kernel_info_request")
        await ws.write_message(json.dumps(info))
        frames = await replies_until(ws, info["header"]["msg_id"], timeout=20)
        await close(ws)
        return frames

    frames = run_async(scenario())
    assert [f["msg_type"] for f in frames if f.get("channel") == "shell"] == ["kernel_info_reply"]
    kinds = {f.get("msg_type") for f in frames}
    assert kinds.isdisjoint({"execute_input", "stream", "execute_result", "execute_reply"})
    assert not probe.exists()


@pytest.mark.browser
def test_bash_notebook_runs_on_bash_kernel(serve, page, page_log, tmp_path) -> None:
    nb = write_notebook(
        tmp_path / "sh" / "nb.ipynb",
        [
            "echo hello from $(basename $PWD)",
            'echo "query=$QUERY_STRING"',
            'echo "config=$JUPYTER_CONFIG_DIR nbapp-variables=$(env | grep -c ^NBAPP_)"',
        ],
        metadata=BASH,
    )
    app = serve(nb, "--query", "a=1")
    page.goto(app.url)
    wait_state(page, "done", timeout=60)
    body = page.inner_text("body")
    assert "hello from sh" in body and "query=a=1" in body
    # No Jupyter configuration of the user's: the private runtime dir's; nbapp's own variables
    # (the supervisor's) stay out of the kernel's environment.
    config = body.split("config=")[1].split()[0]
    assert Path(config).parent.name.startswith("nbapp-")
    assert "nbapp-variables=0" in body
    assert not page_log.console_errors, page_log.console_errors


def run_nbapp(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [NBAPP, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.mark.parametrize("command", ["run", "export"])
def test_missing_cpp_kernel_is_one_line_naming_it_and_what_is_installed(
    tmp_path: Path, command: str
) -> None:
    nb = write_notebook(tmp_path / "cpp.ipynb", ['std::cout << "hi";'], metadata=CPP)
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    done = run_nbapp(command, *(["--no-window"] if command == "run" else []), str(nb))
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"nbapp: error: {nb}: the C++17 kernel 'xcpp17' is not installed")
    for installed in ("ir (R)", "bash (bash)", "python3 (python)"):
        assert installed in lines[0]
    assert done.stdout == ""
    assert {p.pid for p in psutil.Process().children(recursive=True)} <= before


def test_unknown_kernel_option_is_refused(tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "nb.ipynb", ["1"])
    done = run_nbapp("run", "--no-window", "--kernel", "nosuch", str(nb))
    assert done.returncode == 2
    assert done.stderr.startswith("nbapp: error: --kernel: the kernel 'nosuch' is not installed")


def test_kernel_option_runs_a_notebook_on_another_kernel(serve, tmp_path) -> None:
    """--kernel wins over the metadata: an R notebook's cell run by bash."""
    nb = write_notebook(tmp_path / "nb.ipynb", ["echo from-bash"], metadata=R)
    app = serve(nb, "--kernel", "bash")
    events = read_events(app, state_is("done"), timeout=60)
    assert any("from-bash" in e.get("html", "") for e in events)


def test_language_info_alone_finds_the_kernel(serve, tmp_path) -> None:
    """No kernelspec, only language_info (as some tools write): the installed R kernel."""
    nb = write_notebook(tmp_path / "nb.ipynb", ["cat(R.version$language)"])
    data = json.loads(nb.read_text())
    data["metadata"] = {"language_info": {"name": "R"}}
    nb.write_text(json.dumps(data))
    app = serve(nb)
    events = read_events(app, state_is("done"), timeout=90)
    assert any(">R<" in e.get("html", "") or "R</pre>" in e.get("html", "") for e in events)


def test_packaged_app_without_its_kernel_says_so_in_the_page(tmp_path: Path) -> None:
    """The packaged app's entry (unfrozen here) on a machine without the notebook's kernel:
    it serves the page, which says what is missing, instead of exiting."""
    nb = write_notebook(tmp_path / "cpp.ipynb", ['std::cout << "hi";'], metadata=CPP)
    code = (
        "import sys; from pathlib import Path; from nbapp.cli import run_packaged; "
        "sys.exit(run_packaged(Path(sys.argv[1]), 'cpp.ipynb', sys.argv[2:], 'cppapp'))"
    )
    proc = subprocess.Popen(
        [str(Path(NBAPP).with_name("python")), "-c", code, str(nb), "--no-window", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env_with(),
    )
    app = wait_serving(proc)
    try:
        events = read_events(
            app, lambda e: e.get("type") == "status" and e["state"] != "running", timeout=30
        )
        status = events[-1]
        assert status["state"] == "error"
        assert "the C++17 kernel 'xcpp17' is not installed" in status["message"]
        assert not descendants(app.proc.pid)  # no kernel, nothing started
    finally:
        app.close()


# --- nbapp package: the app starts the R installed on the target machine ----------------------
def start_packaged(executable: Path, home: Path, *args: str) -> tuple[subprocess.Popen[str], str]:
    """Start a built app with a bare environment (PATH=/usr/bin:/bin: R is found there)."""
    home.mkdir(exist_ok=True)
    proc = subprocess.Popen(
        ["env", "-i", "PATH=/usr/bin:/bin", f"HOME={home}", str(executable), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        running = wait_serving(proc, timeout=90)
    except AssertionError:
        proc.communicate(timeout=10)
        raise
    return proc, running.url


def test_package_depends_needs_a_deb_and_debian_names(tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "nb.ipynb", ["1"], metadata=R)
    for args, problem in (
        (["--depends", "r-cran-irkernel"], "--depends names Debian packages: use it with"),
        (["--installer", "deb", "--depends", "R kernel!"], "--depends 'R kernel!': not a Debian"),
    ):
        done = run_nbapp("package", str(nb), "-o", str(tmp_path / "dist"), *args)
        assert done.returncode == 2, done.stderr
        assert done.stderr.startswith(f"nbapp: error: {problem}"), done.stderr
        assert not (tmp_path / "dist").exists()


def test_package_of_a_notebook_whose_kernel_is_missing_stops_at_once(tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "cpp.ipynb", ['std::cout << "hi";'], metadata=CPP)
    done = run_nbapp("package", str(nb), "-o", str(tmp_path / "dist"), "--no-window-support")
    assert done.returncode == 2
    assert "the C++17 kernel 'xcpp17' is not installed" in done.stderr
    assert not (tmp_path / "dist").exists()


@pytest.mark.slow
@pytest.mark.browser
def test_packaged_r_notebook_runs_on_the_installed_r_and_dies_with_the_app(
    tmp_path: Path, page, page_log
) -> None:
    pytest.importorskip("PyInstaller")
    nb = write_notebook(tmp_path / "project" / "rapp.ipynb", R_DASHBOARD[:3], metadata=R)
    dist = tmp_path / "dist"
    options = ["--no-window-support", "--installer", "deb", "--depends", "r-cran-irkernel"]
    built = subprocess.run(
        [NBAPP, "package", str(nb), "-o", str(dist), *options],
        cwd=tmp_path,
        env=env_with(XDG_CACHE_HOME=str(tmp_path / "cache")),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    assert "[4/5] smoke test: done in" in built.stderr, built.stderr  # it ran R, here
    deb = next(dist.glob("rapp_1.0.0_*.deb"))
    depends = subprocess.run(
        ["dpkg-deb", "--field", str(deb), "Depends"], capture_output=True, text=True, check=True
    )
    assert depends.stdout.strip() == "libc6, r-cran-irkernel"

    executable = dist / "rapp" / "rapp"
    proc, url = start_packaged(executable, tmp_path / "home", "--no-window", "--port", "0")
    try:
        page.goto(url)
        wait_state(page, "done", timeout=90)
        assert page.locator("img[src^='data:image/png']").count() == 1
        assert "pear" in page.inner_text("table.dataframe")
        page.wait_for_selector("mjx-container", timeout=30_000)
        assert not page_log.console_errors, page_log.console_errors
        family = descendants(proc.pid)
        assert any(_runs(p, "--nbapp-supervise") for p in family)
        assert any(_runs(p, "IRkernel::main") for p in family)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        wait_for(lambda: gone(family), 15, "R and its supervisor to exit after SIGKILL")
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)

    # The same app where its kernel is not installed (named here with --kernel): the page says
    # so, nothing crashes, no kernel starts.
    proc, url = start_packaged(
        executable, tmp_path / "home", "--no-window", "--port", "0", "--kernel", "xcpp17"
    )
    try:
        page.goto(url)
        wait_state(page, "error", timeout=30)
        status = page.inner_text(".nbapp-status-text")
        assert "cannot run here" in status and "'xcpp17' is not installed" in status, status
        assert not descendants(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        proc.communicate(timeout=10)


# --- the supervisor on its own ----------------------------------------------------------------
SUPERVISOR = [str(Path(NBAPP).with_name("python")), "-m", "nbapp.kernel.supervisor"]


def test_supervisor_exits_with_its_kernel_and_takes_what_it_left(tmp_path: Path) -> None:
    """A kernel that exits (a shutdown request, a crash): its leftovers go with it, even one
    that started a session of its own; the exit code is the kernel's."""
    script = "sleep 300 & echo $!; setsid sleep 301 & echo $!; exit 3"
    done = subprocess.run(
        [*SUPERVISOR, "sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=30,
        start_new_session=True,  # as jupyter_client launches it
        check=False,
    )
    assert done.returncode == 3, done.stderr
    leftovers = [int(pid) for pid in done.stdout.split()]
    assert len(leftovers) == 2
    wait_for(lambda: not any(psutil.pid_exists(p) for p in leftovers), 5, "the leftovers to go")


def test_supervisor_of_a_vanished_nbapp_starts_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "started"
    done = subprocess.run(
        [*SUPERVISOR, "touch", str(marker)],
        env=env_with(NBAPP_PARENT_PID="1"),  # not its parent: nbapp died before it began
        capture_output=True,
        timeout=30,
        start_new_session=True,
        check=False,
    )
    assert done.returncode != 0
    assert not marker.exists()


def test_installed_kernel_gets_the_users_library_path_in_a_packaged_app() -> None:
    from nbapp.kernel.supervisor import kernel_env

    frozen = {
        "LD_LIBRARY_PATH": "/tmp/_MEI123",
        "LD_LIBRARY_PATH_ORIG": "/opt/R/lib",
        "_PYI_APPLICATION_HOME_DIR": "/tmp/_MEI123",
        "NBAPP_RUNTIME_DIR": "/tmp/nbapp-x",
        "QUERY_STRING": "a=1",
    }
    assert kernel_env(frozen, frozen=True) == {
        "LD_LIBRARY_PATH": "/opt/R/lib",
        "QUERY_STRING": "a=1",
    }
    no_user_path = {"LD_LIBRARY_PATH": "/tmp/_MEI123", "PATH": "/usr/bin"}
    assert kernel_env(no_user_path, frozen=True) == {"PATH": "/usr/bin"}
    assert kernel_env(no_user_path, frozen=False) == no_user_path
