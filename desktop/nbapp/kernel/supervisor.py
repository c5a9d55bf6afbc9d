"""An installed kernel's keeper: the kernel, and all it started, die with nbapp, even on SIGKILL.

nbapp's own Python kernel watches nbapp itself (kernel_main's watchdog). An installed kernel
(IRkernel, bash_kernel, xeus-cling, IJulia) has no such watchdog, so jupyter_client launches
this small process in front of it: ``python -m nbapp.kernel.supervisor KERNEL-COMMAND...``, or a
packaged app re-entered with ``--nbapp-supervise`` (handled first in build/app_entry.py).

- It leads the process group jupyter_client gives it (``start_new_session``); the kernel and
  what its cells start share that group, so jupyter_client's interrupt (SIGINT), terminate and
  kill reach them as they would reach a kernel launched directly. It survives an interrupt
  and follows the kernel out: when the kernel exits, so does everything left in its group.
- Linux: it is a child subreaper, so processes the kernel started in sessions of their own
  (a terminal's shell) come back to it, not to init, when their parent dies; and the kernel
  gets PR_SET_PDEATHSIG, so it cannot outlive the supervisor.
- It watches nbapp (a pidfd on Linux, kqueue on macOS, else its parent pid every half
  second). When nbapp is gone it removes nbapp's private runtime directory and kills
  every process below it and in its group, itself last.
- Windows (written from the API's documentation, not run here): it puts itself in a job
  object whose processes are killed when its last handle closes, which happens when the
  supervisor exits, and it exits when nbapp's process does.

Standard library only, so a frozen app can dispatch here before any heavy import.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from nbapp.kernel.main import PARENT_PID_ENV, RUNTIME_DIR_ENV

SUPERVISE_FLAG = "--nbapp-supervise"
_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
_POLL_SECONDS = 0.5
_KILL_ROUNDS = 5


def command_prefix() -> list[str]:
    """What goes before a kernelspec's argv to start it under a supervisor."""
    if getattr(sys, "frozen", False):
        return [sys.executable, SUPERVISE_FLAG]
    return [sys.executable, "-m", "nbapp.kernel.supervisor"]


def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return prctl


def kernel_env(environ: dict[str, str], *, frozen: bool) -> dict[str, str]:
    """The kernel's environment: the supervisor's, without what belongs to nbapp's own processes.

    In a packaged app PyInstaller's bootloader points the library path at the bundle (keeping
    the user's in LD_LIBRARY_PATH_ORIG) and sets _PYI_* variables for its own children; the
    kernel is the system's and must load the system's libraries.
    """
    env = {k: v for k, v in environ.items() if not k.startswith("NBAPP_")}
    if frozen:
        original = env.pop("LD_LIBRARY_PATH_ORIG", None)
        if original is None:
            env.pop("LD_LIBRARY_PATH", None)
        else:
            env["LD_LIBRARY_PATH"] = original
        env = {k: v for k, v in env.items() if not k.startswith("_PYI_") and k != "_MEIPASS2"}
    return env


def _start(argv: list[str]) -> subprocess.Popen[bytes]:
    env = kernel_env(dict(os.environ), frozen=getattr(sys, "frozen", False))
    prctl = _prctl()
    if prctl is None:
        return subprocess.Popen(argv, env=env)
    me = os.getpid()

    def die_with_supervisor() -> None:  # runs in the child, between fork and exec
        if sys.platform == "win32":  # (never: no prctl there)
            return
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != me:  # the supervisor died before prctl took effect
            os._exit(1)

    # preexec_fn is unsafe only with other threads running; the supervisor has none yet.
    return subprocess.Popen(argv, env=env, preexec_fn=die_with_supervisor)  # noqa: PLW1509


def _wait_for_exit(pid: int) -> None:
    """Return once ``pid``, our parent (nbapp), has exited."""
    if sys.platform == "win32":
        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        synchronize, infinite = 0x00100000, 0xFFFFFFFF
        handle = kernel32.OpenProcess(synchronize, False, pid)
        if handle:
            kernel32.WaitForSingleObject(handle, infinite)
        return
    pidfd_open = getattr(os, "pidfd_open", None)
    if pidfd_open is not None:
        try:
            fd = pidfd_open(pid)
        except OSError:
            fd = -1  # already gone (ESRCH), or a kernel without pidfds: poll below
        if fd >= 0:
            try:
                if os.getppid() == pid:  # the fd is our parent's, not a reused pid's
                    select.select([fd], [], [])
            finally:
                os.close(fd)
            return
    if sys.platform == "darwin":
        queue = select.kqueue()
        try:
            event = select.kevent(pid, select.KQ_FILTER_PROC, select.KQ_EV_ADD, select.KQ_NOTE_EXIT)
            queue.control([event], 0)
            if os.getppid() == pid:
                queue.control(None, 1)
        except OSError:
            pass  # no such process: it has exited
        finally:
            queue.close()
        return
    while os.getppid() == pid:
        time.sleep(_POLL_SECONDS)


