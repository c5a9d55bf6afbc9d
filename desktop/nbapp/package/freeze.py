"""Stage 2: render the spec template in build/ and run PyInstaller outside the repo.

PyInstaller's work folder and the rendered spec live in nbapp's cache folder (platformdirs);
the app goes to OUTDIR. PyInstaller's own output goes to a log file, named in any error.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nbapp.errors import NbappError, UsageError
from nbapp.frozen import BUNDLE_DIR, CONFIG_FILE
from nbapp.notebook import Notebook
from nbapp.package import trim
from nbapp.package.discover import Discovery
from nbapp.page.templates import Template
from nbapp.state import snapshot

RECIPE_DIR_NAME = "build"
# Loaded by name (importlib) in the window code path, so analysis cannot see them.
GTK_WINDOW_IMPORTS = ("webview.platforms.gtk", "gi", "gi.repository")
WINDOW_IMPORTS = (
    "webview.platforms.qt",
    "qtpy.QtCore",
    "qtpy.QtGui",
    "qtpy.QtWidgets",
    "qtpy.QtNetwork",
    "qtpy.QtWebChannel",
    "qtpy.QtWebEngineCore",
    "qtpy.QtWebEngineWidgets",
)
KERNEL_IMPORTS = (
    "nbapp.kernel.main",
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.zmqshell",
    "IPython.extensions.storemagic",  # IPython's default extension, loaded by name
)
# The kernel sets MPLBACKEND to its inline backend, which pyplot loads by name: wherever
# matplotlib is in the app, so is the backend the kernel names (not otherwise: it imports
# matplotlib itself, which an app without plots should not carry).
MATPLOTLIB_KERNEL_IMPORTS = ("matplotlib_inline", "matplotlib_inline.backend_inline")


class FreezeError(NbappError):
    """PyInstaller failed; the message names its log file."""


@dataclass(frozen=True)
class FreezeRequest:
    name: str
    discovery: Discovery
    outdir: Path
    includes: list[Path]  # relative to the notebook's folder
    icon: Path | None
    onefile: bool
    window: bool
    backend: str = "qt"  # gtk, qt, native or none (see build.window_backend)
    debug: bool = False
    template: Template | None = None
    # A folder app (nbapp.package.folder): the folder's name, and each of its notebooks with
    # the template it was built with; ``discovery`` is then what they all use.
    folder: str = ""
    notebooks: tuple[tuple[Notebook, Template | None], ...] = ()


def recipe_dir() -> Path:
    """The repo's build/ folder (a checkout) or the copy installed next to the package."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent.parent.parent / RECIPE_DIR_NAME, here / "recipe"):
        if (candidate / "nbapp.spec.in").is_file():
            return candidate
    raise NbappError("nbapp's freeze recipe (build/nbapp.spec.in) is missing from this install")


def cache_dir(request: FreezeRequest) -> Path:
    from platformdirs import user_cache_path

    notebook = request.discovery.notebook.path
    key = f"{notebook}|{request.name}|{request.onefile}|{request.window}|{request.backend}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return user_cache_path("nbapp") / "package" / f"{request.name}-{digest}"


def app_path(request: FreezeRequest) -> Path:
    """Where PyInstaller puts the app: OUTDIR/NAME (onefile) or OUTDIR/NAME/NAME (onedir)."""
    suffix = ".exe" if sys.platform == "win32" else ""
    if request.onefile:
        return request.outdir / f"{request.name}{suffix}"
    return request.outdir / request.name / f"{request.name}{suffix}"


@dataclass(frozen=True)
class _Prepared:
    """A build whose spec is written, ready for PyInstaller."""

    request: FreezeRequest
    spec: Path
    cache: Path
    log_file: Path


def _prepare(request: FreezeRequest) -> _Prepared:
    cache = cache_dir(request)
    bundle = cache / "bundle"
    shutil.rmtree(bundle, ignore_errors=True)
    bundle.mkdir(parents=True)
    config = _config(request, bundle)
    template = (recipe_dir() / "nbapp.spec.in").read_text(encoding="utf-8")
    spec = cache / f"{request.name}.spec"
    spec.write_text(template.replace("@CONFIG@", json.dumps(config, indent=1)), "utf-8")
    request.outdir.mkdir(parents=True, exist_ok=True)
    return _Prepared(request, spec, cache, cache / "pyinstaller.log")


@dataclass(frozen=True)
class Frozen:
    """A built app: its executable, PyInstaller's log, the seconds PyInstaller took on it."""

    executable: Path
    log_file: Path
    seconds: float


def freeze(request: FreezeRequest) -> Frozen:
    """Build the app."""
    return freeze_all([request])[0]


