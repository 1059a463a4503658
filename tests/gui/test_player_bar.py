"""The player bar with the real Player, heard through a private PulseAudio sink."""

from __future__ import annotations

import pytest
from audio_checks import heard_from, reference
from PySide6.QtCore import Qt

from grym_desktop.ui.player_bar import PlayerBar

pytestmark = pytest.mark.gui


@pytest.fixture
def bar(qtbot, audio_output):
    widget = PlayerBar()
    qtbot.addWidget(widget)
    widget.show()
    yield widget
    widget.close()


def test_load_then_play_from_follows_what_is_heard(qtbot, bar, audio_output, tones):
    assert bar.load(str(tones))
    assert bar.duration_label.text() == "00:08" and bar.time_label.text() == "00:00"
    assert not bar.message.isVisible() and not bar.locate_button.isVisible()
    positions: list[float] = []
    bar.position_changed.connect(positions.append)
    with audio_output.record() as rec:
        with qtbot.waitSignal(bar.state_changed) as started:
            bar.play_from(3.0)
        assert started.args == [True]
        qtbot.wait(1000)
        with qtbot.waitSignal(bar.state_changed) as stopped:
            bar.toggle()
        assert stopped.args == [False]
    assert 12 <= len(positions) <= 25  # about 20 a second
    assert positions == sorted(positions) and positions[0] >= 3.0
    paused = bar.position()
    assert positions[-1] == pytest.approx(paused, abs=0.01)
    start, length = heard_from(rec.samples, reference(tones))
    assert start == pytest.approx(3.0, abs=0.1)
    assert paused == pytest.approx(start + length, abs=0.1)
    assert bar.slider.value() == round(paused * 10)
    assert bar.time_label.text() == "00:04"
    assert bar.play_button.toolTip() == "Play (Space)"


def test_a_missing_file_shows_one_sentence_and_locate_file(qtbot, bar, tmp_path, tones):
    missing = str(tmp_path / "moved away.wav")
    assert not bar.load(missing)
    assert bar.message.isVisible() and bar.message.full_text() == f"{missing} does not exist."
    assert bar.locate_button.isVisible() and bar.locate_button.text() == "Locate file…"
    assert not bar.play_button.isEnabled()
    with qtbot.waitSignal(bar.locate_requested) as located:
        qtbot.mouseClick(bar.locate_button, Qt.MouseButton.LeftButton)
    assert located.args == [missing]

    assert bar.load(str(tones))  # the bar is usable for the next file
    assert not bar.message.isVisible() and not bar.locate_button.isVisible()
    assert bar.play_button.isEnabled()
    with qtbot.waitSignal(bar.position_changed):
        bar.play_from(1.0)
    qtbot.wait(300)
    assert bar.player.playing and 1.0 <= bar.position() < 1.5


def test_a_file_that_cannot_be_played_shows_its_sentence(bar, tmp_path):
    notes = tmp_path / "notes.mp3"
    notes.write_text("these are not sounds\n" * 20)
    assert not bar.load(str(notes))
    assert bar.message.full_text() == f"{notes} is not an audio or video file."
    assert bar.locate_button.isVisible()


def test_skip_speed_volume_and_loop_controls(qtbot, bar, tones):
    assert bar.load(str(tones))
    qtbot.mouseClick(bar.forward_button, Qt.MouseButton.LeftButton)
    assert bar.position() == 5.0 and bar.time_label.text() == "00:05"
    qtbot.mouseClick(bar.back_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(bar.back_button, Qt.MouseButton.LeftButton)
    assert bar.position() == 0.0
    assert [bar.speed_box.itemText(i) for i in range(bar.speed_box.count())] == [
        "0.5x", "0.75x", "1x", "1.25x", "1.5x", "2x"]
    bar.speed_box.setCurrentIndex(5)
    assert bar.player.speed == 2.0
    bar.volume_slider.setValue(50)
    assert bar.player.volume == 0.5

    bar.set_loop(1.0, 1.5)
    assert bar.loop_button.isChecked() and bar.position() == 1.0
    positions: list[float] = []
    bar.position_changed.connect(positions.append)
    bar.toggle()
    qtbot.wait(800)
    assert all(1.0 <= p <= 1.5 for p in positions) and len(positions) >= 10
    assert any(b < a for a, b in zip(positions, positions[1:], strict=False))  # it wrapped
    qtbot.mouseClick(bar.loop_button, Qt.MouseButton.LeftButton)  # off: play on
    assert not bar.loop_button.isChecked()
    qtbot.waitUntil(lambda: bar.position() > 1.6, timeout=3000)


def test_the_end_of_the_file_stops_the_bar(qtbot, bar, tones):
    assert bar.load(str(tones))
    with qtbot.waitSignal(bar.state_changed, timeout=5000,
                          check_params_cb=lambda playing: not playing):
        bar.play_from(7.6)
    assert bar.position() == pytest.approx(8.0, abs=0.05)
    assert bar.play_button.toolTip() == "Play (Space)"
