"""The ``nbapp package`` command line; kept light, the work is imported on use."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbapp.package.build import PackageRequest


def add_package_command(commands: Any) -> None:
    package = commands.add_parser(
        "package",
        help="build a desktop app (an executable) from a notebook or a folder of them",
        description="Run NOTEBOOK once to find what it uses, freeze it with PyInstaller into "
        "OUTDIR/NAME/, then start the built app headless to check it shows the same outputs. "
        "A FOLDER becomes one app listing its notebooks (each run once at build time).",
    )
    package.add_argument(
        "notebook",
        metavar="NOTEBOOK",
        nargs="+",
        help="the .ipynb file to package (several: one app each, built in one go), or a folder "
        "of them",
    )
    package.add_argument(
        "-o",
        "--outdir",
        default="dist",
        metavar="OUTDIR",
        help="where the app goes (default: dist)",
    )
    package.add_argument("--name", default=None, help="the app's name (default: notebook's stem)")
    package.add_argument(
        "--icon", default=None, metavar="FILE", help="the app's icon (.png, .ico or .icns)"
    )
    package.add_argument(
        "--onefile", action="store_true", help="one executable file instead of a folder"
    )
    package.add_argument(
        "--template",
        default=None,
        metavar="NAME|PATH",
        help="the page's template, as for nbapp run; the app carries its files "
        "(default: metadata.nbapp.template)",
    )
    package.add_argument(
        "--include",
        action="append",
        default=[],
        metavar="PATH",
        help="a file or folder next to the notebook that discovery cannot see (repeatable)",
    )
    package.add_argument(
        "--no-window-support",
        action="store_true",
        help="leave the Qt window out: a much smaller app that only serves for a browser",
    )
    package.add_argument(
        "--webview",
        choices=("system", "qt"),
        default="system",
        help="the window's web view: system (default; the system's WebKitGTK on Linux, "
        "which the app does not carry) or qt (Linux: Qt WebEngine inside the app, larger, "
        "for machines without WebKitGTK)",
    )
    package.add_argument(
        "--installer",
        action="append",
        default=[],
        metavar="KIND",
        help="also wrap the app as an installer: deb, tar.gz, appimage, nsis, dmg (repeatable)",
    )
    package.add_argument(
        "--depends",
        action="append",
        default=[],
        metavar="PKG",
        help="a Debian package the .deb depends on, e.g. the one that provides a non-Python "
        "notebook's kernel (r-cran-irkernel); repeatable",
    )
    package.add_argument(
        "--app-version",
        default="1.0.0",
        metavar="VERSION",
        help="the version installers give the app (default: 1.0.0)",
    )
    package.add_argument(
        "--no-smoke-test", action="store_true", help="skip starting the built app at the end"
    )
    package.add_argument(
        "--debug", action="store_true", help="keep PyInstaller's console output on stderr"
    )


def request_from_args(args: argparse.Namespace, notebook: Path, name: str | None) -> PackageRequest:
    """One app's build request from ``nbapp package``'s options (all but the app's name
    apply alike to every notebook named, and to every notebook of a folder)."""
    from nbapp.package.build import PackageRequest

    return PackageRequest.from_args(
        notebook=notebook,
        outdir=Path(args.outdir),
        name=name,
        icon=Path(args.icon) if args.icon else None,
        onefile=args.onefile,
        template=args.template,
        includes=[Path(p) for p in args.include],
        window=not args.no_window_support,
        smoke_test=not args.no_smoke_test,
        installers=args.installer,
        version=args.app_version,
        debug=args.debug,
        webview=args.webview,
        depends=args.depends,
    )


def run_package(args: argparse.Namespace) -> int:
    from nbapp.cli import names_folder
    from nbapp.errors import UsageError
    from nbapp.package.build import package_all

    if len(args.notebook) == 1 and names_folder(args.notebook[0]):
        # One app whose home page lists the folder's notebooks.
        from nbapp.package.folder import run_folder_package

        built = run_folder_package(args, Path(args.notebook[0]))
        print(f"nbapp: built {built}", file=sys.stdout, flush=True)
        return 0
    if any(names_folder(notebook) for notebook in args.notebook):
        raise UsageError("a folder is packaged on its own, as one app: name it alone")
    if len(args.notebook) > 1 and (args.name or args.include):
        raise UsageError("--name and --include apply to one notebook; package it on its own")
    requests = [request_from_args(args, Path(notebook), args.name) for notebook in args.notebook]
    names = [request.name for request in requests]
    for name in names:
        if names.count(name) > 1:
            raise UsageError(f"two notebooks would both be the app {name!r} in {args.outdir}")
    for app in package_all(requests):
        print(f"nbapp: built {app}", file=sys.stdout, flush=True)
    return 0
