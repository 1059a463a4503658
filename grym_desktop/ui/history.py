"""The history list: past transcripts from the library, newest first, unfinished ones marked."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem

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


class HistoryList(QListWidget):
    """Emits transcript_chosen(id) when a row is clicked (one click opens it)."""

    transcript_chosen = Signal(int)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.itemClicked.connect(
            lambda item: self.transcript_chosen.emit(item.data(Qt.ItemDataRole.UserRole))
        )

    def refresh(self, library: Library, limit: int = 200) -> None:
        self.clear()
        for row in library.list_transcripts(limit):
            item = QListWidgetItem(history_text(row))
            item.setData(Qt.ItemDataRole.UserRole, row.id)
            item.setToolTip(f"{row.file}\n{row.preview}" if row.preview else row.file)
            self.addItem(item)
