"""Choices in the window: the Settings dialog (kept across restarts and used for the next
file), the menu bar with its shortcuts, and an export that never overwrites unasked."""

from __future__ import annotations

import pytest
from helpers import HELLO
from PySide6.QtWidgets import QDialogButtonBox
from window_helpers import WAIT_MS, answer_next_dialog, drop_files, finished, rows

from grym_desktop.memory.limits import format_size
from grym_desktop.transcript import Segment, Transcript
from grym_desktop.ui.main_window import MainWindow, settings_from_env
from grym_desktop.ui.settings_dialog import transcribe_choices

pytestmark = [pytest.mark.gui]


def open_window(qtbot) -> MainWindow:
    window = MainWindow(16 * 1024**3, settings_from_env())
    qtbot.addWidget(window)
    window.show()
    return window


def press_ok(dialog) -> None:
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()


def test_settings_survive_a_restart_and_apply_at_once(qtbot):
    first = open_window(qtbot)
    dialog = first.open_settings()
    dialog.limit_edit.setText("3GiB")
    dialog.language_box.setCurrentIndex(dialog.language_box.findData("de"))
    dialog.translate_box.setChecked(True)
    dialog.vad_box.setChecked(True)
    assert dialog.early_box.isChecked()  # on unless turned off
    dialog.early_box.setChecked(False)
    dialog.beam_spin.setValue(2)
    dialog.precision_box.setCurrentIndex(dialog.precision_box.findData("int8"))
    press_ok(dialog)
    assert not dialog.isVisible()
    assert first.limit_bytes == 3 * 1024**3 and first.worker.limit_bytes == 3 * 1024**3
    assert f"of {format_size(3 * 1024**3)}" in first.pressure_label.full_text()
    first.close()

    second = open_window(qtbot)
    choices = transcribe_choices(second.settings)
    assert choices.options.language == "de" and choices.options.task == "translate"
    assert choices.options.vad_filter and choices.options.beam_size == 2
    assert not choices.options.early_segments
    assert choices.precision == "int8"
    again = second.open_settings()
    assert again.limit_edit.text() == "3GiB"
    assert again.language_box.currentData() == "de" and again.translate_box.isChecked()
    again.reject()


def test_a_bad_memory_limit_keeps_the_dialog_open_with_the_reason(qtbot):
    window = open_window(qtbot)
    dialog = window.open_settings()
    dialog.limit_edit.setText("lots")
    press_ok(dialog)
    assert dialog.isVisible() and dialog.error_label.isVisible()
    assert "lots" in dialog.error_label.text()
    assert window.settings.value("memory_limit") in (None, "")
    dialog.reject()


def test_the_next_file_is_transcribed_with_the_settings(qtbot):
    window = open_window(qtbot)
    dialog = window.open_settings()
    dialog.precision_box.setCurrentIndex(dialog.precision_box.findData("int8"))
    dialog.beam_spin.setValue(1)
    press_ok(dialog)
    drop_files(window.drop_zone, [HELLO])
    qtbot.waitUntil(lambda: finished(window, 1), timeout=WAIT_MS)
    assert rows(window)[0][1].startswith("done")
    assert "· int8" in window.transcript_title.full_text()


def test_menus_hold_the_commands_with_their_shortcuts(qtbot):
    window = open_window(qtbot)
    menus = {a.text().replace("&", ""): a.menu() for a in window.menuBar().actions()}
    assert list(menus) == ["File", "Edit", "View", "Models", "Help"]
    shortcuts = {a.text().replace("&", ""): a.shortcut().toString()
                 for menu in menus.values() for a in menu.actions() if a.text()}
    assert shortcuts["Open files…"] == "Ctrl+O"
    assert shortcuts["Export transcript…"] == "Ctrl+E"
    assert shortcuts["Find in transcript…"] == "Ctrl+F"
    assert shortcuts["Start/stop recording"] == "Ctrl+R"
    assert shortcuts["Quit"] == "Ctrl+Q"
    # The Live dock closes, takes no room, and comes back from the View menu.
    window.live_dock.close()
    assert not window.live_dock.isVisible()
    live = next(a for a in menus["View"].actions() if a.text().replace("&", "").startswith("Live"))
    live.trigger()
    assert window.live_dock.isVisible()


def test_export_asks_before_replacing_a_file(qtbot, tmp_path):
    window = open_window(qtbot)
    transcript = Transcript(file=str(tmp_path / "talk.wav"), model="whisper-tiny.en",
                            engine="ctranslate2", precision="int8", language="en", duration=1.0,
                            segments=[Segment(0.0, 1.0, " Hello there.")])
    window.show_transcript(transcript)
    window.export_row.format_box.setCurrentText("txt")
    existing = tmp_path / "talk.txt"
    existing.write_text("keep me")

    dialog = window.export_row.choose_file()
    assert dialog.selectedFiles()[0] == str(existing), "the name is proposed"
    declined = answer_next_dialog("No")
    dialog.accept()
    assert declined.clicked == "No" and "already exists" in declined.text
    assert existing.read_text() == "keep me"

    replaced = answer_next_dialog("Yes")
    dialog.accept()
    assert replaced.clicked == "Yes"
    assert "Hello there." in existing.read_text()
    assert not dialog.isVisible()
    qtbot.waitUntil(lambda: "Exported" in window.statusBar().currentMessage())
