"""What the main window and the Live panel share: the export row, the transcription models, a
label that never widens the window and a progress bar setter that never waits on a repaint."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, QSize, Qt, Signal
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from grym_desktop.errors import GrymError
from grym_desktop.export.writers import FORMATS, default_name, write_to
from grym_desktop.models.catalog import DEFAULT_MODEL, transcription_models
from grym_desktop.transcript import Transcript


def dialog_bottom(dialog: QDialog) -> tuple[QLabel, QDialogButtonBox]:
    """A dialog's error line (red, wrapped, hidden until there is something to say) and its
    OK and Cancel buttons, wired to accept and reject."""
    error = QLabel()
    error.setWordWrap(True)
    error.setStyleSheet("color: #b03a2e;")
    error.hide()
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                               | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return error, buttons


def set_bar_value(bar: QProgressBar, value: int) -> None:
    """Set a progress bar's value; it repaints with the rest of the window, later.

    QProgressBar.setValue repaints at once, inside the caller: on a busy X server that one
    repaint held the event loop for up to 400 ms. With updates off it only schedules one.
    """
    if bar.value() == value:
        return
    bar.setUpdatesEnabled(False)
    bar.setValue(value)
    bar.setUpdatesEnabled(True)  # schedules the repaint


def transcribe_models() -> list[str]:
    """Model ids from the catalog that can transcribe, the default first."""
    return [s.id for s in transcription_models()] or [DEFAULT_MODEL]


class ElidedLabel(QLabel):
    """One line of plain text cut with "…" to the room it has, the whole text in its tooltip:
    a long file name or error can never make the window wider."""

    def __init__(self, text: str = "", parent: QWidget | None = None,
                 mode: Qt.TextElideMode = Qt.TextElideMode.ElideMiddle) -> None:
        super().__init__(parent)
        self._full = ""
        self._mode = mode
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        self._full = " ".join(text.split())
        self.setToolTip(self._full)
        self._elide()

    def full_text(self) -> str:
        return self._full

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(0, super().minimumSizeHint().height())

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        width = QFontMetrics(self.font()).horizontalAdvance(self._full)
        return QSize(min(width, 400), super().sizeHint().height())

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        metrics = QFontMetrics(self.font())
        room = max(0, self.contentsRect().width())
        super().setText(metrics.elidedText(self._full, self._mode, room))


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
        self.format_box.setAccessibleName(self.tr("Export format"))
        self.format_box.addItems(list(FORMATS))
        remembered = settings.value("export/format")
        if remembered and self.format_box.findText(remembered) >= 0:
            self.format_box.setCurrentText(remembered)
        self.format_box.currentTextChanged.connect(
            lambda fmt: self.settings.setValue("export/format", fmt))
        self.button = QPushButton(self.tr("Export…"))
        self.button.setEnabled(False)
        self.button.clicked.connect(self.choose_file)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.format_box)
        layout.addWidget(self.button)

    def set_transcript(self, transcript: Transcript | None) -> None:
        """The transcript Export writes; None disables the button."""
        self.transcript = transcript
        self.button.setEnabled(transcript is not None)

    def choose_file(self) -> QFileDialog | None:
        """A save dialog proposing <audio name>.<format> in the last export folder; Qt's dialog
        asks before it replaces an existing file. Returns the (open) dialog."""
        if self.transcript is None:
            return None
        fmt = self.format_box.currentText()
        folder = self.settings.value("export_dir", "") or str(Path(self.transcript.file).parent)
        dialog = QFileDialog(self, self.tr("Export transcript"),
                             str(Path(folder) / default_name(self.transcript, fmt)))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilters([f"{fmt.upper()} (*.{fmt})", self.tr("All files (*)")])
        dialog.setDefaultSuffix(fmt)
        dialog.fileSelected.connect(lambda path: self.export_file(path, fmt))
        dialog.open()
        return dialog

    def export_file(self, path: str, fmt: str) -> Path | None:
        """Write the transcript as fmt to path (the user chose it, replacing being confirmed)."""
        if self.transcript is None:
            return None
        try:
            written = write_to(self.transcript, fmt, Path(path))
        except GrymError as exc:
            self.failed.emit(str(exc))
            return None
        self.settings.setValue("export_dir", str(written.parent))
        self.exported.emit(written)
        return written

    def export_to(self, directory: str, fmt: str) -> Path | None:
        """Write the transcript as fmt into directory under its proposed name."""
        if self.transcript is None:
            return None
        return self.export_file(str(Path(directory) / default_name(self.transcript, fmt)), fmt)


def size_on_screen(widget: QWidget, width: int, height: int, share: float = 0.92) -> QSize:
    """width x height, or at most `share` of the widget's screen (a 1366 x 768 laptop) so a
    window opens whole, with room for the desktop's panels."""
    screen = widget.screen().availableGeometry() if widget.screen() else None
    if screen is None:
        return QSize(width, height)
    return QSize(min(width, int(screen.width() * share)),
                 min(height, int(screen.height() * share)))
