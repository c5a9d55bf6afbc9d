"""What an app remembers between launches, as plain data: the window's place fitted to the
screens present, and the widget values matched to a changed notebook's widgets. (The same
features end to end, in a real window: tests/test_desktop.py.)"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from nbapp.gui.geometry import Geometry, Rect, declared, fit, remember, remembered
from nbapp.state import appstate
from nbapp.state.widget_memory import WidgetMemory, widget_keys

SCREEN = Rect(0, 0, 1280, 800)
RIGHT = Rect(1280, 0, 1920, 1080)


@pytest.fixture(autouse=True)
def own_state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path / "state" / "nbapp"


# --- the window's place ------------------------------------------------------------------------
def test_a_window_that_fits_stays_where_it_was() -> None:
    where = Geometry(700, 500, 300, 200)
    assert fit(where, [SCREEN]) == (where, SCREEN)


def test_a_window_on_a_monitor_now_gone_comes_back_to_the_primary_one() -> None:
    left_on_second = Geometry(800, 600, 2000, 300)
    fitted, screen = fit(left_on_second, [SCREEN])
    assert screen == SCREEN and (fitted.width, fitted.height) == (800, 600)
    assert fitted.x == 1280 - 800 and fitted.y == 200  # pushed back inside, not centred


def test_a_window_on_the_second_monitor_stays_there_and_shrinks_to_fit_it() -> None:
    fitted, screen = fit(Geometry(2500, 900, 1400, 100), [SCREEN, RIGHT])
    assert screen == RIGHT
    assert fitted == Geometry(1920, 900, 1280, 100)


def test_an_unplaced_window_only_shrinks_and_keeps_its_maximized_state() -> None:
    fitted, screen = fit(Geometry(3000, 2000, maximized=True), [SCREEN])
    assert fitted == Geometry(1280, 800, None, None, True) and screen == SCREEN
    assert fit(Geometry(3000, 2000), []) == (Geometry(3000, 2000), None)


def test_place_round_trips_and_old_size_only_entries_still_count(own_state_dir: Path) -> None:
    remember("/n/a.ipynb", Geometry(900, 600, 10, 20, True))
    assert remembered("/n/a.ipynb") == Geometry(900, 600, 10, 20, True)
    # nbapp 0.1 kept {notebook path: [width, height]} in windows.json.
    own_state_dir.mkdir(parents=True, exist_ok=True)
    (own_state_dir / "windows.json").write_text(json.dumps({"/n/old.ipynb": [640, 480]}))
    assert remembered("/n/old.ipynb") == Geometry(640, 480)
    assert remembered("/n/never.ipynb") is None
    assert declared(None, None) == Geometry(1024, 768)
    assert declared(700, None) == Geometry(700, 768)


def test_unreadable_window_file_is_ignored_with_a_warning(
    own_state_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = appstate.app_dir("/n/b.ipynb") / "window.json"
    path.parent.mkdir(parents=True)
    path.write_text("[1, 2")
    with caplog.at_level(logging.WARNING):
        assert remembered("/n/b.ipynb") is None
    assert f"ignoring {path}: not valid JSON" in caplog.text
    path.write_text(json.dumps({"size": ["wide", 2], "position": [1, 2]}))
    assert remembered("/n/b.ipynb") is None  # valid JSON, not a place: no window from it


def test_state_files_are_written_whole_and_private(own_state_dir: Path) -> None:
    path = appstate.app_dir("/n/c.ipynb") / "window.json"
    assert appstate.write_json(path, {"size": [1, 2]})
    assert json.loads(path.read_text()) == {"size": [1, 2]}
    assert oct(path.stat().st_mode & 0o777) == oct(0o600)
    assert [p.name for p in path.parent.iterdir()] == ["window.json"]  # no temporary left


# --- widget values -------------------------------------------------------------------------------
def _model(name: str, description: str = "", **state: Any) -> dict[str, Any]:
    module = "@jupyter-widgets/controls"
    return {
        "model_name": name,
        "model_module": module,
        "model_module_version": "2.0.0",
        "state": {
            "_model_name": name,
            "_model_module": module,
            "description": description,
            **state,
        },
    }


def _run(*models: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    return {"version_major": 2, "version_minor": 0, "state": dict(models)}


FIRST = _run(
    ("a1", _model("IntSliderModel", "Level", value=3)),
    ("a2", _model("DropdownModel", "Colour", index=0, _options_labels=["red", "green"])),
    ("a3", _model("IntSliderModel", "Level", value=1)),  # a second "Level" slider
    ("a4", _model("TextModel", "Name", value="")),
    ("a5", _model("FileUploadModel", "Data", value=[])),
)


def test_widgets_are_known_by_class_description_and_rank_not_by_id() -> None:
    keys = {model_id: key for model_id, (key, _) in widget_keys(FIRST).items()}
    assert (keys["a1"].model, keys["a1"].description, keys["a1"].nth) == (
        "IntSliderModel",
        "Level",
        0,
    )
    assert keys["a3"].nth == 1 and keys["a2"].nth == 0


def test_user_changes_come_back_in_the_order_made_to_a_new_run(tmp_path: Path) -> None:
    memory = WidgetMemory(tmp_path / "widgets.json")
    assert memory.learn(FIRST, complete=True) == []
    memory.from_page("a4", {"value": "Ada"})
    memory.from_page("a3", {"value": 9})
    memory.from_page("a4", {"value": "Ada L."})  # changed again: now the last one
    memory.from_page("a5", {"value": [{"name": "x.csv"}]})  # uploads are not kept
    memory.from_kernel("a3", {"value": 8})  # an observer clamped it: what the widget shows
    memory.from_kernel("a1", {"value": 4})  # never changed by the user: not remembered
    memory.save()

    again = WidgetMemory(memory.path)
    second = _run(*((f"b{i}", model) for i, (_, model) in enumerate(FIRST["state"].items(), 1)))
    assert again.learn(second, complete=True) == [("b3", {"value": 8}), ("b4", {"value": "Ada L."})]


def test_a_changed_notebook_gets_what_still_fits_and_forgets_the_rest(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    memory = WidgetMemory(tmp_path / "widgets.json")
    memory.learn(FIRST, complete=True)
    memory.from_page("a1", {"value": 7})
    memory.from_page("a2", {"index": 1})
    memory.from_page("a3", {"value": 5})
    memory.from_page("a4", {"value": "Ada"})
    memory.save()
    changed = _run(
        ("c1", _model("IntSliderModel", "Level", value=3)),  # still there
        ("c2", _model("DropdownModel", "Colour", index=0, _options_labels=["red"])),  # 1 is gone
        ("c3", _model("TextModel", "Level", value="")),  # the second Level is text now
        ("c4", _model("IntTextModel", "Name", value=0)),  # Name was retyped
    )
    # A run that stopped half way keeps the values of widgets it did not make (a later cell
    # may make them); only the one it made and that no longer fits (Colour) is dropped.
    partial = WidgetMemory(memory.path)
    assert partial.learn(changed, complete=False) == [("c1", {"value": 7})]
    assert partial.remembered == 3
    # A whole run forgets what no longer fits, and says so in the log.
    again = WidgetMemory(memory.path)
    with caplog.at_level(logging.INFO):
        assert again.learn(changed, complete=True) == [("c1", {"value": 7})]
    assert again.remembered == 1
    assert "forgetting 3 remembered widget values" in caplog.text
    again.save()  # (the app's loop saves it a moment later; here, now)
    assert [e["widget"]["model"] for e in json.loads(memory.path.read_text())["widgets"]] == [
        "IntSliderModel"
    ]


def test_changes_made_while_the_run_still_runs_are_kept(tmp_path: Path) -> None:
    memory = WidgetMemory(tmp_path / "widgets.json")
    memory.begin_run()
    memory.from_page("a2", {"index": 1})  # the run has not finished: ids not known yet
    memory.learn(FIRST, complete=True)
    memory.save()
    assert WidgetMemory(memory.path).learn(FIRST, complete=True) == [("a2", {"index": 1})]


def test_an_unreadable_widget_file_is_ignored_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "widgets.json"
    bad = ["{ nope", json.dumps({"format": 99, "widgets": []}), json.dumps([1])]
    for content in [text.encode() for text in bad] + [b"\xff\xfe not text"]:
        path.write_bytes(content)
        with caplog.at_level(logging.WARNING):
            assert WidgetMemory(path).remembered == 0
        assert f"ignoring {path}" in caplog.text
        caplog.clear()
