"""`grym-desktop batch SOURCE... --output DIR`: many files, resumable, N hosts in parallel.

Progress is a bar on a terminal, a line per file otherwise, a JSON object per line with
--json; a summary at the end. Exit 0 when every file was done, 3 when some could not be used
(the rest still done), 4 when the worker count does not fit the memory budget.
"""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import redirect_stdout
from dataclasses import asdict
from pathlib import Path
from typing import TextIO

from grym_desktop.memory.limits import format_size
from grym_desktop.options import DecodeOptions
from grym_desktop.orchestrator.batch import (
    BatchProgress,
    BatchRequest,
    BatchSummary,
    WorkerPlan,
    run_batch,
)
from grym_desktop.orchestrator.cluster import ClusterWorkers
from grym_desktop.orchestrator.speakers import SpeakerCount


def batch_command(args: argparse.Namespace, limit: int) -> int:
    options = DecodeOptions(language=args.language, task=args.task)
    options.check()
    request = BatchRequest(args.sources, Path(args.output), args.model, args.precision,
                           args.format, options, SpeakerCount.parse(args.speakers),
                           args.batched)
    pool = None if args.cluster is None else ClusterWorkers(args.cluster, args.cluster_audio)
    workers = args.workers or ("1" if pool is None else "auto")
    out = sys.stdout
    # Ray prints its own notices (a node lost, a worker killed) on stdout, --json's.
    with redirect_stdout(sys.stderr):
        try:
            summary = run_batch(
                request, limit, workers, on_progress=_progress(args.json, out),
                on_start=lambda plan, todo, skipped: _say_start(plan, todo, skipped, args.json,
                                                                out),
                pool=pool)
        finally:
            if pool is not None:
                pool.close()
    _say_summary(summary, args.json, out)
    return summary.exit_code()


def _say_start(plan: WorkerPlan, todo: int, skipped: int, as_json: bool, out: TextIO) -> None:
    if as_json:
        print(json.dumps({"event": "start", "workers": plan.count, "why": plan.reason,
                          "todo": todo, "skipped": skipped}), file=out, flush=True)
        return
    print(f"grym-desktop: {todo} files to transcribe, {skipped} already done; {plan.reason}",
          file=sys.stderr, flush=True)


def _progress(as_json: bool, out: TextIO):
    interactive = sys.stderr.isatty() and not as_json

    def show(p: BatchProgress) -> None:
        if as_json:
            print(json.dumps({"event": "file", **asdict(p), "seconds_left": p.seconds_left}),
                  file=out, flush=True)
            return
        rtf = f", RTF {p.elapsed / p.audio_seconds:.2f}" if p.audio_seconds else ""
        left = "" if p.seconds_left is None else f", about {_duration(p.seconds_left)} left"
        audio = (f"{p.audio_seconds / 3600:.2f} h" if p.audio_seconds >= 3600
                 else f"{p.audio_seconds / 60:.1f} min")
        line = f"{p.done}/{p.total} files, {audio} of audio{rtf}{left}"
        if p.nodes is not None:
            line += f"; {p.actors} actors on {p.nodes} nodes"
        if interactive:
            filled = int(30 * p.done / max(1, p.total))
            print(f"\r[{'#' * filled}{'.' * (30 - filled)}] {line}\033[K", end="",
                  file=sys.stderr, flush=True)
        else:
            what = f"{p.status}: {p.file}" + (f" ({p.error})" if p.error else "")
            print(f"grym-desktop: {line}; {what}", file=sys.stderr, flush=True)

    return show


def _duration(seconds: float) -> str:
    return f"{max(1, round(seconds))} s" if seconds < 90 else f"{round(seconds / 60)} min"


def _say_summary(s: BatchSummary, as_json: bool, out: TextIO) -> None:
    if as_json:
        print(json.dumps({"event": "summary", "done": s.done, "skipped": s.skipped,
                          "failed": [{"file": f, "error": e} for f, e, _k in s.failed],
                          "problems": s.problems, "audio_seconds": round(s.audio_seconds, 2),
                          "wall_seconds": round(s.wall_seconds, 2),
                          "workers": s.workers.count if s.workers else 0}), file=out,
              flush=True)
        return
    if sys.stderr.isatty():
        print(file=sys.stderr)
    for problem in s.problems:
        print(f"grym-desktop: {problem}", file=sys.stderr)
    for _file, error, _kind in s.failed:
        print(f"grym-desktop: {error}", file=sys.stderr)
    rate = f", {s.audio_seconds / s.wall_seconds:.1f} s of audio per second" \
        if s.wall_seconds and s.audio_seconds else ""
    print(f"Done {s.done}, skipped {s.skipped} (done before), failed {len(s.failed)}; "
          f"{s.audio_seconds / 60:.1f} min of audio in {s.wall_seconds:.0f} s{rate}.", file=out)
    if s.workers is not None:
        print(f"Workers: {s.workers.reason} Each had {format_size(s.workers.limit_each)} of "
              "the memory limit.", file=out)
