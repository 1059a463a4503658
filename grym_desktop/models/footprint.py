"""Footprint estimates of catalog models, read from their files before any load."""

from __future__ import annotations

import json
import math
import struct
from importlib import resources
from pathlib import Path

from grym_desktop.errors import ModelMissingError
from grym_desktop.memory.estimate import Estimate, estimate_ctranslate2
from grym_desktop.models.catalog import GE2E_ENGINE, ModelSpec
from grym_desktop.models.sources import installed_dir

# Bytes per weight value at each precision, for a model whose files are not on disk yet.
_BYTES_PER_VALUE = {
    "float32": 4, "float16": 2, "bfloat16": 2, "int16": 2,
    "int8": 1, "int8_float32": 1, "int8_float16": 1, "int8_bfloat16": 1,
}


def estimate_for(spec: ModelSpec, precision: str) -> Estimate:
    """Weights at this precision plus the engine's working memory, as the catalog gives it.

    Read from the model's files when it is installed, from the catalog's data otherwise.
    """
    working = spec.working_bytes.get(precision, 0)
    folder = installed_dir(spec)
    if folder is None:
        return estimate_from_catalog(spec, precision)
    if spec.engine == "ctranslate2":
        return estimate_ctranslate2(spec.id, folder, precision, working)
    if spec.engine == "transformers":
        return estimate_transformers(spec.id, folder, precision, working)
    if spec.engine == GE2E_ENGINE:  # one small weights file: the catalog counts it exactly
        return estimate_from_catalog(spec, precision)
    raise ValueError(f"no footprint estimate for the {spec.engine} engine")


def estimate_from_catalog(spec: ModelSpec, precision: str) -> Estimate:
    """The catalog's parameter count (else its weight files' sizes) at this precision."""
    per_value = _BYTES_PER_VALUE.get(precision)
    if per_value is None:
        raise ValueError(f"Unknown precision {precision!r} for {spec.id}.")
    params = spec.parameters
    if params is None:
        stored = _BYTES_PER_VALUE.get(spec.stored_dtype or "float32", 4)
        weights = sum(f.display_size for f in spec.files
                      if f.path.endswith((".safetensors", ".bin")))
        params = weights // stored
    config = shipped_config(spec.id)
    if config is not None:  # an audio-language model: its real configuration sizes the cache
        return _audio_lm_estimate(spec.id, precision, params, params * per_value, config)
    return Estimate(spec.id, precision, params, params * per_value,
                    spec.working_bytes.get(precision, 0))


def shipped_config(model_id: str) -> dict | None:
    """The real config.json of an audio-language model, shipped in resources/audio_lm/ so its
    key/value cache is sized before the weights are downloaded; None for other models."""
    path = resources.files("grym_desktop.resources").joinpath("audio_lm", f"{model_id}.json")
    if not path.is_file():
        return None
    return json.loads(path.read_text())


# The transformers engine: torch and transformers themselves, and what their kernels keep after
# a first run, come into the host with the first model (measured: 450 MB, torch 2.13 CPU).
TRANSFORMERS_RUNTIME_BYTES = 450 * 2**20
# The same for CLAP, which loads no generation code (measured after loading the tiny test CLAP,
# torch 2.13 CPU, transformers 5.24: 317 MB when the libraries' files have long been in the page
# cache, 430 MB right after they were installed, when the kernel maps their fresh pages in larger
# pieces; the estimate takes the larger).
CLAP_RUNTIME_BYTES = 430 * 2**20
# The engine's own decoding window per model type, in seconds of audio.
TRANSFORMERS_WINDOW_SECONDS = {"whisper": 30.0, "wav2vec2": 30.0, "moonshine": 20.0}
WHISPER_BEAMS = 5
CLAP_BATCH = 8  # pieces of audio per forward pass of CLAP's audio tower (engines/clap_engine.py)
CLAP_FRAMES = 1001  # mel frames of CLAP's 10 s window (48 kHz, hop 480)
# torch and transformers in the host for a WavLM x-vector speaker model (measured: a fresh host
# grows by 365 MiB loading the tiny test WavLMForXVector and embedding 2 s, torch 2.13 CPU,
# transformers 5.24).
XVECTOR_RUNTIME_BYTES = 350 * 2**20
XVECTOR_SECONDS = 30.0  # the longest span the host embeds (protocol: up to 30 s of audio)
_SAFETENSORS_SIZE = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2,
                     "I8": 1, "U8": 1, "BOOL": 1}
_FLOAT_SIZE = {"float32": 4, "bfloat16": 2, "float16": 2, "int8": 4}


def read_safetensors_header(path: Path) -> dict[str, dict]:
    """The tensor table of a .safetensors file (name -> dtype, shape), reading only its header."""
    try:
        with open(path, "rb") as f:
            (length,) = struct.unpack("<Q", f.read(8))
            if length > 100 * 2**20:
                raise ValueError("header too large")
            header = json.loads(f.read(length))
    except (OSError, struct.error, ValueError) as exc:
        raise ModelMissingError(f"The weights file {path} is not a safetensors file ({exc}).") \
            from None
    header.pop("__metadata__", None)
    return header


