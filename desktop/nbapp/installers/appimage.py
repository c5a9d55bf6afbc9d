"""An AppImage, when AppImage's own ``appimagetool`` is installed.

appimagetool (and the AppImage runtime it embeds) is published only on AppImage's GitHub
releases: no Debian package, PyPI or npm release carries it, so nbapp cannot install it for
you and its tests do not build an AppImage. The AppDir staged here follows the AppImage spec.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from nbapp.installers.common import Payload, copy_tree, require_tool, run_tool
from nbapp.installers.deb import deb_architecture, desktop_entry

_APPIMAGE_ARCH = {"amd64": "x86_64", "arm64": "aarch64", "armhf": "armhf", "i386": "i686"}


def stage_appdir(payload: Payload, appdir: Path) -> Path:
    """AppDir: AppRun, NAME.desktop and the icon at the top, the app in usr/lib/NAME."""
    copy_tree(payload.app_dir, appdir / "usr" / "lib" / payload.name)
    app_run = appdir / "AppRun"
    app_run.write_text(
        '#!/bin/sh\nhere="$(dirname "$(readlink -f "$0")")"\n'
        f'exec "$here/usr/lib/{payload.name}/{payload.name}" "$@"\n'
    )
    app_run.chmod(0o755)
    icon_name = ""
    if payload.icon is not None:
        icon_name = payload.name
        shutil.copyfile(payload.icon, appdir / f"{payload.name}{payload.icon.suffix.lower()}")
        (appdir / ".DirIcon").symlink_to(f"{payload.name}{payload.icon.suffix.lower()}")
    (appdir / f"{payload.name}.desktop").write_text(
        desktop_entry(payload.name, payload.name, icon_name), encoding="utf-8"
    )
    return appdir


def build_appimage(payload: Payload) -> Path:
    tool = require_tool("appimage")
    arch = _APPIMAGE_ARCH.get(deb_architecture(), deb_architecture())
    out = payload.out_dir / f"{payload.name}-{payload.version}-{arch}.AppImage"
    with tempfile.TemporaryDirectory(prefix="nbapp-appimage-") as tmp:
        appdir = stage_appdir(payload, Path(tmp) / f"{payload.name}.AppDir")
        run_tool(["env", f"ARCH={arch}", tool, "--no-appstream", str(appdir), str(out)], tool)
    return out
