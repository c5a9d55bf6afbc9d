"""A Windows installer compiled by NSIS's ``makensis`` from ``installer/windows/nbapp.nsi``.

makensis runs on Windows and on Linux (Debian's ``nsis`` package), but the payload must be a
Windows app (NAME.exe), which only a Windows build makes: PyInstaller does not cross-compile.

Signing, off by default: set ``NBAPP_WINDOWS_SIGN_COMMAND`` to a command that signs the file
whose path is appended to it, e.g. ``signtool sign /a /fd sha256 /tr
http://timestamp.digicert.com /td sha256``. It is run on the app's NAME.exe before packing,
and by makensis on the uninstaller and on the installer.
"""

from __future__ import annotations

import os
import re
import shlex
import tempfile
from pathlib import Path

from nbapp.errors import UsageError
from nbapp.installers.common import (
    Payload,
    ico_from_png,
    recipes_dir,
    require_tool,
    run_tool,
    signing_env,
)

SIGN_ENV = "NBAPP_WINDOWS_SIGN_COMMAND"


def numeric_version(version: str) -> str:
    """``1.2.3-rc1`` -> ``1.2.3.0``: the four numbers Windows shows in file properties."""
    leading = re.match(r"\d+(\.\d+){0,3}", version)
    numbers = [min(int(n), 65535) for n in leading.group(0).split(".")] if leading else []
    return ".".join(str(n) for n in [*numbers, 0, 0, 0, 0][:4])


def makensis_command(payload: Payload, out: Path, icon: Path | None) -> list[str]:
    cmd = [
        "makensis",
        "-V2",
        "-WX",  # a warning is a mistake in the recipe or its inputs
        f"-DNAME={payload.name}",
        f"-DVERSION={payload.version}",
        f"-DVI_VERSION={numeric_version(payload.version)}",
        f"-DAPP_DIR={payload.app_dir}",
        f"-DOUT_FILE={out}",
    ]
    if icon is not None:
        cmd.append(f"-DICON={icon}")
    sign = signing_env(SIGN_ENV)
    if sign:
        cmd.append(f"-DSIGN_COMMAND={sign}")
    return [*cmd, str(recipes_dir() / "windows" / "nbapp.nsi")]


def build_nsis(payload: Payload) -> Path:
    exe = payload.app_dir / f"{payload.name}.exe"
    if not exe.is_file():
        raise UsageError(
            f"--installer nsis needs a Windows app ({exe.name}); build it on Windows "
            "(PyInstaller does not cross-compile)"
        )
    require_tool("nsis")
    out = payload.out_dir / f"{payload.name}-{payload.version}-setup.exe"
    sign = signing_env(SIGN_ENV)
    if sign:
        run_tool([*shlex.split(sign, posix=os.name != "nt"), str(exe)], "signing the app")
    with tempfile.TemporaryDirectory(prefix="nbapp-nsis-") as tmp:
        icon = payload.icon
        if icon is not None and icon.suffix.lower() != ".ico":
            icon = ico_from_png(icon, Path(tmp) / f"{payload.name}.ico")
        run_tool(makensis_command(payload, out, icon), "makensis")
    return out
