"""Start-up against what the environment installed: the same nbapp on the same notebooks in
the benchmark's environment (every widget library the tests use, with their labextensions
and nbextensions) and in a lean one (nbapp and ipywidgets only, bench/.venv-lean), in one run,
interleaved. Start-up once grew with the number of widget packages (their extension.js files
were scanned before the URL was printed); this table keeps it from coming back."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Browser

from .cases import HERE, Case
from .run import Plan, Results, Sample, run_once
from .stats import summarize

LEAN = HERE / ".venv-lean" / "bin" / "nbapp"
_COUNT = (
    "from nbapp.page.widget_assets import lab_extensions, nb_extensions; "
    "print(len(lab_extensions()), len(nb_extensions()))"
)


@dataclass(frozen=True)
class Environment:
    name: str
    nbapp: Path
    labextensions: int
    nbextensions: int


def available() -> bool:
    return LEAN.is_file()


def environment(name: str, nbapp: Path) -> Environment:
    python = nbapp.with_name("python")
    done = subprocess.run(
        [str(python), "-c", _COUNT], capture_output=True, text=True, timeout=120, check=True
    )
    labs, nbs = (int(n) for n in done.stdout.split())
    return Environment(name, nbapp, labs, nbs)


def measure(
    browser: Browser, busy: Path, cases: list[Case], reps: int
) -> tuple[list[Environment], dict[tuple[str, str], list[Sample]]]:
    """The two environments, and (case, environment name) -> samples."""
    envs = [environment("busy", busy), environment("lean", LEAN)]
    samples: dict[tuple[str, str], list[Sample]] = {}
    for rep in range(reps):
        for case in cases:
            for env in envs if rep % 2 == 0 else envs[::-1]:
                plan = Plan([case], 1, 0, env.nbapp, env.nbapp)
                sample = run_once(browser, plan, case, "nbapp", Results())
                samples.setdefault((case.name, env.name), []).append(sample)
                print(
                    f"bench: busy/lean rep {rep + 1} {case.name} {env.name}: ready"
                    f" {sample.ready_s}, first output {sample.first_s}",
                    file=sys.stderr,
                    flush=True,
                )
    return envs, samples


def _cell(values: list[float]) -> str:
    summary = summarize(values)
    if summary is None:
        return "n/a"
    return f"{summary.median:.2f} ({summary.low:.2f}-{summary.high:.2f})"


def _median(values: list[float]) -> float | None:
    summary = summarize(values)
    return summary.median if summary else None


def table(samples: dict[tuple[str, str], list[Sample]], envs: list[Environment]) -> list[str]:
    where = {
        e.name: f"{e.labextensions} labextensions, {e.nbextensions} nbextension folders"
        for e in envs
    }
    lines = [
        "nbapp (no Voilà here) on the same notebook in two environments of the same machine, in"
        " one run, alternating which goes first: *busy* is the benchmark's own environment, with"
        " every widget library the tests use installed; *lean* is bench/.venv-lean, nbapp and"
        " ipywidgets only. The ratio is busy over lean: 1 means what the environment installed"
        " costs start-up nothing (front ends are read from their metadata, and only when a page"
        " asks).",
        "",
        f"- busy: {where['busy']}; lean: {where['lean']}.",
        "",
        "| notebook | figure | busy | lean | busy/lean |",
        "| --- | --- | --- | --- | --- |",
    ]
    cases = sorted({case for case, _ in samples})
    for case in cases:
        for label, pick in (
            ("process start to its URL printed (s)", lambda s: s.ready_s),
            ("process start to first output (s)", lambda s: s.first_s),
        ):
            values = {
                env: [v for s in samples.get((case, env), []) if (v := pick(s)) is not None]
                for env in ("busy", "lean")
            }
            busy, lean = _median(values["busy"]), _median(values["lean"])
            ratio = f"{busy / lean:.2f}" if busy and lean else "n/a"
            lines.append(
                f"| {case} | {label} | {_cell(values['busy'])} | {_cell(values['lean'])} |"
                f" {ratio} |"
            )
    return lines


NOT_MEASURED = [
    "Not measured in this run (quick mode, `--no-busy`, or no bench/.venv-lean: `make bench`"
    " makes it)."
]
