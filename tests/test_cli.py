"""The command line as a user meets it: help, version, and one clear line for bad input."""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path

import pytest

from nbapp import __version__

from support import NBAPP, env_with, read_events, state_is, write_notebook


def run_cli(
    *args: str, tmpdir: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    env = env_with(TMPDIR=str(tmpdir)) if tmpdir else None
    return subprocess.run(
        [NBAPP, *args], capture_output=True, check=False, text=True, timeout=timeout, env=env
    )


def test_version_and_help() -> None:
    version = run_cli("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"nbapp {__version__}"
    top = run_cli("--help")
    assert top.returncode == 0 and "run" in top.stdout
    run_help = run_cli("run", "--help")
    assert run_help.returncode == 0
    for option in ("--no-window", "--port", "--timeout", "--show-tracebacks", "--query", "--debug"):
        assert option in run_help.stdout


def _invalid_v4() -> str:
    return json.dumps(
        {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "code"}]}
    )


BAD_NOTEBOOKS = {
    "missing": (None, "no such file"),
    "directory": ("<dir>", "an empty folder: no notebooks"),  # a folder app
    "not-json": ("{ this is not json", "not valid JSON (line 1"),
    "nbformat-3": (
        json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": []}),
        "nbformat 3 is not supported",
    ),
    "schema-invalid": (_invalid_v4(), "invalid nbformat 4 notebook"),
    "unknown-kernel": (
        json.dumps(
            {
                "nbformat": 4,
                "nbformat_minor": 5,
                "cells": [
                    {
                        "cell_type": "code",
                        "id": "a",
                        "metadata": {},
                        "execution_count": None,
                        "outputs": [],
                        "source": "1",
                    }
                ],
                "metadata": {"kernelspec": {"name": "mystery", "display_name": "?"}},
            }
        ),
        "the kernel 'mystery' is not installed; installed kernels: ",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_NOTEBOOKS))
def test_bad_notebook_gives_one_line_and_exit_2(case: str, tmp_path: Path) -> None:
    content, problem = BAD_NOTEBOOKS[case]
    path = tmp_path / f"{case}.ipynb"
    if content == "<dir>":
        path.mkdir()
    elif content is not None:
        path.write_text(content)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    result = run_cli("run", "--no-window", str(path), tmpdir=scratch)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert lines == [lines[0]] and lines[0].startswith(f"nbapp: error: {path}: ")
    assert problem in lines[0]
    assert "Traceback" not in result.stderr
    assert list(scratch.iterdir()) == []  # no kernel runtime dir: no kernel was started


def test_bad_options_exit_2() -> None:
    for args in (
        ["run", "--port", "70000", "x.ipynb"],
        ["run", "--timeout", "soon", "x.ipynb"],
        ["frobnicate"],
    ):
        result = run_cli(*args)
        assert result.returncode == 2, args
        assert "Traceback" not in result.stderr


def test_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "nb.ipynb", ["1"])
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("run", "--no-window", "--port", str(port), str(nb))
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == f"nbapp: error: port {port} is already in use on 127.0.0.1 (use --port 0 to pick a free one)"
    )


def test_missing_kernelspec_warns_and_runs(tmp_path: Path, serve) -> None:
    nb = tmp_path / "nokernel.ipynb"
    nb.write_text(
        json.dumps(
            {
                "nbformat": 4,
                "nbformat_minor": 5,
                "metadata": {},
                "cells": [
                    {
                        "cell_type": "code",
                        "id": "a",
                        "metadata": {},
                        "execution_count": None,
                        "outputs": [],
                        "source": "print(40 + 2)",
                    }
                ],
            }
        )
    )
    app = serve(nb)
    events = read_events(app, state_is("done"))
    assert any(e["type"] == "cell" and "42" in e["html"] for e in events)
    assert "has no kernelspec; running it with the Python kernel" in app.stderr
