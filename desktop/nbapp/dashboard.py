"""The live dashboard: runs the notebook on the private kernel and keeps what the page shows.

One Dashboard per app. Pages subscribe to its events; a page that connects late (or reloads)
first gets everything rendered so far, so a reload reconnects to the live session instead of
starting a second kernel.

A dashboard may start from a snapshot of an earlier run (``nbapp.state.snapshot``): until its run
ends, the page shows each cell's snapshot where no live output has replaced it yet, marked as
such; a finished run becomes the next start's snapshot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

from nbformat import NotebookNode

from nbapp import startup
from nbapp.errors import KernelError
from nbapp.kernel.early import EarlyKernel
from nbapp.kernel.preload import imported_packages, modules_to_preload
from nbapp.kernel.private import PrivateKernel
from nbapp.notebook import Notebook
from nbapp.page.layout import REGIONS, Placement, parts, place_all, servable_mark
from nbapp.page.library_assets import front_ends_for
from nbapp.page.templates import TemplateError
from nbapp.settings import RunSettings, kernel_env
from nbapp.state.snapshot import Fragment, Snapshot, fragment_digest
from nbapp.state.widget_memory import WidgetMemory, page_update
from nbapp.web.comms import output_widgets, send_updates

if TYPE_CHECKING:
    from nbapp.kernel.execute import CellResult, CellRunner
    from nbapp.page.render import CellRenderer

log = logging.getLogger(__name__)

Event = dict[str, Any]
_WATCH_SECONDS = 0.5
# How long a run opening on a snapshot lets the page put it up before rendering cells anyway.
PAGE_WAIT_SECONDS = 2.0
Key = tuple[int, str]  # (cell index, region): a cell can show in several regions


def _page_order(key: Key) -> tuple[int, int]:
    return key[0], REGIONS.index(key[1]) if key[1] in REGIONS else len(REGIONS)


class State(str, Enum):
    RUNNING = "running"
    DONE = "done"
    ERROR = "error"
    DEAD = "dead"


@dataclass(frozen=True)
class Status:
    """What the page's indicator and ``data-nbapp-state`` show."""

    state: State
    message: str
    cell: int = 0  # 1-based position among the cells the kernel runs
    total: int = 0
    failed_cell: int | None = None  # 1-based position in the notebook

    def event(self) -> Event:
        return {"type": "status", **asdict(self), "state": self.state.value}


@dataclass(frozen=True)
class Section:
    """A cell as the page shows it: live, or its snapshot from an earlier run."""

    index: int
    html: str
    placement: Placement
    snapshot: bool

    @property
    def digest(self) -> str:
        return fragment_digest(self.html)

    @property
    def key(self) -> Key:
        return self.index, self.placement.region

    def event(self) -> Event:
        return {
            "type": "cell",
            "index": self.index,
            "html": self.html,
            "hash": self.digest,
            "snapshot": self.snapshot,
            **self.placement.event_fields(),
        }


