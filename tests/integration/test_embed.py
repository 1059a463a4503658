"""The embed operation: vectors for stretches of audio from the bundled Whisper's encoder,
one encoding pooled per span."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import speech

from grym_desktop.audio.decode import load_audio
from grym_desktop.errors import GrymError, InputError
from grym_desktop.memory.limits import parse_size
from grym_desktop.orchestrator.runner import Orchestrator

pytestmark = pytest.mark.integration

DATA = Path(__file__).resolve().parents[1] / "data"


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


@pytest.fixture(scope="module")
def orchestrator():
    o = Orchestrator(parse_size("16GiB"))
    yield o
    o.close()


def test_the_same_sound_embeds_alike_and_a_different_one_does_not(orchestrator):
    hello = load_audio(DATA / "hello_world.wav")
    sentence = load_audio(DATA / "sentence.ogg")
    first = orchestrator.embed(hello)
    again = orchestrator.embed(hello.copy())
    quieter = orchestrator.embed(hello * 0.5)
    other = orchestrator.embed(sentence)
    noise = orchestrator.embed(np.random.default_rng(0).normal(0, 0.1, 3 * 16000))

    assert first.model == "whisper-tiny.en" and first.dimension == 384
    assert cosine(first.vector, again.vector) > 0.99
    assert cosine(first.vector, quieter.vector) > 0.99
    assert cosine(first.vector, other.vector) < cosine(first.vector, again.vector)
    assert cosine(first.vector, noise.vector) < cosine(first.vector, other.vector)


def test_embedding_refuses_audio_it_cannot_take(orchestrator):
    with pytest.raises(GrymError, match="30 s of mono audio"):
        orchestrator.embed(np.zeros(31 * 16000, np.float32))
    with pytest.raises(GrymError, match="30 s of mono audio"):
        orchestrator.embed(np.zeros((2, 16000), np.float32))


def test_spans_of_one_clip_are_pooled_from_one_encoding(orchestrator):
    audio = speech(pause=1.0, repeat=3)[:30 * 16000]
    spans = [(float(i), i + 2.0) for i in range(29)]
    pooled = orchestrator.embed_spans(audio, spans)
    again = orchestrator.embed_spans(audio.copy(), [spans[5], spans[5], (0.0, 30.0)])
    assert pooled.model_id == "whisper-tiny.en" and pooled.vectors.shape == (29, 384)
    assert pooled.vectors.dtype == np.float32 and np.isfinite(pooled.vectors).all()
    np.testing.assert_array_equal(again.vectors[0], again.vectors[1])
    np.testing.assert_allclose(again.vectors[0], pooled.vectors[5], atol=1e-5)
    # the whole audio as one span is exactly what embed gives
    np.testing.assert_allclose(again.vectors[2], orchestrator.embed(audio).vector, atol=1e-5)
    # Spans hear their context: a window pooled from the 30 s encoding is NOT the vector of
    # that window embedded alone (measured median cosine about 0.25), so the two kinds of
    # vector must never be mixed under one model.
    alone = orchestrator.embed(audio[5 * 16000:7 * 16000]).vector
    assert cosine(pooled.vectors[5], alone) < 0.99


def test_spans_are_checked_before_any_model_is_used(orchestrator):
    audio = np.zeros(2 * 16000, np.float32)
    for spans, message in [
        ([(0.0, 3.0)], "not inside"), ([(1.0, 1.0)], "not inside"), ([(-0.5, 1.0)], "not inside"),
        ([(0.0, float("nan"))], "not inside"), ([], "At least one span"),
        ([(0.0, 1.0)] * 1001, "At most 1000"), ([(0.0,)], "pairs of seconds"),
    ]:
        with pytest.raises(InputError, match=message):
            orchestrator.embed_spans(audio, spans)
    # a span a rounding past the end is clipped to it
    end = orchestrator.embed_spans(audio, [(1.0, 2.02)]).vectors
    np.testing.assert_array_equal(end, orchestrator.embed_spans(audio, [(1.0, 2.0)]).vectors)


def test_whisper_embeds_no_text_and_the_host_checks_its_requests(orchestrator):
    orchestrator.embed(np.zeros(16000, np.float32))
    with pytest.raises(GrymError, match="clap-htsat-unfused"):
        orchestrator.call("embed_text", {"texts": ["dog barking"]})
    with pytest.raises(InputError, match="not inside"):
        orchestrator.call("embed", {"samples": np.zeros(16000, np.float32),
                                    "spans": [[0.5, 4.0]]})
    reply = orchestrator.call("embed", {"samples": np.zeros(16000, np.float32),
                                        "spans": [[0.0, 0.5], [0.5, 1.0]]})
    assert isinstance(reply["vectors"], np.ndarray) and reply["vectors"].shape == (2, 384)


def test_both_whisper_engines_pool_the_same_spans_alike(tmp_path):
    """The bundled tiny.en in CTranslate2 and converted to transformers: same weights, same
    spans, nearly the same vectors."""
    from grym_desktop.host.client import HostClient
    from grym_desktop.models.catalog import get_spec
    from grym_desktop.models.convert_ct2 import convert_bundled_tiny_en
    from grym_desktop.models.sources import resolve

    audio = speech(pause=1.0)
    spans = np.array([(0.0, 2.0), (3.0, 5.5), (0.0, len(audio) / 16000)])
    converted = convert_bundled_tiny_en(tmp_path / "whisper-tiny.en-hf")
    client = HostClient()
    try:
        vectors = {}
        for engine, folder in (("ctranslate2", resolve(get_spec("whisper-tiny.en"))),
                               ("transformers", converted)):
            client.call("load", {"engine": engine, "model_dir": str(folder),
                                 "precision": "float32", "model_id": engine})
            vectors[engine] = client.call("embed", {"samples": audio, "spans": spans})["vectors"]
    finally:
        client.shutdown()
    for a, b in zip(vectors["ctranslate2"], vectors["transformers"], strict=True):
        assert cosine(a, b) > 0.99
