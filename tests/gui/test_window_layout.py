"""The window as a person uses it all day: long text never widens it, a transcript being read
is never replaced under them, and every finished file is one click away."""

from __future__ import annotations

import shutil

import pytest
from helpers import DATA, HELLO
from PySide6.QtCore import Qt
from window_helpers import WAIT_MS, answer_next_dialog, drop_files, finished, rows

from grym_desktop.memory.limits import parse_size
from grym_desktop.store.library import Library
from grym_desktop.transcript import Segment, Transcript
from grym_desktop.ui.main_window import MainWindow, settings_from_env

pytestmark = [pytest.mark.gui, pytest.mark.integration]

WIDTH = 1366  # a common laptop screen


def open_window(qtbot, limit: str = "16GiB") -> MainWindow:
    window = MainWindow(parse_size(limit), settings_from_env())
    qtbot.addWidget(window)
    window.show()
    window.resize(WIDTH, 740)
    qtbot.waitUntil(lambda: window.width() == WIDTH)
    return window


def click_row(qtbot, view, item) -> None:
    centre = view.visualItemRect(item).center()
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=centre)


def test_a_long_error_and_a_long_file_name_leave_the_width_unchanged(qtbot, tmp_path):
    long_name = tmp_path / ("a recording with a very long name " * 6 + ".wav")
    assert len(long_name.name) >= 200
    shutil.copy(HELLO, long_name)
    window = open_window(qtbot, "200MiB")  # the guard refuses: a long sentence with numbers
    drop_files(window.drop_zone, [long_name])
    qtbot.waitUntil(lambda: finished(window, 1), timeout=WAIT_MS)
    status = rows(window)[0][1]
    assert status.startswith("refused: ") and len(status) > 250, status
    qtbot.wait(50)  # one more round of layout
    assert window.width() == WIDTH
    assert window.minimumSizeHint().width() <= WIDTH
    # The whole text is still there for whoever wants it.
    assert window.transcript_title.toolTip().startswith(long_name.name)


def test_a_transcript_opened_from_history_stays_while_the_queue_runs(qtbot):
    window = open_window(qtbot)
    drop_files(window.drop_zone, [HELLO])
    qtbot.waitUntil(lambda: finished(window, 1), timeout=WAIT_MS)
    click_row(qtbot, window.history, window.history.item(0))
    assert window.transcript_title.full_text().startswith("hello_world.wav")
    reading = window.transcript_view.toPlainText()
    assert "world" in reading.lower()

    drop_files(window.drop_zone, [DATA / "sentence.ogg", DATA / "numbers_44k_stereo.flac"])
    qtbot.waitUntil(lambda: finished(window, 3), timeout=WAIT_MS)
    assert window.transcript_title.full_text().startswith("hello_world.wav")
    assert window.transcript_view.toPlainText() == reading, "the view was not replaced"
    assert "click its row" in window.statusBar().currentMessage()

    # Each finished file is one click away, in the queue as in the history.
    click_row(qtbot, window.queue, window.queue.topLevelItem(1))
    assert window.transcript_title.full_text().startswith("sentence.ogg")
    assert "fox" in window.transcript_view.toPlainText().lower()
    click_row(qtbot, window.queue, window.queue.topLevelItem(2))
    assert window.transcript_title.full_text().startswith("numbers_44k_stereo.flac")
    assert window.export_row.button.isEnabled()


def test_the_view_follows_the_queue_until_the_user_opens_something(qtbot):
    window = open_window(qtbot)
    drop_files(window.drop_zone, [HELLO, DATA / "sentence.ogg"])
    qtbot.waitUntil(lambda: finished(window, 2), timeout=WAIT_MS)
    assert window.transcript_title.full_text().startswith("sentence.ogg")
    assert "fox" in window.transcript_view.toPlainText().lower()


def test_time_left_comes_from_the_pace_so_far():
    from grym_desktop.ui.main_window import time_left

    assert time_left(100.0, 0.1, 110.0, 0.3) == "00:35 left"  # 20 % in 10 s, 70 % to go
    assert time_left(100.0, 0.1, 101.0, 0.3) == "", "too soon to say"
    assert time_left(100.0, 0.1, 110.0, 0.11) == "", "too little done to say"
    assert time_left(100.0, 0.1, 110.0, 1.0) == ""


def test_history_filters_and_its_menu_deletes_after_asking_and_transcribes_again(qtbot):
    window = open_window(qtbot)
    drop_files(window.drop_zone, [HELLO, DATA / "sentence.ogg"])
    qtbot.waitUntil(lambda: finished(window, 2), timeout=WAIT_MS)
    history = window.history
    visible = lambda: [history.item(i).text().splitlines()[0]  # noqa: E731
                       for i in range(history.count()) if not history.item(i).isHidden()]
    assert visible() == ["sentence.ogg", "hello_world.wav"]
    window.history_filter.setText("hello")
    assert visible() == ["hello_world.wav"]
    window.history_filter.clear()

    item = history.item(0)  # sentence.ogg
    menu = history.menu_for(item)
    actions = {a.text(): a for a in menu.actions() if a.text()}
    assert list(actions) == ["Open", "Rename…", "Star", "Transcribe again with", "Show in folder",
                             "Delete…"]
    declined = answer_next_dialog("No")
    actions["Delete…"].trigger()
    assert declined.title == "Delete transcript?" and "sentence.ogg" in declined.text
    assert visible() == ["sentence.ogg", "hello_world.wav"]
    confirmed = answer_next_dialog("Yes")
    actions["Delete…"].trigger()
    assert confirmed.clicked == "Yes"
    assert visible() == ["hello_world.wav"]

    again = next(a.menu() for a in history.menu_for(history.item(0)).actions()
                 if a.text() == "Transcribe again with")
    assert "whisper-tiny.en" in [a.text() for a in again.actions()]
    next(a for a in again.actions() if a.text() == "whisper-tiny.en").trigger()
    qtbot.waitUntil(lambda: finished(window, 3), timeout=WAIT_MS)
    assert rows(window)[2][0] == "hello_world.wav" and rows(window)[2][1].startswith("done")


