"""The transcript as an editor: one row per segment, corrected in place, every step undoable.

Edits are the pure functions of grym_desktop.editing; the undo stack keeps the segments
before and after each one. While audio plays, the segment being heard is highlighted and
kept in view, and its word being heard (where word times exist) is underlined.
"""

from __future__ import annotations

import html
import time
from bisect import bisect_right
from collections.abc import Callable

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QColor, QKeySequence, QTextDocument, QUndoCommand, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from grym_desktop import editing
from grym_desktop.transcript import Segment, clock

START, END, SPEAKER, TEXT = range(4)
# Speakers' colours, in order of first appearance (readable on white, told apart in pairs).
SPEAKER_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
                   "#17becf")
NUDGE_SECONDS = 0.1
ROW_PADDING = 8  # pixels above and below a row's text
ROWS_FITTED_AT_ONCE = 250  # rows measured in one turn of the event loop
FOLLOW_PAUSE_SECONDS = 4.0  # after a person scrolls, playback leaves the view alone this long
PLAYING_COLOUR = QColor("#fff3c4")
PLAYING_TEXT_COLOUR = QColor("#1a1a1a")  # dark text on the pale yellow, in a dark palette too


def segment_line(segment: Segment) -> str:
    """'[start → end] text': a segment as one line of plain text."""
    return f"[{clock(segment.start)} → {clock(segment.end)}] {segment.text.strip()}"


