"""The apps the packaging tests run, built together: one `nbapp package` command for every
app the selected tests need (the default build: the system's WebKitGTK window on Linux).

A PyInstaller build of a real notebook takes a minute or more on two cores, so the tests do
not each build their own: test_package.py, test_package_corpus.py and test_package_window.py
name the apps they use (``DEFAULT_BUILD`` in the module) and the session fixture
``default_build`` (conftest.py) builds all of those at once, in one PyInstaller process.
The self-contained Qt build is tests/test_installers.py's (``--webview qt`` with installers).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from libraries import SEEN
from support import NBAPP, Md, write_notebook

REPO = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).resolve().parent / "package_corpus"
SHARED = REPO.parent / "shared" / "corpus"
BUILD_TIMEOUT = 3600

# test_package.py's notebook: ipywidgets, numpy, matplotlib, a CSV only the code names, and a
# template of the user's outside the notebook's folder, named in the notebook's metadata.
SALES_CSV = "x,y\n1,10\n2,20\n3,35\n"
SALES_TOTAL = "CSV total: 65"
# test_package_window.py's notebook: a slow cell, then a magenta block (for the screen).
BOARD_TITLE = "Field Board"
BOARD_SLEEP = 5
BOARD_BLOCK = "<div style='width:600px;height:300px;background:#ff00ff'></div>"


def sales(folder: Path) -> Path:
    project = folder / "project"
    project.mkdir(parents=True)
    (project / "measurements.csv").write_text(SALES_CSV)
    brand = folder / "brand"
    (brand / "static").mkdir(parents=True)
    (brand / "page.html.j2").write_text(
        '{% extends "default/page.html.j2" %}'
        '{% block stylesheets %}{{ super() }}{{ stylesheet("brand.css") }}{% endblock %}'
        '{% block header %}<div class="brand">Sales desk</div>{{ super() }}{% endblock %}'
    )
    (brand / "static" / "brand.css").write_text(".brand { color: rgb(0, 128, 0); }")
    return write_notebook(
        project / "sales.ipynb",
        [
            Md("# Packaged sales"),
            "import csv\n"
            "with open('measurements.csv') as f:\n"
            "    rows = list(csv.DictReader(f))\n"
            "total = sum(int(r['y']) for r in rows)\n"
            "print(f'CSV total: {total}')",
            "import numpy as np\n"
            "import matplotlib.pyplot as plt\n"
            "xs = np.array([int(r['x']) for r in rows])\n"
            "fig, ax = plt.subplots()\n"
            "ax.plot(xs, xs ** 2)\n"
            "plt.show()",
            "import ipywidgets as widgets\n"
            "slider = widgets.IntSlider(value=total, max=200, description='Total')\n"
            "slider",
        ],
        metadata={"nbapp": {"template": "../brand"}},
    )


def board(folder: Path) -> Path:
    return write_notebook(
        folder / "board.ipynb",
        [
            Md(f"# {BOARD_TITLE}"),
            # Long enough that the live run is still going while the window first paints the
            # build run's snapshot: the block below is then dimmed, not live.
            f"import time\ntime.sleep({BOARD_SLEEP})\nprint('slow cell done')",
            f"from IPython.display import HTML\nHTML({BOARD_BLOCK!r})",
        ],
    )


# test_package.py's Panel app (tagged mode, as for `panel serve`).
def wind(folder: Path) -> Path:
    """Written for `panel serve`: a narrative, and a servable Column (tagged mode)."""
    return write_notebook(
        folder / "wind.ipynb",
        [
            Md("# Narrative the app does not show"),
            "import panel as pn\nimport panel_material_ui as pmui\nimport pandas as pd\n"
            "import hvplot.pandas\npn.extension()",
            "speed = pn.widgets.IntSlider(name='speed', start=1, end=10, value=3)\n"
            "def power(n):\n"
            "    return f'kernel computed {n * 10} kW'\n"
            "frame = pd.DataFrame({'t': range(6), 'kw': [0, 1, 4, 9, 16, 25]})\n"
            "line = frame.hvplot.line(x='t', y='kw', width=320, height=200)\n"
            "reset = pmui.Button(label='Reset view')\n"
            "pn.Column(speed, pn.bind(power, speed), line, reset).servable()",
        ],
        metadata={"nbapp": {"mode": "tagged"}},
    )


def charts(folder: Path) -> Path:
    """A folium map, an itables table and an altair chart: what their outputs link to
    (vendored copies, itables' own bundle) must travel with the app."""
    return write_notebook(
        folder / "charts.ipynb",
        [
            "import folium\nm = folium.Map(location=[45.5, -122.6], zoom_start=11)\n"
            "folium.Marker([45.5, -122.6], popup='packaged').add_to(m)\nm",
            "import pandas as pd, itables\n"
            "itables.show(pd.DataFrame({'n': range(25)}), connected=True)",
            "import altair as alt\nalt.renderers.set_embed_options(renderer='svg')\n"
            "alt.Chart(pd.DataFrame({'x': [1, 2, 3], 'y': [3, 1, 2]})).mark_point().encode(x='x', y='y')",
        ],
    )


# test_widgets_package.py's notebook: an ipytree (one widget front end), clicked in the page.
TREE = (
    SEEN
    + """
import ipytree
tree = ipytree.Tree()
root = ipytree.Node("fruits")
apple = ipytree.Node("apple")
root.add_node(apple)
tree.add_node(root)
tree_seen = seen_label("tree")
apple.observe(lambda c: setattr(tree_seen, "value", f"apple selected {c['new']}"), names="selected")
_w.VBox([tree, tree_seen])
"""
)


def tree(folder: Path) -> Path:
    return write_notebook(folder / "tree.ipynb", [TREE])


def _copy(source: Path, *, with_folder: bool = False) -> Callable[[Path], Path]:
    def copy(folder: Path) -> Path:
        if with_folder:
            shutil.copytree(source.parent, folder)
        else:
            folder.mkdir(parents=True)
            shutil.copy(source, folder)
        return folder / source.name

    return copy


# name -> writes the notebook (and what it reads) into an empty folder; its path. The app's
# name is the notebook's file name.
NOTEBOOKS: dict[str, tuple[Callable[[Path], Path], Path | None]] = {
    "sales": (sales, None),
    "board": (board, None),
    "charts": (charts, None),
    "wind": (wind, None),
    "tree": (tree, None),
    "dashboard": (
        _copy(SHARED / "voila" / "dashboard.ipynb"),
        SHARED / "voila" / "dashboard.ipynb",
    ),
    "seaborn_gallery": (_copy(CORPUS / "seaborn_gallery.ipynb"), None),
    "scipy_tutorial": (_copy(CORPUS / "scipy_tutorial.ipynb"), None),
    "sklearn_iris": (_copy(CORPUS / "sklearn_iris.ipynb"), None),
    "plotly_express": (_copy(CORPUS / "plotly_express.ipynb"), None),
    "files": (_copy(CORPUS / "files" / "files.ipynb", with_folder=True), None),
    "magics": (_copy(CORPUS / "magics.ipynb"), None),
}


def available(name: str) -> bool:
    """False for a notebook that lives outside this repository and is not next to it."""
    needs = NOTEBOOKS[name][1]
    return needs is None or needs.is_file()


@dataclass(frozen=True)
class Build:
    """What one `nbapp package` command built."""

    dist: Path
    stderr: str
    seconds: float
    names: tuple[str, ...]

    def executable(self, name: str) -> Path:
        return self.dist / name / name

    def folder(self, name: str) -> Path:
        return self.dist / name

    def stage(self, name: str, started: str) -> str:
        """The line that ends the stage ``name`` whose start line holds ``started`` (stages of
        several apps are numbered in one sequence: ``nbapp: [3/20] trim: ...``)."""
        lines = self.stderr.splitlines()
        for line in lines:
            match = re.match(rf"nbapp: (\[\d+/\d+\]) {re.escape(name)}: (.*) \.\.\.$", line)
            if match and started in match[2]:
                ends = [x for x in lines if x.startswith(f"nbapp: {match[1]} {name}: done in ")]
                assert ends, f"{name} ({started}) did not finish: {self.stderr[-3000:]}"
                return ends[0]
        raise AssertionError(f"no {name} stage for {started!r}: {self.stderr[-3000:]}")


def build(names: list[str], work: Path) -> Build:
    """Every named app, by one `nbapp package NB...` command with default options."""
    names = [name for name in dict.fromkeys(names) if available(name)]
    notebooks = [str(NOTEBOOKS[name][0](work / "src" / name)) for name in names]
    started = time.monotonic()
    done = subprocess.run(
        [NBAPP, "package", *notebooks, "-o", str(work / "dist")],
        cwd=work,
        # One cache folder for the whole build: nbapp's work folders and PyInstaller's own.
        env={**os.environ, "XDG_CACHE_HOME": str(work / "cache")},
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        check=False,
    )
    (work / "package.log").write_text(done.stderr)  # each stage's time, each app's size
    assert done.returncode == 0, done.stderr[-4000:]
    return Build(work / "dist", done.stderr, time.monotonic() - started, tuple(names))
