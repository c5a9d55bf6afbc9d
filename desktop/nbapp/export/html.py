"""``nbapp export``: the executed dashboard as one self-contained HTML file.

The notebook runs once on a private kernel, exactly as ``nbapp run`` runs it (same tags,
template and theme); the page is then rendered from the same page template as the live page,
with every style, script and font inlined (``InlineAssets``) and the widgets' final state
embedded, so it opens from disk with no server and makes no request at all. Widgets render
from that saved state (built-in ipywidgets; they no longer talk to a kernel); math is typeset
by an inlined MathJax, Plotly figures drawn by an inlined plotly.js.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup

from nbapp.dashboard import Dashboard, State
from nbapp.errors import NbappError, NotebookError
from nbapp.export.inline import data_url, inline_links, loader_assets, mentions, script_text
from nbapp.export.widgets import front_ends
from nbapp.notebook import Notebook
from nbapp.page.document import Asset, CellView, PageContext, PageRenderer, resolve
from nbapp.page.gridview import active_view
from nbapp.page.layout import Placement
from nbapp.page.library_assets import plotly_js_dir
from nbapp.page.templates import Template, TemplateError, builtin_template
from nbapp.paths import static_dir
from nbapp.settings import RunSettings

# url() of a file next to a stylesheet (not data:, not another site, not the server's root).
_CSS_URL = re.compile(r"""url\(\s*(["']?)(?![a-zA-Z][\w+.-]*:|/|#)([^"')]+)\1\s*\)""")
_LOCAL_SRC = re.compile(r"""(<img\b[^>]*?\bsrc=)(["'])([^"':]+?)\2""", re.IGNORECASE)
# What MathJax would typeset; without it the page needs no MathJax at all.
_MATH = re.compile(r"\$|\\\(|\\\[|\\begin\{|<math\b|MathJax")
_PLOTLY_MIME = "application/vnd.plotly.v1+json"
_POLICY = (
    '\n<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
    "script-src 'unsafe-inline' 'unsafe-eval' blob:; style-src 'unsafe-inline'; "
    "img-src data: blob:; font-src data:; worker-src blob:; "
    # es-module-shims fetches the ES modules a page compiles itself (Panel's components).
    'connect-src data: blob:">'
)
_MATHJAX_EXPORT = """
window.MathJax.startup.typeset = true;
window.MathJax.svg = { fontCache: "global" };
// No menu: it loads accessibility parts on demand, from a CDN when there is no script path.
window.MathJax.options.enableMenu = false;
"""
# Outputs that add the app's scripts by URL (altair's HTML renderer adds vega's) find them
# already run above: such a script is answered as loaded, not fetched from a server that an
# exported page does not have.
_ANSWER_INLINED = """
(function (inline) {
  var src = Object.getOwnPropertyDescriptor(HTMLScriptElement.prototype, "src");
  Object.defineProperty(HTMLScriptElement.prototype, "src", {
    configurable: true,
    get: function () { return src.get.call(this); },
    set: function (url) {
      if (inline.indexOf(String(url)) < 0) return src.set.call(this, url);
      var script = this;
      setTimeout(function () { script.dispatchEvent(new Event("load")); }, 0);
    },
  });
})(ANSWERED);
"""
# nbapp.js does this in the live page; an export has no nbapp.js.
_FOLLOW_SYSTEM_THEME = """<script>
(function () {
  var dark = window.matchMedia("(prefers-color-scheme: dark)");
  var apply = function () { document.body.dataset.jpThemeLight = String(!dark.matches); };
  apply();
  dark.addEventListener("change", apply);
})();
</script>"""


@dataclass(frozen=True)
class Snapshot:
    """A finished run: what the page showed and the widgets' state."""

    fragments: list[tuple[int, str, Placement]]
    widget_state: dict[str, Any]
    app: dict[str, Any] = field(default_factory=dict)  # a servable template's title...


async def run_to_end(notebook: Notebook, settings: RunSettings) -> Snapshot:
    """Run every cell; a failing cell (or a dead kernel) is the user's to fix: NotebookError."""
    dashboard = Dashboard(notebook, settings)
    events = dashboard.subscribe()
    await dashboard.start()
    try:
        while True:
            event = await events.get()
            if event is None:
                raise NbappError("the run was stopped before it finished")
            if event["type"] != "status":
                continue
            _progress(event["message"])
            if event["state"] != State.RUNNING.value:
                break
        if dashboard.status.state is not State.DONE:
            raise NotebookError(notebook.path, dashboard.status.message.rstrip("."))
        return Snapshot(dashboard.fragments(), dashboard.widget_state, dashboard.app)
    finally:
        await dashboard.close()


def _progress(message: str) -> None:
    if message and sys.stderr.isatty():
        print(f"\r\033[Knbapp: {message}", end="", file=sys.stderr, flush=True)


def _inline_css(asset: Asset) -> str:
    """The stylesheet with the files its ``url()``s name (next to it, inside its root) as
    data URLs, so that fonts and images come along."""
    css = asset.path.read_text(encoding="utf-8")
    root = asset.root.resolve()

    def replace(match: re.Match[str]) -> str:
        target = (asset.path.parent / match.group(2).split("?")[0].split("#")[0]).resolve()
        if not (target.is_file() and target.is_relative_to(root)):
            return match.group(0)
        return f'url("{data_url(target)}")'

    return _CSS_URL.sub(replace, css).replace("</style", "<\\/style")


def _inline_local_images(html: str, folder: Path) -> str:
    """Images next to the notebook that its Markdown or HTML shows become data URLs."""

    def replace(match: re.Match[str]) -> str:
        target = (folder / match.group(3)).resolve()
        if not (target.is_file() and target.is_relative_to(folder.resolve())):
            return match.group(0)
        return f"{match.group(1)}{match.group(2)}{data_url(target)}{match.group(2)}"

    return _LOCAL_SRC.sub(replace, html)


class InlineAssets:
    """An exported page: every file the template names is inlined; MathJax, plotly.js, the
    renderers' libraries and the widgets' state only when the cells need them. The cells
    travel in inert <template>s that the widget bundle shows as the live page shows cells."""

    def __init__(
        self, template: Template, snapshot: Snapshot, cells: list[CellView], theme: str
    ) -> None:
        self._template = template
        self._snapshot = snapshot
        self._cells = cells
        self._content = "".join(cell.html for cell in cells)
        self._theme = theme

    def static_url(self, ref: str) -> str:
        return data_url(resolve(self._template, ref).path)

    def stylesheet(self, ref: str, media: str = "") -> Markup:
        css = _inline_css(resolve(self._template, ref))
        media_attr = Markup(' media="{}"').format(media) if media else ""
        return Markup("<style{}>").format(media_attr) + Markup(css) + Markup("</style>")

    def script(self, ref: str) -> Markup:
        return _script(resolve(self._template, ref).path.read_text(encoding="utf-8"))

    def head(self) -> Markup:
        if not _MATH.search(self._content):
            return Markup()
        static = static_dir()
        config = (static / "mathjax-config.js").read_text(encoding="utf-8")
        return _script(config + _MATHJAX_EXPORT) + _script(
            (static / "vendor" / "mathjax" / "tex-svg.js").read_text(encoding="utf-8")
        )

    def scripts(self) -> Markup:
        parts = [self._cell_templates()]
        if self._theme == "auto":
            parts.append(Markup(_FOLLOW_SYSTEM_THEME))
        if self._snapshot.widget_state:
            state = json.dumps(self._snapshot.widget_state, separators=(",", ":"))
            parts.append(
                Markup(
                    '<script type="application/vnd.jupyter.widget-state+json" '
                    'id="nbapp-widget-state">'
                )
                + Markup(script_text(state))
                + Markup("</script>")
            )
        plotly = plotly_js_dir() if mentions(self._content, _PLOTLY_MIME) else None
        if plotly is not None:
            parts.append(_script('window.PlotlyConfig = { MathJaxConfig: "local" };'))
            parts.append(_script((plotly / "plotly.min.js").read_text("utf-8")))
        styles, scripts, answered = loader_assets(self._content)
        parts += [Markup("<style>") + Markup(style) + Markup("</style>") for style in styles]
        parts += [Markup("<script>") + Markup(script) + Markup("</script>") for script in scripts]
        parts.append(_script(_ANSWER_INLINED.replace("ANSWERED", json.dumps(answered))))
        carried = front_ends(self._snapshot.widget_state)
        if carried is not None:  # third-party widget front ends, answered by exported.js
            parts.append(
                Markup('<script type="application/json" id="nbapp-front-ends">')
                # every "<" escaped: valid JSON that cannot end its <script> (or open a comment)
                + Markup(json.dumps(carried, separators=(",", ":")).replace("<", "\\u003c"))
                + Markup("</script>")
            )
        parts.append(self.script("nbapp:widgets/widgets.js"))
        return Markup("\n").join(parts)

    def _cell_templates(self) -> Markup:
        regions = {"main": Markup(), "sidebar": Markup()}
        for cell in self._cells:
            key = "sidebar" if cell.region == "sidebar" else "main"
            regions[key] += cell.html
        return Markup(
            '<template id="nbapp-export-main">{}</template>\n'
            '<template id="nbapp-export-sidebar">{}</template>'
        ).format(regions["main"], regions["sidebar"])


def _script(source: str) -> Markup:
    return Markup("<script>") + Markup(script_text(source)) + Markup("</script>")


def render_page(
    notebook: Notebook, snapshot: Snapshot, theme: str, template: Template | None = None
) -> str:
    """The self-contained page for ``snapshot``, laid out by ``template``."""
    template = template or builtin_template()
    cells = [
        CellView(
            index,
            placement.region,
            Markup(inline_links(_inline_local_images(html, notebook.folder))),
        )
        for index, html, placement in snapshot.fragments
    ]
    context = PageContext(
        title=notebook.title,
        theme=theme,
        state=State.DONE.value,
        export=True,
        cells=cells,
        grid=active_view(notebook.node.metadata),
        app=snapshot.app,
    )
    assets = InlineAssets(template, snapshot, cells, theme)
    return _with_policy(PageRenderer(template).render(context, assets), template)


def _with_policy(page: str, template: Template) -> str:
    """The policy goes first in <head>, whatever the template put there: nothing the page
    holds may fetch anything."""
    head = re.search(r"<head\b[^>]*>", page, re.IGNORECASE)
    if head is None:
        raise TemplateError(f"{template.chain[0].describe()}: the page has no <head>")
    return page[: head.end()] + _POLICY + page[head.end() :]


def export(notebook: Notebook, settings: RunSettings, out: Path) -> int:
    """Run ``notebook`` and write its page to ``out``; the page's size in bytes."""
    snapshot = asyncio.run(run_to_end(notebook, settings))
    return write_page(render_page(notebook, snapshot, settings.theme, settings.template), out)


def write_page(page: str, out: Path) -> int:
    """Write ``page`` to ``out`` whole or not at all; its size in bytes."""
    data = page.encode("utf-8")
    partial = out.with_name(f".{out.name}.partial")
    partial.write_bytes(data)  # a failed write never leaves half a page under the real name
    partial.replace(out)
    return len(data)
