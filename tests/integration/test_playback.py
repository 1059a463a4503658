"""The Player through real PortAudio into a private PulseAudio sink, checked against what the
sink recorded: the file's sound at the position asked, at the speed, pitch and volume asked
(the tone file and the measures are in tests/audio_checks.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import numpy as np
import psutil
import pytest
import soundfile as sf
from audio_checks import (
    FREQS,
    STEP,
    TONE_RATE,
    audible,
    find,
    heard_from,
    reference,
    step_numbers,
    steps,
)
from helpers import DATA
from pulse_sink import SINK_RATE

from grym_desktop.audio.playback import OutputDeviceError, Player, envelope
from grym_desktop.errors import MissingFileError, NotAudioError


@pytest.fixture
def player(audio_output):
    p = Player()
    yield p
    p.close()


@pytest.fixture(scope="module")
def long_mp3(tmp_path_factory):
    """20 minutes of pink noise as a 32 kbit/s MP3 (4.8 MB; 211 MB decoded at 44.1 kHz)."""
    path = tmp_path_factory.mktemp("long") / "long.mp3"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
                    "anoisesrc=color=pink:sample_rate=16000:duration=1200:amplitude=0.3",
                    "-ac", "1", "-b:a", "32k", str(path)], check=True)
    return path


class PeakRss:
    """The process's highest RSS while inside, sampled every 10 ms on a thread."""

    def __enter__(self) -> PeakRss:
        self.process = psutil.Process()
        self.before = self.peak = self.process.memory_info().rss
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._done.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.01)

    def __exit__(self, *_exc) -> None:
        self._done.set()
        self._thread.join()

    @property
    def growth(self) -> int:
        return self.peak - self.before


def play_for(player: Player, seconds: float) -> list[float]:
    """Play `seconds`, reading the position every 20 ms; pause; the positions read."""
    return [p for _, p in timed_play(player, seconds)]


def timed_play(player: Player, seconds: float) -> list[tuple[float, float]]:
    """Play `seconds`, reading the position every 20 ms; pause; (clock, position) of each."""
    player.play()
    readings, end = [], time.monotonic() + seconds
    while time.monotonic() < end:
        readings.append((time.monotonic(), player.position))
        time.sleep(0.02)
    player.pause()
    return readings


def pace(readings: list[tuple[float, float]], skip: float = 0.3) -> float:
    """Seconds of file per second of clock, after the first `skip` s (the device's latency)."""
    (t0, p0), (t1, p1) = next(r for r in readings if r[0] >= readings[0][0] + skip), readings[-1]
    return (p1 - p0) / (t1 - t0)


def test_seek_plays_the_file_from_there_and_pause_keeps_the_position(player, audio_output,
                                                                     tones):
    ref = reference(tones)
    player.open(tones)
    assert player.duration == pytest.approx(8.0, abs=0.01) and not player.playing
    player.seek(3.0)
    assert player.position == 3.0
    with audio_output.record() as first:
        readings = timed_play(player, 1.0)
    paused = player.position
    start, length = heard_from(first.samples, ref)
    assert start == pytest.approx(3.0, abs=0.1)
    # The position is what the listener hears: the device's latency is accounted for.
    assert paused == pytest.approx(start + length, abs=0.1)
    positions = [p for _, p in readings]
    assert positions == sorted(positions) and positions[0] >= 3.0
    assert pace(readings) == pytest.approx(1.0, abs=0.1)

    time.sleep(0.3)
    assert player.position == paused and not player.playing
    with audio_output.record() as resumed:
        play_for(player, 0.5)
    assert heard_from(resumed.samples, ref)[0] == pytest.approx(paused, abs=0.1)


def test_speed_two_plays_twice_as_fast_at_the_same_pitch(player, audio_output, tones):
    player.open(tones)
    player.speed = 2.0
    player.seek(1.0)
    with audio_output.record() as rec:
        readings = timed_play(player, 1.2)
    assert pace(readings) == pytest.approx(2.0, abs=0.2)
    heard = steps(rec.samples)
    inner = heard[1:-1]  # the first and last steps are cut by the start and the pause
    assert len(inner) >= 6
    first = int(np.argmin([abs(f / inner[0][0] - 1) for f in FREQS]))
    expected = FREQS[first:first + len(inner)]
    assert 4 <= first <= 6  # 1.0 s into the file, give or take the fade-in
    for (heard_pitch, seconds), wanted in zip(inner, expected, strict=True):
        assert heard_pitch == pytest.approx(wanted, rel=0.03)  # the pitch is kept
        assert seconds == pytest.approx(STEP / 2, abs=0.04)  # each step lasts half as long


