"""The machine and the versions a report was measured with."""

from __future__ import annotations

import compileall
import os
import platform
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psutil

NBAPP_SOURCE = Path(__file__).resolve().parent.parent / "desktop" / "nbapp"


def compile_nbapp() -> None:
    """Write nbapp's bytecode caches, as pip does for every package it installs (Voilà's and
    Panel's here): nbapp is installed from its source folder (editable), and a machine with
    PYTHONDONTWRITEBYTECODE=1 (this one, CI) would otherwise compile nbapp's modules from
    source at every measured start, about 0.2 s that no user's second start pays."""
    compileall.compile_dir(NBAPP_SOURCE, quiet=1)


@dataclass(frozen=True)
class Environment:
    cpu: str
    cores: int
    ram_gb: float
    os: str
    python: str
    nbapp: str
    voila: str
    voila_python: str
    chromium: str


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return f"{line.split('=', 1)[1].strip(chr(34))}, kernel {platform.release()}"
    except OSError:
        pass
    return platform.platform()


def _output(*argv: str) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    except OSError as exc:
        return f"unavailable ({exc})"
    return (done.stdout.strip() or done.stderr.strip()).splitlines()[-1]


def describe(nbapp: Path, voila: Path, chromium_version: str) -> Environment:
    voila_python = voila.with_name("python")
    return Environment(
        cpu=_cpu_model(),
        cores=os.cpu_count() or 0,
        ram_gb=psutil.virtual_memory().total / 1024**3,
        os=_os_name(),
        python=platform.python_version(),
        nbapp=_output(str(nbapp), "--version"),
        voila=_output(str(voila), "--version"),
        voila_python=_output(str(voila_python), "--version"),
        chromium=chromium_version,
    )
