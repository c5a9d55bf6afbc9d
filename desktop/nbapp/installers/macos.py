"""A macOS .app bundle (Info.plist from ``installer/macos/Info.plist.in``) in a .dmg.

The .dmg is made by ``installer/macos/make-dmg.sh`` with hdiutil, so only on macOS.

Signing, off by default: ``NBAPP_CODESIGN_IDENTITY`` (a "Developer ID Application: ..."
identity in the keychain) signs the bundle (hardened runtime) and the .dmg with codesign;
``NBAPP_NOTARY_PROFILE`` (a ``xcrun notarytool store-credentials`` profile) then notarizes
the .dmg and staples the ticket.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from nbapp.errors import UsageError
from nbapp.installers.common import (
    Payload,
    copy_tree,
    fill_template,
    icns_from_png,
    recipes_dir,
    require_tool,
    run_tool,
    signing_env,
)
from nbapp.installers.deb import package_name

IDENTITY_ENV = "NBAPP_CODESIGN_IDENTITY"
NOTARY_ENV = "NBAPP_NOTARY_PROFILE"


def info_plist(payload: Payload, icon_file: str) -> str:
    bundle_id = os.environ.get("NBAPP_BUNDLE_ID", "").strip() or (
        f"org.nbapp.{package_name(payload.name)}"
    )
    return fill_template(
        (recipes_dir() / "macos" / "Info.plist.in").read_text(encoding="utf-8"),
        {
            "NAME": payload.name,
            "BUNDLE_ID": bundle_id,
            "VERSION": payload.version,
            "ICON_FILE": icon_file,
        },
    )


def build_app_bundle(payload: Payload, dest_dir: Path) -> Path:
    """NAME.app around the one-folder app: Contents/MacOS holds it, Resources the icon."""
    if payload.app_dir.suffix == ".app":
        return payload.app_dir  # PyInstaller already made a bundle
    bundle = dest_dir / f"{payload.name}.app"
    contents = bundle / "Contents"
    copy_tree(payload.app_dir, contents / "MacOS")
    resources = contents / "Resources"
    resources.mkdir(parents=True)
    icon_file = ""
    if payload.icon is not None:
        icon_file = f"{payload.name}.icns"
        if payload.icon.suffix.lower() == ".icns":
            shutil.copyfile(payload.icon, resources / icon_file)
        else:
            icns_from_png(payload.icon, resources / icon_file)
    (contents / "Info.plist").write_text(info_plist(payload, icon_file), encoding="utf-8")
    (contents / "PkgInfo").write_text("APPL????")
    return bundle


def build_dmg(payload: Payload) -> Path:
    if sys.platform != "darwin":
        raise UsageError("--installer dmg needs macOS (hdiutil): build the app and .dmg on a Mac")
    require_tool("dmg")
    identity = signing_env(IDENTITY_ENV)
    out = payload.out_dir / f"{payload.name}-{payload.version}.dmg"
    with tempfile.TemporaryDirectory(prefix="nbapp-dmg-") as tmp:
        bundle = build_app_bundle(payload, Path(tmp))
        if identity:
            run_tool(
                [
                    "codesign",
                    "--force",
                    "--deep",
                    "--options",
                    "runtime",
                    "--timestamp",
                    "--sign",
                    identity,
                    str(bundle),
                ],
                "codesign",
            )
        script = recipes_dir() / "macos" / "make-dmg.sh"
        run_tool(["/bin/sh", str(script), str(bundle), str(out), payload.name], "hdiutil")
    if identity:
        run_tool(["codesign", "--timestamp", "--sign", identity, str(out)], "codesign")
        profile = signing_env(NOTARY_ENV)
        if profile:
            run_tool(
                [
                    "xcrun",
                    "notarytool",
                    "submit",
                    str(out),
                    "--keychain-profile",
                    profile,
                    "--wait",
                ],
                "notarytool",
            )
            run_tool(["xcrun", "stapler", "staple", str(out)], "stapler")
    return out
