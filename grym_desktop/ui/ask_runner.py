"""Runs the Ask panel's questions on the model worker and keeps the panel's history current.

The answer streams from the worker thread into the panel through its queued token signal;
Stop reaches the model host at once (a signal to the host process), not through the worker's
queue, so it ends generation within a token.
"""

from __future__ import annotations

import itertools

from PySide6.QtCore import QObject, Signal

from grym_desktop.memory.limits import format_size
from grym_desktop.orchestrator.ask import Answer, ask, ask_models, stop_answer
from grym_desktop.orchestrator.runner import Orchestrator
from grym_desktop.store.library import Library
from grym_desktop.transcript import Transcript
from grym_desktop.ui.ask_panel import AskPanel
from grym_desktop.ui.worker import ModelWorker

_jobs = itertools.count(1)


class AskRunner(QObject):
    """Connects an AskPanel to the model worker and the library."""

    _model_line = Signal(str)

    def __init__(self, panel: AskPanel, worker: ModelWorker, library: Library) -> None:
        super().__init__(panel)
        self.panel, self.worker, self.library = panel, worker, library
        self._tag: str | None = None
        self._stopped = False
        panel.set_models([(s.id, s.name) for s in ask_models()])
        panel.ask_requested.connect(self.start)
        panel.stop_requested.connect(self.stop)
        self._model_line.connect(panel.set_model_line)
        worker.job_done.connect(self._done)
        worker.job_failed.connect(self._failed)

    def show_recording(self, transcript: Transcript | None, title: str = "") -> None:
        """The recording the panel asks about, with the answers already kept for it."""
        if transcript is None:
            self.panel.set_recording(None, "", None)
            return
        self.panel.set_recording(transcript.file, title, transcript.library_id)
        self._show_history(transcript.file)

    def start(self, question: str, model_id: str | None, include_transcript: bool) -> None:
        path = self.panel.path
        if path is None:
            return
        self._tag, self._stopped = f"ask:{next(_jobs)}", False
        emit_token = self.panel.token_arrived.emit

        def on_model(model: str, precision: str, estimate: int) -> None:
            self._model_line.emit(
                self.tr("{model} · {precision} · about {estimate}").format(
                    model=model, precision=precision, estimate=format_size(estimate)
                )
            )

        def job(orchestrator: Orchestrator) -> Answer | None:
            if self._stopped:  # stopped before the queue reached it
                return None
            return ask(orchestrator, path, question, model_id=model_id,
                       fallback=model_id is None, use_transcript=include_transcript,
                       on_token=emit_token, on_model=on_model)

        self.worker.run_job(self._tag, job)

    def stop(self) -> None:
        self._stopped = True
        orchestrator = self.worker.orchestrator
        if orchestrator is not None:
            stop_answer(orchestrator)

    def _done(self, tag: str, result: object) -> None:
        if tag != self._tag:
            return
        if result is None:
            self.panel.finish("", self.tr("Stopped before it began."))
            return
        note = result.note or (self.tr("Stopped; the answer is as far as it got.") if result.stopped
                               else None)
        self.panel.finish(result.answer, note)
        self._show_history(result.file)

    def _failed(self, tag: str, message: str) -> None:
        if tag == self._tag:
            self.panel.show_error(message)

    def _show_history(self, path: str) -> None:
        self.panel.set_history([(a.question, a.answer, a.model, a.created_at)
                                for a in self.library.answers_for_file(path)])
