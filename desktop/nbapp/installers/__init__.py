"""Installers around a one-folder app made by ``nbapp package``.

Each platform's installer is built on that platform (PyInstaller does not cross-compile):
``deb``, ``tar.gz`` and ``appimage`` on Linux, ``nsis`` for a Windows app (makensis also
runs on Linux), ``dmg`` on macOS. The recipes live in ``installer/``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from nbapp.errors import UsageError
from nbapp.installers.appimage import build_appimage
from nbapp.installers.common import TOOLS, Payload, check_payload, host_platform, require_tool
from nbapp.installers.deb import build_deb
from nbapp.installers.macos import build_dmg
from nbapp.installers.nsis import build_nsis
from nbapp.installers.tarball import build_tarball

KINDS: tuple[str, ...] = ("deb", "tar.gz", "appimage", "nsis", "dmg")

# kind -> (builder, platform whose app it packs)
_BUILDERS: dict[str, tuple[Callable[[Payload], Path], str]] = {
    "deb": (build_deb, "linux"),
    "tar.gz": (build_tarball, "linux"),
    "appimage": (build_appimage, "linux"),
    "nsis": (build_nsis, "windows"),
    "dmg": (build_dmg, "macos"),
}


def _wrong_platform(kind: str) -> None:
    """Refuse an unknown kind, or a Linux or macOS kind elsewhere (there is no such app here)."""
    if kind not in _BUILDERS:
        raise UsageError(f"unknown installer {kind!r} (choose from {', '.join(KINDS)})")
    target = _BUILDERS[kind][1]
    if target != "windows" and host_platform() != target:
        raise UsageError(
            f"--installer {kind} packs a {target} app: build it on {target} "
            "(PyInstaller does not cross-compile)"
        )


def check_can_build(kind: str) -> None:
    """Before a long build: can this machine wrap the app it is about to build as ``kind``?

    The app built here is for this platform, so only its kinds qualify, and their tool must be
    installed. Raises UsageError (one line, naming what to install) if not.
    """
    _wrong_platform(kind)
    target = _BUILDERS[kind][1]
    if host_platform() != target:  # nsis: makensis runs here, but the app would not be Windows'
        raise UsageError(
            f"--installer {kind} packs a {target} app: build it on {target} "
            "(PyInstaller does not cross-compile)"
        )
    if kind in TOOLS:
        require_tool(kind)


def build_installer(
    kind: str,
    app_dir: Path,
    *,
    name: str,
    version: str,
    icon: Path | None,
    out_dir: Path,
    depends: tuple[str, ...] = (),
) -> Path:
    """Wrap the one-folder app ``app_dir`` (holding NAME or NAME.exe) as ``kind``.

    Returns the installer's path in ``out_dir``. Raises UsageError (one line) for an unknown
    kind, a kind this machine cannot build, or a missing tool, naming what to install. An
    ``nsis`` installer can be made on any machine with makensis, from a Windows app folder.
    ``depends``: Debian package relations the ``deb`` declares (other kinds have no such field).
    """
    _wrong_platform(kind)
    builder, target = _BUILDERS[kind]
    if kind == "dmg" and app_dir.name == "MacOS" and app_dir.parent.name == "Contents":
        app_dir = app_dir.parent.parent  # the executable's folder inside a bundle: the bundle
    if kind == "dmg" and app_dir.suffix == ".app":
        exe_dir = app_dir / "Contents" / "MacOS"
        payload = check_payload(exe_dir, name, version, icon, out_dir, windows=False)
        payload = Payload(app_dir.resolve(), name, version, icon, payload.out_dir)
    else:
        payload = check_payload(app_dir, name, version, icon, out_dir, windows=target == "windows")
    return builder(replace(payload, depends=depends))
