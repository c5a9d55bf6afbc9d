"""The three measured phases, each on a running app and a headless Chromium page."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from playwright.sync_api import Browser, Page

from bench.page import wait_loaded, watch
from bench.servers import Server

from .target import Sample, kernels, sample

WIDGET_VIEWS = 2  # the notebook displays two widget boxes
_MODEL = re.compile(r"soak slider ([0-9a-f]{32})")

# Raw comm messages from the page's own kernel connection: the widget library would merge
# changes while one is in flight; this sends every one, as fast as the page can.
_STORM = """
async ([id, first, n]) => {
  const model = await window.nbappWidgets.manager.get_model(id);
  const t0 = performance.now();
  for (let value = first; value < first + n; value++) {
    model.comm.send({ method: "update", state: { value }, buffer_paths: [] });
  }
  return performance.now() - t0;
}
"""
# What a user does: the widget library's own path (moves merged while one is in flight).
_MOVE = """
async ([id, first, n]) => {
  const model = await window.nbappWidgets.manager.get_model(id);
  for (let value = first; value < first + n; value++) {
    model.set("value", value);
    model.save_changes();
    await new Promise((r) => setTimeout(r, 20));
  }
}
"""


def open_page(browser: Browser, server: Server, timeout_s: float) -> Page:
    """The app's page, loaded until ``done`` with its widgets live."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    watch(page, WIDGET_VIEWS)
    page.goto(server.url, wait_until="commit", timeout=timeout_s * 1000)
    if wait_loaded(page, time.time(), timeout_s).done_s is None:
        context.close()
        raise RuntimeError("the first page load did not reach done")
    return page


def model_id(page: Page) -> str:
    found = _MODEL.search(page.inner_text("#nbapp-cells"))
    if not found:
        raise RuntimeError("the soak notebook's slider id is not on the page")
    return found[1]


def seen(page: Page) -> tuple[int, int]:
    """(last value, number of changes) as the kernel reported them."""
    value, count = page.inner_text(".soak-seen").split()
    return int(value), int(count)


@dataclass
class Loads:
    count: int = 0
    stalls: int = 0
    seconds: list[float] = field(default_factory=list)
    most_kernels: int = 0


def loads(page: Page, server: Server, n: int, timeout_s: float) -> Loads:
    """``n`` reloads of the same page; a stall is one not ``done`` within ``timeout_s``."""
    result = Loads()
    for _ in range(n):
        started = time.time()
        page.reload(wait_until="commit", timeout=timeout_s * 1000)
        load = wait_loaded(page, started, timeout_s)
        result.count += 1
        if load.done_s is None:
            result.stalls += 1
        else:
            result.seconds.append(load.done_s)
        result.most_kernels = max(result.most_kernels, len(kernels(server)))
    return result


@dataclass
class Storm:
    changes: int
    send_ms: float = 0.0
    catch_up_s: float = 0.0
    last_sent: int = 0
    kernel_value: int = 0
    kernel_count: int = 0
    before: Sample | None = None
    after: Sample | None = None


def storm(page: Page, server: Server, n: int, clock: float, timeout_s: float) -> Storm:
    """``n`` value changes sent from the page at once; memory before and once the kernel
    has handled the last one."""
    model = model_id(page)
    start_value, start_count = seen(page)
    result = Storm(changes=n, before=sample(server, clock))
    first = start_value + 1
    result.last_sent = first + n - 1
    started = time.monotonic()
    result.send_ms = float(page.evaluate(_STORM, [model, first, n]))
    expected = f"{result.last_sent} {start_count + n}"
    try:
        page.wait_for_function(
            "(t) => document.querySelector('.soak-seen')?.textContent === t",
            arg=expected,
            timeout=timeout_s * 1000,
            polling=100,
        )
    finally:
        result.catch_up_s = time.monotonic() - started
        result.kernel_value, count = seen(page)
        result.kernel_count = count - start_count
    time.sleep(5)  # the storm is over: the last replies have left, the server has settled
    result.after = sample(server, clock)
    return result


@dataclass
class Soak:
    seconds: float
    samples: list[Sample] = field(default_factory=list)
    moves: int = 0
    reloads: int = 0
    stalls: int = 0


def soak(
    page: Page,
    server: Server,
    seconds: float,
    clock: float,
    *,
    every_s: float = 5.0,
    activity_s: float = 30.0,
    reload_s: float = 120.0,
    progress: Callable[[Sample], None] | None = None,
) -> Soak:
    """Idle, with a user's activity every ``activity_s`` (ten slider moves through the widget
    library) and a reload every ``reload_s``; a sample every ``every_s``."""
    result = Soak(seconds)
    started = time.monotonic()
    next_activity, next_reload = started + activity_s, started + reload_s
    while (now := time.monotonic()) - started < seconds:
        if now >= next_reload:
            next_reload += reload_s
            page.reload(wait_until="commit")
            result.reloads += 1
            if wait_loaded(page, time.time(), 60).done_s is None:
                result.stalls += 1
        if now >= next_activity:
            next_activity += activity_s
            value, _ = seen(page)
            page.evaluate(_MOVE, [model_id(page), value + 1, 10])
            result.moves += 10
        result.samples.append(sample(server, clock))
        if progress is not None:
            progress(result.samples[-1])
        time.sleep(max(0.0, every_s - (time.monotonic() - now)))
    return result
