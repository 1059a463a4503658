"""`grym-desktop compare`: two models on the same files, one model in memory at a time.

`compare --a ID[:PRECISION] --b ID[:PRECISION] FILE... [--reference FILE|MANIFEST] [--json]
[--csv PATH]`. Re-running a comparison that was stopped resumes it. Exit codes as the rest of
the command line: 4 when a model was refused for memory (the other model's results are still
shown), 5 for a model that is missing, 3 when some files could not be used.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grym_desktop.errors import GrymError, TaskCancelledError, UsageError, error_class
from grym_desktop.memory.limits import format_size
from grym_desktop.orchestrator.compare import (
    SIDES,
    CompareProgress,
    Comparison,
    ModelChoice,
    comparison_csv,
    comparison_json,
    new_comparison,
    resume_or_save,
    run_comparison,
)
from grym_desktop.orchestrator.runner import open_orchestrator
from grym_desktop.paths import write_atomically
from grym_desktop.scoring.paired import describe
from grym_desktop.scoring.references import load_references

# The exit code of a comparison in which several things went wrong: the first of these.
_EXIT_PRIORITY = (4, 5, 3, 1)


def compare_command(args: argparse.Namespace, limit: int) -> int:
    a, b = ModelChoice.parse(args.a), ModelChoice.parse(args.b)
    files = [str(Path(f)) for f in args.files]
    comparison = new_comparison(a, b, files, _references(args.reference, files))
    orchestrator = open_orchestrator(limit)
    try:
        comparison, resumed = resume_or_save(comparison, orchestrator.library)
        _say_start(comparison, resumed)
        try:
            run_comparison(orchestrator, comparison, on_progress=_progress_printer())
        except TaskCancelledError:
            print(f"grym-desktop: stopped; run the same command again to resume comparison "
                  f"{comparison.id}.", file=sys.stderr)
            raise
    finally:
        orchestrator.close()
    if args.csv:
        try:
            write_atomically(Path(args.csv), comparison_csv(comparison))
        except OSError as exc:
            raise GrymError(f"The CSV file {args.csv} cannot be written: "
                            f"{(exc.strerror or str(exc)).lower()}.") from exc
    if args.json:
        print(comparison_json(comparison), flush=True)
    else:
        print(readable(comparison), flush=True)
    for run in comparison.runs:
        if run.error and run.status == "failed":
            print(f"grym-desktop: model {run.side.upper()} on {run.file}: {run.error}",
                  file=sys.stderr)
    return _exit_code(comparison)


def _references(paths: list[str] | None, files: list[str]) -> dict[str, str]:
    if not paths:
        return load_references(None, files)
    if len(paths) == 1:
        return load_references(Path(paths[0]), files)
    if len(paths) != len(files):
        raise UsageError(f"Give one --reference (a manifest) or one per file: {len(paths)} "
                         f"references for {len(files)} files.")
    found: dict[str, str] = {}
    for path, file in zip(paths, files, strict=True):
        found.update(load_references(Path(path), [file]))
    return found


def _say_start(comparison: Comparison, resumed: bool) -> None:
    refs = sum(1 for f in comparison.files if f in comparison.references)
    if resumed:
        done = {s: sum(r.status != "pending" for r in comparison.side_runs(s)) for s in SIDES}
        print(f"grym-desktop: resuming comparison {comparison.id}: model A has "
              f"{done['a']} of {len(comparison.files)} files, model B {done['b']}.",
              file=sys.stderr)
    print(f"grym-desktop: A = {comparison.a.label}, B = {comparison.b.label}, "
          f"{len(comparison.files)} files, {refs} with a reference.", file=sys.stderr)


def _progress_printer():
    interactive = sys.stderr.isatty()
    last = [None]

    def show(p: CompareProgress) -> None:
        where = (f"model {p.side.upper()} ({p.model}), file {p.file_index + 1} of "
                 f"{p.file_count}: {Path(p.file).name}")
        left = "" if p.seconds_left is None else f", about {_duration(p.seconds_left)} left"
        if interactive:
            print(f"\r{where} {p.fraction:4.0%}{left}\033[K", end="", file=sys.stderr,
                  flush=True)
        elif last[0] != (p.side, p.file_index):
            print(f"grym-desktop: {where}{left}", file=sys.stderr, flush=True)
        last[0] = (p.side, p.file_index)

    return show


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    return f"{round(seconds / 60)} min"


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f} %"


def _number(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _size(value: int | None) -> str:
    return "–" if value is None else format_size(value)


def readable(comparison: Comparison) -> str:
    """The comparison as a person reads it: a row per file, a line per model, the paired
    differences and who won."""
    width = min(40, max(len(Path(f).name) for f in comparison.files))
    lines = [f"A = {comparison.a.label}    B = {comparison.b.label}", "",
             f"{'file':{width}}  {'WER A':>7}  {'WER B':>7}  {'B vs A':>7}  {'RTF A':>6}  "
             f"{'RTF B':>6}  winner"]
    for file in comparison.files:
        a_run, b_run = comparison.run_for("a", file), comparison.run_for("b", file)
        cells = []
        for run in (a_run, b_run):
            cells.append(_percent(run.wer) if run.ran else run.status)
        lines.append(
            f"{Path(file).name[:width]:{width}}  {cells[0]:>7}  {cells[1]:>7}  "
            f"{_percent(b_run.wer_vs_a):>7}  {_number(a_run.rtf if a_run.ran else None):>6}  "
            f"{_number(b_run.rtf if b_run.ran else None):>6}  "
            f"{(comparison.winner(file) or '–').upper()}")
    lines.append("")
    summary = comparison.to_dict()["models"]
    for side in SIDES:
        s = summary[side]
        runs = [r for r in comparison.side_runs(side) if r.ran]
        precision = runs[0].precision if runs else None
        head = f"Model {side.upper()} {s['model']}" + (f" ({precision})" if precision else "")
        if s["refused"] and not runs:
            lines.append(f"{head}: refused: {s['refused']}")
            continue
        lines.append(
            f"{head}: {s['files_done']} of {len(comparison.files)} files, WER "
            f"{_percent(s['wer'])}, RTF {_number(s['rtf'])}, load {_number(s['load_seconds'], 2)}"
            f" s, peak RSS {_size(s['peak_rss_bytes'])} (estimate {_size(s['estimate_bytes'])}"
            f", measured {_size(s['measured_bytes'])} above the idle host)")
        if s["refused"]:
            lines.append(f"  refused: {s['refused']}")
    paired = comparison.summaries()
    lines.append("")
    lines.append(f"WER: {describe(paired['wer'], 'points', 100)}")
    lines.append(f"RTF: {describe(paired['rtf'])}")
    lines.append(f"Peak RSS: {describe(paired['peak_rss_bytes'], 'MiB', 1 / 2**20)}")
    winners = [comparison.winner(f) for f in comparison.files]
    lines.append(f"A won {winners.count('a')}, B won {winners.count('b')}, ties "
                 f"{winners.count('tie')} (the lower WER, then the faster).")
    lines.append(f"Normalisation: {comparison.normalisation}")
    lines.append(f"Saved in the library as comparison {comparison.id}.")
    return "\n".join(lines)


def _exit_code(comparison: Comparison) -> int:
    """0 when both models ran every file; else the contract's code of what went wrong."""
    codes = {error_class(r.error_type or "GrymError").exit_code
             for r in comparison.runs if r.status in ("refused", "failed")}
    return next((c for c in _EXIT_PRIORITY if c in codes), min(codes, default=0))
