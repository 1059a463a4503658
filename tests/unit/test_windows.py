"""Long decoding windows are cut in the middle of pauses, never inside speech."""

from __future__ import annotations

import numpy as np
import pytest

from grym_desktop.audio.decode import SAMPLE_RATE
from grym_desktop.audio.windows import VAD_FRAME, early_clips, iter_windows, pause_cut


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


def _speech_with_pauses(runs: list[tuple[float, float]], duration: float) -> np.ndarray:
    """Speech probabilities (one per VAD frame) that are 1 inside each (start, end) run."""
    frame = VAD_FRAME / SAMPLE_RATE
    probabilities = np.zeros(int(duration / frame), np.float32)
    for start, end in runs:
        probabilities[int(start / frame):int(end / frame)] = 1.0
    return probabilities


def test_a_short_file_is_cut_into_pieces_in_the_middle_of_its_pauses():
    speech = _speech_with_pauses([(0.5, 6.0), (7.0, 13.0), (13.2, 18.0), (19.0, 25.0)], 26.0)
    bounds = early_clips(speech, 26.0)
    assert bounds[0] == 0.0 and bounds[-1] == 26.0
    cuts = bounds[1:-1:2]
    assert bounds[1:-1] == [c for c in cuts for _ in range(2)]  # the pieces touch
    # Cut in the 1 s pauses, never in the 0.2 s gap between words at 13 s.
    assert cuts == pytest.approx([6.5, 18.5], abs=0.05)


def test_no_piece_of_a_short_file_is_shorter_than_the_least_piece():
    speech = _speech_with_pauses([(0.2, 2.0), (3.0, 5.0), (6.0, 9.0), (10.0, 11.0)], 12.0)
    bounds = early_clips(speech, 12.0, min_clip=5.0)
    pieces = [end - start for start, end in zip(bounds[::2], bounds[1::2], strict=True)]
    assert sum(pieces) == pytest.approx(12.0) and min(pieces) >= 5.0
    assert early_clips(speech[:0], 0.0) == [0.0, 0.0]  # no audio: one empty piece
