"""The live path's audio parts without a model: Silero VAD, utterances, ring buffer, sources."""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pytest
from helpers import DATA

from grym_desktop.audio.capture import RingBuffer
from grym_desktop.audio.decode import SAMPLE_RATE, load_audio
from grym_desktop.audio.sources import ArraySource, FileSource
from grym_desktop.audio.vad import FRAME, Segmenter, SileroVAD, VadConfig
from grym_desktop.host.live import LiveDecoder, agree, agreed_prefix


def speech_with_pauses(pause: float) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Three fixture sentences with `pause` seconds of silence around each; their spans."""
    silence = np.zeros(int(pause * SAMPLE_RATE), np.float32)
    parts, spans, at = [silence], [], len(silence)
    for name in ("hello_world.wav", "numbers_44k_stereo.flac", "sentence.ogg"):
        audio = load_audio(DATA / name)
        parts += [audio, silence]
        spans.append((at, at + len(audio)))
        at += len(audio) + len(silence)
    return np.concatenate(parts), spans


def utterances(audio: np.ndarray, chunk: int, config: VadConfig | None = None):
    vad, segmenter = SileroVAD(), Segmenter(config)
    events, pending = [], np.zeros(0, np.float32)
    for i in range(0, len(audio), chunk):
        pending = np.concatenate([pending, audio[i:i + chunk]])
        n = len(pending) // FRAME
        if n:
            events += segmenter.feed(vad(pending[: n * FRAME].reshape(n, FRAME)))
            pending = pending[n * FRAME:]
    return events


def test_the_vad_model_is_found_without_importing_faster_whisper():
    code = ("import sys; from grym_desktop.audio.vad import SileroVAD; SileroVAD(); "
            "print(sorted(m for m in ('faster_whisper', 'ctranslate2', 'torch') "
            "if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"


def test_each_sentence_is_one_utterance_whatever_the_chunk_size():
    audio, spans = speech_with_pauses(1.0)
    for chunk in (160, 1000, 16000):
        events = utterances(audio, chunk)
        starts = [e.sample for e in events if e.kind == "start"]
        ends = [e for e in events if e.kind == "end"]
        assert len(starts) == len(ends) == 3, (chunk, events)
        for (a, b), start, end in zip(spans, starts, ends, strict=True):
            assert a - 0.4 * SAMPLE_RATE <= start <= a + 0.3 * SAMPLE_RATE
            assert b - 0.4 * SAMPLE_RATE <= end.speech_end <= b + 0.2 * SAMPLE_RATE
            assert end.sample > end.speech_end  # the pause is kept as end padding


def test_a_pause_comes_before_the_end_and_utterances_never_overlap():
    audio, _ = speech_with_pauses(1.0)
    events = utterances(audio, 512)
    kinds = [e.kind for e in events]
    assert kinds == ["start", "pause", "end"] * 3
    bounds = [e.sample for e in events if e.kind in ("start", "end")]
    assert bounds == sorted(bounds)


def test_long_speech_is_cut_at_a_quiet_point_into_contiguous_utterances():
    audio, _ = speech_with_pauses(0.1)  # pauses too short to end an utterance
    events = utterances(audio, 4000, VadConfig(max_utterance=4.0))
    cuts = [i for i, e in enumerate(events) if e.kind == "cut"]
    assert cuts, events
    for i in cuts:
        # A cut ends one utterance and the next starts there (sharing at most a pause).
        cut, start = events[i], events[i + 1]
        assert start.kind == "start" and cut.sample - 2 * FRAME <= start.sample <= cut.sample
    bounds = [e.sample for e in events if e.kind in ("start", "cut", "end")]
    lengths = [b - a for a, b in zip(bounds[::2], bounds[1::2], strict=False)]
    assert all(0 < n <= 4.0 * SAMPLE_RATE for n in lengths), lengths


def test_silence_and_a_click_make_no_utterance():
    audio = np.zeros(3 * SAMPLE_RATE, np.float32)
    audio[SAMPLE_RATE:SAMPLE_RATE + 80] = 0.9
    assert utterances(audio, 1600) == []


def test_ring_buffer_keeps_order_across_the_wrap_and_drops_only_what_does_not_fit():
    ring = RingBuffer(1000, 2)
    counter = np.arange(3000, dtype=np.int16).repeat(2).reshape(-1, 2)
    got = []
    for i in range(0, 2400, 300):
        ring.write(counter[i:i + 300])
        if i % 600 == 0:
            got.append(ring.read())
    got.append(ring.read())
    out = np.concatenate(got)[:, 0]
    assert list(out) == list(range(2400)) and ring.dropped == 0
    ring.write(counter[:1500])
    assert ring.dropped == 500 and list(ring.read()[:, 1]) == list(range(1000))


def test_real_time_file_source_paces_like_a_microphone():
    source = FileSource(DATA / "hello_world.wav", realtime=True)
    source.start()
    got = 0
    while got < SAMPLE_RATE // 2:
        got += len(source.read())
    elapsed = time.monotonic() - source.t0
    assert got / SAMPLE_RATE <= elapsed + 0.05  # never ahead of the clock


def test_fast_source_gives_the_whole_file_then_ends():
    expected = load_audio(DATA / "numbers_44k_stereo.flac")
    source = FileSource(DATA / "numbers_44k_stereo.flac", realtime=False)
    source.start()
    blocks = []
    while (block := source.read()) is not None:
        blocks.append(block)
    assert np.array_equal(np.concatenate(blocks), expected)


def test_array_source_stops_when_asked():
    source = ArraySource(np.ones(SAMPLE_RATE, np.float32), realtime=False)
    source.start()
    assert len(source.read()) > 0
    source.stop()
    assert source.read() is None


def partials(hypotheses: list[str]) -> list[tuple[str, str]]:
    """(stable, shown) after each hypothesis, as the host's local agreement gives them."""
    stable, previous, out = [], [], []
    for text in hypotheses:
        words = text.split()
        stable, shown = agree(stable, previous, words)
        previous = words
        out.append((" ".join(stable), " ".join(shown)))
    return out


