"""``nbapp package``: check the request, then discover, freeze, trim, smoke test."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from nbapp.errors import UsageError
from nbapp.kernel.specs import ForeignKernel, choose_kernel
from nbapp.notebook import Notebook, load_notebook
from nbapp.package import trim
from nbapp.package.progress import Progress
from nbapp.page.templates import Template

if TYPE_CHECKING:
    from nbapp.package.discover import Discovery

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_ICON_MAGIC = {".png": b"\x89PNG\r\n\x1a\n", ".ico": b"\x00\x00\x01\x00", ".icns": b"icns"}
# One Debian relation: a package name, maybe a version, maybe alternatives ("a (>= 1) | b").
_DEB_PACKAGE = r"[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?(\s*\((<<|<=|=|>=|>>)\s*[A-Za-z0-9.+~:-]+\))?"
_DEB_RELATION = re.compile(rf"^{_DEB_PACKAGE}(\s*\|\s*{_DEB_PACKAGE})*$")


@dataclass(frozen=True)
class PackageRequest:
    notebook: Notebook
    outdir: Path
    name: str
    icon: Path | None
    onefile: bool
    includes: list[Path]  # relative to the notebook's folder
    window: bool
    smoke_test: bool
    debug: bool
    installers: tuple[str, ...] = ()
    version: str = "1.0.0"
    kernel: ForeignKernel | None = None  # a non-Python notebook's installed kernel
    depends: tuple[str, ...] = ()  # Debian packages the .deb declares (its kernel's, say)
    template: Template | None = None  # None: nbapp's default page
    webview: str = "system"  # system: the platform's web view (WebKitGTK on Linux); qt

    @property
    def backend(self) -> str:
        """What the app's window is drawn with: gtk, qt, native (macOS, Windows) or none."""
        return window_backend(self.window, self.webview)

    @classmethod
    def from_args(
        cls,
        *,
        notebook: Path,
        outdir: Path,
        name: str | None,
        icon: Path | None,
        onefile: bool,
        includes: list[Path],
        window: bool,
        smoke_test: bool = True,
        debug: bool = False,
        installers: list[str] | None = None,
        version: str = "1.0.0",
        depends: list[str] | None = None,
        template: str | None = None,
        webview: str = "system",
    ) -> PackageRequest:
        """Every user mistake becomes a one-line UsageError (exit 2) before anything runs."""
        from nbapp.page.template_choice import chosen_template

        _check_pyinstaller()
        loaded = load_notebook(notebook)
        chosen = chosen_template(template, loaded)
        app_name = name if name is not None else loaded.path.stem
        if not _NAME.match(app_name):
            raise UsageError(
                f"--name {app_name!r}: use letters, digits, '.', '_' or '-' (at most 64)"
            )
        if window:
            _check_window_support(window_backend(window, webview))
        kinds = tuple(dict.fromkeys(installers or []))
        _check_installers(kinds, onefile)
        relations = _checked_depends(depends or [], kinds)
        # A non-Python notebook runs at build time on its installed kernel, as the app will on
        # the target machine; a kernel missing here is one line, before minutes of building.
        kernel = choose_kernel(loaded) if loaded.needs_kernel else None
        return cls(
            notebook=loaded,
            outdir=outdir.resolve(),
            name=app_name,
            icon=_checked_icon(icon) if icon is not None else None,
            onefile=onefile,
            includes=[_checked_include(loaded, path) for path in includes],
            window=window,
            smoke_test=smoke_test,
            debug=debug,
            installers=kinds,
            version=version,
            kernel=kernel,
            depends=relations,
            template=chosen,
            webview=webview,
        )