class SegmentModel(QAbstractTableModel):
    """The segments as a table: start, end, text (the text editable when allowed)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.segments: list[Segment] = []
        self.editable = False
        self.playing_row = -1
        self.playing_word = -1
        self.speaker_colours: dict[str, QColor] = {}
        self.on_text_edited: Callable[[int, str], None] | None = None

    def rowCount(self, parent=None) -> int:  # noqa: N802 - Qt's name
        return 0 if parent is not None and parent.isValid() else len(self.segments)

    def columnCount(self, parent=None) -> int:  # noqa: N802 - Qt's name
        return 0 if parent is not None and parent.isValid() else 4

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return (self.tr("Start"), self.tr("End"), self.tr("Speaker"), self.tr("Text"))[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        segment = self.segments[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if column == TEXT:
                return segment.text.strip()
            if column == SPEAKER:
                return segment.speaker or ""
            return clock(segment.start if column == START else segment.end)
        if role == Qt.ItemDataRole.ForegroundRole and column == SPEAKER and segment.speaker:
            return self.speaker_colours.get(segment.speaker)
        if role == Qt.ItemDataRole.BackgroundRole and index.row() == self.playing_row:
            return PLAYING_COLOUR
        if role == Qt.ItemDataRole.ForegroundRole and index.row() == self.playing_row:
            return PLAYING_TEXT_COLOUR
        if role == Qt.ItemDataRole.ToolTipRole and column != TEXT:
            return self.tr("Click to play from here")
        return None

    def flags(self, index) -> Qt.ItemFlag:
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if self.editable and index.column() == TEXT:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if role != Qt.ItemDataRole.EditRole or index.column() != TEXT:
            return False
        text = " ".join(str(value).split())
        if not text or text == self.segments[index.row()].text.strip():
            return False
        if self.on_text_edited is not None:
            self.on_text_edited(index.row(), text)  # through the undo stack
        return True

    def replace_segments(self, segments: list[Segment]) -> None:
        """Show `segments`, telling the view only about the rows that changed."""
        old = self.segments
        head = 0
        while head < min(len(old), len(segments)) and old[head] == segments[head]:
            head += 1
        tail = 0
        while (tail < min(len(old), len(segments)) - head
               and old[-1 - tail] == segments[-1 - tail]):
            tail += 1
        old_changed, new_changed = len(old) - head - tail, len(segments) - head - tail
        common = min(old_changed, new_changed)
        self.segments = list(segments)
        if old_changed > new_changed:
            self.beginRemoveRows(QModelIndex(), head + common, head + old_changed - 1)
            self.endRemoveRows()
        elif new_changed > old_changed:
            self.beginInsertRows(QModelIndex(), head + common, head + new_changed - 1)
            self.endInsertRows()
        if common:
            self.dataChanged.emit(self.index(head, 0), self.index(head + common - 1, TEXT))

    def reset(self, segments: list[Segment]) -> None:
        self.beginResetModel()
        self.segments = list(segments)
        self.playing_row = self.playing_word = -1
        self.endResetModel()

    def append(self, segment: Segment) -> None:
        row = len(self.segments)
        self.beginInsertRows(QModelIndex(), row, row)
        self.segments.append(segment)
        self.endInsertRows()


class TextDelegate(QStyledItemDelegate):
    """Draws the text column with the word being heard underlined, and remembers the open
    editor so a segment can be split at its cursor."""

    def __init__(self, model: SegmentModel, parent=None) -> None:
        super().__init__(parent)
        self.model = model
        self.editor: QLineEdit | None = None

    def createEditor(self, parent, option, index):  # noqa: N802 - Qt's name
        self.editor = QLineEdit(parent)
        self.editor.destroyed.connect(lambda: setattr(self, "editor", None))
        return self.editor

    def paint(self, painter, option, index) -> None:
        model = self.model
        if index.row() != model.playing_row or model.playing_word < 0:
            super().paint(painter, option, index)
            return
        segment = model.segments[index.row()]
        words = segment.text.split()
        marked = " ".join(f"<u><b>{html.escape(w)}</b></u>" if i == model.playing_word
                          else html.escape(w) for i, w in enumerate(words))
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        opt.widget.style().drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter,
                                       opt.widget)
        document = QTextDocument()
        document.setDefaultFont(opt.font)
        document.setHtml(f"<span style='color:{PLAYING_TEXT_COLOUR.name()}'>{marked}</span>")
        document.setTextWidth(opt.rect.width() - 6)
        painter.save()
        painter.translate(opt.rect.topLeft() + QRect(3, 1, 0, 0).topLeft())
        document.drawContents(painter)
        painter.restore()


class SegmentsChange(QUndoCommand):
    """One edit: the segments before and after it."""

    def __init__(self, editor: TranscriptEditor, before: list[Segment], after: list[Segment],
                 text: str) -> None:
        super().__init__(text)
        self.editor, self.before, self.after = editor, before, after

    def redo(self) -> None:
        self.editor._show_edit(self.after)

    def undo(self) -> None:
        self.editor._show_edit(self.before)


class TranscriptEditor(QWidget):
    """Segments in a table: click a time to play from it, double-click text to correct it.

    Signals: play_requested(seconds) when a segment is clicked; loop_requested(start, end)
    from its menu; edited() after every change (and undo or redo) of an editable transcript.
    """

    play_requested = Signal(float)
    loop_requested = Signal(float, float)  # start, end of the segment to play over and over
    edited = Signal()
    segment_selected = Signal(float, float)  # start, end of the segment made current

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.model = SegmentModel(self)
        self.model.on_text_edited = lambda row, text: self.apply(
            editing.set_text(self.segments(), row, text), self.tr("Edit text"))
        self.undo_stack = QUndoStack(self)
        # After the stack has moved (during a command's redo it has not yet), so `modified`
        # is right; clearing it for another transcript is no edit.
        self.undo_stack.indexChanged.connect(self._stack_moved)
        self.table = QTableView()
        self.table.setAccessibleName(self.tr("Transcript"))
        self.table.setAccessibleDescription(
            self.tr("One row per segment: start, end, speaker and text; edit the text in place")
        )
        self.table.setModel(self.model)
        self.delegate = TextDelegate(self.model, self.table)
        self.table.setItemDelegateForColumn(TEXT, self.delegate)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.table.setWordWrap(True)
        self.table.verticalHeader().hide()
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.table.horizontalHeader()
        # Fixed time columns: ResizeToContents would read every row at each change.
        time_width = self.table.fontMetrics().horizontalAdvance("00:00:00.00") + 16
        for column in (START, END):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
            header.resizeSection(column, time_width)
        header.setSectionResizeMode(SPEAKER, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(SPEAKER, self.table.fontMetrics().horizontalAdvance("Speaker 10") + 24)
        self.table.setColumnHidden(SPEAKER, True)  # shown when the transcript has speakers
        header.setSectionResizeMode(TEXT, QHeaderView.ResizeMode.Stretch)
        # Row heights are measured here, only for rows that change: Qt's ResizeToContents
        # measures every cell of every row and took 9 s to open 3,000 segments.
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header.sectionResized.connect(self._text_column_resized)
        self.model.rowsInserted.connect(lambda _p, first, last: self.fit_rows(first, last))
        self.model.dataChanged.connect(
            lambda top, bottom, _roles=(): self._fit_if_text_changed(top.row(), bottom.row()))
        self._fitted_width = -1
        self._fit_generation = 0
        # A person scrolling away from the segment being heard is not pulled back at once.
        self._scrolled_by_hand = 0.0
        self.table.verticalScrollBar().actionTriggered.connect(
            lambda _action: setattr(self, "_scrolled_by_hand", time.monotonic()))
        self.table.clicked.connect(self._clicked)
        self.table.selectionModel().currentRowChanged.connect(self._current_row_changed)
        self._pressed_at = None  # where the mouse was pressed in the table, for word clicks
        self.table.viewport().installEventFilter(self)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(
            lambda pos: self.menu().exec(self.table.viewport().mapToGlobal(pos)))
        self.placeholder = QLabel(self.tr("Segments appear here as they are transcribed."))
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setStyleSheet("color: #777;")

        self.replace_bar = ReplaceBar(self)
        self.replace_bar.hide()

        self.actions_by_name: dict[str, QAction] = {}
        undo = self.undo_stack.createUndoAction(self, self.tr("&Undo"))
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = self.undo_stack.createRedoAction(self, self.tr("&Redo"))
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence.StandardKey.Redo])
        self.actions_by_name.update(undo=undo, redo=redo)
        self._action("split", self.tr("Split at the cursor"), self.split_at_cursor, "Ctrl+Return")
        self._action("merge", self.tr("Merge with the next segment"), self.merge_selected, "Ctrl+J")
        self._action("delete", self.tr("Delete segment"), self.delete_selected, QKeySequence.Delete)
        self._action("start_earlier", self.tr("Start 0.1 s earlier"),
                     lambda: self.nudge_selected("start", -NUDGE_SECONDS), "Ctrl+[")
        self._action("start_later", self.tr("Start 0.1 s later"),
                     lambda: self.nudge_selected("start", NUDGE_SECONDS), "Ctrl+]")
        self._action("end_earlier", self.tr("End 0.1 s earlier"),
                     lambda: self.nudge_selected("end", -NUDGE_SECONDS), "Ctrl+Shift+[")
        self._action("end_later", self.tr("End 0.1 s later"),
                     lambda: self.nudge_selected("end", NUDGE_SECONDS), "Ctrl+Shift+]")
        self._action("replace", self.tr("Find and replace…"), self.show_replace_bar, "Ctrl+H")
        for action in self.actions_by_name.values():
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.addAction(action)
        self._set_editable(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.replace_bar)
        layout.addWidget(self.placeholder)
        layout.addWidget(self.table, 1)
        self._show_placeholder()

    def _action(self, name: str, text: str, slot, shortcut) -> QAction:
        action = QAction(text, self)
        action.triggered.connect(lambda: slot())
        action.setShortcut(QKeySequence(shortcut))
        self.actions_by_name[name] = action
        return action

    # -- what is shown ------------------------------------------------------------------

    def set_segments(self, segments: list[Segment], editable: bool) -> None:
        """Show a transcript; `editable` for a finished one. Clears the undo history."""
        self.undo_stack.clear()
        self._fitted_width = -1  # no fitting while the view changes; once, after
        self.table.verticalHeader().setDefaultSectionSize(self._line_height())
        self._show_speakers(segments)
        self.model.reset(segments)
        self._set_editable(editable)
        self._show_placeholder()
        self.table.doItemsLayout()  # now, so the scroll range is right before anything plays
        self._fit_all_soon()

    def _show_speakers(self, segments: list[Segment]) -> None:
        """The speaker column, each speaker in a colour of their own, when there are any."""
        names = list(dict.fromkeys(s.speaker for s in segments if s.speaker))
        self.model.speaker_colours = {
            name: QColor(SPEAKER_COLOURS[i % len(SPEAKER_COLOURS)]) for i, name in enumerate(names)}
        self.table.setColumnHidden(SPEAKER, not names)

    def append_segment(self, segment: Segment) -> None:
        """Add a segment as it is transcribed (the view is read-only meanwhile)."""
        self.model.append(segment)
        self._show_placeholder()

    def clear(self) -> None:
        self.set_segments([], editable=False)

    def segments(self) -> list[Segment]:
        return list(self.model.segments)

    def toPlainText(self) -> str:  # noqa: N802 - reads like the text view it replaced
        """Every segment as '[start → end] text', one per line."""
        return "\n".join(map(segment_line, self.model.segments))

    @property
    def modified(self) -> bool:
        return not self.undo_stack.isClean()

    def set_saved(self) -> None:
        """The current segments are saved: closing needs no question."""
        self.undo_stack.setClean()

    def _set_editable(self, editable: bool) -> None:
        self.model.editable = editable
        for name, action in self.actions_by_name.items():
            if name not in ("undo", "redo"):
                action.setEnabled(editable)

    def _show_placeholder(self) -> None:
        empty = not self.model.segments
        self.placeholder.setVisible(empty)
        self.table.setVisible(not empty)

    def _line_height(self) -> int:
        return self.table.fontMetrics().height() + ROW_PADDING

    def _fit_all_soon(self) -> None:
        """Fit the rows in view now and the rest a chunk at a time from the event loop, so a
        long transcript shows at once (rows scroll one at a time: their heights do not move
        the scroll range)."""
        self._fit_generation += 1
        generation, count = self._fit_generation, len(self.model.segments)
        top = max(0, self.table.rowAt(0))
        self.fit_rows(top, top + ROWS_FITTED_AT_ONCE - 1)

        def fit_from(first: int) -> None:
            if generation != self._fit_generation:  # another transcript or width since
                return
            self.fit_rows(first, first + ROWS_FITTED_AT_ONCE - 1)
            if first + ROWS_FITTED_AT_ONCE < count:
                QTimer.singleShot(0, lambda: fit_from(first + ROWS_FITTED_AT_ONCE))

        if count:
            QTimer.singleShot(0, lambda: fit_from(0))

    def fit_rows(self, first: int, last: int) -> None:
        """Give rows first..last the height their wrapped text needs."""
        width = self.table.columnWidth(TEXT) - 8
        if width <= 0:
            return
        self._fitted_width = width
        metrics = self.table.fontMetrics()
        header = self.table.verticalHeader()
        flags = int(Qt.AlignmentFlag.AlignLeft) | int(Qt.TextFlag.TextWordWrap)
        bounds = QRect(0, 0, width, 100_000)
        line = metrics.height()
        for row in range(max(0, first), min(last, len(self.model.segments) - 1) + 1):
            text = self.model.segments[row].text.strip()
            if metrics.horizontalAdvance(text) <= width:
                height = line
            else:
                height = metrics.boundingRect(bounds, flags, text).height()
            if header.sectionSize(row) != height + ROW_PADDING:
                header.resizeSection(row, height + ROW_PADDING)

    def _fit_if_text_changed(self, first: int, last: int) -> None:
        if first != self.model.playing_row or first != last:
            self.fit_rows(first, last)

    def _text_column_resized(self, column: int, _old: int, new: int) -> None:
        if column == TEXT and self._fitted_width >= 0 and new - 8 != self._fitted_width:
            self._fit_all_soon()

    # -- playback ------------------------------------------------------------------------

    def set_current_time(self, seconds: float) -> None:
        """Highlight the segment (and word) being heard at `seconds` and keep it in view."""
        segments = self.model.segments
        starts = [s.start for s in segments]
        row = bisect_right(starts, seconds) - 1
        if row >= 0 and seconds > segments[row].end + 0.5:
            row = -1  # in a pause between segments
        word = -1
        if row >= 0 and segments[row].words and len(segments[row].words) == len(
                segments[row].text.split()):
            word_starts = [w.start for w in segments[row].words]
            word = max(0, bisect_right(word_starts, seconds) - 1)
        if (row, word) == (self.model.playing_row, self.model.playing_word):
            return
        previous = self.model.playing_row
        self.model.playing_row, self.model.playing_word = row, word
        for changed in {previous, row} - {-1}:
            self.model.dataChanged.emit(self.model.index(changed, 0),
                                        self.model.index(changed, TEXT))
        reading_elsewhere = time.monotonic() - self._scrolled_by_hand < FOLLOW_PAUSE_SECONDS
        if row >= 0 and row != previous and not reading_elsewhere:
            self.table.scrollTo(self.model.index(row, TEXT),
                                QAbstractItemView.ScrollHint.EnsureVisible)

    def show_segment(self, row: int) -> None:
        """Select segment `row` and scroll it into the middle of the view."""
        if 0 <= row < len(self.model.segments):
            self.table.selectRow(row)
            self.table.scrollTo(self.model.index(row, TEXT),
                                QAbstractItemView.ScrollHint.PositionAtCenter)

    def playing_row(self) -> int:
        return self.model.playing_row

    def _clicked(self, index: QModelIndex) -> None:
        """A click on a segment plays from it; on a word of it, from that word."""
        if self.table.state() == QAbstractItemView.State.EditingState:
            return
        segment = self.model.segments[index.row()]
        self.play_requested.emit(self._word_time(index) if index.column() == TEXT
                                 else segment.start)

    def _current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid() and current.row() < len(self.model.segments):
            segment = self.model.segments[current.row()]
            self.segment_selected.emit(segment.start, segment.end)

    def _word_time(self, index: QModelIndex) -> float:
        """The start of the word clicked, else the segment's start."""
        segment = self.model.segments[index.row()]
        words = segment.text.split()
        if not segment.words or len(segment.words) != len(words) or self._pressed_at is None:
            return segment.start
        rect = self.table.visualRect(index)
        document = QTextDocument()
        document.setDefaultFont(self.table.font())
        document.setPlainText(" ".join(words))
        document.setTextWidth(rect.width() - 6)
        at = document.documentLayout().hitTest(self._pressed_at - rect.topLeft(),
                                               Qt.HitTestAccuracy.FuzzyHit)
        offsets, position = [], 0
        for word in words:
            offsets.append(position)
            position += len(word) + 1
        word = max(0, bisect_right(offsets, max(at, 0)) - 1)
        return segment.words[word].start

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt's name
        if watched is self.table.viewport() and event.type() == QEvent.Type.MouseButtonPress:
            self._pressed_at = event.position().toPoint()
        return super().eventFilter(watched, event)

    # -- edits -------------------------------------------------------------------------

    def apply(self, after: list[Segment], text: str) -> None:
        """Make an edit undoable and show it."""
        before = self.segments()
        if after != before:
            self.undo_stack.push(SegmentsChange(self, before, after, text))

    def _stack_moved(self, _index: int) -> None:
        if self.undo_stack.count():
            self.edited.emit()

    def _show_edit(self, segments: list[Segment]) -> None:
        self._show_speakers(segments)
        self.model.replace_segments(segments)
        self._show_placeholder()

    def selected_row(self) -> int:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        if rows:
            return rows[0]
        current = self.table.currentIndex()
        return current.row() if current.isValid() else -1

    def split_at_cursor(self) -> None:
        """Split the segment being edited at the text cursor (else the selected one in the
        middle of its words)."""
        editor = self.delegate.editor
        row = self.table.currentIndex().row() if editor is not None else self.selected_row()
        if row < 0:
            return
        if editor is not None:
            text, at = editor.text(), editor.cursorPosition()
            self.table.closePersistentEditor(self.table.currentIndex())
            self.table.setFocus()
            segments = self.segments()
            if text.strip() != segments[row].text.strip():
                segments = editing.set_text(segments, row, text)
            # The editor's text has no leading space; the segment's has one.
            self.apply(editing.split(segments, row, at + 1), self.tr("Split segment"))
            return
        words = self.model.segments[row].text.split()
        middle = len(" " + " ".join(words[: len(words) // 2]))
        self.apply(editing.split(self.segments(), row, middle), self.tr("Split segment"))

    def merge_selected(self) -> None:
        row = self.selected_row()
        if row >= 0:
            self.apply(editing.merge(self.segments(), row), self.tr("Merge segments"))

    def delete_selected(self) -> None:
        if self.table.state() == QAbstractItemView.State.EditingState:
            return
        row = self.selected_row()
        if row >= 0:
            self.apply(editing.delete(self.segments(), row), self.tr("Delete segment"))

    def nudge_selected(self, edge: str, seconds: float) -> None:
        row = self.selected_row()
        if row >= 0:
            what = (self.tr("Move start {seconds:+.1f} s") if edge == "start"
                    else self.tr("Move end {seconds:+.1f} s")).format(seconds=seconds)
            self.apply(editing.nudge(self.segments(), row, edge, seconds), what)

    def replace_all(self, find: str, replacement: str, case: bool, whole_word: bool) -> int:
        """Replace every match, as one undoable step; returns how many were replaced."""
        after, count = editing.replace_all(self.segments(), find, replacement, case, whole_word)
        self.apply(after, self.tr("Replace {count} × “{find}”").format(count=count, find=find))
        return count

    def find_next(self, find: str, case: bool = False, whole_word: bool = False) -> bool:
        """Select the next segment (after the selected one, wrapping) that holds `find`."""
        matches = editing.find_all(self.model.segments, find, case, whole_word)
        if not matches:
            return False
        rows = sorted({row for row, _, _ in matches})
        current = self.selected_row()
        row = next((r for r in rows if r > current), rows[0])
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, TEXT))
        return True

    def show_replace_bar(self) -> None:
        self.replace_bar.show()
        self.replace_bar.find_edit.setFocus()
        self.replace_bar.find_edit.selectAll()

    def menu(self) -> QMenu:
        menu = QMenu(self)
        row = self.selected_row()
        if row >= 0:
            segment = self.model.segments[row]
            menu.addAction(
                self.tr("Play from here"), lambda: self.play_requested.emit(segment.start)
            )
            menu.addAction(self.tr("Loop this segment"),
                           lambda: self.loop_requested.emit(segment.start, segment.end))
            menu.addSeparator()
        for name in ("split", "merge", "delete", None, "start_earlier", "start_later",
                     "end_earlier", "end_later", None, "undo", "redo", "replace"):
            if name is None:
                menu.addSeparator()
            else:
                menu.addAction(self.actions_by_name[name])
        return menu

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(600, 300)

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and self.delegate.editor is not None:
            # Ctrl+Return splits while editing; the line editor would take it otherwise.
            if event.keyCombination().toCombined() == QKeySequence("Ctrl+Return")[0].toCombined():
                event.accept()
        return super().event(event)


class ReplaceBar(QWidget):
    """Find and replace within the transcript: case, whole words, replace all (one undo)."""

    def __init__(self, editor: TranscriptEditor) -> None:
        super().__init__(editor)
        self.editor = editor
        self.find_edit = QLineEdit()
        self.find_edit.setAccessibleName(self.tr("Find"))
        self.find_edit.setPlaceholderText(self.tr("Find"))
        self.replace_edit = QLineEdit()
        self.replace_edit.setAccessibleName(self.tr("Replace with"))
        self.replace_edit.setPlaceholderText(self.tr("Replace with"))
        self.case_box = QCheckBox(self.tr("Match case"))
        self.word_box = QCheckBox(self.tr("Whole words"))
        self.next_button = QPushButton(self.tr("Find next"))
        self.all_button = QPushButton(self.tr("Replace all"))
        self.close_button = QPushButton(self.tr("Close"))
        self.result = QLabel()
        self.next_button.clicked.connect(self.find_next)
        self.find_edit.returnPressed.connect(self.find_next)
        self.all_button.clicked.connect(self.replace_all)
        self.close_button.clicked.connect(self.hide)
        find_row, replace_row = QHBoxLayout(), QHBoxLayout()  # two rows: it fits narrow windows
        for widget in (self.find_edit, self.case_box, self.word_box, self.next_button):
            find_row.addWidget(widget)
        for widget in (self.replace_edit, self.all_button, self.result, self.close_button):
            replace_row.addWidget(widget)
        rows = QVBoxLayout(self)
        rows.setContentsMargins(0, 0, 0, 4)
        rows.addLayout(find_row)
        rows.addLayout(replace_row)

    def find_next(self) -> None:
        found = self.editor.find_next(self.find_edit.text(), self.case_box.isChecked(),
                                      self.word_box.isChecked())
        self.result.setText("" if found else self.tr("Not found"))

    def replace_all(self) -> None:
        if not self.editor.model.editable:
            self.result.setText(self.tr("Wait until the file is done"))
            return
        count = self.editor.replace_all(self.find_edit.text(), self.replace_edit.text(),
                                        self.case_box.isChecked(), self.word_box.isChecked())
        self.result.setText(self.tr("{count} replaced").format(count=count))

