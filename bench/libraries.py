"""``python -m bench.libraries``: which libraries render live and offline, nbapp against Voilà.

For each library of the table, one small notebook is written and run by both tools in one
run, each page in a fresh headless Chromium context where every request off 127.0.0.1 is
recorded and refused (as offline). A library *renders* when an element of its own rendering
shows within the time limit (a chart's marks, a map's marker, a table's rows, a widget's
canvas...). The report also counts the requests the page tried off 127.0.0.1 beyond those of
the tool's own page (Voilà's page links Font Awesome on a CDN whatever the notebook) and the
console errors. Writes docs/libraries.md; the libraries come from
bench/requirements-libraries.txt, installed in both tools' environments.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook
from playwright.sync_api import Browser, Page, sync_playwright

from .cases import HERE
from .environment import describe
from .page import CHROMIUM, WATCH
from .servers import Server, start_nbapp, start_voila

REPO = HERE.parent
# As bench/page.py's, but requests off loopback are routed (recorded, then refused) instead of
# failing in the resolver, so that the report can say which ones a page tried.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")


@dataclass(frozen=True)
class Library:
    """A notebook showing one library, and how to see its own rendering in the page."""

    name: str
    code: str
    selector: str  # Playwright CSS (pierces open shadow roots)
    shows: str  # what the selector finds, for the report
    frame: str = ""  # the selector lives in this iframe's document
    owner: str = "13b"
    note: str = ""  # what a reader should know about this row (printed under the table)


def _lib(name: str, code: str, selector: str, shows: str, **kw: str) -> Library:
    return Library(name, code.strip(), selector, shows, **kw)


LIBRARIES = (
    _lib(
        "matplotlib",
        "import matplotlib.pyplot as plt\nplt.plot([1, 3, 2])\nplt.show()",
        ".jp-OutputArea-output img[src^='data:image/png']",
        "the figure as a PNG",
    ),
    _lib(
        "ipympl",
        "%matplotlib widget\nimport matplotlib.pyplot as plt\nplt.plot([1, 3, 2])\nplt.show()",
        ".jupyter-matplotlib canvas",
        "the figure's canvas",
        owner="13a",
    ),
    _lib(
        "seaborn",
        "import seaborn as sns, pandas as pd\n"
        "sns.barplot(data=pd.DataFrame({'g': list('abc'), 'v': [3, 1, 2]}), x='g', y='v')",
        ".jp-OutputArea-output img[src^='data:image/png']",
        "the plot as a PNG",
    ),
    _lib(
        "plotly express",
        "import plotly.express as px\npx.scatter(x=[1, 2, 3], y=[3, 1, 2])",
        ".main-svg .scatterlayer .point",
        "the scatter's points",
    ),
    _lib(
        "plotly FigureWidget",
        "import plotly.graph_objects as go\ngo.FigureWidget(go.Bar(y=[1, 3, 2]))",
        ".main-svg .barlayer .point",
        "the bars",
        owner="13a",
    ),
    _lib(
        "bokeh",
        "from bokeh.io import output_notebook, show\nfrom bokeh.plotting import figure\n"
        "output_notebook(hide_banner=True)\np = figure(width=300, height=200)\n"
        "p.scatter([1, 2, 3], [3, 1, 2], size=10)\nshow(p)",
        ".bk-Figure canvas",
        "the plot's canvas",
    ),
    _lib(
        "altair / Vega-Lite",
        "import altair as alt, pandas as pd\n"
        "alt.Chart(pd.DataFrame({'x': [1, 2, 3], 'y': [3, 1, 2]})).mark_point().encode(x='x', y='y')",
        ".vega-embed canvas, .vega-embed svg.marks",
        "vega's chart",
    ),
    _lib(
        "bqplot",
        "import bqplot.pyplot as bplt\nfig = bplt.figure()\nbplt.plot([1, 2, 3], [3, 1, 2])\nbplt.show()",
        # bqplot 0.13 draws a Lines mark as a path in a g.curve (no "mark" class)
        ".bqplot g.curve path.line",
        "the line mark",
        owner="13a",
    ),
    _lib(
        "ipyleaflet",
        "from ipyleaflet import Map, Marker\nm = Map(center=(45.5, -122.6), zoom=10)\n"
        "m.add(Marker(location=(45.5, -122.6)))\nm",
        ".leaflet-container .leaflet-marker-icon",
        "the map's marker",
        owner="13a",
    ),
    _lib(
        "folium",
        "import folium\nm = folium.Map(location=[45.5, -122.6], zoom_start=10)\n"
        "folium.Marker([45.5, -122.6]).add_to(m)\nm",
        ".leaflet-marker-icon",
        "the map's marker (in folium's iframe)",
        frame=".jp-OutputArea-output iframe",
    ),
    _lib(
        "ipysheet",
        "import ipysheet\nsheet = ipysheet.sheet(rows=3, columns=2)\nipysheet.cell(0, 0, 42)\nsheet",
        ".handsontable td",
        "the sheet's cells",
        owner="13a",
    ),
    _lib(
        "ipydatagrid",
        "import pandas as pd\nfrom ipydatagrid import DataGrid\n"
        "DataGrid(pd.DataFrame({'a': [1, 2, 3], 'b': [4, 5, 6]}))",
        ".lm-DataGrid canvas, .p-DataGrid canvas",
        "the grid's canvas",
        owner="13a",
    ),
    _lib(
        "itables",
        "import pandas as pd\nfrom itables import init_notebook_mode\n"
        "init_notebook_mode(all_interactive=True)\npd.DataFrame({'n': range(30)})",
        "table.dataTable tbody tr",
        "DataTables' rows",
    ),
    _lib(
        "great_tables",
        "from great_tables import GT, exibble\nGT(exibble.head(3)).tab_header(title='Offline table')",
        ".gt_table .gt_title",
        "the table's styled title",
    ),
    _lib(
        "pandas Styler",
        "import pandas as pd\npd.DataFrame({'a': [1, 5, 3]}).style.highlight_max(color='yellow')",
        "table[id^='T_'] td",
        "the styled cells",
    ),
    _lib(
        "ipyvuetify",
        "import ipyvuetify as v\nv.Btn(color='primary', children=['vuetify button'])",
        ".v-btn",
        "the Vuetify button",
        owner="13a",
    ),
    _lib(
        "pythreejs",
        "from pythreejs import BoxGeometry, Mesh, MeshBasicMaterial, Scene, PerspectiveCamera, Renderer\n"
        "cube = Mesh(BoxGeometry(1, 1, 1), MeshBasicMaterial(color='red'))\n"
        "camera = PerspectiveCamera(position=[2, 2, 2])\n"
        "Renderer(scene=Scene(children=[cube]), camera=camera, width=200, height=200)",
        ".jupyter-threejs canvas",
        "the WebGL canvas",
        owner="13a",
    ),
    _lib(
        "ipyvolume",
        "import ipyvolume as ipv, numpy as np\nx, y, z = np.random.random((3, 50))\n"
        "ipv.quickscatter(x, y, z, size=2)",
        ".jp-OutputArea-output canvas",
        "the WebGL canvas",
        owner="13a",
        note="its console error is its own, in both tools: its legend's Vue template "
        "assigns `module.export` (not `exports`), so jupyter-vue renders it without its data "
        "(`ReferenceError: marks is not defined`); the figure itself draws.",
    ),
    # A stream of a real clip (RECORD_CLIP, written next to the notebook): ipywebrtc shows a stream's
    # <video> only once its source has played, which an empty Video never does.
    _lib(
        "ipywebrtc",
        "from ipywebrtc import VideoStream\nVideoStream.from_file('clip.webm')",
        ".jp-OutputArea-output video",
        "the stream's video element (a 0.6 s WebM clip)",
        owner="13a",
        note="its notebook streams `clip.webm`, 0.6 s of VP8 recorded by Chromium's "
        "MediaRecorder before the run; a stream of an empty `Video` never plays, so neither "
        "tool ever shows its `<video>`.",
    ),
    _lib(
        "ipycanvas",
        "from ipycanvas import Canvas\ncanvas = Canvas(width=200, height=100)\n"
        "canvas.fill_style = 'red'\ncanvas.fill_rect(10, 10, 80, 40)\ncanvas",
        ".jp-OutputArea-output canvas",
        "the canvas",
        owner="13a",
    ),
    _lib(
        "ipytree",
        "from ipytree import Tree, Node\ntree = Tree()\ntree.add_node(Node('offline node'))\ntree",
        ".jstree-anchor",
        "the tree's node",
        owner="13a",
    ),
    _lib(
        "anywidget",
        "import anywidget, traitlets\n"
        "class Hello(anywidget.AnyWidget):\n"
        '    _esm = \'function render({ el }) { const b = document.createElement("b"); '
        'b.className = "any-hello"; b.textContent = "hello"; el.append(b); } '
        "export default { render };'\n"
        "Hello()",
        ".any-hello",
        "the widget's element",
        owner="13a",
    ),
    _lib(
        "sympy / LaTeX",
        "import sympy as sp\nsp.init_printing()\nx = sp.symbols('x')\nsp.Integral(sp.sqrt(x), x)",
        "mjx-container, .MathJax, .MathJax_SVG",
        "the expression typeset by MathJax",
    ),
)


# A small real video for ipywebrtc's row, made without a network: Chromium's MediaRecorder
# encodes 0.6 s of a canvas flipping between red and blue as VP8 WebM.
RECORD_CLIP = """async () => {
  const canvas = Object.assign(document.createElement("canvas"), { width: 64, height: 48 });
  document.body.append(canvas);
  const draw = canvas.getContext("2d");
  const recorder = new MediaRecorder(canvas.captureStream(10), { mimeType: "video/webm;codecs=vp8" });
  const parts = [];
  recorder.ondataavailable = (event) => parts.push(event.data);
  let frame = 0;
  const timer = setInterval(() => {
    draw.fillStyle = frame++ % 2 ? "red" : "blue";
    draw.fillRect(0, 0, 64, 48);
  }, 50);
  const stopped = new Promise((resolve) => (recorder.onstop = resolve));
  recorder.start();
  await new Promise((resolve) => setTimeout(resolve, 600));
  recorder.stop();
  await stopped;
  clearInterval(timer);
  const bytes = new Uint8Array(await new Blob(parts).arrayBuffer());
  return Array.from(bytes);
}"""


def _record_clip(browser: Browser, path: Path) -> None:
    page = browser.new_page()
    try:
        page.set_content("<body></body>")
        path.write_bytes(bytes(page.evaluate(RECORD_CLIP)))
    finally:
        page.close()


@dataclass
class Outcome:
    rendered: bool = False
    seconds: float | None = None  # start of the tool to the library's element visible
    outside: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    failure: str = ""


def _notebook(folder: Path, library: Library) -> Path:
    slug = "".join(c if c.isalnum() else "_" for c in library.name.lower()).strip("_")
    path = folder / f"{slug}.ipynb"
    nb = new_notebook(
        cells=[new_code_cell(library.code)],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    nbformat.write(nb, path)
    return path


def _visible(page: Page, library: Library) -> bool:
    root = page.frame_locator(library.frame) if library.frame else page
    target = root.locator(library.selector).first
    try:
        box = target.bounding_box(timeout=500)
    except Exception:  # not there (yet), or its frame is not
        return False
    return bool(box and box["width"] > 0 and box["height"] > 0)


def _open(browser: Browser, server: Server, library: Library, timeout_s: float) -> Outcome:
    outcome = Outcome()
    context = browser.new_context(viewport={"width": 1200, "height": 900})

    def route(route_, request) -> None:  # type: ignore[no-untyped-def]
        host = request.url.split("/")[2] if "://" in request.url else ""
        if (
            request.url.startswith(("data:", "blob:", "about:"))
            or host.split(":")[0] in {h.strip("[]") for h in LOCAL_HOSTS}
            or host.startswith("[::1]")
        ):
            route_.continue_()
        else:
            outcome.outside.append(request.url)
            route_.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda m: outcome.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: outcome.errors.append(str(e)))
    page.add_init_script(WATCH)
    deadline = time.monotonic() + timeout_s
    try:
        page.goto(server.url, timeout=timeout_s * 1000)
        while time.monotonic() < deadline:
            if _visible(page, library):
                outcome.rendered = True
                outcome.seconds = time.time() - server.started
                break
            page.wait_for_timeout(250)
        if not outcome.rendered:
            outcome.failure = "not shown"
        # Give late requests and errors (a CDN script after the element) a moment to show.
        page.wait_for_timeout(1500)
    except Exception as exc:  # the page itself failed: recorded, the run goes on
        outcome.failure = f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"
    finally:
        context.close()
    return outcome


def _run_one(browser: Browser, tool: str, exe: Path, notebook: Path, library: Library) -> Outcome:
    start = start_nbapp if tool == "nbapp" else start_voila
    try:
        server = start(exe, notebook, "", 90)
    except RuntimeError as exc:
        return Outcome(failure=str(exc).splitlines()[0][:120])
    try:
        return _open(browser, server, library, 60)
    finally:
        server.stop()


def _baseline(browser: Browser, tool: str, exe: Path, folder: Path) -> set[str]:
    """What the tool's own page asks off loopback for a notebook that prints one line."""
    plain = _lib("print", "print('plain')", ".jp-OutputArea-output", "text")
    outcome = _run_one(browser, tool, exe, _notebook(folder, plain), plain)
    return set(outcome.outside)


