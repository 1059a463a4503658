"""A watched folder in the real window (real worker, model host and tiny.en): a file copied in
is transcribed into the output folder and the library, and a restarted window does not do it
again; a transcript that cannot be written fails in the ledger and is done at the next start."""

from __future__ import annotations

import shutil

import pytest
from helpers import DATA, HELLO, words
from PySide6.QtWidgets import QDialogButtonBox
from window_helpers import WAIT_MS, finished, rows

from grym_desktop.batch.ledger import Ledger
from grym_desktop.ui.main_window import MainWindow, settings_from_env

pytestmark = [pytest.mark.gui, pytest.mark.integration]

NUMBERS = DATA / "numbers_44k_stereo.flac"


def open_window(qtbot) -> MainWindow:
    window = MainWindow(16 * 1024**3, settings_from_env())
    qtbot.addWidget(window)  # closed at teardown, which stops the watch, worker and host
    window.show()
    return window


def history(window) -> list[str]:
    return [window.history.item(i).text().splitlines()[0] for i in range(window.history.count())]


def ledger_of(folder):
    ledger = Ledger(folder)
    try:
        return ledger.summary(), ledger.failures()
    finally:
        ledger.close()


def test_copied_files_are_transcribed_once_and_a_restart_does_only_what_failed(qtbot, tmp_path):
    watched, output = tmp_path / "incoming", tmp_path / "transcripts"
    watched.mkdir()
    first = open_window(qtbot)
    dialog = first.open_watch_dialog()
    dialog.folder_edit.setText(str(watched))
    dialog.output_edit.setText(str(output))
    dialog.format_box.setCurrentText("txt")
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()
    assert not dialog.isVisible()
    assert first.watch_label.full_text() == f"Watching {watched} → {output}"

    # A file where day1's transcripts would go: writing the second transcript fails.
    output.mkdir(exist_ok=True)
    (output / "day1").write_text("a file, not a folder")
    shutil.copy(HELLO, watched / "hello_world.wav")
    (watched / "day1").mkdir()
    shutil.copy(NUMBERS, watched / "day1" / "numbers.flac")
    qtbot.waitUntil(lambda: finished(first, 2), timeout=WAIT_MS)

    assert sorted(name for name, _status in rows(first)) == ["hello_world.wav", "numbers.flac"]
    assert all(status.startswith("done") for _name, status in rows(first))
    text = (output / "hello_world.txt").read_text().lower()
    assert "hello" in text and "world" in text
    assert sorted(history(first)) == ["hello_world.wav", "numbers.flac"]
    summary, failures = ledger_of(output)
    assert (summary["done"], summary["failed"]) == (1, 1)
    [(path, sentence)] = failures
    assert path == str(watched / "day1" / "numbers.flac")
    assert sentence.startswith("Could not write")
    assert "part of its folder path is a file" in sentence
    first.close()

    # The next start watches again: hello_world.wav is done; numbers.flac is tried again.
    (output / "day1").unlink()
    second = open_window(qtbot)
    assert second.watch_label.full_text() == f"Watching {watched} → {output}"
    qtbot.waitUntil(lambda: second.watch_runner.scan_done, timeout=WAIT_MS)
    assert [name for name, _status in rows(second)] == ["numbers.flac"]
    qtbot.waitUntil(lambda: finished(second, 1), timeout=WAIT_MS)

    assert "seven" in words((output / "day1" / "numbers.txt").read_text())
    assert sorted(history(second)) == ["hello_world.wav", "numbers.flac", "numbers.flac"]
    summary, failures = ledger_of(output)
    assert (summary["done"], summary["failed"]) == (2, 0) and failures == []


def test_stop_watching_is_kept_across_a_restart(qtbot, tmp_path):
    watched = tmp_path / "incoming"
    watched.mkdir()
    first = open_window(qtbot)
    assert not first.stop_watch_action.isEnabled()
    dialog = first.open_watch_dialog()
    dialog.folder_edit.setText(str(tmp_path / "missing"))
    dialog.output_edit.setText(str(tmp_path / "out"))
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()
    assert dialog.isVisible() and "is not a folder" in dialog.error_label.text()
    dialog.folder_edit.setText(str(watched))
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()
    assert first.watch_label.isVisible() and first.stop_watch_action.isEnabled()
    first.stop_watch_action.trigger()
    assert not first.watch_label.isVisible() and not first.watch_runner.watching
    first.close()

    second = open_window(qtbot)
    assert not second.watch_runner.watching and not second.watch_label.isVisible()
