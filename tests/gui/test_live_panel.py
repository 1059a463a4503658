"""The Live panel with a real model host, from a file replayed as a microphone, offscreen."""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile as sf
from helpers import speech
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QColor
from window_helpers import WAIT_MS, answer_next_dialog

from grym_desktop.audio.decode import SAMPLE_RATE
from grym_desktop.orchestrator.live import LiveFinal, LivePartial
from grym_desktop.store.library import Library
from grym_desktop.transcript import clock
from grym_desktop.ui.live_panel import GREY, LivePanel

pytestmark = [pytest.mark.gui, pytest.mark.integration]


def coloured_text(panel: LivePanel, colour) -> str:
    """The view's text drawn in `colour`."""
    parts = []
    block = panel.view.document().begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            if fragment.charFormat().foreground().color() == colour:
                parts.append(fragment.text())
            it += 1
        block = block.next()
    return "".join(parts).strip()


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def panel(qtbot, settings):
    p = LivePanel(settings=settings, limit_bytes=16 * 1024**3)
    qtbot.addWidget(p)
    p.show()
    yield p
    p.shutdown()


def test_record_shows_grey_partials_then_black_finals_and_stop_saves(qtbot, panel, tmp_path):
    wav = tmp_path / "three sentences.wav"
    sf.write(wav, speech(), SAMPLE_RATE)
    panel.use_file(wav, realtime=False)
    grey_seen, finals = [], []

    def seen(event) -> None:  # connected after the panel's own slot: sees what it drew
        if isinstance(event, LivePartial):
            grey_seen.append(coloured_text(panel, GREY))
        elif isinstance(event, LiveFinal):
            finals.append(event)

    panel.worker.live_event.connect(seen)

    qtbot.mouseClick(panel.record_button, Qt.MouseButton.LeftButton)
    assert panel.running and panel.record_button.text() == "■ Stop"
    assert not panel.device_box.isEnabled()
    qtbot.waitUntil(lambda: len(finals) >= 1, timeout=WAIT_MS)
    qtbot.mouseClick(panel.record_button, Qt.MouseButton.LeftButton)  # Stop
    qtbot.waitUntil(lambda: not panel.running, timeout=WAIT_MS)

    assert any(grey_seen), "no grey partial text was shown"
    text = panel.view.toPlainText().lower()
    assert "hello world" in text.replace(",", "")
    assert coloured_text(panel, GREY) == ""  # no partial is left once stopped
    assert panel.record_button.text() == "● Record" and panel.record_button.isEnabled()
    assert panel.state_label.text().startswith("Saved to the library")
    assert not panel.message.isVisible()
    assert panel.elapsed_label.text() == clock(panel.transcript.duration, decimals=0) != "00:00"

    [saved] = Library().list_transcripts()
    assert saved.name.startswith("Live ") and saved.status == "complete"
    assert saved.file.endswith(".flac") and Path(saved.file).is_file()  # the session's audio
    assert saved.segment_count == len(panel.transcript.segments) >= 1
    srt = panel.export_row.export_to(str(tmp_path / "out"), "srt")
    assert srt is not None and "-->" in srt.read_text() and "hello" in srt.read_text().lower()


def test_a_missing_microphone_shows_a_message_instead_of_a_traceback(qtbot, settings):
    settings.setValue("live/device", "USB Headset")  # remembered from an earlier session
    panel = LivePanel(settings=settings, limit_bytes=16 * 1024**3)
    qtbot.addWidget(panel)
    panel.show()
    try:
        qtbot.waitUntil(lambda: panel.device_box.currentText() == "USB Headset (not connected)")
        qtbot.mouseClick(panel.record_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not panel.running, timeout=WAIT_MS)
        assert panel.message.isVisible()
        assert panel.message.text() == "The microphone “USB Headset” is not connected."
        assert panel.record_button.text() == "● Record" and panel.record_button.isEnabled()
        assert panel.view.toPlainText() == "" and panel.state_label.text() == "Stopped"
    finally:
        panel.shutdown()


def test_the_window_live_dock_shares_the_worker_and_saves_to_the_history(qtbot, tmp_path):
    from grym_desktop.ui.main_window import MainWindow, settings_from_env

    window = MainWindow(16 * 1024**3, settings_from_env())
    qtbot.addWidget(window)  # closed at teardown: stops the session, the worker and its host
    window.show()
    panel = window.live_panel
    # Without a microphone the dock starts closed, taking no room; View ▸ Live opens it.
    assert window.live_dock.isVisible() == bool(panel.device_names())
    if not window.live_dock.isVisible():
        window.live_dock.toggleViewAction().trigger()
    assert window.live_dock.isVisible() and panel.worker is window.worker
    wav = tmp_path / "speech.wav"
    sf.write(wav, speech(), SAMPLE_RATE)
    panel.use_file(wav, realtime=False)
    qtbot.mouseClick(panel.record_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.running, timeout=WAIT_MS)  # the file ends the session

    saved = panel.state_label.text()
    assert saved.startswith("Saved to the library: 3 segments"), panel.message.text()
    assert "fox" in coloured_text(panel, QColor("#000000")).lower()
    assert window.history.item(0).text().startswith("Live ")  # refreshed when it was saved
    assert window.model_label.full_text().startswith("Model: whisper-tiny.en")

    # The saved session opens like a file: its recording plays, its waveform is drawn.
    window.history.transcript_chosen.emit(window.history.item(0).data(Qt.ItemDataRole.UserRole))
    recording = window.shown.file
    assert recording.endswith(".flac") and window.player_bar.path == recording
    with qtbot.waitSignal(window.waveform.envelope_ready, timeout=10_000):
        pass
    assert window.waveform.duration == pytest.approx(len(speech()) / SAMPLE_RATE, abs=0.05)

    # Deleting the session deletes its recording (the app's own file) after asking.
    asked = answer_next_dialog("Yes")
    window.history.delete_requested.emit(window.history.item(0).data(Qt.ItemDataRole.UserRole))
    assert "recording" in asked.text
    assert not Path(recording).exists() and window.history.count() == 0