def _checked_depends(depends: list[str], kinds: tuple[str, ...]) -> tuple[str, ...]:
    if depends and "deb" not in kinds:
        raise UsageError("--depends names Debian packages: use it with --installer deb")
    for relation in depends:
        if not _DEB_RELATION.match(relation.strip()):
            raise UsageError(
                f"--depends {relation!r}: not a Debian package name (e.g. r-cran-irkernel, "
                "or 'r-base-core (>= 4.1)')"
            )
    return tuple(dict.fromkeys(relation.strip() for relation in depends))


def _checked_icon(icon: Path) -> Path:
    if not icon.is_file():
        raise UsageError(f"--icon {icon}: no such file")
    magic = _ICON_MAGIC.get(icon.suffix.lower())
    if magic is None:
        raise UsageError(f"--icon {icon}: not a .png, .ico or .icns file")
    with icon.open("rb") as f:
        if f.read(len(magic)) != magic:
            raise UsageError(f"--icon {icon}: not a valid {icon.suffix.lower()[1:]} image")
    return icon.resolve()


def _checked_include(notebook: Notebook, path: Path) -> Path:
    full = (path if path.is_absolute() else Path.cwd() / path).resolve()
    if not full.exists():
        # Also accept a path relative to the notebook's folder.
        full = (notebook.folder / path).resolve()
    if not full.exists():
        raise UsageError(f"--include {path}: no such file or folder")
    try:
        return full.relative_to(notebook.folder)
    except ValueError:
        raise UsageError(
            f"--include {path}: must be inside the notebook's folder ({notebook.folder})"
        ) from None


def _check_pyinstaller() -> None:
    import importlib.util

    if importlib.util.find_spec("PyInstaller") is None:
        raise UsageError("nbapp package needs PyInstaller: pip install 'nbapp[package]'")


def _check_installers(kinds: tuple[str, ...], onefile: bool) -> None:
    if not kinds:
        return
    from nbapp.installers import KINDS, check_can_build

    for kind in kinds:
        if kind not in KINDS:
            raise UsageError(f"--installer {kind}: unknown kind (choose from {', '.join(KINDS)})")
    if onefile:
        raise UsageError("--installer wraps a one-folder app; leave out --onefile")
    for kind in kinds:
        check_can_build(kind)  # this platform and its tool, before minutes of building


def window_backend(window: bool, webview: str) -> str:
    if not window:
        return "none"
    if not sys.platform.startswith("linux"):
        return "native"
    return "qt" if webview == "qt" else "gtk"


def _check_window_support(backend: str) -> None:
    """The build machine must have what the app's window is built from."""
    from nbapp.gui.window import NoWindowBackendError, choose_backend, gtk_missing

    if backend == "gtk":
        problem = gtk_missing()
        if problem:
            raise UsageError(
                f"the default window on Linux is the system's WebKitGTK, but {problem}; "
                "or package with --webview qt (Qt WebEngine inside the app) or "
                "--no-window-support"
            )
        return
    try:
        choose_backend("qt" if backend == "qt" else None)
    except NoWindowBackendError as exc:
        raise UsageError(f"{exc.message}; or package with --no-window-support") from None


def package(request: PackageRequest) -> Path:
    """Build the app; the path of its executable."""
    return package_all([request])[0]


def package_all(requests: list[PackageRequest]) -> list[Path]:
    """Build one app per request (each its own app), the freezes in one PyInstaller
    process; the paths of their executables."""
    from nbapp.package.freeze import FreezeRequest, freeze_all

    smoke = sum(r.smoke_test for r in requests)
    total = 2 * len(requests) + 1 + smoke + sum(len(r.installers) for r in requests)
    progress = Progress(total=total)
    several = len(requests) > 1
    freezes = []
    for request in requests:
        discovery = discover_stage(request, progress)
        freezes.append(
            FreezeRequest(
                name=request.name,
                discovery=discovery,
                outdir=request.outdir,
                includes=request.includes,
                icon=request.icon,
                onefile=request.onefile,
                window=request.window,
                backend=request.backend,
                debug=request.debug,
                template=request.template,
            )
        )
    kinds = {"one file" if r.onefile else "one folder" for r in requests}
    detail = f"PyInstaller, {', '.join(sorted(kinds))}" + (
        f", {len(requests)} apps in one process" if several else ""
    )
    with progress.stage("freeze", detail) as notes:
        built = freeze_all(freezes)
        if several:
            times = zip(requests, built, strict=True)
            notes.append(", ".join(f"{r.name} {b.seconds:.0f} s" for r, b in times))
            notes.append("logs in nbapp's cache folder")
        else:
            notes.append(f"log: {built[0].log_file}")
    for request, freeze_request, frozen in zip(requests, freezes, built, strict=True):
        _finish(request, freeze_request.discovery, frozen.executable, progress, several=several)
    return [frozen.executable for frozen in built]


