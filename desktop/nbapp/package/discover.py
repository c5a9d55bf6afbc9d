"""Stage 1: run the notebook once in the build environment and record what it really used.

A Python notebook runs on a recording kernel (``nbapp.package.recorder``): modules imported by
its cells (a ``sys.modules`` diff), files it opened in its own folder (an audit hook on
``open``), and the widget front-end modules its widgets named (``_model_module``/``_view_module``
of each ``comm_open``). Another language runs once on its installed kernel, to check it runs.
A failing cell stops the build here, naming the cell.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell

from nbapp.errors import NbappError, NotebookError
from nbapp.kernel.channels import CLIENT_CLASS
from nbapp.kernel.early import isolated_env
from nbapp.kernel.specs import ForeignKernel
from nbapp.notebook import Notebook

# Front-end modules built into the page's widget bundle; nothing to collect for them.
BUILTIN_WIDGET_MODULES = ("@jupyter-widgets/",)
_SKIPPED_PARTS = {"__pycache__", ".ipynb_checkpoints", ".git"}
DEFAULT_CELL_TIMEOUT = 600


class CellFailedError(NotebookError):
    """A cell of the user's notebook failed at build time (exit 2: the notebook's fault)."""

    def __init__(self, path: Path, number: int, detail: str) -> None:
        super().__init__(path, f"cell {number} failed while discovering what it uses: {detail}")
        self.number = number


@dataclass
class Discovery:
    """What one build-time run of the notebook used and showed."""

    notebook: Notebook
    modules: list[str] = field(default_factory=list)
    # What the kernel imported before the first cell: needed by every app's kernel.
    kernel_modules: list[str] = field(default_factory=list)
    data_files: list[Path] = field(default_factory=list)  # relative to the notebook's folder
    widget_modules: list[str] = field(default_factory=list)
    executed: NotebookNode | None = None  # the notebook with the build-time outputs
    widget_state: dict[str, Any] = field(default_factory=dict)  # as the run left it

    @property
    def top_level_packages(self) -> list[str]:
        return sorted({m.split(".")[0] for m in self.modules})


class _RecordingSpecManager(KernelSpecManager):
    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        argv = [sys.executable, "-m", "nbapp.package.recorder", "-f", "{connection_file}"]
        return KernelSpec(argv=argv, display_name="Python (nbapp build)", language="python")


def discover(
    notebook: Notebook, *, cell_timeout: float | None = None, kernel: ForeignKernel | None = None
) -> Discovery:
    """``kernel``: the installed kernel a non-Python notebook runs on (None: Python)."""
    timeout = cell_timeout or DEFAULT_CELL_TIMEOUT
    if kernel is not None:
        return asyncio.run(_run_on_installed_kernel(notebook, kernel, timeout))
    return asyncio.run(_discover(notebook, timeout))


async def _run_on_installed_kernel(
    notebook: Notebook, kernel: ForeignKernel, cell_timeout: float
) -> Discovery:
    """A non-Python notebook: its app freezes nbapp only and, on the target machine, starts the
    kernel installed there, so there are no imports to record. The run checks that every cell
    runs on that kernel here and gives the smoke test the outputs to expect. Files the cells
    read cannot be seen from outside the kernel: --include them."""
    from nbapp.kernel.execute import CellRunner, Outcome
    from nbapp.kernel.private import PrivateKernel
    from nbapp.settings import DEFAULT_MAX_OUTPUT_BYTES

    executed = _copy(notebook.node)
    private = PrivateKernel(cwd=notebook.folder, foreign=kernel)
    runner: CellRunner | None = None
    try:
        await private.start()
        runner = CellRunner(
            executed, private, cell_timeout=cell_timeout, max_output_bytes=DEFAULT_MAX_OUTPUT_BYTES
        )
        await runner.connect()
        for index in notebook.code_cell_indices:
            result = await runner.run(index)
            if result.outcome is Outcome.OK:
                continue
            detail = {
                Outcome.TIMEOUT: f"no result after {cell_timeout:g} s",
                Outcome.DEAD: "the kernel died",
            }.get(result.outcome, f"{result.error_name}: {result.error_value}")
            raise CellFailedError(notebook.path, index + 1, detail)
        widget_state = runner.widget_state()
    finally:
        if runner is not None:
            runner.close()
        await private.shutdown()
    return Discovery(
        notebook=notebook, widget_modules=_widget_modules(widget_state), executed=executed
    )


async def _discover(notebook: Notebook, cell_timeout: float) -> Discovery:
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    runtime = Path(tempfile.mkdtemp(prefix="nbapp-build-"))
    quiet = logging.getLogger("nbapp.package.nbclient")
    quiet.setLevel(logging.CRITICAL)  # jupyter_client's zmq clean-up chatter
    report_file = runtime / "report.json"
    executed = _copy(notebook.node)
    manager = AsyncKernelManager(
        kernel_spec_manager=_RecordingSpecManager(),
        connection_file=str(runtime / "kernel.json"),
        transport="ipc",
        ip=str(runtime / "kernel"),
        log=quiet,
        client_class=CLIENT_CLASS,  # see nbapp.kernel.channels
    )
    client = NotebookClient(
        executed,
        km=manager,
        log=quiet,
        timeout=cell_timeout,
        allow_errors=False,
        resources={"metadata": {"path": str(notebook.folder)}},
    )
    env = isolated_env(runtime, "")
    env.pop("NBAPP_PARENT_PID", None)  # the recorder has no nbapp parent to watch
    try:
        # The kernel's own stderr (ipykernel's shutdown notices) stays out of the progress.
        async with client.async_setup_kernel(
            env=env, cwd=str(notebook.folder), stderr=subprocess.DEVNULL
        ):
            await _run_hidden(client, executed, _MARK)
            for index, cell in enumerate(executed.cells):
                if cell.cell_type != "code" or not cell.source.strip():
                    continue
                try:
                    await client.async_execute_cell(cell, index)
                except CellExecutionError as exc:
                    raise CellFailedError(
                        notebook.path, index + 1, f"{exc.ename}: {exc.evalue}"
                    ) from None
                except CellTimeoutError:
                    raise CellFailedError(
                        notebook.path, index + 1, f"no result after {cell_timeout:g} s"
                    ) from None
                except DeadKernelError:
                    raise CellFailedError(notebook.path, index + 1, "the kernel died") from None
            await _run_hidden(client, executed, _report_code(report_file))
            widget_state = _saved_widget_state(client, executed)
        report = _read_report(report_file)
    finally:
        shutil.rmtree(runtime, ignore_errors=True)
    return Discovery(
        notebook=notebook,
        modules=_user_modules(report["modules"]),
        kernel_modules=_user_modules(report.get("kernel_modules", [])),
        data_files=_data_files(notebook, report["files"]),
        widget_modules=_widget_modules(client.widget_state),
        executed=executed,
        widget_state=widget_state,
    )


def _saved_widget_state(client: Any, executed: NotebookNode) -> dict[str, Any]:
    """The widgets' state in the notebook format (what a page restores saved widgets from)."""
    from nbapp.kernel.execute import WIDGET_STATE_MIME

    client.set_widgets_metadata()
    state: dict[str, Any] = executed.metadata.get("widgets", {}).get(WIDGET_STATE_MIME, {})
    return state


