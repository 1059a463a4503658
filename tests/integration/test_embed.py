"""The embed operation: one vector per stretch of audio from the bundled Whisper's encoder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from grym_desktop.audio.decode import load_audio
from grym_desktop.errors import GrymError
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
