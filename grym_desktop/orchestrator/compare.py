"""A/B comparison: two models on the same files, one model in memory at a time.

Every file goes through model A, the host is restarted (forced cleanup), then every file
goes through model B, so the run's peak memory is the larger model's, never the sum. Each
finished file is saved in the library at once, so a comparison stopped part way resumes
with what is left.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import psutil

from grym_desktop.audio.decode import probe
from grym_desktop.errors import (
    GrymError,
    MemoryRefusedError,
    ModelMissingError,
    TaskCancelledError,
    UsageError,
)
from grym_desktop.models import sources
from grym_desktop.models.catalog import get_spec, transcription_models
from grym_desktop.orchestrator import events as ev
from grym_desktop.orchestrator.runner import Orchestrator, TranscribeTask
from grym_desktop.scoring.paired import PairedDifference, paired_difference
from grym_desktop.scoring.wer import NORMALISATION, corpus_error_rate, word_error_rate

SIDES = ("a", "b")
# What a file run can end as; "pending" is a run not tried yet.
STATUSES = ("pending", "done", "refused", "failed")


@dataclass(frozen=True)
class ModelChoice:
    """One side of a comparison: a catalog model and, optionally, the precision it runs in."""

    model_id: str
    precision: str | None = None

    @classmethod
    def parse(cls, text: str) -> ModelChoice:
        """'whisper-tiny.en' or 'whisper-tiny.en:int8'; UsageError for an unknown model or a
        precision the model does not offer."""
        model_id, _, precision = text.strip().partition(":")
        spec = get_spec(model_id)  # UsageError naming the known models
        if precision and precision not in spec.precisions:
            raise UsageError(f"The model {spec.id} cannot run in {precision}; it offers "
                             f"{', '.join(spec.precisions)}.")
        return cls(spec.id, precision or None)

    @property
    def label(self) -> str:
        return f"{self.model_id}:{self.precision}" if self.precision else self.model_id


@dataclass
class FileRun:
    """One model on one file: what it wrote and what it cost, or why it did not run."""

    side: str  # "a" or "b"
    file: str
    status: str = "pending"  # one of STATUSES
    text: str = ""
    transcript_id: int | None = None
    precision: str | None = None  # the precision it ran in
    duration: float = 0.0  # seconds of audio
    wer: float | None = None  # against the reference; None without one
    wer_vs_a: float | None = None  # B's words scored against A's (side b, where A ran)
    rtf: float | None = None
    load_seconds: float | None = None
    transcribe_seconds: float | None = None
    peak_rss_bytes: int | None = None  # the model host's highest RSS during this file
    estimate_bytes: int | None = None  # the governor's estimate for the model
    measured_bytes: int | None = None  # peak_rss_bytes minus the idle host's RSS
    error: str | None = None  # the refusal or failure, in one sentence
    error_type: str | None = None  # its class, e.g. "MemoryRefusedError"

    @property
    def ran(self) -> bool:
        return self.status == "done"


@dataclass
class Comparison:
    """Models A and B on the same files; runs holds one FileRun per side and file."""

    a: ModelChoice
    b: ModelChoice
    files: list[str]
    references: dict[str, str] = field(default_factory=dict)  # file -> reference text
    runs: list[FileRun] = field(default_factory=list)
    id: int | None = None  # its row in the library, once saved
    created: float = field(default_factory=time.time)
    normalisation: str = NORMALISATION

    def __post_init__(self) -> None:
        if not self.runs:
            self.runs = [FileRun(side, f) for side in SIDES for f in self.files]

    def choice(self, side: str) -> ModelChoice:
        return self.a if side == "a" else self.b

    def run_for(self, side: str, file: str) -> FileRun:
        return next(r for r in self.runs if r.side == side and r.file == file)

    def side_runs(self, side: str) -> list[FileRun]:
        return [self.run_for(side, f) for f in self.files]

    @property
    def finished(self) -> bool:
        return all(r.status != "pending" for r in self.runs)

    def score(self) -> None:
        """WER of every finished run against its reference, and B's against A's words."""
        for run in self.runs:
            if not run.ran:
                continue
            reference = self.references.get(run.file)
            run.wer = None if reference is None else word_error_rate(reference, run.text)
            a_run = self.run_for("a", run.file)
            run.wer_vs_a = (word_error_rate(a_run.text, run.text)
                            if run.side == "b" and a_run.ran else None)

    def summaries(self) -> dict[str, PairedDifference]:
        """B minus A over the files both ran, per metric, with a bootstrap 95 % interval."""
        both = [f for f in self.files
                if self.run_for("a", f).ran and self.run_for("b", f).ran]
        out = {}
        for metric in ("wer", "rtf", "peak_rss_bytes"):
            pairs = [(getattr(self.run_for("a", f), metric), getattr(self.run_for("b", f), metric))
                     for f in both]
            pairs = [(x, y) for x, y in pairs if x is not None and y is not None]
            out[metric] = paired_difference([x for x, _ in pairs], [y for _, y in pairs])
        return out

    def winner(self, file: str) -> str | None:
        """'a', 'b' or 'tie' for this file: the lower WER, then the faster; None unless both
        ran (a refused model wins nothing and loses nothing)."""
        a_run, b_run = self.run_for("a", file), self.run_for("b", file)
        if not (a_run.ran and b_run.ran):
            return None
        if a_run.wer is not None and b_run.wer is not None and a_run.wer != b_run.wer:
            return "a" if a_run.wer < b_run.wer else "b"
        if a_run.rtf is not None and b_run.rtf is not None and a_run.rtf != b_run.rtf:
            return "a" if a_run.rtf < b_run.rtf else "b"
        return "tie"

    def side_peak(self, side: str) -> int | None:
        """The model host's highest RSS over the files this side ran."""
        peaks = [r.peak_rss_bytes for r in self.side_runs(side) if r.peak_rss_bytes]
        return max(peaks) if peaks else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "a": self.a.label,
            "b": self.b.label,
            "normalisation": self.normalisation,
            "files": [
                {"file": f, "reference": self.references.get(f), "winner": self.winner(f),
                 "a": asdict(self.run_for("a", f)), "b": asdict(self.run_for("b", f))}
                for f in self.files
            ],
            "models": {side: self.side_summary(side) for side in SIDES},
            "paired": {metric: asdict(d) for metric, d in self.summaries().items()},
        }

    def side_summary(self, side: str) -> dict[str, Any]:
        """One model over every file: means, the peak, and its refusal or failures."""
        runs = self.side_runs(side)
        done = [r for r in runs if r.ran]
        scored = [r for r in done if r.file in self.references]
        audio = sum(r.duration for r in done)
        busy = sum(r.transcribe_seconds or 0.0 for r in done)
        return {
            "model": self.choice(side).label,
            "files_done": len(done),
            "refused": next((r.error for r in runs if r.status == "refused"), None),
            "failed": [{"file": r.file, "error": r.error} for r in runs if r.status == "failed"],
            # errors over all reference words (per-file WERs are in the runs)
            "wer": corpus_error_rate([self.references[r.file] for r in scored],
                                     [r.text for r in scored]),
            "rtf": busy / audio if audio else None,
            "load_seconds": max((r.load_seconds or 0.0 for r in done), default=None),
            "peak_rss_bytes": self.side_peak(side),
            "estimate_bytes": next((r.estimate_bytes for r in done if r.estimate_bytes), None),
            "measured_bytes": max((r.measured_bytes for r in done if r.measured_bytes),
                                  default=None),
        }


