"""The memory governor as the window shows it: refusal with override, fallback sentence.

"Load anyway" is tried under the window's real limit, through the real confirmation
dialog: the guard's refusal can be overridden, the watchdog's limit cannot.
"""

from pathlib import Path

import pytest
from helpers import HELLO
from PySide6.QtCore import Qt
from window_helpers import WAIT_MS, answer_next_dialog, drop_files, finished, rows

from grym_desktop.memory.limits import format_size, parse_size
from grym_desktop.memory.state import HOST_BASELINE_BYTES, read_state
from grym_desktop.models.catalog import add_local_model, get_spec
from grym_desktop.models.footprint import estimate_for
from grym_desktop.ui.main_window import MainWindow, settings_from_env

pytestmark = [pytest.mark.gui, pytest.mark.integration, pytest.mark.memory]

# Below what the app needs to hold the model at all: the watchdog must stop it.
LIMIT_TOO_SMALL_FOR_THE_MODEL = "150MiB"


def limit_the_model_fits_under() -> int:
    """A limit a little under the one at which the guard would let whisper-tiny.en (int8) load.

    The guard keeps 10 % of the limit in reserve and plans with the host's idle baseline;
    the watchdog stops the host only when the app (this window and the host) passes the
    limit itself. So the model is refused, and once the user confirms it, it runs under
    the same limit.
    """
    estimate = estimate_for(get_spec("whisper-tiny.en"), "int8").total_bytes
    app = read_state(parse_size("16GiB")).gui_rss + HOST_BASELINE_BYTES  # at least, later
    return int((estimate + app) / 0.9) - 4 * 2**20


def open_window(qtbot, limit: str | int) -> MainWindow:
    limit = parse_size(limit) if isinstance(limit, str) else limit
    window = MainWindow(limit, settings_from_env())
    qtbot.addWidget(window)  # closed at teardown, which shuts the worker and its host down
    window.show()
    return window


def drop_and_get_refused(qtbot, window: MainWindow) -> None:
    drop_files(window.drop_zone, [HELLO])
    qtbot.waitUntil(lambda: finished(window, 1), timeout=WAIT_MS)
    status = rows(window)[0][1]
    assert status.startswith("refused: Refused to load whisper-tiny.en"), status
    assert "budget" in status
    assert window.override_button.isEnabled()


def test_refused_file_is_transcribed_after_confirming_under_the_same_limit(qtbot):
    limit = limit_the_model_fits_under()
    window = open_window(qtbot, limit)
    assert f"of {format_size(limit)}" in window.pressure_label.full_text()
    drop_and_get_refused(qtbot, window)

    # Answering No loads nothing.
    declined = answer_next_dialog("No")
    qtbot.mouseClick(window.override_button, Qt.MouseButton.LeftButton)
    assert declined.clicked == "No"
    assert len(rows(window)) == 1 and window.override_button.isEnabled()

    # Answering Yes, after reading the guard's numbers, loads it under the same limit.
    confirmed = answer_next_dialog("Yes")
    qtbot.mouseClick(window.override_button, Qt.MouseButton.LeftButton)
    assert confirmed.clicked == "Yes"
    assert confirmed.title == "Load anyway?"
    assert "needs about" in confirmed.text and "budget" in confirmed.text
    assert "watchdog" in confirmed.text
    qtbot.waitUntil(lambda: finished(window, 2), timeout=WAIT_MS)
    assert rows(window)[1][1].startswith("done"), rows(window)
    assert "hello" in window.transcript_view.toPlainText().lower()
    assert f"of {format_size(limit)}" in window.pressure_label.full_text()


def test_confirmed_model_above_the_limit_is_stopped_by_the_watchdog(qtbot):
    window = open_window(qtbot, LIMIT_TOO_SMALL_FOR_THE_MODEL)
    drop_and_get_refused(qtbot, window)

    confirmed = answer_next_dialog("Yes")
    qtbot.mouseClick(window.override_button, Qt.MouseButton.LeftButton)
    assert confirmed.clicked == "Yes"
    qtbot.waitUntil(lambda: finished(window, 2), timeout=WAIT_MS)
    status = rows(window)[1][1]
    assert status.startswith("failed: The app reached "), status
    assert "above the 150 MiB limit, and the model host was stopped" in status
    assert window.transcript_view.toPlainText().strip() == ""


def test_fallback_is_said_beside_the_transcript(qtbot, tmp_path):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    (folder / "model.bin").write_bytes(b"not a model" * 100)
    add_local_model(folder, "broken-model")

    window = open_window(qtbot, "16GiB")
    window.model_box.addItem("broken-model")
    window.model_box.setCurrentText("broken-model")
    drop_files(window.drop_zone, [HELLO])
    qtbot.waitUntil(lambda: finished(window, 1), timeout=WAIT_MS)
    assert rows(window)[0][1].startswith("done")
    note = window.fallback_label.text()
    assert window.fallback_label.isVisible()
    assert note.startswith("Transcribed with whisper-tiny.en instead of broken-model:")
    assert Path(folder, "model.bin").name in note
