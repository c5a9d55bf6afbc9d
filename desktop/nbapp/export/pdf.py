"""``nbapp export --pdf``: the exported page printed to PDF by a web engine nbapp already has.

No LaTeX and no browser download: Qt WebEngine (PySide6, which nbapp's Linux window already
installs) opens the self-contained exported page offscreen, waits until it has drawn
(widgets from their saved state, math, fonts, charts), and prints it with Chromium's own
printToPdf. Where Qt WebEngine is not installed, an installed Chromium, Chrome or Edge prints
it headless instead. ``NBAPP_PDF_ENGINE=qt|chromium`` chooses.

The engine runs in a child process (``python -m nbapp.export.pdf PAGE PDF``): Qt wants the main
thread and an event loop of its own, and Chromium's chatter stays out of the user's terminal.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from nbapp.errors import NbappError, UsageError

log = logging.getLogger(__name__)

ENGINE_ENV = "NBAPP_PDF_ENGINE"
_PRINT_SECONDS = 180.0
_DRAWN_SECONDS = 30.0  # then it prints what it has, with a warning in the log
_QUIET_MS = 300  # the page has drawn once its DOM has not changed for this long
_BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome", "msedge")

# Run in the page: sets window.__nbappDrawn once fonts, MathJax and the saved widgets are
# done and nothing has changed in the DOM for a moment (charts draw asynchronously).
READY_SCRIPT = f"""
(() => {{
  if (window.__nbappWaiting) return;
  window.__nbappWaiting = true;
  let last = performance.now();
  new MutationObserver(() => {{ last = performance.now(); }})
    .observe(document.documentElement, {{subtree: true, childList: true, attributes: true}});
  const mathjax = window.MathJax && window.MathJax.startup && window.MathJax.startup.promise;
  const widgets = window.nbappWidgets && window.nbappWidgets.manager &&
    window.nbappWidgets.manager._restored;
  Promise.all([document.fonts.ready, mathjax, widgets]).then(() => {{
    const check = () => {{
      const pending = document.querySelector(
        ".nbapp-widget:not(.nbapp-widget-ready):not(.nbapp-widget-failed)");
      if (!pending && performance.now() - last >= {_QUIET_MS}) window.__nbappDrawn = true;
      else setTimeout(check, 50);
    }};
    check();
  }});
}})();
"""


class PdfError(NbappError):
    """The page could not be printed (exit 1)."""

    exit_code = 1


class NoPdfEngineError(UsageError):
    """Nothing here can print a page (exit 2, before the notebook runs)."""


def _qt_available() -> bool:
    try:
        return importlib.util.find_spec("PySide6.QtWebEngineCore") is not None
    except (ImportError, ValueError):
        return False


def _browser() -> str | None:
    for name in _BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def choose_engine() -> str:
    """qt or chromium, or PdfError naming what to install."""
    wanted = os.environ.get(ENGINE_ENV, "").strip().lower()
    if wanted not in ("", "qt", "chromium"):
        raise NoPdfEngineError(f"{ENGINE_ENV} must be qt or chromium, not {wanted!r}")
    if wanted in ("", "qt") and _qt_available():
        return "qt"
    if wanted in ("", "chromium") and _browser():
        return "chromium"
    if wanted == "chromium":
        raise NoPdfEngineError(f"cannot print to PDF: {ENGINE_ENV}=chromium but no Chromium found")
    raise NoPdfEngineError(
        "cannot print to PDF: no web engine found "
        "(pip install PySide6-WebEngine, or install Chromium)"
    )


def print_page(page: Path, out: Path) -> None:
    """Print the self-contained page ``page`` (an exported .html) to ``out``."""
    engine = choose_engine()
    with tempfile.TemporaryDirectory(prefix="nbapp-pdf-") as scratch:
        partial = Path(scratch) / "page.pdf"
        if engine == "qt":
            _run_child([sys.executable, "-m", "nbapp.export.pdf", str(page), str(partial)], scratch)
        else:
            _run_chromium(page, partial, scratch)
        if not partial.is_file() or partial.stat().st_size == 0:
            raise PdfError(f"the {engine} engine wrote no PDF")
        shutil.move(str(partial), out)


def _run_child(argv: list[str], scratch: str) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TMPDIR": scratch}
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        env.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")  # Chromium refuses root otherwise
    try:
        result = subprocess.run(
            argv, capture_output=True, text=True, env=env, timeout=_PRINT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise PdfError(f"printing to PDF took longer than {_PRINT_SECONDS:g} s") from exc
    log.debug("PDF engine output:\n%s", result.stderr)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no message"])[-1]
        raise PdfError(f"printing to PDF failed: {last}")


def _run_chromium(page: Path, out: Path, scratch: str) -> None:
    browser = _browser()
    assert browser is not None
    argv = [
        browser,
        "--headless",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={scratch}/profile",
        "--no-pdf-header-footer",
        "--virtual-time-budget=20000",  # lets the page's scripts draw before it prints
        f"--print-to-pdf={out}",
        page.resolve().as_uri(),
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.insert(1, "--no-sandbox")
    _run_child(argv, scratch)


# --- the child process: Qt WebEngine, offscreen ----------------------------------------------
def _qt_main(page: Path, out: Path) -> int:
    from PySide6.QtCore import QMarginsF, QTimer, QUrl
    from PySide6.QtGui import QPageLayout, QPageSize
    from PySide6.QtWebEngineCore import QWebEnginePage
    from PySide6.QtWidgets import QApplication

    app = QApplication([sys.argv[0]])
    view = QWebEnginePage()
    outcome: list[int] = []
    waited = [0.0]
    step_ms = 100

    def finish(code: int) -> None:
        outcome.append(code)
        app.quit()

    def printed(_path: str, success: bool) -> None:
        finish(0 if success else 1)

    def print_now() -> None:
        margins = QMarginsF(12, 12, 12, 12)
        layout = QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Portrait,
            margins,
            QPageLayout.Unit.Millimeter,
        )
        view.printToPdf(str(out), layout)

    def poll() -> None:
        def answer(drawn: object) -> None:
            waited[0] += step_ms / 1000
            if drawn is True:
                print_now()
            elif waited[0] > _DRAWN_SECONDS:
                late = f"nbapp.export.pdf: the page had not drawn after {_DRAWN_SECONDS:g} s"
                print(late, file=sys.stderr)
                print_now()
            else:
                QTimer.singleShot(step_ms, poll)

        view.runJavaScript("window.__nbappDrawn === true", 0, answer)

    def loaded(ok: bool) -> None:
        if not ok:
            print(f"nbapp.export.pdf: could not load {page}", file=sys.stderr)
            finish(1)
            return
        view.runJavaScript(READY_SCRIPT, 0)
        poll()

    view.pdfPrintingFinished.connect(printed)
    view.loadFinished.connect(loaded)
    view.load(QUrl.fromLocalFile(str(page.resolve())))
    app.exec()
    return outcome[0] if outcome else 1


if __name__ == "__main__":
    sys.exit(_qt_main(Path(sys.argv[1]), Path(sys.argv[2])))
