"""Cells to HTML fragments with nbconvert's lab template and the page template's cell.html.j2,
never including cell source."""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

import jinja2
from nbconvert import HTMLExporter
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from traitlets.config import Config

from nbapp.page import cdn
from nbapp.page.layout import EXEC_TYPES, LOAD_TYPES, Placement
from nbapp.page.template_env import ChainLoader
from nbapp.page.templates import CELL, Template, TemplateError, builtin_template

log = logging.getLogger(__name__)

# What nbconvert renders on the server, in its order. Any other type in an output's bundle
# (widget views, Plotly, Vega, GeoJSON, JSON...) is drawn by the page's renderer registry
# (assets/js/src/registry.js): it travels with the cell as a data block, under this type, next
# to nbconvert's rendering of the best of these (the fallback), and the page picks by rank.
_DISPLAY_PRIORITY = [
    "application/javascript",
    "text/html",
    "text/markdown",
    "image/svg+xml",
    "text/latex",
    "image/png",
    "image/jpeg",
    "text/plain",
]
BUNDLE = "application/vnd.nbapp.mime-bundle+json"
_SERVER_TYPES = frozenset(_DISPLAY_PRIORITY)
# HoloViz's and Bokeh's own types (layout.py): a load bundle is the script that loads BokehJS
# and Panel, an exec bundle a document whose text/html and application/javascript only mean
# something to its renderer, which also connects it to the kernel. The page gets them whole;
# nbconvert draws none of it.
_LOAD_TYPES = LOAD_TYPES
_EXEC_TYPES = EXEC_TYPES


def _page_types(data: NotebookNode) -> dict[str, object]:
    """The part of a bundle the page's renderer registry draws."""
    if _EXEC_TYPES & data.keys():
        return {mime: value for mime, value in data.items() if mime != "text/plain"}
    if _LOAD_TYPES & data.keys():
        return {mime: value for mime, value in data.items() if mime in _LOAD_TYPES}
    standard = [data[t] for t in _SERVER_TYPES if t in data]
    return {
        mime: value
        for mime, value in data.items()
        # Other libraries' types that repeat a standard one's payload are left to the fallback.
        if mime not in _SERVER_TYPES and not (isinstance(value, str) and value in standard)
    }


def _split_bundle(output: NotebookNode) -> None:
    """Move the types the page draws out of ``output.data`` into its BUNDLE entry."""
    data = output.get("data")
    if not data:
        return
    page = _page_types(data)
    if not page:
        return
    if _LOAD_TYPES & data.keys():
        data.pop("application/javascript", None)  # the same script, run by the renderer
    for mime in page:
        del data[mime]
    metadata = {m: v for m, v in output.get("metadata", {}).items() if m in page}
    fallback = next((mime for mime in _DISPLAY_PRIORITY if mime in data), "")
    data[BUNDLE] = {"data": page, "metadata": metadata, "fallback": fallback}


def _empty_display(output: NotebookNode) -> bool:
    return output.output_type in ("display_data", "execute_result") and not output.get("data")


# Authors hide notes in markdown as HTML comments; they are source, not output.
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


class CellRenderer:
    """Turns one cell into the HTML the page shows for it."""

    def __init__(self, *, show_tracebacks: bool, template: Template | None = None) -> None:
        self._show_tracebacks = show_tracebacks
        template = template or builtin_template()
        self._exporter = HTMLExporter(
            template_name="lab",
            template_file=CELL,
            # Tried before nbconvert's own: cell.html.j2 from the template's chain, and
            # "default/cell.html.j2"-style names for what a template extends.
            extra_loaders=[ChainLoader(template.chain)],
            exclude_input=True,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
            config=Config(
                {
                    "NbConvertBase": {"display_data_priority": _DISPLAY_PRIORITY},
                    # One print can reach the kernel's stdout in several flushes; shown as
                    # separate outputs they would break one line in two.
                    "CoalesceStreamsPreprocessor": {"enabled": True},
                }
            ),
        )
        # nbconvert warns about images without alt text on every plot; that is the
        # notebook author's business, not something to print at the app's user.
        self._exporter.log = log.getChild("nbconvert")
        self._exporter.log.setLevel(logging.ERROR)
        self._template = template
        try:
            _ = self._exporter.template  # compiled now: a broken cell.html.j2 fails the start
        except jinja2.TemplateError as exc:
            raise TemplateError(f"{template.chain[0].describe()}: {CELL}: {exc}") from exc

    def warm_up(self, metadata: NotebookNode) -> None:
        """Render a markdown cell and a code cell with an output once, and forget them: what
        nbconvert compiles on its first use is then ready for the notebook's own cells."""
        placement = Placement(shown=True)
        output = new_output("display_data", data={"text/html": "<b>1</b>", "text/plain": "1"})
        code = new_code_cell(outputs=[output, new_output("stream", name="stdout", text="1\n")])
        try:
            markdown = new_markdown_cell("# nbapp *warm-up*")
            self.render(markdown, metadata, placement.template_fields(0, "markdown"))
            self.render(code, metadata, placement.template_fields(1, "code"))
        except Exception as exc:  # a template's own fault shows on a real cell, not here
            log.debug("warming up the cell renderer: %r", exc)

    def render(self, cell: NotebookNode, metadata: NotebookNode, place: dict[str, Any]) -> str:
        """HTML for ``cell``, placed as ``place`` says (``Placement.template_fields``); its
        source is dropped before nbconvert sees it (markdown aside). Empty when the template
        leaves the cell out."""
        shown = copy.deepcopy(cell)
        if "id" not in shown:  # nbformat < 4.5; the one-cell notebook below is 4.5
            shown["id"] = f"nbapp-cell-{place['index']}"
        if shown.cell_type == "markdown":
            shown.source = _HTML_COMMENT.sub("", shown.source)
        elif shown.cell_type == "code":
            shown.source = ""
            # A display with no data is only a handle kept for later updates (Panel makes one
            # per view): there is nothing to show, and nbconvert would warn about it.
            shown.outputs = [o for o in shown.get("outputs", []) if not _empty_display(o)]
            for output in shown.outputs:
                if output.output_type == "error" and not self._show_tracebacks:
                    output.traceback = []
                _split_bundle(output)
        nb = new_notebook(cells=[shown], metadata=metadata)
        try:
            body, _ = self._exporter.from_notebook_node(nb, resources={"nbapp": place})
        except jinja2.TemplateError as exc:
            raise TemplateError(f"{self._template.chain[0].describe()}: {CELL}: {exc}") from exc
        return cdn.rewrite(str(body).strip())
