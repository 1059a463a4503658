"""The waveform strip: the envelope measured off the GUI thread, segments, play head, clicks."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from grym_desktop.ui.waveform import WaveformStrip

pytestmark = pytest.mark.gui


@pytest.fixture
def strip(qtbot):
    widget = WaveformStrip()
    qtbot.addWidget(widget)
    widget.resize(800, 90)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_the_envelope_of_a_file_is_drawn(qtbot, strip, tones):
    with qtbot.waitSignal(strip.envelope_ready, timeout=10_000):
        strip.load(str(tones))
    x, y = strip._wave.getData()
    assert 2000 <= len(x) // 2 <= 4000  # min and max of a few thousand buckets
    assert y.max() == pytest.approx(0.5, abs=0.01) and y.min() == pytest.approx(-0.5, abs=0.01)
    assert strip.duration == pytest.approx(8.0, abs=0.01)
    low, high = strip.getPlotItem().vb.viewRange()[0]
    assert low == pytest.approx(0.0, abs=0.01) and high == pytest.approx(8.0, abs=0.01)


def test_a_file_that_cannot_be_read_draws_nothing(qtbot, strip, tmp_path):
    strip.load(str(tmp_path / "gone.wav"))
    qtbot.waitUntil(lambda: strip.error is not None, timeout=5000)
    assert strip.error == f"{tmp_path / 'gone.wav'} does not exist."
    assert len(strip._wave.getData()[0] or []) == 0


def test_segments_highlight_and_playhead(qtbot, strip, tones):
    with qtbot.waitSignal(strip.envelope_ready, timeout=10_000):
        strip.load(str(tones))
    spans = [(0.5, 1.0), (1.0, 2.5), (4.0, 6.0)]
    strip.set_segments(spans)
    drawn = sorted((x0, x1) for item in strip._segments
                   for x0, x1 in zip(item.opts["x0"], item.opts["x1"], strict=True))
    assert drawn == spans
    # Neighbours alternate between the two colours.
    assert list(strip._segments[0].opts["x0"]) == [0.5, 4.0]
    strip.highlight(1)
    assert list(strip._highlight.opts["x0"]) == [1.0]
    assert list(strip._highlight.opts["x1"]) == [2.5]
    strip.highlight(None)
    assert len(strip._highlight.opts["x0"]) == 0

    wave = strip._wave.getData()[0]
    strip.set_playhead(3.25)
    assert strip.playhead() == 3.25
    assert strip._wave.getData()[0] is wave  # the envelope is not plotted again


def test_a_click_asks_to_seek_to_that_time(qtbot, strip, tones):
    with qtbot.waitSignal(strip.envelope_ready, timeout=10_000):
        strip.load(str(tones))
    for seconds in (2.0, 6.5):
        scene = strip.getPlotItem().vb.mapViewToScene(QPointF(seconds, 0.0))
        point = strip.mapFromScene(scene)
        with qtbot.waitSignal(strip.seek_requested) as asked:
            qtbot.mouseClick(strip.viewport(), Qt.MouseButton.LeftButton, pos=point)
        assert asked.args[0] == pytest.approx(seconds, abs=8.0 / 800 * 2)


def test_a_new_file_replaces_a_measurement_under_way(qtbot, strip, tones, tmp_path):
    import soundfile as sf

    short = tmp_path / "short.wav"
    sf.write(short, np.full(16000, 0.25, np.float32), 16000)
    strip.load(str(tones))
    with qtbot.waitSignal(strip.envelope_ready, timeout=10_000):
        strip.load(str(short))
    qtbot.wait(200)  # the first file's result, if it comes, is dropped
    assert strip.duration == pytest.approx(1.0, abs=0.01)
    assert strip._wave.getData()[1].max() == pytest.approx(0.25, abs=0.01)
