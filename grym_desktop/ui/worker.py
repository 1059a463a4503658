"""ModelWorker: the orchestrator on a thread of its own, reporting through Qt signals.

Like Buzz's queue worker: the window only connects to its signals and calls the thread-safe
enqueue / cancel / remove / start_live / stop_live. Files and live sessions run one after
another on the worker's JobThread, so the one model host holds one model at a time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QObject, Signal

from grym_desktop.errors import GrymError, MemoryRefusedError, TaskCancelledError
from grym_desktop.options import DecodeOptions
from grym_desktop.orchestrator import events as ev
from grym_desktop.orchestrator.live import LiveSession
from grym_desktop.orchestrator.runner import Orchestrator, TranscribeTask, open_orchestrator
from grym_desktop.orchestrator.speakers import SpeakerCount
from grym_desktop.settings import Settings
from grym_desktop.transcript import Transcript
from grym_desktop.ui.jobs import JobThread, failure_sentence


class Status(StrEnum):
    """Where a queued file stands: waiting, running, or how it ended."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    REFUSED = "refused"  # the memory guard refused the model; the user may load it anyway


# The words a queue row shows for a status or a stage, translated when shown.
QUEUE_WORDS = {
    Status.QUEUED: QT_TRANSLATE_NOOP("Status", "queued"),
    Status.RUNNING: QT_TRANSLATE_NOOP("Status", "running"),
    Status.DONE: QT_TRANSLATE_NOOP("Status", "done"),
    Status.FAILED: QT_TRANSLATE_NOOP("Status", "failed"),
    Status.CANCELLED: QT_TRANSLATE_NOOP("Status", "cancelled"),
    Status.REFUSED: QT_TRANSLATE_NOOP("Status", "refused"),
    "transcribing": QT_TRANSLATE_NOOP("Status", "transcribing"),
    "finding speakers": QT_TRANSLATE_NOOP("Status", "finding speakers"),
}


def queue_word(word: Status | str) -> str:
    """A status or a task's stage ("finding speakers") in the interface language."""
    source = QUEUE_WORDS.get(word)
    return QCoreApplication.translate("Status", source) if source else str(word)


@dataclass(frozen=True)
class TaskRecord:
    """One queued file: the request, its status, and its transcript or error.

    Records are frozen: every signal carries a new one, so the GUI thread never reads a
    record the worker thread is changing.
    """

    request: TranscribeTask
    status: Status = Status.QUEUED
    transcript: Transcript | None = None
    error: str = ""  # the error's message when the task did not end done
    error_class: type[Exception] | None = None

    @property
    def id(self) -> int:
        return self.request.id

    @property
    def path(self) -> str:
        return self.request.path

    @property
    def ended(self) -> bool:
        return self.status not in (Status.QUEUED, Status.RUNNING)

    def with_error(self, message: str, error_class: type[Exception]) -> TaskRecord:
        """This task ended by an error: cancelled, refused by the memory guard, or failed."""
        if issubclass(error_class, TaskCancelledError):
            status = Status.CANCELLED
        elif issubclass(error_class, MemoryRefusedError):
            status = Status.REFUSED
        else:
            status = Status.FAILED
        return replace(self, status=status, error=message, error_class=error_class)


