"""Dashboard authoring: what shows (tagged mode, Jupyter Book tags), where (sidebar, grid), in
which colours (light, dark, following the system), and metadata.nbapp validated on read."""

from __future__ import annotations

import io
import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image, ImageStat
from playwright.sync_api import Page

from conftest import PageLog
from support import NBAPP, Code, Md, Running, wait_state

pytestmark = pytest.mark.browser


def shown_texts(page: Page) -> list[str]:
    """The text of every cell section the page shows, in page order."""
    return page.eval_on_selector_all(
        "section.nbapp-cell", "els => els.map(e => e.innerText.trim())"
    )


def dashboard(serve: Callable[..., Running], page: Page, nb: Path, *args: str) -> None:
    page.goto(serve(nb, *args).url)
    wait_state(page, "done")


# --- what shows ----------------------------------------------------------------------------
NARRATIVE = [
    Md("# Narrative heading"),
    Md("Only in the app", tags=("app",)),
    Code("print('tagged output')", tags=("app",)),
    "print('untagged output')",
    "shared = 41",
    Code("print('uses', shared + 1)", tags=("app",)),
]


def test_default_shows_every_output_and_no_code(serve, notebook, page: Page) -> None:
    dashboard(serve, page, notebook(NARRATIVE))
    texts = shown_texts(page)
    assert texts == [
        "Narrative heading",
        "Only in the app",
        "tagged output",
        "untagged output",
        "uses 42",
    ], texts
    assert "print(" not in page.content()


@pytest.mark.parametrize("how", ["flag", "metadata"])
def test_tagged_mode_shows_exactly_the_tagged_cells(serve, notebook, page: Page, how: str) -> None:
    if how == "flag":
        dashboard(serve, page, notebook(NARRATIVE), "--only-tagged")
    else:
        dashboard(serve, page, notebook(NARRATIVE, metadata={"nbapp": {"mode": "tagged"}}))
    # Every cell ran (the last tagged cell uses a variable from an untagged one).
    assert shown_texts(page) == ["Only in the app", "tagged output", "uses 42"]


def test_jupyter_book_tags_do_what_their_names_say(serve, notebook, page: Page) -> None:
    nb = notebook(
        [
            Code("print('removed cell'); ran = ['remove-cell']", tags=("remove-cell",)),
            Code("print('removed output'); ran.append('remove-output')", tags=("remove-output",)),
            Code("print('input removed, output kept')", tags=("remove-input",)),
            Code("print('input hidden, output kept')", tags=("hide_input",)),
            Code("print('folded output')", tags=("hide-output",)),
            Md("removed markdown", tags=("remove-cell",)),
            "print('ran:', ran)",
        ]
    )
    dashboard(serve, page, nb)
    texts = shown_texts(page)
    assert texts[:2] == ["input removed, output kept", "input hidden, output kept"]
    assert texts[-1] == "ran: ['remove-cell', 'remove-output']"  # hidden cells still ran
    assert len(texts) == 4
    body = page.inner_text("body")
    assert "removed cell" not in body and "removed output" not in body
    assert "removed markdown" not in body
    folded = page.locator("details.nbapp-folded")
    assert folded.count() == 1
    assert not page.get_by_text("folded output").is_visible()
    folded.locator("summary").click()
    assert page.get_by_text("folded output").is_visible()


# --- where it shows ------------------------------------------------------------------------
def test_sidebar_and_two_column_row(serve, notebook, page: Page) -> None:
    nb = notebook(
        [
            Code("print('controls')", tags=("sidebar",)),
            Code("print('left half')", tags=("half",)),
            Code("print('right half')", metadata={"nbapp": {"width": "half"}}),
            "print('full width below')",
        ]
    )
    page.set_viewport_size({"width": 1280, "height": 800})
    dashboard(serve, page, nb)
    assert page.inner_text("#nbapp-sidebar").strip() == "controls"
    assert page.is_visible("#nbapp-sidebar")

    def box(text: str) -> dict[str, float]:
        found = page.locator("section.nbapp-cell", has_text=text).bounding_box()
        assert found is not None, text
        return found

    side, left, right, below = (
        box(t) for t in ("controls", "left half", "right half", "full width below")
    )
    assert side["x"] + side["width"] <= left["x"]  # the sidebar is left of the main column
    assert abs(left["y"] - right["y"]) < 2  # the two halves share a row ...
    assert left["x"] + left["width"] <= right["x"]  # ... side by side
    assert abs(left["width"] - right["width"]) < 2
    assert below["y"] >= left["y"] + left["height"]  # the next cell starts a new row
    assert below["width"] > left["width"] * 1.8

    page.set_viewport_size({"width": 600, "height": 800})  # narrow: one column again
    left, right = box("left half"), box("right half")
    assert right["y"] >= left["y"] + left["height"]


# --- colours -------------------------------------------------------------------------------
CONTRAST = """(sel) => {
  const rgb = (s) => s.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = ([r, g, b]) => {
    const c = [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const el = document.querySelector(sel);
  const fg = lum(rgb(getComputedStyle(el).color));
  const bg = lum(rgb(getComputedStyle(document.body).backgroundColor));
  return { ratio: (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05), background: bg };
}"""

