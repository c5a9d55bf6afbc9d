"""Stage 4: start the built app headless, wait for ``done``, compare with the build-time run.

The app is started as a user would script it (``APP --no-window --port 0``) with the build's
virtualenv and Python variables removed from its environment. Its serving line gives the URL;
its event stream (what the page reads) gives each cell's HTML and the final state. Each shown
cell must hold the same kinds of output, in the same order, as the build-time run rendered by
the same renderer; any error or difference fails the build.
"""

from __future__ import annotations

import contextlib
import html
import http.client
import json
import os
import re
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from nbapp.errors import NbappError
from nbapp.package.discover import Discovery
from nbapp.page.layout import parts, place_all
from nbapp.page.render import CellRenderer
from nbapp.page.templates import Template

SERVING = re.compile(r"^nbapp: serving .+ at http://127\.0\.0\.1:(\d+)/\?token=(\S+)$")
_OUTPUT_CLASS = re.compile(r'class="([^"]*\bjp-OutputArea-output\b[^"]*)"')
_PRE = re.compile(r"<pre>(.*?)</pre>", re.DOTALL)
_START_SECONDS = 120.0
_RUN_SECONDS = 600.0
_USER_DIRS = ("XDG_CACHE_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME")
_STRIPPED_ENV = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "CONDA_PREFIX")


class SmokeTestError(NbappError):
    """The built app did not show what the notebook showed at build time."""


@dataclass(frozen=True)
class SmokeResult:
    seconds_to_done: float
    cells_checked: int
    text_differences: list[int]  # cells whose text differs (clocks, randomness): a warning


def output_kinds(fragment: str) -> list[str]:
    """The kind of each output in a rendered cell, in order (e.g. jp-RenderedImage)."""
    kinds = []
    for match in _OUTPUT_CLASS.finditer(fragment):
        classes = [c for c in match[1].split() if c not in {"jp-OutputArea-output", "jp-mod-"}]
        kinds.append(" ".join(sorted(classes)))
    return kinds


def _texts(fragment: str) -> list[str]:
    return [html.unescape(m).strip() for m in _PRE.findall(fragment)]


Fragments = dict[tuple[int, str], str]  # (cell index, region) -> the HTML shown there


def expected_fragments(discovery: Discovery, template: Template | None = None) -> Fragments:
    """The build-time outputs, rendered as the app renders them, for each cell it shows."""
    assert discovery.executed is not None
    notebook = discovery.notebook
    only_tagged = notebook.app.mode == "tagged"
    renderer = CellRenderer(show_tracebacks=False, template=template)
    placements = place_all(discovery.executed, only_tagged=only_tagged)
    expected = {}
    for index, cell in enumerate(discovery.executed.cells):
        if cell.cell_type != "code":
            continue
        for part, where in parts(cell, placements[index], only_tagged=only_tagged):
            fields = where.template_fields(index, cell.cell_type)
            html = renderer.render(part, discovery.executed.metadata, fields)
            if html:  # the template may leave a cell out
                expected[index, where.region] = html
    return expected


def smoke_test(
    executable: Path,
    discovery: Discovery,
    template: Template | None = None,
    backend: str = "none",
) -> SmokeResult:
    """Start the built app headless with user folders of its own, and compare; first, if it
    has a window, check that the web view it was built with (``backend``: gtk, qt) loads from
    what it carries."""
    if backend in ("gtk", "qt"):
        check_window(executable, backend)
    with tempfile.TemporaryDirectory(prefix="nbapp-smoke-") as home:
        return _smoke_test(executable, discovery, Path(home), template)


def check_window(executable: Path, backend: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in _STRIPPED_ENV}
    try:
        done = subprocess.run(
            [str(executable), "--nbapp-check-window"],
            capture_output=True,
            text=True,
            env=env,
            timeout=_START_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise SmokeTestError("the built app did not finish loading its web view") from None
    loaded = done.stdout.strip()
    if done.returncode != 0 or loaded != backend:
        detail = done.stderr.strip().splitlines()[-1:] or [f"it loaded {loaded or 'nothing'}"]
        raise SmokeTestError(f"the built app cannot load its {backend} web view: {detail[0]}")


def _clean_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _STRIPPED_ENV}
    # The app's user folders (its snapshot cache, logs) are its own: it starts as on a first
    # launch after install, and leaves nothing in the builder's.
    env.update({name: str(home / name.lower()) for name in _USER_DIRS})
    return env


