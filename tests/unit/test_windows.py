"""Long decoding windows are cut in the middle of pauses, never inside speech."""

from __future__ import annotations

import numpy as np

from grym_desktop.audio.decode import SAMPLE_RATE
from grym_desktop.audio.windows import VAD_FRAME, iter_windows, pause_cut


def speech_probabilities(seconds: float, pauses: list[tuple[float, float]]) -> np.ndarray:
    p = np.full(int(seconds * SAMPLE_RATE / VAD_FRAME), 0.95, np.float32)
    for start, end in pauses:
        p[int(start * SAMPLE_RATE / VAD_FRAME) : int(end * SAMPLE_RATE / VAD_FRAME)] = 0.02
    return p


def test_the_cut_is_in_the_longest_pause_before_the_window_end():
    speech = speech_probabilities(300, [(100.0, 100.2), (104.0, 106.0), (118.0, 118.5)])
    audio = np.zeros(300 * SAMPLE_RATE, np.float32)
    windows = list(iter_windows([audio], window_seconds=120.0, speech=speech))
    first_cut = len(windows[0][1]) / SAMPLE_RATE
    assert 104.5 < first_cut < 105.5
    assert sum(len(w) for _, w in windows) == len(audio)
    assert [o for o, _ in windows] == sorted(o for o, _ in windows)


def test_no_pause_long_enough_means_no_cut_from_speech():
    speech = speech_probabilities(60, [(30.0, 30.1)])
    assert pause_cut(speech, 0, 60 * SAMPLE_RATE) is None