def _linux_processes() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, process group) of every process, from /proc."""
    found: dict[int, tuple[int, int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path("/proc", entry, "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (name) "
        found[int(entry)] = (int(fields[1]), int(fields[2]))
    return found


def _leftovers() -> set[int]:
    """Processes below the supervisor or in its group, the supervisor aside (Linux)."""
    if sys.platform == "win32":
        return set()
    me, group = os.getpid(), os.getpgid(0)
    processes = _linux_processes()
    children: dict[int, list[int]] = {}
    for pid, (parent, _group) in processes.items():
        children.setdefault(parent, []).append(pid)
    below: set[int] = set()
    todo = [me]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in below:
                below.add(child)
                todo.append(child)
    if group == me:  # the group is ours only if we lead it (jupyter_client's new session)
        below |= {pid for pid, (_parent, pgrp) in processes.items() if pgrp == group}
    below.discard(me)
    return below


def _reap() -> None:
    if sys.platform == "win32":
        return
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass


def kill_leftovers(*, including_self: bool) -> None:
    """Kill what the kernel left behind: every process below us and in our group."""
    if sys.platform == "win32":
        return  # the job object does it when we exit
    if sys.platform.startswith("linux"):
        for _ in range(_KILL_ROUNDS):  # a process may fork while its siblings are killed
            targets = _leftovers()
            if not targets:
                break
            for pid in targets:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            _reap()
        if not including_self:
            return
    # Elsewhere the group is all we can name, and signalling it reaches us too.
    if including_self and os.getpgid(0) == os.getpid():
        os.killpg(os.getpid(), signal.SIGKILL)


def _abandoned() -> None:
    """nbapp is gone: remove its runtime directory and take the kernel's processes down."""
    runtime = os.environ.get(RUNTIME_DIR_ENV, "")
    if runtime and Path(runtime).name.startswith("nbapp-"):
        shutil.rmtree(runtime, ignore_errors=True)
    kill_leftovers(including_self=True)
    os._exit(1)


def _watch(parent: int) -> None:
    _wait_for_exit(parent)
    _abandoned()


def _join_job_object() -> None:
    """Windows: our processes (and the kernel's, which inherit the job) die when we exit."""
    if sys.platform != "win32":
        return
    from ctypes import wintypes

    class Basic(ctypes.Structure):
        _fields_ = [
            ("PerProcessUserTimeLimit", ctypes.c_int64),
            ("PerJobUserTimeLimit", ctypes.c_int64),
            ("LimitFlags", wintypes.DWORD),
            ("MinimumWorkingSetSize", ctypes.c_size_t),
            ("MaximumWorkingSetSize", ctypes.c_size_t),
            ("ActiveProcessLimit", wintypes.DWORD),
            ("Affinity", ctypes.c_size_t),
            ("PriorityClass", wintypes.DWORD),
            ("SchedulingClass", wintypes.DWORD),
        ]

    class Counters(ctypes.Structure):
        _fields_ = [
            (name, ctypes.c_uint64)
            for name in ("Reads", "Writes", "Others", "ReadBytes", "WriteBytes", "OtherBytes")
        ]

    class Extended(ctypes.Structure):
        _fields_ = [
            ("BasicLimitInformation", Basic),
            ("IoInfo", Counters),
            ("ProcessMemoryLimit", ctypes.c_size_t),
            ("JobMemoryLimit", ctypes.c_size_t),
            ("PeakProcessMemoryUsed", ctypes.c_size_t),
            ("PeakJobMemoryUsed", ctypes.c_size_t),
        ]

    kill_on_job_close, extended_limit_information = 0x2000, 9
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    job = kernel32.CreateJobObjectW(None, None)
    info = Extended()
    info.BasicLimitInformation.LimitFlags = kill_on_job_close
    kernel32.SetInformationJobObject(
        job, extended_limit_information, ctypes.byref(info), ctypes.sizeof(info)
    )
    kernel32.AssignProcessToJobObject(job, kernel32.GetCurrentProcess())
    # The handle stays open for the supervisor's life; closing it (at exit) kills the job.


def _wait_for_kernel(child: subprocess.Popen[bytes]) -> int:
    """The kernel's exit code; on POSIX, orphans handed to us meanwhile are reaped too."""
    if sys.platform == "win32":
        return child.wait()
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            return child.returncode if child.returncode is not None else 1
        if pid == child.pid:
            child.returncode = os.waitstatus_to_exitcode(status)
            return child.returncode


def _forward_terminate(child: subprocess.Popen[bytes]) -> Callable[[int, object], None]:
    def handler(signum: int, frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child.pid, signal.SIGTERM)

    return handler


def main(argv: list[str] | None = None) -> int:
    command = list(sys.argv[1:] if argv is None else argv)
    if not command:
        print("usage: python -m nbapp.kernel.supervisor KERNEL-COMMAND...", file=sys.stderr)
        return 2
    parent = os.getppid()
    expected = os.environ.get(PARENT_PID_ENV, "")
    if expected.isdigit() and int(expected) != parent:
        _abandoned()  # nbapp died before we could watch it: start nothing
    # An interrupt goes to the whole group: the kernel handles it, we must survive it.
    signal.signal(signal.SIGINT, lambda signum, frame: None)
    _join_job_object()
    prctl = _prctl()
    if prctl is not None:
        prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    try:
        child = _start(command)
    except OSError as exc:
        print(f"nbapp: cannot start the kernel ({command[0]}): {exc.strerror}", file=sys.stderr)
        return 127
    if sys.platform != "win32":
        signal.signal(signal.SIGTERM, _forward_terminate(child))
    threading.Thread(target=_watch, args=(parent,), name="nbapp-watch", daemon=True).start()
    code = _wait_for_kernel(child)
    kill_leftovers(including_self=False)
    return code


if __name__ == "__main__":
    sys.exit(main())
