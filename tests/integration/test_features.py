"""Features of real files through the pipeline, the model host and the feature memory, and
`grym-desktop features` as a user runs it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf
import soxr
from helpers import DATA, HELLO, write_rumble, write_whistle

from grym_desktop.features.signal import SIGNAL_MODEL
from grym_desktop.features.store import FeatureStore
from grym_desktop.memory.limits import parse_size
from grym_desktop.models.catalog import DEFAULT_MODEL
from grym_desktop.orchestrator import features as fx
from grym_desktop.orchestrator.runner import Orchestrator

pytestmark = pytest.mark.integration
MODELS = (SIGNAL_MODEL, DEFAULT_MODEL)


def grym(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grym_desktop", *args],
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def orchestrator():
    o = Orchestrator(parse_size("16GiB"))
    yield o
    o.close()


@pytest.mark.parametrize("model", MODELS)
def test_the_same_clip_stored_twice_is_its_own_top_match(orchestrator, tmp_path, model):
    store = FeatureStore(tmp_path / "features.sqlite3")
    copy = shutil.copy(HELLO, tmp_path / "copy.wav")
    original = fx.analyse(HELLO, orchestrator, model)
    fx.remember(store, original)
    fx.remember(store, fx.analyse(DATA / "numbers_44k_stereo.flac", orchestrator, model))
    again = fx.analyse(copy, orchestrator, model)
    fx.remember(store, again)
    top = fx.similar_recordings(store, again, k=2)[0]
    assert top.clip_id == original.clip_id
    assert top.score > 0.99
    store.close()


@pytest.mark.parametrize("model", MODELS)
def test_a_clip_resampled_and_reencoded_as_ogg_matches_its_original(orchestrator, tmp_path,
                                                                     model):
    store = FeatureStore(tmp_path / "features.sqlite3")
    audio, rate = sf.read(HELLO, dtype="float32")
    ogg = tmp_path / "hello_44k.ogg"
    sf.write(ogg, soxr.resample(audio, rate, 44100), 44100, format="OGG", subtype="VORBIS")
    original = fx.analyse(HELLO, orchestrator, model)
    fx.remember(store, original)
    fx.remember(store, fx.analyse(DATA / "numbers_44k_stereo.flac", orchestrator, model))
    top = fx.similar_recordings(store, fx.analyse(ogg, orchestrator, model), k=2)[0]
    assert top.clip_id == original.clip_id
    assert top.score > 0.95
    store.close()


def test_windows_follow_the_file_and_memory_of_a_long_file_stays_bounded(orchestrator,
                                                                         long_speech):
    features = fx.analyse(long_speech, orchestrator, DEFAULT_MODEL)
    assert features.duration == pytest.approx(sf.info(long_speech).duration, abs=0.05)
    fixed = [w for w in features.windows if w.kind == "fixed"]
    assert fixed[0].start == 0 and fixed[-1].end == pytest.approx(features.duration, abs=0.02)
    assert [w.start for w in fixed] == sorted(w.start for w in fixed)
    assert features.vectors.shape == (len(features.windows), 384)
    assert features.signal_vectors.shape[0] == len(features.windows)
    assert np.isfinite(features.vectors).all()
    # The file repeats one clip: the repeats are found as a pattern that comes back.
    assert fx.patterns_of(features)


def test_segments_of_a_transcript_are_windows_too(orchestrator):
    features = fx.analyse(HELLO, orchestrator, SIGNAL_MODEL, segments=[(0.2, 1.4), (1.4, 3.0)])
    assert [(w.start, w.end) for w in features.windows if w.kind == "segment"] == [
        (0.2, 1.4), (1.4, 3.0)]


def test_the_command_line_labels_a_sound_and_suggests_it_for_a_like_one(tmp_path):
    first = str(write_rumble(tmp_path / "storm1.wav", 6, seed=1))
    second = str(write_rumble(tmp_path / "storm2.wav", 5, seed=2))
    other = str(write_whistle(tmp_path / "whistle.wav", 4, hz=2200))
    done = grym("features", first, "--label", "thunder", "--at", "0-6", "--json")
    assert done.returncode == 0, done.stderr
    labelled = json.loads(done.stdout)
    assert labelled["labelled"] == {"name": "thunder", "start": 0.0, "end": 6.0, "windows": 5}
    assert labelled["model"] == DEFAULT_MODEL and labelled["dimension"] == 384

    done = grym("features", second, other, "--store", "--suggest", "--similar", "2", "--json")
    assert done.returncode == 0, done.stderr
    storm, tone = (json.loads(line) for line in done.stdout.splitlines())
    assert storm["suggestions"][0]["label"] == "thunder"
    assert 0.5 < storm["suggestions"][0]["confidence"] <= 1.0
    assert storm["similar"][0]["file"] == first
    assert not tone["suggestions"] or tone["suggestions"][0]["confidence"] < \
        storm["suggestions"][0]["confidence"]


def test_audio_the_decoder_refuses_is_exit_3_and_the_other_files_go_on(tmp_path):
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 40)
    done = grym("features", str(broken), str(HELLO), "--model", SIGNAL_MODEL, "--json")
    assert done.returncode == 3
    assert done.stderr.count("\n") == 1 and "broken.wav" in done.stderr
    report = json.loads(done.stdout)
    assert report["file"] == str(HELLO) and report["windows"] == 3


def test_words_without_clap_name_the_model_to_get():
    done = grym("features", "search", "--text", "dog barking")
    assert done.returncode == 5
    assert done.stderr.count("\n") == 1
    assert "CLAP" in done.stderr and "clap-htsat-unfused" in done.stderr


@pytest.mark.parametrize("args", [
    ["--label", "thunder"],
    ["--at", "0-2"],
    ["--label", "thunder", "--at", "2-1"],
    ["--label", "thunder", "--at", "soon"],
])
def test_a_label_needs_a_name_and_a_span(args):
    done = grym("features", str(HELLO), "--model", SIGNAL_MODEL, *args)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
