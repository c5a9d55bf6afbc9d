"""Run inside PyInstaller's spec, after its analysis: what the analysis alone leaves out.

Packages find their plugins and versions through their distribution's metadata
(``importlib.metadata``): matplotlib validates the kernel's ``module://matplotlib_inline...``
backend through the ``matplotlib.backend`` entry points, many packages read their own
``__version__`` from it. PyInstaller copies a distribution's metadata only when a hook asks, so
an app failed as soon as a cell did ``import matplotlib.pyplot``. Here every distribution that
has a module in the app keeps its ``.dist-info`` (a few kB each).
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterable
from pathlib import Path

TocEntry = tuple[str, str, str]  # PyInstaller's (destination, source, type code)


def _top_level_names(pure: Iterable[TocEntry], binaries: Iterable[TocEntry]) -> set[str]:
    names = {entry[0].split(".")[0] for entry in pure}
    for dest, _source, _kind in binaries:
        parts = dest.replace("\\", "/").split("/")
        if len(parts) > 1:  # an extension module inside a package (numpy/_core/x.so)
            names.add(parts[0])
        elif dest.endswith((".so", ".pyd")) and "." in dest:  # a top-level extension module
            names.add(dest.split(".")[0])
    return names


def metadata_entries(
    pure: Iterable[TocEntry], binaries: Iterable[TocEntry], datas: Iterable[TocEntry]
) -> list[TocEntry]:
    """DATA entries for the metadata of every distribution whose modules are in the app."""
    from PyInstaller.utils.hooks import copy_metadata

    mapping = importlib.metadata.packages_distributions()
    distributions = {
        dist for name in _top_level_names(pure, binaries) for dist in mapping.get(name, [])
    }
    present = {entry[0].replace("\\", "/") for entry in datas}
    entries: list[TocEntry] = []
    for dist in sorted(distributions):
        try:
            pairs = copy_metadata(dist)
        except Exception:  # metadata not found for this name (a namespace, an odd install)
            continue
        for source, dest_dir in pairs:
            root = Path(source)
            files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
            for file in files:
                relative = file.name if file == root else file.relative_to(root).as_posix()
                dest = f"{dest_dir}/{relative}".replace("\\", "/")
                if dest not in present:
                    present.add(dest)
                    entries.append((dest, str(file), "DATA"))
    return entries
