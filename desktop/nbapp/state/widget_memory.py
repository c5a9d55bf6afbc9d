"""The values the user gave the dashboard's input widgets, kept across launches.

What is remembered is what the user did: the ``update`` messages the page sends when a
slider moves or a dropdown changes (value-like keys only, no file uploads, no binary data),
plus what the kernel then says those same keys became (an observer that clamps or resets a
value). Nothing else: values the kernel derives follow from the user's once they are set again.

A widget is known across runs by what the notebook gives it, not by its random model id: its
class (model module and name), its description, and how many widgets of that class and
description the run made before it. After the next launch has run the notebook, the saved
values whose widget is still there, with the same class and a value of the same kind, are sent
to the kernel as the page would send them, in the order the user last changed them, so that
the widgets' observers run and the outputs match; the rest are skipped and forgotten.

This module only keeps the books; ``nbapp.web.comms`` sends the updates to the kernel.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nbapp.state import appstate

log = logging.getLogger(__name__)

FILE_NAME = "widgets.json"
_FORMAT = 1
# The state keys through which input widgets carry what the user chose: value (sliders, text,
# checkboxes, date and colour pickers), index (dropdowns, radio buttons, selection sliders),
# selected_index (tabs, accordions), v_model (ipyvuetify).
INPUT_KEYS = frozenset({"value", "index", "selected_index", "v_model"})
# Input widgets whose value is not worth keeping, or not possible to give back: files the user
# uploaded, a game controller's live axes.
_NOT_KEPT = frozenset(
    {"FileUploadModel", "ControllerModel", "ControllerAxisModel", "ControllerButtonModel"}
)
_SAVE_DELAY = 0.5  # seconds of quiet before a dragged slider's last value is written


@dataclass(frozen=True)
class WidgetKey:
    """Who a widget is across runs."""

    module: str
    model: str
    description: str
    nth: int  # among the run's widgets of the same module, model and description

    def as_json(self) -> dict[str, Any]:
        return {
            "module": self.module,
            "model": self.model,
            "description": self.description,
            "nth": self.nth,
        }

    @classmethod
    def from_json(cls, data: object) -> WidgetKey | None:
        if not isinstance(data, dict):
            return None
        module, model = data.get("module"), data.get("model")
        description, nth = data.get("description"), data.get("nth")
        if not all(isinstance(v, str) for v in (module, model, description)):
            return None
        if not isinstance(nth, int) or isinstance(nth, bool) or nth < 0:
            return None
        return cls(str(module), str(model), str(description), nth)


def widget_keys(widget_state: dict[str, Any]) -> dict[str, tuple[WidgetKey, dict[str, Any]]]:
    """Model id -> (key, state) for the widgets of a run, from its saved widget state
    (``application/vnd.jupyter.widget-state+json``, models in the order the run made them)."""
    seen: dict[tuple[str, str, str], int] = {}
    keys: dict[str, tuple[WidgetKey, dict[str, Any]]] = {}
    models = widget_state.get("state", {})
    for model_id, model in models.items() if isinstance(models, dict) else ():
        state = model.get("state", {}) if isinstance(model, dict) else {}
        if not isinstance(state, dict):
            continue
        module = str(model.get("model_module") or state.get("_model_module") or "")
        name = str(model.get("model_name") or state.get("_model_name") or "")
        description = state.get("description")
        label = description if isinstance(description, str) else ""
        ident = (module, name, label)
        nth = seen.get(ident, 0)
        seen[ident] = nth + 1
        keys[model_id] = (WidgetKey(module, name, label, nth), state)
    return keys


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list | tuple):
        return "list"
    if isinstance(value, dict):
        return "dict"
    return "none" if value is None else "other"


def fits(key: str, saved: object, current: dict[str, Any]) -> bool:
    """Whether ``saved`` can be given back as ``current[key]`` without the kernel refusing it:
    the key still exists, the value is of the same kind, an index is within the options."""
    if key not in current:
        return False
    now = current[key]
    if key == "index" and "_options_labels" in current:
        count = len(current["_options_labels"] or [])
        indices = saved if isinstance(saved, list) else [saved]
        return all(
            i is None or (isinstance(i, int) and not isinstance(i, bool) and 0 <= i < count)
            for i in indices
        ) and (_kind(saved) == _kind(now) or now is None or saved is None)
    if saved is None:
        return now is None or isinstance(now, dict)  # a date picker may be emptied
    if now is None:
        return _kind(saved) in ("dict", "str", "number")  # e.g. a date picker with no date yet
    return _kind(saved) == _kind(now)


def _input_state(state: object, buffer_paths: object) -> dict[str, Any]:
    """The value-like keys of an update, without those sent as binary buffers."""
    if not isinstance(state, dict):
        return {}
    paths = buffer_paths if isinstance(buffer_paths, list) else []
    binary = {str(path[0]) for path in paths if isinstance(path, list) and path}
    return {k: v for k, v in state.items() if k in INPUT_KEYS and k not in binary}


class WidgetMemory:
    """The remembered values of one app's widgets; lives on the app's event loop."""

    def __init__(self, path: Path) -> None:
        self.path = path
        # Key -> remembered state, in the order the user last changed them.
        self._values: OrderedDict[WidgetKey, dict[str, Any]] = OrderedDict(self._load())
        self._ids: dict[str, WidgetKey] = {}  # this run's model ids
        self._pending: OrderedDict[str, dict[str, Any]] = OrderedDict()  # before ids are known
        self._save_handle: asyncio.TimerHandle | None = None
        self._written = bool(self._values)

    @classmethod
    def for_app(cls, identity: str) -> WidgetMemory:
        return cls(appstate.app_dir(identity) / FILE_NAME)

    def _load(self) -> list[tuple[WidgetKey, dict[str, Any]]]:
        data = appstate.read_json(self.path)
        if data is None:
            return []
        entries = data.get("widgets") if isinstance(data, dict) else None
        if not isinstance(entries, list) or data.get("format") != _FORMAT:
            log.warning("ignoring %s: not a widget state file nbapp can read", self.path)
            return []
        loaded = []
        for entry in entries:
            key = WidgetKey.from_json(entry.get("widget") if isinstance(entry, dict) else None)
            state = entry.get("state") if isinstance(entry, dict) else None
            if key is not None and isinstance(state, dict):
                loaded.append((key, _input_state(state, [])))
        return [(key, state) for key, state in loaded if state]

    # --- a run's widgets -------------------------------------------------------------------
    def begin_run(self) -> None:
        """A run (or a restart's run) starts: its widgets get new ids, learnt when it ends."""
        self._ids = {}
        self._pending.clear()

    def learn(
        self, widget_state: dict[str, Any], *, complete: bool
    ) -> list[tuple[str, dict[str, Any]]]:
        """Take in the widgets a run made; the remembered values to give back to them, as
        (model id, state) in the order the user last changed them.

        ``complete``: the whole notebook ran. Only then are values whose widget is gone (or
        changed class, or whose value no longer fits) forgotten.
        """
        keyed = widget_keys(widget_state)
        self._ids = {model_id: key for model_id, (key, _) in keyed.items()}
        by_key = {key: (model_id, state) for model_id, (key, state) in keyed.items()}
        restore: list[tuple[str, dict[str, Any]]] = []
        kept: OrderedDict[WidgetKey, dict[str, Any]] = OrderedDict()
        for key, saved in self._values.items():
            if key not in by_key or key.model in _NOT_KEPT:
                if not complete:
                    kept[key] = saved
                continue
            model_id, current = by_key[key]
            usable = {k: v for k, v in saved.items() if fits(k, v, current)}
            if len(usable) < len(saved):
                log.info("not restoring %s of %s: it changed", set(saved) - set(usable), key)
            if not usable:
                continue
            kept[key] = usable
            changed = {k: v for k, v in usable.items() if current.get(k) != v}
            if changed:
                restore.append((model_id, changed))
        forgotten = len(self._values) - len(kept)
        self._values = kept
        if complete and forgotten:
            log.info("forgetting %d remembered widget values", forgotten)
            self._schedule_save()
        pending, self._pending = self._pending, OrderedDict()
        for model_id, state in pending.items():
            self.from_page(model_id, state)
        return restore

    # --- what the page and the kernel say ----------------------------------------------------
    def from_page(self, model_id: str, state: dict[str, Any]) -> None:
        """The user changed a widget (an ``update`` the page sent)."""
        if not state:
            return
        key = self._ids.get(model_id)
        if key is None:
            if not self._ids:  # the run has not finished: its widgets are not known yet
                self._pending[model_id] = {**self._pending.pop(model_id, {}), **state}
            return  # a widget made later, by a callback: not one the notebook makes
        if key.model in _NOT_KEPT:
            return
        merged = {**self._values.pop(key, {}), **state}
        self._values[key] = merged  # last changed goes last
        self._schedule_save()

    def from_kernel(self, model_id: str, state: dict[str, Any]) -> None:
        """The kernel set keys of a widget (an observer, a button's callback): keep what the
        user remembered in step with what the widget now shows."""
        key = self._ids.get(model_id)
        remembered = self._values.get(key) if key is not None else None
        if key is None or remembered is None:
            return
        changed = {k: v for k, v in state.items() if k in remembered and remembered[k] != v}
        if changed:
            remembered.update(changed)
            self._schedule_save()

    def forget(self) -> None:
        """Reset: back to the notebook's values at the next run."""
        self._values.clear()
        self._pending.clear()
        self.save()

    @property
    def remembered(self) -> int:
        return len(self._values)

    # --- the file --------------------------------------------------------------------------
    def _schedule_save(self) -> None:
        if self._save_handle is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.save()
            return
        self._save_handle = loop.call_later(_SAVE_DELAY, self.save)

    def save(self) -> None:
        """Write the remembered values now (also what closing the app does)."""
        if self._save_handle is not None:
            self._save_handle.cancel()
            self._save_handle = None
        if not self._values and not self._written:
            return  # nothing was ever remembered: no file
        entries = [{"widget": key.as_json(), "state": state} for key, state in self._values.items()]
        if appstate.write_json(self.path, {"format": _FORMAT, "widgets": entries}):
            self._written = bool(entries)
            log.debug("remembered %d widget values in %s", len(entries), self.path)


def page_update(content: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """(model id, input state) of a comm_msg ``update`` from a page or the kernel, else None."""
    data = content.get("data")
    comm_id = content.get("comm_id")
    if not isinstance(data, dict) or not isinstance(comm_id, str):
        return None
    if data.get("method") not in ("update", "echo_update"):
        return None
    state = _input_state(data.get("state"), data.get("buffer_paths"))
    return (comm_id, state) if state else None
