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
    "libxcb-cursor0",
    "libxcb-icccm4",
    "libxcb-keysyms1",
    "libxcb-image0",
    "libxcb-render-util0",
    "libxcb-shape0",
    "libxcb-xkb1",
    "libxcb-randr0",
    "libxcb-shm0",
    "libxcb-sync1",
    "libxcb-xfixes0",
    "libxkbcommon-x11-0",
    "libx11-xcb1",
    "libxcomposite1",
    "libxdamage1",
    "libxrandr2",
    "libxtst6",
    "libxkbfile1",
    "libnss3",
    "libasound2",
    "libgbm1",
    "libegl1",
    "libgl1",
    "libfontconfig1",
    "libdbus-1-3",
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


# An app whose window is the system's WebKitGTK (nbapp package's default on Linux) cannot open
# it without these: Depends, so that apt brings them with the app.
_SYSTEM_WEBVIEW_PACKAGES = ("gir1.2-webkit2-4.1", "libgirepository-1.0-1")


def _uses_system_webview(app_dir: Path) -> bool:
    return any(p.is_dir() for p in app_dir.glob("*/gi")) or (app_dir / "gi").is_dir()


def _has_qt_window(app_dir: Path) -> bool:
    return any(app_dir.rglob("libQt6WebEngineCore.so*"))


def _is_elf(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(4) == b"\x7fELF"


def linked_system_packages(app_dir: Path) -> set[str]:
    """The Debian packages of the system libraries the app's binaries link to.

    PyInstaller bundles most libraries but leaves out the graphics stack (libGL, EGL, Wayland,
    libdrm) on purpose; ldd with the bundled folders on the library path finds what remains,
    and dpkg says which package holds it. Empty where there is no ldd or dpkg.
    """
    if not (shutil.which("ldd") and shutil.which("dpkg-query")):
        return set()
    binaries = [p for p in app_dir.rglob("*") if p.is_file() and not p.is_symlink() and _is_elf(p)]
    env = {**os.environ, "LD_LIBRARY_PATH": ":".join(sorted({str(p.parent) for p in binaries}))}
    outside: set[str] = set()
    for start in range(0, len(binaries), 100):
        chunk = [str(p) for p in binaries[start : start + 100]]
        done = subprocess.run(["ldd", *chunk], capture_output=True, text=True, env=env, check=False)
        for line in done.stdout.splitlines():
            match = re.search(r"=> (/\S+) \(", line)
            if match and not match.group(1).startswith(str(app_dir)):
                outside.add(match.group(1))
    candidates = set()
    for path in outside:  # dpkg knows a library by one of its merged-/usr names
        real = os.path.realpath(path)
        candidates |= {path, real, "/usr" + path, "/usr" + real}
    if not candidates:
        return set()
    found = subprocess.run(
        ["dpkg-query", "-S", *sorted(candidates)], capture_output=True, text=True, check=False
    )
    return {line.split(":")[0] for line in found.stdout.splitlines() if ": /" in line}


def providing_package(path: Path) -> str | None:
    """The Debian package that installed ``path`` (a kernelspec, say), if dpkg knows one."""
    if not shutil.which("dpkg-query"):
        return None
    found = subprocess.run(
        ["dpkg-query", "-S", str(path)], capture_output=True, text=True, check=False
    )
    first = found.stdout.split(":")[0].strip() if found.returncode == 0 else ""
    return first if first and "," not in first else None


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


def _depends(app_dir: Path) -> list[str]:
    return list(_SYSTEM_WEBVIEW_PACKAGES) if _uses_system_webview(app_dir) else []


def _recommends(app_dir: Path) -> list[str]:
    """What the app loads from the system beyond libc: linked libraries and, for the window,
    those Qt WebEngine opens at run time. Recommends, not Depends: ``apt install`` brings them,
    and the app's headless mode (--no-window) runs without them."""
    packages = linked_system_packages(app_dir) - {"libc6", *_depends(app_dir)}
    if _has_qt_window(app_dir):
        packages |= set(_WINDOW_LIBRARIES)
    return sorted(packages)


def _control(payload: Payload, pkg: str, arch: str, installed_kib: int) -> str:
    maintainer = os.environ.get("NBAPP_DEB_MAINTAINER", "").strip() or (
        f"{payload.name} maintainers <root@localhost>"
    )
    lines = [
        f"Package: {pkg}",
        f"Version: {payload.version}",
        f"Architecture: {arch}",
        f"Maintainer: {maintainer}",
        f"Installed-Size: {installed_kib}",
        f"Depends: {', '.join(['libc6', *payload.depends, *_depends(payload.app_dir)])}",
        "Section: utils",
        "Priority: optional",
    ]
    recommends = _recommends(payload.app_dir)
    if recommends:
        lines.append(f"Recommends: {', '.join(recommends)}")
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
        control.write_text(_control(payload, pkg, arch, size))
        control.chmod(0o644)
        postrm = control.with_name("postrm")
        postrm.write_text(_POSTRM)
        postrm.chmod(0o755)
        # zstd: seconds where xz takes minutes for a few hundred MB, a little larger. dpkg reads
        # it since Debian 12 and Ubuntu 21.10; NBAPP_DEB_COMPRESSION=xz (or gzip) for older ones.
        compression = os.environ.get("NBAPP_DEB_COMPRESSION", "zstd")
        # As tight as the format allows in reasonable time: zstd's level 19 on all cores.
        level = {"zstd": "19", "xz": "9", "gzip": "9"}.get(compression, "9")
        run_tool(
            ["dpkg-deb", "--root-owner-group", f"-Z{compression}", f"-z{level}",
             f"--threads-max={os.cpu_count() or 1}", "--build", str(root), str(out)],
            "dpkg-deb",
        )  # fmt: skip
    return out
