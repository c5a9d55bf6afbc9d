"""What is soaked (`nbapp run` or a packaged app) and how its processes are sampled."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from bench.servers import KERNEL_MARKERS, NBAPP_SERVING, Server, start_process

MB = 1024 * 1024


@dataclass(frozen=True)
class Target:
    """A command that serves ``notebook`` and prints nbapp's serving line."""

    label: str
    argv: tuple[str, ...]

    def start(self, timeout: float = 120) -> Server:
        return start_process(self.label, list(self.argv), NBAPP_SERVING, timeout)


def nbapp_run(nbapp: Path, notebook: Path) -> Target:
    return Target("nbapp run", (str(nbapp), "run", "--no-window", "--port", "0", str(notebook)))


def packaged(executable: Path) -> Target:
    return Target("packaged app", (str(executable), "--no-window", "--port", "0"))


@dataclass(frozen=True)
class Sample:
    """Resident memory (MB) and open file descriptors of the server and of its kernels."""

    seconds: float
    server_mb: float
    kernel_mb: float
    server_fds: int
    kernel_fds: int
    kernels: int


def kernels(server: Server) -> list[psutil.Process]:
    try:
        children = psutil.Process(server.proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    found = []
    for child in children:
        try:
            if any(marker in " ".join(child.cmdline()) for marker in KERNEL_MARKERS):
                found.append(child)
        except psutil.Error:
            continue
    return found


def sample(server: Server, started: float) -> Sample:
    proc = psutil.Process(server.proc.pid)
    kernel_mb, kernel_fds, alive = 0.0, 0, 0
    for kernel in kernels(server):
        try:
            kernel_mb += kernel.memory_info().rss / MB
            kernel_fds += kernel.num_fds()
            alive += 1
        except psutil.Error:
            continue
    return Sample(
        seconds=time.monotonic() - started,
        server_mb=proc.memory_info().rss / MB,
        kernel_mb=kernel_mb,
        server_fds=proc.num_fds(),
        kernel_fds=kernel_fds,
        kernels=alive,
    )
