"""Speaker embeddings through the catalog, the model manager and the model host.

The bundled GE2E encoder runs on its real weights (the resemblyzer wheel's pretrained.pt);
two espeak-ng voices stand in for two people. The hub option, WavLM x-vectors, is a tiny
random-weight WavLMForXVector (tests/wavlm_fixture.py) served by a loopback hub, downloaded and
verified by the model manager into a private hub cache, and loaded as a downloaded model.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import numpy as np
import psutil
import pytest
from helpers import HELLO, PeakRss, noise
from hub_server import HubServer
from wavlm_fixture import XVECTOR_DIM, build_tiny_wavlm

from grym_desktop.audio.decode import load_audio
from grym_desktop.errors import ModelMissingError
from grym_desktop.memory.limits import parse_size
from grym_desktop.models import sources
from grym_desktop.models.catalog import GE2E_MODEL, get_spec, models_dir, speaker_models
from grym_desktop.models.download import download_model
from grym_desktop.models.footprint import estimate_for
from grym_desktop.orchestrator.runner import Orchestrator

pytestmark = pytest.mark.integration

REPO = "test/tiny-wavlm-sv"
COMMIT = "0123abcd0123abcd0123abcd0123abcd0123abcd"
WAVLM = "tiny-wavlm-sv"
# Two sentences in each of two espeak-ng voices: a US man, and a British woman (f3) higher up.
VOICES = {"us": ["-v", "en-us", "-p", "35"], "gb": ["-v", "en-gb+f3", "-p", "70"]}
SENTENCES = ("The quick brown fox jumps over the lazy dog near the river bank.",
             "Please call me back tomorrow morning about the meeting schedule.")


@pytest.fixture(scope="module")
def orchestrator():
    o = Orchestrator(parse_size("16GiB"))
    yield o
    o.close()


@pytest.fixture(scope="module")
def voices(tmp_path_factory) -> dict[str, list[np.ndarray]]:
    """voice -> its two sentences as 16 kHz audio, spoken by espeak-ng into wav files."""
    folder = tmp_path_factory.mktemp("voices")
    out: dict[str, list[np.ndarray]] = {}
    for voice, args in VOICES.items():
        out[voice] = []
        for n, text in enumerate(SENTENCES):
            path = folder / f"{voice}{n}.wav"
            subprocess.run(["espeak-ng", *args, "-w", str(path), text], check=True)
            out[voice].append(load_audio(path))
    return out






def measured_growth(model_id: str) -> tuple[int, str]:
    """A fresh host's peak growth while it loads the model and embeds 30 spans of 30 s."""
    fresh = Orchestrator(parse_size("16GiB"))
    try:
        pid = fresh.start_host()
        before = psutil.Process(pid).memory_info().rss
        peak = PeakRss(pid)
        spans = [(float(i), i + 2.0) for i in range(29)] + [(0.0, 30.0)]
        fresh.embed_spans(np.tile(load_audio(HELLO), 12)[:30 * 16000], spans, model_id)
        growth = peak.done() - before
        precision = fresh.loaded_model[1]
    finally:
        fresh.close()
    return growth, precision


# -- the bundled GE2E encoder -------------------------------------------------------------------


def test_ge2e_is_the_first_speaker_model_and_installed_verified():
    spec = get_spec(GE2E_MODEL)
    assert [s.id for s in speaker_models()][0] == GE2E_MODEL
    assert spec.capabilities == ("speaker-embedding",) and spec.engine == "ge2e"
    assert sources.status(spec).installed
    assert sources.verify(spec) == []
    assert "resemblyzer" not in sys.modules  # found without importing it (needs webrtcvad)


