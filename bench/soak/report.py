"""docs/reliability.md's measured part, and the memory and file-descriptor plot."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bench.stats import summarize

from .phases import Loads, Soak, Storm
from .target import Sample


@dataclass
class Outcome:
    """Everything measured for one target."""

    label: str
    loads: Loads | None = None
    storm: Storm | None = None
    soak: Soak | None = None
    extra_output: list[str] = field(default_factory=list)  # lines besides the serving line
    orphans: int = 0
    error: str = ""


def _growth(before: float, after: float) -> str:
    return f"{before:.1f} → {after:.1f} MB ({100 * (after - before) / before:+.1f}%)"


def _seconds(values: list[float]) -> str:
    s = summarize(values)
    if s is None:
        return "n/a"
    return f"{s.median:.2f} s ({s.low:.2f}-{s.high:.2f})"


def _soak_rows(soak: Soak) -> list[str]:
    first, last = soak.samples[0], soak.samples[-1]
    # The first minutes warm up (reloads, the widget library's first moves); compare the
    # second half with itself for drift.
    middle = (first.seconds + last.seconds) / 2
    half = [s for s in soak.samples if s.seconds >= middle]
    peak_server = max(s.server_mb for s in soak.samples)
    peak_kernel = max(s.kernel_mb for s in soak.samples)
    return [
        f"| soak: length, samples | {(last.seconds - first.seconds) / 60:.1f} min, "
        f"{len(soak.samples)} "
        f"(every {soak.samples[1].seconds - first.seconds:.0f} s) |",
        f"| soak: activity | {soak.moves} slider moves, {soak.reloads} reloads, "
        f"{soak.stalls} stalls |",
        f"| soak: server RSS first → last (peak) | "
        f"{_growth(first.server_mb, last.server_mb)} ({peak_server:.1f}) |",
        f"| soak: kernel RSS first → last (peak) | "
        f"{_growth(first.kernel_mb, last.kernel_mb)} ({peak_kernel:.1f}) |",
        f"| soak: second half, server RSS drift | {_growth(half[0].server_mb, last.server_mb)} |",
        f"| soak: open fds server / kernel, first → last (max) | "
        f"{first.server_fds} → {last.server_fds} ({max(s.server_fds for s in soak.samples)}) / "
        f"{first.kernel_fds} → {last.kernel_fds} ({max(s.kernel_fds for s in soak.samples)}) |",
        f"| soak: kernels alive, min-max | {min(s.kernels for s in soak.samples)}-"
        f"{max(s.kernels for s in soak.samples)} |",
    ]


def rows(outcome: Outcome) -> list[str]:
    lines = [f"### {outcome.label}", "", "| figure | measured |", "| --- | --- |"]
    if outcome.error:
        lines.append(f"| error | {outcome.error} |")
    if outcome.loads is not None:
        lo = outcome.loads
        lines += [
            f"| page loads and reloads | {lo.count} |",
            f"| stalls (not done in time; goal 0) | **{lo.stalls}** |",
            f"| reload to done, median (min-max) | {_seconds(lo.seconds)} |",
            f"| most kernels seen during the reloads | {lo.most_kernels} |",
        ]
    if outcome.storm is not None and outcome.storm.before and outcome.storm.after:
        st = outcome.storm
        lost = st.changes - st.kernel_count
        lines += [
            f"| widget storm: changes sent from the page | {st.changes} in {st.send_ms:.0f} ms |",
            f"| storm: kernel handled them all after | {st.catch_up_s:.1f} s |",
            f"| storm: last sent / kernel's final value | {st.last_sent} / {st.kernel_value} |",
            f"| storm: changes lost (goal 0) | **{lost}** |",
            f"| storm: server RSS before → after (goal < +10%) | "
            f"**{_growth(st.before.server_mb, st.after.server_mb)}** |",
            f"| storm: kernel RSS before → after (goal < +10%) | "
            f"**{_growth(st.before.kernel_mb, st.after.kernel_mb)}** |",
        ]
    if outcome.soak is not None and len(outcome.soak.samples) >= 2:
        lines += _soak_rows(outcome.soak)
    lines += [
        f"| output besides the serving line | {len(outcome.extra_output)} lines |",
        f"| processes left after SIGTERM | {outcome.orphans} |",
        "",
    ]
    if outcome.extra_output:
        lines += ["Output besides the serving line:", "", "```", *outcome.extra_output, "```", ""]
    return lines


def plot(outcomes: list[Outcome], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    soaked = [o for o in outcomes if o.soak is not None and o.soak.samples]
    if not soaked:
        return
    fig, axes = plt.subplots(2, len(soaked), figsize=(6 * len(soaked), 6), squeeze=False)
    for column, outcome in enumerate(soaked):
        assert outcome.soak is not None
        samples: list[Sample] = outcome.soak.samples
        minutes = [(s.seconds - samples[0].seconds) / 60 for s in samples]
        mem, fds = axes[0][column], axes[1][column]
        mem.plot(minutes, [s.server_mb for s in samples], label="server")
        mem.plot(minutes, [s.kernel_mb for s in samples], label="kernel")
        mem.set_title(f"{outcome.label}: resident memory")
        mem.set_ylabel("MB")
        mem.set_ylim(bottom=0)
        mem.legend(loc="lower right")
        fds.plot(minutes, [s.server_fds for s in samples], label="server")
        fds.plot(minutes, [s.kernel_fds for s in samples], label="kernel")
        fds.set_title(f"{outcome.label}: open file descriptors")
        fds.set_xlabel("minutes into the soak")
        fds.set_ylim(bottom=0)
        fds.legend(loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def write(outcomes: list[Outcome], out: Path, header: list[str], plot_name: str) -> None:
    """The measured section between markers in ``out``; hand-written text around it stays."""
    measured = [*header, ""]
    for outcome in outcomes:
        measured += rows(outcome)
    measured.append(f"![memory and file descriptors over the soak](images/{plot_name})")
    begin, end = "<!-- soak:begin -->", "<!-- soak:end -->"
    block = "\n".join([begin, *measured, end])
    text = out.read_text(encoding="utf-8") if out.exists() else ""
    if begin in text and end in text:
        text = text[: text.index(begin)] + block + text[text.index(end) + len(end) :]
    else:
        text = f"# Reliability\n\n{block}\n"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    plot(outcomes, out.parent / "images" / plot_name)
