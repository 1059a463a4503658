"""ModelWorker: the orchestrator on its own QThread, reporting through Qt signals.

Like Buzz's queue worker: a QObject moved to a QThread; the window only connects to its
signals and calls the thread-safe enqueue / cancel / remove.
"""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, QThread, Signal, Slot

from grym_desktop.errors import GrymError
from grym_desktop.orchestrator import events as ev
from grym_desktop.orchestrator.runner import Orchestrator, TranscribeTask
from grym_desktop.settings import Settings
from grym_desktop.store.library import Library

log = logging.getLogger(__name__)


class ModelWorker(QObject):
    """Owns the Orchestrator (created in the worker thread) and runs its queue there."""

    task_queued = Signal(int, str)  # task id, path
    task_started = Signal(int, str)
    progress = Signal(int, float)
    segment_added = Signal(int, object)  # task id, Segment
    task_finished = Signal(int, object)  # task id, Transcript
    task_failed = Signal(int, str, str)  # task id, message, error type
    model_loading = Signal(str, str, object)  # model id, precision, estimate bytes
    model_loaded = Signal(str, str, float, object)  # model id, precision, seconds, bytes
    model_unloaded = Signal(str, object, object)  # model id, host RSS before, after
    fallback_used = Signal(int, object)  # task id, Fallback
    plan_made = Signal(int, object)  # task id, PlanMade event
    host_restarted = Signal(int, str)  # pid, reason
    host_pid_changed = Signal(int)  # 0 when there is no host
    idle = Signal()  # the queue ran empty
    _wake = Signal()
    _close = Signal()

    def __init__(self, limit_bytes: int) -> None:
        super().__init__()
        self.limit_bytes = limit_bytes
        self.orchestrator: Orchestrator | None = None
        self.host_pid = 0
        self._lock = threading.Lock()
        self._pending: list[TranscribeTask] = []  # submitted before the orchestrator exists
        self._broken: str | None = None  # why the orchestrator could not be created
        self._stopping = False
        self._touched = False  # a task started or ended during the current run_next()
        self._current: int | None = None  # the running task
        self.qthread = QThread()
        self.qthread.setObjectName("grym-model-worker")
        self.moveToThread(self.qthread)
        self.qthread.started.connect(self._setup)
        self._wake.connect(self._process)
        self._close.connect(self._teardown)

    def start(self) -> None:
        self.qthread.start()

    @Slot()
    def _setup(self) -> None:
        try:
            orchestrator = Orchestrator(
                self.limit_bytes, library=Library(), on_event=self._on_event
            )
        except GrymError as exc:  # an unreadable library or settings file
            with self._lock:
                self._broken = str(exc)
                pending, self._pending = self._pending, []
            for task in pending:
                self.task_failed.emit(task.id, self._broken, type(exc).__name__)
            return
        with self._lock:
            self.orchestrator = orchestrator
            pending, self._pending = self._pending, []
        for task in pending:
            orchestrator.submit(task)
        if pending:
            self._process()

    def enqueue(
        self, paths: list[str], model_id: str, override_memory: bool = False
    ) -> list[int]:
        """Queue one task per path (callable from any thread); returns the task ids.

        override_memory: the user confirmed loading a model the guard refused.
        """
        ids = []
        for path in paths:
            task = TranscribeTask(path=path, model_id=model_id, override_memory=override_memory)
            self.task_queued.emit(task.id, path)
            with self._lock:
                if self.orchestrator is not None:
                    self.orchestrator.submit(task)
                elif self._broken is None:
                    self._pending.append(task)
            if self._broken is not None:
                self.task_failed.emit(task.id, self._broken, "GrymError")
            ids.append(task.id)
        self._wake.emit()
        return ids

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
                return removed
        return self.orchestrator.remove(task_id)

    def shutdown(self, timeout_ms: int = 15000) -> None:
        """Cancel, close the orchestrator (and its host) in the worker thread, end the thread."""
        if not self.qthread.isRunning():
            return
        self._stopping = True
        self.cancel()
        self._close.emit()
        if not self.qthread.wait(timeout_ms):
            self.qthread.terminate()
            self.qthread.wait()

    @Slot()
    def _process(self) -> None:
        if self.orchestrator is None:
            return
        while not self._stopping:
            self._touched = False
            try:
                self.orchestrator.run_next()
            except Exception as exc:  # a bug in the core must not stop the queue
                log.exception("task %s crashed", self._current)
                self._touched = True
                if self._current is not None:
                    message = f"An unexpected {type(exc).__name__} stopped this file; see the log."
                    self.task_failed.emit(self._current, message, type(exc).__name__)
                    self._current = None
            self._check_pid()
            if not self._touched:
                break
        if not self._stopping:
            self.idle.emit()

    @Slot()
    def _teardown(self) -> None:
        if self.orchestrator is not None:
            self.orchestrator.close()
        self._check_pid()
        self.qthread.quit()

    def _check_pid(self) -> None:
        pid = (self.orchestrator.host_pid if self.orchestrator is not None else None) or 0
        if pid != self.host_pid:
            self.host_pid = pid
            self.host_pid_changed.emit(pid)

    def _on_event(self, event: ev.Event) -> None:
        if isinstance(event, ev.TaskStarted):
            self._touched, self._current = True, event.task_id
            self.task_started.emit(event.task_id, event.path)
        elif isinstance(event, ev.Progress):
            self.progress.emit(event.task_id, event.fraction)
        elif isinstance(event, ev.SegmentAdded):
            self.segment_added.emit(event.task_id, event.segment)
        elif isinstance(event, ev.TaskFinished):
            self._touched, self._current = True, None
            self.task_finished.emit(event.task_id, event.transcript)
        elif isinstance(event, ev.TaskFailed):
            self._touched, self._current = True, None
            self.task_failed.emit(event.task_id, event.message, event.error_type)
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