def _version(library: Library) -> str:
    dist = library.name.split(" ")[0].replace("/", "").strip()
    names = {"sympy": "sympy", "altair": "altair", "pandas": "pandas", "plotly": "plotly"}
    try:
        return importlib.metadata.version(names.get(dist, dist))
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _renders(outcome: Outcome, baseline: set[str]) -> bool:
    """Shown, and nothing asked off 127.0.0.1 beyond what the tool's own page asks."""
    return outcome.rendered and all(u in baseline for u in outcome.outside)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _cell(outcome: Outcome, baseline: set[str]) -> str:
    extra = [u for u in outcome.outside if u not in baseline]
    verdict = "**yes**" if _renders(outcome, baseline) else "no"
    notes = []
    if outcome.rendered and outcome.seconds is not None:
        notes.append(f"{outcome.seconds:.1f} s")
    elif outcome.failure:
        notes.append(outcome.failure)
    if extra:
        hosts = sorted({u.split("/")[2] for u in extra if "://" in u})
        notes.append(f"{_plural(len(extra), 'request')} off 127.0.0.1 ({', '.join(hosts)})")
    if outcome.errors:
        notes.append(_plural(len(outcome.errors), "console error"))
    return f"{verdict} ({'; '.join(notes)})" if notes else verdict