class Dashboard:
    def __init__(
        self,
        notebook: Notebook,
        settings: RunSettings,
        *,
        early_kernel: EarlyKernel | None = None,
        snapshot: Snapshot | None = None,
        keep_snapshot: Callable[[Snapshot], object] | None = None,
        memory: WidgetMemory | None = None,
    ) -> None:
        """``snapshot``: what an earlier run showed, shown until this run replaces it;
        ``keep_snapshot``: called (on a worker thread) with this run's once it is done."""
        self.notebook = notebook
        self._settings = settings
        self._renderer_made: CellRenderer | None = None
        self._renderer_lock = threading.Lock()
        self._page_seen = asyncio.Event()  # a page has subscribed to the events
        self._placements = place_all(notebook.node, only_tagged=settings.only_tagged)
        # BokehJS and Panel, for the page to load while the kernel imports them.
        self._front_ends = front_ends_for(imported_packages(notebook.node.cells))
        self.kernel: PrivateKernel | None = (
            PrivateKernel(
                cwd=settings.kernel_cwd,
                query_string=settings.query_string,
                early=early_kernel,
                foreign=settings.kernel,
                settings_env=kernel_env(settings, modules_to_preload(notebook.node.cells)),
            )
            if notebook.needs_kernel and not settings.kernel_missing
            else None
        )
        self._total = len(notebook.code_cell_indices)
        # What this run shows, by (cell index, region): a template made servable shows its
        # sidebar and its main objects from one cell.
        self._fragments: dict[Key, tuple[str, Placement]] = {}
        # The app's own title and sidebar width, from a servable template (served.py); the
        # snapshot's until this run says.
        self.app: dict[str, Any] = dict(snapshot.app) if snapshot else {}
        self._snapshot = (
            {(f.index, f.placement.region): f for f in snapshot.fragments} if snapshot else {}
        )
        self.snapshot_widget_state = snapshot.widget_state if snapshot else {}
        self._keep_snapshot = keep_snapshot
        self.status = Status(State.RUNNING, "Starting the kernel", 0, self._total)
        self._listeners: set[asyncio.Queue[Event | None]] = set()
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self.kernel_ready = asyncio.Event()
        self._closed = False
        self.widget_state: dict[str, Any] = {}  # as the run left it; for static exports
        # The values the user gave the widgets, given back after each run (None: not kept).
        self.memory = memory

    @property
    def _renderer(self) -> CellRenderer:
        """nbconvert is most of what the server imports: it loads off the event loop
        (``prepare``, started as soon as the page can be served), not before the page with
        the last run's snapshot can go out."""
        return self.prepare()

    def prepare(self) -> CellRenderer:
        """The cell renderer, made and warmed up on first call; any thread, once at a time.

        The first rendering of a cell costs more than any later one (nbconvert compiles its
        templates, the exporter its CSS selectors, mistune its rules): done on a dummy cell
        here, it is not done on the event loop while the page's files are being served."""
        with self._renderer_lock:
            if self._renderer_made is None:
                startup.mark("making the cell renderer")
                import nbapp.kernel.execute  # noqa: F401  (what runs cells, needed next)
                from nbapp.page.render import CellRenderer

                renderer = CellRenderer(
                    show_tracebacks=self._settings.show_tracebacks,
                    template=self._settings.template,
                )
                renderer.warm_up(self.notebook.node.metadata)
                self._renderer_made = renderer
                startup.mark("cell renderer ready")
            return self._renderer_made

    async def prepare_early(self) -> None:
        """Make the cell renderer before the kernel is ready when that costs the page nothing
        (``renderer_ready``); a failure is the run's to report."""
        try:
            await self._renderer_ready()
        except Exception as exc:  # a template that cannot render
            log.debug("making the cell renderer early: %r", exc)

    async def _renderer_ready(self) -> None:
        """``prepare`` on a thread: at once, or, when the page opens on a snapshot, once a page
        has asked for its events (the snapshot is on its screen) or after PAGE_WAIT_SECONDS.
        The import and the warm-up hold the GIL for most of half a second, which the window's
        toolkit and the server need first to put the snapshot up; the live run that waits
        meanwhile would only replace what the snapshot shows."""
        if self._renderer_made is not None:
            return
        if self._snapshot:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._page_seen.wait(), PAGE_WAIT_SECONDS)
        await asyncio.get_running_loop().run_in_executor(None, self.prepare)

    # --- what pages see -------------------------------------------------------------------
    def subscribe(self) -> asyncio.Queue[Event | None]:
        """A queue primed with the page as it stands; ``None`` in it means the app is closing."""
        self._page_seen.set()
        queue: asyncio.Queue[Event | None] = asyncio.Queue()
        queue.put_nowait({"type": "reset"})
        if self._front_ends:
            queue.put_nowait({"type": "front_ends", "scripts": self._front_ends})
        if self.app:
            queue.put_nowait(self._app_event())
        for section in self.sections():
            queue.put_nowait(section.event())
        queue.put_nowait(self.status.event())
        if self._closed:
            queue.put_nowait(None)
        self._listeners.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Event | None]) -> None:
        self._listeners.discard(queue)

    @property
    def listeners(self) -> int:
        """Pages following this dashboard now (each holds one event stream)."""
        return len(self._listeners)

    def _publish(self, event: Event | None) -> None:
        for queue in self._listeners:
            queue.put_nowait(event)

    def notice(self, message: str) -> None:
        """Tell open pages something went wrong that changes no state (a refused upload)."""
        self._publish({"type": "notice", "message": message})

    def fragments(self) -> list[tuple[int, str, Placement]]:
        """What this run has shown, in notebook order: (cell index, HTML, placement)."""
        keys = sorted(self._fragments, key=_page_order)
        return [(key[0], *self._fragments[key]) for key in keys]

    def sections(self) -> list[Section]:
        """What the page shows now, in notebook order: each cell's live output, else (while
        the run has not ended) its snapshot."""
        shown = {
            key: Section(key[0], html, p, snapshot=False)
            for key, (html, p) in self._fragments.items()
        }
        for key, fragment in self._snapshot.items():
            shown.setdefault(key, Section(key[0], fragment.html, fragment.placement, snapshot=True))
        return [shown[key] for key in sorted(shown, key=_page_order)]

    @property
    def starting(self) -> bool:
        """Whether any cell still shows a snapshot rather than a live output."""
        return any(key not in self._fragments for key in self._snapshot)

    def _app_event(self) -> Event:
        return {"type": "app", **self.app}

    def _end_snapshot(self) -> None:
        """The run has ended (or starts over): snapshots it did not replace are stale."""
        self._snapshot.clear()

    def _set_status(self, status: Status) -> None:
        self.status = status
        log.debug("status: %s %s", status.state.value, status.message)
        self._publish(status.event())

    def _show(self, index: int) -> None:
        cell = self.notebook.node.cells[index]
        only_tagged = self._settings.only_tagged
        for part, where in parts(cell, self._placements[index], only_tagged=only_tagged):
            self._set_app(part)
            fields = where.template_fields(index, cell.cell_type)
            html = self._renderer.render(part, self.notebook.node.metadata, fields)
            if not html:
                continue  # the template leaves this cell out (e.g. hidden in a grid view)
            if not self._fragments:
                startup.mark("first live cell rendered")
            self._fragments[index, where.region] = (html, where)
            self._publish(Section(index, html, where, snapshot=False).event())

    def _set_app(self, cell: NotebookNode) -> None:
        """A servable template's title and sidebar width become the app's (the last one's)."""
        for output in cell.get("outputs", []):
            mark = servable_mark(output) or {}
            app = {
                key: mark[key]
                for key, kind in (("title", str), ("sidebar_width", int))
                if isinstance(mark.get(key), kind) and mark[key]
            }
            if app and {**self.app, **app} != self.app:
                self.app = {**self.app, **app}
                self._publish(self._app_event())

    # --- lifecycle ------------------------------------------------------------------------
    async def start(self) -> None:
        """Start the kernel and run every cell, in the background."""
        self._task = asyncio.create_task(self._run(), name="nbapp-run")

    async def restart(self, *, forget_widgets: bool = False) -> None:
        """A fresh kernel and a fresh run, for a page whose kernel died or whose cell failed;
        ``forget_widgets``: with the notebook's own widget values, not the remembered ones."""
        async with self._lock:
            if self._closed:
                return
            await self._cancel_run()
            if forget_widgets and self.memory is not None:
                self.memory.forget()
            self._fragments.clear()
            self._end_snapshot()
            self.app = {}
            self._publish({"type": "reset"})
            self._set_status(Status(State.RUNNING, "Restarting the kernel", 0, self._total))
            if self.kernel is not None and self.kernel.started:
                self.kernel_ready.clear()
                await self.kernel.restart()
            self._task = asyncio.create_task(self._run(), name="nbapp-run")

    async def close(self) -> None:
        """Stop the run, tell pages the app is closing, shut the kernel down."""
        self._closed = True
        self._publish(None)
        if self.memory is not None:
            self.memory.save()
        # After a restart in progress, not under it: shutting the kernel down while
        # jupyter_client restarted it printed a traceback and could leave the new kernel
        # running (found by tests/test_fuzz.py's POSTs to /nbapp/api/restart).
        async with self._lock:
            busy = self.status.state is State.RUNNING  # in a cell, or still starting
            await self._cancel_run()
            if self.kernel is not None:
                await self.kernel.shutdown(now=busy)

    async def _cancel_run(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None

    # --- the run --------------------------------------------------------------------------
    async def _run(self) -> None:
        if self._settings.kernel_missing and self.notebook.needs_kernel:
            # What the notebook says (its markdown) still shows; its code cannot run here.
            await self._run_cells(None)
            self._set_status(Status(State.ERROR, self._settings.kernel_missing, 0, self._total))
            return
        runner: CellRunner | None = None
        if self.memory is not None:
            self.memory.begin_run()
        try:
            if self.kernel is not None:
                runner = await self._connect()
            finished = await self._run_cells(runner)
            if runner is not None:
                self.widget_state = runner.widget_state()
                # Its iopub subscription would keep every later kernel message (each widget
                # change's echo and status) unread in this process: 45 MB per 10,000 changes.
                runner.close()
                runner = None
            self._end_snapshot()  # before the final status: a page reading it drops the rest
            if finished:
                await self._restore_widgets()
                self._set_status(Status(State.DONE, "", self._total, self._total))
                self._keep()
            elif self.memory is not None:
                self.memory.learn(self.widget_state, complete=False)
            if self.kernel is not None and self.status.state != State.DEAD:
                await self._watch_kernel()
        except KernelError as exc:
            log.error("%s", exc.message)  # noqa: TRY400 (the message is the whole story)
            self._end_snapshot()
            self._set_status(Status(State.DEAD, exc.message, 0, self._total))
        except TemplateError as exc:  # a template that fails on this notebook's outputs
            log.error("%s", exc.message)  # noqa: TRY400
            self._end_snapshot()
            self._set_status(Status(State.ERROR, exc.message, self.status.cell, self._total))
        except Exception as exc:
            # A fault of nbapp's own: say so, rather than leave the page at "running" forever.
            log.exception("the run stopped")
            self._end_snapshot()
            message = f"nbapp stopped on an internal error ({type(exc).__name__}); see its log."
            self._set_status(Status(State.ERROR, message, self.status.cell, self._total))
        finally:
            if runner is not None:
                runner.close()

    def _keep(self) -> None:
        """Hand this finished run to ``keep_snapshot``, off the event loop (it writes a file)."""
        if self._keep_snapshot is None:
            return
        fragments = [Fragment(i, html, p) for i, html, p in self.fragments()]
        snapshot = Snapshot(fragments, self.widget_state, app=dict(self.app))
        keep = self._keep_snapshot

        def run() -> None:
            try:
                keep(snapshot)
            except Exception:  # a snapshot is a convenience; the run itself is fine
                log.warning("could not keep this run's snapshot", exc_info=True)

        asyncio.get_running_loop().run_in_executor(None, run)

    async def _restore_widgets(self) -> None:
        """Give the widgets the values the user left them at (``nbapp.state.widget_memory``)."""
        if self.memory is None or self.kernel is None:
            return
        updates = self.memory.learn(self.widget_state, complete=True)
        if not updates:
            return
        log.info("restoring %d widget values the user left", len(updates))
        message = "Restoring the values you left"
        self._set_status(Status(State.RUNNING, message, self._total, self._total))
        memory = self.memory

        def watch(msg: dict[str, Any]) -> None:  # e.g. a slider clamping a value to its range
            if msg["header"]["msg_type"] == "comm_msg":
                update = page_update(msg["content"])
                if update is not None:
                    memory.from_kernel(*update)

        await send_updates(self.kernel, updates, output_widgets(self.widget_state), watch=watch)

    async def _connect(self) -> CellRunner:
        from nbapp.kernel.execute import CellRunner

        assert self.kernel is not None
        if not self.kernel.started:
            await self.kernel.start()
        runner = CellRunner(
            self.notebook.node,
            self.kernel,
            cell_timeout=self._settings.cell_timeout,
            max_output_bytes=self._settings.max_output_bytes,
        )
        await runner.connect()
        startup.mark("kernel ready")
        self.kernel_ready.set()
        return runner

    async def _run_cells(self, runner: CellRunner | None) -> bool:
        """Show each cell in order; False if a cell failed, timed out or lost the kernel."""
        from nbapp.kernel.execute import Outcome

        # Usually made already (App.serve starts it early). While a page opening on a
        # snapshot is still being put up, code cells run and markdown cells wait: each cell
        # is shown, in order, once the renderer is there.
        ready = asyncio.ensure_future(self._renderer_ready())
        waiting: list[int] = []

        async def show_waiting() -> None:
            await ready
            for index in waiting:
                self._show(index)
            waiting.clear()

        try:
            position = 0
            for index, cell in enumerate(self.notebook.node.cells):
                if cell.cell_type != "code":
                    waiting.append(index)
                    if ready.done():
                        await show_waiting()
                    continue
                if not cell.source.strip() or runner is None:
                    continue
                position += 1
                self._set_status(
                    Status(
                        State.RUNNING,
                        f"Running cell {position} of {self._total}",
                        position,
                        self._total,
                    )
                )
                # In tagged mode a cell not tagged app may still make something servable:
                # that is displayed, not the cell's result, so its result need not be
                # rendered either.
                result = await runner.run(index, shown=self._placements[index].shown)
                waiting.append(index)
                await show_waiting()
                if result.outcome is not Outcome.OK:
                    self._end_snapshot()  # later cells did not run: their snapshots are stale
                    self._set_status(self._failure_status(result, position))
                    return False
            await show_waiting()
            return True
        finally:
            if not ready.done():
                ready.cancel()  # the run ended first; the thread's part finishes on its own
            elif not ready.cancelled():
                ready.exception()  # seen: raised above, or not needed by a run that ended

    def _failure_status(self, result: CellResult, position: int) -> Status:
        from nbapp.kernel.execute import Outcome

        number = result.index + 1
        later = " Later cells were not run."
        if result.outcome is Outcome.TIMEOUT:
            seconds = self._settings.cell_timeout
            message = f"Cell {number} timed out after {seconds:g} s and was interrupted.{later}"
            return Status(State.ERROR, message, position, self._total, number)
        if result.outcome is Outcome.DEAD:
            message = f"The kernel stopped while running cell {number}.{later}"
            return Status(State.DEAD, message, position, self._total, number)
        detail = f": {result.error_name}" if result.error_name else ""
        message = f"Cell {number} failed{detail}.{later}"
        return Status(State.ERROR, message, position, self._total, number)

    async def _watch_kernel(self) -> None:
        """After the run, a kernel can still die (in a widget callback): tell the page."""
        assert self.kernel is not None
        while await self.kernel.is_alive():
            await asyncio.sleep(_WATCH_SECONDS)
        self._set_status(
            Status(
                State.DEAD,
                "The kernel stopped.",
                self.status.cell,
                self._total,
                self.status.failed_cell,
            )
        )
