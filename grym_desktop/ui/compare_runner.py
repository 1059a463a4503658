"""Runs the Compare window's comparisons on the model worker, one at a time.

The comparison goes through the worker's orchestrator like every use of a model; its progress
and its results so far come back to the window through queued signals, as copies, so the window
never reads a result the worker thread is still writing.
"""

from __future__ import annotations

import copy
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from grym_desktop.errors import TaskCancelledError
from grym_desktop.orchestrator.compare import (
    CompareProgress,
    Comparison,
    ModelChoice,
    comparable_choices,
    new_comparison,
    resume_or_save,
    run_comparison,
)
from grym_desktop.orchestrator.runner import Orchestrator
from grym_desktop.scoring.references import load_references
from grym_desktop.ui.compare_window import CompareWindow
from grym_desktop.ui.worker import ModelWorker

JOB_TAG = "compare"


class CompareRunner(QObject):
    """Connects a CompareWindow to the model worker."""

    _progress = Signal(object)  # CompareProgress
    _partial = Signal(object)  # a copy of the Comparison after each file
    _note = Signal(str)

    def __init__(self, window: CompareWindow, worker: ModelWorker) -> None:
        super().__init__(window)
        self.window, self.worker = window, worker
        self._stop = False
        self._running = False
        self._progress.connect(window.show_progress)
        self._partial.connect(window.show_comparison)
        self._note.connect(window.show_message)
        window.run_requested.connect(self.start)
        window.stop_requested.connect(self.stop)
        worker.job_done.connect(self._done)
        worker.job_failed.connect(self._failed)

    def refresh_choices(self) -> None:
        self.window.set_choices(comparable_choices())

    def start(self, a: ModelChoice, b: ModelChoice, files: list[str],
              reference: str | None) -> None:
        self._stop, self._running = False, True
        self.worker.run_job(JOB_TAG, lambda orchestrator: self._run(orchestrator, a, b, files,
                                                                      reference))

    def stop(self) -> None:
        """Stop now: the file being transcribed is dropped, finished files are kept."""
        if self._running:
            self._stop = True
            self.worker.cancel()

    # -- on the worker thread ----------------------------------------------------------------

    def _run(self, orchestrator: Orchestrator, a: ModelChoice, b: ModelChoice,
             files: list[str], reference: str | None) -> Comparison:
        references = load_references(Path(reference) if reference else None, files)
        comparison = new_comparison(a, b, files, references)
        comparison, resumed = resume_or_save(comparison, orchestrator.library)
        if resumed:
            self._note.emit(
                self.tr("Resuming comparison {id} with what it kept.").format(id=comparison.id)
            )
        self._partial.emit(copy.deepcopy(comparison))
        where: list[tuple[str, int]] = []

        def on_progress(p: CompareProgress) -> None:
            if p.fraction == 0.0 and where and where[-1] != (p.side, p.file_index):
                comparison.score()
                self._partial.emit(copy.deepcopy(comparison))
            where.append((p.side, p.file_index))
            self._progress.emit(p)

        try:
            return run_comparison(orchestrator, comparison, on_progress,
                                  cancelled=lambda: self._stop)
        except TaskCancelledError:
            comparison.score()
            self._partial.emit(copy.deepcopy(comparison))
            raise TaskCancelledError(
                self.tr(
                    "Stopped; the finished files are kept, and Run with the same models and files "
                    "resumes the comparison."
                )
            ) from None

    # -- back on the window's thread ---------------------------------------------------------

    def _done(self, tag: str, result: object) -> None:
        if tag != JOB_TAG:
            return
        self._running = False
        self.window.set_running(False)
        self.window.show_comparison(result)
        self.window.show_message(
            self.tr("Done; saved in the library as comparison {id}.").format(id=result.id)
        )

    def _failed(self, tag: str, message: str) -> None:
        if tag != JOB_TAG:
            return
        self._running = False
        self.window.set_running(False)
        if self._stop:
            self.window.show_message(message)
        else:
            self.window.show_error(message)
