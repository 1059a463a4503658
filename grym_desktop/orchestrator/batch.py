"""Batches: many files, N model hosts in parallel, a ledger that makes every run resumable.

Each worker is an orchestrator of its own (one host, one model at a time, its own watchdog)
with an equal share of the memory limit; the count is refused with numbers when the model's
estimate does not fit that many times. The ledger in the output folder records every file by
content, model and options: a second run skips what is done, retries what failed and picks up
what a killed run left; outputs are written whole (write then rename) or not at all.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from grym_desktop.audio.decode import probe
from grym_desktop.batch.ledger import Entry, Ledger, options_key
from grym_desktop.batch.sources import content_hash, find_sources
from grym_desktop.errors import GrymError, MemoryRefusedError, UsageError, error_class
from grym_desktop.export.writers import write_to
from grym_desktop.memory.limits import format_size
from grym_desktop.memory.state import HOST_BASELINE_BYTES, read_state
from grym_desktop.models.catalog import get_spec
from grym_desktop.models.footprint import estimate_for
from grym_desktop.options import DecodeOptions
from grym_desktop.orchestrator.runner import Orchestrator, TranscribeTask
from grym_desktop.orchestrator.speakers import SpeakerCount
from grym_desktop.transcript import Transcript

# `--batched auto` batches files from this length: on two cores batched decoding was 1.2-1.8x
# as fast from 2 minutes, but dropped whole sentences (+1.3 to +14 points of word error rate)
# and gave one segment per 30 s, so it is asked for, never the default
# (bench/batched_decoding_bench.py, README).
BATCHED_FROM_SECONDS = 300.0
_TEMPORARY = re.compile(r"\..+\.[0-9a-f]{8}\.tmp")


@dataclass
class BatchRequest:
    """What a batch is asked to do; `options` are the choices that change the output."""

    sources: list[str]
    output: Path
    model: str
    precision: str | None = None
    format: str = "txt"
    options: DecodeOptions = field(default_factory=DecodeOptions)
    speakers: SpeakerCount | None = None
    batched: str = "off"  # faster-whisper's batched decoding: "on", "off", or "auto" (long files)

    def key(self) -> str:
        return options_key({"precision": self.precision, "format": self.format,
                            "language": self.options.language, "task": self.options.task,
                            "speakers": None if self.speakers is None else str(self.speakers),
                            "batched": self.batched})

    def task(self, path: Path | str) -> TranscribeTask:
        """The orchestrator's task for one file of the batch (no fallback: a batch is one model)."""
        options = self.options
        if self.batched == "on" or (self.batched == "auto" and is_long(path)):
            options = replace(options, batched=True)
        return TranscribeTask(str(path), model_id=self.model, precision=self.precision,
                              options=options, speakers=self.speakers, allow_fallback=False)


def is_long(path: Path | str) -> bool:
    """Whether batched decoding pays off for this file (bench/batched_decoding_bench.py); a
    file that cannot be read is not, and fails with its own sentence when it is decoded."""
    try:
        return probe(path).duration >= BATCHED_FROM_SECONDS
    except GrymError:
        return False


