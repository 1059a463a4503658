"""The sequential orchestrator: a queue of tasks run one after another on one model host.

It plans each task (model, precision), asks the memory guard before any load,
keeps one model loaded at a time, has the watchdog kill a host above the limit,
writes every segment to the library as it arrives and reports events.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from grym_desktop.audio.decode import probe
from grym_desktop.errors import (
    GrymError,
    HostDiedError,
    MemoryLimitExceededError,
    TaskCancelledError,
)
from grym_desktop.host.client import HostClient
from grym_desktop.memory.estimate import Estimate, estimate_ctranslate2
from grym_desktop.memory.guard import check_load
from grym_desktop.memory.limits import format_size
from grym_desktop.memory.state import MemoryState, read_state
from grym_desktop.memory.watchdog import Watchdog
from grym_desktop.models.catalog import DEFAULT_MODEL, ModelSpec, get_spec, model_dir
from grym_desktop.orchestrator import events as ev
from grym_desktop.store.library import Library
from grym_desktop.transcript import Metrics, Segment, Transcript

# What an idle model host process holds (interpreter, numpy, psutil), measured on Linux.
HOST_BASELINE_BYTES = 40 * 1024**2

_task_ids = itertools.count(1)


@dataclass
class TranscribeTask:
    path: str
    model_id: str = DEFAULT_MODEL
    language: str | None = None
    task: str = "transcribe"
    precision: str | None = None
    options: dict = field(default_factory=dict)
    id: int = field(default_factory=lambda: next(_task_ids))


def choose_precision(spec: ModelSpec, state: MemoryState, requested: str | None) -> str:
    """Full precision while memory is plentiful, the smallest the model has from 50 % on."""
    if requested:
        if requested not in spec.precisions:
            raise GrymError(
                f"The model {spec.id} cannot run in {requested}; it offers "
                f"{', '.join(spec.precisions)}."
            )
        return requested
    if state.level == "normal" or len(spec.precisions) == 1:
        return spec.precisions[0]
    return spec.precisions[-1]


def estimate_for(spec: ModelSpec, precision: str) -> Estimate:
    return estimate_ctranslate2(
        spec.id, model_dir(spec), precision, spec.working_bytes.get(precision, 0)
    )


class Orchestrator:
    """Runs transcription tasks one at a time in a model host under the memory limit."""

    def __init__(
        self,
        limit_bytes: int,
        library: Library | None = None,
        on_event: Callable[[ev.Event], None] | None = None,
    ):
        self.limit_bytes = limit_bytes
        self.library = library
        self.on_event = on_event or (lambda _event: None)
        self.host = HostClient()
        self.watchdog = Watchdog(limit_bytes)
        self._queue: deque[TranscribeTask] = deque()
        self._lock = threading.Lock()
        self._loaded: tuple[str, str] | None = None
        self._loaded_host_start = 0
        self._cancelled = False
        self._running: TranscribeTask | None = None

    # -- queue -----------------------------------------------------------------------------

    def submit(self, task: TranscribeTask) -> int:
        with self._lock:
            self._queue.append(task)
        return task.id

    def remove(self, task_id: int) -> bool:
        with self._lock:
            for task in self._queue:
                if task.id == task_id:
                    self._queue.remove(task)
                    return True
        return False

    def pending(self) -> list[TranscribeTask]:
        with self._lock:
            return list(self._queue)

    def run_next(self) -> Transcript | None:
        """Run the oldest queued task; None when the queue is empty or the task failed."""
        with self._lock:
            if not self._queue:
                return None
            task = self._queue.popleft()
        try:
            return self.run(task)
        except GrymError:
            return None

    def cancel(self) -> None:
        """Stop the running task now; safe to call from any thread."""
        if self._running is not None:
            self._cancelled = True
            self.host.kill()

    # -- state -----------------------------------------------------------------------------

    @property
    def host_pid(self) -> int | None:
        return self.host.pid

    @property
    def loaded_model(self) -> tuple[str, str] | None:
        if self._loaded and self.host.alive and self.host.starts == self._loaded_host_start:
            return self._loaded
        return None

    def memory_state(self) -> MemoryState:
        """The memory state now; a host not yet started counts with its usual baseline."""
        if self.host.alive:
            return read_state(self.limit_bytes, host_pid=self.host.pid)
        return read_state(self.limit_bytes, host_rss=HOST_BASELINE_BYTES)

    def close(self) -> None:
        self.watchdog.stop()
        self.host.shutdown()

    # -- running a task --------------------------------------------------------------------

    def run(self, task: TranscribeTask) -> Transcript:
        """Transcribe one file; raises the typed error after reporting TaskFailed."""
        self._running, self._cancelled = task, False
        self.on_event(ev.TaskStarted(task.id, task.path))
        record_id = None
        try:
            info = probe(task.path)
            spec = get_spec(task.model_id)
            precision, estimate, load_seconds = self._ensure_model(spec, task.precision)
            if self.library is not None:
                record_id = self.library.begin_transcript(
                    task.path, spec.id, spec.engine, precision, info.duration
                )
            transcript = Transcript(
                file=task.path, model=spec.id, engine=spec.engine, precision=precision,
                language=task.language, duration=info.duration,
            )
            self.watchdog.reset_peak()
            started = time.perf_counter()
            result = self._transcribe(task, transcript, record_id)
            elapsed = time.perf_counter() - started
            transcript.language = result.get("language") or task.language
            transcript.metrics = Metrics(
                load_seconds=round(load_seconds, 3),
                transcribe_seconds=round(elapsed, 3),
                rtf=round(elapsed / info.duration, 4) if info.duration else 0.0,
                peak_rss_bytes=self.watchdog.peak_rss,
                estimate_bytes=estimate.total_bytes,
            )
            if self.library is not None:
                self.library.finish_transcript(record_id, transcript)
        except GrymError as exc:
            error = self._explain(exc)
            if self.library is not None and record_id is not None:
                status = "cancelled" if isinstance(error, TaskCancelledError) else "failed"
                self.library.fail_transcript(record_id, str(error), status=status)
            self.on_event(ev.TaskFailed(task.id, task.path, str(error), type(error).__name__))
            if error is exc:
                raise
            raise error from exc
        finally:
            self._running = None
        self.on_event(ev.TaskFinished(task.id, transcript))
        return transcript

    def _explain(self, exc: GrymError) -> GrymError:
        """Turn a dead host into what killed it: the user, or the watchdog."""
        if not isinstance(exc, HostDiedError):
            return exc
        if self._cancelled:
            return TaskCancelledError("Cancelled; the model host was stopped.")
        killed = self.watchdog.killed
        if killed is not None:
            _pid, rss = killed
            return MemoryLimitExceededError(
                f"The model host reached {format_size(rss)}, above the "
                f"{format_size(self.watchdog.limit)} limit, and was stopped."
            )
        return exc

    def _ensure_model(self, spec: ModelSpec, requested: str | None) -> tuple[str, Estimate, float]:
        """Load spec in the host unless already loaded; refuse before any byte is read."""
        state = self.memory_state()
        precision = choose_precision(spec, state, requested)
        estimate = estimate_for(spec, precision)
        if self.loaded_model == (spec.id, precision):
            return precision, estimate, 0.0
        if self.loaded_model is not None:
            unloaded = self.loaded_model[0]
            self.host.call("unload", timeout=60)
            self._loaded = None
            self.on_event(ev.ModelUnloaded(unloaded))
            state = self.memory_state()
        alternatives = [estimate_for(spec, p) for p in spec.precisions if p != precision]
        check_load(estimate, state, alternatives)
        restarted = self.host.alive is False and self.host.starts > 0
        pid = self.host.ensure_started()
        if restarted:
            self.on_event(ev.HostRestarted(pid))
        self.watchdog.watch(pid)
        self.on_event(ev.ModelLoading(spec.id, precision, estimate.total_bytes))
        result = self.host.call(
            "load",
            {"engine": spec.engine, "model_id": spec.id, "model_dir": str(model_dir(spec)),
             "precision": precision},
            timeout=300,
        )
        self._loaded, self._loaded_host_start = (spec.id, precision), self.host.starts
        measured = result["rss_after"] - result["rss_before"]
        self.on_event(ev.ModelLoaded(spec.id, precision, result["seconds"], measured))
        return precision, estimate, result["seconds"]

    def _transcribe(self, task: TranscribeTask, transcript: Transcript, record_id: int | None):
        def on_event(message: dict) -> None:
            if message["kind"] == "segment":
                segment = Segment.from_dict(message["segment"])
                transcript.segments.append(segment)
                if self.library is not None:
                    self.library.add_segment(record_id, segment)
                self.on_event(ev.SegmentAdded(task.id, segment))
            elif message["kind"] == "progress":
                self.on_event(ev.Progress(task.id, message["fraction"]))

        options = {"language": task.language, "task": task.task, **task.options}
        try:
            return self.host.call("transcribe", {"path": str(Path(task.path)),
                                                 "options": options},
                                  on_event=on_event, timeout=600)
        except HostDiedError:
            transcript.complete = False
            self._loaded = None
            raise
