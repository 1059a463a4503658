"""Correcting a transcript in the real window: edits, undo, save, export, and a crash."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest
from helpers import HELLO
from PySide6.QtCore import Qt
from window_helpers import WAIT_MS, answer_next_dialog, drop_files, finished, open_editing_window

from grym_desktop.store.library import Library
from grym_desktop.transcript import Segment, Transcript
from grym_desktop.ui.transcript_editor import TEXT

pytestmark = [pytest.mark.gui, pytest.mark.integration]



def texts(window) -> list[str]:
    return [s.text.strip() for s in window.transcript_view.segments()]


def edit_text(qtbot, window, row: int, text: str, cursor: int | None = None):
    view = window.transcript_view
    index = view.model.index(row, TEXT)
    view.table.setCurrentIndex(index)
    view.table.edit(index)
    qtbot.waitUntil(lambda: view.delegate.editor is not None)
    view.delegate.editor.setText(text)
    if cursor is not None:
        view.delegate.editor.setCursorPosition(cursor)
    return view.delegate.editor


def test_correct_undo_redo_save_and_export_keep_the_models_text(qtbot, tmp_path):
    window = open_editing_window(qtbot)
    drop_files(window.drop_zone, [HELLO])
    qtbot.waitUntil(lambda: finished(window, 1), timeout=WAIT_MS)
    model_text = texts(window)
    assert len(model_text) == 1 and "world" in model_text[0].lower()
    library_id = window.shown.library_id
    assert library_id is not None

    line = edit_text(qtbot, window, 0, "Hello moon, this is a test of the transcription.")
    qtbot.keyClick(line, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "moon" in texts(window)[0])
    assert "not saved" in window.transcript_title.full_text()
    edit_text(qtbot, window, 0, texts(window)[0], cursor=len("Hello moon,"))
    window.transcript_view.actions_by_name["split"].trigger()
    assert texts(window) == ["Hello moon,", "this is a test of the transcription."]
    window.transcript_view.table.selectRow(0)
    window.transcript_view.actions_by_name["merge"].trigger()
    assert texts(window) == ["Hello moon, this is a test of the transcription."]

    undo = window.transcript_view.actions_by_name["undo"]
    redo = window.transcript_view.actions_by_name["redo"]
    for _ in range(3):
        undo.trigger()
    assert texts(window) == model_text and not window.transcript_view.modified
    for _ in range(3):
        redo.trigger()
    assert texts(window) == ["Hello moon, this is a test of the transcription."]

    assert window.save_edits()
    assert "corrected" in window.transcript_title.full_text()
    assert "not saved" not in window.transcript_title.full_text()
    library = Library()
    try:
        assert "moon" in library.load_transcript(library_id).text
        assert library.load_transcript(library_id).edited
        assert library.load_original(library_id).text.split() == " ".join(model_text).split()
    finally:
        library.close()
    srt = window.export_row.export_to(str(tmp_path), "srt")
    assert "Hello moon, this is a test" in srt.read_text()
    exported = json.loads(window.export_row.export_to(str(tmp_path), "json").read_text())
    assert exported["edited"] is True
    assert "corrected" in window.history.item(0).text()


KILLED_MID_EDIT = textwrap.dedent("""
    import sys, time
    from PySide6.QtWidgets import QApplication
    from grym_desktop import editing
    from grym_desktop.store.library import Library
    from grym_desktop.ui.main_window import MainWindow, settings_from_env

    app = QApplication(sys.argv[:1])
    window = MainWindow(16 * 1024**3, settings_from_env())
    window.show()
    window.open_history_item(int(sys.argv[1]))
    view = window.transcript_view
    view.apply(editing.set_text(view.segments(), 0, "the corrected words"), "Edit text")
    library = Library()
    deadline = time.monotonic() + 30
    while not library.drafts() and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.05)
    print("edited" if library.drafts() else "no draft", flush=True)
    while True:  # killed here, mid-edit, before anything is saved
        app.processEvents()
        time.sleep(0.05)
""")


def test_a_window_killed_mid_edit_offers_the_corrections_at_the_next_start(qtbot, tmp_path):
    library = Library()
    transcript_id = library.begin_transcript(str(tmp_path / "talk.wav"), "whisper-tiny.en",
                                             "ctranslate2", "int8", 4.0)
    library.finish_transcript(transcript_id, Transcript(
        file=str(tmp_path / "talk.wav"), model="whisper-tiny.en", engine="ctranslate2",
        precision="int8", language="en", duration=4.0,
        segments=[Segment(0.0, 2.0, " the model's words"), Segment(2.0, 4.0, " and more")]))
    library.close()

    child = subprocess.Popen([sys.executable, "-c", KILLED_MID_EDIT, str(transcript_id)],
                             stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    try:
        assert child.stdout.readline().strip() == "edited"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()

    window = open_editing_window(qtbot)
    asked = answer_next_dialog("Open")
    window.offer_drafts()
    assert asked.title == "Unsaved corrections" and "talk.wav" in asked.text
    assert texts(window) == ["the corrected words", "and more"]
    assert window.transcript_view.modified and "not saved" in window.transcript_title.full_text()
    library = Library()
    try:  # nothing was saved over the transcript: the library still has the model's text
        assert library.load_transcript(transcript_id).text == "the model's words and more"
    finally:
        library.close()
    assert window.save_edits()
    assert Library().load_transcript(transcript_id).text == "the corrected words and more"