THEMED = [
    Md("# Themed"),
    "print('some text output')",
    "import ipywidgets as w\nw.IntSlider(value=3, description='Level')",
]


def page_luminance(page: Page) -> float:
    """Mean luminance (0-255) of what the page shows."""
    shot = Image.open(io.BytesIO(page.screenshot())).convert("L")
    return float(ImageStat.Stat(shot).mean[0])


def readable(page: Page) -> dict[str, float]:
    page.wait_for_selector(".nbapp-widget-ready")
    text = page.evaluate(CONTRAST, "section.nbapp-cell pre")
    label = page.evaluate(CONTRAST, ".widget-label")
    heading = page.evaluate(CONTRAST, "h1")
    for what in (text, label, heading):
        assert what["ratio"] >= 4.5, (text, label, heading)  # WCAG AA for body text
    return text


@pytest.mark.parametrize(("theme", "dark"), [("light", False), ("dark", True)])
def test_theme_by_flag_is_readable(serve, notebook, page: Page, theme: str, dark: bool) -> None:
    dashboard(serve, page, notebook(THEMED), "--theme", theme)
    assert page.get_attribute("body", "data-nbapp-theme") == theme
    colours = readable(page)
    luminance = page_luminance(page)
    if dark:
        assert colours["background"] < 0.05 and luminance < 80, (colours, luminance)
    else:
        assert colours["background"] > 0.9 and luminance > 200, (colours, luminance)


def test_auto_theme_follows_the_system_and_metadata_overrides_it(
    serve, notebook, page: Page
) -> None:
    page.emulate_media(color_scheme="dark")
    dashboard(serve, page, notebook(THEMED))
    assert readable(page)["background"] < 0.05
    assert page_luminance(page) < 80

    page.emulate_media(color_scheme="light")  # the system switches while the app is open
    page.wait_for_function(
        "getComputedStyle(document.body).backgroundColor === 'rgb(255, 255, 255)'"
    )
    assert readable(page)["background"] > 0.9

    page.emulate_media(color_scheme="dark")
    dashboard(
        serve, page, notebook(THEMED, name="light.ipynb", metadata={"nbapp": {"theme": "light"}})
    )
    assert readable(page)["background"] > 0.9


def test_command_line_wins_over_metadata(serve, notebook, page: Page, page_log: PageLog) -> None:
    nb = notebook(THEMED, metadata={"nbapp": {"theme": "light", "mode": "all"}})
    dashboard(serve, page, nb, "--theme", "dark")
    assert readable(page)["background"] < 0.05
    assert not page_log.console_errors


# --- metadata.nbapp is checked on read -----------------------------------------------------
@pytest.mark.parametrize(
    ("meta", "problem"),
    [
        ({"colour": "red"}, "metadata.nbapp: unknown key 'colour'"),
        (
            {"theme": "purple"},
            "metadata.nbapp.theme must be one of auto, light, dark, not 'purple'",
        ),
        ({"mode": "servable"}, "metadata.nbapp.mode must be one of all, tagged"),
        ({"width": "wide"}, "metadata.nbapp.width must be a whole number of pixels"),
        ({"height": 50}, "metadata.nbapp.height must be a whole number of pixels"),
        ({"timeout": -1}, "metadata.nbapp.timeout must be a number of seconds"),
        ({"title": ""}, "metadata.nbapp.title must be a non-empty string"),
        ({"icon": "missing.png"}, "metadata.nbapp.icon: no such file 'missing.png'"),
        ("tagged", "metadata.nbapp must be an object"),
    ],
)
def test_bad_app_metadata_is_one_line_and_exit_2(
    tmp_path: Path, meta: object, problem: str
) -> None:
    nb = tmp_path / "bad.ipynb"
    nb.write_text(
        json.dumps(
            {
                "cells": [],
                "metadata": {
                    "kernelspec": {"name": "python3", "display_name": "Python 3"},
                    "nbapp": meta,
                },
                "nbformat": 4,
                "nbformat_minor": 5,
            }
        )
    )
    result = subprocess.run(
        [NBAPP, "run", "--no-window", str(nb)],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert str(nb) in lines[0] and problem in lines[0], lines[0]


def test_metadata_timeout_applies_and_flag_overrides_it(serve, notebook, page: Page) -> None:
    slow = ["import time\ntime.sleep(30)"]
    nb = notebook(slow, metadata={"nbapp": {"timeout": 1}})
    page.goto(serve(nb).url)
    wait_state(page, "error", timeout=20)
    assert "timed out" in page.inner_text(".nbapp-bar")

    quick = notebook(
        ["import time\ntime.sleep(2)\nprint('slept')"],
        name="q.ipynb",
        metadata={"nbapp": {"timeout": 1}},
    )
    page.goto(serve(quick, "--timeout", "10").url)
    wait_state(page, "done", timeout=30)
    assert "slept" in page.inner_text("body")