@dataclass
class CompareProgress:
    """Where a comparison is: which model, which file, how far, and the time left."""

    side: str
    model: str  # the side's label
    file_index: int  # 0-based among the comparison's files
    file_count: int
    file: str
    fraction: float  # of this file
    seconds_left: float | None  # the whole comparison's; None until there is a rate


ProgressCallback = Callable[[CompareProgress], None]


# Events of the model host that the window's memory chart still wants during a comparison;
# the per-file task events become CompareProgress instead.
_HOST_EVENTS = (ev.ModelLoading, ev.ModelLoaded, ev.ModelUnloaded, ev.HostRestarted, ev.PlanMade)
# Errors after which a side's model cannot run any file: the rest of its files share the
# sentence instead of being tried one by one.
_SIDE_ENDING = {MemoryRefusedError: "refused", ModelMissingError: "failed"}


def comparable_choices() -> list[ModelChoice]:
    """Every installed transcription model (or one made on first use from an installed one),
    first at the precision the governor picks, then at each precision it offers."""
    choices = []
    for spec in transcription_models():
        status = sources.status(spec)
        if not (status.installed or "on first use" in status.where):
            continue
        choices.append(ModelChoice(spec.id))
        choices.extend(ModelChoice(spec.id, p) for p in spec.precisions)
    return choices