def shown_names(history) -> list[str]:
    """The library's rows as the user sees them: the first line of each one not filtered out."""
    return [history.item(i).text().splitlines()[0]
            for i in range(history.count()) if not history.item(i).isHidden()]


def _saved_transcript(library, file: str, text: str) -> int:
    transcript_id = library.begin_transcript(file, "whisper-tiny.en", "ctranslate2", "int8", 2.0)
    library.finish_transcript(transcript_id, Transcript(
        file=file, model="whisper-tiny.en", engine="ctranslate2", precision="int8",
        language="en", duration=2.0, segments=[Segment(0.0, 2.0, text)]))
    return transcript_id


def test_history_renames_and_stars_and_both_survive_a_restart(qtbot, tmp_path):
    library = Library()
    _saved_transcript(library, str(tmp_path / "hello_world.wav"), "hello world")
    _saved_transcript(library, str(tmp_path / "sentence.ogg"), "the quick brown fox")
    library.close()
    window = open_window(qtbot)
    history = window.history

    def act(row: int, text: str, answer: str | None = None, typed: str | None = None):
        actions = {a.text(): a for a in history.menu_for(history.item(row)).actions()}
        dialog = answer_next_dialog(answer, type_text=typed) if answer else None
        actions[text].trigger()
        return dialog

    assert shown_names(history) == ["sentence.ogg", "hello_world.wav"]
    renamed = act(0, "Rename…", "OK", typed="Interview  with\tAda")
    assert renamed.clicked == "OK" and renamed.title == "Rename transcript"
    assert shown_names(history) == ["Interview with Ada", "hello_world.wav"]
    window.history_filter.setText("ada")
    assert shown_names(history) == ["Interview with Ada"]
    window.history_filter.setText("sentence.ogg")  # its file still finds it
    assert shown_names(history) == ["Interview with Ada"]
    window.history_filter.clear()
    act(1, "Star")
    assert shown_names(history) == ["Interview with Ada", "★ hello_world.wav"]
    window.starred_only.setChecked(True)
    assert shown_names(history) == ["★ hello_world.wav"]
    window.close()

    again = open_window(qtbot)
    history = again.history
    assert shown_names(history) == ["Interview with Ada", "★ hello_world.wav"]
    act(1, "Remove star")
    act(0, "Rename…", "OK", typed="")  # no name: the file's name again
    assert shown_names(history) == ["sentence.ogg", "hello_world.wav"]


def test_files_dropped_anywhere_on_the_window_are_queued(qtbot):
    window = open_window(qtbot)
    drop_files(window.history, [HELLO])  # the library sidebar, not the drop zone
    assert rows(window) == [("hello_world.wav", "queued")]
    qtbot.waitUntil(lambda: finished(window, 1), timeout=WAIT_MS)
    assert rows(window)[0][1].startswith("done")


def test_the_library_sorts_by_name_and_length_and_shows_corrected_ones_alone(qtbot, tmp_path):
    library = Library()
    for name, seconds in (("b_short.wav", 2.0), ("a_long.wav", 90.0), ("c_mid.wav", 30.0)):
        transcript_id = library.begin_transcript(str(tmp_path / name), "whisper-tiny.en",
                                                 "ctranslate2", "int8", seconds)
        library.finish_transcript(transcript_id, Transcript(
            file=str(tmp_path / name), model="whisper-tiny.en", engine="ctranslate2",
            precision="int8", language="en", duration=seconds,
            segments=[Segment(0.0, 1.0, f" words of {name}")]))
    library.save_edit(transcript_id, [Segment(0.0, 1.0, " corrected words")])  # c_mid.wav
    library.close()
    window = open_window(qtbot)
    history = window.history

    assert shown_names(history) == ["c_mid.wav", "a_long.wav", "b_short.wav"]  # newest first
    window.history_sort.setCurrentText("Name")
    assert shown_names(history) == ["a_long.wav", "b_short.wav", "c_mid.wav"]
    window.history_sort.setCurrentText("Longest first")
    assert shown_names(history) == ["a_long.wav", "c_mid.wav", "b_short.wav"]
    window.history_length.setCurrentText("Under 1 minute")
    assert shown_names(history) == ["c_mid.wav", "b_short.wav"]
    window.edited_only.setChecked(True)
    assert shown_names(history) == ["c_mid.wav"] and "corrected" in history.item(1).text()