@dataclass
class WorkerPlan:
    count: int
    reason: str  # why this many, in one sentence
    limit_each: int  # each worker's share of the memory limit

    @property
    def threads_each(self) -> int:
        """Each worker's engine threads: the cores shared out, so hosts do not fight."""
        return max(1, (os.cpu_count() or 1) // self.count)


@dataclass
class BatchProgress:
    done: int  # files finished this run (done or failed)
    total: int  # files this run has to do
    audio_seconds: float  # audio of the files done
    busy_seconds: float  # wall time the workers spent on them
    elapsed: float
    file: str | None = None  # the file just finished
    status: str | None = None
    error: str | None = None
    nodes: int | None = None  # on a cluster: nodes and actors alive
    actors: int | None = None
    worker: str | None = None  # who did the file: a local worker, or a node and actor

    @property
    def seconds_left(self) -> float | None:
        if not self.done:
            return None
        return self.elapsed / self.done * (self.total - self.done)


@dataclass
class BatchSummary:
    done: int = 0
    skipped: int = 0
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # path, sentence, type
    problems: list[str] = field(default_factory=list)  # sources that could not be read
    outputs: list[str] = field(default_factory=list)
    audio_seconds: float = 0.0
    wall_seconds: float = 0.0
    workers: WorkerPlan | None = None

    def exit_code(self) -> int:
        """0 when every file was done, else the contract's code of what went wrong first
        (3 for unusable input: the rest were still done)."""
        codes = [error_class(kind).exit_code for _path, _error, kind in self.failed]
        if self.problems:
            codes.append(3)
        for code in (4, 5, 3, 1):
            if code in codes:
                return code
        return min(codes, default=0)


def plan_workers(requested: str, model: str, precision: str | None, limit: int,
                 files: int) -> WorkerPlan:
    """How many hosts run at once: `requested` ("auto" or a number). Each holds the model
    (the governor's estimate) and a host's own baseline; MemoryRefusedError, with the numbers,
    when the number asked for does not fit the budget."""
    spec = get_spec(model)
    estimates = [estimate_for(spec, p) for p in ([precision] if precision else spec.precisions)]
    each = min(e.total_bytes for e in estimates) + HOST_BASELINE_BYTES
    budget = read_state(limit, host_rss=0).budget
    fits = budget // each
    cores = os.cpu_count() or 1
    if requested == "auto":
        count = max(1, min(cores, fits, files))
        why = (f"{count} worker{'s' if count > 1 else ''}: {cores} cores, and the "
               f"{format_size(budget)} budget holds {fits} host{'s' if fits != 1 else ''} of "
               f"{model} at about {format_size(each)} each")
        if files < min(cores, fits):
            why += f", for {files} file{'s' if files != 1 else ''}"
        return WorkerPlan(count, why + ".", limit // count)
    try:
        count = int(requested)
    except ValueError:
        raise UsageError(f"--workers takes a number or auto, not {requested!r}.") from None
    if count < 1:
        raise UsageError("--workers must be at least 1.")
    if count * each > budget:
        raise MemoryRefusedError(
            f"{count} workers need about {format_size(count * each)} ({count} × "
            f"{format_size(each)} for {model} and its host) but the budget is "
            f"{format_size(budget)}; {fits} fit{'s' if fits == 1 else ''}.")
    return WorkerPlan(count, f"{count} worker{'s' if count > 1 else ''}, as asked.",
                      limit // count)


def remove_unfinished_writes(output: Path) -> None:
    """Delete the temporary files a killed batch left mid-write (paths.write_atomically names
    them .NAME.XXXXXXXX.tmp): an output is there whole or not at all."""
    for path in output.rglob(".*.tmp"):
        if _TEMPORARY.fullmatch(path.name) and path.is_file():
            path.unlink(missing_ok=True)


def output_names(files: list[Path], fmt: str) -> dict[Path, Path]:
    """Each file's output, relative to the output folder: its path below the files' common
    folder with the format's suffix ("talk.wav" -> "talk.txt"; the audio's own suffix is kept
    where two files would otherwise share a name)."""
    if not files:
        return {}
    base = Path(os.path.commonpath([str(f.parent) for f in files]))
    names = {f: f.relative_to(base).with_suffix(f".{fmt}") for f in files}
    taken: dict[Path, int] = {}
    for name in names.values():
        taken[name] = taken.get(name, 0) + 1
    return {f: (n if taken[n] == 1 else f.relative_to(base).with_name(f"{f.name}.{fmt}"))
            for f, n in names.items()}


class LocalWorkers:
    """N model hosts on this machine, each an orchestrator of its own on a thread."""

    def plan(self, requested: str, request: BatchRequest, limit: int,
             todo: list[Path]) -> WorkerPlan:
        return plan_workers(requested, request.model, request.precision, limit,
                            max(1, len(todo)))

    def run(self, job: BatchJob) -> None:
        work: queue.Queue[Entry] = queue.Queue()
        for entry in job.todo:
            work.put(entry)

        def worker(name: str) -> None:
            orchestrator = Orchestrator(job.plan.limit_each, cpu_threads=job.plan.threads_each)
            try:
                while True:
                    try:
                        entry = work.get_nowait()
                    except queue.Empty:
                        return
                    job.begin(entry, name)
                    began = time.monotonic()
                    try:
                        transcript = orchestrator.run(job.request.task(entry.path))
                    except GrymError as exc:
                        job.fail(entry, str(exc), type(exc).__name__)
                        continue
                    job.finish(entry, transcript, time.monotonic() - began)
            finally:
                orchestrator.close()

        threads = [threading.Thread(target=worker, args=(f"worker-{i + 1}",), daemon=True)
                   for i in range(min(job.plan.count, max(1, len(job.todo))))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


@dataclass
class BatchJob:
    """One run of a batch as its workers share it: what to do, where results go, and the
    ledger, summary and progress that every finished file updates (from any thread)."""

    request: BatchRequest
    ledger: Ledger
    todo: list[Entry]
    names: dict[Path, Path]
    plan: WorkerPlan
    summary: BatchSummary
    on_progress: Callable[[BatchProgress], None] | None
    started: float
    busy_seconds: float = 0.0
    nodes: int | None = None  # on a cluster: nodes and actors alive, for the progress
    actors: int | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _workers: dict[int, str] = field(default_factory=dict)  # entry id -> who is doing it

    def begin(self, entry: Entry, worker: str) -> None:
        self.ledger.start(entry.id, worker)
        with self._lock:
            self._workers[entry.id] = worker

    def finish(self, entry: Entry, transcript: Transcript, seconds: float) -> None:
        """Write the file's output whole (write then rename), then record it done."""
        try:
            target = write_to(transcript, self.request.format,
                              self.request.output / self.names[entry.path])
        except GrymError as exc:
            self.fail(entry, str(exc), type(exc).__name__)
            return
        self.ledger.finish(entry.id, [str(target)], transcript.duration, seconds)
        with self._lock:
            self.summary.done += 1
            self.summary.audio_seconds += transcript.duration
            self.summary.outputs.append(str(target))
            self.busy_seconds += seconds
            self._report(entry, "done", None)

    def fail(self, entry: Entry, sentence: str, kind: str) -> None:
        self.ledger.fail(entry.id, sentence)
        with self._lock:
            self.summary.failed.append((str(entry.path), sentence, kind))
            self._report(entry, "failed", sentence)

    def _report(self, entry: Entry, status: str, error: str | None) -> None:
        if self.on_progress is not None:
            s = self.summary
            self.on_progress(BatchProgress(
                s.done + len(s.failed), len(self.todo), s.audio_seconds, self.busy_seconds,
                time.monotonic() - self.started, str(entry.path), status, error,
                self.nodes, self.actors, self._workers.get(entry.id)))


def run_batch(request: BatchRequest, limit: int, workers: str = "1",
              on_progress: Callable[[BatchProgress], None] | None = None,
              on_start: Callable[[WorkerPlan, int, int], None] | None = None,
              pool: LocalWorkers | None = None) -> BatchSummary:
    """Transcribe every file of the sources into request.output; see the module's docstring.

    pool runs the files: local hosts by default, or a cluster's (orchestrator/cluster.py).
    """
    pool = pool if pool is not None else LocalWorkers()
    started = time.monotonic()
    summary = BatchSummary()
    found = find_sources(request.sources)
    summary.problems = list(found.problems)
    hashed: list[tuple[Path, str]] = []
    for path in found.files:
        try:
            hashed.append((path, content_hash(path)))
        except OSError as exc:
            summary.failed.append((str(path), f"{path} cannot be read: "
                                   f"{(exc.strerror or str(exc)).lower()}.", "InputError"))
    names = output_names([p for p, _h in hashed], request.format)
    request.output.mkdir(parents=True, exist_ok=True)
    remove_unfinished_writes(request.output)
    ledger = Ledger(request.output)
    try:
        plan = ledger.plan(hashed, request.model, request.key())
        summary.skipped = len(plan.skipped)
        worker_plan = pool.plan(workers, request, limit, [e.path for e in plan.todo])
        summary.workers = worker_plan
        if on_start is not None:
            on_start(worker_plan, len(plan.todo), len(plan.skipped))
        pool.run(BatchJob(request, ledger, plan.todo, names, worker_plan, summary, on_progress,
                          started))
        for path, shared in plan.duplicates:  # the same content under another name
            entry = ledger.entry(shared.id)
            if entry.status == "done" and entry.outputs and path in names:
                target = request.output / names[path]
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(entry.outputs[0], target)
                summary.outputs.append(str(target))
    finally:
        ledger.close()
    summary.wall_seconds = time.monotonic() - started
    return summary
