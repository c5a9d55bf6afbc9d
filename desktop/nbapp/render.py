"""Cells to HTML fragments with nbconvert's lab template, never including cell source."""

from __future__ import annotations

import copy
import logging
import re

from nbconvert import HTMLExporter
from nbformat import NotebookNode
from nbformat.v4 import new_notebook
from traitlets.config import Config

from nbapp import cdn
from nbapp.paths import templates_dir

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


def _split_bundle(output: NotebookNode) -> None:
    """Move the types the page draws out of ``output.data`` into its BUNDLE entry."""
    data = output.get("data")
    if not data:
        return
    standard = [data[t] for t in _SERVER_TYPES if t in data]
    page = {
        mime: value
        for mime, value in data.items()
        # Bokeh's and HoloViews' load bundles repeat their application/javascript: the
        # fallback already runs that payload, so it is not sent twice.
        if mime not in _SERVER_TYPES and not (isinstance(value, str) and value in standard)
    }
    if not page:
        return
    for mime in page:
        del data[mime]
    metadata = {m: v for m, v in output.get("metadata", {}).items() if m in page}
    fallback = next((mime for mime in _DISPLAY_PRIORITY if mime in data), "")
    data[BUNDLE] = {"data": page, "metadata": metadata, "fallback": fallback}


# Authors hide notes in markdown as HTML comments; they are source, not output.
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


class CellRenderer:
    """Turns one cell into the HTML the page shows for it."""

    def __init__(self, *, show_tracebacks: bool) -> None:
        self._show_tracebacks = show_tracebacks
        self._exporter = HTMLExporter(
            template_name="nbapp",
            template_file="cell.html.j2",
            extra_template_basedirs=[str(templates_dir())],
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

    def render(self, cell: NotebookNode, metadata: NotebookNode) -> str:
        """HTML for ``cell``; its source is dropped before nbconvert sees it (markdown aside)."""
        shown = copy.deepcopy(cell)
        if shown.cell_type == "markdown":
            shown.source = _HTML_COMMENT.sub("", shown.source)
        elif shown.cell_type == "code":
            shown.source = ""
            for output in shown.get("outputs", []):
                if output.output_type == "error" and not self._show_tracebacks:
                    output.traceback = []
                _split_bundle(output)
        nb = new_notebook(cells=[shown], metadata=metadata)
        body, _ = self._exporter.from_notebook_node(nb)
        return cdn.rewrite(str(body).strip())