def discover_stage(request: PackageRequest, progress: Progress) -> Discovery:
    """The build's first stage for one notebook: run it once and see what it uses."""
    from nbapp.package.discover import discover

    _hint_kernel_package(request)
    notebook = request.notebook
    with progress.stage("discover", f"running {notebook.path.name} once") as notes:
        found = discover(notebook, cell_timeout=notebook.app.timeout, kernel=request.kernel)
        notes.append(
            f"{len(found.top_level_packages)} packages, {len(found.data_files)} data files, "
            f"{len(found.widget_modules)} widget front ends"
        )
    return found


def _finish(
    request: PackageRequest,
    discovery: Discovery,
    executable: Path,
    progress: Progress,
    *,
    several: bool,
) -> None:
    """Trim, smoke test, installers and the size report of one built app."""
    from nbapp.package.smoke import smoke_test

    suffix = f" ({request.name})" if several else ""
    with progress.stage("trim", f"leaving out what the app never loads{suffix}") as notes:
        target = executable if request.onefile else executable.parent
        freed = 0 if request.onefile else trim.trim_folder(target, request.backend)
        notes.append(f"{trim.human(trim.size_of(target))}, {trim.human(freed)} removed after build")
    if request.smoke_test:
        what = "its web view, then headless" if request.backend in ("gtk", "qt") else "headless"
        with progress.stage("smoke test", f"starting {executable.name} {what}") as notes:
            result = smoke_test(executable, discovery, request.template, request.backend)
            seconds = result.seconds_to_done
            notes.append(f"{result.cells_checked} cells match, done after {seconds:.1f} s")
        if result.text_differences:
            cells = ", ".join(map(str, result.text_differences))
            print(
                f"nbapp: warning: text of cell(s) {cells} differs from the build-time run "
                "(fine if they show times or random numbers)",
                file=sys.stderr,
            )
    installers = []
    for kind in request.installers:
        with progress.stage("installer", kind) as notes:
            installer = _build_installer(request, kind, executable)
            installers.append(installer)
            notes.append(str(installer))
    print(trim.size_report(target, installers), file=sys.stderr)


def _hint_kernel_package(request: PackageRequest) -> None:
    """A .deb of a non-Python notebook runs only where its kernel is installed: name the Debian
    package that provides it here, if the user did not declare one."""
    if request.kernel is None or "deb" not in request.installers or request.depends:
        return
    from nbapp.installers.deb import providing_package

    provider = providing_package(Path(request.kernel.resource_dir) / "kernel.json")
    where = f"Debian's {provider}" if provider else "outside Debian's packages"
    advice = f"--depends {provider}" if provider else "--depends with the packages that provide it"
    print(
        f"nbapp: note: the app needs the {request.kernel.name} kernel on the target machine; "
        f"here it comes from {where}: {advice} makes the .deb declare it",
        file=sys.stderr,
    )


def _build_installer(request: PackageRequest, kind: str, executable: Path) -> Path:
    from nbapp.installers import build_installer

    return build_installer(
        kind,
        executable.parent,
        name=request.name,
        version=request.version,
        icon=request.icon,
        out_dir=request.outdir,
        depends=request.depends,
    )
