"""``nbapp``'s command line: parse, turn user mistakes into one line and exit code 2."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from nbapp import __version__
from nbapp.errors import NbappError, UsageError
from nbapp.settings import DEFAULT_CELL_TIMEOUT, THEMES, RunSettings, kernel_env, merged_setting

if TYPE_CHECKING:
    import socket

    from nbapp.app import Hosted
    from nbapp.folder import Entry
    from nbapp.gui.instance import Instance
    from nbapp.kernel.early import EarlyKernel
    from nbapp.notebook import Notebook

log = logging.getLogger("nbapp")


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {value!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0-65535, not {port}")
    return port


def _timeout(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {value!r}") from None
    if seconds < 0:
        raise argparse.ArgumentTypeError("the timeout cannot be negative")
    return seconds  # 0 turns the timeout off


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nbapp",
        description="Turn a Jupyter notebook into a desktop app that runs offline.",
    )
    parser.add_argument("--version", action="version", version=f"nbapp {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    run = commands.add_parser(
        "run",
        help="show a notebook (or a folder of them) as a live dashboard",
        description="Run NOTEBOOK on a private kernel and show its outputs as a dashboard; "
        "for a FOLDER, a list of its notebooks, each run when opened. "
        "Prints 'nbapp: serving NOTEBOOK at URL' once the page can be opened.",
    )
    run.add_argument(
        "notebook", metavar="NOTEBOOK", help="the .ipynb file to run, or a folder of them"
    )
    add_run_options(run)
    from nbapp.package.cli import add_package_command

    add_package_command(commands)
    export = commands.add_parser(
        "export",
        help="save the executed dashboard as one self-contained HTML file",
        description="Run NOTEBOOK once and write its dashboard as one HTML file that opens "
        "from disk with no server and no network (widgets as the run left them).",
    )
    export.add_argument("notebook", metavar="NOTEBOOK", help="the .ipynb file to export")
    export.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="the file to write (default: NOTEBOOK with .html, or .pdf with --pdf)",
    )
    export.add_argument(
        "--pdf",
        action="store_true",
        help="write a PDF of the page instead, printed by Qt WebEngine (or Chromium); no LaTeX",
    )
    _add_page_options(export)
    return parser


def add_run_options(run: argparse.ArgumentParser) -> None:
    """The options of ``nbapp run``, which a packaged app accepts too."""
    run.add_argument(
        "--no-window",
        action="store_true",
        help="serve the page for a browser instead of opening a window",
    )
    run.add_argument(
        "--port", type=_port, default=0, help="port on 127.0.0.1 (default: 0, any free port)"
    )
    run.add_argument(
        "--keep-alive",
        type=_timeout,
        default=None,
        metavar="SECONDS",
        help="a folder of notebooks: how long a notebook left for the list keeps its kernel "
        "(default: 30)",
    )
    run.add_argument(
        "--no-snapshot",
        action="store_true",
        help="do not open on the last run's outputs, nor keep this run's in the user cache",
    )
    _add_page_options(run)


def _add_page_options(run: argparse.ArgumentParser) -> None:
    """How the notebook runs and what the page shows: shared by run and export."""
    run.add_argument(
        "--timeout",
        type=_timeout,
        default=None,
        metavar="SECONDS",
        help="interrupt a cell that runs longer (default: metadata.nbapp.timeout, else "
        f"{DEFAULT_CELL_TIMEOUT:g}; 0 = no limit)",
    )
    run.add_argument(
        "--theme",
        choices=THEMES,
        default=None,
        help="colours of the page (default: metadata.nbapp.theme, else auto: follow the system)",
    )
    run.add_argument(
        "--template",
        default=None,
        metavar="NAME|PATH",
        help="lay the page out with this template: grid, slides, print, one of yours by name "
        "(templates/NAME next to the notebook, or installed) or a folder (default: "
        "metadata.nbapp.template, else nbapp's page)",
    )
    run.add_argument(
        "--only-tagged",
        action="store_true",
        default=None,
        help="show only cells tagged 'app' (default: metadata.nbapp.mode, else every output)",
    )
    run.add_argument(
        "--kernel",
        default=None,
        metavar="NAME",
        help="run on this installed Jupyter kernel (default: the one the notebook names; "
        "Python notebooks run on nbapp's own kernel)",
    )
    run.add_argument(
        "--show-tracebacks",
        action="store_true",
        help="show full tracebacks of failing cells in the page",
    )
    run.add_argument(
        "--query",
        default="",
        metavar="STRING",
        help="exposed to the kernel as QUERY_STRING, as Voilà does",
    )
    run.add_argument(
        "--debug",
        action="store_true",
        help="log everything to stderr (a window also logs to nbapp.log in the user log folder)",
    )


def _configure_logging(debug: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="nbapp: %(levelname)s: %(message)s"
        if not debug
        else "nbapp %(name)s %(levelname)s: %(message)s",
        stream=sys.stderr,
    )
    logging.addLevelName(logging.WARNING, "warning")
    logging.addLevelName(logging.ERROR, "error")
    if not debug:
        # Tornado's own access log is off; ours (server._log_request) never logs queries.
        logging.getLogger("tornado.access").setLevel(logging.CRITICAL)


def _settings(args: argparse.Namespace, notebook: Notebook) -> RunSettings:
    """The command line over ``metadata.nbapp`` over the template's conf.json over nbapp's
    defaults."""
    from nbapp.kernel.specs import KernelNotFoundError, choose_kernel
    from nbapp.page.template_choice import chosen_template

    meta = notebook.app
    timeout = merged_setting(args.timeout, meta.timeout, DEFAULT_CELL_TIMEOUT)
    kernel, missing = None, ""
    if notebook.needs_kernel:
        try:
            kernel = choose_kernel(notebook, args.kernel)
        except KernelNotFoundError as exc:
            if not getattr(args, "packaged", False):
                raise
            # A packaged app runs on other people's machines: it opens and says what is
            # missing, in its window, instead of vanishing with a line nobody sees.
            log.error("%s", exc.message)  # noqa: TRY400 (the message is the whole story)
            missing = _missing_kernel_message(exc.message)
    template = chosen_template(args.template, notebook)
    template_theme = template.theme if template else None
    window = not getattr(args, "no_window", True)
    return RunSettings(
        notebook=notebook.path,
        port=getattr(args, "port", 0),
        cell_timeout=timeout or None,
        show_tracebacks=args.show_tracebacks,
        query_string=args.query,
        window=window,
        debug=args.debug,
        theme=merged_setting(args.theme, meta.theme, template_theme or "auto"),
        only_tagged=merged_setting(args.only_tagged, meta.mode == "tagged" or None, False),
        kernel=kernel,
        kernel_missing=missing,
        template=template,
        snapshots=not getattr(args, "no_snapshot", False),
        bundled_snapshot=getattr(args, "bundled_snapshot", None),
        working_dir=getattr(args, "working_dir", None),
        app_id=getattr(args, "app_id", ""),
        remember_widgets=window and meta.remember_widgets is not False,
    )


def _missing_kernel_message(detail: str) -> str:
    """The page's words for a packaged app whose kernel this machine lacks."""
    _, _, problem = detail.partition(": ")
    return (
        f"This app cannot run here: {problem or detail}. "
        "Install that kernel and open the app again."
    )


