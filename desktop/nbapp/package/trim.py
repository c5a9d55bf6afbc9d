"""Stage 3: leave out what a packaged app never loads, and measure what is left.

Most of it is decided before PyInstaller copies anything: ``excludes`` keeps modules out of the
analysis, and ``drop_pattern`` (applied in the spec to binaries and data) keeps files out of
both onedir and onefile builds. ``trim_folder`` then removes leftovers from a onedir build.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from pathlib import Path

# Never imported by an app: the builder, test tools, completion, GUI toolkits we do not use.
EXCLUDED_MODULES = (
    "tkinter",
    "_tkinter",
    "jedi",
    "parso",
    "debugpy",  # ipykernel runs without it; only a debugger front end would use it
    "PyQt5",
    "PyQt6",
    "PySide2",
    "PyInstaller",
    "pytest",
    "_pytest",
    "playwright",
    "notebook",
    "jupyter_server",
    "jupyterlab",
    "nbapp.package.build",
    "nbapp.package.discover",
    "nbapp.package.freeze",
    "nbapp.package.smoke",
    "nbapp.package.trim",
    "nbapp.package.recorder",
    "nbapp.package.progress",
)
# Heavy packages that libraries import only if present (matplotlib.pyplot tries pandas, numpy's
# config tries yaml): left out unless the build-time run really imported them.
# (Not IPython.testing: IPython.core imports IPython.testing.skipdoctest, so every kernel needs it.)
# panel: nbapp.kernel.served imports it inside functions that run only once a notebook has imported
# it; without this, every app built where Panel is installed carried it (about 100 MiB).
# setuptools: analysis finds it through optional imports; once in the app, PyInstaller's runtime
# hook imports it at every start of the app and of its kernel (0.25 s and 0.1 s here).
OPTIONAL_MODULES = (
    "pandas",
    "scipy",
    "sympy",
    "yaml",
    "bokeh",
    "panel",
    "setuptools",
    "pkg_resources",
    "_distutils_hack",
)
# Without a window, every web view binding goes.
WINDOW_MODULES = ("webview", "qtpy", "PySide6", "shiboken6", "gi")
QT_MODULES = ("qtpy", "PySide6", "shiboken6")

# Qt parts the window (QtWebEngine widgets) never loads: translations, QML modules, and the
# libraries of Qt modules nothing imports. libQt6Quick/Qml stay: WebEngineCore links to them.
_UNUSED_QT_LIBS = (
    "3D",
    "Quick3D",
    "QuickTimeline",
    "Pdf",
    "Multimedia",
    "SpatialAudio",
    "Charts",
    "DataVisualization",
    "Graphs",
    "Designer",
    "Help",
    "UiTools",
    "Sensors",
    "SerialPort",
    "SerialBus",
    "Bluetooth",
    "Nfc",
    "Location",
    "TextToSpeech",
    "Scxml",
    "StateMachine",
    "RemoteObjects",
    "Test",
    "Sql",
    "VirtualKeyboard",
    "ShaderTools",
    "Lottie",
    "WebView",
    "HttpServer",
    "WebSockets",
    "QuickControls2",
    "QuickDialogs2",
    "QuickTemplates2",
    "LabsAnimation",
)
DROP_PATTERNS = (
    r"(^|/)PySide6/Qt/translations/",
    r"(^|/)PySide6/Qt/qml/",
    r"(^|/)PySide6/Qt/lib/libQt6(" + "|".join(_UNUSED_QT_LIBS) + r")[A-Za-z0-9]*\.so",
    r"(^|/)PySide6/Qt/plugins/(platformthemes|printsupport|sqldrivers|multimedia|"
    r"position|sensors|canbus|texttospeech|qmltooling|designer|scenegraph|"
    r"renderers|sceneparsers|geometryloaders|assetimporters)/",
    r"(^|/)PySide6/(Qt3D|QtQuick3D|QtCharts|QtDataVis|QtMultimedia|QtPdf|QtDesigner|QtHelp)",
    # The build machine's GTK, swept in through Qt's GTK platform-theme plugin.
    r"(^|/)lib(gtk|gdk)-3\.so",
    r"(^|/)_(tcl|tk)_data/",
    r"(^|/)lib(tcl|tk)[0-9.]*\.so",
)
# QtWebEngine needs one locale to start; English is kept.
KEEP_PATTERNS = (r"qtwebengine_locales/en-US\.pak$",)

_LEFTOVERS = ("__pycache__",)


# The system's WebKitGTK window (the Linux default): the app carries PyGObject's Python side and
# uses the system's GTK, WebKit and the GLib they are built on. Two GLibs in one process do not
# mix, so none of that stack is bundled (the .deb depends on it instead).
SYSTEM_WEBVIEW_LIBS = (
    r"(^|/)lib(glib|gobject|gio|gmodule|gthread|girepository)-[0-9.]+\.so",
    r"(^|/)lib(ffi|cairo|cairo-gobject|pango[a-z0-9]*-[0-9.]+|harfbuzz[a-z-]*|fribidi|pixman-1|"
    r"gdk[a-z_]*-[0-9.]+|gtk-[0-9.]+|atk[a-z-]*-[0-9.]+|webkit2gtk-[0-9.]+|"
    r"javascriptcoregtk-[0-9.]+|soup-[0-9.]+|epoxy|fontconfig|freetype|png16|X[a-z]+|"
    r"xcb[a-z-]*|wayland-[a-z]+|xkbcommon|dbus-1|mount|blkid|selinux|pcre2-8)\.so",
    r"(^|/)gi_typelibs/",
    r"(^|/)share/(glib-2\.0|icons|themes|locale|fontconfig|mime|X11)/",
    r"(^|/)lib/(gdk-pixbuf-2\.0|gio|gtk-3\.0)/",
)


# Where the system's WebKitGTK and GObject Introspection libraries are, per architecture.
_SYSTEM_LIB_DIRS = (
    "/usr/lib/x86_64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/usr/lib64",
    "/usr/lib",
)
_SYSTEM_WEBVIEW_ROOTS = ("libwebkit2gtk-4.1.so.0", "libgirepository-1.0.so.1")


@functools.cache
def system_webview_libraries() -> frozenset[str]:
    """Every library the system's WebKitGTK and libgirepository load (ldd, so the whole
    closure: GLib, GTK, libstdc++, zlib, sqlite, ...). A GTK app must not carry its own copy of
    any of them: the bundled one is found first and the system's newer WebKitGTK (on the
    target machine) would load it instead of its own, failing on a missing symbol version. The
    .deb depends on WebKitGTK, which brings them all."""
    names: set[str] = set()
    for root in _SYSTEM_WEBVIEW_ROOTS:
        for folder in _SYSTEM_LIB_DIRS:
            library = Path(folder, root)
            if not library.exists():
                continue
            done = subprocess.run(
                ["ldd", str(library)], capture_output=True, text=True, check=False
            )
            names.add(root)
            names.update(
                Path(line.split("=>")[1].split()[0]).name
                for line in done.stdout.splitlines()
                if "=>" in line and "/" in line.split("=>")[1]
            )
            break
    return frozenset(names)


def drop_pattern(backend: str = "none") -> str:
    patterns = list(DROP_PATTERNS)
    if backend == "gtk":
        patterns += SYSTEM_WEBVIEW_LIBS
        exact = sorted(system_webview_libraries())
        if exact:
            patterns.append(r"(^|/)(" + "|".join(re.escape(name) for name in exact) + r")$")
    return "|".join(f"(?:{p})" for p in patterns)


def typelib_modules() -> list[str]:
    """``gi.repository`` modules PyInstaller has hooks for: each hook would bundle that
    library and its typelib, which a GTK build takes from the system instead. Left out of the
    analysis, they are still imported at run time by PyGObject's own importer."""
    import _pyinstaller_hooks_contrib
    import PyInstaller

    places = [
        Path(PyInstaller.__file__).parent / "hooks",
        Path(_pyinstaller_hooks_contrib.__file__).parent / "stdhooks",
    ]
    names = {
        hook.name[len("hook-") : -len(".py")]
        for place in places
        for hook in place.glob("hook-gi.repository.*.py")
    }
    return sorted(names)


