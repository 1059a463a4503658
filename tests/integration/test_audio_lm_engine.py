"""Asking a recording a question: the audio language model engine and the host's ask operation.

The real Qwen2-Audio, Voxtral and Granite Speech checkpoints cannot be had here: tiny
random-weight models of their real configurations (tests/audio_lm_fixture.py) go through the
whole path instead: load, prompt building, streaming, stop, per-part asking, int8, unload. The
answers are noise; the mechanics are real. Their special tokens are silenced, so generation
runs to max_new_tokens unless stopped.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time

import numpy as np
import pytest
import soundfile as sf
import torch
from audio_lm_fixture import build_tiny_granite_speech, build_tiny_qwen2_audio, build_tiny_voxtral
from helpers import noise
from safetensors.torch import save_file

from grym_desktop.audio.decode import SAMPLE_RATE
from grym_desktop.engines import load_engine
from grym_desktop.engines.audio_lm_engine import AudioLMEngine, context_for, part_bounds
from grym_desktop.engines.transformers_engine import supported_precisions
from grym_desktop.errors import GrymError, InputError
from grym_desktop.host.client import HostClient
from grym_desktop.models.footprint import ASK_PROMPT_TOKENS

pytestmark = pytest.mark.integration

BUILDERS = {"qwen2_audio": build_tiny_qwen2_audio, "voxtral": build_tiny_voxtral,
            "granite_speech": build_tiny_granite_speech}
KINDS = list(BUILDERS)
QUESTION = "What is happening here?"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """kind -> the folder of its tiny model, built on first use."""
    folders = {}

    def get(kind: str):
        if kind not in folders:
            folders[kind] = BUILDERS[kind](tmp_path_factory.mktemp(kind) / f"tiny-{kind}")
        return folders[kind]

    return get


def load(folder, precision: str = "float32") -> AudioLMEngine:
    return load_engine("transformers", folder, precision, {"cpu_threads": 1})


def ask(engine, samples, max_new_tokens=12, stop_after=None, context=None, offset=0.0):
    """(result, streamed pieces, stop latency in seconds or None); a stop is requested when
    the stop_after-th piece of text arrives."""
    pieces: list[str] = []
    asked: list[float] = []

    def on_token(text: str) -> None:
        pieces.append(text)
        if len(pieces) == stop_after:
            asked.append(time.perf_counter())

    result = engine.ask(samples, QUESTION, context, max_new_tokens, on_token, lambda: bool(asked),
                        offset=offset)
    return result, pieces, time.perf_counter() - asked[0] if asked else None


@pytest.mark.parametrize("kind", KINDS)
def test_each_architecture_streams_an_answer_and_stops_on_request(tiny, kind):
    engine = load(tiny(kind))
    assert isinstance(engine, AudioLMEngine) and engine.kind == kind
    result, pieces, _ = ask(engine, noise(4.0), max_new_tokens=24)
    assert result["tokens"] == 24 and len(pieces) >= 5 and not result["stopped"]
    assert "".join(pieces).strip() == result["answer"]
    assert result["parts"] == [{"start": 0.0, "end": 4.0, "answer": result["answer"]}]
    assert result["prompt_tokens"] > 20 and result["note"] is None  # audio tokens and question

    result, pieces, latency = ask(engine, noise(4.0), max_new_tokens=300, stop_after=3)
    print(f"{kind}: stopped {latency * 1000:.1f} ms after the request, after "
          f"{result['tokens']} tokens")
    assert result["stopped"] and 3 <= result["tokens"] < 300 and len(pieces) <= 4


@pytest.mark.parametrize("kind", KINDS)
def test_a_stop_during_the_prompt_pass_ends_it_there(tiny, kind):
    """should_stop() is checked before every module runs, not only between tokens."""
    engine = load(tiny(kind))
    calls = []

    def should_stop() -> bool:
        calls.append(1)
        return len(calls) > 20  # inside the audio encoder or the first pass of the prompt

    pieces: list[str] = []
    result = engine.ask(noise(4.0), QUESTION, None, 50, pieces.append, should_stop)
    assert result["stopped"] and result["tokens"] == 0 and pieces == []
    assert result["answer"] == "" and len(result["parts"]) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_int8_and_bfloat16_where_they_work(tiny, kind, tmp_path):
    float32 = load(tiny(kind))
    engine = load(tiny(kind), "int8")
    assert any(isinstance(m, torch.ao.nn.quantized.dynamic.Linear) for m in engine.model.modules())
    assert engine.footprint_bytes < float32.footprint_bytes
    assert ask(engine, noise(3.0), max_new_tokens=6)[0]["tokens"] == 6
    # A bfloat16 checkpoint (as the real ones are) is quantized from bfloat16, never held in
    # float32 whole; what is not int8 computes in float32.
    stored = shutil.copytree(tiny(kind), tmp_path / "bf16")
    float32.model.to(torch.bfloat16).save_pretrained(stored)
    engine = load(stored, "int8")
    assert {p.dtype for p in engine.model.parameters()} == {torch.float32}
    assert ask(engine, noise(3.0), max_new_tokens=6)[0]["tokens"] == 6
    if "bfloat16" in supported_precisions():
        engine = load(tiny(kind), "bfloat16")
        assert engine.footprint_bytes < 0.7 * float32.footprint_bytes  # tiny: int buffers too
        assert ask(engine, noise(3.0), max_new_tokens=6)[0]["tokens"] == 6


def test_long_audio_is_asked_part_by_part_and_said_so(tiny):
    engine = load(tiny("qwen2_audio"))
    context = "\n".join(f"[{m}:{s:02d}] Ann: line at {60 * m + s}" for m in (1, 2) for s in (45, 5))
    result, pieces, _ = ask(engine, noise(65.0), max_new_tokens=4, context=context, offset=100.0)
    assert [(p["start"], p["end"]) for p in result["parts"]] == [
        (100.0, 121.667), (121.667, 143.333), (143.333, 165.0)]
    assert result["tokens"] == 12 and "3 parts" in result["note"]
    lines = result["answer"].split("\n")
    assert [line.split(": ")[0] for line in lines] == ["1:40–2:02", "2:02–2:23", "2:23–2:45"]
    assert "".join(pieces).split() == result["answer"].split()


@pytest.mark.parametrize("kind", KINDS)
def test_the_text_around_the_audio_stays_within_the_planned_prompt(tiny, kind):
    engine = load(tiny(kind))
    transcript = "\n".join(f"Ann: we talked about the budget, point {n}" for n in range(300))
    result, _, _ = ask(engine, noise(2.0), max_new_tokens=2, context=transcript)
    text_tokens = result["prompt_tokens"] - result["audio_tokens"]
    assert ASK_PROMPT_TOKENS - 64 < text_tokens <= ASK_PROMPT_TOKENS  # cut, not dropped
    with pytest.raises(InputError, match="question is too long"):
        engine.ask(noise(2.0), "why? " * 400, None, 2, print, lambda: False)
    with pytest.raises(InputError, match="1 to 512 tokens"):
        engine.ask(noise(2.0), QUESTION, None, 513, print, lambda: False)


def test_the_transcript_goes_with_the_part_it_belongs_to():
    # times as transcript.clock writes them, or shorter
    transcript = ("Speakers: Ann, Bob\n[0:05] Ann: hello\n[00:40.50] Bob: budget\n"
                  "[1:02:03.5] Ann: bye")
    assert context_for(transcript, 0, 30) == "Speakers: Ann, Bob\n[0:05] Ann: hello"
    assert context_for(transcript, 30, 60) == "Speakers: Ann, Bob\n[00:40.50] Bob: budget"
    assert context_for(transcript, 3700, 3730) == "Speakers: Ann, Bob\n[1:02:03.5] Ann: bye"
    assert context_for(transcript, 100, 130) is None
    assert context_for("no times at all", 100, 130) == "no times at all"
    assert part_bounds(30.0, 30.0) == [(0.0, 30.0)]
    assert part_bounds(61.0, 30.0) == [(0.0, 61 / 3), (61 / 3, 122 / 3), (122 / 3, 61.0)]


def _torchaudio_mel_filters(n_freqs: int, n_mels: int, rate: int) -> np.ndarray:
    """torchaudio.functional.melscale_fbanks(norm=None, mel_scale="htk"), written out."""
    freqs = np.linspace(0, rate // 2, n_freqs)
    mels = np.linspace(0, 2595.0 * np.log10(1.0 + rate / 2 / 700.0), n_mels + 2)
    points = 700.0 * (10 ** (mels / 2595.0) - 1.0)
    slopes = points[None, :] - freqs[:, None]
    down = -slopes[:, :-2] / np.diff(points)[:-1]
    up = slopes[:, 2:] / np.diff(points)[1:]
    return np.maximum(0, np.minimum(down, up))


def test_granite_features_are_torchaudios_without_torchaudio(tiny):
    engine = load(tiny("granite_speech"))
    features = engine.features
    assert np.allclose(features.filters.numpy(), _torchaudio_mel_filters(257, 80, 16000),
                       atol=1e-6)
    values, tokens = features(noise(7.0))
    # 7 s: 701 mel frames -> 350 stacked pairs of 80 -> 24 blocks of 15 -> 3 tokens each
    assert values.shape == (1, 350, 160) and tokens == 72
    # floored 8 decades (of power) below the loudest value, then scaled by 1/4: a span of 2
    assert 0 < float(values.max() - values.min()) <= 2.0 + 1e-6


def test_granite_speech_lora_adapter_is_merged_into_the_weights(tiny, tmp_path):
    folder = shutil.copytree(tiny("granite_speech"), tmp_path / "with-lora")
    base = load(folder).model
    rank, generator = 4, torch.Generator().manual_seed(1)
    adapter = {}
    for layer in range(2):
        for proj in ("q_proj", "v_proj"):
            weight = base.get_submodule(f"model.language_model.layers.{layer}.self_attn.{proj}")
            key = f"base_model.model.language_model.model.layers.{layer}.self_attn.{proj}"
            adapter[f"{key}.lora_A.weight"] = torch.randn(rank, weight.in_features,
                                                          generator=generator)
            adapter[f"{key}.lora_B.weight"] = torch.randn(weight.out_features, rank,
                                                          generator=generator)
    save_file(adapter, str(folder / "adapter_model.safetensors"))
    (folder / "adapter_config.json").write_text(json.dumps(
        {"peft_type": "LORA", "r": rank, "lora_alpha": 8, "target_modules": ["q_proj", "v_proj"]}))
    engine = load(folder)
    assert engine.lora_layers == 4
    name = "model.language_model.layers.1.self_attn.v_proj"
    key = "base_model.model.language_model.model.layers.1.self_attn.v_proj"
    expected = base.get_submodule(name).weight + 2.0 * (
        adapter[f"{key}.lora_B.weight"] @ adapter[f"{key}.lora_A.weight"])
    assert torch.allclose(engine.model.get_submodule(name).weight, expected, atol=1e-5)
    assert ask(engine, noise(2.0), max_new_tokens=3)[0]["tokens"] == 3


def test_an_audio_language_model_does_not_transcribe(tiny):
    with pytest.raises(GrymError, match="answers questions"):
        load(tiny("qwen2_audio")).transcribe_array(noise(1.0), None)


@pytest.fixture(scope="module")
def host():
    client = HostClient()
    yield client
    client.shutdown()


@pytest.mark.parametrize("kind", KINDS)
def test_host_streams_stops_on_sigusr1_and_unloads(host, tiny, kind, tmp_path):
    audio = tmp_path / "noise.wav"
    sf.write(audio, noise(20.0), SAMPLE_RATE)
    loaded = host.call("load", {"engine": "transformers", "model_dir": str(tiny(kind)),
                                "precision": "float32", "model_id": f"tiny-{kind}",
                                "options": {"cpu_threads": 1}})
    tokens: list[str] = []
    reply = host.call("ask", {"path": str(audio), "question": QUESTION, "context": None,
                              "max_new_tokens": 24, "start": 12.0, "end": 16.0},
                      on_event=lambda e: tokens.append(e["text"]))
    assert reply["tokens"] == 24 and len(tokens) >= 5 and not reply["stopped"]
    assert reply["duration"] == pytest.approx(4.0) and reply["parts"][0]["start"] == 12.0
    assert "".join(tokens).strip() == reply["answer"]

    asked: list[float] = []

    def stop_at_third(event: dict) -> None:
        tokens.append(event["text"])
        if len(tokens) == 3:
            asked.append(time.perf_counter())
            os.kill(host.pid, signal.SIGUSR1)

    tokens.clear()
    reply = host.call("ask", {"path": str(audio), "question": QUESTION, "max_new_tokens": 500,
                              "end": 4.0}, on_event=stop_at_third)
    latency = time.perf_counter() - asked[0]
    print(f"host {kind}: load grew {(loaded['rss_after'] - loaded['rss_before']) / 2**20:.1f} "
          f"MiB; stop reply {latency * 1000:.0f} ms after SIGUSR1, {reply['tokens']} tokens")
    assert reply["stopped"] and reply["tokens"] < 500
    # The flag is cleared for the next question.
    assert not host.call("ask", {"path": str(audio), "question": QUESTION, "max_new_tokens": 2,
                                 "end": 1.0})["stopped"]
    assert host.call("unload")["rss_after"] < loaded["rss_after"] + 2**20 * 50


def test_host_refuses_too_much_audio_and_bad_requests(host, tiny, tmp_path):
    long_file = tmp_path / "long.flac"
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", str(long_file), "trim", "0", "1900"],
                   check=True)
    host.call("load", {"engine": "transformers", "model_dir": str(tiny("granite_speech")),
                       "precision": "float32", "model_id": "tiny-granite",
                       "options": {"cpu_threads": 1}})
    with pytest.raises(InputError, match="at most 30 minutes"):
        host.call("ask", {"path": str(long_file), "question": QUESTION})
    with pytest.raises(InputError, match="non-empty"):
        host.call("ask", {"path": str(long_file), "question": "  "})
    with pytest.raises(InputError, match="no audio from 2000.0 s"):
        host.call("ask", {"path": str(long_file), "question": QUESTION, "start": 2000})
    reply = host.call("ask", {"path": str(long_file), "question": QUESTION, "start": 1800,
                              "max_new_tokens": 2})
    assert reply["duration"] == pytest.approx(100.0) and len(reply["parts"]) == 4
    host.call("unload")