def test_half_volume_halves_the_amplitude(player, audio_output, tones):
    player.open(tones)
    levels = []
    for volume in (1.0, 0.5):
        player.volume = volume
        player.seek(2.0)
        with audio_output.record() as rec:
            play_for(player, 0.6)
        start, end = audible(rec.samples)
        middle = rec.samples[start + SINK_RATE // 10:end - SINK_RATE // 10]
        levels.append(np.sqrt(np.mean(middle**2)))
    assert levels[0] == pytest.approx(0.5 / np.sqrt(2), rel=0.05)
    assert levels[1] / levels[0] == pytest.approx(0.5, rel=0.05)


def test_a_loop_wraps_from_its_end_to_its_start(player, audio_output, tones):
    player.open(tones)
    player.set_loop(1.0, 1.5)
    assert player.position == 1.0  # outside the loop: the player goes to its start
    with audio_output.record() as rec:
        positions = play_for(player, 1.6)
    assert all(1.0 <= p <= 1.5 for p in positions)
    assert sum(np.diff(positions) < 0) >= 2  # wrapped at least twice
    assert step_numbers(rec.samples)[:6] == [4, 5, 4, 5, 4, 5]

    player.clear_loop()
    player.seek(1.25)
    with audio_output.record() as rec:
        play_for(player, 1.0)
    assert step_numbers(rec.samples)[:3] == [5, 6, 7]


def test_the_end_is_heard_then_reported(player, tones):
    ended = threading.Event()
    player.on_end = ended.set
    player.open(tones)
    player.seek(7.5)
    player.play()
    assert ended.wait(timeout=5)
    assert player.finished and not player.playing
    assert player.position == pytest.approx(8.0, abs=0.05)
    player.play()  # from the start again
    time.sleep(0.3)
    assert 0.0 <= player.position < 0.5 and player.playing and not player.finished


@pytest.mark.parametrize("name", ["hello_world.wav", "numbers_44k_stereo.flac", "sentence.ogg",
                                  "sentence.mp3", "sentence.m4a", "sentence.mp4"])
def test_every_format_the_app_transcribes_plays(player, audio_output, name):
    path = DATA / name
    player.open(path)
    player.seek(1.0)
    with audio_output.record() as rec:
        play_for(player, 0.8)
    # Speech has pauses: where the first sound heard is, the file must have its sound too.
    recording, ref = rec.samples, reference(path)
    start, _ = audible(recording)
    # What was heard is found in the file where the player was. On a busy machine a glitch
    # can fall in the first 0.3 s (the full suite once saw a correlation of 0.6), so the next
    # 0.3 s may stand in for it.
    size, step = int(0.3 * SINK_RATE), int(0.25 * SINK_RATE)
    heard = []
    for k in range(2):
        snippet = recording[start + k * step:start + k * step + size]
        lag = find(snippet, ref)
        at = lag / SINK_RATE - k * 0.25
        heard.append(1.0 - 0.1 <= at <= 1.8
                     and np.corrcoef(snippet, ref[lag:lag + size])[0, 1] > 0.9)
    assert any(heard)


def test_a_missing_or_undecodable_file_is_one_sentence(player, tmp_path):
    with pytest.raises(MissingFileError) as missing:
        player.open(tmp_path / "gone.wav")
    assert str(missing.value) == f"{tmp_path / 'gone.wav'} does not exist."
    text = tmp_path / "notes.wav"
    text.write_text("not audio at all\n" * 10)
    with pytest.raises(NotAudioError) as not_audio:
        player.open(text)
    assert str(not_audio.value) == f"{text} is not an audio or video file."
    assert player.duration == 0.0 and not player.playing
    player.play()  # nothing loaded: nothing happens
    assert not player.playing


def test_no_output_device_is_one_sentence(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / ".asoundrc").write_text('pcm.!default { type asym; capture.pcm "null" }\n')
    code = ("from grym_desktop.audio.playback import Player\n"
            f"Player().open({str(DATA / 'hello_world.wav')!r})\n")
    env = {**os.environ, "HOME": str(home), "XDG_RUNTIME_DIR": str(home)}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                            text=True)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == (
        f"grym_desktop.audio.playback.{OutputDeviceError.__name__}: "
        "No sound output device was found on this computer.")


def test_a_header_that_promises_hours_plays_what_is_there(player, tmp_path):
    path = tmp_path / "liar.wav"
    sf.write(path, np.full(3 * TONE_RATE, 0.1, np.float32), TONE_RATE, subtype="PCM_16")
    data = bytearray(path.read_bytes())
    at = data.index(b"data")
    data[at + 4:at + 8] = (0x7FFF0000).to_bytes(4, "little")  # 13.5 hours at 22 kHz
    path.write_bytes(bytes(data))
    player.open(path)
    assert player.duration == pytest.approx(3.0, abs=0.01)
    player.seek(2.7)
    player.play()
    deadline = time.monotonic() + 5
    while not player.finished and time.monotonic() < deadline:
        time.sleep(0.02)
    assert player.finished and player.position == pytest.approx(3.0, abs=0.05)


def test_playing_a_long_file_keeps_memory_bounded(player, long_mp3):
    """Played anywhere, at any speed, the 20-minute file holds a few MB, not its 211 MB."""
    with PeakRss() as rss:
        player.open(long_mp3)
        assert player.duration == pytest.approx(1200, abs=1)
        for at, speed in ((0.0, 1.0), (600.0, 2.0), (1199.0, 0.5), (300.0, 1.0)):
            player.speed = speed
            player.seek(at)
            player.play()
            time.sleep(0.8)
            assert at < player.position <= min(at + 0.8 * speed + 0.1, 1200)
            player.pause()
    assert rss.growth < 30 * 2**20, f"RSS grew {rss.growth / 2**20:.1f} MiB"


def test_the_envelope_of_a_long_file_is_a_few_thousand_buckets_in_bounded_memory(long_mp3):
    with PeakRss() as rss:
        env = envelope(long_mp3, buckets=2000)
    assert 2000 <= len(env.times) <= 4000
    assert env.duration == pytest.approx(1200, abs=0.1)
    assert np.all(np.diff(env.times) > 0) and env.times[-1] > 1199
    assert np.all(env.lows <= env.highs) and 0.2 < env.highs.max() < 1.0
    assert rss.growth < 30 * 2**20, f"RSS grew {rss.growth / 2**20:.1f} MiB"


def test_the_envelope_of_a_short_file_follows_its_samples(tones):
    env = envelope(tones, buckets=500)
    assert 500 <= len(env.times) <= 1000 and env.duration == pytest.approx(8.0, abs=0.01)
    assert env.highs.max() == pytest.approx(0.5, abs=0.01)
    assert env.lows.min() == pytest.approx(-0.5, abs=0.01)
