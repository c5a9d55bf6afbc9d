"""The kernel started before the server's imports (nbapp.kernel.early): adopted, or left nowhere.

Real kernel processes: one adopted by jupyter_client's manager, then restarted and shut down;
one thrown away because the app failed before it could take it over.
"""

from __future__ import annotations

import asyncio
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pytest

from nbapp.kernel.early import EarlyKernel, launch_early
from nbapp.kernel.private import PrivateKernel

pytestmark = pytest.mark.skipif(
    sys.platform == "win32", reason="Windows starts the kernel the ordinary way"
)


def _launch(folder: Path) -> EarlyKernel:
    early = launch_early(folder, "a=1")
    assert early is not None
    return early


def test_discarded_early_kernel_leaves_no_process_and_no_files(tmp_path: Path) -> None:
    early = _launch(tmp_path)
    assert early.process.poll() is None
    assert oct(early.runtime_dir.stat().st_mode & 0o777) == oct(0o700)
    assert oct(early.connection_file.stat().st_mode & 0o777) == oct(0o600)
    early.discard()
    assert early.process.poll() is not None
    assert not early.runtime_dir.exists()
    early.discard()  # a second call is harmless


def test_adopted_kernel_is_the_one_that_answers_then_restarts_and_shuts_down(
    tmp_path: Path,
) -> None:
    early = _launch(tmp_path)

    async def scenario() -> tuple[int | None, int | None]:
        kernel = PrivateKernel(cwd=tmp_path, query_string="a=1", early=early)
        await kernel.start()
        adopted_pid = kernel.pid
        assert adopted_pid == early.process.pid  # no second process was launched
        assert early.adopted
        # The manager really talks to it: a kernel_info round trip on its connection file.
        client = kernel.manager.client()
        client.start_channels()
        try:
            await client.wait_for_ready(timeout=60)
        finally:
            client.stop_channels()
        await kernel.restart()  # a fresh process, launched the ordinary way
        restarted_pid = kernel.pid
        assert restarted_pid != adopted_pid
        assert await kernel.is_alive()
        await kernel.shutdown()
        return adopted_pid, restarted_pid

    # In a thread of its own: Playwright's sync API, used by other tests in the session, keeps
    # an event loop running on the main thread, where asyncio.run() refuses to start.
    try:
        with ThreadPoolExecutor(1) as pool:
            adopted_pid, restarted_pid = pool.submit(asyncio.run, scenario()).result(120)
    finally:
        early.discard()  # only if the test failed before the manager took it over
    for pid in (adopted_pid, restarted_pid):
        assert pid is not None
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert not early.runtime_dir.exists()
