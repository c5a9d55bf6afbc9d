"""The packaged app: build time and size of `nbapp package` (folder and onefile), and its
start to first output, measured like the others in Chromium."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser

from .page import wait_loaded, watch
from .servers import NBAPP_SERVING, Memory, memory, start_process
from .stats import summarize


@dataclass
class Build:
    kind: str  # "folder" or "onefile"
    seconds: float | None = None
    size_mb: float | None = None
    executable: Path | None = None
    error: str = ""
    first_s: list[float] = field(default_factory=list)
    done_s: list[float] = field(default_factory=list)
    memory: list[Memory] = field(default_factory=list)


def available(nbapp: Path) -> bool:
    try:
        done = subprocess.run(
            [str(nbapp), "package", "--help"], capture_output=True, timeout=60, check=False
        )
    except OSError:
        return False
    return done.returncode == 0


def _size_mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 1024**2
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1024**2


def build(nbapp: Path, notebook: Path, kind: str, workdir: Path) -> Build:
    """Build into ``workdir``; the build's caches (nbapp's and PyInstaller's) go there too,
    so the first build is cold and later ones reuse what it cached."""
    result = Build(kind)
    env = {**os.environ, "XDG_CACHE_HOME": str(workdir / "cache")}
    outdir = workdir / kind
    argv = [str(nbapp), "package", str(notebook), "-o", str(outdir)]
    if kind == "onefile":
        argv.append("--onefile")
    started = time.monotonic()
    done = subprocess.run(argv, capture_output=True, text=True, timeout=1800, check=False, env=env)
    result.seconds = time.monotonic() - started
    if done.returncode != 0:
        result.error = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return result
    target = outdir / notebook.stem
    result.size_mb = _size_mb(target)
    result.executable = target / notebook.stem if target.is_dir() else target
    return result


def measure_start(browser: Browser, app: Build, reps: int, timeout_s: float = 120) -> None:
    """Start the built app (``APP --no-window --port 0``) ``reps`` times, as the others."""
    assert app.executable is not None
    for _ in range(reps):
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        watch(page, 0)
        server = None
        try:
            server = start_process(
                f"packaged {app.kind}",
                [str(app.executable), "--no-window", "--port", "0"],
                NBAPP_SERVING,
                timeout_s,
            )
            page.goto(server.url, wait_until="commit", timeout=timeout_s * 1000)
            load = wait_loaded(page, server.started, timeout_s)
            if load.first_s is not None:
                app.first_s.append(load.first_s)
            if load.done_s is not None:
                app.done_s.append(load.done_s)
                app.memory.append(memory(server))
        except Exception as exc:  # reported in the table, not fatal
            app.error = f"{type(exc).__name__}: {exc}".splitlines()[0]
        finally:
            context.close()
            if server is not None:
                server.stop()


def measure(browser: Browser, nbapp: Path, notebook: Path, reps: int) -> list[Build]:
    builds = []
    with tempfile.TemporaryDirectory(prefix="nbapp-bench-package-") as tmp:
        for kind in ("folder", "onefile"):
            app = build(nbapp, notebook, kind, Path(tmp))
            if app.executable is not None:
                measure_start(browser, app, reps)
            app.executable = None  # gone with the temporary directory
            builds.append(app)
    return builds


def _range(values: list[float], digits: int) -> str:
    summary = summarize(values)
    if summary is None:
        return "n/a"
    return f"{summary.median:.{digits}f} ({summary.low:.{digits}f}-{summary.high:.{digits}f})"


def table(builds: list[Build], notebook: str) -> list[str]:
    lines = [
        f"`nbapp package {notebook}` with default options (on Linux the window is the system's"
        " WebKitGTK: the app carries PyGObject, not a web view; the build time includes the"
        " build's own discovery run and smoke test). The folder is"
        " built first with empty caches (a first build); the onefile build after it reuses"
        " those caches. The built app is started as `APP --no-window --port 0` and opened in"
        " Chromium like the rows above.",
        "",
        "| build | build time (s) | size (MB) | start to first output (s) | start to done (s) |"
        " RSS app + kernel (MB) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for app in builds:
        seconds = f"{app.seconds:.0f}" if app.seconds is not None else "n/a"
        if app.error:
            seconds += f" (failed: {app.error})"
        size = f"{app.size_mb:.0f}" if app.size_mb is not None else "n/a"
        rss = _range([m.total_mb for m in app.memory], 0)
        row = (
            f"| {app.kind} | {seconds} | {size} | {_range(app.first_s, 2)} |"
            f" {_range(app.done_s, 2)} | {rss} |"
        )
        lines.append(row)
    return lines


NOT_MEASURED = [
    "**Not measured yet**: `nbapp package` was not available to this run"
    " (`nbapp package --help` failed), or the run was asked to skip it (`--no-package`).",
]