def freeze_all(requests: list[FreezeRequest]) -> list[Frozen]:
    """Build each app, all in one PyInstaller process (``nbapp.package.batch``): from the
    second app on, PyInstaller reuses what it learnt about Python's own library."""
    prepared = [_prepare(request) for request in requests]
    jobs = [
        {
            "spec": str(p.spec),
            "workpath": str(p.cache / "work"),
            "distpath": str(p.request.outdir),
            "log": str(p.log_file),
            "log_level": "INFO" if p.request.debug else "WARN",
            "cwd": str(p.cache),
        }
        for p in prepared
    ]
    command = [sys.executable, "-m", "nbapp.package.batch"]
    for p in prepared:
        p.log_file.write_text(f"{' '.join(command)}: {p.spec}\n", encoding="utf-8")
    done = subprocess.run(
        command,
        input=json.dumps(jobs),
        capture_output=True,
        text=True,
        check=False,
    )
    statuses: dict[str, int] = {}
    seconds: dict[str, float] = {}
    for line in done.stdout.splitlines():
        with contextlib.suppress(ValueError, KeyError, TypeError):
            result = json.loads(line)
            statuses[result["spec"]] = int(result["status"])
            seconds[result["spec"]] = float(result["seconds"])
    built = []
    for p in prepared:
        status = statuses.get(str(p.spec), done.returncode or 1)
        executable = app_path(p.request)
        if status != 0 or not executable.is_file():
            detail = _last_error(p.log_file) if statuses else done.stderr.strip()[-300:]
            raise FreezeError(
                f"PyInstaller failed for {p.request.name} (exit {status}): {detail}; "
                f"full log: {p.log_file}"
            )
        built.append(Frozen(executable, p.log_file, seconds.get(str(p.spec), 0.0)))
    return built


def _last_error(log_file: Path) -> str:
    lines = log_file.read_text(encoding="utf-8", errors="replace").splitlines()
    for line in reversed(lines):
        if "ERROR" in line or "Error" in line:
            return line.strip()[:300]
    return lines[-1].strip()[:300] if lines else "no output"


def _config(request: FreezeRequest, bundle: Path) -> dict[str, Any]:
    discovery = request.discovery
    notebook = discovery.notebook
    recipe = recipe_dir()
    inside = f"{BUNDLE_DIR}/notebook"
    datas: list[list[str]] = []
    node = discovery.notebook.node
    if request.icon is not None:
        icon_copy = bundle / f"icon{request.icon.suffix.lower()}"
        shutil.copyfile(request.icon, icon_copy)
        datas.append([str(icon_copy), inside])
        node = _with_app_setting(node, "icon", icon_copy.name)
    elif notebook.app.icon:
        datas.append([str(notebook.folder / notebook.app.icon), _dest(inside, notebook.app.icon)])
    import nbformat

    for each, template in request.notebooks or ((notebook, request.template),):
        each_node = node if each is notebook else each.node
        if template is not None:
            datas += [pair for pair in _template_datas(template, inside) if pair not in datas]
            each_node = _with_app_setting(each_node, "template", template.name)
        bundled_notebook = bundle / each.path.name
        nbformat.write(each_node, bundled_notebook)
        datas.append([str(bundled_notebook), inside])
    for relative in [*discovery.data_files, *request.includes]:
        source = notebook.folder / relative
        target = f"{inside}/{relative.as_posix()}" if source.is_dir() else _dest(inside, relative)
        datas.append([str(source), target])
    settings = {
        "name": request.name,
        "label": request.folder or notebook.path.name,
        # A folder app's bundled folder is the app's folder (``nbapp run FOLDER``).
        "notebook": "notebook" if request.folder else f"notebook/{notebook.path.name}",
    }
    snapshot_file = bundle / snapshot.BUNDLED_NAME
    if _write_snapshot(discovery, bundled_notebook, snapshot_file, request.template):
        settings["snapshot"] = snapshot.BUNDLED_NAME
        datas.append([str(bundle / snapshot.BUNDLED_NAME), BUNDLE_DIR])
    app_json = bundle / CONFIG_FILE
    app_json.write_text(json.dumps(settings), "utf-8")
    datas.append([str(app_json), BUNDLE_DIR])
    datas += _widget_extension_datas(discovery.widget_modules)
    packages = [p for p in discovery.top_level_packages if p not in sys.stdlib_module_names]
    excludes = trim.excluded_modules(backend=request.backend, needed=discovery.modules)
    hidden = [
        *KERNEL_IMPORTS,
        *kernel_start_modules(discovery.kernel_modules, excludes),
        *discovery.modules,
        *(MATPLOTLIB_KERNEL_IMPORTS if "matplotlib" in packages else ()),
        *_window_imports(request.backend),
    ]
    return {
        "name": request.name,
        "entry": str(recipe / "app_entry.py"),
        "pathex": [str(notebook.folder)],
        "datas": datas,
        "data_packages": [p for p in packages if not _has_hook(p, recipe)],
        "metadata": _distributions(packages),
        "hiddenimports": [h for h in hidden if h.split(".")[0] not in set(excludes)],
        "hookspath": [str(recipe / "hooks")],
        "runtime_hooks": [str(p) for p in sorted((recipe / "runtime_hooks").glob("*.py"))],
        "excludes": excludes,
        "drop_pattern": trim.drop_pattern(request.backend),
        "keep_pattern": trim.keep_pattern(),
        "prune_qt": request.backend == "qt",
        "icon": str(request.icon) if request.icon and sys.platform != "linux" else "",
        "onefile": request.onefile,
        "console": not (request.window and sys.platform == "win32"),
    }


