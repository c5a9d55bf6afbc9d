"""Cells to HTML fragments with nbconvert's lab template, never including cell source."""

from __future__ import annotations

import copy
import logging
import re

from nbconvert import HTMLExporter
from nbformat import NotebookNode
from nbformat.v4 import new_notebook
from traitlets.config import Config

from nbapp.paths import templates_dir

log = logging.getLogger(__name__)

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# nbconvert renders a widget view only when the notebook carries the widget's saved state; a
# live kernel's widgets have none, so their views travel under our own type to the template.
LIVE_WIDGET_VIEW = "application/vnd.nbapp.live-widget-view+json"

# Plotly's default renderer in a kernel; the page draws it with the installed plotly.js.
PLOTLY = "application/vnd.plotly.v1+json"

# nbconvert's order, plus live widget views, Plotly figures and JSON (IPython.display.JSON).
_DISPLAY_PRIORITY = [
    LIVE_WIDGET_VIEW,
    PLOTLY,
    "application/javascript",
    "text/html",
    "text/markdown",
    "image/svg+xml",
    "text/latex",
    "image/png",
    "image/jpeg",
    "application/json",
    "text/plain",
]


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
                data = output.get("data", {})
                if WIDGET_VIEW in data:
                    data[LIVE_WIDGET_VIEW] = data.pop(WIDGET_VIEW)
        nb = new_notebook(cells=[shown], metadata=metadata)
        body, _ = self._exporter.from_notebook_node(nb)
        return str(body).strip()