def _start_headless(executable: Path, home: Path) -> tuple[subprocess.Popen[str], list[str]]:
    """The built app, served headless as a fresh user would start it; its stderr lines are
    collected in the list as they come (so a full pipe never blocks it)."""
    proc = subprocess.Popen(
        [str(executable), "--no-window", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_clean_env(home),
        start_new_session=True,
    )
    stderr: list[str] = []
    threading.Thread(target=_drain, args=(proc, stderr), daemon=True).start()
    return proc, stderr


def _smoke_test(
    executable: Path, discovery: Discovery, home: Path, template: Template | None
) -> SmokeResult:
    started = time.monotonic()
    proc, stderr = _start_headless(executable, home)
    try:
        port, token = _serving(proc, stderr)
        state, cells = _events(port, token)
        seconds = time.monotonic() - started
    finally:
        _stop(proc)
    if state != "done":
        raise SmokeTestError(f"the built app ended in state {state!r}, not done")
    return _compare(expected_fragments(discovery, template), cells, seconds)


def smoke_test_folder(
    executable: Path, checks: list[tuple[Discovery, Template | None]]
) -> list[SmokeResult]:
    """Start a folder's built app headless, open each notebook from its list as the page
    does, and compare each with its build-time run."""
    with tempfile.TemporaryDirectory(prefix="nbapp-smoke-") as home:
        started = time.monotonic()
        proc, stderr = _start_headless(executable, Path(home))
        results = []
        try:
            port, token = _serving(proc, stderr)
            for discovery, template in checks:
                name = discovery.notebook.path.name
                prefix = f"/nb/{quote(name)}"
                _open(port, token, f"{prefix}/", name)
                state, cells = _events(port, token, prefix)
                if state != "done":
                    raise SmokeTestError(f"{name} ended in state {state!r} in the built app")
                seconds = time.monotonic() - started
                results.append(_compare(expected_fragments(discovery, template), cells, seconds))
                started = time.monotonic()
        finally:
            _stop(proc)
    return results


def _open(port: int, token: str, path: str, name: str) -> None:
    """GET a folder app's notebook page, which starts its kernel."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=_START_SECONDS)
    try:
        conn.request("GET", path, headers={"Authorization": f"token {token}"})
        status = conn.getresponse().status
    except OSError as exc:
        raise SmokeTestError(f"could not open {name} in the built app: {exc}") from exc
    finally:
        conn.close()
    if status != 200:
        raise SmokeTestError(f"the built app's list could not open {name} ({status})")


def _drain(proc: subprocess.Popen[str], into: list[str]) -> None:
    with contextlib.suppress(ValueError, OSError):
        for line in proc.stderr or []:
            into.append(line)


def _serving(proc: subprocess.Popen[str], stderr: list[str]) -> tuple[int, str]:
    box: list[str] = []
    reader = threading.Thread(
        target=lambda: box.append(proc.stdout.readline() if proc.stdout else ""), daemon=True
    )
    reader.start()
    reader.join(_START_SECONDS)
    match = SERVING.match(box[0].strip()) if box else None
    if match is None:
        time.sleep(0.5)
        tail = "".join(stderr[-5:]).strip() or "(nothing on stderr)"
        raise SmokeTestError(
            f"the built app printed no serving line within {_START_SECONDS:g} s; stderr: {tail}"
        )
    return int(match[1]), match[2]


def _events(port: int, token: str, prefix: str = "") -> tuple[str, Fragments]:
    """Read the event stream until the run ends; the final state and each cell's HTML.
    ``prefix``: where a folder app's notebook has its routes (``/nb/NAME``)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=_RUN_SECONDS)
    cells: Fragments = {}
    try:
        headers = {"Authorization": f"token {token}"}
        conn.request("GET", f"{prefix}/nbapp/api/events", headers=headers)
        response = conn.getresponse()
        if response.status != 200:
            raise SmokeTestError(f"the built app's event stream answered {response.status}")
        deadline = time.monotonic() + _RUN_SECONDS
        while time.monotonic() < deadline:
            line = response.fp.readline().decode()
            if not line:
                break
            if not line.startswith("data: "):
                continue
            event: dict[str, Any] = json.loads(line[len("data: ") :])
            if event.get("type") == "reset":
                cells.clear()
            elif event.get("type") == "cell" and not event.get("snapshot"):  # live only
                cells[int(event["index"]), str(event.get("region", "main"))] = str(event["html"])
            elif event.get("type") == "status" and event.get("state") != "running":
                if event.get("state") != "done":
                    raise SmokeTestError(f"the built app stopped: {event.get('message')}")
                return "done", cells
        raise SmokeTestError("the built app's event stream ended before the run finished")
    except OSError as exc:
        raise SmokeTestError(f"could not read the built app's events: {exc}") from exc
    finally:
        conn.close()


def _compare(expected: Fragments, actual: Fragments, seconds: float) -> SmokeResult:
    differing_text: list[int] = []
    for key, fragment in expected.items():
        index = key[0]
        want = output_kinds(fragment)
        got = output_kinds(actual.get(key, ""))
        if want != got:
            raise SmokeTestError(
                f"cell {index + 1} shows different outputs in the built app: expected "
                f"{want or 'none'}, got {got or 'none'} (a module or data file may be missing; "
                "try --include)"
            )
        if _texts(fragment) != _texts(actual.get(key, "")):
            differing_text.append(index + 1)
    return SmokeResult(seconds, len(expected), differing_text)


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.terminate()  # SIGTERM: the app shuts its kernel down
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    for pipe in (proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()
