"""A packaged app's working folder: where its notebook's cells read and write files.

``nbapp run`` runs cells in the notebook's own folder. A packaged app's notebook folder is
inside the app, which an installer puts where users cannot write (/opt, Program Files) and a
one-file app unpacks to a temporary folder. Its cells run instead in a folder of the user's
own (``<user data dir>/nbapp/apps/<app>/files``), where every file bundled next to the
notebook is linked under its own relative path: reading ``data.csv`` finds the bundled file,
writing ``out.csv`` creates a file of the user's that stays there between launches.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from pathlib import Path

log = logging.getLogger(__name__)


def app_files_dir(app_name: str) -> Path:
    from platformdirs import user_data_path

    return user_data_path("nbapp") / "apps" / app_name / "files"


def prepare(bundled: Path, app_name: str) -> Path:
    """The working folder for ``app_name``, with ``bundled``'s files linked in; ``bundled``
    itself if no such folder can be made (a read-only home: cells then read, not write)."""
    work = app_files_dir(app_name)
    try:
        work.mkdir(parents=True, exist_ok=True)
        for source in sorted(bundled.rglob("*")):
            relative = source.relative_to(bundled)
            if source.suffix == ".ipynb" and source.parent == bundled:
                continue  # the notebook itself is the app's, not its data
            _mirror(source, work / relative)
    except OSError as exc:
        log.warning("cannot use %s as the working folder (%s); using the app's own", work, exc)
        return bundled
    return work


def _mirror(source: Path, target: Path) -> None:
    if source.is_dir():
        if target.is_symlink():
            target.unlink()
        target.mkdir(exist_ok=True)
        return
    if target.is_symlink():
        if os.readlink(target) == str(source):
            return
        target.unlink()  # a link into an older install or an earlier one-file unpacking
    elif target.exists():
        return  # a file the app wrote (or the user put) there: theirs, keep it
    try:
        target.symlink_to(source)
    except OSError:  # no symlinks here (some Windows setups): a copy does
        with contextlib.suppress(OSError):
            shutil.copy2(source, target)
