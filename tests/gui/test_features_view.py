"""The Features view: spectrogram zoom and clicks, labels, suggestions, similar sounds, the map."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from helpers import DATA
from PySide6.QtCore import QPoint, QPointF, Qt

from grym_desktop.features.patterns import RecurringPattern
from grym_desktop.features.signal import FeatureSummary, Spectrogram, SpectrogramBuilder
from grym_desktop.features.store import Match, Suggestion
from grym_desktop.ui.features_view import FeaturesView

pytestmark = pytest.mark.gui

RATE = 16000


def mel_spectrogram(samples: np.ndarray) -> Spectrogram:
    """The app's own log-mel spectrogram of the samples."""
    builder = SpectrogramBuilder(len(samples) / RATE)
    builder.add(samples)
    return builder.result()


def realistic_audio() -> np.ndarray:
    """hello_world.wav, a pause, three door-bell-like chimes, and the speech again (~12 s)."""
    speech, rate = sf.read(DATA / "hello_world.wav", dtype="float32")
    assert rate == RATE
    rng = np.random.default_rng(0)
    t = np.arange(int(0.6 * RATE)) / RATE
    chime = (0.3 * np.sin(2 * np.pi * 880 * t) + 0.2 * np.sin(2 * np.pi * 1320 * t)) \
        * np.exp(-4 * t)
    gap = 0.003 * rng.standard_normal(int(0.7 * RATE)).astype(np.float32)
    parts = [speech, gap, chime, gap, chime, gap, chime, gap, speech]
    return np.concatenate(parts).astype(np.float32) + 0.002 * rng.standard_normal(
        sum(len(p) for p in parts)).astype(np.float32)


