"""Plain helpers shared by test modules: the test data and the speech made from it.

Fixtures live in conftest.py; the helpers that drive the window live in
gui/window_helpers.py. Import these as `from helpers import ...` (pytest puts tests/ on
sys.path because tests/conftest.py is there).
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from pathlib import Path

import numpy as np
import psutil

from grym_desktop.audio.decode import SAMPLE_RATE, load_audio

DATA = Path(__file__).parent / "data"
HELLO = DATA / "hello_world.wav"

# Three fixture clips spoken one after another by speech(); their texts are in data/texts.tsv.
SPOKEN_CLIPS = ("hello_world.wav", "numbers_44k_stereo.flac", "sentence.ogg")

NUMBERS = dict(enumerate("zero one two three four five six seven eight nine ten".split()))


def words(text: str) -> list[str]:
    """Lower-case words without punctuation, numbers spelled out as the fixtures say them."""
    text = re.sub(r"[^\w\s']", " ", text.lower().replace("-", " "))
    return [NUMBERS.get(int(w), w) if w.isdigit() else w for w in text.split()]


def speech(pause: float = 1.2, repeat: int = 1) -> np.ndarray:
    """The SPOKEN_CLIPS at 16 kHz, `repeat` times, with `pause` seconds of silence around each."""
    silence = np.zeros(int(pause * SAMPLE_RATE), np.float32)
    parts = [silence]
    for _ in range(repeat):
        for name in SPOKEN_CLIPS:
            parts += [load_audio(DATA / name), silence]
    return np.concatenate(parts)


def expected_words(texts: dict[str, str], repeat: int = 1) -> list[str]:
    """The words speech(repeat=repeat) says, from the `texts` fixture."""
    return [w for _ in range(repeat) for name in SPOKEN_CLIPS for w in words(texts[name])]


def as_if_its_writer_died(library_path, transcript_id: int) -> None:
    """Make a running transcript's owner a process that is gone, as after a crash."""
    with sqlite3.connect(library_path) as db:
        db.execute("UPDATE transcripts SET owner_pid = ? WHERE id = ?", (2**22 + 7, transcript_id))


def write_rumble(path: Path, seconds: float, seed: int) -> Path:
    """Low, loud brown noise with slow swells, thunder-like, as a 16 kHz WAV file."""
    import soundfile as sf

    rng = np.random.default_rng(seed)
    noise = np.cumsum(rng.normal(0, 1, int(seconds * SAMPLE_RATE)))
    noise -= np.convolve(noise, np.ones(800) / 800, mode="same")
    swell = 0.6 + 0.4 * np.sin(np.linspace(0, 3 * np.pi, len(noise)) + seed)
    sf.write(path, (noise / np.abs(noise).max() * 0.8 * swell).astype(np.float32), SAMPLE_RATE)
    return Path(path)


def write_whistle(path: Path, seconds: float, hz: float) -> Path:
    """A bright tone with a vibrato, nothing like a rumble, as a 16 kHz WAV file."""
    import soundfile as sf

    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    audio = 0.3 * np.sin(2 * np.pi * hz * t + 3 * np.sin(2 * np.pi * 5 * t))
    sf.write(path, audio.astype(np.float32), SAMPLE_RATE)
    return Path(path)


def noise(seconds: float, seed: int = 0) -> np.ndarray:
    """Seeded white noise at 16 kHz, quiet enough to stand for a sound."""
    return np.random.default_rng(seed).normal(0, 0.1, int(seconds * 16000)).astype(np.float32)


class PeakRss:
    """The highest RSS of a process, sampled every 10 ms until done()."""

    def __init__(self, pid: int):
        self.process, self.peak, self.stop = psutil.Process(pid), 0, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.01)

    def done(self) -> int:
        self.stop.set()
        self.thread.join()
        return self.peak