def keep_pattern() -> str:
    return "|".join(f"(?:{p})" for p in KEEP_PATTERNS)


def excluded_modules(*, backend: str, needed: list[str]) -> list[str]:
    """What the analysis must skip for a window drawn with ``backend`` (gtk, qt, native or
    none); a module the notebook really imported is never skipped."""
    top_needed = {name.split(".")[0] for name in needed}
    window: tuple[str, ...] = {
        "none": WINDOW_MODULES,
        "qt": ("gi",),
        "gtk": (*QT_MODULES, *typelib_modules()),
    }.get(backend, ())
    excluded = [*EXCLUDED_MODULES, *OPTIONAL_MODULES, *window]
    return [name for name in excluded if name.split(".")[0] not in top_needed]


def trim_folder(app_dir: Path, backend: str = "none") -> int:
    """Remove leftovers (matching the drop patterns, caches) from a onedir app; bytes freed."""
    drop, keep = re.compile(drop_pattern(backend)), re.compile(keep_pattern())
    freed = 0
    for path in sorted(app_dir.rglob("*"), reverse=True):
        relative = path.relative_to(app_dir).as_posix()
        if path.is_dir() and path.name in _LEFTOVERS:
            freed += size_of(path)
            shutil.rmtree(path, ignore_errors=True)
        elif path.is_file() and drop.search(relative) and not keep.search(relative):
            freed += path.stat().st_size
            path.unlink()
    return freed


