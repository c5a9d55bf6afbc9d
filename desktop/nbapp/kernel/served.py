"""Inside the kernel: Panel apps run as ``panel serve`` runs them, and match the app's theme.

nbapp installs this in its own Python kernel at start (kernel_main.py). Nothing of Panel is
imported here; the patches wait until the notebook imports Panel.

In tagged mode (``--only-tagged``, ``metadata.nbapp.mode: "tagged"``), nbapp stands where
``panel serve`` stands:
- the notebook's ``__name__`` starts with ``bokeh_app_``, as under ``panel serve``, so
  ``pn.state.served`` is true (and so is the older ``__name__.startswith("bokeh")`` idiom);
  ``if __name__ == "__main__":`` blocks do not run, as under ``panel serve``;
- every object made ``.servable()`` in a cell is displayed again once the cell has run, its
  output marked (``metadata["nbapp"]["servable"]``: its area, the app's title and sidebar
  width), so the
  page can show it as it shows a cell tagged ``app`` (dashboard.py). A template, Panel's or
  panel-material-ui's ``Page``, is taken apart: its header and main objects go to the main
  area, its sidebar objects to the sidebar, its title becomes the page's.

In every mode, Panel's documents send a change to the kernel 10 ms after it rather than 50 ms
(their comm still waits for Python's acknowledgment before sending more, so a drag is still
sent in batches: the page is local, a debounce only adds its delay to every round trip),
a dark app (``--theme dark``) gets Panel's dark theme, and the result of a
cell whose outputs the page does not show (nbapp says so in the execute request's metadata,
RESULT_HINT) is not rendered: a Panel layout or a plot that nobody sees costs nothing, as under
``panel serve``, where a cell's last expression shows nothing. The cell still runs, and ``_``
and ``Out`` still get its result.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

SERVED_ENV = "NBAPP_SERVED"
THEME_ENV = "NBAPP_THEME"
MARK = "nbapp"  # output metadata key of a servable's display
RESULT_HINT = "nbapp"  # execute request metadata: {"shown": false} for a cell the page hides


@dataclass(frozen=True)
class Servable:
    """One ``.servable()`` call: the object, the area it asked for, the title it gave."""

    obj: Any
    area: str
    title: str | None


class _AfterImport(importlib.abc.MetaPathFinder):
    """Calls ``callback(module)`` once the module ``name`` has been imported and run."""

    def __init__(self, name: str, callback: Callable[[ModuleType], None]) -> None:
        self._name = name
        self._callback = callback

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != self._name:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                self._wrap(spec.loader)
                return spec
        return None

    def _wrap(self, loader: Any) -> None:
        run = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            run(module)
            sys.meta_path.remove(self)
            self._callback(module)

        loader.exec_module = exec_module


class ServedApp:
    """Records ``.servable()`` calls and shows them after their cell (tagged mode)."""

    def __init__(self) -> None:
        self.pending: list[Servable] = []

    def is_pending(self, value: Any) -> bool:
        return any(call.obj is value for call in self.pending)

    def patch(self, panel: ModuleType) -> None:
        from panel.viewable import ServableMixin

        servable = ServableMixin.servable
        pending = self.pending

        def recording_servable(
            obj: Any,
            title: str | None = None,
            location: Any = True,
            area: str = "main",
            target: str | None = None,
        ) -> Any:
            result = servable(obj, title, location, area, target)
            pending.append(Servable(obj, target or area or "main", title))
            return result

        recording_servable.__doc__ = servable.__doc__
        ServableMixin.servable = recording_servable  # type: ignore[method-assign,assignment]

    def show_pending(self, *_args: Any) -> None:
        """After a cell: display what it made servable (each object once, in call order)."""
        calls, self.pending[:] = list(self.pending), []
        if not calls:
            return
        from IPython.display import display
        from panel import panel

        seen: set[int] = set()
        for call in calls:
            if id(call.obj) in seen:
                continue
            seen.add(id(call.obj))
            for mark, obj in _parts(call):
                display(panel(obj), metadata={MARK: {"servable": mark}})  # type: ignore[no-untyped-call]


class _ResultHook:
    """The shell's display hook, except for results nobody will see: the result of a cell
    whose outputs the page does not show, and (tagged mode) a result that was made
    servable (``x.servable()`` as the last line: it is shown after the cell anyway, and
    rendering a Panel object twice costs as much as the first time). ``_`` and ``Out`` still
    get them."""

    def __init__(self, hook: Any, shell: Any, app: ServedApp | None) -> None:
        self._hook = hook
        self._shell = shell
        self._app = app

    def _unseen(self, result: Any) -> bool:
        if self._app is not None and self._app.is_pending(result):
            return True
        kernel = getattr(self._shell, "kernel", None)
        parent = kernel.get_parent() if kernel is not None else {}
        hint = (parent or {}).get("metadata", {}).get(RESULT_HINT)
        return isinstance(hint, dict) and hint.get("shown") is False

    def __call__(self, result: Any = None) -> None:
        if result is not None and self._unseen(result):
            self._hook.update_user_ns(result)
            return
        self._hook(result)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._hook, name)


def _parts(call: Servable) -> list[tuple[dict[str, Any], Any]]:
    """(mark, object) to display for one servable: a template's pieces, else itself."""
    obj = call.obj
    names = set(obj.param) if hasattr(obj, "param") else set()
    if not {"main", "sidebar", "title"} <= names:
        area = "sidebar" if call.area == "sidebar" else "main"
        return [({"area": area, "title": call.title}, obj)]
    page: dict[str, Any] = {"title": call.title or obj.title or None}
    width = getattr(obj, "sidebar_width", None) if "sidebar_width" in names else None
    if isinstance(width, int):
        page["sidebar_width"] = width
    parts: list[tuple[dict[str, Any], Any]] = []
    for area, attr in (("main", "header"), ("sidebar", "sidebar"), ("main", "main")):
        items = getattr(obj, attr, None) if attr in names else None
        parts += [({**page, "area": area}, item) for item in (items or [])]
    return parts or [({**page, "area": "main"}, obj)]


