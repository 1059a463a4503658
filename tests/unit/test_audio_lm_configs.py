"""The audio language models' real configurations and their tiny random-weight stand-ins.

resources/audio_lm/ holds each real checkpoint's config.json, reconstructed offline: built on
the meta device it must give the parameter count recorded beside it, which must agree with
the catalog. Each tiny model (tests/audio_lm_fixture.py) must build small, reload its
processor or tokenizer from its folder alone, and generate from a prompt with audio in it.
"""

from __future__ import annotations

import base64
import io
import json
import math
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
import transformers
from audio_lm_fixture import (
    REAL_CONFIGS,
    build_tiny_granite_speech,
    build_tiny_qwen2_audio,
    build_tiny_voxtral,
    real_config,
)
from transformers import AutoConfig, AutoProcessor, AutoTokenizer
from transformers.audio_utils import mel_filter_bank
from transformers.utils import is_mistral_common_available, is_torchaudio_available

CATALOG = Path(__file__).resolve().parents[2] / "resources" / "catalog.json"
MODELS = ("qwen2-audio-7b-instruct", "voxtral-mini-3b", "granite-speech-3.3-2b")
BUILDERS = {"qwen2-audio-7b-instruct": build_tiny_qwen2_audio,
            "voxtral-mini-3b": build_tiny_voxtral,
            "granite-speech-3.3-2b": build_tiny_granite_speech}
QUESTION = "What is happening here?"
NEW_TOKENS = 6
RATE = 16000


def catalog_parameters(model_id: str) -> int:
    entries = json.loads(CATALOG.read_text())["models"]
    return next(e["parameters"] for e in entries if e["id"] == model_id)


def meta_parameters(config: dict) -> int:
    """Parameters of the model a config describes, counted without allocating weights."""
    built = AutoConfig.for_model(**config)
    with torch.device("meta"):
        model = getattr(transformers, built.architectures[0])(built)
    return sum(p.numel() for p in model.parameters())


def noise(seconds: float) -> np.ndarray:
    return (np.random.default_rng(0).standard_normal(int(RATE * seconds)) * 0.1).astype(
        np.float32)


@pytest.mark.parametrize("model_id", MODELS)
def test_real_config_gives_its_recorded_parameter_count(model_id):
    recorded = json.loads((REAL_CONFIGS / f"{model_id}.json").read_text())
    assert recorded["_source"] and f"{recorded['_parameters']:,}" in recorded["_source"]
    counted = meta_parameters(real_config(model_id))
    assert counted == recorded["_parameters"]
    listed = catalog_parameters(model_id)
    if model_id == "granite-speech-3.3-2b":
        # The catalog lists the language model only, a lower bound until installed.
        assert listed <= counted < 1.25 * listed
    else:
        assert abs(counted - listed) / listed < 0.01


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> dict[str, Path]:
    return {m: BUILDERS[m](tmp_path_factory.mktemp(m) / m) for m in MODELS}


@pytest.mark.parametrize("model_id", MODELS)
def test_tiny_model_is_the_real_architecture_shrunk(tiny, model_id):
    folder = tiny[model_id]
    assert sum(f.stat().st_size for f in folder.iterdir()) < 30e6
    config = AutoConfig.from_pretrained(folder)
    assert config.architectures == real_config(model_id)["architectures"]
    assert (folder / "model.safetensors").exists()
    assert (folder / "generation_config.json").exists()


def generate(folder: Path, inputs: dict) -> list[int]:
    config = AutoConfig.from_pretrained(folder)
    model = getattr(transformers, config.architectures[0]).from_pretrained(folder).eval()
    with torch.no_grad():
        out = model.generate(**inputs, max_new_tokens=NEW_TOKENS, do_sample=False,
                             repetition_penalty=1.1)
    return out[0, inputs["input_ids"].shape[1]:].tolist()


def test_qwen2_audio_processor_reloads_and_the_model_answers(tiny):
    folder = tiny["qwen2-audio-7b-instruct"]
    processor = AutoProcessor.from_pretrained(folder)
    assert type(processor).__name__ == "Qwen2AudioProcessor"
    messages = [{"role": "user", "content": [{"type": "audio", "audio": "clip"},
                                             {"type": "text", "text": QUESTION}]}]
    text = processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    assert "<|audio_bos|><|AUDIO|><|audio_eos|>" in text
    inputs = processor(text=text, audio=[noise(3.0)], sampling_rate=RATE, return_tensors="pt")
    # 3 s of a 30 s window: 300 mel frames, halved twice by the encoder and its pooling.
    assert (inputs["input_ids"] == processor.audio_token_id).sum() == 75
    new = generate(folder, inputs)
    assert len(new) == NEW_TOKENS
    assert isinstance(processor.decode(new, skip_special_tokens=True), str)