def estimate_transformers(
    model_id: str, model_dir: Path, precision: str, catalog_working: int = 0
) -> Estimate:
    """Weights from the safetensors headers at this precision, plus the runtime and activations.

    float16/bfloat16 halve every float tensor; int8 (dynamic quantization) stores the Linear
    weights (2-D, not embeddings) in one byte and keeps everything else in float32, and a
    Linear output layer tied to the embeddings gets its own int8 copy.
    """
    if precision not in _FLOAT_SIZE:
        raise ValueError(f"Unknown transformers precision {precision!r}; "
                         f"use one of {', '.join(_FLOAT_SIZE)}.")
    model_dir = Path(model_dir)
    files = sorted(model_dir.glob("*.safetensors"))
    if not files:
        raise ModelMissingError(f"The model {model_id} has no safetensors weights in {model_dir}.")
    config = json.loads((model_dir / "config.json").read_text())
    params = weights = tied = 0
    for path in files:
        for name, info in read_safetensors_header(path).items():
            values = math.prod(info["shape"])
            params += values
            if info["dtype"] not in ("F64", "F32", "F16", "BF16"):
                weights += values * _SAFETENSORS_SIZE.get(info["dtype"], 4)
            elif precision == "int8" and _is_linear_weight(name, info["shape"]):
                weights += values + 8  # int8 values and their scale and zero point
            else:
                weights += values * _FLOAT_SIZE[precision]
            if name.endswith("embed_tokens.weight"):
                tied = values
    if precision == "int8" and config.get("tie_word_embeddings", True) and config.get(
            "is_encoder_decoder"):
        weights += tied
    kind = config.get("model_type")
    if kind in AUDIO_LM_TYPES:
        return _audio_lm_estimate(model_id, precision, params, weights, config)
    if kind == "clap":
        working = CLAP_RUNTIME_BYTES + _clap_activation_bytes(config, precision)
    elif "WavLMForXVector" in (config.get("architectures") or []):
        working = XVECTOR_RUNTIME_BYTES + _xvector_activation_bytes(config, precision)
    else:
        working = TRANSFORMERS_RUNTIME_BYTES + (
            _activation_bytes(config, precision) if kind in TRANSFORMERS_WINDOW_SECONDS
            else catalog_working)
    return Estimate(model_id, precision, params, weights, working)


def _is_linear_weight(name: str, shape: list[int]) -> bool:
    return len(shape) == 2 and name.endswith(".weight") and "embed" not in name \
        and "norm" not in name


