"""`grym-desktop live` through the real PortAudio stack, from a virtual ALSA microphone.

ALSA's `file` plugin replays a raw PCM file as the capture device (a test HOME holds
the .asoundrc). Its `null` slave has no clock, so the virtual microphone delivers
faster than real time; `--seconds` counts audio, so the run ends when the file has
been heard. The device runs at 44.1 kHz: the app resamples to 16 kHz itself.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import jiwer
import numpy as np
import pytest
import soundfile as sf
import soxr
from helpers import expected_words, speech, words

from grym_desktop.audio.decode import SAMPLE_RATE

pytestmark = pytest.mark.integration

DEVICE_RATE = 44100
ASOUNDRC = """pcm.!default {{ type asym; capture.pcm "mic"; playback.pcm "null" }}
pcm.mic {{ type plug; slave {{ pcm "micfile"; format S16_LE; rate {rate}; channels 1 }} }}
pcm.micfile {{ type file; slave.pcm "null"; file "/dev/null"; infile "{infile}"; format "raw" }}
"""


def virtual_mic(home: Path, audio: np.ndarray | None, infile: Path | None = None) -> dict:
    """A HOME whose .asoundrc makes `audio` (16 kHz) the default microphone, at 44.1 kHz."""
    home.mkdir(parents=True, exist_ok=True)
    if infile is None:
        infile = home / "mic.raw"
        resampled = soxr.resample(audio, SAMPLE_RATE, DEVICE_RATE)
        (np.clip(resampled, -1, 1) * 32767).astype("<i2").tofile(infile)
    (home / ".asoundrc").write_text(ASOUNDRC.format(rate=DEVICE_RATE, infile=infile))
    return {**os.environ, "HOME": str(home)}


def grym(*args: str, env: dict, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grym_desktop", *args], env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_live_json_from_a_virtual_microphone_matches_the_file_transcription(tmp_path, texts):
    audio = np.concatenate([speech(repeat=2), np.zeros(2 * SAMPLE_RATE, np.float32)])
    env = virtual_mic(tmp_path / "home", audio)
    seconds = f"{len(audio) / SAMPLE_RATE - 1:.2f}"  # stop before the end of the raw file
    result = grym("live", "--device", "mic", "--seconds", seconds, "--json", env=env)
    assert result.returncode == 0, result.stderr
    # The device's flood of audio puts decoding behind and overflows the capture buffer
    # (past the audio used here); the user is told, nothing else.
    assert all("behind" in line or "was lost" in line
               for line in result.stderr.splitlines()), result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    start, *middle, end = events
    assert start["event"] == "start" and start["source"] == "mic"
    assert start["model"] == "whisper-tiny.en" and end["event"] == "end"
    finals = [e for e in middle if e["event"] == "final"]
    assert len(finals) == 6  # no partials: with the audio all there, only finals are due
    assert all(set(e) >= {"utterance", "start", "text", "at"} for e in middle)
    assert [f["start"] for f in finals] == sorted(f["start"] for f in finals)
    assert end["segments"] == 6 and end["duration"] == float(seconds)

    # The same audio as a file, the same model at the same precision and beam size.
    wav = tmp_path / "same_audio.wav"
    sf.write(wav, audio, SAMPLE_RATE)
    file_result = grym("transcribe", str(wav), "--format", "json", "--precision",
                       start["precision"], "--beam-size", "5", env=env)
    assert file_result.returncode == 0, file_result.stderr
    file_text = " ".join(s["text"] for s in json.loads(file_result.stdout)["segments"])

    reference = " ".join(expected_words(texts, repeat=2))
    live_wer = jiwer.wer(reference, " ".join(w for f in finals for w in words(f["text"])))
    file_wer = jiwer.wer(reference, " ".join(words(file_text)))
    assert live_wer <= 1.5 * file_wer + 0.02, (live_wer, file_wer, finals, file_text)


def test_the_virtual_microphone_is_listed_with_its_native_rate(tmp_path):
    env = virtual_mic(tmp_path / "home", np.zeros(SAMPLE_RATE, np.float32))
    result = grym("live", "--list-devices", "--json", env=env)
    assert result.returncode == 0, result.stderr
    devices = {d["name"]: d for d in map(json.loads, result.stdout.splitlines())}
    assert devices["mic"]["rate"] == DEVICE_RATE
    assert any(d["is_default"] for d in devices.values())


def test_no_microphone_is_one_sentence_and_exit_code_3(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / ".asoundrc").write_text('pcm.!default { type asym; playback.pcm "null" }\n')
    result = grym("live", "--json", env={**os.environ, "HOME": str(home)})
    assert result.returncode == 3
    assert result.stdout == ""
    assert result.stderr.strip() == "grym-desktop: No microphone was found on this computer."


def test_an_unknown_device_name_is_one_sentence_and_exit_code_3(tmp_path):
    env = virtual_mic(tmp_path / "home", np.zeros(SAMPLE_RATE, np.float32))
    result = grym("live", "--device", "USB Headset", "--json", env=env)
    assert result.returncode == 3 and result.stdout == ""
    assert result.stderr.strip() == "grym-desktop: The microphone “USB Headset” is not connected."


def test_a_microphone_that_stops_sending_audio_is_reported_not_waited_for(tmp_path):
    """The device goes silent mid-session (its driver stops delivering): a message, exit 3."""
    fifo = tmp_path / "mic.fifo"
    os.mkfifo(fifo)
    env = virtual_mic(tmp_path / "home", None, infile=fifo)
    done = threading.Event()

    def device() -> None:
        # Each open (PortAudio probes the device first) gets a second of audio, then
        # nothing more: the capture thread blocks as on a hung device, until the end.
        while not done.is_set():
            with open(fifo, "wb", buffering=0) as f:
                try:
                    f.write(np.zeros(DEVICE_RATE, "<i2").tobytes())
                    done.wait()
                except BrokenPipeError:
                    continue

    threading.Thread(target=device, daemon=True).start()
    command = [sys.executable, "-m", "grym_desktop", "live", "--device", "mic", "--json"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        message = process.stderr.readline().strip()
    finally:
        done.set()
        os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))  # release a writer waiting to open
        out, _ = process.communicate(timeout=60)
    assert message == ("grym-desktop: The microphone “mic” stopped sending audio; "
                       "was it unplugged or turned off?")
    assert process.returncode == 3
    assert all(json.loads(line)["event"] in ("start", "partial", "final")
               for line in out.splitlines())
