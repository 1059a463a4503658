"""Recurring patterns: a sound heard several times in one recording is found, with its times."""

from __future__ import annotations

import numpy as np
import pytest

from grym_desktop.features.patterns import RecurringPattern, recurring_patterns
from grym_desktop.features.signal import window_vector
from grym_desktop.features.windows import FeatureWindow, fixed_windows

SR = 16000


def jingle(kind: str = "chirp") -> np.ndarray:
    t = np.arange(SR) / SR
    if kind == "chirp":  # a 1 s sweep from 600 Hz to 3 kHz
        return (0.4 * np.sin(2 * np.pi * (600 * t + 1200 * t**2))).astype(np.float32)
    notes = np.where(t < 0.5, 392.0, 523.0)  # two plucked notes
    phase = 2 * np.pi * np.cumsum(notes) / SR
    return (0.5 * np.sin(phase) * np.exp(-6 * (t % 0.5))).astype(np.float32)


def background(seconds: float, seed: int = 0) -> np.ndarray:
    """Room-like noise whose level drifts slowly."""
    rng = np.random.default_rng(seed)
    x = np.convolve(rng.standard_normal(int(seconds * SR)), np.ones(8) / 8, "same")
    drift = 0.02 * (1 + 0.3 * np.sin(np.arange(len(x)) / SR / 7))
    return (x * drift).astype(np.float32)


def windows_and_vectors(x: np.ndarray) -> tuple[list[FeatureWindow], np.ndarray]:
    windows = fixed_windows(len(x) / SR)
    vectors = np.array([window_vector(x[int(w.start * SR) : int(w.end * SR)]) for w in windows])
    return windows, vectors


def insert(x: np.ndarray, sound: np.ndarray, times: list[float]) -> np.ndarray:
    x = x.copy()
    for t in times:
        x[int(t * SR) : int(t * SR) + len(sound)] += sound
    return x


def contains(occurrence: tuple[float, float], t: float) -> bool:
    start, end = occurrence
    return abs(start - t) <= 1.0 and start - 1.0 <= t <= end


@pytest.mark.parametrize("times", [[5.0, 17.0, 31.0], [4.5, 20.2, 33.7]])
def test_a_jingle_heard_three_times_is_one_pattern_at_its_three_times(times):
    x = insert(background(40.0), jingle(), times)
    patterns = recurring_patterns(*windows_and_vectors(x))
    assert len(patterns) == 1
    (pattern,) = patterns
    assert isinstance(pattern, RecurringPattern) and pattern.similarity >= 0.9
    assert len(pattern.occurrences) == 3
    for occurrence, t in zip(pattern.occurrences, times, strict=True):
        assert contains(occurrence, t), (occurrence, t)


def test_a_recording_without_repeats_has_no_pattern():
    x = insert(background(40.0, seed=1), jingle("chirp"), [6.0])
    x = insert(x, jingle("notes"), [20.0])
    t = np.arange(SR) / SR
    x = insert(x, (0.3 * np.sin(2 * np.pi * 150 * t)).astype(np.float32), [32.0])
    assert recurring_patterns(*windows_and_vectors(x)) == []
    assert recurring_patterns(*windows_and_vectors(background(40.0, seed=2))) == []


def test_two_jingles_are_two_patterns_strongest_first_without_overlapping_occurrences():
    x = insert(background(60.0, seed=3), jingle("chirp"), [5.0, 25.0, 45.0])
    x = insert(x, jingle("notes"), [14.0, 36.0])
    patterns = recurring_patterns(*windows_and_vectors(x))
    assert len(patterns) == 2
    assert patterns[0].similarity >= patterns[1].similarity
    found = sorted(len(p.occurrences) for p in patterns)
    assert found == [2, 3]
    for pattern in patterns:
        spans = pattern.occurrences
        assert spans == sorted(spans)
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))
    chirps = next(p for p in patterns if len(p.occurrences) == 3)
    assert all(contains(o, t) for o, t in zip(chirps.occurrences, [5.0, 25.0, 45.0], strict=True))


def test_pairs_closer_than_min_gap_are_not_patterns():
    """A sound resembles itself a moment later: within min_gap that is no recurrence."""
    x = insert(background(30.0, seed=4), np.tile(jingle("chirp"), 3), [10.0])
    patterns = recurring_patterns(*windows_and_vectors(x), min_gap=6.0)
    assert patterns == []


def test_few_windows_or_mismatched_vectors():
    windows = fixed_windows(3.0)
    assert recurring_patterns(windows, np.ones((len(windows), 4), np.float32)) == []
    with pytest.raises(ValueError):
        recurring_patterns(fixed_windows(10.0), np.ones((3, 4), np.float32))


def test_a_long_recording_is_compared_in_blocks():
    rng = np.random.default_rng(5)
    n, dim = 6000, 56
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    motif = rng.standard_normal(dim).astype(np.float32) * 4
    hits = [100, 2500, 5900]
    for i in hits:
        vectors[i] += motif
    windows = [FeatureWindow(float(i), float(i + 2), "fixed") for i in range(n)]
    patterns = recurring_patterns(windows, vectors)
    assert len(patterns) == 1
    assert [round(a) for a, _ in patterns[0].occurrences] == hits