async def _run_hidden(client: Any, executed: NotebookNode, source: str) -> None:
    """Run code that is not the notebook's: nbclient stores a cell back at its index, so it
    gets an index of its own past the end, removed again afterwards."""
    executed.cells.append(new_code_cell(source))
    try:
        await client.async_execute_cell(executed.cells[-1], len(executed.cells) - 1)
    finally:
        executed.cells.pop()


_MARK = "import nbapp.package.recorder as _r; _r.mark(); del _r"


def _report_code(path: Path) -> str:
    return f"import nbapp.package.recorder as _r; _r.report({str(path)!r}); del _r"


def _copy(node: NotebookNode) -> NotebookNode:
    import copy

    return copy.deepcopy(node)


def _read_report(path: Path) -> dict[str, Any]:
    import json

    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise NbappError(f"the build-time kernel did not report what it used: {exc}") from exc
    return data


def _user_modules(modules: list[str]) -> list[str]:
    return [
        m
        for m in modules
        if not m.startswith(("nbapp.package", "__main__", "__mp_main__", "_frozen_importlib"))
    ]


def _data_files(notebook: Notebook, opened: list[list[Any]]) -> list[Path]:
    """Files that existed in the notebook's folder and were opened for reading only."""
    folder = notebook.folder.resolve()
    found: set[Path] = set()
    for name, reads_only in opened:
        path = Path(name).resolve()
        if not reads_only or not path.is_file() or path == notebook.path.resolve():
            continue
        try:
            relative = path.relative_to(folder)
        except ValueError:
            continue
        if _SKIPPED_PARTS.isdisjoint(relative.parts) and path.suffix not in {".pyc"}:
            found.add(relative)
    return sorted(found)


def _widget_modules(widget_state: dict[str, Any]) -> list[str]:
    names: set[str] = set()
    for state in widget_state.values():
        for key in ("_model_module", "_view_module"):
            value = state.get(key) if isinstance(state, dict) else None
            if isinstance(value, str) and value and not value.startswith(BUILTIN_WIDGET_MODULES):
                names.add(value)
    return sorted(names)
