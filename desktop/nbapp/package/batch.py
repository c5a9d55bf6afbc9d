"""Run PyInstaller on several spec files in one process (``python -m nbapp.package.batch``).

PyInstaller keeps the module graph of Python's own library (base_library.zip, about a
quarter of a small app's build) and its look-ups of shared libraries in memory for the life
of the process; one process for all of ``nbapp package``'s apps reuses them from the second
app on. Each build's output goes to its own log file; one JSON line per build on stdout says
how it ended.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from typing import Any


def _run_one(job: dict[str, Any]) -> int:
    import PyInstaller.__main__

    args = [
        "--noconfirm",
        "--log-level",
        job["log_level"],
        "--workpath",
        job["workpath"],
        "--distpath",
        job["distpath"],
        job["spec"],
    ]
    try:
        PyInstaller.__main__.run(args)
    except SystemExit as exc:  # PyInstaller exits on errors it reports itself
        return exc.code if isinstance(exc.code, int) else 1
    except Exception:
        traceback.print_exc()
        return 1
    return 0


def main() -> int:
    jobs: list[dict[str, Any]] = json.loads(sys.stdin.read())
    results = os.dup(1)
    saved_err = os.dup(2)
    for job in jobs:
        # Everything of this build (PyInstaller's log, its hook subprocesses) goes to its log.
        fd = os.open(job["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
        os.chdir(job["cwd"])
        try:
            status = _run_one(job)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved_err, 1)
            os.dup2(saved_err, 2)
        os.write(results, (json.dumps({"spec": job["spec"], "status": status}) + "\n").encode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
