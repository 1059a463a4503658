"""The pass before decoding: true length, cut-short files, NaN samples, where speech is."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from grym_desktop.audio.decode import probe
from grym_desktop.audio.scan import read_spans, scan_audio, take_samples
from grym_desktop.audio.vad import FRAME, SAMPLE_RATE
from grym_desktop.errors import CorruptAudioError

DATA = Path(__file__).resolve().parents[1] / "data"


def speech_with_silence(path: Path, silence: float) -> float:
    """hello_world.wav followed by `silence` seconds of digital silence; returns speech end."""
    speech, rate = sf.read(DATA / "hello_world.wav", dtype="float32")
    sf.write(path, np.concatenate([speech, np.zeros(int(silence * rate), np.float32)]), rate,
             subtype="PCM_16")
    return len(speech) / rate


def test_speech_probabilities_cover_the_file_and_find_the_speech(tmp_path):
    path = tmp_path / "a.wav"
    speech_end = speech_with_silence(path, 10.0)
    scan = scan_audio(path, probe(path))
    assert scan.cut_short is None
    assert len(scan.speech) == -(-scan.samples // FRAME)
    at = int(speech_end * SAMPLE_RATE / FRAME)
    assert scan.speech[:at].max() > 0.9
    assert scan.speech[at + 20 :].max() < 0.1


def test_a_wav_cut_short_is_scanned_to_its_end_and_says_so(tmp_path):
    path = tmp_path / "cut.wav"
    speech_with_silence(path, 20.0)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    info = probe(path)
    assert info.header_duration is not None and info.header_duration > info.duration + 5
    scan = scan_audio(path, info)
    assert abs(scan.duration - info.duration) < 0.01
    assert "cut short" in scan.cut_short and "cut.wav" in scan.cut_short


def test_nan_samples_at_the_start_are_refused_by_probe(tmp_path):
    path = tmp_path / "nan.wav"
    sf.write(path, np.full(SAMPLE_RATE * 5, np.nan, np.float32), SAMPLE_RATE, subtype="FLOAT")
    with pytest.raises(CorruptAudioError, match="not numbers"):
        probe(path)


def test_infinite_samples_later_in_the_file_are_refused_with_their_time(tmp_path):
    path = tmp_path / "inf.wav"
    x = np.zeros(SAMPLE_RATE * 70, np.float32)
    x[SAMPLE_RATE * 45] = np.inf
    sf.write(path, x, SAMPLE_RATE, subtype="FLOAT")
    with pytest.raises(CorruptAudioError, match=r"from 45\.0 s"):
        scan_audio(path, probe(path))


def test_take_samples_stops_exactly_without_reading_further():
    def chunks():
        yield np.ones(10, np.float32)
        yield np.ones(10, np.float32)
        raise AssertionError("read past the end")

    assert sum(len(c) for c in take_samples(chunks(), 15)) == 15
    assert sum(len(c) for c in take_samples(chunks(), 20)) == 20


def test_read_spans_returns_exactly_the_samples_asked_for_across_chunks(tmp_path):
    path = tmp_path / "ramp.wav"
    seconds = 70.0  # three 30 s chunks
    ramp = (np.arange(int(seconds * SAMPLE_RATE)) % 30000).astype(np.int16)
    sf.write(path, ramp, SAMPLE_RATE, subtype="PCM_16")
    scan = scan_audio(path, probe(path))
    spans = [(1.0, 1.5), (29.5, 31.0), (40.0, 65.0), (69.5, 70.0)]
    got = list(read_spans(path, scan, spans))
    assert [start for start, _ in got] == [s for s, _ in spans]
    for (start, end), (_, samples) in zip(spans, got, strict=True):
        first, stop = round(start * SAMPLE_RATE), round(end * SAMPLE_RATE)
        assert np.allclose(samples * 32768, ramp[first:stop])
