"""A portable .tar.gz of the one-folder app: unpack anywhere and run NAME/NAME."""

from __future__ import annotations

import tarfile
from pathlib import Path

from nbapp.installers.common import Payload
from nbapp.installers.deb import deb_architecture


def _as_root(info: tarfile.TarInfo) -> tarfile.TarInfo:
    """No build-machine user names or ids in the archive; modes as a package would carry."""
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    if info.isdir() or (info.isfile() and info.mode & 0o111):
        info.mode = 0o755
    elif info.isfile():
        info.mode = 0o644
    return info


def build_tarball(payload: Payload) -> Path:
    out = payload.out_dir / f"{payload.name}-{payload.version}-linux-{deb_architecture()}.tar.gz"
    with tarfile.open(out, "w:gz", compresslevel=9) as archive:  # gzip's tightest
        archive.add(payload.app_dir, arcname=payload.name, filter=_as_root)
    return out
