"""Run PyInstaller on several spec files in one process (``python -m nbapp.package.batch``).

PyInstaller keeps the module graph of Python's own start-up modules (base_library.zip) and
its look-ups of shared libraries (ldd) in memory for the life of the process; one process for
all of ``nbapp package``'s apps reuses them from the second app on. Each build's output goes to
its own log file; one JSON line per build on stdout says how it ended.
"""

from __future__ import annotations

import json
import os
import sys
import time
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


def share_base_graph() -> None:
    """Let every build of this process reuse PyInstaller's graph of Python's start-up modules.

    PyInstaller reuses that graph only for an Analysis whose excludes equal the first one's,
    and nbapp's apps differ in excludes (each leaves out what its notebook does not use). The
    excludes are lazy nodes of the graph, and the start-up modules never import any of nbapp's
    excluded names; so before each build the cached graph takes that build's excludes, unless
    one of the names that change is already a node of it (then PyInstaller builds a new one,
    as it would anyway). Without PyInstaller's internals as expected, nothing is changed.
    """
    from PyInstaller.depend import analysis
    from PyInstaller.lib.modulegraph.find_modules import get_implies

    original = analysis.initialize_modgraph
    if not callable(original) or not hasattr(analysis, "_cached_module_graph_"):
        return
    implies = dict(get_implies())

    def initialize_modgraph(excludes: Any = (), user_hook_dirs: Any = ()) -> Any:
        wanted = list(excludes or ())
        if "__main__" not in wanted:
            wanted.append("__main__")  # as PyInstaller adds it
        cached = analysis._cached_module_graph_
        if cached is not None and list(cached._excludes) != wanted:
            _retarget(cached, wanted, implies)
        return original(excludes=wanted, user_hook_dirs=user_hook_dirs)

    analysis.initialize_modgraph = initialize_modgraph
    from PyInstaller.building import build_main

    if getattr(build_main, "initialize_modgraph", None) is original:
        build_main.initialize_modgraph = initialize_modgraph


def _retarget(graph: Any, excludes: list[str], implies: dict[str, Any]) -> None:
    old, new = set(graph._excludes), set(excludes)
    nodes = {str(ident) for ident in graph.graph.node_list()}
    for name in old ^ new:
        if name in nodes or any(node.startswith(f"{name}.") for node in nodes):
            return  # the graph already holds it: not reusable for these excludes
        if name in old and graph.lazynodes.get(name, ...) is not None:
            return  # consumed or changed since: leave the graph as it is
    for name in old - new:
        if name in implies:
            graph.lazynodes[name] = implies[name]
        else:
            graph.lazynodes.pop(name, None)
    for name in new - old:
        graph.lazynodes[name] = None
    graph._excludes = list(excludes)


def main() -> int:
    share_base_graph()
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
        started = time.monotonic()
        try:
            status = _run_one(job)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved_err, 1)
            os.dup2(saved_err, 2)
        seconds = round(time.monotonic() - started, 1)
        result = {"spec": job["spec"], "status": status, "seconds": seconds}
        os.write(results, (json.dumps(result) + "\n").encode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