def test_stable_words_never_change_once_two_hypotheses_agreed():
    out = partials(["and so", "And so my", "and so am I", "and so my fellow", "and so my fellow"])
    assert [stable for stable, _ in out] == ["", "and so", "and so", "and so", "and so my fellow"]
    # "my" was never agreed on, so "am I" may replace it while "and so" stays.
    assert out[2][1] == "and so am I"
    for (before, _), (after, _) in zip(out, out[1:], strict=False):
        assert after.split()[: len(before.split())] == before.split()


def test_a_hypothesis_contradicting_stable_words_shows_only_the_stable_words():
    out = partials(["the cat sat", "the cat sat on", "a dog"])
    assert out[1] == ("the cat sat", "the cat sat on")
    assert out[2] == ("the cat sat", "the cat sat")


def test_agreed_prefix_ignores_case_and_punctuation():
    assert agreed_prefix(["And", "so,", "my"], ["and", "so", "my", "fellow"]) == 3
    assert agreed_prefix(["ask"], ["Ask!", "not"]) == 1
    assert agreed_prefix([], ["a"]) == 0


@pytest.mark.parametrize("offset", [100, 5])
def test_audio_out_of_order_is_refused(offset):
    from grym_desktop.errors import GrymError

    live = LiveDecoder()
    live.append(0, 0, np.zeros(10, np.float32))
    with pytest.raises(GrymError):
        live.append(0, offset + 10, np.zeros(10, np.float32))


@pytest.mark.parametrize("text, seconds, plausible", [
    ("Two. Two.", 0.8, False),  # a short word said twice: Whisper's echo on short audio
    ("five five", 2.5, True),  # said twice, with time for it
    ("Sunday is the best part of the week.", 2.6, True),
    ("the quick brown fox " * 6, 3.0, False),  # faster than anyone speaks
    ("no no no no", 5.0, False),  # one word four times in a row
])
def test_runaway_decodes_are_recognised(text, seconds, plausible):
    from grym_desktop.engines.ctranslate2_engine import CTranslate2Whisper

    assert CTranslate2Whisper._plausible(text, seconds) is plausible
    if not plausible and seconds < 1:
        assert CTranslate2Whisper._once(text) == "Two."
