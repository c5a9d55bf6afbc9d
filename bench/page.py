"""What the user sees, timed inside headless Chromium.

An init script watches the DOM (MutationObserver plus a 5 ms poll, for changes that only
CSS makes visible) and stamps, on the page's own clock converted to wall-clock time:

- ``first``: the first cell output (``.jp-OutputArea-output``) that has a size on screen.
  Voilà keeps its cells in a hidden ``#rendered_cells`` until the notebook ran, then renders
  each output in the browser; nbapp shows each cell as it finishes.
- ``done``: every cell ran and every widget view is live. nbapp: ``body[data-nbapp-state]``
  is ``done`` and every ``.nbapp-widget`` is ``.nbapp-widget-ready``. Voilà: its loading
  spinner is gone (``voila_finish`` ran after the last cell), the document has loaded, no
  cell output is left unrendered (``script[type=application/vnd.voila.cell-output+json]``)
  and every widget output panel holds a rendered view. In both the page must also show at
  least as many widget views as the notebook displays.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

# Debian's Chromium, headless, as every page in the benchmarks is opened.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Offline, fast: names other than loopback do not resolve, so a page's CDN requests fail
    # at once instead of waiting on the network (no request interception, which adds latency).
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]

WATCH = """
(() => {
  const bench = (window.__bench = { first: null, done: null, views: 0, minViews: 0 });
  const now = () => performance.timeOrigin + performance.now();
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  const nbappDone = () => {
    if (document.body.dataset.nbappState !== "done") return false;
    const all = [...document.querySelectorAll(".nbapp-widget")];
    bench.views = all.filter((el) => el.matches(".nbapp-widget-ready")).length;
    return all.every((el) => el.matches(".nbapp-widget-ready"));
  };
  const voilaDone = () => {
    if (document.getElementById("loading") || document.readyState !== "complete") return false;
    const pending = 'script[type="application/vnd.voila.cell-output+json"]';
    if (document.querySelector(pending)) return false;
    const panels = [...document.querySelectorAll("#rendered_cells .jp-OutputArea-output.lm-Panel")]
      .filter((el) => !el.parentElement.closest(".jupyter-widgets"));
    const live = panels.filter((el) => el.querySelector(".jupyter-widgets"));
    bench.views = live.length;
    return live.length === panels.length;
  };
  const check = () => {
    if (!document.body) return;
    if (bench.first === null) {
      const outputs = document.querySelectorAll(".jp-OutputArea-output");
      for (const el of outputs) { if (shown(el)) { bench.first = now(); break; } }
    }
    if (bench.done === null) {
      const ready = document.body.dataset.nbappState !== undefined ? nbappDone() : voilaDone();
      if (ready && bench.first !== null && bench.views >= bench.minViews) bench.done = now();
    }
  };
  const tick = () => {
    check();
    if (bench.done === null || bench.first === null) setTimeout(tick, 5);
  };
  new MutationObserver(check).observe(document, {
    subtree: true, childList: true, attributes: true, characterData: true,
  });
  tick();
})();
"""

ROUND_TRIP = """
([target, expected]) => {
  window.__rt = new Promise((resolve) => {
    let t0 = null;
    const stamp = (e) => { t0 = e.timeStamp; };
    document.addEventListener("keydown", stamp, { capture: true, once: true });
    const el = document.querySelector(target);
    const settle = () => {
      if (t0 !== null && el.textContent.trim() === expected) {
        observer.disconnect();
        resolve(performance.now() - t0);
        return true;
      }
      return false;
    };
    const observer = new MutationObserver(settle);
    observer.observe(el, { subtree: true, childList: true, characterData: true });
  });
}
"""


@dataclass(frozen=True)
class Load:
    """Seconds from process start to first output and to all done; widget views seen."""

    first_s: float | None
    done_s: float | None
    views: int


def watch(page: Page, min_views: int) -> None:
    """Install the stamps before any page script runs (call before ``goto``)."""
    page.add_init_script(WATCH.replace("minViews: 0", f"minViews: {int(min_views)}"))


def wait_loaded(page: Page, started: float, timeout_s: float) -> Load:
    """Wait until ``done`` is stamped (or the timeout); times are from ``started`` (epoch s)."""
    # On a timeout, report what was stamped: the run counts as failed.
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function(
            "() => window.__bench && window.__bench.done !== null && window.__bench.first !== null",
            timeout=timeout_s * 1000,
            polling=50,
        )
    stamps: dict[str, Any] = page.evaluate("() => window.__bench || {}")

    def since(key: str) -> float | None:
        value = stamps.get(key)
        return None if value is None else value / 1000 - started

    return Load(since("first"), since("done"), int(stamps.get("views") or 0))


@dataclass(frozen=True)
class RoundTrip:
    """A slider in the page, and the element its kernel callback rewrites."""

    handle: str
    target: str
    text: str  # format with the slider's value, e.g. "square={square}"

    def expected(self, value: int) -> str:
        return self.text.format(value=value, square=value**2, cube=value**3)


def round_trips(
    page: Page, spec: RoundTrip, moves: int, warmup: int = 3, pause_ms: float = 250
) -> list[float]:
    """Press ArrowRight on the slider ``moves`` times; milliseconds from the key event to the
    dependent text being in the DOM, for each move after ``warmup``."""
    page.focus(spec.handle, timeout=20_000)
    value = int(float(page.get_attribute(spec.handle, "aria-valuenow") or 0))
    timings: list[float] = []
    for index in range(warmup + moves):
        value += 1
        page.evaluate(ROUND_TRIP, [spec.target, spec.expected(value)])
        page.keyboard.press("ArrowRight")
        elapsed = page.evaluate(
            "() => Promise.race([window.__rt, new Promise((r) => setTimeout(r, 10000, null))])"
        )
        if elapsed is None:
            raise RuntimeError(f"no update of {spec.target} to {spec.expected(value)!r} in 10 s")
        if index >= warmup:
            timings.append(float(elapsed))
        page.wait_for_timeout(pause_ms)
    return timings
