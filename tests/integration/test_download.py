"""Real downloads through huggingface_hub from a loopback hub: verify, refuse, resume, retry,
cancel and offline. The served files are the bundled Whisper tiny.en (75 MB)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hub_server import Faults, HubServer

from grym_desktop.errors import (
    GrymError,
    MemoryRefusedError,
    ModelMissingError,
    TaskCancelledError,
)
from grym_desktop.memory.guard import check_load
from grym_desktop.memory.state import read_state
from grym_desktop.models import sources
from grym_desktop.models.catalog import get_spec, spec_from_entry
from grym_desktop.models.download import download_model
from grym_desktop.models.footprint import estimate_for

REPO = "Systran/faster-whisper-tiny.en"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
BUNDLED = sources.resolve(get_spec("whisper-tiny.en"))
FILES = {p.name: p.read_bytes() for p in sorted(BUNDLED.iterdir()) if p.is_file()}


def make_spec(pinned: bool = True, hash_config: bool = True):
    """A catalog entry for the served files; config.json optionally checked by the hub's ETag."""
    return spec_from_entry({
        "id": "test-tiny.en", "name": "test", "engine": "ctranslate2",
        "capabilities": ["transcribe"], "languages": ["en"], "license": "MIT",
        "precisions": ["float32", "int8"], "parameters": 37764864,
        "sources": [{"type": "hf_hub", "repo": REPO, "revision": COMMIT if pinned else "main"}],
        "files": [
            {"path": name, "size": len(data),
             "sha256": None if name == "config.json" and not hash_config
             else hashlib.sha256(data).hexdigest()}
            for name, data in FILES.items()
        ],
    })


@pytest.fixture
def cache(tmp_path, monkeypatch):
    path = tmp_path / "hf-cache"
    monkeypatch.setenv("HF_HUB_CACHE", str(path))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("GRYM_OFFLINE", raising=False)
    return path


def serve(monkeypatch, **faults: Faults) -> HubServer:
    hub = HubServer({REPO: FILES}, commit=COMMIT, faults=dict(faults))
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    return hub


def leftovers(cache: Path) -> list[Path]:
    return [p for p in cache.rglob("*") if p.name.endswith(".incomplete")]


def test_good_download_verifies_and_is_loadable(cache, monkeypatch):
    spec = make_spec(pinned=False)
    seen = []
    with serve(monkeypatch) as hub:
        folder = download_model(spec, seen.append)
    assert folder == sources.resolve(spec) and folder.parent.name == "snapshots"
    assert folder.name == COMMIT  # "main" resolved to the hub's commit
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == FILES
    st = sources.status(spec)
    assert st.state == "installed" and st.size_on_disk == sum(map(len, FILES.values()))
    total = sum(map(len, FILES.values()))
    downloads = [p for p in seen if p.phase == "download"]
    assert downloads and all(p.total == total for p in downloads)
    assert downloads[-1].done == total and downloads[-1].rate > 0
    assert " of 74.5 MiB" in downloads[0].describe() and "/s" in downloads[-1].describe()
    assert [r.filename for r in hub.requests if r.method == "GET"].count("model.bin") == 1
    # Installed: the footprint now comes from the downloaded model.bin itself.
    assert estimate_for(spec, "int8").params == 37764864
    assert sources.verify(spec) == []


def test_corrupted_file_is_refused_and_removed(cache, monkeypatch):
    spec = make_spec()
    with serve(monkeypatch, **{"model.bin": Faults(corrupt=True)}):
        with pytest.raises(ModelMissingError) as refused:
            download_model(spec)
    message = str(refused.value)
    assert "model.bin" in message and "SHA-256" in message and "removed" in message
    assert sources.cached_file(spec.source, "model.bin") is None
    assert not [b for b in cache.rglob("blobs/*") if b.stat().st_size == len(FILES["model.bin"])]
    assert sources.status(spec).state != "installed"
    with pytest.raises(ModelMissingError):
        sources.resolve(spec)


