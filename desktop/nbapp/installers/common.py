"""What every installer kind needs: checked inputs, the recipe folder, tools, icons."""

from __future__ import annotations

import logging
import os
import re
import shlex
import shutil
import struct
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from nbapp.errors import NbappError, UsageError

log = logging.getLogger(__name__)

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Payload:
    """A one-folder app and the facts about it that installers write into their metadata."""

    app_dir: Path
    name: str
    version: str
    icon: Path | None
    out_dir: Path
    depends: tuple[str, ...] = ()  # Debian relations a .deb declares beyond libc6


def check_payload(
    app_dir: Path, name: str, version: str, icon: Path | None, out_dir: Path, *, windows: bool
) -> Payload:
    """Refuse, in one line, inputs no installer can be made from."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._+-]*", name):
        raise UsageError(f"app name {name!r}: use letters, digits and . _ + - only")
    if not re.fullmatch(r"[0-9][A-Za-z0-9.+~-]*", version):
        raise UsageError(f"version {version!r} must start with a digit (e.g. 1.0.2)")
    exe = app_dir / (f"{name}.exe" if windows else name)
    if not exe.is_file():
        built_on = "Windows" if windows else "this platform"
        raise UsageError(
            f"{app_dir}: no executable {exe.name} in this app folder (build the app on "
            f"{built_on}: PyInstaller does not cross-compile)"
        )
    if icon is not None and not icon.is_file():
        raise UsageError(f"icon {icon}: no such file")
    out_dir.mkdir(parents=True, exist_ok=True)
    return Payload(app_dir.resolve(), name, version, icon, out_dir.resolve())


@cache
def recipes_dir() -> Path:
    """``installer/``: inside the package when installed, at the repo root in a checkout."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "installer", here.parent.parent / "installer"):
        if (candidate / "windows" / "nbapp.nsi").is_file():
            return candidate
    raise FileNotFoundError("nbapp's installer recipes are missing from this installation")


def fill_template(template: str, values: dict[str, str]) -> str:
    """Replace ``@KEY@`` placeholders; a placeholder left unfilled is a bug in the caller."""
    return re.sub(r"@([A-Z_]+)@", lambda m: values[m.group(1)], template)


# kind -> the tool that builds it and how to get it
TOOLS = {
    "deb": ("dpkg-deb", "install Debian's dpkg (apt-get install dpkg)"),
    "nsis": (
        "makensis",
        "install NSIS (Debian: apt-get install nsis; Windows: choco install nsis)",
    ),
    "dmg": ("hdiutil", "it ships with macOS"),
    "appimage": (
        "appimagetool",
        "download it from https://github.com/AppImage/appimagetool/releases onto PATH "
        "(no Debian, PyPI or npm package has it)",
    ),
}


def require_tool(kind: str) -> str:
    """The path of the tool that builds ``kind``, or a UsageError naming what to install."""
    tool, install_hint = TOOLS[kind]
    found = shutil.which(tool)
    if not found:
        raise UsageError(f"--installer {kind} needs {tool}: {install_hint}")
    return found


def run_tool(cmd: list[str], what: str) -> None:
    """Run an installer tool; its output only matters, and is shown, when it fails."""
    log.debug("running %s", shlex.join(cmd))
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise NbappError(f"{what} failed (exit {done.returncode}): {shlex.join(cmd)}\n{tail}")


def png_size(path: Path) -> tuple[int, int] | None:
    """Width and height of a PNG file, or None if it is not one."""
    head = path.read_bytes()[:24]
    if len(head) < 24 or not head.startswith(_PNG_MAGIC) or head[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", head[16:24])
    return int(width), int(height)


def ico_from_png(png: Path, dest: Path) -> Path:
    """A Windows .ico holding the PNG as is (Windows Vista and later read PNG icon entries)."""
    size = png_size(png)
    if size is None or max(size) > 256:
        raise UsageError(f"icon {png}: a Windows icon needs an .ico or a PNG of at most 256x256")
    data = png.read_bytes()
    width, height = (0 if side == 256 else side for side in size)  # 0 means 256 in ICO
    header = struct.pack("<HHH", 0, 1, 1)
    entry = struct.pack("<BBBBHHII", width, height, 0, 0, 1, 32, len(data), 6 + 16)
    dest.write_bytes(header + entry + data)
    return dest


_ICNS_PNG_TYPES = {16: b"icp4", 32: b"icp5", 64: b"icp6", 128: b"ic07", 256: b"ic08", 512: b"ic09"}
_ICNS_PNG_TYPES[1024] = b"ic10"


def icns_from_png(png: Path, dest: Path) -> Path:
    """A macOS .icns holding the PNG as is (icns entries may be PNG data since 10.7)."""
    size = png_size(png)
    if size is None or size[0] != size[1] or size[0] not in _ICNS_PNG_TYPES:
        sizes = ", ".join(str(s) for s in _ICNS_PNG_TYPES)
        raise UsageError(f"icon {png}: a macOS icon needs an .icns or a square PNG of {sizes} px")
    data = png.read_bytes()
    entry = _ICNS_PNG_TYPES[size[0]] + struct.pack(">I", 8 + len(data)) + data
    dest.write_bytes(b"icns" + struct.pack(">I", 8 + len(entry)) + entry)
    return dest


def copy_tree(src: Path, dest: Path) -> None:
    """Copy an app folder keeping symlinks (PyInstaller's macOS and Qt layouts use them)."""
    shutil.copytree(src, dest, symlinks=True)


def normalize_modes(root: Path) -> None:
    """Give a staged tree the modes a package should carry: 0755 dirs and executables, else 0644."""
    for dirpath, _dirnames, filenames in os.walk(root):
        os.chmod(dirpath, 0o755)
        for filename in filenames:
            path = Path(dirpath) / filename
            if path.is_symlink():
                continue
            executable = path.stat().st_mode & 0o111
            os.chmod(path, 0o755 if executable else 0o644)


def signing_env(var: str) -> str | None:
    """A signing setting from the environment; signing is off unless it is set."""
    value = os.environ.get(var, "").strip()
    return value or None


def host_platform() -> str:
    if sys.platform.startswith("linux"):
        return "linux"
    if sys.platform == "darwin":
        return "macos"
    if sys.platform == "win32":
        return "windows"
    return sys.platform
