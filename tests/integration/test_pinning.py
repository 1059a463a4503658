"""The maintainer's pinning tool, against a loopback hub: a catalog entry at the mutable
"main" revision with unknown digests becomes one pinned to the commit, with every file's
exact size and SHA-256; the catalog file keeps its layout."""

from __future__ import annotations

import hashlib
import json
import os

import pytest
from hub_server import HubServer

from grym_desktop.models import pinning

pytestmark = pytest.mark.integration

REPO = "example/speech-model"
COMMIT = "89abcdef0123456789abcdef0123456789abcdef"
FILES = {"config.json": b'{"model_type": "whisper"}', "model.safetensors": os.urandom(3 << 20)}


def entry() -> dict:
    return {"id": "example", "sources": [{"type": "hf_hub", "repo": REPO, "revision": "main"}],
            "files": [{"path": "config.json", "approx_size": 30},
                      {"path": "model.safetensors", "approx_size": 3150000},
                      {"path": "generation_config.json", "optional": True}]}


@pytest.fixture
def hub(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    with HubServer({REPO: FILES}, commit=COMMIT) as server:
        yield server


def test_an_entry_is_pinned_to_the_commit_with_every_files_sha256(hub):
    pinned = entry()
    changes = pinning.pin_model(pinned, endpoint=hub.url)
    assert pinned["sources"][0]["revision"] == COMMIT
    files = {f["path"]: f for f in pinned["files"]}
    for name, data in FILES.items():
        assert files[name]["size"] == len(data)
        assert files[name]["sha256"] == hashlib.sha256(data).hexdigest()
        assert "approx_size" not in files[name]
    assert "sha256" not in files["generation_config.json"], "an optional file the hub lacks"
    assert any(COMMIT in c for c in changes)
    # The small file's ETag is a git SHA-1, so it was downloaded and hashed.
    assert any(r.method == "GET" and r.filename == "config.json" for r in hub.requests)
    assert not any(r.method == "GET" and r.filename == "model.safetensors" for r in hub.requests)


def test_the_command_rewrites_the_catalog_in_its_own_layout(hub, tmp_path, capsys):
    path = tmp_path / "catalog.json"
    catalog = {"about": "test", "models": [entry()]}
    path.write_text(pinning.format_catalog(catalog) + "\n")
    assert pinning.main([str(path), "example", "--endpoint", hub.url]) == 0
    text = path.read_text()
    pinned = json.loads(text)["models"][0]
    assert pinned["sources"][0]["revision"] == COMMIT
    assert text == pinning.format_catalog(json.loads(text)) + "\n"
    assert f'{{"type": "hf_hub", "repo": "{REPO}", "revision": "{COMMIT}"}}' in text
    assert "revision main is commit" in capsys.readouterr().out


def test_the_shipped_catalog_is_in_the_tools_layout():
    from importlib import resources

    text = resources.files("grym_desktop.resources").joinpath("catalog.json").read_text()
    assert text == pinning.format_catalog(json.loads(text)) + "\n"