def voxtral_inputs(processor, samples: np.ndarray, question: str) -> dict:
    """Voxtral's instruct prompt without mistral-common: <s>[INST][BEGIN_AUDIO], 375 [AUDIO]
    tokens per 30 s chunk, the question, [/INST]; features of the audio padded to 30 s chunks."""
    features = processor.feature_extractor
    chunk = features.n_samples
    padded = np.pad(samples, (0, -len(samples) % chunk))
    mel = features(padded, sampling_rate=RATE, padding="longest", truncation=False,
                   return_tensors="pt")["input_features"]
    mel = mel.reshape(features.feature_size, -1, features.nb_max_frames).transpose(0, 1)
    audio = [24] * (375 * mel.shape[0])
    text = processor.tokenizer.encode(question, add_special_tokens=False)
    ids = torch.tensor([[1, 3, 25, *audio, *text, 4]])
    return {"input_ids": ids, "attention_mask": torch.ones_like(ids), "input_features": mel}


def test_voxtral_processor_reloads_and_the_model_answers(tiny):
    folder = tiny["voxtral-mini-3b"]
    processor = AutoProcessor.from_pretrained(folder)
    assert type(processor).__name__ == "VoxtralProcessor"
    assert processor.tokenizer.convert_ids_to_tokens([24, 25]) == ["[AUDIO]", "[BEGIN_AUDIO]"]
    samples = noise(45.0)
    inputs = voxtral_inputs(processor, samples, QUESTION)
    assert inputs["input_features"].shape == (2, 128, 3000)
    if is_mistral_common_available():
        # The hand-built prompt is the one mistral-common's chat template makes.
        wav = io.BytesIO()
        sf.write(wav, samples, RATE, format="WAV", subtype="FLOAT")
        audio = {"type": "audio", "base64": base64.b64encode(wav.getvalue()).decode()}
        made = processor.apply_chat_template(
            [{"role": "user", "content": [audio, {"type": "text", "text": QUESTION}]}])
        assert made["input_ids"].tolist() == inputs["input_ids"].tolist()
        assert torch.allclose(made["input_features"], inputs["input_features"], atol=1e-4)
    new = generate(folder, inputs)
    assert len(new) == NEW_TOKENS
    assert isinstance(processor.tokenizer.decode(new, skip_special_tokens=True), str)


def granite_features(samples: np.ndarray, settings: dict) -> tuple[torch.Tensor, int]:
    """GraniteSpeechFeatureExtractor's log-mel features with torch ops alone (it uses
    torchaudio's MelSpectrogram: periodic Hann window, centred reflect-padded power STFT,
    HTK mel filters without normalisation), and the number of audio tokens they make."""
    mel = settings["melspec_kwargs"]
    spec = torch.stft(torch.from_numpy(samples).float()[None], n_fft=mel["n_fft"],
                      hop_length=mel["hop_length"], win_length=mel["win_length"],
                      window=torch.hann_window(mel["win_length"]), center=True,
                      pad_mode="reflect", return_complex=True).abs() ** 2
    filters = mel_filter_bank(num_frequency_bins=mel["n_fft"] // 2 + 1,
                              num_mel_filters=mel["n_mels"], min_frequency=0.0,
                              max_frequency=mel["sample_rate"] / 2,
                              sampling_rate=mel["sample_rate"], norm=None, mel_scale="htk")
    logmel = (spec.transpose(-1, -2) @ torch.from_numpy(filters).float()).clamp(1e-10).log10()
    logmel = torch.maximum(logmel, logmel.amax(dim=(-2, -1), keepdim=True) - 8.0) / 4 + 1
    logmel = logmel[:, : logmel.shape[1] // 2 * 2]
    frames = (len(samples) // mel["hop_length"] + 1) // 2
    window, rate = settings["projector_window_size"], settings["projector_downsample_rate"]
    tokens = math.ceil(frames / window) * (window // rate)
    return logmel.reshape(1, -1, 2 * mel["n_mels"]), tokens


def test_granite_speech_tokenizer_reloads_and_the_model_answers(tiny):
    folder = tiny["granite-speech-3.3-2b"]
    tokenizer = AutoTokenizer.from_pretrained(folder)
    settings = json.loads((folder / "preprocessor_config.json").read_text())
    samples = noise(3.0)
    features, tokens = granite_features(samples, settings)
    # 301 mel frames stacked in pairs: 150 encoder frames, 10 windows of 15, 3 tokens each.
    assert features.shape == (1, 150, 160) and tokens == 30
    text = tokenizer.apply_chat_template(
        [{"role": "user", "content": f"<|audio|>{QUESTION}"}], add_generation_prompt=True,
        tokenize=False)
    assert text.endswith("<|start_of_role|>assistant<|end_of_role|>")
    text = text.replace("<|audio|>", "<|audio|>" * tokens)
    inputs = dict(tokenizer(text, return_tensors="pt"))
    inputs["input_features"] = features
    inputs["input_features_mask"] = torch.ones(1, tokens, dtype=torch.bool)
    if is_torchaudio_available():
        made = AutoProcessor.from_pretrained(folder)(text=text.replace(
            "<|audio|>" * tokens, "<|audio|>"), audio=samples, return_tensors="pt")
        assert made["input_ids"].tolist() == inputs["input_ids"].tolist()
        assert torch.allclose(made["input_features"], features, atol=1e-4)
    else:
        with pytest.raises(ImportError, match="torchaudio"):
            AutoProcessor.from_pretrained(folder)
    new = generate(folder, inputs)
    assert len(new) == NEW_TOKENS
    assert isinstance(tokenizer.decode(new, skip_special_tokens=True), str)