def test_small_file_is_checked_against_the_hub_etag(cache, monkeypatch):
    spec = make_spec(hash_config=False)  # like catalog entries without a published hash
    with serve(monkeypatch, **{"config.json": Faults(corrupt=True)}):
        with pytest.raises(ModelMissingError) as refused:
            download_model(spec)
    assert "config.json" in str(refused.value) and "git SHA-1" in str(refused.value)
    assert sources.cached_file(spec.source, "config.json") is None
    with serve(monkeypatch) as hub:
        download_model(spec)
    assert len(hub.gets("config.json")) == 1
    assert sources.status(spec).installed


def test_dropped_connection_resumes_where_it_stopped(cache, monkeypatch):
    spec = make_spec()
    size = len(FILES["model.bin"])
    with serve(monkeypatch, **{"model.bin": Faults(drop_after=size // 2)}) as hub:
        download_model(spec)
    first, second = hub.gets("model.bin")
    assert first.body_bytes == size // 2 and first.range is None
    resumed_at = int(second.range.removeprefix("bytes=").rstrip("-"))
    assert 0 < resumed_at <= size // 2 and second.status == 206
    assert first.body_bytes + second.body_bytes < 1.5 * size  # resumed, not restarted
    assert sources.status(spec).installed and sources.verify(spec) == []


def test_server_errors_are_retried_with_backoff_then_given_up(cache, monkeypatch):
    spec = make_spec()
    with serve(monkeypatch, **{"model.bin": Faults(fail_get=2)}) as hub:
        download_model(spec, backoff=0.01)
    assert [r.status for r in hub.gets("model.bin")] == [500, 500, 200]
    assert sources.status(spec).installed

    assert "freed 74.5 MiB" in sources.remove(spec)  # `models remove` empties the cache
    assert sources.status(spec).state == "not installed"
    with serve(monkeypatch, **{"model.bin": Faults(fail_get=100)}) as hub:
        with pytest.raises(GrymError) as failed:
            download_model(spec, backoff=0.01)
    assert len(hub.gets("model.bin")) == 4  # the first try and three retries
    assert "after 4 attempts" in str(failed.value) and "500" in str(failed.value)
    assert not sources.status(spec).installed and not leftovers(cache)


def test_cancel_leaves_no_partial_model(cache, monkeypatch):
    spec = make_spec()
    cancel = threading.Event()

    def on_progress(progress) -> None:
        if progress.file == "model.bin" and progress.done > 0:
            cancel.set()

    with serve(monkeypatch):
        with pytest.raises(TaskCancelledError):
            download_model(spec, on_progress, cancel)
    assert not leftovers(cache)
    assert sources.cached_file(spec.source, "model.bin") is None
    assert sources.status(spec).state != "installed"
    with pytest.raises(ModelMissingError):
        sources.resolve(spec)
    with serve(monkeypatch):  # a later download starts cleanly and completes
        download_model(spec)
    assert sources.status(spec).installed


def test_offline_mode_uses_only_what_is_there(cache, monkeypatch):
    spec = make_spec()
    monkeypatch.setenv("GRYM_OFFLINE", "1")
    with serve(monkeypatch) as hub:
        with pytest.raises(ModelMissingError) as missing:
            download_model(spec)
        assert "Offline mode" in str(missing.value) and hub.requests == []
        monkeypatch.delenv("GRYM_OFFLINE")
        download_model(spec)
        monkeypatch.setenv("GRYM_OFFLINE", "1")
        hub.requests.clear()
        assert download_model(spec) == sources.resolve(spec)
        assert hub.requests == []


def test_twenty_gigabyte_model_is_refused_before_any_download_or_load(cache, monkeypatch):
    with serve(monkeypatch) as hub:
        download = subprocess.run(
            [sys.executable, "-m", "grym_desktop", "models", "download", "qwen2.5-omni-7b"],
            capture_output=True, text=True, timeout=120,
            env={**os.environ, "HF_ENDPOINT": hub.url, "HF_HUB_CACHE": str(cache)},
        )
    assert hub.requests == [] and not cache.exists()
    assert download.returncode == 4 and download.stdout == ""
    assert "Refused to download qwen2.5-omni-7b" in download.stderr
    assert "22.8 GiB" in download.stderr and "budget is" in download.stderr
    # The load guard sees the same catalog estimate before any file exists.
    spec = get_spec("qwen2.5-omni-7b")
    state = read_state(16 * 1024**3, host_rss=40 * 1024**2)
    with pytest.raises(MemoryRefusedError) as refused:
        check_load(estimate_for(spec, "bfloat16"), state)
    assert "Refused to load qwen2.5-omni-7b (bfloat16)" in str(refused.value)


def test_sharded_model_fetches_the_shards_its_index_names(cache, monkeypatch):
    shards = {"model-00001-of-00002.safetensors": b"A" * 3000,
              "model-00002-of-00002.safetensors": b"B" * 2000}
    index = json.dumps({"metadata": {"total_size": 5000},
                        "weight_map": {"a": "model-00001-of-00002.safetensors",
                                       "b": "model-00002-of-00002.safetensors"}}).encode()
    files = {"config.json": b'{"model_type": "qwen2_audio"}',
             "model.safetensors.index.json": index, **shards}
    spec = spec_from_entry({
        "id": "test-sharded", "name": "test", "engine": "transformers",
        "capabilities": ["ask"], "languages": ["en"], "license": "MIT",
        "precisions": ["bfloat16"], "parameters": 2500, "stored_dtype": "bfloat16",
        "shards_index": "model.safetensors.index.json",
        "sources": [{"type": "hf_hub", "repo": "org/sharded", "revision": COMMIT}],
        "files": [{"path": "config.json", "sha256": None},
                  {"path": "model.safetensors.index.json", "sha256": None},
                  {"path": "tokenizer.json", "sha256": None, "optional": True}],
    })
    hub = HubServer({"org/sharded": files}, commit=COMMIT)
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    seen = []
    with hub:
        folder = download_model(spec, seen.append)
    assert sorted(p.name for p in folder.iterdir()) == sorted(files)
    assert seen[-1].total == sum(map(len, files.values()))
    assert sources.status(spec).installed
    sources.remove_cached(folder / "model-00002-of-00002.safetensors")
    assert sources.status(spec).state == "incomplete"
    with pytest.raises(ModelMissingError):
        sources.resolve(spec)


def test_an_etag_that_is_a_path_touches_nothing_outside_the_cache(cache, monkeypatch, tmp_path):
    precious = tmp_path / "precious.txt"
    precious.write_text("the user's own file")
    spec = make_spec(hash_config=False)  # config.json is checked against the hub's ETag
    hostile = "../../../precious.txt"  # from <cache>/models--…/blobs/ to tmp_path
    with serve(monkeypatch, **{"config.json": Faults(etag=hostile)}) as hub:
        with pytest.raises(ModelMissingError, match="not a digest"):
            download_model(spec)
    assert precious.read_text() == "the user's own file"
    assert not hub.gets("config.json"), "nothing is downloaded after such an answer"


def test_a_cache_link_leading_out_of_the_cache_is_removed_not_its_target(cache, tmp_path):
    precious = tmp_path / "precious.txt"
    precious.write_text("the user's own file")
    snapshot = cache / "models--x--y" / "snapshots" / COMMIT
    snapshot.mkdir(parents=True)
    pointer = snapshot / "config.json"
    pointer.symlink_to(os.path.relpath(precious, snapshot))
    sources.remove_cached(pointer, cache)
    assert not pointer.is_symlink() and precious.read_text() == "the user's own file"


def test_a_hub_that_is_not_https_is_refused_unless_it_is_this_machine(cache):
    with pytest.raises(ModelMissingError, match="not https"):
        download_model(make_spec(), endpoint="http://hub.example.com")