def _window_imports(backend: str) -> list[str]:
    if backend == "gtk":
        import pkgutil

        import gi.overrides

        overrides = [m.name for m in pkgutil.iter_modules(gi.overrides.__path__, "gi.overrides.")]
        return [*GTK_WINDOW_IMPORTS, "gi.overrides", *overrides]
    if backend in ("qt", "native"):
        return list(WINDOW_IMPORTS)
    return []


def _write_snapshot(
    discovery: Discovery, bundled_notebook: Path, target: Path, template: Template | None
) -> bool:
    """The build run's outputs, for the app to paint at once on its first launch."""
    from nbapp.notebook import load_notebook

    if discovery.executed is None:
        return False
    node = load_notebook(bundled_notebook).node  # as the app will load it
    only_tagged = discovery.notebook.app.mode == "tagged"
    key = snapshot.content_key(
        node, only_tagged=only_tagged, show_tracebacks=False, query="", template=template
    )
    fragments = snapshot.from_run(discovery.executed, only_tagged=only_tagged, template=template)
    return snapshot.write(target, snapshot.Snapshot(fragments, discovery.widget_state, key))


def kernel_start_modules(modules: list[str], excludes: list[str]) -> list[str]:
    """What the build-time kernel imported before the first cell, as hidden imports: minus
    what the app leaves out, and minus names no import can find (debugpy's vendored pydevd,
    which it puts on sys.path itself; Cython's internal module names)."""
    import importlib.util

    left_out = set(excludes)
    findable: dict[str, bool] = {}

    def found(top: str) -> bool:
        if top not in findable:
            try:
                findable[top] = importlib.util.find_spec(top) is not None
            except (ImportError, ValueError):
                findable[top] = False
        return findable[top]

    return [
        m
        for m in modules
        if m.split(".")[0] not in left_out and not m.startswith("_") and found(m.split(".")[0])
    ]


def _dest(inside: str, relative: Path | str) -> str:
    parent = Path(relative).parent.as_posix()
    return inside if parent == "." else f"{inside}/{parent}"


def _with_app_setting(node: Any, key: str, value: str) -> Any:
    """The notebook with ``metadata.nbapp[key]`` set, for the app to read."""
    import copy

    node = copy.deepcopy(node)
    meta = dict(node.metadata.get("nbapp") or {})
    meta[key] = value
    node.metadata["nbapp"] = meta
    return node


def _template_datas(template: Template, inside: str) -> list[list[str]]:
    """The template's own folders (nbapp's come with nbapp) as ``templates/NAME`` next to the
    bundled notebook, where the app finds a template by name first."""
    datas: list[list[str]] = []
    names: set[str] = set()
    for folder in template.chain:
        if folder.builtin:
            continue
        if folder.name in names:
            raise UsageError(
                f"{folder.describe()}: another template of its chain has the name "
                f"{folder.name!r}; rename one to package it"
            )
        names.add(folder.name)
        datas.append([str(folder.path), f"{inside}/templates/{folder.name}"])
    return datas


def _widget_extension_datas(module_names: list[str]) -> list[list[str]]:
    """The labextension (and nbextension) folders serving the widget front-end modules the
    notebook displayed, where the app's Jupyter data path finds them."""
    from nbapp.page.widget_assets import front_end_folders

    return [
        [str(folder), f"share/jupyter/{kind}/{relative}"]
        for kind, relative, folder in front_end_folders(module_names)
    ]


def _has_hook(package: str, recipe: Path) -> bool:
    import _pyinstaller_hooks_contrib
    import PyInstaller

    places = [
        Path(PyInstaller.__file__).parent / "hooks",
        Path(_pyinstaller_hooks_contrib.__file__).parent / "stdhooks",
        recipe / "hooks",
    ]
    return any((place / f"hook-{package}.py").is_file() for place in places)


def _distributions(packages: list[str]) -> list[str]:
    mapping = importlib.metadata.packages_distributions()
    names = {dist for package in packages for dist in mapping.get(package, [])}
    return sorted(names)
