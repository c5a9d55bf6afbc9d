"""A Debian package: the app under /opt/NAME, a launcher /usr/bin/NAME, a menu entry and icon.

Every file is owned by the package, so ``dpkg -r`` removes all of it (Debian's icon and menu
caches refresh through their own dpkg triggers). One maintainer script: /opt belongs to no
Debian package, so dpkg removes it with the app when it is left empty; postrm puts the
(FHS-required) folder back.
"""

from __future__ import annotations

import logging
import os
import platform
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from nbapp.installers.common import (
    Payload,
    copy_tree,
    fill_template,
    normalize_modes,
    png_size,
    recipes_dir,
    require_tool,
    run_tool,
)

log = logging.getLogger(__name__)

_HICOLOR_SIZES = {16, 22, 24, 32, 48, 64, 128, 256, 512}
# What Qt WebEngine's window loads from the system beyond a bare X client (see the Makefile).
_WINDOW_LIBRARIES = (
    "libxcb-cursor0, libxcb-icccm4, libxcb-keysyms1, libxcb-image0, libxcb-render-util0, "
    "libxcb-shape0, libxcb-xkb1, libxcb-randr0, libxcb-shm0, libxcb-sync1, libxcb-xfixes0, "
    "libxkbcommon-x11-0, libx11-xcb1, libxcomposite1, libxdamage1, libxrandr2, libxtst6, "
    "libxkbfile1, libnss3, libasound2, libgbm1, libegl1, libfontconfig1, libdbus-1-3"
)

_POSTRM = """#!/bin/sh
set -e
# dpkg removed /opt along with the app if nothing else was in it; it is not the app's.
mkdir -p /opt
"""


def package_name(name: str) -> str:
    """Debian's package name rules: lower case, digits, + - . and at least two characters."""
    pkg = re.sub(r"[^a-z0-9+.-]+", "-", name.lower()).strip("-.+")
    return pkg if len(pkg) >= 2 else f"{pkg}-app"


def deb_architecture() -> str:
    if shutil.which("dpkg"):
        done = subprocess.run(
            ["dpkg", "--print-architecture"], capture_output=True, text=True, check=False
        )
        if done.returncode == 0 and done.stdout.strip():
            return done.stdout.strip()
    machine = platform.machine().lower()
    return {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "armhf"}.get(machine, machine)


def _has_qt_window(app_dir: Path) -> bool:
    return any(app_dir.rglob("libQt6WebEngineCore.so*"))


def _install_icon(payload: Payload, root: Path) -> str:
    """Place the icon where desktop environments look; returns the desktop entry's Icon value."""
    icon = payload.icon
    if icon is None:
        return ""
    suffix = icon.suffix.lower()
    if suffix not in (".png", ".svg"):
        log.warning("the .deb gets no icon: Linux menus need a .png or .svg, not %s", icon.name)
        return ""
    size = png_size(icon) if suffix == ".png" else None
    if suffix == ".svg":
        where = root / "usr/share/icons/hicolor/scalable/apps"
    elif size and size[0] == size[1] and size[0] in _HICOLOR_SIZES:
        where = root / f"usr/share/icons/hicolor/{size[0]}x{size[0]}/apps"
    else:
        where = root / "usr/share/pixmaps"
    where.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(icon, where / f"{payload.name}{suffix}")
    return payload.name


def desktop_entry(name: str, exec_line: str, icon: str) -> str:
    text = fill_template(
        (recipes_dir() / "linux" / "app.desktop.in").read_text(encoding="utf-8"),
        {"NAME": name, "EXEC": exec_line, "ICON": icon},
    )
    if not icon:
        text = "".join(line for line in text.splitlines(True) if not line.startswith("Icon="))
    return text


def _control(payload: Payload, pkg: str, arch: str, installed_kib: int, qt: bool) -> str:
    maintainer = os.environ.get("NBAPP_DEB_MAINTAINER", "").strip() or (
        f"{payload.name} maintainers <root@localhost>"
    )
    lines = [
        f"Package: {pkg}",
        f"Version: {payload.version}",
        f"Architecture: {arch}",
        f"Maintainer: {maintainer}",
        f"Installed-Size: {installed_kib}",
        "Depends: libc6",
        "Section: utils",
        "Priority: optional",
    ]
    if qt:  # the headless mode (--no-window) runs without them, so they are not hard deps
        lines.append(f"Recommends: {_WINDOW_LIBRARIES}")
    lines += [
        f"Description: {payload.name}, a notebook app built with nbapp",
        f" {payload.name} runs its notebook offline on this machine and shows it in a window.",
    ]
    return "\n".join(lines) + "\n"


def _size_kib(root: Path) -> int:
    total = 0
    for dirpath, _dirnames, filenames in os.walk(root):
        for filename in filenames:
            path = Path(dirpath) / filename
            if not path.is_symlink():
                total += path.stat().st_size
    return total // 1024 + 1


def build_deb(payload: Payload) -> Path:
    require_tool("deb")
    pkg, arch = package_name(payload.name), deb_architecture()
    out = payload.out_dir / f"{pkg}_{payload.version}_{arch}.deb"
    with tempfile.TemporaryDirectory(prefix="nbapp-deb-") as tmp:
        root = Path(tmp) / "root"
        copy_tree(payload.app_dir, root / "opt" / payload.name)
        launcher = root / "usr/bin" / payload.name
        launcher.parent.mkdir(parents=True)
        launcher.write_text(f'#!/bin/sh\nexec /opt/{payload.name}/{payload.name} "$@"\n')
        launcher.chmod(0o755)
        icon = _install_icon(payload, root)
        entry = root / "usr/share/applications" / f"{payload.name}.desktop"
        entry.parent.mkdir(parents=True)
        entry.write_text(desktop_entry(payload.name, payload.name, icon), encoding="utf-8")
        normalize_modes(root)
        control = root / "DEBIAN" / "control"
        control.parent.mkdir(mode=0o755)
        size = _size_kib(root)
        control.write_text(_control(payload, pkg, arch, size, _has_qt_window(payload.app_dir)))
        control.chmod(0o644)
        postrm = control.with_name("postrm")
        postrm.write_text(_POSTRM)
        postrm.chmod(0o755)
        # zstd: seconds where xz takes minutes for a few hundred MB, a little larger. dpkg reads
        # it since Debian 12 and Ubuntu 21.10; NBAPP_DEB_COMPRESSION=xz (or gzip) for older ones.
        compression = os.environ.get("NBAPP_DEB_COMPRESSION", "zstd")
        run_tool(
            ["dpkg-deb", "--root-owner-group", f"-Z{compression}", "--build", str(root), str(out)],
            "dpkg-deb",
        )
    return out