def test_ge2e_spans_embed_to_unit_256_vectors(orchestrator):
    hello = load_audio(HELLO)
    seconds = len(hello) / 16000
    spans = [(0.0, seconds), (0.0, seconds / 2), (seconds / 2, seconds), (0.25, 0.5)]
    first = orchestrator.embed_spans(hello, spans, GE2E_MODEL)
    again = orchestrator.embed_spans(hello.copy(), spans, GE2E_MODEL)
    assert first.model_id == GE2E_MODEL and first.vectors.shape == (4, 256)
    assert first.vectors.dtype == np.float32 and np.isfinite(first.vectors).all()
    assert np.allclose(np.linalg.norm(first.vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(first.vectors, again.vectors)
    alone = orchestrator.embed_spans(hello, [spans[3]], GE2E_MODEL)  # shorter than a partial
    np.testing.assert_allclose(alone.vectors[0], first.vectors[3], atol=1e-5)
    assert orchestrator.loaded_model == (GE2E_MODEL, "float32")


def test_same_voice_is_closer_than_another_voice(orchestrator, voices):
    clips = [voices["us"][0], voices["us"][1], voices["gb"][0], voices["gb"][1]]
    audio = np.concatenate(clips)
    bounds = np.cumsum([0] + [len(c) for c in clips]) / 16000
    spans = [(float(a), float(b)) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    vectors = orchestrator.embed_spans(audio, spans, GE2E_MODEL).vectors
    cos = vectors @ vectors.T
    same = [cos[0, 1], cos[2, 3]]
    different = [cos[0, 2], cos[0, 3], cos[1, 2], cos[1, 3]]
    print(f"GE2E espeak voices: same {np.round(same, 3)}, different {np.round(different, 3)}")
    assert min(same) > max(different)


def test_ge2e_estimate_is_within_a_quarter_of_measured_growth():
    growth, precision = measured_growth(GE2E_MODEL)
    estimate = estimate_for(get_spec(GE2E_MODEL), precision).total_bytes
    print(f"GE2E {precision}: estimate {estimate / 2**20:.1f} MiB, "
          f"measured growth {growth / 2**20:.1f} MiB, ratio {estimate / growth:.3f}")
    assert 0.75 * growth <= estimate <= 1.25 * growth, (estimate, growth)


def _ge2e_entry(model_id: str, module: str) -> dict:
    spec = get_spec(GE2E_MODEL)
    return {"id": model_id, "name": "GE2E (test)", "engine": "ge2e",
            "capabilities": ["speaker-embedding"], "languages": ["multilingual"],
            "license": "Apache-2.0", "precisions": ["float32"], "parameters": spec.parameters,
            "working_bytes": spec.working_bytes,
            "sources": [{"type": "python_package", "module": module, "package": module}],
            "files": [{"path": f.path, "size": f.size, "sha256": f.sha256} for f in spec.files]}


def _write_local(*entries: dict) -> None:
    models_dir().mkdir(parents=True, exist_ok=True)
    (models_dir() / "local.json").write_text(json.dumps({"models": list(entries)}))


def test_missing_package_is_a_missing_model(orchestrator):
    _write_local(_ge2e_entry("ge2e-absent", "grym_no_such_speaker_package"))
    with pytest.raises(ModelMissingError) as caught:
        orchestrator.embed_spans(noise(2.0), [(0.0, 2.0)], "ge2e-absent")
    message = str(caught.value)
    assert caught.value.exit_code == 5
    assert message == ("The model ge2e-absent is not installed: the Python package "
                       "grym_no_such_speaker_package is missing.")


def test_changed_weights_are_refused_before_loading(orchestrator, tmp_path, monkeypatch):
    package = tmp_path / "site" / "grym_fake_resemblyzer"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("raise ImportError('must never be imported')\n")
    real = sources.installed_dir(get_spec(GE2E_MODEL)) / "pretrained.pt"
    data = bytearray(real.read_bytes())
    data[len(data) // 2] ^= 0xFF
    (package / "pretrained.pt").write_bytes(bytes(data))
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    _write_local(_ge2e_entry("ge2e-changed", "grym_fake_resemblyzer"))
    with pytest.raises(ModelMissingError, match="changed on disk") as caught:
        orchestrator.embed_spans(noise(2.0), [(0.0, 2.0)], "ge2e-changed")
    assert caught.value.exit_code == 5
    assert hashlib.sha256(bytes(data)).hexdigest()[:12] in str(caught.value)


# -- the hub option: WavLM x-vectors ------------------------------------------------------------


@pytest.fixture(scope="module")
def served_files(tmp_path_factory) -> dict[str, bytes]:
    folder = build_tiny_wavlm(tmp_path_factory.mktemp("wavlm") / WAVLM)
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture
def wavlm(served_files, tmp_path, monkeypatch) -> str:
    """The tiny WavLM x-vector model as a hub model in the catalog, downloaded from a loopback
    hub: its id."""
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("GRYM_OFFLINE", raising=False)
    entry = {
        "id": WAVLM, "name": "tiny WavLM x-vector (test)", "engine": "transformers",
        "capabilities": ["speaker-embedding"], "languages": ["en"], "license": "MIT",
        "precisions": ["float32", "bfloat16"], "stored_dtype": "float32",
        "sources": [{"type": "hf_hub", "repo": REPO, "revision": COMMIT}],
        "files": [{"path": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
                  for name, data in served_files.items()],
    }
    _write_local(entry)
    with HubServer({REPO: served_files}, commit=COMMIT) as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        folder = download_model(get_spec(WAVLM))
    assert folder.name == COMMIT and (folder / "model.safetensors").is_file()
    return WAVLM


def test_wavlm_loads_embeds_and_unloads_through_the_host(orchestrator, wavlm):
    hello = load_audio(HELLO)
    seconds = len(hello) / 16000
    spans = [(0.0, seconds), (0.0, seconds / 2), (seconds / 2, seconds), (0.25, 0.3)]
    first = orchestrator.embed_spans(hello, spans, wavlm)
    assert orchestrator.loaded_model[0] == WAVLM
    assert first.model_id == WAVLM and first.vectors.shape == (4, XVECTOR_DIM)
    assert first.vectors.dtype == np.float32 and np.isfinite(first.vectors).all()
    assert np.allclose(np.linalg.norm(first.vectors, axis=1), 1.0, atol=1e-5)
    alone = orchestrator.embed_spans(hello, [spans[2]], wavlm)
    np.testing.assert_allclose(alone.vectors[0], first.vectors[2], atol=1e-5)
    long = orchestrator.embed_spans(noise(30.0), [(0.0, 30.0)], wavlm)
    assert long.vectors.shape == (1, XVECTOR_DIM)
    unloaded = orchestrator.unload()
    assert unloaded is not None and orchestrator.loaded_model is None


def test_wavlm_estimate_is_within_a_quarter_of_measured_growth(wavlm):
    growth, precision = measured_growth(wavlm)
    estimate = estimate_for(get_spec(wavlm), precision).total_bytes
    print(f"tiny WavLM x-vector {precision}: estimate {estimate / 2**20:.1f} MiB, "
          f"measured growth {growth / 2**20:.1f} MiB, ratio {estimate / growth:.3f}")
    assert 0.75 * growth <= estimate <= 1.25 * growth, (estimate, growth)


def test_the_catalog_wavlm_is_refused_as_pickle_weights(tmp_path, monkeypatch):
    """The hub copy of wavlm-base-plus-sv is pickle only: refused before any byte is fetched."""
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens: never reached
    with pytest.raises(ModelMissingError, match="pickle weights") as caught:
        download_model(get_spec("wavlm-base-plus-sv"))
    assert caught.value.exit_code == 5