def _export(args: argparse.Namespace) -> int:
    from nbapp.export.html import export
    from nbapp.notebook import load_notebook

    notebook = load_notebook(Path(args.notebook))
    suffix = ".pdf" if args.pdf else ".html"
    out = Path(args.output) if args.output else notebook.path.with_suffix(suffix)
    if out.is_dir() or not out.parent.is_dir():
        raise UsageError(f"{out}: not a file in an existing folder")
    settings = dataclasses.replace(_settings(args, notebook), static_page=True)
    write = _export_pdf if args.pdf else export
    size = write(notebook, settings, out)
    if sys.stderr.isatty():
        print("\r\033[K", end="", file=sys.stderr)
    amount = f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{max(1, round(size / 1e3))} kB"
    print(f"nbapp: wrote {out} ({amount})", file=sys.stderr)
    return 0


def _export_pdf(notebook: Notebook, settings: RunSettings, out: Path) -> int:
    """The exported page, printed: laid out by the print template unless the user chose one;
    on paper, "auto" means the light theme."""
    import dataclasses
    import tempfile

    from nbapp.export.html import export
    from nbapp.export.pdf import choose_engine, print_page
    from nbapp.page.templates import find_template

    choose_engine()  # before running the notebook: say at once if nothing can print
    if settings.template is None:
        folder = notebook.folder
        paper = find_template("print", folder, relative_to=folder, origin="--pdf")
        settings = dataclasses.replace(settings, template=paper)
    if settings.theme == "auto":
        settings = dataclasses.replace(settings, theme="light")
    with tempfile.TemporaryDirectory(prefix="nbapp-export-") as scratch:
        page = Path(scratch) / f"{notebook.path.stem}.html"
        export(notebook, settings, page)
        print_page(page, out)
    return out.stat().st_size


