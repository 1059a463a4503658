"""The Features panel in the real window: the spectrogram follows the transcript, a labelled
sound is suggested for a like one, and the map shows what the feature memory holds."""

from __future__ import annotations

import pytest
import soundfile as sf
from helpers import speech, write_rumble, write_whistle
from window_helpers import WAIT_MS, drop_files, finished, open_editing_window

from grym_desktop.audio.decode import SAMPLE_RATE
from grym_desktop.features.store import FeatureStore

pytestmark = [pytest.mark.gui, pytest.mark.integration]


def open_features(qtbot):
    window = open_editing_window(qtbot)
    window.features_dock.toggleViewAction().trigger()
    qtbot.waitUntil(window.features_dock.isVisible)
    return window


def features_of(window, path) -> bool:
    result = window.features_panel.result
    return result is not None and result.features.path == str(path)


def test_selecting_a_segment_moves_the_spectrogram_to_it(qtbot, tmp_path):
    path = tmp_path / "three_sentences.wav"
    sf.write(path, speech(pause=1.5), SAMPLE_RATE)
    window = open_features(qtbot)
    drop_files(window.drop_zone, [path])
    qtbot.waitUntil(lambda: finished(window, 1) and features_of(window, path), timeout=WAIT_MS)
    view = window.features_panel.view
    assert view.title.full_text() == path.name
    whole = view.plot.x_range()
    assert whole[1] - whole[0] > 10

    segments = window.transcript_view.segments()
    assert len(segments) >= 3
    second = segments[1]
    window.transcript_view.table.selectRow(1)
    low, high = view.plot.x_range()
    assert low <= second.start < second.end <= high
    assert high - low < (second.end - second.start) + 2.0  # zoomed to it, not the whole file
    assert view.plot.span() == pytest.approx((second.start, second.end), abs=0.01)


def test_a_labelled_sound_is_suggested_for_a_like_one_and_the_map_shows_the_clips(
        qtbot, tmp_path):
    storm1 = write_rumble(tmp_path / "storm1.wav", 6, seed=1)
    storm2 = write_rumble(tmp_path / "storm2.wav", 5, seed=2)
    whistle = write_whistle(tmp_path / "whistle.wav", 4, hz=2200)
    window = open_features(qtbot)
    panel, view = window.features_panel, window.features_panel.view

    drop_files(window.drop_zone, [storm1])
    qtbot.waitUntil(lambda: finished(window, 1) and features_of(window, storm1),
                    timeout=WAIT_MS)
    view.show_span(0.0, 6.0)
    assert not view.label_button.isEnabled()  # no name yet
    qtbot.keyClicks(view.label_edit, "thunder")
    assert view.label_button.isEnabled()
    view.label_button.click()
    qtbot.waitUntil(lambda: "Labelled" in view.status.full_text(), timeout=10_000)

    drop_files(window.drop_zone, [whistle, storm2])
    qtbot.waitUntil(lambda: finished(window, 3) and features_of(window, storm2),
                    timeout=WAIT_MS)
    rows = [view.suggestion_list.itemWidget(view.suggestion_list.item(i))
            for i in range(view.suggestion_list.count())]
    assert rows, "no label was suggested for the second storm"
    pending = panel.result.pending[0]
    assert pending.suggestion.label == "thunder"
    assert 0.5 <= pending.suggestion.confidence <= 1.0
    assert rows[0].text.text() == f"thunder — {round(pending.suggestion.confidence * 100)} %"

    rows[0].accept_button.click()
    qtbot.waitUntil(lambda: "Labelled" in view.status.full_text(), timeout=10_000)
    store = FeatureStore(panel.store.path)
    clip = next(c for c in store.clips() if c.path == str(storm2))
    assert clip.labels == ["thunder"]
    store.close()

    # All three recordings are on the map; the two storms share the label's colour.
    assert view.map.count() == 3
    colours = list(view.map.point_colours().values())
    assert len(set(colours)) == 2