def new_comparison(a: ModelChoice, b: ModelChoice, files: list[str],
                   references: dict[str, str] | None = None) -> Comparison:
    """A comparison of a and b; UsageError for the same model twice or no files."""
    if a == b:
        raise UsageError(f"Models A and B are both {a.label}; pick two different models or "
                         "precisions.")
    if not files:
        raise UsageError("A comparison needs at least one audio file.")
    if len(set(files)) != len(files):
        raise UsageError("The same file is listed twice; list each file once.")
    return Comparison(a, b, list(files), dict(references or {}))


def resume_or_save(comparison: Comparison, library) -> tuple[Comparison, bool]:
    """The unfinished comparison of the same models and files in the library, with what it
    kept (True), or this one saved as new (False)."""
    found = library.unfinished_comparison(comparison.a.label, comparison.b.label,
                                          comparison.files)
    if found is not None:
        resumed = from_record(library.load_comparison(found))
        resumed.references = comparison.references or resumed.references
        return resumed, True
    comparison.id = library.begin_comparison(
        comparison.a.label, comparison.b.label, comparison.files, comparison.references,
        comparison.normalisation)
    return comparison, False


def from_record(record) -> Comparison:
    """A comparison as the library kept it (store.library.ComparisonRecord)."""
    known = {f.name for f in fields(FileRun)}
    comparison = Comparison(ModelChoice.parse(record.a), ModelChoice.parse(record.b),
                            list(record.files), dict(record.references), id=record.id,
                            normalisation=record.normalisation)
    for (side, index), result in record.results.items():
        if side in SIDES and 0 <= index < len(comparison.files):
            run = comparison.run_for(side, comparison.files[index])
            for name, value in result.items():
                if name in known and name not in ("side", "file"):
                    setattr(run, name, value)
    comparison.score()
    return comparison


