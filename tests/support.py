"""Helpers shared by the tests: building notebooks, running nbapp, watching its processes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import nbformat
import psutil
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

T = TypeVar("T")

NBAPP = str(Path(sys.executable).with_name("nbapp"))
SERVING = re.compile(
    r"^nbapp: serving (?P<nb>.+) at (?P<url>http://127\.0\.0\.1:(?P<port>\d+)/\?token=(?P<token>\S+))$"
)
PYTHON_KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


@dataclass(frozen=True)
class Md:
    """A markdown cell in a notebook built by ``write_notebook``."""

    source: str
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Code:
    """A code cell with tags or cell metadata (a plain string is a code cell without)."""

    source: str
    tags: tuple[str, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)


def _cell(cell: str | Md | Code) -> nbformat.NotebookNode:
    if isinstance(cell, str):
        return new_code_cell(cell)
    metadata = {**getattr(cell, "metadata", {}), **({"tags": list(cell.tags)} if cell.tags else {})}
    if isinstance(cell, Md):
        return new_markdown_cell(cell.source, metadata=metadata)
    return new_code_cell(cell.source, metadata=metadata)


def write_notebook(
    path: Path, cells: Iterable[str | Md | Code], *, metadata: dict[str, Any] | None = None
) -> Path:
    """A notebook at ``path``: strings are code cells, ``Md`` are markdown cells."""
    nb = new_notebook(
        cells=[_cell(c) for c in cells],
        metadata={"kernelspec": PYTHON_KERNELSPEC, **(metadata or {})},
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.1) -> Any:
    """Poll ``predicate`` until it returns something truthy, or fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


@dataclass
class Running:
    """An ``nbapp run`` subprocess that has printed its serving line."""

    proc: subprocess.Popen[str]
    url: str
    port: int
    token: str
    stderr_lines: list[str] = field(default_factory=list)
    stderr_reader: threading.Thread | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    def kernels(self) -> list[psutil.Process]:
        """The kernel processes this app started (children running nbapp.kernel.main)."""
        try:
            children = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []
        return [p for p in children if _is_kernel(p)]

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 20) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signum)
        return self.proc.wait(timeout)

    def close(self) -> None:
        """Stop the app if it still runs (as a user would, SIGTERM; SIGKILL if that fails) and
        release its pipes. A plain SIGKILL left the runtime directory of an app whose kernel
        had already died in /tmp: nothing is left to remove it."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc.wait(10)
        if self.stderr_reader is not None:
            self.stderr_reader.join(10)  # EOF once the app (and the kernel holding stderr) is gone
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                pipe.close()

    @property
    def stderr(self) -> str:
        return "".join(self.stderr_lines)


def _is_kernel(proc: psutil.Process) -> bool:
    try:
        return "nbapp.kernel.main" in " ".join(proc.cmdline())
    except psutil.Error:
        return False


def kernel_runtime_dir(kernel: psutil.Process) -> Path:
    """The private runtime dir, from the kernel's ``-f <dir>/kernel.json`` argument."""
    args = kernel.cmdline()
    return Path(args[args.index("-f") + 1]).parent


def start_nbapp(
    notebook: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> Running:
    """Start ``nbapp run --no-window --port 0 NOTEBOOK ARGS`` and wait for its serving line."""
    proc = subprocess.Popen(
        [NBAPP, "run", "--no-window", "--port", "0", str(notebook), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    return wait_serving(proc, timeout)


def wait_serving(proc: subprocess.Popen[str], timeout: float = 60) -> Running:
    """Wait for a started nbapp's serving line; kill it and fail if none comes."""
    stderr_lines: list[str] = []
    assert proc.stderr is not None and proc.stdout is not None
    stderr_reader = threading.Thread(target=_drain, args=(proc.stderr, stderr_lines), daemon=True)
    stderr_reader.start()
    line_box: list[str] = []
    reader = threading.Thread(target=lambda: line_box.append(proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout)
    line = line_box[0].rstrip("\n") if line_box else ""
    match = SERVING.match(line)
    if not match:
        proc.kill()
        proc.wait()
        raise AssertionError(
            f"nbapp did not print its serving line; got {line!r}; stderr: {''.join(stderr_lines)}"
        )
    return Running(
        proc, match["url"], int(match["port"]), match["token"], stderr_lines, stderr_reader
    )


def _drain(pipe: Any, into: list[str]) -> None:
    with contextlib.suppress(ValueError, OSError):
        for line in pipe:
            into.append(line)


def descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def gone(procs: Iterable[psutil.Process]) -> bool:
    return all(not p.is_running() or p.status() == psutil.STATUS_ZOMBIE for p in procs)


def env_with(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    return env


def wait_state(page: Any, state: str, timeout: float = 60) -> None:
    """Wait until the page's ``<body data-nbapp-state>`` is ``state`` (a Playwright Page)."""
    page.wait_for_selector(
        f'body[data-nbapp-state="{state}"]', timeout=timeout * 1000, state="attached"
    )


WIDGET_TIMEOUT_MS = 20_000


def open_dashboard(page: Any, url: str) -> None:
    """Load the page and wait until every cell has run (a Playwright Page)."""
    page.goto(url)
    wait_state(page, "done")


def text_becomes(page: Any, selector: str, text: str) -> None:
    """Wait until the element's text contains ``text`` (a state change made in the kernel)."""
    page.wait_for_function(
        "([sel, text]) => (document.querySelector(sel)?.textContent || '').includes(text)",
        arg=[selector, text],
        timeout=WIDGET_TIMEOUT_MS,
    )


def read_events(
    running: Running, until: Callable[[dict[str, Any]], bool], timeout: float = 60
) -> list[dict[str, Any]]:
    """Read the app's event stream (as the page does) until ``until(event)`` holds."""
    import http.client
    import json

    conn = http.client.HTTPConnection("127.0.0.1", running.port, timeout=timeout)
    try:
        conn.request("GET", "/nbapp/api/events", headers=running.auth)
        response = conn.getresponse()
        assert response.status == 200, response.status
        events: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = response.fp.readline().decode()
            if not line:
                break
            if line.startswith("data: "):
                events.append(json.loads(line[len("data: ") :]))
                if until(events[-1]):
                    return events
        raise AssertionError(f"event stream ended or timed out; last events: {events[-3:]}")
    finally:
        conn.close()


def state_is(state: str) -> Callable[[dict[str, Any]], bool]:
    return lambda event: event.get("type") == "status" and event.get("state") == state


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on a thread of its own: Playwright's sync API keeps a loop running on
    the main thread while its session fixture lives."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()
