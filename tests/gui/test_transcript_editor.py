"""The transcript editor on its own: correct, split, merge, undo, find and replace, follow."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt

from grym_desktop.transcript import Segment, Word
from grym_desktop.ui.transcript_editor import TEXT, TranscriptEditor

pytestmark = pytest.mark.gui


def timed(text: str, start: float, step: float = 0.5) -> Segment:
    words = [Word(round(start + i * step, 3), round(start + (i + 1) * step, 3), f" {w}")
             for i, w in enumerate(text.split())]
    return Segment(start, words[-1].end, f" {text}", words)


MODEL_TEXT = [timed("hello world this is", 0.0), timed("a test of the", 2.5),
              timed("transcription", 5.0)]


@pytest.fixture
def editor(qtbot):
    widget = TranscriptEditor()
    qtbot.addWidget(widget)
    widget.resize(900, 400)
    widget.show()
    widget.set_segments(MODEL_TEXT, editable=True)
    return widget


def texts(editor) -> list[str]:
    return [s.text.strip() for s in editor.segments()]


def type_into(qtbot, editor, row: int, text: str, cursor: int | None = None):
    """Double-click a segment's text, type, and leave the cursor at `cursor`."""
    index = editor.model.index(row, TEXT)
    editor.table.setCurrentIndex(index)
    editor.table.edit(index)
    qtbot.waitUntil(lambda: editor.delegate.editor is not None)
    line = editor.delegate.editor
    line.setText(text)
    if cursor is not None:
        line.setCursorPosition(cursor)
    return line


def test_edit_split_merge_then_undo_to_the_model_and_redo_forward(qtbot, editor):
    line = type_into(qtbot, editor, 0, "hello there this is")
    qtbot.keyClick(line, Qt.Key.Key_Return)  # the delegate commits on the next event loop turn
    qtbot.waitUntil(lambda: texts(editor)[0] == "hello there this is")
    assert editor.modified

    type_into(qtbot, editor, 1, "a test of the", cursor=len("a test "))
    editor.actions_by_name["split"].trigger()
    assert texts(editor) == ["hello there this is", "a test", "of the", "transcription"]
    assert editor.segments()[2].start == 3.5  # where "of" was heard

    editor.table.selectRow(2)
    editor.actions_by_name["merge"].trigger()
    assert texts(editor) == ["hello there this is", "a test", "of the transcription"]

    for _ in range(3):
        editor.actions_by_name["undo"].trigger()
    assert editor.segments() == MODEL_TEXT and not editor.modified
    for _ in range(3):
        editor.actions_by_name["redo"].trigger()
    assert texts(editor) == ["hello there this is", "a test", "of the transcription"]


def test_replace_all_is_one_undoable_step(editor):
    assert editor.replace_all("the", "THE", case=False, whole_word=True) == 1
    assert editor.replace_all("is", "was", case=False, whole_word=True) == 1
    assert texts(editor)[:2] == ["hello world this was", "a test of THE"]
    editor.actions_by_name["undo"].trigger()
    assert texts(editor)[0] == "hello world this is"
    editor.actions_by_name["undo"].trigger()
    assert editor.segments() == MODEL_TEXT


def test_nudge_and_delete_the_selected_segment(editor):
    editor.table.selectRow(1)
    editor.actions_by_name["start_earlier"].trigger()
    assert editor.segments()[1].start == 2.4
    editor.actions_by_name["delete"].trigger()
    assert texts(editor) == ["hello world this is", "transcription"]
    editor.undo_stack.undo()
    editor.undo_stack.undo()
    assert editor.segments() == MODEL_TEXT


def test_the_segment_and_word_being_heard_are_marked_and_kept_in_view(qtbot, editor):
    many = [timed(f"sentence number {i} goes here", i * 3.0) for i in range(200)]
    editor.set_segments(many, editable=True)
    editor.set_current_time(150 * 3.0 + 1.1)  # the third word of segment 150
    assert editor.playing_row() == 150 and editor.model.playing_word == 2
    qtbot.waitUntil(lambda: editor.table.viewport().rect().contains(
        editor.table.visualRect(editor.model.index(150, TEXT)).center()))
    editor.set_current_time(150 * 3.0 + 2.6)  # past the last word: in a pause
    assert editor.playing_row() == 150
    editor.set_current_time(10_000)
    assert editor.playing_row() == -1


def test_a_click_plays_from_the_segment_or_from_the_word_clicked(qtbot, editor):
    rect = editor.table.visualRect(editor.model.index(1, 0))
    with qtbot.waitSignal(editor.play_requested) as start_clicked:
        qtbot.mouseClick(editor.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert start_clicked.args == [2.5]

    text_rect = editor.table.visualRect(editor.model.index(1, TEXT))
    metrics = editor.table.fontMetrics()
    x = text_rect.left() + 3 + metrics.horizontalAdvance("a test o")  # inside "of"
    with qtbot.waitSignal(editor.play_requested) as word_clicked:
        qtbot.mouseClick(editor.table.viewport(), Qt.MouseButton.LeftButton,
                         pos=QPoint(x, text_rect.center().y()))
    assert word_clicked.args == [3.5]


def test_a_running_transcript_is_read_only_and_the_text_reads_like_before(editor):
    editor.set_segments([], editable=False)
    editor.append_segment(MODEL_TEXT[0])
    assert not editor.actions_by_name["split"].isEnabled()
    assert editor.toPlainText() == "[00:00.00 → 00:02.00] hello world this is"
    assert not editor.model.flags(editor.model.index(0, TEXT)) & Qt.ItemFlag.ItemIsEditable


def test_the_menu_plays_or_loops_the_selected_segment(qtbot, editor):
    editor.table.selectRow(1)
    actions = {a.text(): a for a in editor.menu().actions() if a.text()}
    with qtbot.waitSignal(editor.loop_requested) as looped:
        actions["Loop this segment"].trigger()
    assert looped.args == [2.5, 4.5]
    with qtbot.waitSignal(editor.play_requested) as played:
        actions["Play from here"].trigger()
    assert played.args == [2.5]


def test_playback_leaves_the_view_alone_a_while_after_a_person_scrolls(qtbot, editor):
    many = [timed(f"sentence number {i} goes here", i * 3.0) for i in range(200)]
    editor.set_segments(many, editable=True)
    bar = editor.table.verticalScrollBar()
    bar.triggerAction(bar.SliderAction.SliderPageStepAdd)  # what a wheel or a drag does
    where = bar.value()
    editor.set_current_time(150 * 3.0 + 1.0)
    assert editor.playing_row() == 150 and bar.value() == where  # marked, not scrolled to
    editor._scrolled_by_hand -= 10  # a while later
    editor.set_current_time(160 * 3.0 + 1.0)
    qtbot.waitUntil(lambda: bar.value() != where)


def test_a_long_transcript_gets_every_row_measured_soon_after_it_opens(qtbot, editor):
    long_text = " ".join(["word"] * 200)
    many = [timed(long_text if i % 2 else "short", i * 3.0, 0.01) for i in range(1200)]
    editor.set_segments(many, editable=True)
    header = editor.table.verticalHeader()
    qtbot.waitUntil(lambda: header.sectionSize(1199) > 2 * header.sectionSize(1198))