def run_comparison(
    orchestrator: Orchestrator, comparison: Comparison,
    on_progress: ProgressCallback | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> Comparison:
    """Run every pending file through A, restart the host, then through B; each result is
    saved in the orchestrator's library as it finishes. TaskCancelledError when stopped
    (between files by `cancelled`, or within one by orchestrator.cancel()): what finished is
    kept, and the comparison resumes from there."""
    library = orchestrator.library
    durations = {f: _duration(f) for f in comparison.files}
    clock = _Clock(comparison, durations)
    previous = orchestrator.on_event
    status = "stopped"
    try:
        for side in SIDES:
            pending = [f for f in comparison.files
                       if comparison.run_for(side, f).status == "pending"]
            if not pending:
                continue
            pid = orchestrator.restart_host(
                f"comparing: a fresh model host for model {side.upper()}, "
                f"{comparison.choice(side).label}")
            idle_rss = psutil.Process(pid).memory_info().rss
            for file in pending:
                if cancelled():
                    raise TaskCancelledError("The comparison was stopped.")
                index = comparison.files.index(file)

                def report(fraction: float, side=side, file=file, index=index) -> None:
                    if on_progress is not None:
                        on_progress(CompareProgress(
                            side, comparison.choice(side).label, index, len(comparison.files),
                            file, fraction, clock.seconds_left(side, file, fraction)))

                def on_event(event: ev.Event, report=report) -> None:
                    if isinstance(event, ev.Progress) and event.stage == "transcribing":
                        report(event.fraction)
                    elif isinstance(event, _HOST_EVENTS):
                        previous(event)

                orchestrator.on_event = on_event
                report(0.0)
                run = comparison.run_for(side, file)
                ended = _run_one(orchestrator, comparison.choice(side), run, idle_rss)
                clock.finished(side, file)
                _keep(library, comparison, run)
                if ended:
                    for other in comparison.side_runs(side):
                        if other.status == "pending":
                            other.status, other.error = run.status, run.error
                            other.error_type = run.error_type
                            _keep(library, comparison, other)
                    break
        comparison.score()
        status = "complete"
    finally:
        orchestrator.on_event = previous
        if library is not None and comparison.id is not None:
            library.set_comparison_status(comparison.id, status)
    return comparison


def _run_one(orchestrator: Orchestrator, choice: ModelChoice, run: FileRun,
             idle_rss: int) -> bool:
    """One model on one file, written into run; True when the model cannot run at all."""
    task = TranscribeTask(run.file, model_id=choice.model_id, precision=choice.precision,
                          allow_fallback=False)
    try:
        transcript = orchestrator.run(task)
    except TaskCancelledError:
        raise
    except GrymError as exc:
        run.error, run.error_type = str(exc), type(exc).__name__
        ending = next((s for cls, s in _SIDE_ENDING.items() if isinstance(exc, cls)), None)
        run.status = ending or "failed"
        return ending is not None
    metrics = transcript.metrics
    run.status = "done"
    run.text = " ".join(s.text.strip() for s in transcript.segments if s.text.strip())
    run.transcript_id = transcript.library_id
    run.precision = transcript.precision
    run.duration = transcript.duration
    run.rtf = metrics.rtf
    run.load_seconds = metrics.load_seconds
    run.transcribe_seconds = metrics.transcribe_seconds
    run.peak_rss_bytes = metrics.peak_rss_bytes or None
    run.estimate_bytes = metrics.estimate_bytes or None
    if metrics.peak_rss_bytes:
        run.measured_bytes = max(0, metrics.peak_rss_bytes - idle_rss)
    return False


def _keep(library, comparison: Comparison, run: FileRun) -> None:
    if library is not None and comparison.id is not None:
        library.save_comparison_run(comparison.id, run.side, comparison.files.index(run.file),
                                    asdict(run))


def _duration(file: str) -> float:
    try:
        return probe(file).duration
    except GrymError:
        return 0.0


class _Clock:
    """Time left: each side's seconds of work per second of audio so far (A's rate stands in
    for B's until B has finished a file)."""

    def __init__(self, comparison: Comparison, durations: dict[str, float]):
        self.comparison, self.durations = comparison, durations
        self.started = {side: None for side in SIDES}
        self.work = {side: 0.0 for side in SIDES}
        self.audio = {side: 0.0 for side in SIDES}
        self._file_started = time.monotonic()

    def finished(self, side: str, file: str) -> None:
        now = time.monotonic()
        self.work[side] += now - self._file_started
        self.audio[side] += self.durations.get(file, 0.0)
        self._file_started = now

    def seconds_left(self, side: str, file: str, fraction: float) -> float | None:
        rates = {s: self.work[s] / self.audio[s] for s in SIDES if self.audio[s] > 0}
        rate = rates.get(side) or next(iter(rates.values()), None)
        if rate is None:
            return None
        left = 0.0
        for s in SIDES:
            for f in self.comparison.files:
                run = self.comparison.run_for(s, f)
                if run.status != "pending":
                    continue
                audio = self.durations.get(f, 0.0)
                if s == side and f == file:
                    audio *= 1.0 - fraction
                left += audio * rates.get(s, rate)
        return left


CSV_COLUMNS = ("file", "side", "model", "status", "precision", "duration", "wer", "wer_vs_a",
               "rtf", "load_seconds", "transcribe_seconds", "peak_rss_bytes", "estimate_bytes",
               "measured_bytes", "winner", "error")


def comparison_json(comparison: Comparison) -> str:
    """The whole comparison as JSON: per file and model, per model, and the paired summary."""
    return json.dumps(comparison.to_dict(), ensure_ascii=False, indent=2)


def comparison_csv(comparison: Comparison) -> str:
    """One row per file and model, CSV_COLUMNS wide."""
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for file in comparison.files:
        for side in SIDES:
            row = asdict(comparison.run_for(side, file))
            row.update(model=comparison.choice(side).label, winner=comparison.winner(file))
            writer.writerow(row)
    return out.getvalue()
