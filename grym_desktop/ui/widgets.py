"""What the main window and the Live panel share: the export row and the transcription models."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import QComboBox, QFileDialog, QHBoxLayout, QPushButton, QWidget

from grym_desktop.errors import GrymError
from grym_desktop.export.writers import FORMATS, write
from grym_desktop.models.catalog import DEFAULT_MODEL, transcription_models
from grym_desktop.transcript import Transcript


def transcribe_models() -> list[str]:
    """Model ids from the catalog that can transcribe, the default first."""
    return [s.id for s in transcription_models()] or [DEFAULT_MODEL]


class ExportRow(QWidget):
    """A format list and an Export… button that write a transcript into a folder the user picks.

    The folder and the format are remembered in the settings for the next export.
    """

    exported = Signal(object)  # Path of the written file
    failed = Signal(str)  # the error's sentence

    def __init__(self, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.transcript: Transcript | None = None
        self.format_box = QComboBox()
        self.format_box.addItems(list(FORMATS))
        remembered = settings.value("export/format")
        if remembered and self.format_box.findText(remembered) >= 0:
            self.format_box.setCurrentText(remembered)
        self.format_box.currentTextChanged.connect(
            lambda fmt: self.settings.setValue("export/format", fmt))
        self.button = QPushButton("Export…")
        self.button.setEnabled(False)
        self.button.clicked.connect(self.choose_folder)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.format_box)
        layout.addWidget(self.button)

    def set_transcript(self, transcript: Transcript | None) -> None:
        """The transcript Export writes; None disables the button."""
        self.transcript = transcript
        self.button.setEnabled(transcript is not None)

    def choose_folder(self) -> None:
        if self.transcript is None:
            return
        start = self.settings.value("export_dir", "") or str(Path(self.transcript.file).parent)
        directory = QFileDialog.getExistingDirectory(self, "Export to folder", start)
        if directory:
            self.export_to(directory, self.format_box.currentText())

    def export_to(self, directory: str, fmt: str) -> Path | None:
        """Write the transcript as fmt into directory; emits exported or failed."""
        if self.transcript is None:
            return None
        try:
            path = write(self.transcript, fmt, Path(directory))
        except GrymError as exc:
            self.failed.emit(str(exc))
            return None
        self.settings.setValue("export_dir", directory)
        self.exported.emit(path)
        return path
