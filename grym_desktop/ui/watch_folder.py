"""A watched folder in the window: files that appear in it are queued like dropped files and
their transcripts written to an output folder, with the batch ledger of that folder, so that
neither a restart nor `grym-desktop batch` on the same folders does a file twice.

FolderWatcher runs the core watcher (batch/watch.py) on a thread of its own and hashes each
complete file there; WatchRunner, on the GUI thread, asks the ledger, queues what is not done
on the window's ModelWorker and writes each transcript when its task ends. The choice is kept
in QSettings (watch/folder, watch/output, watch/format, watch/model) and resumed at start.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QObject, QSettings, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from grym_desktop.batch.ledger import Ledger
from grym_desktop.batch.sources import content_hash
from grym_desktop.batch.watch import SETTLE_SECONDS, output_name, watch_folder
from grym_desktop.errors import GrymError
from grym_desktop.export.writers import FORMATS, write_to
from grym_desktop.orchestrator.batch import BatchRequest, remove_unfinished_writes
from grym_desktop.ui.history import first_line
from grym_desktop.ui.jobs import failure_sentence
from grym_desktop.ui.settings_dialog import TranscribeChoices, transcribe_choices
from grym_desktop.ui.widgets import dialog_bottom
from grym_desktop.ui.worker import ModelWorker, TaskRecord

WORKER_NAME = "window"  # who ran a file, in the ledger (a batch's are worker-1, worker-2...)


@dataclass(frozen=True)
class WatchChoice:
    """What the user chose to watch: the folder, where transcripts go, in which format, by
    which model."""

    folder: Path
    output: Path
    format: str
    model: str


def load_choice(settings: QSettings) -> WatchChoice | None:
    """The watch kept in settings, or None when none is on."""
    folder = str(settings.value("watch/folder", "") or "")
    output = str(settings.value("watch/output", "") or "")
    model = str(settings.value("watch/model", "") or "")
    fmt = str(settings.value("watch/format", "txt") or "txt")
    if not (folder and output and model) or fmt not in FORMATS:
        return None
    return WatchChoice(Path(folder), Path(output), fmt, model)


class FolderWatcher(QObject):
    """The core watcher on a thread: file_ready(path, SHA-256) for each complete file.

    One object per watch: a report emitted just before stop() is still delivered after it,
    and its sender() says which watch it belongs to.
    """

    file_ready = Signal(str, str)  # path, content hash
    scanned = Signal()  # the files there at the start have all been reported or left out
    failed = Signal(str)  # one sentence: a file cannot be read
    ended = Signal(str)  # one sentence: the folder cannot be watched (any more)

    def __init__(self, settle_seconds: float = SETTLE_SECONDS) -> None:
        super().__init__()
        self.settle_seconds = settle_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, folder: Path) -> None:
        """Watch folder until stop()."""
        self._thread = threading.Thread(target=self._run, args=(Path(folder), self._stop),
                                        name="grym-folder-watch", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop watching; waits for the thread (a file being hashed finishes first)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self, folder: Path, stop: threading.Event) -> None:
        def ready(path: Path) -> None:
            try:
                digest = content_hash(path)
            except OSError as exc:
                if path.exists():  # gone meanwhile: nothing to say
                    self.failed.emit(
                        self.tr("{path} cannot be read: {reason}.").format(
                            path=path, reason=(exc.strerror or str(exc)).lower()
                        )
                    )
                return
            if not stop.is_set():
                self.file_ready.emit(str(path), digest)

        try:
            watch_folder(folder, ready, stop, self.settle_seconds, on_scanned=self.scanned.emit)
        except Exception as exc:  # a sentence in the window, never a traceback
            self.ended.emit(failure_sentence(exc, QT_TRANSLATE_NOOP("Jobs", "Watching the folder")))


@dataclass
class _Watch:
    """One watch, from start to stop: its ledger outlives it while its files are queued."""

    choice: WatchChoice
    ledger: Ledger
    watcher: FolderWatcher
    key: str  # the ledger's options key, as `grym-desktop batch` makes it
    choices: TranscribeChoices
    queued: set[int] = field(default_factory=set)  # ledger entries queued, not ended


@dataclass
class _Task:
    """A queued file of a watch: its ledger entry and where its transcript goes."""

    watch: _Watch
    entry_id: int
    targets: list[Path]
    started: float


class WatchRunner(QObject):
    """Queues the files of the watched folder on the worker and writes their transcripts."""

    status_changed = Signal(str)  # "Watching FOLDER → OUTPUT", or "" when not watching
    message = Signal(str)  # one sentence for the status bar
    scanned = Signal()  # the files there at the start are queued or known to be done

    def __init__(self, worker: ModelWorker, settings: QSettings,
                 settle_seconds: float = SETTLE_SECONDS, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker, self.settings = worker, settings
        self.settle_seconds = settle_seconds
        self.watch: _Watch | None = None
        self.scan_done = False  # of the current watch
        self.tasks: dict[int, _Task] = {}  # by worker task id
        worker.task_started.connect(self._task_started)
        worker.task_finished.connect(self._task_finished)
        worker.task_failed.connect(self._task_failed)
        worker.task_removed.connect(self._task_removed)

    @property
    def watching(self) -> bool:
        return self.watch is not None

    def start(self, choice: WatchChoice) -> bool:
        """Watch choice.folder from now on, and at the next start of the window; False (and a
        message) when its output folder's ledger cannot be opened."""
        self.stop(forget=False)
        choice = replace(choice, folder=Path(os.path.abspath(choice.folder)),
                         output=Path(os.path.abspath(choice.output)))
        try:
            ledger = Ledger(choice.output)
        except GrymError as exc:
            self.message.emit(first_line(str(exc)))
            return False
        with contextlib.suppress(OSError):
            remove_unfinished_writes(choice.output)  # what a killed window left mid-write
        choices = transcribe_choices(self.settings)
        key = BatchRequest(sources=[], output=choice.output, model=choice.model,
                           precision=choices.precision, format=choice.format,
                           options=choices.options, speakers=choices.speakers).key()
        watcher = FolderWatcher(self.settle_seconds)
        watcher.file_ready.connect(self._file_ready)
        watcher.scanned.connect(self._scanned)
        watcher.failed.connect(self._failed)
        watcher.ended.connect(self._ended)
        self.watch = _Watch(choice, ledger, watcher, key, choices)
        self.scan_done = False
        s = self.settings
        s.setValue("watch/folder", str(choice.folder))
        s.setValue("watch/output", str(choice.output))
        s.setValue("watch/format", choice.format)
        s.setValue("watch/model", choice.model)
        s.sync()
        watcher.start(choice.folder)
        self.status_changed.emit(
            self.tr("Watching {folder} → {output}").format(
                folder=choice.folder, output=choice.output
            )
        )
        return True

    def restore(self) -> None:
        """Resume the watch the settings keep (the window starts); the ledger skips what
        is done. A folder that is not there (a drive not mounted) is said and tried again at
        the next start."""
        choice = load_choice(self.settings)
        if choice is None:
            return
        if not choice.folder.is_dir():
            self.message.emit(
                self.tr("The watched folder {folder} is not there; it is not watched now.").format(
                    folder=choice.folder
                )
            )
            return
        self.start(choice)

    def stop(self, forget: bool = True) -> None:
        """Stop watching (files already queued still get their transcripts written); with
        forget, the next start of the window does not watch either."""
        if forget:
            self.settings.setValue("watch/folder", "")
            self.settings.sync()
        if self.watch is not None:
            watch, self.watch = self.watch, None
            watch.watcher.stop()
            self._close_if_idle(watch)
            self.status_changed.emit("")

    def shutdown(self) -> None:
        """The window closes: stop watching, keep the choice for the next start, close every
        ledger (files not finished stay to do)."""
        self.stop(forget=False)
        for task in self.tasks.values():
            task.watch.ledger.close()
        self.tasks.clear()

    # -- the watcher's reports -------------------------------------------------------------

    def _current(self) -> _Watch | None:
        """The watch whose FolderWatcher sent the report being handled, if it is still on
        (an earlier watch's last reports arrive after it stopped)."""
        watch = self.watch
        return watch if watch is not None and self.sender() is watch.watcher else None

    def _file_ready(self, path: str, digest: str) -> None:
        watch = self._current()
        if watch is None:
            return
        choice, source = watch.choice, Path(path)
        target = choice.output / output_name(choice.folder, source, choice.format)
        try:
            plan = watch.ledger.plan([(source, digest)], choice.model, watch.key)
            if plan.skipped:  # done before; the same content under a new name gets a copy
                self._copy_output(plan.skipped[0].outputs, target)
                return
            entry = plan.todo[0]
            if entry.id in watch.queued:  # the same content is queued already
                next(t for t in self.tasks.values()
                     if t.watch is watch and t.entry_id == entry.id).targets.append(target)
                return
            watch.ledger.start(entry.id, WORKER_NAME)
        except (GrymError, OSError) as exc:
            self.message.emit(first_line(str(exc)))
            return
        c = watch.choices
        (task_id,) = self.worker.enqueue([path], choice.model, options=c.options,
                                         precision=c.precision, speakers=c.speakers,
                                         allow_fallback=False)
        watch.queued.add(entry.id)
        self.tasks[task_id] = _Task(watch, entry.id, [target], time.monotonic())

    def _copy_output(self, outputs: list[str], target: Path) -> None:
        if target.exists() or not outputs or not Path(outputs[0]).is_file():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(outputs[0], target)

    def _scanned(self) -> None:
        if self._current() is not None:
            self.scan_done = True
            self.scanned.emit()

    def _failed(self, sentence: str) -> None:
        if self._current() is not None:
            self.message.emit(first_line(sentence))

    def _ended(self, sentence: str) -> None:
        """The watch ended by itself (the folder went away): said, and kept for next time."""
        if self._current() is not None:
            self.stop(forget=False)
            self.message.emit(first_line(sentence))

    # -- the worker's reports --------------------------------------------------------------

    def _task_started(self, record: TaskRecord) -> None:
        task = self.tasks.get(record.id)
        if task is not None:
            task.started = time.monotonic()

    def _task_finished(self, record: TaskRecord) -> None:
        task = self.tasks.pop(record.id, None)
        if task is None or task.watch.ledger.closed:
            return
        transcript, fmt = record.transcript, task.watch.choice.format
        try:
            written = [str(write_to(transcript, fmt, target)) for target in task.targets]
            task.watch.ledger.finish(task.entry_id, written, transcript.duration,
                                     time.monotonic() - task.started)
        except GrymError as exc:  # a full disk, a read-only folder: one sentence, no crash
            self._end(task, first_line(str(exc)))
            self.message.emit(first_line(str(exc)))
            return
        self._end(task, None)

    def _task_failed(self, record: TaskRecord) -> None:
        task = self.tasks.pop(record.id, None)
        if task is not None and not task.watch.ledger.closed:
            self._end(task, first_line(record.error))

    def _task_removed(self, task_id: int) -> None:
        task = self.tasks.pop(task_id, None)
        if task is not None and not task.watch.ledger.closed:
            self._end(task, self.tr("It was taken out of the queue before it was transcribed."))

    def _end(self, task: _Task, error: str | None) -> None:
        """The task's file is over: failed with error (when given), and no longer queued."""
        watch = task.watch
        watch.queued.discard(task.entry_id)
        if error is not None:
            try:
                watch.ledger.fail(task.entry_id, error)
            except GrymError as exc:
                self.message.emit(first_line(str(exc)))
        if watch is not self.watch:
            self._close_if_idle(watch)

    def _close_if_idle(self, watch: _Watch) -> None:
        if not watch.queued:
            watch.ledger.close()