def summary_of(samples: np.ndarray) -> FeatureSummary:
    frames = samples[: len(samples) // 160 * 160].reshape(-1, 160)
    rms = np.sqrt(np.mean(frames**2, axis=1))
    return FeatureSummary(duration=len(samples) / RATE, rms_mean=float(rms.mean()),
                          rms_max=float(rms.max()), peak=float(np.abs(samples).max()),
                          centroid_hz_mean=1840.0, bandwidth_hz_mean=1210.0,
                          rolloff_hz_mean=4150.0, zcr_mean=0.084, mfcc_mean=[], mfcc_std=[])


@pytest.fixture(scope="module")
def audio() -> np.ndarray:
    return realistic_audio()


@pytest.fixture
def view(qtbot, audio):
    widget = FeaturesView()
    qtbot.addWidget(widget)
    widget.resize(900, 500)
    widget.show()
    qtbot.waitExposed(widget)
    widget.set_recording("kitchen_doorbell.wav", mel_spectrogram(audio), summary_of(audio))
    return widget


def matches() -> list[Match]:
    return [
        Match(11, 2, "/music/rain/thunder_night.wav", 12.0, 14.0, 0.934, "thunderstorm"),
        Match(12, 3, "/home/me/field/storm_2023-07-01.flac", 40.0, 42.0, 0.911, None),
        Match(13, 4, "/home/me/field/garden birds.ogg", 3.0, 5.0, 0.802, "bird"),
    ]


def click_scene_point(qtbot, plot_widget, view_box, x: float, y: float) -> None:
    scene = view_box.mapViewToScene(QPointF(x, y))
    point = plot_widget.mapFromScene(scene)
    qtbot.mouseClick(plot_widget.viewport(), Qt.MouseButton.LeftButton, pos=point)


def within(view, *children) -> None:
    """Each child is shown whole inside the view, none clipped by its edges."""
    for child in children:
        assert child.isVisible(), child
        top_left = child.mapTo(view, QPoint(0, 0))
        assert top_left.x() >= 0 and top_left.y() >= 0, child
        assert top_left.x() + child.width() <= view.width(), child
        assert top_left.y() + child.height() <= view.height(), child
        assert child.width() >= child.minimumSizeHint().width() or child.width() >= 40, child


def test_empty_view_says_what_to_do(qtbot):
    widget = FeaturesView()
    qtbot.addWidget(widget)
    assert widget.plot_stack.hint_shown() == "Select a recording to see its features."
    assert not widget.find_button.isEnabled()
    assert not widget.label_button.isEnabled()
    widget.set_status("Computing features…")
    assert widget.status.full_text() == "Computing features…"
    widget.set_status("")
    assert widget.status.isHidden()


def test_summary_line(view, audio):
    text = view.summary.full_text()
    assert text.startswith(f"{len(audio) / RATE:.1f} s · RMS −")
    assert "dBFS" in text and "centroid 1,840 Hz" in text and "ZCR 0.084" in text


def test_show_span_moves_the_spectrogram_to_it(view):
    low, high = view.plot.x_range()
    assert low == pytest.approx(0.0, abs=0.01) and high == pytest.approx(view.duration, abs=0.05)
    view.show_span(4.0, 6.0)
    low, high = view.plot.x_range()
    assert 3.0 <= low < 4.0 and 6.0 < high <= 7.0
    assert view.plot.span() == pytest.approx((4.0, 6.0))
    assert view.span() == (4.0, 6.0)
    assert view.span_label.text() == "Span 4.0–6.0 s"


def test_a_click_in_the_spectrogram_asks_to_seek_there(qtbot, view):
    plot = view.plot
    for seconds in (2.0, 7.5):
        with qtbot.waitSignal(view.seek_requested) as asked:
            click_scene_point(qtbot, plot, plot.box, seconds, 32.0)
        seconds_per_pixel = view.duration / plot.box.width()
        assert asked.args[0] == pytest.approx(seconds, abs=2 * seconds_per_pixel)


def test_a_drag_selects_a_span(qtbot, view):
    plot = view.plot
    start = plot.mapFromScene(plot.box.mapViewToScene(QPointF(3.0, 20.0)))
    end = plot.mapFromScene(plot.box.mapViewToScene(QPointF(5.0, 20.0)))
    port = plot.viewport()
    with qtbot.waitSignal(view.span_selected) as selected:
        qtbot.mousePress(port, Qt.MouseButton.LeftButton, pos=start)
        for step in range(1, 11):
            qtbot.mouseMove(port, start + (end - start) * step / 10)
        qtbot.mouseRelease(port, Qt.MouseButton.LeftButton, pos=end)
    tolerance = 3 * view.duration / plot.box.width()
    assert selected.args[0] == pytest.approx(3.0, abs=tolerance)
    assert selected.args[1] == pytest.approx(5.0, abs=tolerance)
    assert view.span() == pytest.approx((selected.args[0], selected.args[1]))


def test_label_button_needs_a_name_and_a_span(qtbot, view):
    assert not view.label_button.isEnabled()  # neither
    view.label_edit.setText("door bell")
    assert not view.label_button.isEnabled()  # no span yet
    view.show_span(4.0, 6.0)
    assert view.label_button.isEnabled()
    with qtbot.waitSignal(view.label_requested) as asked:
        qtbot.mouseClick(view.label_button, Qt.MouseButton.LeftButton)
    assert asked.args == [4.0, 6.0, "door bell"]
    view.label_edit.setText("   ")
    assert not view.label_button.isEnabled()


def test_find_similar_asks_for_the_span_or_the_whole_recording(qtbot, view):
    with qtbot.waitSignal(view.similar_requested) as asked:
        qtbot.mouseClick(view.find_button, Qt.MouseButton.LeftButton)
    assert asked.args == [0.0, pytest.approx(view.duration)]
    view.show_span(1.0, 3.0)
    with qtbot.waitSignal(view.similar_requested) as asked:
        qtbot.mouseClick(view.find_button, Qt.MouseButton.LeftButton)
    assert asked.args == [1.0, 3.0]


def test_accept_and_reject_answer_a_suggestion(qtbot, view):
    view.set_suggestions([(7, Suggestion("thunderstorm", 0.87, 4, matches()[:1])),
                          (8, Suggestion("rain", 0.41, 2, []))])
    rows = [view.suggestion_list.itemWidget(view.suggestion_list.item(i)) for i in range(2)]
    assert [row.text.text() for row in rows] == ["thunderstorm — 87 %", "rain — 41 %"]
    with qtbot.waitSignal(view.suggestion_answered) as answered:
        qtbot.mouseClick(rows[0].accept_button, Qt.MouseButton.LeftButton)
    assert answered.args == [7, True]
    assert rows[0].outcome.text() == "accepted ✓" and rows[0].accept_button.isHidden()
    with qtbot.waitSignal(view.suggestion_answered) as answered:
        qtbot.mouseClick(rows[1].reject_button, Qt.MouseButton.LeftButton)
    assert answered.args == [8, False]


def test_similar_rows_open_their_recording(qtbot, view):
    view.tabs.setCurrentWidget(view.map_stack)
    view.set_similar(matches())  # shown with the recording: the user's tab stays in front
    assert view.tabs.currentWidget() is view.map_stack
    view.find_button.click()
    view.set_similar(matches())  # the answer to Find similar comes to the front
    assert view.tabs.currentWidget() is view.similar_stack
    texts = [view.similar_list.item(i).text() for i in range(view.similar_list.count())]
    assert texts[0] == "thunder_night.wav · 12.0–14.0 s · 0.93 · thunderstorm"
    assert texts[1] == "storm_2023-07-01.flac · 40.0–42.0 s · 0.91"
    item = view.similar_list.item(1)
    rect = view.similar_list.visualItemRect(item)
    port = view.similar_list.viewport()
    qtbot.mouseClick(port, Qt.MouseButton.LeftButton, pos=rect.center())
    with qtbot.waitSignal(view.open_requested) as opened:  # Qt's test double-click is only the
        qtbot.mouseDClick(port, Qt.MouseButton.LeftButton, pos=rect.center())  # second click
    assert opened.args == ["/home/me/field/storm_2023-07-01.flac", 40.0]
    view.similar_list.setCurrentRow(0)
    view.similar_list.setFocus()
    with qtbot.waitSignal(view.open_requested) as opened:
        qtbot.keyClick(view.similar_list, Qt.Key.Key_Return)
    assert opened.args == ["/music/rain/thunder_night.wav", 12.0]
    view.set_similar([])
    assert "Nothing similar" in view.similar_stack.hint_shown()


def test_a_pattern_occurrence_seeks_and_shows_its_span(qtbot, view):
    view.set_patterns([RecurringPattern([(4.0, 6.0), (6.3, 8.3), (8.6, 10.6)], 0.951)])
    top = view.pattern_tree.topLevelItem(0)
    assert top.text(0) == "3× · 4.0 s, 6.3 s, 8.6 s · 0.95"
    view.tabs.setCurrentWidget(view.pattern_stack)
    view.pattern_tree.expandAll()
    child = top.child(1)
    rect = view.pattern_tree.visualItemRect(child)
    with qtbot.waitSignal(view.seek_requested) as asked:
        qtbot.mouseClick(view.pattern_tree.viewport(), Qt.MouseButton.LeftButton,
                         pos=rect.center())
    assert asked.args == [6.3]
    assert view.span() == (6.3, 8.3)
    low, high = view.plot.x_range()
    assert low < 6.3 and 8.3 < high <= 9.0


def test_the_map_shows_points_coloured_by_label_and_clicks_name_them(qtbot, view):
    rng = np.random.default_rng(1)
    points = np.concatenate([rng.normal(0, 1, (6, 2)), rng.normal(5, 1, (4, 2)),
                             [[-4.0, 6.0]]])
    labels = ["thunderstorm"] * 6 + [None] * 4 + ["bird"]
    ids = list(range(100, 111))
    view.tabs.setCurrentWidget(view.map_stack)
    view.set_map(points, labels, ids)
    qtbot.wait(50)
    assert view.map.count() == 11
    colours = view.map.point_colours()
    assert len({colours[i] for i in ids[:6]}) == 1
    assert colours[100] != colours[110]
    assert {colours[i] for i in ids[6:10]} == {"#b8bec4"}  # unlabelled grey
    legend = view.map.legend.text()
    assert "thunderstorm&nbsp;(6)" in legend and "unlabelled&nbsp;(4)" in legend
    assert "bird&nbsp;(1)" in legend
    plot = view.map.plot_widget
    with qtbot.waitSignal(view.map_point_clicked) as clicked:
        click_scene_point(qtbot, plot, plot.getPlotItem().vb, -4.0, 6.0)
    assert clicked.args == [110]
    view.set_map(np.zeros((0, 2)), [], [])
    assert "No stored sounds" in view.map_stack.hint_shown()


def test_fits_a_small_window_and_screenshot(qtbot, view):
    view.resize(900, 500)
    view.show_span(4.0, 6.0)
    view.label_edit.setText("door bell")
    view.set_similar(matches())
    view.set_suggestions([(7, Suggestion("thunderstorm", 0.87, 4, matches()[:1])),
                          (8, Suggestion("rain", 0.41, 2, []))])
    view.set_patterns([RecurringPattern([(4.0, 6.0), (6.3, 8.3), (8.6, 10.6)], 0.951)])
    rng = np.random.default_rng(2)
    view.set_map(rng.normal(0, 1, (40, 2)), ["thunderstorm"] * 10 + ["bird"] * 5 + [None] * 25,
                 list(range(40)))
    view.set_status("Features computed in 0.4 s.")
    qtbot.wait(100)
    within(view, view.find_button, view.tabs, view.plot, view.status, view.summary)
    assert view.plot.height() >= 150
    assert view.minimumSizeHint().width() <= 900 and view.minimumSizeHint().height() <= 500
    view.grab().save("/tmp/features_view.png")
    view.tabs.setCurrentWidget(view.map_stack)
    qtbot.wait(50)
    view.grab().save("/tmp/features_view_map.png")
    view.tabs.setCurrentIndex(1)
    qtbot.wait(50)
    within(view, view.label_button, view.label_edit, view.suggestion_list)
    view.grab().save("/tmp/features_view_labels.png")