def _run(args: argparse.Namespace) -> int:
    from nbapp import startup
    from nbapp.kernel.early import launch_early
    from nbapp.kernel.preload import modules_to_preload
    from nbapp.notebook import load_notebook
    from nbapp.web.loopback import bind_loopback

    if names_folder(args.notebook):
        return _run_folder(args, Path(args.notebook))
    # Every check that can fail on bad input comes before the kernel starts.
    notebook = load_notebook(Path(args.notebook))
    settings = _settings(args, notebook)
    gui = _window_backend(settings)
    try:
        instance = _one_copy(args, settings, gui)
    except _AlreadyRunning:
        return 0
    try:
        sockets = bind_loopback(settings.port)
        if gui is not None:
            _log_windowed(settings)  # before the kernel starts: it inherits the log file
        # nbapp's own Python kernel boots while the server's modules load (see early_kernel).
        python = notebook.needs_kernel and settings.kernel is None and not settings.kernel_missing
        early = (
            launch_early(
                settings.kernel_cwd,
                settings.query_string,
                kernel_env(settings, modules_to_preload(notebook.node.cells)),
            )
            if python
            else None
        )
        startup.mark("notebook read, kernel process launched")
        try:
            return _serve(
                args, notebook, settings, gui, sockets=sockets, early=early, instance=instance
            )
        finally:
            if early is not None:
                early.discard()  # only if the app never took it over (it failed first)
    finally:
        if instance is not None:
            instance.release()


def names_folder(given: str) -> bool:
    """A folder app: an existing folder, or a path written as one (``boards/``)."""
    return Path(given).is_dir() or given.endswith(("/", os.sep))


def _run_folder(args: argparse.Namespace, folder: Path) -> int:
    """``nbapp run FOLDER``: a list of the folder's notebooks; each runs once opened."""
    from nbapp.folder import DEFAULT_KEEP_ALIVE, FolderApp, none_can_open, notebooks_in
    from nbapp.web.loopback import bind_loopback

    entries = [_folder_entry(args, path) for path in notebooks_in(folder)]
    none_can_open(folder, entries)
    for entry in entries:  # listed with the reason; the others still open
        if entry.problem:
            log.warning("%s: %s", folder / entry.name, entry.problem)
    window = not getattr(args, "no_window", True)
    settings = RunSettings(
        notebook=folder.resolve(),
        port=getattr(args, "port", 0),
        window=window,
        debug=args.debug,
        theme=args.theme or "auto",
        app_id=getattr(args, "app_id", ""),
    )
    gui = _window_backend(settings)
    try:
        instance = _one_copy(args, settings, gui)
    except _AlreadyRunning:
        return 0
    try:
        sockets = bind_loopback(settings.port)
        if gui is not None:
            _log_windowed(settings)
        keep_alive = args.keep_alive if args.keep_alive is not None else DEFAULT_KEEP_ALIVE
        app = FolderApp(folder.resolve(), entries, settings, sockets, keep_alive=keep_alive)
        return _serve_app(args, app, gui, instance)
    finally:
        if instance is not None:
            instance.release()


def _folder_entry(args: argparse.Namespace, path: Path) -> Entry:
    """One notebook of a folder app, with its own settings; one it cannot open is listed
    with the reason (the others still open)."""
    from nbapp.folder import Entry
    from nbapp.notebook import load_notebook

    own = argparse.Namespace(**vars(args))
    if getattr(args, "app_id", ""):  # a packaged folder: each notebook keeps its own values
        own.app_id = f"{args.app_id}/{path.name}"
    try:
        notebook = load_notebook(path)
        return Entry(path.name, notebook, _settings(own, notebook))
    except NbappError as exc:
        _, _, problem = exc.message.partition(f"{path}: ")
        return Entry(path.name, None, None, problem=problem or exc.message)


class _AlreadyRunning(Exception):
    """This app runs already; it was asked to bring its window forward."""


def _one_copy(args: argparse.Namespace, settings: RunSettings, gui: str | None) -> Instance | None:
    """A window is one per app: this app's lock, or (having said so) _AlreadyRunning when a
    second launch raised the first copy's window. No window, no lock."""
    if gui is None:
        return None
    try:
        return _single_instance(settings)
    except _AlreadyRunning:
        label = getattr(args, "label", None) or args.notebook
        print(f"nbapp: {label} is already running; brought its window to the front")
        raise