class WatchDialog(QDialog):
    """Choose the folder to watch, the output folder, the format and the model."""

    def __init__(self, settings: QSettings, models: list[str], model: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Watch a folder"))
        s = settings
        self.folder_edit = QLineEdit(str(s.value("watch/folder", "") or ""))
        self.folder_edit.setAccessibleName(self.tr("Folder to watch"))
        self.folder_edit.setPlaceholderText(self.tr("the folder where new recordings arrive"))
        self.output_edit = QLineEdit(str(s.value("watch/output", "") or ""))
        self.output_edit.setAccessibleName(self.tr("Output folder"))
        self.output_edit.setPlaceholderText(self.tr("where the transcripts go"))
        for edit in (self.folder_edit, self.output_edit):  # a path and its hint readable
            edit.setMinimumWidth(edit.fontMetrics().averageCharWidth() * 40)
        self.format_box = QComboBox()
        self.format_box.setAccessibleName(self.tr("Format"))
        self.format_box.addItems(list(FORMATS))
        self.format_box.setCurrentText(str(s.value("watch/format", "txt") or "txt"))
        self.model_box = QComboBox()
        self.model_box.setAccessibleName(self.tr("Model"))
        self.model_box.addItems(models or [model])
        self.model_box.setCurrentText(model)
        form = QFormLayout()
        form.addRow(
            self.tr("Watch"), self._with_browse(self.folder_edit, self.tr("Folder to watch"))
        )
        form.addRow(
            self.tr("Write to"), self._with_browse(self.output_edit, self.tr("Output folder"))
        )
        form.addRow(self.tr("Format"), self.format_box)
        form.addRow(self.tr("Model"), self.model_box)
        note = QLabel(
            self.tr(
                "Files already there are transcribed too, unless this output folder's "
                "ledger says they are done."
            )
        )
        note.setWordWrap(True)
        self.error_label, buttons = dialog_bottom(self)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)

    def choice(self) -> WatchChoice:
        return WatchChoice(Path(self.folder_edit.text().strip()).expanduser(),
                           Path(self.output_edit.text().strip()).expanduser(),
                           self.format_box.currentText(), self.model_box.currentText())

    def accept(self) -> None:
        """Check the folders first: the dialog stays open with the reason."""
        folder, output = self.folder_edit.text().strip(), self.output_edit.text().strip()
        if not folder or not Path(folder).expanduser().is_dir():
            problem = self.tr("{folder} is not a folder.").format(
                folder=folder or self.tr("The folder to watch")
            )
        elif not output:
            problem = self.tr("Choose a folder for the transcripts.")
        elif Path(output).expanduser().exists() and not Path(output).expanduser().is_dir():
            problem = self.tr("{output} is a file, not a folder.").format(output=output)
        else:
            super().accept()
            return
        self.error_label.setText(problem)
        self.error_label.show()

    def _with_browse(self, edit: QLineEdit, title: str) -> QHBoxLayout:
        button = QPushButton(self.tr("Browse…"))
        button.clicked.connect(lambda: self._browse(edit, title))
        row = QHBoxLayout()
        row.addWidget(edit, 1)
        row.addWidget(button)
        return row

    def _browse(self, edit: QLineEdit, title: str) -> None:
        folder = QFileDialog.getExistingDirectory(self, title, edit.text())
        if folder:
            edit.setText(folder)
