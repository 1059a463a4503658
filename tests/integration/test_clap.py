"""CLAP audio and text embeddings through the catalog, the download path and the model host.

The real clap-htsat-unfused cannot be had here: a tiny random-weight ClapModel of its
architecture (tests/clap_fixture.py) is served by a loopback hub, downloaded and verified by
the model manager into a private hub cache, and loaded by the orchestrator as a downloaded model.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import numpy as np
import psutil
import pytest
import soundfile as sf
from clap_fixture import PROJECTION_DIM, build_tiny_clap
from helpers import HELLO, PeakRss, noise
from hub_server import HubServer

from grym_desktop.audio.decode import load_audio
from grym_desktop.errors import GrymError, InputError, ModelMissingError
from grym_desktop.memory.limits import parse_size
from grym_desktop.models.catalog import CLAP_MODEL, get_spec, models_dir, text_embedding_models
from grym_desktop.models.download import download_model
from grym_desktop.models.footprint import estimate_for
from grym_desktop.orchestrator.runner import Orchestrator

pytestmark = pytest.mark.integration

REPO = "test/tiny-clap"
COMMIT = "89abcdef0123456789abcdef0123456789abcdef"
MODEL = "tiny-clap"


@pytest.fixture(scope="module")
def served_files(tmp_path_factory) -> dict[str, bytes]:
    folder = build_tiny_clap(tmp_path_factory.mktemp("clap") / "tiny-clap")
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture
def clap(served_files, tmp_path, monkeypatch) -> str:
    """The tiny CLAP as a hub model in the catalog, downloaded from a loopback hub: its id."""
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("GRYM_OFFLINE", raising=False)
    entry = {
        "id": MODEL, "name": "tiny CLAP (test)", "engine": "transformers",
        "capabilities": ["embed", "embed_text"], "languages": ["en"], "license": "MIT",
        "precisions": ["float32", "bfloat16"], "stored_dtype": "float32",
        "sources": [{"type": "hf_hub", "repo": REPO, "revision": COMMIT}],
        "files": [{"path": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
                  for name, data in served_files.items()],
    }
    models_dir().mkdir(parents=True, exist_ok=True)
    (models_dir() / "local.json").write_text(json.dumps({"models": [entry]}))
    with HubServer({REPO: served_files}, commit=COMMIT) as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        folder = download_model(get_spec(MODEL))
    assert folder.name == COMMIT and (folder / "model.safetensors").is_file()
    return MODEL


@pytest.fixture(scope="module")
def orchestrator():
    o = Orchestrator(parse_size("16GiB"))
    yield o
    o.close()




def test_audio_spans_embed_to_unit_vectors_of_the_projection(orchestrator, clap):
    hello = load_audio(HELLO)
    seconds = len(hello) / 16000
    spans = [(0.0, seconds), (0.0, seconds / 2), (seconds / 2, seconds), (0.25, 0.5)]
    first = orchestrator.embed_spans(hello, spans, clap)
    again = orchestrator.embed_spans(hello.copy(), spans, clap)
    assert first.model_id == MODEL and first.vectors.shape == (4, PROJECTION_DIM)
    assert first.vectors.dtype == np.float32 and np.isfinite(first.vectors).all()
    assert np.allclose(np.linalg.norm(first.vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(first.vectors, again.vectors)  # no random crop, ever
    # one span alone gives the vector it gets among others (batching changes nothing)
    alone = orchestrator.embed_spans(hello, [spans[2]], clap)
    np.testing.assert_allclose(alone.vectors[0], first.vectors[2], atol=1e-5)
    whole = orchestrator.embed(hello, clap)
    np.testing.assert_allclose(whole.vector, first.vectors[0], atol=1e-5)


def test_a_span_longer_than_clap_window_is_embedded_whole(orchestrator, clap):
    audio = noise(30.0)
    out = orchestrator.embed_spans(audio, [(0.0, 30.0), (0.0, 10.0), (20.0, 30.0)], clap)
    assert out.vectors.shape == (3, PROJECTION_DIM) and np.isfinite(out.vectors).all()


def test_text_embeddings_share_the_audio_space(orchestrator, clap):
    texts = ["dog barking", "applause", "thunder in the distance"]
    first = orchestrator.embed_text(texts, clap)
    again = orchestrator.embed_text(list(reversed(texts)), clap)
    audio = orchestrator.embed_spans(noise(2.0), [(0.0, 2.0)], clap)
    assert first.model_id == MODEL and first.vectors.shape == (3, PROJECTION_DIM)
    assert first.dimension == audio.dimension == PROJECTION_DIM
    assert np.isfinite(first.vectors).all()
    np.testing.assert_allclose(first.vectors, again.vectors[::-1], atol=1e-5)
    assert not np.allclose(first.vectors[0], first.vectors[1])
    with pytest.raises(InputError, match="non-empty string"):
        orchestrator.embed_text([""], clap)


def test_non_clap_model_is_refused_text_embeddings_in_one_sentence(orchestrator):
    with pytest.raises(GrymError) as caught:
        orchestrator.embed_text(["dog barking"], "whisper-tiny.en")
    message = str(caught.value)
    assert "clap-htsat-unfused" in message and "grym-desktop models add FOLDER" in message
    assert message.count(". ") == 0 and message.endswith(".")
    assert [s.id for s in text_embedding_models()][0] == CLAP_MODEL


def test_clap_not_installed_is_a_missing_model(orchestrator, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    with pytest.raises(ModelMissingError) as caught:
        orchestrator.embed_text(["dog barking"], CLAP_MODEL)
    assert caught.value.exit_code == 5
    with pytest.raises(ModelMissingError):
        orchestrator.embed_spans(noise(2.0), [(0.0, 2.0)], CLAP_MODEL)




def test_estimate_is_within_a_quarter_of_measured_growth(clap):
    fresh = Orchestrator(parse_size("16GiB"))
    try:
        pid = fresh.start_host()
        before = psutil.Process(pid).memory_info().rss
        peak = PeakRss(pid)
        spans = [(float(i), i + 2.0) for i in range(29)]
        fresh.embed_spans(noise(30.0), spans, clap)
        fresh.embed_text(["dog barking"] * 8, clap)
        growth = peak.done() - before
        precision = fresh.loaded_model[1]
    finally:
        fresh.close()
    estimate = estimate_for(get_spec(clap), precision).total_bytes
    print(f"tiny CLAP {precision}: estimate {estimate / 2**20:.1f} MiB, "
          f"measured growth {growth / 2**20:.1f} MiB, ratio {estimate / growth:.3f}")
    assert 0.75 * growth <= estimate <= 1.25 * growth, (estimate, growth)


def test_the_command_line_stores_clap_features_and_finds_them_by_words(clap, tmp_path):
    """The user's way: store recordings with CLAP, then search them by a description."""
    other = tmp_path / "noise.wav"
    sf.write(other, noise(3.0, seed=4), 16000)

    def grym(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "grym_desktop", *args],
                              capture_output=True, text=True, timeout=300)

    stored = grym("features", str(HELLO), str(other), "--store", "--model", clap, "--json")
    assert stored.returncode == 0, stored.stderr
    reports = [json.loads(line) for line in stored.stdout.splitlines()]
    assert [r["model"] for r in reports] == [clap, clap]
    assert all(r["dimension"] == PROJECTION_DIM and r["stored"] for r in reports)

    found = grym("features", "search", "--text", "someone says hello", "--similar", "3",
                 "--json")
    assert found.returncode == 0, found.stderr
    answer = json.loads(found.stdout)
    assert answer["model"] == clap and answer["query"] == "someone says hello"
    assert len(answer["matches"]) == 3
    assert {m["file"] for m in answer["matches"]} <= {str(HELLO), str(other)}
    scores = [m["score"] for m in answer["matches"]]
    assert scores == sorted(scores, reverse=True) and all(-1 <= s <= 1 for s in scores)
