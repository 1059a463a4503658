"""The history list: past transcripts from the library, sorted and filtered, unfinished ones
marked."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QMenu

from grym_desktop.store.library import Library, TranscriptSummary


def first_line(message: str) -> str:
    """The first non-empty line of a message; the core already writes one sentence."""
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    return (
        lines[0]
        if lines
        else QCoreApplication.translate("History", "The task failed for an unknown reason.")
    )


# A library row's unfinished status, translated where shown.
ROW_STATUS = {"incomplete": QT_TRANSLATE_NOOP("History", "incomplete"),
              "cancelled": QT_TRANSLATE_NOOP("History", "cancelled")}


def history_text(row: TranscriptSummary) -> str:
    """Two lines: the transcript's name (marked when failed, unfinished or starred), then its
    model, date and, unless it is complete, what became of it."""
    details = f"{row.model}  ·  {row.created_at.replace('T', ' ')[:16]}"
    mark = ""
    if row.status == "failed":
        mark, details = (
            "✗ ",
            QCoreApplication.translate("History", "{details}  ·  failed: {error}").format(
                details=details, error=first_line(row.error or "")
            ),
        )
    elif row.status in ("incomplete", "cancelled"):
        status = QCoreApplication.translate("History", ROW_STATUS[row.status])
        mark, details = "⚠ ", QCoreApplication.translate(
            "History", "{details}  ·  {status}, {count} segments").format(
                details=details, status=status, count=row.segment_count)
    elif row.status == "running":
        details = QCoreApplication.translate("History", "{details}  ·  running…").format(
            details=details
        )
    if row.edited:
        details = QCoreApplication.translate("History", "{details}  ·  corrected").format(
            details=details
        )
    star = "★ " if row.starred else ""
    return f"{mark}{star}{row.name}\n{details}"


FILE_ROLE = Qt.ItemDataRole.UserRole + 1  # the audio file's path
STARRED_ROLE = Qt.ItemDataRole.UserRole + 2
NAME_ROLE = Qt.ItemDataRole.UserRole + 3  # the name the user gave it ("" if none)
EDITED_ROLE = Qt.ItemDataRole.UserRole + 4
DURATION_ROLE = Qt.ItemDataRole.UserRole + 5

# Lengths the list can be narrowed to: (shortest, longest) in seconds.
# The keys are English; the window shows them translated (context "History").
LENGTHS: dict[str, tuple[float, float]] = {
    QT_TRANSLATE_NOOP("History", "Any length"): (0.0, float("inf")),
    QT_TRANSLATE_NOOP("History", "Under 1 minute"): (0.0, 60.0),
    QT_TRANSLATE_NOOP("History", "1 to 10 minutes"): (60.0, 600.0),
    QT_TRANSLATE_NOOP("History", "10 minutes to 1 hour"): (600.0, 3600.0),
    QT_TRANSLATE_NOOP("History", "Over 1 hour"): (3600.0, float("inf")),
}

# How the list can be ordered: (key of a row, largest first).
SORTS: dict[str, tuple[Callable[[TranscriptSummary], Any], bool]] = {
    QT_TRANSLATE_NOOP("History", "Newest first"): (lambda row: row.id, True),
    QT_TRANSLATE_NOOP("History", "Oldest first"): (lambda row: row.id, False),
    QT_TRANSLATE_NOOP("History", "Name"): (lambda row: row.name.lower(), False),
    QT_TRANSLATE_NOOP("History", "Longest first"): (lambda row: row.duration, True),
    QT_TRANSLATE_NOOP("History", "Model"): (lambda row: (row.model, -row.id), False),
}


class HistoryList(QListWidget):
    """Past transcripts, newest first. One click opens one (transcript_chosen); the context
    menu opens it, renames or stars it, transcribes its file again with another model, shows
    its folder or deletes it (each a signal the window acts on)."""

    transcript_chosen = Signal(int)
    rename_requested = Signal(int, str)  # transcript id, its current name
    star_requested = Signal(int, bool)  # transcript id, starred or not
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
        self._starred_only = False
        self._edited_only = False
        self._length = LENGTHS["Any length"]
        self._sort = "Newest first"
        self._rows: list[TranscriptSummary] = []

    def refresh(self, library: Library, limit: int = 1000) -> None:
        self._rows = library.list_transcripts(limit)
        self._fill()

    def _fill(self) -> None:
        self.clear()
        key, largest_first = SORTS[self._sort]
        for row in sorted(self._rows, key=key, reverse=largest_first):
            item = QListWidgetItem(history_text(row))
            item.setData(Qt.ItemDataRole.UserRole, row.id)
            item.setData(FILE_ROLE, row.file)
            item.setData(STARRED_ROLE, row.starred)
            item.setData(EDITED_ROLE, row.edited)
            item.setData(DURATION_ROLE, row.duration)
            item.setData(NAME_ROLE, row.title or "")
            item.setToolTip(f"{row.file}\n{row.preview}" if row.preview else row.file)
            self.addItem(item)
        self.set_filter(self._filter)

    def set_sort(self, name: str) -> None:
        """Order the list by one of SORTS (newest first until told otherwise)."""
        self._sort = name
        self._fill()

    def set_filter(self, text: str) -> None:
        """Show only the transcripts whose row (name, file, model, date) holds every word of
        text (and, with set_starred_only or set_edited_only, only starred or corrected ones)."""
        self._filter = text
        words = text.lower().split()
        for i in range(self.count()):
            item = self.item(i)
            haystack = f"{item.text()} {item.data(FILE_ROLE)}".lower()
            wanted = (all(w in haystack for w in words)
                      and (item.data(STARRED_ROLE) or not self._starred_only)
                      and (item.data(EDITED_ROLE) or not self._edited_only)
                      and self._length[0] <= item.data(DURATION_ROLE) < self._length[1])
            item.setHidden(not wanted)

    def set_starred_only(self, starred_only: bool) -> None:
        self._starred_only = starred_only
        self.set_filter(self._filter)

    def set_length(self, name: str) -> None:
        """Show only transcripts whose audio is as long as one of LENGTHS says."""
        self._length = LENGTHS[name]
        self.set_filter(self._filter)

    def set_edited_only(self, edited_only: bool) -> None:
        """Show only transcripts a person corrected."""
        self._edited_only = edited_only
        self.set_filter(self._filter)

    def menu_for(self, item: QListWidgetItem) -> QMenu:
        """The context menu of one row."""
        transcript_id = item.data(Qt.ItemDataRole.UserRole)
        path = item.data(FILE_ROLE)
        menu = QMenu(self)
        menu.addAction(self.tr("Open"), lambda: self.transcript_chosen.emit(transcript_id))
        name = item.data(NAME_ROLE) or Path(path).name
        menu.addAction(self.tr("Rename…"), lambda: self.rename_requested.emit(transcript_id, name))
        starred = bool(item.data(STARRED_ROLE))
        menu.addAction(self.tr("Remove star") if starred else self.tr("Star"),
                       lambda: self.star_requested.emit(transcript_id, not starred))
        again = menu.addMenu(self.tr("Transcribe again with"))
        for model_id in self.models:
            again.addAction(model_id, lambda m=model_id: self.again_requested.emit(path, m))
        again.setEnabled(bool(self.models) and Path(path).is_file())
        folder = menu.addAction(self.tr("Show in folder"), lambda: self.folder_requested.emit(path))
        folder.setEnabled(Path(path).parent.is_dir())
        menu.addSeparator()
        menu.addAction(self.tr("Delete…"), lambda: self.delete_requested.emit(transcript_id))
        return menu

    def contextMenuEvent(self, event) -> None:  # noqa: N802 - Qt's name
        item = self.itemAt(event.pos())
        if item is not None:
            self.menu_for(item).exec(event.globalPos())
