"""The history list: past transcripts from the library, newest first, unfinished ones marked."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QMenu

from grym_desktop.store.library import Library, TranscriptSummary


def first_line(message: str) -> str:
    """The first non-empty line of a message; the core already writes one sentence."""
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    return lines[0] if lines else "The task failed for an unknown reason."


def history_text(row: TranscriptSummary) -> str:
    text = f"{Path(row.file).name}  ·  {row.model}  ·  {row.created_at.replace('T', ' ')[:16]}"
    if row.status == "failed":
        return f"✗ {text}  ·  failed: {first_line(row.error or '')}"
    if row.status in ("incomplete", "cancelled"):
        return f"⚠ {text}  ·  {row.status}, {row.segment_count} segments"
    if row.status == "running":
        return f"{text}  ·  running…"
    return text


FILE_ROLE = Qt.ItemDataRole.UserRole + 1  # the audio file's path


class HistoryList(QListWidget):
    """Past transcripts, newest first. One click opens one (transcript_chosen); the context
    menu opens it, transcribes its file again with another model, shows its folder or deletes
    it (each a signal the window acts on)."""

    transcript_chosen = Signal(int)
    again_requested = Signal(str, str)  # audio path, model id
    folder_requested = Signal(str)  # audio path
    delete_requested = Signal(int)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.models: list[str] = []  # offered for "Transcribe again with"
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.DefaultContextMenu)
        self.itemClicked.connect(
            lambda item: self.transcript_chosen.emit(item.data(Qt.ItemDataRole.UserRole))
        )
        self._filter = ""

    def refresh(self, library: Library, limit: int = 200) -> None:
        self.clear()
        for row in library.list_transcripts(limit):
            item = QListWidgetItem(history_text(row))
            item.setData(Qt.ItemDataRole.UserRole, row.id)
            item.setData(FILE_ROLE, row.file)
            item.setToolTip(f"{row.file}\n{row.preview}" if row.preview else row.file)
            self.addItem(item)
        self.set_filter(self._filter)

    def set_filter(self, text: str) -> None:
        """Show only the transcripts whose row (file, model, date) holds every word of text."""
        self._filter = text
        words = text.lower().split()
        for i in range(self.count()):
            item = self.item(i)
            haystack = f"{item.text()} {item.data(FILE_ROLE)}".lower()
            item.setHidden(not all(w in haystack for w in words))

    def menu_for(self, item: QListWidgetItem) -> QMenu:
        """The context menu of one row."""
        transcript_id = item.data(Qt.ItemDataRole.UserRole)
        path = item.data(FILE_ROLE)
        menu = QMenu(self)
        menu.addAction("Open", lambda: self.transcript_chosen.emit(transcript_id))
        again = menu.addMenu("Transcribe again with")
        for model_id in self.models:
            again.addAction(model_id, lambda m=model_id: self.again_requested.emit(path, m))
        again.setEnabled(bool(self.models) and Path(path).is_file())
        folder = menu.addAction("Show in folder", lambda: self.folder_requested.emit(path))
        folder.setEnabled(Path(path).parent.is_dir())
        menu.addSeparator()
        menu.addAction("Delete…", lambda: self.delete_requested.emit(transcript_id))
        return menu

    def contextMenuEvent(self, event) -> None:  # noqa: N802 - Qt's name
        item = self.itemAt(event.pos())
        if item is not None:
            self.menu_for(item).exec(event.globalPos())