def report(
    results: dict[str, dict[str, Outcome]], baselines: dict[str, set[str]], header: list[str]
) -> str:
    lines = [
        "# Libraries: what renders live and offline, nbapp and Voilà",
        "",
        "Written by `python -m bench.libraries` (`make bench-libraries`); rerun it to get this",
        "machine's answer. Each library gets one small notebook (its code is in",
        "`bench/libraries.py`), run by both tools in the same run. A page opens in headless",
        "Chromium with every request off 127.0.0.1 refused, as on a machine without a network.",
        "",
        "*renders* means an element of the library's own rendering showed within 60 s of the",
        "page being asked for (what the table names), and the page asked nothing off 127.0.0.1",
        "beyond what the tool's own page asks for every notebook (Voilà's page links Font",
        "Awesome on a CDN; nbapp's asks nothing). The time is from the tool's start to that",
        "element visible. Console errors are counted, not judged.",
        "",
        *header,
        "",
        "| library | version | the notebook shows | nbapp | Voilà |",
        "| --- | --- | --- | --- | --- |",
    ]
    for library in LIBRARIES:
        row = results.get(library.name, {})
        cells = [
            _cell(row[tool], baselines.get(tool, set())) if tool in row else "not run"
            for tool in ("nbapp", "voila")
        ]
        lines.append(
            f"| {library.name} | {_version(library)} | {library.shows} | {cells[0]} | {cells[1]} |"
        )
    counts = {
        tool: sum(
            1
            for r in results.values()
            if tool in r and _renders(r[tool], baselines.get(tool, set()))
        )
        for tool in ("nbapp", "voila")
    }
    total = len(results)
    lines += [
        "",
        f"Rendered: nbapp {counts['nbapp']} of {total}, Voilà {counts['voila']} of {total}.",
        "",
        "Baseline requests off 127.0.0.1 of each tool's own page: "
        + "; ".join(f"{tool}: {len(urls)}" for tool, urls in baselines.items())
        + ".",
        "",
    ]
    notes = [lib for lib in LIBRARIES if lib.note and lib.name in results]
    if notes:
        lines += ["## Notes", "", *(f"- {lib.name}: {lib.note}" for lib in notes), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.libraries", description=__doc__)
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "libraries.md")
    parser.add_argument("--only", nargs="*", default=None, help="library names to run")
    parser.add_argument("--nbapp", type=Path, default=Path(sys.executable).with_name("nbapp"))
    parser.add_argument("--voila", type=Path, default=HERE / ".venv-voila" / "bin" / "voila")
    args = parser.parse_args(argv)
    chosen = [lib for lib in LIBRARIES if args.only is None or lib.name in args.only]
    load_before = os.getloadavg()
    started = time.time()
    results: dict[str, dict[str, Outcome]] = {}
    with tempfile.TemporaryDirectory(prefix="nbapp-libraries-") as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        folder = Path(tmp)
        _record_clip(browser, folder / "clip.webm")
        tools = {"nbapp": args.nbapp, "voila": args.voila}
        baselines = {tool: _baseline(browser, tool, exe, folder) for tool, exe in tools.items()}
        for library in chosen:
            notebook = _notebook(folder, library)
            for tool, exe in tools.items():
                outcome = _run_one(browser, tool, exe, notebook, library)
                results.setdefault(library.name, {})[tool] = outcome
                print(f"{library.name:22} {tool:6} {_cell(outcome, baselines[tool])}", flush=True)
        chromium = browser.version
        browser.close()
    env = describe(args.nbapp, args.voila, chromium)
    minutes = (time.time() - started) / 60
    header = [
        "## Run",
        "",
        f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(started))}; took {minutes:.1f} min.",
        f"- Machine: {env.cpu}, {env.cores} cores; {env.os}.",
        "- Load average (1, 5, 15 min) before: "
        + ", ".join(f"{v:.2f}" for v in load_before)
        + "; after: "
        + ", ".join(f"{v:.2f}" for v in os.getloadavg())
        + ".",
        f"- Versions: {env.nbapp}; Voilà {env.voila}; Chromium {chromium} (headless).",
    ]
    args.out.write_text(report(results, baselines, header), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
