"""A drop target for audio and video files, with an "Open files…" button beside it."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QPushButton,
)

from grym_desktop.ui.widgets import ElidedLabel

# Translated where used: QCoreApplication.translate("DropZone", MEDIA_FILTER).
MEDIA_FILTER = QT_TRANSLATE_NOOP(
    "DropZone",
    "Audio and video (*.wav *.flac *.mp3 *.ogg *.oga *.opus *.m4a *.aac *.wma *.aiff *.aif"
    " *.mp4 *.mkv *.mov *.webm *.avi);;All files (*)"
)


def local_paths(mime) -> list[str]:
    """Local file paths carried by a drag's mime data, in order; remote URLs are ignored."""
    if not mime.hasUrls():
        return []
    return [url.toLocalFile() for url in mime.urls() if url.isLocalFile() and url.toLocalFile()]


class DropZone(QFrame):
    """Emits files_dropped(paths) for files dropped on it or picked with the file dialog."""

    files_dropped = Signal(list)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("dropZone")
        self.setAcceptDrops(True)
        self.setMinimumHeight(44)  # a strip: files dropped anywhere on the window are taken too
        # The words give way on a narrow window (cut with "…" at their end); the button stays.
        self.label = ElidedLabel(self.tr("Drop audio or video files here"),
                                 mode=Qt.TextElideMode.ElideRight)
        self.label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.open_button = QPushButton(self.tr("Open files…"))
        self.open_button.clicked.connect(self.open_files)
        layout = QHBoxLayout(self)  # the words against the button, the two in the middle
        layout.addStretch(1)
        layout.addWidget(self.label)
        layout.addWidget(self.open_button)
        layout.addStretch(1)
        self.start_dir = ""
        self._set_hover(False)

    def _set_hover(self, hover: bool) -> None:
        border = "#3d7bd9" if hover else "#9aa3ad"
        background = "#e8f0fc" if hover else "transparent"
        self.setStyleSheet(
            f"#dropZone {{ border: 2px dashed {border}; border-radius: 8px;"
            f" background: {background}; }}"
        )

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if local_paths(event.mimeData()):
            event.acceptProposedAction()
            self._set_hover(True)
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if local_paths(event.mimeData()):
            event.acceptProposedAction()

    def dragLeaveEvent(self, event) -> None:
        self._set_hover(False)

    def dropEvent(self, event: QDropEvent) -> None:
        self._set_hover(False)
        paths = local_paths(event.mimeData())
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.files_dropped.emit(paths)

    def open_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self, self.tr("Open files"), self.start_dir, self.tr(MEDIA_FILTER)
        )
        if paths:
            self.files_dropped.emit(paths)
