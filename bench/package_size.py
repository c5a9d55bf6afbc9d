"""Size of a packaged numpy + matplotlib + ipywidgets notebook: the one-folder app and its .deb,
for the default build (the system's web view) and for ``--webview qt``, from one run.

    .venv/bin/python bench/package_size.py [--out OUTDIR]

Each build runs ``nbapp package NB -o OUTDIR/WEBVIEW --installer deb [--webview qt]`` with its
own cache folder (a first build) and prints its time, nbapp's size report (the largest parts)
and the sizes in MiB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NBAPP = str(Path(sys.executable).with_name("nbapp"))  # the nbapp of the running venv
CELLS = [
    ("markdown", "# Sizes"),
    (
        "code",
        "import numpy as np\nimport matplotlib.pyplot as plt\n"
        "x = np.linspace(0, 6, 50)\nplt.plot(x, np.sin(x))\nplt.show()",
    ),
    ("code", "import ipywidgets as w\nw.IntSlider(value=3, description='n')"),
]


def write_notebook(path: Path) -> None:
    cells = [
        {"cell_type": kind, "metadata": {}, "source": source}
        | ({"outputs": [], "execution_count": None} if kind == "code" else {})
        for kind, source in CELLS
    ]
    notebook = {
        "cells": cells,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(notebook), encoding="utf-8")


def mib(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 2**20
    files = (p for p in path.rglob("*") if p.is_file() and not p.is_symlink())
    return sum(p.stat().st_size for p in files) / 2**20


def build(notebook: Path, out: Path, webview: str) -> None:
    argv = [NBAPP, "package", str(notebook), "-o", str(out), "--installer", "deb"]
    if webview != "system":
        argv += ["--webview", webview]
    env = {**os.environ, "XDG_CACHE_HOME": str(out / "cache")}
    started = time.monotonic()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    if done.returncode != 0:
        sys.exit(f"nbapp package --webview {webview} failed: {done.stderr[-2000:]}")
    (deb,) = out.glob("sizes_*.deb")
    print(f"--webview {webview}: built in {seconds:.0f} s (load average {os.getloadavg()})")
    print(f"  folder {mib(out / 'sizes'):.1f} MiB, .deb {mib(deb):.1f} MiB")
    for line in done.stderr.splitlines():
        if line.startswith(("nbapp: size of", "  ", "nbapp: [")):
            print(f"  {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="keep the builds here (default: a temp folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.out or Path(tmp)
        notebook = root / "sizes.ipynb"
        root.mkdir(parents=True, exist_ok=True)
        write_notebook(notebook)
        for webview in ("system", "qt"):
            build(notebook, root / webview, webview)


if __name__ == "__main__":
    main()
