"""The sequential orchestrator: a queue of tasks run one after another on one model host.

It plans each task (model, precision, window, batch size) from the memory state,
asks the guard before any load, keeps one model loaded at a time with a forced
cleanup between models, has the watchdog kill a host above the limit, falls back
along the capability's chain when a model cannot run, writes every segment to the
library as it arrives and reports events.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from grym_desktop.audio.decode import AudioInfo, probe
from grym_desktop.errors import (
    GrymError,
    HostDiedError,
    HostTimeoutError,
    MemoryLimitExceededError,
    MemoryRefusedError,
    ModelMissingError,
    TaskCancelledError,
)
from grym_desktop.host.client import HostClient
from grym_desktop.memory.guard import check_load
from grym_desktop.memory.limits import format_size
from grym_desktop.memory.state import MemoryState, read_state
from grym_desktop.memory.watchdog import Watchdog
from grym_desktop.models.catalog import DEFAULT_MODEL, ModelSpec, get_spec, model_dir
from grym_desktop.models.footprint import estimate_for
from grym_desktop.orchestrator import events as ev
from grym_desktop.orchestrator.planning import Plan, plan
from grym_desktop.settings import Settings, fallback_chain, load_settings
from grym_desktop.store.library import Library
from grym_desktop.transcript import Fallback, Metrics, Segment, Transcript

# What an idle model host process holds (interpreter, numpy, psutil), measured on Linux.
HOST_BASELINE_BYTES = 40 * 1024**2
# Memory an unload may leave behind before the host is restarted instead.
RETAINED_LIMIT_BYTES = 50 * 1024**2
# Failures after which the next model of the chain is tried.
FALLBACK_TRIGGERS = (
    MemoryRefusedError, ModelMissingError, MemoryLimitExceededError, HostDiedError,
    HostTimeoutError,
)

_task_ids = itertools.count(1)


@dataclass
class TranscribeTask:
    path: str
    model_id: str = DEFAULT_MODEL
    language: str | None = None
    task: str = "transcribe"
    precision: str | None = None
    options: dict = field(default_factory=dict)
    # The user confirmed loading a model the guard refused (the watchdog still applies).
    override_memory: bool = False
    # Try the capability's fallback chain when the model cannot run.
    allow_fallback: bool = True
    id: int = field(default_factory=lambda: next(_task_ids))


class Orchestrator:
    """Runs transcription tasks one at a time in a model host under the memory limit."""

    def __init__(
        self,
        limit_bytes: int,
        library: Library | None = None,
        on_event: Callable[[ev.Event], None] | None = None,
        settings: Settings | None = None,
    ):
        self.limit_bytes = limit_bytes
        self.library = library
        self.on_event = on_event or (lambda _event: None)
        self.settings = settings or load_settings()
        self.host = HostClient()
        self.watchdog = Watchdog(limit_bytes)
        self._queue: deque[TranscribeTask] = deque()
        self._lock = threading.Lock()
        self._loaded: tuple[str, str] | None = None
        self._loaded_engine: str | None = None
        self._loaded_host_start = 0
        self._idle_baseline: int | None = None
        self._broken: dict[str, str] = {}
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

    def _check_cancelled(self) -> None:
        if self._cancelled:
            raise TaskCancelledError("Cancelled.")

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

    def set_limit(self, limit_bytes: int) -> None:
        self.limit_bytes = limit_bytes
        self.watchdog.set_limit(limit_bytes)

    def close(self) -> None:
        self.watchdog.stop()
        self.host.shutdown()

    # -- running a task --------------------------------------------------------------------

    def run(self, task: TranscribeTask) -> Transcript:
        """Transcribe one file, falling back along the chain; raises after reporting TaskFailed."""
        self._running, self._cancelled = task, False
        self.on_event(ev.TaskStarted(task.id, task.path))
        try:
            info = probe(task.path)
            get_spec(task.model_id)
            chain = [task.model_id]
            if task.allow_fallback:
                chain = fallback_chain("transcribe", task.model_id, self.settings)
            transcript = self._run_chain(task, info, chain)
        except GrymError as exc:
            self.on_event(ev.TaskFailed(task.id, task.path, str(exc), type(exc).__name__))
            raise
        finally:
            self._running = None
        self.on_event(ev.TaskFinished(task.id, transcript))
        return transcript

    def _run_chain(self, task: TranscribeTask, info: AudioInfo, chain: list[str]) -> Transcript:
        fallback: Fallback | None = None
        for index, model_id in enumerate(chain):
            is_last = index == len(chain) - 1
            try:
                if model_id in self._broken and not is_last:
                    raise ModelMissingError(self._broken[model_id])
                return self._attempt(task, info, model_id, fallback)
            except FALLBACK_TRIGGERS as exc:
                error = self._explain(exc)
                if isinstance(error, ModelMissingError):
                    self._broken[model_id] = str(error)
                if self._cancelled or is_last:
                    if error is exc:
                        raise
                    raise error from exc
                fallback = Fallback(task.model_id, chain[index + 1], str(error))
                self.on_event(ev.FallbackUsed(task.id, Fallback(model_id, chain[index + 1],
                                                                str(error))))
        raise AssertionError("unreachable: the chain is never empty")

    def _attempt(
        self, task: TranscribeTask, info: AudioInfo, model_id: str, fallback: Fallback | None
    ) -> Transcript:
        """One try of one model: plan, load, decode, save."""
        spec = get_spec(model_id)
        self._check_cancelled()
        the_plan, load_seconds = self._ensure_model(task, spec)
        self._check_cancelled()
        record_id = None
        transcript = Transcript(
            file=task.path, model=spec.id, engine=spec.engine, precision=the_plan.precision,
            language=task.language, duration=info.duration, fallback=fallback,
        )
        try:
            if self.library is not None:
                record_id = self.library.begin_transcript(
                    task.path, spec.id, spec.engine, the_plan.precision, info.duration
                )
            self.watchdog.reset_peak()
            started = time.perf_counter()
            result = self._transcribe(task, the_plan, transcript, record_id)
        except GrymError as exc:
            if record_id is not None:
                error = self._explain(exc)
                status = "cancelled" if isinstance(error, TaskCancelledError) else "failed"
                self.library.fail_transcript(record_id, str(error), status=status)
            raise
        elapsed = time.perf_counter() - started
        transcript.language = result.get("language") or task.language
        transcript.duration = result.get("duration", transcript.duration)
        transcript.complete = bool(result.get("complete", True))
        transcript.warnings = list(result.get("warnings", []))
        transcript.metrics = Metrics(
            load_seconds=round(load_seconds, 3),
            transcribe_seconds=round(elapsed, 3),
            rtf=round(elapsed / info.duration, 4) if info.duration else 0.0,
            peak_rss_bytes=self.watchdog.peak_rss,
            estimate_bytes=the_plan.estimate.total_bytes,
            batch_size=the_plan.batch_size,
            window_seconds=the_plan.window_seconds,
        )
        if self.library is not None:
            self.library.finish_transcript(record_id, transcript)
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

    def _ensure_model(self, task: TranscribeTask, spec: ModelSpec) -> tuple[Plan, float]:
        """Plan the task and load its model unless loaded; refuse before any byte is read."""
        estimates = {p: estimate_for(spec, p) for p in spec.precisions}
        if task.precision is not None and task.precision not in estimates:
            raise GrymError(f"The model {spec.id} cannot run in {task.precision}; it offers "
                            f"{', '.join(spec.precisions)}.")
        state = self._state_without_model()
        if state.level == "critical":
            self._collect()
            state = self._state_without_model()
        the_plan = plan(estimates, state, task.precision)
        self.on_event(ev.PlanMade(task.id, spec.id, the_plan.precision, the_plan.window_seconds,
                                  the_plan.batch_size, the_plan.reasons, the_plan.warning))
        if self.loaded_model == (spec.id, the_plan.precision):
            return the_plan, 0.0
        self._unload(spec)
        if not task.override_memory:
            others = [e for p, e in estimates.items() if p != the_plan.precision]
            check_load(the_plan.estimate, self._state_without_model(), others)
        restarted = not self.host.alive and self.host.starts > 0
        pid = self.host.ensure_started()
        if restarted:
            self.on_event(ev.HostRestarted(pid, "the previous model host had stopped"))
        self.watchdog.watch(pid)
        self.on_event(ev.ModelLoading(spec.id, the_plan.precision, the_plan.estimate.total_bytes))
        result = self.host.call(
            "load",
            {"engine": spec.engine, "model_id": spec.id, "model_dir": str(model_dir(spec)),
             "precision": the_plan.precision},
            timeout=300,
        )
        self._loaded, self._loaded_engine = (spec.id, the_plan.precision), spec.engine
        self._loaded_host_start = self.host.starts
        measured = result["rss_after"] - result["rss_before"]
        self.on_event(ev.ModelLoaded(spec.id, the_plan.precision, result["seconds"], measured))
        return the_plan, result["seconds"]

    def _state_without_model(self) -> MemoryState:
        """The state the new model will meet: the loaded one is unloaded first."""
        if self.loaded_model is None:
            return self.memory_state()
        return read_state(self.limit_bytes, host_rss=self._idle_baseline or HOST_BASELINE_BYTES)

    def _unload(self, next_spec: ModelSpec) -> None:
        """Forced cleanup between models: unload, collect, restart the host if memory stayed."""
        loaded = self.loaded_model
        if loaded is None:
            return
        if self._loaded_engine != next_spec.engine:
            self._restart_host(f"switching from the {self._loaded_engine} engine to "
                               f"{next_spec.engine}")
            self.on_event(ev.ModelUnloaded(loaded[0]))
            return
        result = self.host.call("unload", timeout=60)
        self._loaded = None
        self.on_event(ev.ModelUnloaded(loaded[0], result["rss_before"], result["rss_after"]))
        if self._idle_baseline is None:
            self._idle_baseline = result["rss_after"]
        elif result["rss_after"] - self._idle_baseline > RETAINED_LIMIT_BYTES:
            retained = result["rss_after"] - self._idle_baseline
            self._restart_host(f"{format_size(retained)} stayed in the model host after unloading")

    def _collect(self) -> None:
        """At critical pressure: unload and collect in the host."""
        if self.host.alive:
            self.host.call("unload", timeout=60)
            if self._loaded is not None:
                self.on_event(ev.ModelUnloaded(self._loaded[0]))
            self._loaded = None

    def _restart_host(self, reason: str) -> None:
        self.host.shutdown()
        self._loaded, self._idle_baseline = None, None
        pid = self.host.start()
        self.watchdog.watch(pid)
        self.on_event(ev.HostRestarted(pid, reason))

    def _transcribe(
        self, task: TranscribeTask, the_plan: Plan, transcript: Transcript, record_id: int | None
    ) -> dict:
        def on_event(message: dict) -> None:
            if message["kind"] == "segment":
                segment = Segment.from_dict(message["segment"])
                transcript.segments.append(segment)
                if self.library is not None:
                    self.library.add_segment(record_id, segment)
                self.on_event(ev.SegmentAdded(task.id, segment))
            elif message["kind"] == "progress":
                self.on_event(ev.Progress(task.id, message["fraction"]))

        options = {"language": task.language, "task": task.task,
                   "batch_size": the_plan.batch_size, **task.options}
        try:
            result = self.host.call(
                "transcribe",
                {"path": str(Path(task.path)), "options": options,
                 "window_seconds": the_plan.window_seconds},
                on_event=on_event, timeout=600,
            )
        except HostDiedError:
            transcript.complete = False
            self._loaded = None
            raise
        # Speech decoded a second time arrives after the rest; the transcript reads in time order.
        transcript.segments.sort(key=lambda s: s.start)
        return result
