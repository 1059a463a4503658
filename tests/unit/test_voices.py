"""The voice library in the feature store: named voiceprints, merged, matched, renamed, erased."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from grym_desktop.errors import GrymError
from grym_desktop.features.store import (
    MIGRATIONS,
    SCHEMA_VERSION,
    FeatureStore,
    VectorMismatchError,
)
from grym_desktop.features.windows import FeatureWindow

MODEL = "resemblyzer-ge2e"
DIM = 256


def _unit(seed: int, dim: int = DIM) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal(dim)
    return (v / np.linalg.norm(v)).astype(np.float32)


def _near(v: np.ndarray, seed: int, noise: float = 0.3) -> np.ndarray:
    """Another take of the same voice: v with some noise."""
    return (v + noise * _unit(seed, v.size)).astype(np.float32)


@pytest.fixture
def store(tmp_path):
    s = FeatureStore(tmp_path / "features.sqlite3")
    yield s
    s.close()


def test_a_saved_voice_is_listed_as_a_unit_float32_print(store):
    voice = store.save_voice("  Alice\n", MODEL, _unit(1) * 7.0, 12.5)
    assert (voice.name, voice.model_id, voice.dim, voice.seconds) == ("Alice", MODEL, DIM, 12.5)
    assert voice.vector.dtype == np.float32 and voice.vector.shape == (DIM,)
    assert np.linalg.norm(voice.vector) == pytest.approx(1.0, abs=1e-6)
    np.testing.assert_allclose(voice.vector, _unit(1), atol=1e-6)
    [listed] = store.voices()
    assert listed.name == "Alice" and listed.updated_at == voice.updated_at
    np.testing.assert_array_equal(listed.vector, voice.vector)
    assert store.voices("wavlm-base-plus-sv") == []


def test_saving_again_merges_by_seconds_weighted_mean(store):
    a, b = _unit(1), _unit(2)
    store.save_voice("Alice", MODEL, a, 30.0)
    merged = store.save_voice("Alice", MODEL, b, 10.0)
    expected = 30.0 * a.astype(np.float64) + 10.0 * b
    expected /= np.linalg.norm(expected)
    assert merged.seconds == 40.0
    np.testing.assert_allclose(merged.vector, expected, atol=1e-6)
    assert len(store.voices()) == 1


def test_one_name_may_have_a_print_of_each_model(store):
    store.save_voice("Alice", MODEL, _unit(1), 5.0)
    store.save_voice("Alice", "wavlm-base-plus-sv", _unit(2, 512), 5.0)
    assert [(v.name, v.model_id, v.dim) for v in store.voices()] == [
        ("Alice", MODEL, DIM), ("Alice", "wavlm-base-plus-sv", 512)]
    assert [v.model_id for v in store.voices(MODEL)] == [MODEL]


def test_another_dimension_for_a_model_is_refused(store):
    store.save_voice("Alice", MODEL, _unit(1), 5.0)
    with pytest.raises(VectorMismatchError, match="512 dimensions but model resemblyzer-ge2e"):
        store.save_voice("Bob", MODEL, _unit(2, 512), 5.0)
    with pytest.raises(VectorMismatchError, match="512 dimensions"):
        store.match_voice(MODEL, _unit(2, 512), 0.5)
    assert [v.name for v in store.voices()] == ["Alice"]


def test_a_model_with_windows_stored_sets_the_dimension_too(store):
    windows = [FeatureWindow(0.0, 1.5, "speaker")]
    store.add_clip("/audio/a.wav", "aa" * 32, 2.0, MODEL, windows, _unit(3)[None, :])
    with pytest.raises(VectorMismatchError):
        store.save_voice("Alice", MODEL, _unit(1, 128), 5.0)


@pytest.mark.parametrize("vector, seconds, problem", [
    (np.zeros(DIM, np.float32), 5.0, VectorMismatchError),
    (np.full(DIM, np.nan, np.float32), 5.0, VectorMismatchError),
    (np.ones((2, DIM), np.float32), 5.0, VectorMismatchError),
    (_unit(1), 0.0, GrymError),
    (_unit(1), float("nan"), GrymError),
])
def test_vectors_and_seconds_that_make_no_voice_are_refused(store, vector, seconds, problem):
    with pytest.raises(problem):
        store.save_voice("Alice", MODEL, vector, seconds)
    assert store.voices() == []


def test_a_voice_needs_a_name_of_sensible_length(store):
    with pytest.raises(GrymError, match="needs a name"):
        store.save_voice(" \n", MODEL, _unit(1), 5.0)
    with pytest.raises(GrymError, match="at most 100 characters"):
        store.save_voice("x" * 101, MODEL, _unit(1), 5.0)


def test_match_finds_the_closest_voice_above_the_threshold(store):
    alice, bob = _unit(1), _unit(2)
    store.save_voice("Alice", MODEL, alice, 20.0)
    store.save_voice("Bob", MODEL, bob, 20.0)
    voice, score = store.match_voice(MODEL, _near(alice, 10), 0.7)
    assert voice.name == "Alice" and 0.7 <= score <= 1.0
    voice, score = store.match_voice(MODEL, _near(bob, 11).astype(np.float64), 0.7)
    assert voice.name == "Bob"
    assert store.match_voice(MODEL, _unit(99), 0.7) is None  # a stranger: near nobody
    assert store.match_voice("wavlm-base-plus-sv", _unit(1, 512), 0.0) is None  # no voices
    assert store.match_voice(MODEL, alice, 1.0 + 1e-9) is None  # nothing beats a cosine of 1


def test_rename_keeps_the_print_and_refuses_a_taken_name(store):
    store.save_voice("Speaker 2", MODEL, _unit(1), 5.0)
    store.save_voice("Bob", MODEL, _unit(2), 5.0)
    store.rename_voice("Speaker 2", " Alice ")
    assert [v.name for v in store.voices()] == ["Alice", "Bob"]
    np.testing.assert_allclose(store.match_voice(MODEL, _unit(1), 0.99)[0].vector, _unit(1),
                               atol=1e-6)
    with pytest.raises(GrymError, match="‘Bob’ is already in the voice library"):
        store.rename_voice("Alice", "Bob")
    with pytest.raises(GrymError, match="no voice called ‘Carol’"):
        store.rename_voice("Carol", "Dave")
    store.rename_voice("Alice", "Alice")  # nothing to do
    assert [v.name for v in store.voices()] == ["Alice", "Bob"]


def test_delete_erases_the_print_from_the_file(store):
    secret = _unit(7)
    store.save_voice("Alice", MODEL, secret, 5.0)
    store.save_voice("Alice", MODEL, _unit(8), 5.0)  # the merge replaced the first print
    kept = store.save_voice("Bob", MODEL, _unit(9), 5.0)
    alice = store.voices(MODEL)[0].vector
    store.delete_voice("Alice")
    assert [v.name for v in store.voices()] == ["Bob"]
    assert store.match_voice(MODEL, alice, 0.9) is None
    on_disk = b"".join(p.read_bytes() for p in store.path.parent.glob("features.sqlite3*"))
    for gone in (secret, alice):
        assert gone.astype("<f4").tobytes()[:64] not in on_disk
    assert kept.vector.astype("<f4").tobytes()[:64] in on_disk  # the check can see a print
    with pytest.raises(GrymError, match="no voice called ‘Alice’"):
        store.delete_voice("Alice")


def test_a_version_1_store_gains_the_voice_table_and_keeps_its_clips(tmp_path):
    path = tmp_path / "features.sqlite3"
    db = sqlite3.connect(path, isolation_level=None)
    db.executescript(MIGRATIONS[0])  # what the first feature memory made
    db.execute("INSERT INTO clips (path, sha256, duration, added) VALUES"
               " ('/audio/a.wav', 'aa', 2.0, 'then')")
    db.close()
    store = FeatureStore(path)
    try:
        assert store._conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
        assert [c.path for c in store.clips()] == ["/audio/a.wav"]
        store.save_voice("Alice", MODEL, _unit(1), 5.0)
        assert [v.name for v in store.voices()] == ["Alice"]
    finally:
        store.close()


def test_speaker_prints_follow_renames_merge_and_go_with_their_voice(store):
    a, b = _unit(11), _unit(12)
    store.save_speaker_prints(7, MODEL, ["Speaker 1", "Speaker 2"], np.stack([a, b]),
                              [30.0, 10.0])
    model, vector, seconds = store.speaker_print(7, "Speaker 2")
    assert model == MODEL and seconds == 10.0 and float(vector @ b) > 0.999
    store.rename_speaker_print(7, "Speaker 2", "Alice")
    assert store.speaker_print(7, "Speaker 2") is None
    store.rename_speaker_print(7, "Speaker 1", "Alice")  # a merge: weighted by seconds
    _, merged, seconds = store.speaker_print(7, "Alice")
    expected = (30 * a + 10 * b) / np.linalg.norm(30 * a + 10 * b)
    assert seconds == 40.0 and float(merged @ expected) > 0.999
    store.save_voice("Alice", MODEL, merged, seconds)
    store.delete_voice("Alice")
    assert store.speaker_print(7, "Alice") is None
    on_disk = b"".join(p.read_bytes() for p in store.path.parent.glob("features.sqlite3*"))
    assert merged.astype("<f4").tobytes()[:64] not in on_disk
