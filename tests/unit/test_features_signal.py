"""Signal features: windows, log-mel spectrogram and summaries from chunks in bounded memory,
and window vectors that put like sounds near each other."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import DATA

from grym_desktop.audio.decode import load_audio
from grym_desktop.features.signal import (
    SIGNAL_DIM,
    SIGNAL_MODEL,
    SpectrogramBuilder,
    SummaryBuilder,
    mel_filterbank,
    summary_dict,
    window_vector,
)
from grym_desktop.features.windows import FeatureWindow, fixed_windows, segment_windows

SR = 16000


def tone(seconds: float, hz: float, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def noise(seconds: float, seed: int, amplitude: float = 0.1) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(int(seconds * SR)) * amplitude
            ).astype(np.float32)


def chunked(x: np.ndarray, sizes: list[int]) -> list[np.ndarray]:
    out, i, k = [], 0, 0
    while i < len(x):
        out.append(x[i : i + sizes[k % len(sizes)]])
        i += sizes[k % len(sizes)]
        k += 1
    return out


def held_bytes(obj) -> int:
    """Bytes of the numpy arrays an object (and the objects it holds) keeps."""
    total = 0
    for value in vars(obj).values():
        if isinstance(value, np.ndarray):
            total += value.nbytes
        elif hasattr(value, "__dict__") and not isinstance(value, type):
            total += held_bytes(value)
    return total


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_fixed_windows_cover_the_file_and_the_last_ends_at_its_end():
    windows = fixed_windows(5.5)
    assert windows[0] == FeatureWindow(0.0, 2.0, "fixed")
    assert [w.start for w in windows] == [0.0, 1.0, 2.0, 3.0, 3.5]
    assert windows[-1].end == 5.5
    assert all(w.end - w.start == pytest.approx(2.0) for w in windows)
    assert fixed_windows(5.0)[-1] == FeatureWindow(3.0, 5.0, "fixed")
    assert fixed_windows(1.2) == [FeatureWindow(0.0, 1.2, "fixed")]
    assert fixed_windows(0.0) == []
    assert len(fixed_windows(3 * 3600.0)) == 3 * 3600 - 1


def test_segment_windows_are_clipped_and_empty_ones_dropped():
    assert segment_windows([(-0.5, 1.0), (2.0, 2.0), (3.0, 2.5), (4.0, 6.5)]) == [
        FeatureWindow(0.0, 1.0, "segment"), FeatureWindow(4.0, 6.5, "segment")]


def test_every_mel_filter_sees_some_frequency_and_centres_rise():
    filters, centres = mel_filterbank(64)
    assert filters.shape == (64, 257)
    assert (filters.max(axis=1) > 0.3).all()
    assert (np.diff(centres) > 0).all() and centres[-1] < SR / 2


def test_a_tone_burst_at_5_s_is_in_the_column_at_5_s():
    x = noise(12.0, seed=1, amplitude=0.001)
    x[5 * SR : int(5.2 * SR)] += tone(0.2, 1000.0)
    builder = SpectrogramBuilder(duration=12.0)
    for chunk in chunked(x, [7, 4000, 48000]):
        builder.add(chunk)
    spec = builder.result()
    assert spec.db.dtype == np.float32 and spec.db.shape[0] == 64
    assert spec.seconds_per_column == pytest.approx(0.01)
    assert spec.db.shape[1] == 1200 and spec.duration == pytest.approx(12.0)
    band = int(np.argmin(np.abs(spec.mel_hz - 1000.0)))
    loud = np.flatnonzero(spec.db[band] > spec.db[band].max() - 20)
    assert loud[0] * spec.seconds_per_column == pytest.approx(5.0, abs=0.03)
    assert loud[-1] * spec.seconds_per_column == pytest.approx(5.2, abs=0.03)
    assert spec.db[band, 510] - spec.db[band, 300] > 40


def test_the_spectrogram_does_not_depend_on_chunk_sizes():
    x = np.concatenate([noise(3.0, seed=2), tone(2.0, 440.0)])
    results = []
    for sizes in ([len(x)], [1, 159, 161, 5000], [16000]):
        builder = SpectrogramBuilder(duration=5.0, max_columns=100)
        for chunk in chunked(x, sizes):
            builder.add(chunk)
        results.append(builder.result().db)
    assert results[0].shape == (64, 100)
    np.testing.assert_allclose(results[0], results[1], atol=1e-3)
    np.testing.assert_allclose(results[0], results[2], atol=1e-3)


def test_half_an_hour_of_chunks_keeps_columns_rows_and_memory_bounded():
    block = noise(30.0, seed=3)
    block[: SR] += tone(1.0, 2000.0)  # something changes every 30 s
    # the spectrogram is told a far shorter duration than it gets, so it must coarsen as it goes
    spectrogram = SpectrogramBuilder(duration=6.0, max_columns=800)
    summary = SummaryBuilder(duration=1800.0, max_rows=100)
    biggest = 0
    for _ in range(1800 // 30):
        for builder in (spectrogram, summary):
            builder.add(block)
            biggest = max(biggest, held_bytes(builder))
    assert biggest < 3_000_000
    spec, result = spectrogram.result(), summary.result()
    assert 400 < spec.db.shape[1] <= 800
    assert spec.db.shape[1] * spec.seconds_per_column == pytest.approx(1800, rel=0.01)
    assert np.isfinite(spec.db).all()
    band = int(np.argmin(np.abs(spec.mel_hz - 2000.0)))
    column = int(round(60.0 / spec.seconds_per_column))  # a tone starts every 30 s
    assert spec.db[band, column] - spec.db[band, column + 3] > 10
    assert len(result.rows) <= 100 and result.duration == pytest.approx(1800.0)
    assert result.rows[-1].end == pytest.approx(1800.0)


def test_the_summary_measures_a_known_tone_every_second():
    builder = SummaryBuilder(duration=3.5)
    for chunk in chunked(tone(3.5, 1000.0, amplitude=0.5), [333, 16000]):
        builder.add(chunk)
    summary = builder.result()
    assert len(summary.rows) == 4 and summary.row_seconds == 1.0
    assert [r.start for r in summary.rows] == [0.0, 1.0, 2.0, 3.0]
    assert summary.rows[-1].end == pytest.approx(3.5)
    assert summary.rms_mean == pytest.approx(0.5 / np.sqrt(2), rel=0.01)
    assert summary.peak == pytest.approx(0.5, rel=0.01)
    assert summary.centroid_hz_mean == pytest.approx(1000.0, rel=0.05)
    assert summary.rolloff_hz_mean == pytest.approx(1000.0, abs=100)
    assert summary.bandwidth_hz_mean < 200
    assert summary.zcr_mean == pytest.approx(2000 / SR, rel=0.05)
    for row in summary.rows:
        assert row.rms == pytest.approx(0.354, rel=0.02)
    assert len(summary.mfcc_mean) == len(summary.mfcc_std) == 20
    text = json.dumps(summary_dict(summary))
    assert json.loads(text)["rows"][1]["start"] == 1.0


def test_silence_gives_a_finite_summary_and_spectrogram():
    summary, spectrogram = SummaryBuilder(duration=2.0), SpectrogramBuilder(duration=2.0)
    for builder in (summary, spectrogram):
        builder.add(np.zeros(2 * SR, np.float32))
    result = summary.result()
    assert result.rms_mean == 0.0 and result.centroid_hz_mean == 0.0
    assert "NaN" not in json.dumps(summary_dict(result))
    assert np.isfinite(spectrogram.result().db).all()


def test_window_vectors_are_deterministic_float32_of_the_declared_size():
    x = load_audio(DATA / "hello_world.wav")[: 2 * SR]
    first, again = window_vector(x), window_vector(x.copy())
    assert SIGNAL_MODEL == "signal-v1"
    assert first.dtype == np.float32 and first.shape == (SIGNAL_DIM,)
    assert np.array_equal(first, again)


@pytest.mark.parametrize("samples", [
    np.zeros(2 * SR, np.float32), np.zeros(1, np.float32), np.ones(1, np.float32),
    np.zeros(0, np.float32), np.full(100, np.nan, np.float32), np.full(SR, 1.0, np.float32),
])
def test_window_vectors_are_finite_for_silence_and_tiny_inputs(samples):
    vector = window_vector(samples)
    assert vector.shape == (SIGNAL_DIM,) and np.isfinite(vector).all()
    assert np.linalg.norm(vector) > 0


def test_like_sounds_score_higher_cosine_than_different_ones():
    ogg = window_vector(load_audio(DATA / "sentence.ogg"))
    mp3 = window_vector(load_audio(DATA / "sentence.mp3"))
    hello = window_vector(load_audio(DATA / "hello_world.wav"))
    numbers = window_vector(load_audio(DATA / "numbers_44k_stereo.flac"))
    hiss = window_vector(noise(2.0, seed=4))
    hiss_again = window_vector(noise(2.0, seed=5, amplitude=0.05))
    hum = window_vector(tone(2.0, 220.0))
    assert cosine(ogg, mp3) > 0.95  # the same recording in another codec
    for speech in (ogg, hello, numbers):
        for other in (ogg, hello, numbers):
            if other is not speech:
                assert cosine(speech, other) > max(cosine(speech, hiss), cosine(speech, hum))
    assert cosine(hiss, hiss_again) > 0.9
    assert cosine(hiss, hiss_again) > max(cosine(hiss, hum), cosine(hiss, hello))


def test_the_level_of_a_recording_barely_changes_its_vector():
    x = load_audio(DATA / "hello_world.wav")
    assert cosine(window_vector(x), window_vector(x * 0.2)) > 0.95
