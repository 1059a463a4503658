"""The Live panel: microphone choice, record / stop, level, time, backlog, growing transcript.

The session runs on the ModelWorker with its orchestrator (one model host, one model at
a time; a live session waits for the files queued before it); with no worker given, the
panel starts a worker of its own. Finals are shown in black, the partial in grey.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from grym_desktop.audio.capture import (
    DeviceError,
    MicrophoneSource,
    list_input_devices,
    refresh_devices,
)
from grym_desktop.audio.sources import FileSource
from grym_desktop.errors import GrymError
from grym_desktop.memory.limits import resolve_limit
from grym_desktop.orchestrator.live import (
    LiveEvent,
    LiveFinal,
    LivePartial,
    LiveStarted,
    LiveStatus,
    LiveWarning,
    fastest_installed_model,
)
from grym_desktop.transcript import Transcript, clock
from grym_desktop.ui.widgets import ExportRow, set_bar_value, transcribe_models
from grym_desktop.ui.worker import ModelWorker

FILE_PREFIX = "File: "
GREY = QColor("#8a8a8a")
BLACK = QColor("#000000")
METER_FLOOR_DB = -60


class LivePanel(QWidget):
    """Record from a microphone (or replay a file) and watch the text follow the speech."""

    saved = Signal(object)  # Transcript: a session ended and is in the library

    def __init__(self, worker: ModelWorker | None = None, settings: QSettings | None = None,
                 limit_bytes: int | None = None) -> None:
        super().__init__()
        self.settings = settings if settings is not None else QSettings()
        self.transcript: Transcript | None = None
        self.running = False
        self._files: dict[str, tuple[str, bool]] = {}  # combo text -> (path, realtime)
        self._partial_at: int | None = None  # document position where the grey partial starts
        self._owns_worker = worker is None
        if worker is None:
            worker = ModelWorker(limit_bytes or resolve_limit(None))
            worker.start()
        self.worker = worker
        worker.live_event.connect(self.on_live_event)
        worker.live_finished.connect(self.on_finished)
        worker.live_failed.connect(self.on_failed)
        self._build()
        # Looking for devices and installed models takes a moment: after the window shows.
        self._populated = False
        QTimer.singleShot(0, self._populate)

    # -- layout --------------------------------------------------------------------------

    def _build(self) -> None:
        self.device_box = QComboBox()
        self.device_box.setAccessibleName(self.tr("Input"))
        self.device_box.setMinimumContentsLength(18)
        self.refresh_button = QPushButton(self.tr("Rescan"))
        self.refresh_button.setToolTip(self.tr("Look for microphones again"))
        self.refresh_button.clicked.connect(lambda: self.refresh_devices(rescan=True))
        self.file_button = QPushButton(self.tr("File…"))
        self.file_button.setToolTip(self.tr("Replay an audio file as if it were a microphone"))
        self.file_button.clicked.connect(self.choose_file)
        self.record_button = QPushButton(self.tr("● Record"))
        self.record_button.clicked.connect(self.toggle)
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Input")))
        top.addWidget(self.device_box, 1)
        top.addWidget(self.refresh_button)
        top.addWidget(self.file_button)
        top.addWidget(self.record_button)

        self.model_box = QComboBox()
        self.model_box.setAccessibleName(self.tr("Model"))
        self.model_box.addItems(transcribe_models())
        self.meter = QProgressBar()
        self.meter.setRange(METER_FLOOR_DB, 0)
        self.meter.setValue(METER_FLOOR_DB)
        self.meter.setTextVisible(False)
        self.meter.setMaximumHeight(10)
        self.meter.setToolTip(self.tr("Input level"))
        self.elapsed_label = QLabel("00:00")
        self.backlog_label = QLabel("")
        self.state_label = QLabel(self.tr("Ready"))
        info = QHBoxLayout()
        info.addWidget(QLabel(self.tr("Model")))
        info.addWidget(self.model_box)
        info.addWidget(self.meter, 1)
        info.addWidget(self.elapsed_label)
        info.addWidget(self.backlog_label)

        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setStyleSheet("color: #b03a2e;")
        self.message.hide()

        self.view = QTextEdit()
        self.view.setAccessibleName(self.tr("Live transcript"))
        self.view.setReadOnly(True)
        self.view.setPlaceholderText(
            self.tr("Press Record and speak: the text follows within a second.")
        )

        self.export_row = ExportRow(self.settings)
        self.export_row.exported.connect(lambda path: self.state_label.setText(
            self.tr("Exported {name}").format(name=path.name)))
        self.export_row.failed.connect(self.show_message)
        bottom = QHBoxLayout()
        bottom.addWidget(self.state_label, 1)
        bottom.addWidget(self.export_row)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(top)
        layout.addLayout(info)
        layout.addWidget(self.message)
        layout.addWidget(self.view, 1)
        layout.addLayout(bottom)

    def _populate(self) -> None:
        if self._populated:
            return
        self._populated = True
        model = self.settings.value("live/model")
        if model and self.model_box.findText(model) >= 0:
            self.model_box.setCurrentText(model)
        else:
            self.model_box.setCurrentText(fastest_installed_model())
        self.refresh_devices()

    # -- devices -------------------------------------------------------------------------

    def refresh_devices(self, rescan: bool = False) -> None:
        """Fill the input list: the microphones PortAudio sees, the remembered one first."""
        remembered = self.settings.value("live/device") or ""
        current = self.device_box.currentData()
        self.device_box.clear()
        try:
            if rescan and not self.running:
                refresh_devices()
            devices = list_input_devices()
        except GrymError as exc:
            devices = []
            self.show_message(str(exc))
        names = [d.name for d in devices]
        default = next((d.name for d in devices if d.is_default), None)
        for name in names:
            self.device_box.addItem(name, name)
        if remembered and remembered not in names and not remembered.startswith(FILE_PREFIX):
            self.device_box.insertItem(
                0, self.tr("{remembered} (not connected)").format(remembered=remembered), remembered
            )
        for text, (path, _realtime) in self._files.items():
            self.device_box.addItem(text, text)
            self.device_box.setItemData(self.device_box.count() - 1, path,
                                        Qt.ItemDataRole.ToolTipRole)
        index = -1
        for choice in (current, remembered, default):
            if choice and index < 0:
                index = self.device_box.findData(choice)
        if index >= 0:
            self.device_box.setCurrentIndex(index)
        if self.device_box.count() == 0:
            self.device_box.addItem(self.tr("No microphone found"), None)

    def device_names(self) -> list[str]:
        """The microphones in the input list (not the replayed files)."""
        names = (self.device_box.itemData(i) for i in range(self.device_box.count()))
        return [n for n in names if n and not str(n).startswith(FILE_PREFIX)]

    def use_file(self, path: str | Path, realtime: bool = True) -> None:
        """Choose a file replayed as a microphone (at real time, or as fast as decoded)."""
        text = f"{FILE_PREFIX}{Path(path).name}"
        self._files[text] = (str(path), realtime)
        if self.device_box.findData(text) < 0:
            self.device_box.addItem(text, text)
        self.device_box.setCurrentIndex(self.device_box.findData(text))

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Replay an audio file"))
        if path:
            self.use_file(path)

    def _make_source(self) -> Callable[[], object]:
        """What opens the chosen input, on the worker thread when the session starts."""
        choice = self.device_box.currentData()
        if choice in self._files:
            path, realtime = self._files[choice]
            return lambda: FileSource(path, realtime=realtime)
        if choice is None:
            def no_device():
                raise DeviceError(self.tr("No microphone was found on this computer."))
            return no_device
        return lambda: MicrophoneSource(choice)

    # -- session -------------------------------------------------------------------------

    def toggle(self) -> None:
        if self.running:
            self.stop()
        else:
            self.start()

    def start(self) -> None:
        """Start a session with the chosen input and model; the view starts afresh."""
        if self.running:
            return
        self._populate()
        choice = self.device_box.currentData()
        if choice is not None:
            self.settings.setValue("live/device", choice)
        self.settings.setValue("live/model", self.model_box.currentText())
        self.view.clear()
        self._partial_at = None
        self.transcript = None
        self.export_row.set_transcript(None)
        self.message.hide()
        self.running = True
        self.record_button.setText(self.tr("■ Stop"))
        self.device_box.setEnabled(False)
        self.model_box.setEnabled(False)
        self.state_label.setText(self.tr("Starting…"))
        self.worker.start_live(self._make_source(), self.model_box.currentText())

    def stop(self) -> None:
        """Stop listening; what was heard is still finished."""
        if self.running:
            self.state_label.setText(self.tr("Finishing…"))
            self.record_button.setEnabled(False)
            self.worker.stop_live(drain=True)

    def shutdown(self) -> None:
        """The window closes: stop at once (finals already saved stay in the library)."""
        if self._owns_worker:
            self.worker.shutdown(30_000)
        else:
            self.worker.stop_live(drain=False)

    def _ended(self, state: str) -> None:
        self.running = False
        self.record_button.setText(self.tr("● Record"))
        self.record_button.setEnabled(True)
        self.device_box.setEnabled(True)
        self.model_box.setEnabled(True)
        self.meter.setValue(METER_FLOOR_DB)
        self.state_label.setText(state)
        self._set_partial("")

    # -- events --------------------------------------------------------------------------

    def on_live_event(self, event: LiveEvent) -> None:
        if isinstance(event, LiveStarted):
            self.state_label.setText(
                self.tr("Listening to {source} · {model} · {precision}").format(
                    source=event.source, model=event.model, precision=event.precision
                )
            )
        elif isinstance(event, LivePartial):
            self._set_partial(event.text)
        elif isinstance(event, LiveFinal):
            self.on_final(event)
        elif isinstance(event, LiveStatus):
            self.on_status(event)
        elif isinstance(event, LiveWarning):
            self.show_message(event.message)

    def on_final(self, event: LiveFinal) -> None:
        self._set_partial("")
        if event.segment is None:
            return
        cursor = self.view.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        fmt = QTextCharFormat()
        fmt.setForeground(BLACK)
        if not self.view.document().isEmpty():
            cursor.insertText(" ", fmt)
        cursor.insertText(event.segment.text.strip(), fmt)
        self.view.ensureCursorVisible()

    def _set_partial(self, text: str) -> None:
        """Replace the grey partial at the end of the view with text."""
        cursor = self.view.textCursor()
        if self._partial_at is not None:
            cursor.setPosition(self._partial_at)
            cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
            cursor.removeSelectedText()
            self._partial_at = None
        if not text:
            return
        cursor.movePosition(QTextCursor.MoveOperation.End)
        self._partial_at = cursor.position()
        fmt = QTextCharFormat()
        fmt.setForeground(GREY)
        cursor.insertText((" " if not self.view.document().isEmpty() else "") + text, fmt)
        self.view.setTextCursor(cursor)
        self.view.ensureCursorVisible()

    def on_status(self, event: LiveStatus) -> None:
        set_bar_value(self.meter, max(METER_FLOOR_DB, min(0, round(event.level))))
        self.elapsed_label.setText(clock(event.elapsed, decimals=0))
        behind = event.backlog
        self.backlog_label.setText(
            self.tr("{behind:.1f} s behind").format(behind=behind) if behind >= 0.05 else ""
        )
        style = "color: #b03a2e;" if behind > 10 else ""
        if self.backlog_label.styleSheet() != style:  # each set re-styles the label
            self.backlog_label.setStyleSheet(style)
        if event.state == "loading":
            self.state_label.setText(self.tr("Loading the model…"))

    def on_finished(self, transcript: Transcript) -> None:
        self.transcript = transcript
        self.export_row.set_transcript(transcript if transcript.segments else None)
        self._ended(
            self.tr("Saved to the library: {count} segments, {duration}").format(
                count=len(transcript.segments), duration=clock(transcript.duration, decimals=0)
            )
        )
        self.saved.emit(transcript)

    def on_failed(self, message: str) -> None:
        self.show_message(message)
        self._ended(self.tr("Stopped"))

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()
