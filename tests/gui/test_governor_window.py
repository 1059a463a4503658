"""The memory governor as the window shows it: refusal with override, fallback sentence."""

from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from grym_desktop.memory.limits import parse_size
from grym_desktop.models.catalog import add_local_model
from grym_desktop.ui.main_window import MainWindow, settings_from_env
from tests.gui.test_window import HELLO, WAIT_MS, drop_files, finished, rows

pytestmark = [pytest.mark.gui, pytest.mark.integration, pytest.mark.memory]


def test_refused_file_can_be_loaded_anyway_after_confirming(qtbot, monkeypatch):
    window = MainWindow(parse_size("150MiB"), settings_from_env())
    qtbot.addWidget(window)
    window.show()
    drop_files(window.drop_zone, [HELLO])
    qtbot.waitUntil(lambda: finished(window, 1), timeout=WAIT_MS)
    status = rows(window)[0][1]
    assert status.startswith("refused: Refused to load whisper-tiny.en")
    assert "budget" in status
    assert window.override_button.isEnabled()

    asked = []

    def confirm(parent, title, text, *args):
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", confirm)
    window.worker.orchestrator.watchdog.set_limit(parse_size("16GiB"))
    window.override_button.click()
    assert "needs about" in asked[0] and "budget" in asked[0]
    qtbot.waitUntil(lambda: finished(window, 2), timeout=WAIT_MS)
    assert rows(window)[1][1].startswith("done")
    assert "hello" in window.transcript_view.toPlainText().lower()


def test_fallback_is_said_beside_the_transcript(qtbot, tmp_path):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    (folder / "model.bin").write_bytes(b"not a model" * 100)
    add_local_model(folder, "broken-model")

    window = MainWindow(parse_size("16GiB"), settings_from_env())
    qtbot.addWidget(window)
    window.show()
    window.model_box.addItem("broken-model")
    window.model_box.setCurrentText("broken-model")
    drop_files(window.drop_zone, [HELLO])
    qtbot.waitUntil(lambda: finished(window, 1), timeout=WAIT_MS)
    assert rows(window)[0][1].startswith("done")
    note = window.fallback_label.text()
    assert window.fallback_label.isVisible()
    assert note.startswith("Transcribed with whisper-tiny.en instead of broken-model:")
    assert Path(folder, "model.bin").name in note
