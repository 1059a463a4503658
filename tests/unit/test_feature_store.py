"""The feature memory: storage, checks, similarity (exact and indexed), labels, suggestions."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from grym_desktop.errors import GrymError
from grym_desktop.features import index as ann
from grym_desktop.features.store import (
    SCHEMA_VERSION,
    FeatureStore,
    VectorMismatchError,
    default_store_path,
)
from grym_desktop.features.windows import FeatureWindow, fixed_windows

DIM = 16


def _vectors(n: int, seed: int = 0, dim: int = DIM) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)


@pytest.fixture
def store():
    s = FeatureStore()
    yield s
    s.close()


def _add(store, name: str, vectors: np.ndarray, model: str = "m") -> int:
    windows = [FeatureWindow(float(i), i + 2.0, "fixed") for i in range(len(vectors))]
    return store.add_clip(f"/audio/{name}.wav", name * 4, len(vectors) + 1.0, model, windows,
                          vectors)


def _count(store, table: str) -> int:
    return store._conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def test_lives_in_the_data_dir_with_its_schema(store, isolated_data_dir):
    assert store.path == default_store_path() == isolated_data_dir / "features.sqlite3"
    assert store._conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert store._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store._conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert (store.path.stat().st_mode & 0o777) == 0o600


def test_migrations_from_an_empty_file(tmp_path):
    path = tmp_path / "features.sqlite3"
    path.touch()  # an empty file is a database at version 0
    store = FeatureStore(path)
    assert store._conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    tables = {r[0] for r in store._conn.execute("SELECT name FROM sqlite_master")}
    assert {"clips", "windows", "vectors", "labels", "models", "meta"} <= tables
    _add(store, "a", _vectors(3))
    store.close()
    again = FeatureStore(path)  # opening at the current version changes nothing
    assert len(again.clips()) == 1
    again.close()


def test_a_newer_store_is_refused(tmp_path):
    path = tmp_path / "features.sqlite3"
    FeatureStore(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(GrymError, match="made by a newer version"):
        FeatureStore(path)


def test_same_vectors_stored_twice_are_each_others_top_match(store):
    vectors = _vectors(12)
    first = _add(store, "a", vectors)
    second = _add(store, "b", vectors)
    for i in range(len(vectors)):
        (top,) = store.similar("m", vectors[i], k=1, exclude_clip=first)
        assert top.clip_id == second and top.score > 0.99 and top.start == float(i)
        matches = store.similar("m", vectors[i], k=2)
        assert {m.clip_id for m in matches} == {first, second}
        assert all(m.score > 0.99 for m in matches)


def test_windows_and_vectors_round_trip(store):
    vectors = _vectors(5)
    windows = fixed_windows(6.0)
    clip = store.add_clip("/a.wav", "abc", 6.0, "m", windows, vectors)
    ids, got, matrix = store.windows(clip, "m")
    assert got == windows and np.array_equal(matrix, vectors) and len(ids) == 5
    assert store.models() == {"m": DIM}
    window_ids, all_matrix = store.all_vectors("m")
    assert window_ids.tolist() == ids and np.array_equal(all_matrix, vectors)
    assert [m.window_id for m in store.window_info(ids[::-1])] == ids[::-1]
    assert store.clip_for("/a.wav", "abc").id == clip
    assert store.clip_for("/a.wav", "other") is None


def test_readding_a_clip_replaces_its_vectors_and_keeps_labels(store):
    clip = _add(store, "a", _vectors(4))
    label = store.add_label(store.windows(clip, "m")[0][0], "dog")
    again = _add(store, "a", _vectors(4, seed=1))
    assert again == clip and _count(store, "vectors") == 4 and _count(store, "windows") == 4
    assert np.array_equal(store.windows(clip, "m")[2], _vectors(4, seed=1))
    assert [lb.id for lb in store.labels(clip)] == [label]
    other = _add(store, "a", _vectors(4, dim=8), model="other")  # another model, same windows
    assert other == clip and _count(store, "windows") == 4 and store.models()["other"] == 8


@pytest.mark.parametrize("vectors, problem", [
    (_vectors(3, dim=DIM + 1), "17 dimensions but model m stores 16"),
    (_vectors(3).astype(np.float64), "must be float32"),
    (_vectors(2), "2 vectors of 16 dimensions for 3 windows"),
    (_vectors(3)[0], "must be a 2-D array"),
    (np.full((3, DIM), np.nan, np.float32), "not finite"),
])
def test_vectors_that_do_not_fit_are_refused(store, vectors, problem):
    _add(store, "a", _vectors(3))
    windows = fixed_windows(4.0)
    with pytest.raises(VectorMismatchError, match=problem):
        store.add_clip("/b.wav", "bbbb", 4.0, "m", windows, vectors)
    assert len(store.clips()) == 1 and _count(store, "vectors") == 3


def test_query_of_another_dimension_or_model_is_refused(store):
    _add(store, "a", _vectors(3))  # model m: 16 dimensions
    _add(store, "c", _vectors(3, dim=512), model="clap")
    with pytest.raises(VectorMismatchError, match="512 dimensions but model m has 16"):
        store.similar("m", _vectors(1, dim=512)[0])
    with pytest.raises(VectorMismatchError, match="16 dimensions but model clap has 512"):
        store.suggest("clap", _vectors(2))
    with pytest.raises(VectorMismatchError, match="not finite"):
        store.similar("m", np.full(DIM, np.inf))
    assert store.similar("never-stored", _vectors(1)[0]) == []
    # vectors of one model are never returned for another
    assert {m.clip_id for m in store.similar("clap", _vectors(1, dim=512)[0], k=10)} == {2}


def test_deleting_a_clip_leaves_no_orphans(store):
    a = _add(store, "a", _vectors(6))
    b = _add(store, "b", _vectors(6, seed=2))
    _add(store, "a", _vectors(6, dim=4), model="tiny")
    ids = store.windows(a, "m")[0]
    store.add_label(ids[0], "dog")
    store.record_suggestion(ids[1], "cat", 0.5)
    store.delete_clip(a)
    assert [c.id for c in store.clips()] == [b]
    assert _count(store, "windows") == 6 and _count(store, "vectors") == 6
    assert _count(store, "labels") == 0
    orphans = store._conn.execute(
        "SELECT (SELECT COUNT(*) FROM vectors v LEFT JOIN windows w ON w.id = v.window_id"
        "        WHERE w.id IS NULL),"
        " (SELECT COUNT(*) FROM windows w LEFT JOIN clips c ON c.id = w.clip_id"
        "  WHERE c.id IS NULL),"
        " (SELECT COUNT(*) FROM labels l LEFT JOIN windows w ON w.id = l.window_id"
        "  WHERE w.id IS NULL)").fetchone()
    assert orphans == (0, 0, 0)
    assert dict(store._conn.execute("SELECT model_id, count FROM models")) == {"m": 6, "tiny": 0}
    assert all(m.clip_id == b for m in store.similar("m", _vectors(1)[0], k=20))


def _clustered(centre: np.ndarray, n: int, seed: int) -> np.ndarray:
    noise = np.random.default_rng(seed).standard_normal((n, len(centre)))
    return (centre + 0.2 * noise).astype(np.float32)


def test_labels_give_a_suggestion_with_a_confidence(store):
    dog, thunder = _vectors(2, seed=7)
    a = _add(store, "dog1", _clustered(dog, 5, 1))
    t = _add(store, "thunder1", _clustered(thunder, 5, 2))
    assert store.label_span(a, "m", 0.5, 10.0, "dog") and store.label_span(t, "m", 0, 9, "thunder")
    assert store.clips()[0].labels == ["dog"]
    query = _clustered(thunder, 4, 3)
    new = _add(store, "thunder2", query)
    suggestions = store.suggest("m", query, k=3, exclude_clip=new)
    assert suggestions[0].label == "thunder"
    assert 0.5 < suggestions[0].confidence <= 1.0
    assert suggestions[0].votes == 4  # each labelled clip votes once per window asked about
    assert suggestions[0].windows == [0, 1, 2, 3]
    assert all(n.clip_id == t and n.label == "thunder" and n.score > 0.8
               for n in suggestions[0].neighbours)
    assert all(s.confidence < 0.1 for s in suggestions[1:])
    # a mixed neighbourhood gives a lower confidence than a clear one
    mixed = np.concatenate([_clustered(dog, 2, 4), _clustered(thunder, 2, 5)])
    assert store.suggest("m", mixed, k=3)[0].confidence < suggestions[0].confidence


def test_accepted_suggestions_vote_and_rejected_are_not_suggested_again(store):
    bird = _vectors(1, seed=9)[0]
    a = _add(store, "bird1", _clustered(bird, 4, 1))
    b = _add(store, "bird2", _clustered(bird, 4, 2))
    b_windows, _, b_vectors = store.windows(b, "m")
    assert store.suggest("m", b_vectors, exclude_clip=b) == []  # nothing labelled yet

    suggested = store.record_suggestion(store.windows(a, "m")[0][0], "bird", 0.8)
    assert store.labels(a)[0].status == "pending"
    assert store.suggest("m", b_vectors, exclude_clip=b) == []  # pending labels do not vote
    store.accept(suggested)
    (label,) = store.labels(a)
    assert (label.status, label.source, label.confidence) == ("accepted", "suggested", 0.8)
    (s,) = store.suggest("m", b_vectors, exclude_clip=b)
    assert s.label == "bird" and s.confidence > 0

    rejected = store.record_suggestion(b_windows[0], "bird", s.confidence)
    store.reject(rejected)
    assert store.suggest("m", b_vectors, exclude_clip=b) == []
    assert store.record_suggestion(b_windows[0], "bird", 0.9) == rejected  # stays rejected
    assert store.labels(b)[0].status == "rejected"
    # per window: only the rejected window's votes are dropped
    (s,) = store.suggest("m", b_vectors, window_ids=b_windows)
    assert s.votes == len(b_windows) - 1
    with pytest.raises(GrymError, match="Label 999 is not in the feature store"):
        store.accept(999)
    with pytest.raises(GrymError, match="A label needs a name"):
        store.add_label(b_windows[0], "  ")


def test_index_above_the_switch_point_finds_what_exact_finds(store):
    vectors = _vectors(400, seed=3)
    for i in range(4):
        _add(store, f"c{i}", vectors[i * 100:(i + 1) * 100])
    queries = vectors[::37] + 0.05 * _vectors(len(vectors[::37]), seed=4)
    exact = [store.similar("m", q, k=5) for q in queries]
    assert not store.index_dir.exists()
    store.switch_point = 300
    indexed = [store.similar("m", q, k=5) for q in queries]
    assert "m" in store._indexes and "m" not in store._exact
    assert [r[0].window_id for r in indexed] == [r[0].window_id for r in exact]
    assert [r[0].score for r in indexed] == pytest.approx([r[0].score for r in exact], abs=1e-5)
    index_file, sidecar = ann.index_files(store.index_dir, "m")
    assert index_file.exists() and json.loads(sidecar.read_text())["count"] == 400
    excluded = store.similar("m", queries[0], k=5, exclude_clip=exact[0][0].clip_id)
    assert len(excluded) == 5 and all(m.clip_id != exact[0][0].clip_id for m in excluded)


def test_stale_index_is_brought_up_to_date(tmp_path):
    path = tmp_path / "features.sqlite3"
    store = FeatureStore(path)
    store.switch_point = 10
    vectors = _vectors(300, seed=5)
    clips = [_add(store, f"c{i}", vectors[i * 100:(i + 1) * 100]) for i in range(3)]
    store.similar("m", vectors[0])
    store.close()

    writer = FeatureStore(path)  # another process changes the store behind the saved index
    writer.delete_clip(clips[0])
    added = _add(writer, "new", _vectors(30, seed=6))
    writer.close()

    store = FeatureStore(path)
    store.switch_point = 10
    (top,) = store.similar("m", _vectors(30, seed=6)[7], k=1)
    assert top.clip_id == added and top.start == 7.0 and top.score > 0.99
    assert all(m.clip_id != clips[0] for m in store.similar("m", vectors[5], k=10))
    _, sidecar = ann.index_files(store.index_dir, "m")
    assert json.loads(sidecar.read_text())["count"] == 230
    store.close()


@pytest.mark.parametrize("damage", ["corrupt", "truncated", "sidecar", "missing"])
def test_damaged_index_file_is_rebuilt(tmp_path, damage):
    path = tmp_path / "features.sqlite3"
    store = FeatureStore(path)
    store.switch_point = 10
    vectors = _vectors(200, seed=8)
    _add(store, "a", vectors)
    store.similar("m", vectors[0])
    store.close()
    index_file, sidecar = ann.index_files(path.parent / ann.INDEX_DIR, "m")
    if damage == "corrupt":
        data = bytearray(index_file.read_bytes())
        data[100:4000] = os.urandom(3900)
        index_file.write_bytes(bytes(data))
    elif damage == "truncated":
        index_file.write_bytes(index_file.read_bytes()[:500])
    elif damage == "sidecar":
        sidecar.write_text("{not json")
    else:
        index_file.unlink()

    store = FeatureStore(path)
    store.switch_point = 10
    (top,) = store.similar("m", vectors[42], k=1)
    assert top.start == 42.0 and top.score > 0.99
    info = json.loads(sidecar.read_text())
    assert info["count"] == 200 and info["bytes"] == index_file.stat().st_size
    store.close()


def test_index_of_another_store_at_the_same_path_is_not_used(tmp_path):
    path = tmp_path / "features.sqlite3"
    store = FeatureStore(path)
    store.switch_point = 10
    _add(store, "a", _vectors(50, seed=1))
    store.similar("m", _vectors(1)[0])
    store.close()
    for p in tmp_path.glob("features.sqlite3*"):
        p.unlink()
    store = FeatureStore(path)  # a new database: the old index file must not answer
    store.switch_point = 10
    _add(store, "b", _vectors(50, seed=2))
    (top,) = store.similar("m", _vectors(50, seed=2)[3], k=1)
    assert top.start == 3.0 and top.score > 0.99
    store.close()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only files anyway")
def test_read_only_store_file_is_a_clear_error(tmp_path):
    path = tmp_path / "features.sqlite3"
    FeatureStore(path).close()
    path.chmod(0o444)
    store = FeatureStore(path)
    with pytest.raises(GrymError) as err:
        _add(store, "a", _vectors(2))
    assert str(err.value) == (
        f"Could not save to the feature store at {path}: the file is read-only.")


_OPEN_AND_WRITE = textwrap.dedent(
    """
    import sys
    import numpy as np
    from pathlib import Path
    from grym_desktop.errors import GrymError
    from grym_desktop.features.store import FeatureStore
    from grym_desktop.features.windows import FeatureWindow
    try:
        FeatureStore(Path(sys.argv[1])).add_clip(
            "a.wav", "aa", 1.0, "m", [FeatureWindow(0, 1, "fixed")], np.ones((1, 4), np.float32))
    except GrymError as exc:
        print(exc)
    """
)


def test_read_only_folder_is_a_clear_error(tmp_path):
    if shutil.which("unshare") is None or subprocess.run(["unshare", "-rm", "true"]).returncode:
        pytest.skip("unshare -rm (user and mount namespaces) is not available here")
    folder = tmp_path / "data"
    path = folder / "features.sqlite3"
    FeatureStore(path).close()
    result = subprocess.run(
        ["unshare", "-rm", "sh", "-c", f"mount --bind -o ro '{folder}' '{folder}'"
         ' && exec "$0" -c "$@"', sys.executable, _OPEN_AND_WRITE, str(path)],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        f"Could not open the feature store at {path}: its folder is read-only.")


def test_parent_that_is_a_file_is_a_clear_error(tmp_path):
    (tmp_path / "blocker").write_text("not a folder")
    path = tmp_path / "blocker" / "features.sqlite3"
    with pytest.raises(GrymError) as err:
        FeatureStore(path)
    assert str(err.value) == (
        f"Could not open the feature store at {path}: part of its folder path is a file.")


def test_closed_store_says_so(tmp_path):
    store = FeatureStore(tmp_path / "f.sqlite3")
    store.close()
    with pytest.raises(GrymError, match="it was closed"):
        store.clips()