def size_of(path: Path) -> int:
    """Bytes in ``path``; a symlink counts nothing (PyInstaller links libraries it also
    keeps in a package's .libs folder: counted once, there)."""
    if path.is_symlink():
        return 0
    if path.is_file():
        return path.stat().st_size
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            full = Path(root, name)
            if not full.is_symlink():
                total += full.stat().st_size
    return total


def human(size: int) -> str:
    return f"{size / 1e6:.0f} MB"


def mib(size: int) -> str:
    return f"{size / 2**20:.1f} MiB"


REPORT_PARTS = 10


def parts_of(target: Path) -> list[tuple[str, int]]:
    """What takes the room in an app, largest first: each package or library folder in the
    one-folder app's ``_internal`` (a package's ``.libs`` folder counted with it), each large
    file on its own; PySide6's Qt libraries one by one, since they dominate a Qt build."""
    internal = target / "_internal" if (target / "_internal").is_dir() else target
    sizes: dict[str, int] = {}
    for entry in internal.iterdir():
        name = entry.name.removesuffix(".libs") if entry.is_dir() else entry.name
        if entry.is_dir() and name == "PySide6":
            for path in entry.rglob("*"):
                if path.is_file() and not path.is_symlink():
                    big = path.stat().st_size > 8 * 2**20
                    key = f"PySide6/{path.name}" if big else "PySide6 (the rest)"
                    sizes[key] = sizes.get(key, 0) + path.stat().st_size
            continue
        sizes[name] = sizes.get(name, 0) + size_of(entry)
    return sorted(sizes.items(), key=lambda item: item[1], reverse=True)


def size_report(target: Path, installers: list[Path] | None = None) -> str:
    """The lines ``nbapp package`` ends with: the app's size, its largest parts, installers."""
    total = size_of(target)
    kind = "one file" if target.is_file() else "one folder"
    lines = [f"nbapp: size of {target}: {mib(total)} ({kind})"]
    if target.is_dir():
        parts = parts_of(target)
        width = max((len(name) for name, _ in parts[:REPORT_PARTS]), default=0)
        for name, size in parts[:REPORT_PARTS]:
            lines.append(f"  {name:<{width}}  {mib(size):>10}")
        rest = sum(size for _, size in parts[REPORT_PARTS:])
        if rest:
            lines.append(f"  {'the rest':<{width}}  {mib(rest):>10}")
    for installer in installers or []:
        lines.append(f"nbapp: size of {installer}: {mib(size_of(installer))}")
    return "\n".join(lines)


# --- Qt: keep the libraries the window's modules really link to --------------------------------
# PySide6 modules the window uses (pywebview's Qt backend through qtpy); the hooks bring more.
QT_MODULES_KEPT = frozenset(
    {
        "QtCore",
        "QtGui",
        "QtWidgets",
        "QtNetwork",
        "QtWebChannel",
        "QtWebEngineCore",
        "QtWebEngineWidgets",
        "QtPrintSupport",
        "QtOpenGL",
        "QtOpenGLWidgets",
        "QtDBus",
        "QtPositioning",
        "QtSvg",
    }
)
_QT_LIB = re.compile(r"(^|/)PySide6/Qt/lib/(?P<name>libQt6[A-Za-z0-9]+\.so[.0-9]*)$")
_PYSIDE_MODULE = re.compile(r"^PySide6/(?P<module>Qt[A-Za-z0-9]+)\.[A-Za-z0-9_-]+\.so$")
_QT_ROOT = re.compile(r"^PySide6/(Qt/plugins/|Qt/libexec/|[^/]+\.so)")

TocEntry = tuple[str, str, str]  # PyInstaller's (destination, source, type code)


def prune_qt(
    binaries: list[TocEntry], datas: list[TocEntry]
) -> tuple[list[TocEntry], list[TocEntry]]:
    """Drop PySide6 modules the window never imports, then every libQt6 library that what is
    left does not load (ldd of the kept modules, plugins and QtWebEngineProcess). Runs inside
    PyInstaller's spec, before anything is copied, so onedir and onefile both shrink."""
    from PyInstaller.depend.bindepend import get_imports

    def unused_module(dest: str) -> bool:
        match = _PYSIDE_MODULE.match(dest.replace("\\", "/"))
        return match is not None and match["module"] not in QT_MODULES_KEPT

    binaries = [e for e in binaries if not unused_module(e[0])]
    if not any(_QT_LIB.search(e[0]) for e in binaries):
        return binaries, datas
    needed: set[str] = set()
    for dest, source, _kind in [*binaries, *datas]:
        if _QT_ROOT.match(dest.replace("\\", "/")) and not _QT_LIB.search(dest):
            try:
                needed.update(Path(path).name for _name, path in get_imports(source) if path)
            except Exception:  # not an ELF file (a resource, a script): nothing it loads
                continue

    def unused_lib(dest: str) -> bool:
        match = _QT_LIB.search(dest.replace("\\", "/"))
        return match is not None and match["name"] not in needed

    return (
        [e for e in binaries if not unused_lib(e[0])],
        [e for e in datas if not unused_lib(e[0])],
    )