class ModelWorker(QObject):
    """Owns the Orchestrator (created on the worker thread) and runs its queue there."""

    task_queued = Signal(object)  # TaskRecord
    task_started = Signal(object)  # TaskRecord, running
    progress = Signal(int, float)  # task id, fraction done
    stage_changed = Signal(int, str)  # task id, "transcribing" or "finding speakers"
    segment_added = Signal(int, object)  # task id, Segment
    task_finished = Signal(object)  # TaskRecord, done, with its transcript
    task_failed = Signal(object)  # TaskRecord, failed, cancelled or refused, with its error
    task_removed = Signal(int)  # task id, taken out of the queue before it started
    model_loading = Signal(str, str, object)  # model id, precision, estimate bytes
    model_loaded = Signal(str, str, float, object)  # model id, precision, seconds, bytes
    model_unloaded = Signal(str, object, object)  # model id, host RSS before, after
    fallback_used = Signal(int, object)  # task id, Fallback
    plan_made = Signal(int, object)  # task id, PlanMade event
    host_restarted = Signal(int, str)  # pid, reason
    host_pid_changed = Signal(int)  # 0 when there is no host
    idle = Signal()  # the queue ran empty
    live_event = Signal(object)  # LiveStarted, LivePartial, LiveFinal, LiveStatus, LiveWarning
    live_finished = Signal(object)  # Transcript, saved in the library
    live_failed = Signal(str)  # one sentence
    job_done = Signal(str, object)  # tag, what run_job's call returned
    job_failed = Signal(str, str)  # tag, one sentence

    def __init__(self, limit_bytes: int) -> None:
        super().__init__()
        self.limit_bytes = limit_bytes
        self.orchestrator: Orchestrator | None = None
        self.host_pid = 0
        self.jobs = JobThread("grym-model-worker")
        self._lock = threading.Lock()
        self._records: dict[int, TaskRecord] = {}  # queued and running tasks
        self._pending: list[TranscribeTask] = []  # submitted before the orchestrator exists
        self._broken: GrymError | None = None  # why the orchestrator could not be created
        self._stopping = False
        self._touched = False  # a task started or ended during the current run_next()
        self._current: int | None = None  # the running task
        self._stages: dict[int, str] = {}  # a task's stage once it is past transcribing
        self._live: LiveSession | None = None
        self._live_stop: bool | None = None  # stop_live's drain, kept for a session not begun
        self.jobs.submit(self._setup)  # the first call on the thread, whenever it starts

    def start(self) -> None:
        self.jobs.start()

    def _setup(self) -> None:
        try:
            # The app marked what a crash left running when it started (ui/app.py).
            orchestrator = open_orchestrator(self.limit_bytes, self._on_event, recover=False)
        except GrymError as exc:  # an unreadable library or settings file
            with self._lock:
                self._broken = exc
                pending, self._pending = self._pending, []
            for task in pending:
                self._end_with_error(task.id, str(exc), type(exc))
            return
        with self._lock:
            self.orchestrator = orchestrator
            pending, self._pending = self._pending, []
        for task in pending:
            orchestrator.submit(task)
        if pending:
            self._process()


    def enqueue(
        self, paths: list[str], model_id: str, override_memory: bool = False,
        options: DecodeOptions | None = None, precision: str | None = None,
        speakers: SpeakerCount | None = None, allow_fallback: bool = True,
    ) -> list[int]:
        """Queue one task per path (callable from any thread); returns the task ids.

        override_memory: the user confirmed loading a model the guard refused.
        allow_fallback: False where only this model will do (a watched folder's ledger).
        """
        ids = []
        for path in paths:
            task = TranscribeTask(path=path, model_id=model_id, override_memory=override_memory,
                                  options=options or DecodeOptions(), precision=precision,
                                  speakers=speakers, allow_fallback=allow_fallback)
            record = TaskRecord(task)
            with self._lock:
                self._records[task.id] = record
            self.task_queued.emit(record)
            with self._lock:
                if self.orchestrator is not None:
                    self.orchestrator.submit(task)
                elif self._broken is None:
                    self._pending.append(task)
            if self._broken is not None:
                self._end_with_error(task.id, str(self._broken), type(self._broken))
            ids.append(task.id)
        self.jobs.submit(self._process)
        return ids

    def set_limit(self, limit_bytes: int) -> None:
        """A new memory limit, for the guard's next decision and the watchdog at once."""
        self.limit_bytes = limit_bytes
        with self._lock:
            if self.orchestrator is not None:
                self.orchestrator.set_limit(limit_bytes)

    def set_settings(self, settings: Settings) -> None:
        """Use edited core settings (fallback chains) from the next task on."""
        if self.orchestrator is not None:
            self.orchestrator.settings = settings

    def cancel(self) -> None:
        """Stop the running task now; the queue goes on with the next one."""
        if self.orchestrator is not None:
            self.orchestrator.cancel()

    def remove(self, task_id: int) -> bool:
        """Drop a task that has not started yet; False when it is running or gone."""
        with self._lock:
            if self.orchestrator is None:
                kept = [t for t in self._pending if t.id != task_id]
                removed, self._pending = len(kept) != len(self._pending), kept
            else:
                removed = self.orchestrator.remove(task_id)
            if removed:
                del self._records[task_id]
        if removed:
            self.task_removed.emit(task_id)
        return removed

    def start_live(self, make_source: Callable[[], object], model_id: str | None) -> None:
        """Run a live session once the files queued before it are done (from any thread).

        make_source opens the microphone or file on the worker thread; stop_live ends it.
        """
        self._live_stop = None
        self.jobs.submit(lambda: self._run_live(make_source, model_id))

    def run_job(self, tag: str, call: Callable[[Orchestrator], object]) -> None:
        """Run call(orchestrator) on the worker thread once the queued files are done (from
        any thread); job_done or job_failed reports it under tag."""
        self.jobs.submit(lambda: self._run_job(tag, call))

    def stop_live(self, drain: bool = True) -> None:
        """Stop listening; with drain, what was heard is still transcribed and saved."""
        self._live_stop = drain
        session = self._live
        if session is not None:
            session.stop(drain)

    def shutdown(self, timeout_ms: int = 15000) -> None:
        """Stop the running file or session; close the orchestrator, its host and the thread."""
        self._stopping = True
        self.cancel()
        self.stop_live(drain=False)
        self.jobs.submit(self._teardown)
        self.jobs.stop(timeout_ms)

    # -- on the worker thread ------------------------------------------------------------

    def _process(self) -> None:
        if self.orchestrator is None:
            return
        while not self._stopping:
            self._touched = False
            try:
                self.orchestrator.run_next()
            except Exception as exc:  # a bug in the core must not stop the queue
                self._touched = True
                if self._current is not None:
                    message = failure_sentence(exc, QT_TRANSLATE_NOOP("Jobs", "This file"))
                    self._end_with_error(self._current, message, type(exc))
                    self._current = None
            self._check_pid()
            if not self._touched:
                break
        if not self._stopping:
            self.idle.emit()

    def _run_live(self, make_source: Callable[[], object], model_id: str | None) -> None:
        if self._stopping:
            return
        if self.orchestrator is None:  # _setup ran first and could not create one
            self.live_failed.emit(str(self._broken))
            return
        try:
            source = make_source()  # a missing or busy microphone fails here, first
            self._live = LiveSession(self.orchestrator, source, model_id=model_id,
                                     on_event=self.live_event.emit)
            if self._live_stop is not None:  # Stop was pressed while it waited for its turn
                self._live.stop(self._live_stop)
            self.live_finished.emit(self._live.run())
        except Exception as exc:  # the window shows a sentence, never a traceback
            self.live_failed.emit(
                failure_sentence(exc, QT_TRANSLATE_NOOP("Jobs", "Live transcription")))
        finally:
            self._live = None
            self._check_pid()

    def _run_job(self, tag: str, call: Callable[[Orchestrator], object]) -> None:
        if self._stopping:
            return
        if self.orchestrator is None:
            self.job_failed.emit(tag, str(self._broken))
            return
        try:
            result = call(self.orchestrator)
        except Exception as exc:  # the window shows a sentence, never a traceback
            self.job_failed.emit(tag, failure_sentence(exc, QT_TRANSLATE_NOOP("Jobs", "This task")))
        else:
            self.job_done.emit(tag, result)
        finally:
            self._check_pid()

    def _teardown(self) -> None:
        if self.orchestrator is not None:
            self.orchestrator.close()
        self._check_pid()

    def _check_pid(self) -> None:
        pid = (self.orchestrator.host_pid if self.orchestrator is not None else None) or 0
        if pid != self.host_pid:
            self.host_pid = pid
            self.host_pid_changed.emit(pid)

    def _end_with_error(self, task_id: int, message: str, error_class: type[Exception]) -> None:
        with self._lock:
            record = self._records.pop(task_id, None)
        if record is not None:
            self.task_failed.emit(record.with_error(message, error_class))

    def _on_event(self, event: ev.Event) -> None:
        if isinstance(event, ev.TaskStarted):
            self._touched, self._current = True, event.task_id
            with self._lock:
                record = replace(self._records[event.task_id], status=Status.RUNNING)
                self._records[event.task_id] = record
            self.task_started.emit(record)
        elif isinstance(event, ev.Progress):
            if self._stages.get(event.task_id, "transcribing") != event.stage:
                self._stages[event.task_id] = event.stage
                self.stage_changed.emit(event.task_id, event.stage)
            self.progress.emit(event.task_id, event.fraction)
        elif isinstance(event, ev.SegmentAdded):
            self.segment_added.emit(event.task_id, event.segment)
        elif isinstance(event, ev.TaskFinished):
            self._touched, self._current = True, None
            with self._lock:
                record = self._records.pop(event.task_id)
            self.task_finished.emit(
                replace(record, status=Status.DONE, transcript=event.transcript))
        elif isinstance(event, ev.TaskFailed):
            self._touched, self._current = True, None
            self._end_with_error(event.task_id, event.message, event.error_class)
        elif isinstance(event, ev.ModelLoading):
            self._check_pid()
            self.model_loading.emit(event.model_id, event.precision, event.estimate_bytes)
        elif isinstance(event, ev.ModelLoaded):
            self._check_pid()
            self.model_loaded.emit(
                event.model_id, event.precision, event.seconds, event.measured_bytes
            )
        elif isinstance(event, ev.ModelUnloaded):
            self.model_unloaded.emit(event.model_id, event.rss_before, event.rss_after)
        elif isinstance(event, ev.FallbackUsed):
            self.fallback_used.emit(event.task_id, event.fallback)
        elif isinstance(event, ev.PlanMade):
            self.plan_made.emit(event.task_id, event)
        elif isinstance(event, ev.HostRestarted):
            self.host_restarted.emit(event.pid, event.reason)
            self._check_pid()