def _single_instance(settings: RunSettings) -> Instance | None:
    """This app's single-instance lock (None where there is none: Windows), or _AlreadyRunning
    once the running copy has raised its window."""
    from nbapp.gui import instance

    if not instance.supported():
        return None
    for _ in range(2):  # the running copy may be exiting just now: then try to take over
        try:
            claimed = instance.Instance.claim(settings.identity)
        except OSError as exc:  # no private runtime folder: run, without the lock
            log.warning("no single-instance lock (%s)", exc)
            return None
        if claimed is not None:
            return claimed
        try:
            instance.ask_to_raise(settings.identity)
        except instance.InstanceError as exc:
            problem = exc
            continue
        raise _AlreadyRunning
    pid = instance.holder_pid(settings.identity)
    raise NbappError(f"this app is already running (process {pid}) but {problem}")


def _serve(
    args: argparse.Namespace,
    notebook: Notebook,
    settings: RunSettings,
    gui: str | None,
    *,
    sockets: list[socket.socket],
    early: EarlyKernel | None,
    instance: Instance | None = None,
) -> int:
    from nbapp.app import App

    app = App(notebook, settings, sockets, early_kernel=early)
    return _serve_app(args, app, gui, instance)


def _serve_app(
    args: argparse.Namespace, app: Hosted, gui: str | None, instance: Instance | None
) -> int:
    from nbapp.app import run_headless

    def announce(ready: Hosted) -> None:
        label = getattr(args, "label", None) or args.notebook
        print(f"nbapp: serving {label} at {ready.url}", flush=True)

    if gui is None:
        run_headless(app, announce)
        return 0
    from nbapp.gui.window import run_in_window

    run_in_window(app, announce, gui, instance)
    return 0


def _log_windowed(settings: RunSettings) -> None:
    """A windowed app has no console: logs, native code's and the kernel's output go to a file."""
    from nbapp.logs import log_to_file, route_native_stderr

    log_file = log_to_file(settings.debug)
    if log_file is None:
        return  # said on stderr; the window opens all the same
    log.info("nbapp %s: %s in a window; log file %s", __version__, settings.notebook, log_file)
    if not settings.debug:  # --debug prints the GUI toolkit's and the kernel's own messages too
        route_native_stderr(log_file)


def _window_backend(settings: RunSettings) -> str | None:
    """The GUI to open a window with, or None to serve for a browser."""
    if not settings.window:
        return None
    from nbapp.gui.window import choose_backend, display_missing

    problem = display_missing()
    if problem:
        print(f"nbapp: {problem}; serving for a browser instead", file=sys.stderr)
        return None
    return choose_backend()


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _configure_logging(getattr(args, "debug", False))
    from nbapp import startup

    startup.flush()
    try:
        return _dispatch(args)
    except NbappError as exc:
        print(f"nbapp: error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:
        return _machine_fault(exc)
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "run":
        return _run(args)
    if args.command == "export":
        return _export(args)
    from nbapp.package.cli import run_package

    return run_package(args)


def _machine_fault(exc: OSError) -> int:
    """A folder nbapp must write is unwritable or full (the cache of ``nbapp package``, a
    temporary folder): the machine's fault, not the input's. One line, exit code 1."""
    log.debug("failed on the file system", exc_info=exc)
    where = f"{exc.filename}: " if exc.filename else ""
    print(f"nbapp: error: {where}{exc.strerror or exc}", file=sys.stderr)
    return 1


def run_packaged(
    notebook: Path,
    label: str,
    argv: Sequence[str],
    prog: str,
    snapshot: Path | None = None,
) -> int:
    """A packaged app's ``main``: ``nbapp run`` on its bundled notebook, same options;
    ``snapshot``: the build run's outputs, to open on until the app has run once here."""
    parser = argparse.ArgumentParser(
        prog=prog, description=f"Show {label} as a live dashboard (built with nbapp)."
    )
    parser.add_argument("--version", action="version", version=f"{prog} (nbapp {__version__})")
    add_run_options(parser)
    args = parser.parse_args(argv)
    args.notebook = str(notebook)
    args.label = label
    args.packaged = True
    args.bundled_snapshot = snapshot
    from nbapp.state.workdir import prepare

    # A folder app's bundled folder holds its notebooks and their files.
    args.working_dir = prepare(notebook if notebook.is_dir() else notebook.parent, prog)
    args.app_id = f"packaged:{prog}"
    _configure_logging(args.debug)
    from nbapp import startup

    startup.flush()
    try:
        return _run(args)
    except NbappError as exc:
        print(f"{prog}: error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
