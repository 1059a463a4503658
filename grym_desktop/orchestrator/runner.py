"""The orchestrator: the one owner of the model host, and a queue of files run one by one.

Everything that needs a model goes through its public API: `ensure_model` (plan from
the memory state, refuse before any byte is read, one model loaded at a time with a
forced cleanup between models), `call` (an operation on the loaded model, under the
watchdog), `explain` (a dead host as the one sentence that says why) and `unload`.
On top of it, `run` transcribes a file, falling back along the capability's chain
when a model cannot run, writing every segment to the library as it arrives.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from grym_desktop.audio.decode import AudioInfo, probe
from grym_desktop.errors import (
    GrymError,
    HostDiedError,
    HostTimeoutError,
    MemoryLimitExceededError,
    MemoryRefusedError,
    ModelMissingError,
    ProtocolError,
    TaskCancelledError,
    UsageError,
)
from grym_desktop.features.store import FeatureStore
from grym_desktop.host import protocol
from grym_desktop.host.client import HostClient
from grym_desktop.memory.guard import check_load
from grym_desktop.memory.limits import format_size, format_sizes
from grym_desktop.memory.state import HOST_BASELINE_BYTES, MemoryState, read_state
from grym_desktop.memory.watchdog import Watchdog
from grym_desktop.models import integrity
from grym_desktop.models.catalog import CLAP_MODEL, DEFAULT_MODEL, ModelSpec, get_spec
from grym_desktop.models.footprint import estimate_for
from grym_desktop.models.runtimes import check_runtime
from grym_desktop.options import DecodeOptions
from grym_desktop.orchestrator import events as ev
from grym_desktop.orchestrator import speakers
from grym_desktop.orchestrator.planning import Plan, plan
from grym_desktop.settings import Settings, fallback_chain, load_settings
from grym_desktop.store.library import Library
from grym_desktop.transcript import Fallback, Metrics, Segment, Transcript

log = logging.getLogger(__name__)

# Memory an unload may leave behind before the host is restarted instead.
RETAINED_LIMIT_BYTES = 50 * 1024**2
# Failures after which the next model of the chain is tried.
FALLBACK_TRIGGERS = (
    MemoryRefusedError, ModelMissingError, MemoryLimitExceededError, HostDiedError,
    HostTimeoutError,
)

_task_ids = itertools.count(1)


# Seconds an operation may take in all (None: no limit; a hung host is found by its silence).
CALL_TIMEOUT: float | None = None


@dataclass
class TranscribeTask:
    path: str
    model_id: str = DEFAULT_MODEL
    precision: str | None = None
    options: DecodeOptions = field(default_factory=DecodeOptions)
    # The user confirmed loading a model the guard refused (the watchdog still applies).
    override_memory: bool = False
    # Try the capability's fallback chain when the model cannot run.
    allow_fallback: bool = True
    # Who spoke when, found after transcription in the same task (None: not asked).
    speakers: speakers.SpeakerCount | None = None
    id: int = field(default_factory=lambda: next(_task_ids))


@dataclass
class LoadedModel:
    """The model ensure_model made ready, the plan it runs under and what loading it took."""

    spec: ModelSpec
    plan: Plan
    load_seconds: float = 0.0  # 0 when it was loaded already
    rss_before: int | None = None  # the host's RSS around the load, when there was one
    rss_after: int | None = None


@dataclass
class Embedding:
    """A vector that stands for a stretch of audio, tagged with the model that made it."""

    model: str
    vector: np.ndarray

    @property
    def dimension(self) -> int:
        return len(self.vector)


@dataclass
class Embeddings:
    """Vectors for several spans of audio (or texts), one row each, tagged with their model."""

    model_id: str
    vectors: np.ndarray  # (n, dim) float32

    @property
    def dimension(self) -> int:
        return int(self.vectors.shape[1])


class Orchestrator:
    """The one owner of the model host: loads models under the memory limit, runs operations
    on them, and runs transcription tasks one at a time."""

    def __init__(
        self,
        limit_bytes: int,
        library: Library | None = None,
        on_event: Callable[[ev.Event], None] | None = None,
        settings: Settings | None = None,
        cpu_threads: int = 0,
    ):
        self.limit_bytes = limit_bytes
        self.cpu_threads = cpu_threads  # for the engine's own threads; 0: the engine's default
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
        self._features: FeatureStore | None = None
        self.asking = False  # an answer is being generated in the host (orchestrator/ask.py)
        self.stop_asked = False  # and the user asked to stop it

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

    def run_next(self) -> Transcript | GrymError | None:
        """Run the oldest queued task: its transcript, or the error it ended with (already
        reported as TaskFailed); None when the queue is empty."""
        with self._lock:
            if not self._queue:
                return None
            task = self._queue.popleft()
        try:
            return self.run(task)
        except GrymError as exc:
            return exc

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
        """Stop the host and the watchdog, and close the library."""
        self.watchdog.stop()
        self.host.shutdown()
        if self.library is not None:
            self.library.close()
        if self._features is not None:
            self._features.close()

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
                error = self.explain(exc)
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
        loaded = self.ensure_model(spec.id, task.precision,
                                   override_memory=task.override_memory, task_id=task.id)
        the_plan = loaded.plan
        self._check_cancelled()
        record_id = None
        transcript = Transcript(
            file=task.path, model=spec.id, engine=spec.engine, precision=the_plan.precision,
            language=task.options.language, duration=info.duration, fallback=fallback,
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
                error = self.explain(exc)
                status = "cancelled" if isinstance(error, TaskCancelledError) else "failed"
                self.library.fail_transcript(record_id, str(error), status=status)
            raise
        elapsed = time.perf_counter() - started
        transcript.language = result.get("language") or task.options.language
        transcript.duration = result.get("duration", transcript.duration)
        transcript.complete = bool(result.get("complete", True))
        transcript.warnings = list(result.get("warnings", []))
        transcript.metrics = Metrics(
            load_seconds=round(loaded.load_seconds, 3),
            transcribe_seconds=round(elapsed, 3),
            rtf=round(elapsed / info.duration, 4) if info.duration else 0.0,
            peak_rss_bytes=self.watchdog.peak_rss,
            estimate_bytes=the_plan.estimate.total_bytes,
            batch_size=the_plan.batch_size,
            window_seconds=the_plan.window_seconds,
        )
        diarization = None
        if task.speakers is not None and transcript.segments:
            transcript, diarization = self._find_speakers(task, transcript)
        if self.library is not None:
            self.library.finish_transcript(record_id, transcript)
            transcript.library_id = record_id
            if diarization is not None:
                self._keep_speaker_prints(record_id, diarization)
        return transcript

    def _find_speakers(self, task: TranscribeTask, transcript: Transcript):
        """Who spoke when, in the same task: the governor swaps the speech model for the
        speaker encoder. A failure here costs the speakers, never the transcript."""
        try:
            self.ensure_model(speakers.SPEAKER_MODEL, task_id=task.id)
            return speakers.find_speakers(
                self, transcript, task.speakers, self.feature_store(),
                on_progress=lambda f: self.on_event(ev.Progress(task.id, f, "finding speakers")),
                cancelled=lambda: self._cancelled)
        except GrymError as exc:
            error = self.explain(exc)
            if isinstance(error, TaskCancelledError):
                raise error from exc
            transcript.warnings.append(f"The speakers were not found: {error}")
            return transcript, None

    def _keep_speaker_prints(self, record_id: int, diarization) -> None:
        try:
            self.feature_store().save_speaker_prints(
                record_id, diarization.model_id, diarization.names, diarization.centroids,
                diarization.seconds)
        except GrymError as exc:  # the transcript is saved; naming its voices waits
            log.warning("speaker voiceprints of transcript %s not kept: %s", record_id, exc)

    def feature_store(self) -> FeatureStore:
        """The feature memory (and voice library), opened on first use."""
        if self._features is None:
            self._features = FeatureStore()
        return self._features

    # -- the public API: everything that needs a model goes through these ---------------

    def explain(self, exc: GrymError) -> GrymError:
        """A dead host as what killed it (the user or the watchdog); other errors as they are."""
        if not isinstance(exc, HostDiedError):
            return exc
        if self._cancelled:
            return TaskCancelledError("Cancelled; the model host was stopped.")
        killed = self.watchdog.killed
        if killed is not None:
            _pid, app_rss, host_rss = killed
            reached, limit = format_sizes(app_rss, self.watchdog.limit)
            return MemoryLimitExceededError(
                f"The app reached {reached} (the model host {format_size(host_rss)} of it), "
                f"above the {limit} limit, and the model host was stopped."
            )
        return exc

    def ensure_model(
        self, model_id: str, precision: str | None = None, *, override_memory: bool = False,
        task_id: int = 0,
    ) -> LoadedModel:
        """Plan for the model and load it unless it is loaded; refuse before any byte is read.

        Another loaded model is unloaded first (forced cleanup). override_memory is the
        user's "load anyway" after a refusal; the watchdog still applies.
        """
        spec = get_spec(model_id)
        check_runtime(spec)
        estimates = {p: estimate_for(spec, p) for p in spec.precisions}
        if precision is not None and precision not in estimates:
            raise UsageError(f"The model {spec.id} cannot run in {precision}; it offers "
                             f"{', '.join(spec.precisions)}.")
        state = self._state_without_model()
        if state.level == "critical":
            self._collect()
            state = self._state_without_model()
        the_plan = plan(estimates, state, precision)
        self.on_event(ev.PlanMade(task_id, spec.id, the_plan.precision, the_plan.window_seconds,
                                  the_plan.batch_size, the_plan.reasons, the_plan.warning))
        if self.loaded_model == (spec.id, the_plan.precision):
            return LoadedModel(spec, the_plan)
        self._unload(spec)
        if not override_memory:
            others = [e for p, e in estimates.items() if p != the_plan.precision]
            check_load(the_plan.estimate, self._state_without_model(), others)
        restarted = not self.host.alive and self.host.starts > 0
        pid = self.host.ensure_started()
        if restarted:
            self.on_event(ev.HostRestarted(pid, "the previous model host had stopped"))
        self.watchdog.watch(pid)
        model_dir = integrity.checked_folder(spec)
        self.on_event(ev.ModelLoading(spec.id, the_plan.precision, the_plan.estimate.total_bytes))
        result = self.call(
            "load",
            {"engine": spec.engine, "model_id": spec.id, "model_dir": str(model_dir),
             "precision": the_plan.precision,
             "options": {"cpu_threads": self.cpu_threads} if self.cpu_threads else {}},
            timeout=300,
        )
        self._loaded, self._loaded_engine = (spec.id, the_plan.precision), spec.engine
        self._loaded_host_start = self.host.starts
        measured = result["rss_after"] - result["rss_before"]
        self.on_event(ev.ModelLoaded(spec.id, the_plan.precision, result["seconds"], measured))
        return LoadedModel(spec, the_plan, result["seconds"], result["rss_before"],
                           result["rss_after"])

    def start_host(self) -> int:
        """Start the model host now, under the watchdog (it otherwise starts with the first
        load); its pid."""
        pid = self.host.ensure_started()
        self.watchdog.watch(pid)
        return pid

    def call(
        self, op: str, args: dict[str, Any], on_event: Callable[[dict], None] | None = None,
        timeout: float | None = CALL_TIMEOUT,
    ) -> dict[str, Any]:
        """Run one host operation on the loaded model; a host that died raises what killed it."""
        pid = self.host.ensure_started()
        if self.watchdog.watched_pid != pid:  # a host that died is replaced, never unwatched
            self.watchdog.watch(pid)
        try:
            return self.host.call(op, args, on_event=on_event, timeout=timeout)
        except (ProtocolError, HostTimeoutError):  # the client stopped a broken or hung host
            self._loaded = None
            raise
        except HostDiedError as exc:
            self._loaded = None
            error = self.explain(exc)
            if error is exc:
                raise
            raise error from exc

    def unload(self) -> dict[str, Any] | None:
        """Unload the model and collect in the host; the host's RSS before and after, if any."""
        loaded = self.loaded_model
        if loaded is None:
            return None
        result = self.call("unload", {}, timeout=60)
        self._loaded = None
        self.on_event(ev.ModelUnloaded(loaded[0], result["rss_before"], result["rss_after"]))
        return result

    def embed(self, samples: np.ndarray, model_id: str = DEFAULT_MODEL) -> Embedding:
        """One vector for up to 30 s of 16 kHz mono audio from the model's audio encoder."""
        samples = protocol.check_samples(samples)
        embeddings = self.embed_spans(samples, [(0.0, len(samples) / protocol.SAMPLE_RATE)],
                                      model_id)
        return Embedding(embeddings.model_id, embeddings.vectors[0])

    def embed_spans(
        self, samples: np.ndarray, spans: list[tuple[float, float]],
        model_id: str = DEFAULT_MODEL,
    ) -> Embeddings:
        """One vector per (start, end) seconds span of up to 30 s of 16 kHz mono audio.

        Whisper encodes the audio once and averages each span's encoder frames; CLAP runs
        each span through its audio tower (in batches). InputError for audio or spans it
        cannot take, before any model is loaded.
        """
        samples = protocol.check_samples(samples)
        checked = protocol.check_spans(spans, len(samples))
        loaded = self.ensure_model(model_id)
        result = self.call("embed", {"samples": samples, "spans": checked})
        vectors = protocol.check_vectors(result.get("vectors"), len(checked), loaded.spec.id)
        return Embeddings(loaded.spec.id, vectors)

    def embed_text(self, texts: list[str], model_id: str = CLAP_MODEL) -> Embeddings:
        """Vectors for texts in a CLAP model's shared audio-text space, comparable with its
        embed_spans vectors; other models are refused in one sentence naming CLAP."""
        texts = protocol.check_texts(texts)
        spec = get_spec(model_id)
        if "embed_text" not in spec.capabilities:
            raise GrymError(
                f"The model {spec.id} cannot embed text; text queries need a CLAP model such "
                f"as {CLAP_MODEL} (its hub copy holds pickle weights only: add a safetensors "
                "copy with `grym-desktop models add FOLDER`).")
        loaded = self.ensure_model(spec.id)
        result = self.call("embed_text", {"texts": texts})
        vectors = protocol.check_vectors(result.get("vectors"), len(texts), loaded.spec.id)
        return Embeddings(loaded.spec.id, vectors)

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
            self.restart_host(f"switching from the {self._loaded_engine} engine to "
                               f"{next_spec.engine}")
            self.on_event(ev.ModelUnloaded(loaded[0]))
            return
        result = self.unload()
        if self._idle_baseline is None:
            self._idle_baseline = result["rss_after"]
        elif result["rss_after"] - self._idle_baseline > RETAINED_LIMIT_BYTES:
            retained = result["rss_after"] - self._idle_baseline
            self.restart_host(f"{format_size(retained)} stayed in the model host after unloading")

    def _collect(self) -> None:
        """At critical pressure: unload and collect in the host."""
        if self.host.alive:
            self.call("unload", {}, timeout=60)
            if self._loaded is not None:
                self.on_event(ev.ModelUnloaded(self._loaded[0]))
            self._loaded = None

    def restart_host(self, reason: str) -> int:
        """Stop the host with whatever it holds and start a fresh one (the forced cleanup);
        its pid."""
        self.host.shutdown()
        self._loaded, self._idle_baseline = None, None
        pid = self.host.start()
        self.watchdog.watch(pid)
        self.on_event(ev.HostRestarted(pid, reason))
        return pid

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

        options = replace(task.options, window_seconds=the_plan.window_seconds,
                          batch_size=task.options.batch_size or the_plan.batch_size)
        try:
            result = self.call("transcribe", {"path": str(Path(task.path)),
                                              "options": options.to_dict()}, on_event=on_event)
        except GrymError:
            transcript.complete = False
            raise
        # Speech decoded a second time arrives after the rest; the transcript reads in time order.
        transcript.segments.sort(key=lambda s: s.start)
        return result


def open_orchestrator(
    limit_bytes: int, on_event: Callable[[ev.Event], None] | None = None, recover: bool = True
) -> Orchestrator:
    """An orchestrator that writes to the user's library; close() closes both.

    With recover, rows a crash left "running" are first marked incomplete.
    """
    library = Library()
    try:
        if recover:
            library.recover_interrupted()
        return Orchestrator(limit_bytes, library=library, on_event=on_event)
    except BaseException:
        library.close()
        raise
