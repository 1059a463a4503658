"""The tone file the playback tests play, and what they measure in what the sink recorded.

The file is a row of 0.25 s tones, each a different pitch with no gap between them, so
cross-correlation finds where in the file any recorded stretch comes from, and the pitch of
each step can be measured.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf
from pulse_sink import SINK_RATE

from grym_desktop.audio.decode import open_reader

TONE_RATE = 22050  # the file's own rate: the player resamples it to the device's
STEP = 0.25
FREQS = 400 * 2 ** (np.random.default_rng(7).permutation(32) / 12)  # 400-2400 Hz, a semitone apart
LOUD = 0.05


def write_tones(path: Path) -> Path:
    """8 s of tones, FREQS[k] from k * STEP s, amplitude 0.5, the phase continuous."""
    f = np.repeat(FREQS, round(STEP * TONE_RATE))
    sf.write(path, (0.5 * np.sin(2 * np.pi * np.cumsum(f) / TONE_RATE)).astype(np.float32),
             TONE_RATE)
    return path


def reference(path: Path) -> np.ndarray:
    """The file decoded at the sink's rate, as the player decodes it."""
    _, reader = open_reader(path)
    return np.concatenate(list(reader(0.0, SINK_RATE)))


def audible(recording: np.ndarray) -> tuple[int, int]:
    """The first and one past the last sample louder than silence."""
    loud = np.nonzero(np.abs(recording) > LOUD)[0]
    assert len(loud), "nothing was heard"
    return int(loud[0]), int(loud[-1]) + 1


def find(snippet: np.ndarray, ref: np.ndarray) -> int:
    """Where in ref the snippet is, by cross-correlation."""
    n = len(ref) + len(snippet)
    corr = np.fft.irfft(np.fft.rfft(ref, n) * np.conj(np.fft.rfft(snippet, n)), n)
    return int(np.argmax(corr[: len(ref) - len(snippet)]))


def heard_from(recording: np.ndarray, ref: np.ndarray) -> tuple[float, float]:
    """(the file second at which the recording's sound starts, seconds of sound), found from
    0.3 s of it past the player's fade-in."""
    start, end = audible(recording)
    skip = SINK_RATE // 20
    lag = find(recording[start + skip:start + skip + int(0.3 * SINK_RATE)], ref)
    return (lag - skip) / SINK_RATE, (end - start) / SINK_RATE


def pitch(x: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x)), 1 << 16))
    return float(np.argmax(spectrum) * SINK_RATE / (1 << 16))


def steps(recording: np.ndarray) -> list[tuple[float, float]]:
    """(pitch, seconds) of each steady tone heard, in order, from 20 ms windows."""
    start, end = audible(recording)
    win = SINK_RATE // 50
    pitches = [pitch(recording[i:i + win]) for i in range(start, end - win, win)]
    out: list[list[float]] = []
    for p in pitches:
        if out and abs(p / out[-1][0] - 1) < 0.03:
            out[-1][1] += 1
        else:
            out.append([p, 1])
    return [(p, n * win / SINK_RATE) for p, n in out if n >= 3]


def step_numbers(recording: np.ndarray) -> list[int]:
    """Which of FREQS each steady tone heard is."""
    return [int(np.argmin([abs(f / p - 1) for f in FREQS])) for p, _ in steps(recording)]