# Panel's notebook comms wait this long (ms) after a change before sending it (its
# CommManager's debounce, 50 by default): long enough to gather the events of one gesture
# (a widget often changes several properties at once) into one patch.
COMM_DEBOUNCE_MS = 10


def _prompt_comms(panel: ModuleType) -> None:
    from panel.models.comm_manager import CommManager

    init = CommManager.__init__

    def prompt_init(self: Any, **properties: Any) -> None:
        properties.setdefault("debounce", COMM_DEBOUNCE_MS)
        init(self, **properties)  # type: ignore[no-untyped-call]

    CommManager.__init__ = prompt_init  # type: ignore[method-assign]


def _set_dark_theme(panel: ModuleType) -> None:
    # What pn.extension(theme="dark") sets; a notebook that asks for a theme still wins.
    panel.config.theme = "dark"


def _after_panel(callbacks: list[Callable[[ModuleType], None]]) -> None:
    def run(panel: ModuleType) -> None:
        for callback in callbacks:
            callback(panel)

    if "panel" in sys.modules:
        run(sys.modules["panel"])
    else:
        sys.meta_path.insert(0, _AfterImport("panel", run))


def install(shell: Any) -> None:
    """Set the kernel up as nbapp's environment variables ask (SERVED_ENV, THEME_ENV)."""
    callbacks: list[Callable[[ModuleType], None]] = [_prompt_comms]
    if os.environ.get(THEME_ENV) == "dark":
        callbacks.append(_set_dark_theme)
    app: ServedApp | None = None
    if os.environ.get(SERVED_ENV) == "1":
        app = ServedApp()
        name = f"bokeh_app_{uuid.uuid4().hex}"
        shell.user_ns["__name__"] = name
        # Classes defined in cells name this module; pickle must find it.
        sys.modules[name] = shell.user_module
        callbacks.append(app.patch)
        shell.events.register("post_run_cell", app.show_pending)
    shell.display_trap.hook = _ResultHook(shell.display_trap.hook, shell, app)
    _after_panel(callbacks)
