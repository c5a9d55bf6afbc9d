"""``nbapp package FOLDER``: one app whose home page lists the folder's notebooks.

Each notebook runs once to find what it uses (as for one notebook); the app carries what any
of them used (modules, data files, widget front ends) and every notebook, and is ``nbapp run
FOLDER`` on its bundled folder. The smoke test opens each notebook of the built app from its
list and compares it with its build-time run. A notebook that cannot be loaded or fails a
cell stops the build (a packaged list should not carry a card that never opens).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from nbapp.errors import UsageError
from nbapp.package import trim
from nbapp.package.build import PackageRequest, _build_installer, discover_stage
from nbapp.package.cli import request_from_args
from nbapp.package.discover import Discovery
from nbapp.package.progress import Progress

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def folder_requests(args: argparse.Namespace, folder: Path) -> list[PackageRequest]:
    """One request per notebook of ``folder``, all naming the same app; every user mistake
    is a one-line UsageError (exit 2) before anything runs."""
    from nbapp.folder import notebooks_in
    from nbapp.notebook import load_notebook

    paths = notebooks_in(folder)
    for path in paths:
        load_notebook(path)  # the first broken notebook is named, before any other check
    name = args.name
    if name is None:
        name = folder.resolve().name
        if not _NAME.match(name):
            raise UsageError(
                f"{folder}: the folder's name {name!r} cannot name an app (letters, digits, "
                "'.', '_' or '-'); choose one with --name"
            )
    return [request_from_args(args, path, name) for path in paths]


def merged(discoveries: list[Discovery]) -> Discovery:
    """What the app must carry for all of the folder's notebooks (they share one folder, so
    their data files' relative paths do too); its notebook is the first one."""

    def union(lists: list[list[str]]) -> list[str]:
        return sorted({item for items in lists for item in items})

    return Discovery(
        notebook=discoveries[0].notebook,
        modules=union([d.modules for d in discoveries]),
        kernel_modules=union([d.kernel_modules for d in discoveries]),
        data_files=sorted({path for d in discoveries for path in d.data_files}),
        widget_modules=union([d.widget_modules for d in discoveries]),
    )


def package_folder(folder: Path, requests: list[PackageRequest]) -> Path:
    """Build the folder's app; the path of its executable."""
    from nbapp.package.freeze import FreezeRequest, freeze
    from nbapp.package.smoke import check_window, smoke_test_folder

    first = requests[0]
    smoke = first.smoke_test
    progress = Progress(total=len(requests) + 2 + smoke + len(first.installers))
    discoveries = [discover_stage(request, progress) for request in requests]
    freeze_request = FreezeRequest(
        name=first.name,
        discovery=merged(discoveries),
        outdir=first.outdir,
        includes=first.includes,
        icon=first.icon,
        onefile=first.onefile,
        window=first.window,
        backend=first.backend,
        debug=first.debug,
        folder=folder.resolve().name,
        notebooks=tuple((r.notebook, r.template) for r in requests),
    )
    kind = "one file" if first.onefile else "one folder"
    with progress.stage("freeze", f"PyInstaller, {kind}, {len(requests)} notebooks") as notes:
        frozen = freeze(freeze_request)
        executable = frozen.executable
        notes.append(f"log: {frozen.log_file}")
    with progress.stage("trim", "leaving out what the app never loads") as notes:
        target = executable if first.onefile else executable.parent
        freed = 0 if first.onefile else trim.trim_folder(target, first.backend)
        notes.append(f"{trim.human(trim.size_of(target))}, {trim.human(freed)} removed after build")
    if smoke:
        checks = [(d, r.template) for d, r in zip(discoveries, requests, strict=True)]
        with progress.stage("smoke test", f"opening each notebook of {executable.name}") as notes:
            if first.backend in ("gtk", "qt"):
                check_window(executable, first.backend)  # its web view loads from what it carries
            results = smoke_test_folder(executable, checks)
            cells = sum(result.cells_checked for result in results)
            slowest = max(result.seconds_to_done for result in results)
            notes.append(f"{len(results)} notebooks, {cells} cells match, slowest {slowest:.1f} s")
    installers = []
    for kind in first.installers:
        with progress.stage("installer", kind) as notes:
            installers.append(_build_installer(first, kind, executable))
            notes.append(str(installers[-1]))
    print(trim.size_report(target, installers), file=sys.stderr)
    return executable


def run_folder_package(args: argparse.Namespace, folder: Path) -> Path:
    """``nbapp package FOLDER``: check everything, then build; the app's executable."""
    return package_folder(folder, folder_requests(args, folder))