def _activation_bytes(config: dict, precision: str) -> int:
    """The largest tensors one window of audio makes in each speech architecture.

    Whisper: the beam search's scores over the vocabulary at every step up to the token limit,
    and one encoder layer's attention maps. Wav2Vec2: the first convolution's output (twice,
    around its norm) and one layer's attention maps. Moonshine: its encoder's attention maps.
    """
    size = _FLOAT_SIZE[precision]
    kind = config["model_type"]
    samples = int(TRANSFORMERS_WINDOW_SECONDS[kind] * 16000)
    if kind == "whisper":
        frames = config.get("max_source_positions", 1500)
        scores = WHISPER_BEAMS * config.get("max_target_positions", 448) * config["vocab_size"] * 4
        return scores + 2 * config["encoder_attention_heads"] * frames**2 * size
    if kind == "wav2vec2":
        strides = config.get("conv_stride", [5, 2, 2, 2, 2, 2, 2])
        first = 2 * config.get("conv_dim", [512])[0] * (samples // strides[0]) * size
        frames = samples // math.prod(strides)
        return first + config["num_attention_heads"] * frames**2 * size
    frames = samples // 384  # Moonshine's convolution strides: 64 x 3 x 2
    return 2 * config["encoder_num_attention_heads"] * frames**2 * size


def _clap_activation_bytes(config: dict, precision: str) -> int:
    """One batch of CLAP_BATCH 10 s pieces through the HTSAT audio tower, whose first stage
    holds the most: (spec_size / patch_stride)^2 patch tokens, each with its MLP's hidden
    values and its window attention scores, beside the pieces' mel features (float64 in the
    feature extractor). The text tower's few tokens are far smaller.
    """
    audio = config.get("audio_config") or {}
    size = _FLOAT_SIZE[precision]
    stride = audio.get("patch_stride", [4, 4])
    stride = stride[0] if isinstance(stride, list) else stride
    tokens = (audio.get("spec_size", 256) // stride) ** 2
    width = audio.get("patch_embeds_hidden_size", 96)
    hidden = 4 * tokens * width * audio.get("mlp_ratio", 4.0)
    heads = (audio.get("num_attention_heads") or [4])[0]
    scores = 2 * tokens * heads * audio.get("window_size", 8) ** 2
    mel = CLAP_FRAMES * audio.get("num_mel_bins", 64)
    return int(CLAP_BATCH * ((hidden + scores) * size + 3 * mel * 8))


def _xvector_activation_bytes(config: dict, precision: str) -> int:
    """One 30 s span through WavLMForXVector (spans are embedded one at a time): the first
    convolution's output twice (around its group norm); the relative position buckets, made
    once from several int64 frames x frames tensors (about 40 bytes per pair, whatever the
    heads); and per head the position bias kept for every layer, one layer's gated bias and
    attention scores (the tiny test model measured 145-160 MiB for these at 30 s)."""
    size = _FLOAT_SIZE[precision]
    samples = int(XVECTOR_SECONDS * 16000)
    strides = config.get("conv_stride", [5, 2, 2, 2, 2, 2, 2])
    first = 2 * config.get("conv_dim", [512])[0] * (samples // strides[0]) * size
    frames = samples // math.prod(strides)
    buckets = 40 * frames**2
    return first + buckets + 3 * config["num_attention_heads"] * frames**2 * size


# Audio-language models (the `ask` capability): what one question plans for. The prompt holds
# the question and the transcript given as context (cut to fit); the audio is heard in parts of
# ASK_WINDOW_SECONDS; the answer is at most ASK_ANSWER_TOKENS long.
AUDIO_LM_TYPES = ("qwen2_audio", "voxtral", "granite_speech")
# torch and transformers in the host with an audio-language model's classes (measured: a fresh
# host grows 349-353 MiB loading a tiny random-weight model of each, torch 2.13 CPU,
# transformers 5.24, with the libraries long in the page cache; more right after install).
AUDIO_LM_RUNTIME_BYTES = 380 * 2**20
ASK_PROMPT_TOKENS = 1024
ASK_ANSWER_TOKENS = 512
ASK_WINDOW_SECONDS = 30.0


def _audio_lm_estimate(model_id: str, precision: str, params: int, weights: int,
                       config: dict) -> Estimate:
    """Weights, plus torch and transformers, the audio encoder's activations for one part and
    the language model's key/value cache for the planned prompt, audio tokens and answer."""
    tokens = ASK_PROMPT_TOKENS + audio_tokens(config) + ASK_ANSWER_TOKENS
    cache = kv_cache_bytes(config, tokens, precision)
    working = AUDIO_LM_RUNTIME_BYTES + _audio_encoder_bytes(config, precision) + cache
    return Estimate(model_id, precision, params, weights, working, cache, tokens)


def audio_tokens(config: dict) -> int:
    """Audio tokens the language model reads for one ASK_WINDOW_SECONDS part.

    Qwen2-Audio: the Whisper-style encoder's 1500 frames per 30 s pooled by 2. Voxtral: the
    same frames, four stacked per token. Granite Speech: 100 mel frames a second stacked in
    pairs, then the projector's window_size frames become window_size / downsample_rate
    tokens.
    """
    kind = config["model_type"]
    audio = config.get("audio_config") or config.get("encoder_config") or {}
    if kind == "qwen2_audio":
        return audio.get("max_source_positions", 1500) // 2
    if kind == "voxtral":
        return audio.get("max_source_positions", 1500) // 4
    frames = int(ASK_WINDOW_SECONDS * 100) // 2
    window = config.get("window_size", 15)
    return math.ceil(frames / window) * (window // config.get("downsample_rate", 5))


def kv_cache_bytes(config: dict, tokens: int, precision: str) -> int:
    """Keys and values of every layer of the language model for `tokens` tokens."""
    text = config.get("text_config") or {}
    heads = text.get("num_attention_heads", 32)
    head_dim = text.get("head_dim") or text.get("hidden_size", 4096) // heads
    kv_heads = text.get("num_key_value_heads") or heads
    size = _FLOAT_SIZE[precision] if precision != "int8" else 4
    return 2 * text.get("num_hidden_layers", 32) * kv_heads * head_dim * tokens * size


def _audio_encoder_bytes(config: dict, precision: str) -> int:
    """One part through the audio encoder: Whisper-style encoders (Qwen2-Audio, Voxtral) hold
    one layer's attention scores over 1500 frames twice; Granite's Conformer attends within
    blocks of context_size frames. Both also keep a few layers' hidden states."""
    size = _FLOAT_SIZE[precision]
    audio = config.get("audio_config") or config.get("encoder_config") or {}
    if config["model_type"] in ("qwen2_audio", "voxtral"):
        frames = audio.get("max_source_positions", 1500)
        heads = audio.get("encoder_attention_heads") or audio.get("num_attention_heads") or 20
        width = audio.get("d_model") or audio.get("hidden_size") or 1280
        return 2 * heads * frames**2 * size + 8 * frames * width * size
    frames = int(ASK_WINDOW_SECONDS * 100) // 2
    context = audio.get("context_size", 200)
    heads = audio.get("num_heads", 8)
    width = audio.get("hidden_dim", 1024)
    return 2 * heads * frames * context * size + 8 * frames * width * size
