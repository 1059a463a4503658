"""The feature memory: clips, their windows, one vector per window and model, and labels.

One SQLite file of its own (data_dir()/features.sqlite3). Every clip is added in one
transaction, so a killed app leaves whole clips or none. Vectors of different models are
never compared: each model has one dimension, and every vector and query is checked against
it. Similarity is cosine: exact (numpy) while a model has fewer than `switch_point` vectors,
then an approximate index (features.index) kept next to the database.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from grym_desktop.database import PrivateDatabase
from grym_desktop.errors import GrymError
from grym_desktop.features import index as ann
from grym_desktop.features.windows import FeatureWindow
from grym_desktop.paths import data_dir

LABEL_CHARS = 100  # the longest label name
BASELINE_SAMPLE = 20_000  # stored vectors read to learn how alike unrelated windows are
_CHUNK = 900  # ids per `IN (...)` (SQLite allows 999 variables in old builds)

# MIGRATIONS[v] takes a store from version v to v + 1; an empty file is at version 0.
MIGRATIONS = [
    """
BEGIN IMMEDIATE;
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- Tells this database from one made later at the same path (the index files name it).
INSERT INTO meta VALUES ('store_id', lower(hex(randomblob(16))));
CREATE TABLE clips (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    duration REAL NOT NULL,
    added TEXT NOT NULL,
    UNIQUE (path, sha256)
);
-- generation goes up with every vector added or removed: the caches and index files
-- built from a model's vectors record the generation they saw.
CREATE TABLE models (
    model_id TEXT PRIMARY KEY,
    dim INTEGER NOT NULL CHECK (dim > 0),
    generation INTEGER NOT NULL DEFAULT 0,
    count INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE windows (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    clip_id INTEGER NOT NULL REFERENCES clips(id) ON DELETE CASCADE,
    start REAL NOT NULL,
    "end" REAL NOT NULL,
    kind TEXT NOT NULL,
    UNIQUE (clip_id, start, "end", kind)
);
-- A vector's id is never reused and its content never changes (re-adding makes new rows),
-- so an index holding a set of ids is brought up to date by the difference of two sets.
CREATE TABLE vectors (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    window_id INTEGER NOT NULL REFERENCES windows(id) ON DELETE CASCADE,
    model_id TEXT NOT NULL REFERENCES models(model_id),
    dim INTEGER NOT NULL,
    vector BLOB NOT NULL CHECK (length(vector) = 4 * dim),
    UNIQUE (window_id, model_id)
);
CREATE INDEX vectors_model ON vectors (model_id, id);
CREATE TABLE labels (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    window_id INTEGER NOT NULL REFERENCES windows(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('user', 'suggested')),
    confidence REAL,
    status TEXT NOT NULL CHECK (status IN ('accepted', 'rejected', 'pending')),
    created_at TEXT NOT NULL,
    decided_by TEXT,
    decided_at TEXT,
    UNIQUE (window_id, name)
);
CREATE INDEX labels_status ON labels (status, window_id);
CREATE TRIGGER vectors_dim BEFORE INSERT ON vectors BEGIN
    SELECT RAISE(ABORT, 'vector dimension differs from its model')
    WHERE new.dim IS NOT (SELECT dim FROM models WHERE model_id = new.model_id);
END;
-- These fire for the rows ON DELETE CASCADE removes too.
CREATE TRIGGER vectors_added AFTER INSERT ON vectors BEGIN
    UPDATE models SET generation = generation + 1, count = count + 1
    WHERE model_id = new.model_id;
END;
CREATE TRIGGER vectors_removed AFTER DELETE ON vectors BEGIN
    UPDATE models SET generation = generation + 1, count = count - 1
    WHERE model_id = old.model_id;
END;
PRAGMA user_version = 1;
COMMIT;
""",
    # The voice library: a named voiceprint per speaker model (the seconds-weighted mean of
    # the person's speaker vectors, unit length). One name may have a print of each model.
    """
BEGIN IMMEDIATE;
CREATE TABLE voices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    model_id TEXT NOT NULL,
    dim INTEGER NOT NULL CHECK (dim > 0),
    vector BLOB NOT NULL CHECK (length(vector) = 4 * dim),
    seconds REAL NOT NULL CHECK (seconds > 0),
    updated_at TEXT NOT NULL,
    UNIQUE (name, model_id)
);
CREATE INDEX voices_model ON voices (model_id);
PRAGMA user_version = 2;
COMMIT;
""",
    # Each diarized transcript's speakers' voiceprints, so naming a speaker later (in the
    # window or after a rename) can save that voice without finding the speakers again.
    """
BEGIN IMMEDIATE;
CREATE TABLE speaker_prints (
    transcript_id INTEGER NOT NULL,
    speaker TEXT NOT NULL,
    model_id TEXT NOT NULL,
    dim INTEGER NOT NULL CHECK (dim > 0),
    vector BLOB NOT NULL CHECK (length(vector) = 4 * dim),
    seconds REAL NOT NULL CHECK (seconds >= 0),
    PRIMARY KEY (transcript_id, speaker)
);
PRAGMA user_version = 3;
COMMIT;
""",
]
SCHEMA_VERSION = len(MIGRATIONS)


class VectorMismatchError(GrymError):
    """Vectors that do not fit the store: wrong shape, type or dimension for their model."""


def default_store_path() -> Path:
    """Where the feature memory lives: $GRYM_DATA_DIR when set, else the platform's data dir."""
    return data_dir() / "features.sqlite3"


@dataclass
class Match:
    """A stored window and how similar it is to a query (cosine; 0 when not from a search)."""

    window_id: int
    clip_id: int
    path: str
    start: float
    end: float
    score: float
    label: str | None


@dataclass
class Suggestion:
    """A label proposed for a clip by its nearest labelled windows."""

    label: str
    confidence: float
    votes: int
    neighbours: list[Match] = field(default_factory=list)
    windows: list[int] = field(default_factory=list)  # rows of the query that voted for it


@dataclass
class Clip:
    """A stored recording; labels are the accepted names on its windows."""

    id: int
    path: str
    sha256: str
    duration: float
    added: str
    labels: list[str] = field(default_factory=list)


@dataclass
class Label:
    """A name on a window, given by the user or suggested, and what became of it."""

    id: int
    window_id: int
    clip_id: int
    name: str
    source: str  # "user" | "suggested"
    confidence: float | None
    status: str  # "accepted" | "rejected" | "pending"
    start: float
    end: float


@dataclass
class Voice:
    """A named voiceprint of one speaker model: the unit mean of the person's speaker vectors
    and how many seconds of speech it was learnt from."""

    name: str
    model_id: str
    dim: int
    seconds: float
    updated_at: str
    vector: np.ndarray  # (dim,) float32, unit length


@dataclass
class _Exact:
    """One model's vectors, normalised, as of a store generation (the exact search's cache)."""

    generation: int
    ids: np.ndarray  # vector ids
    clip_ids: np.ndarray
    matrix: np.ndarray  # (n, dim) float32, unit rows (zero rows stay zero)


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


def _normalised(matrix: np.ndarray) -> np.ndarray:
    """Unit rows for cosine similarity; a zero row stays zero (similar to nothing)."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.where(norms > 0, norms, 1.0)).astype(np.float32, copy=False)


def _label_name(name: str) -> str:
    name = " ".join(str(name).split())
    if not name:
        raise GrymError("A label needs a name.")
    if len(name) > LABEL_CHARS:
        raise GrymError(f"A label can be at most {LABEL_CHARS} characters, not {len(name)}.")
    return name


def _voice_name(name: str) -> str:
    name = " ".join(str(name).split())
    if not name:
        raise GrymError("A voice needs a name.")
    if len(name) > LABEL_CHARS:
        raise GrymError(f"A voice's name can be at most {LABEL_CHARS} characters, not "
                        f"{len(name)}.")
    return name


def _unit(model_id: str, vector: np.ndarray) -> np.ndarray:
    """A speaker vector as a unit float64 row; VectorMismatchError for anything else."""
    if not isinstance(model_id, str) or not model_id:
        raise VectorMismatchError("A voice needs the id of the model that made its vector.")
    v = np.asarray(vector)
    if v.ndim == 2 and v.shape[0] == 1:
        v = v[0]
    if v.dtype.kind not in "fiu" or v.ndim != 1 or v.size == 0:
        raise VectorMismatchError(f"A voice of model {model_id} is one vector of numbers, not "
                                  f"an array of shape {v.shape} ({v.dtype}).")
    v = v.astype(np.float64)
    norm = float(np.linalg.norm(v)) if np.isfinite(v).all() else math.nan
    if not math.isfinite(norm) or norm == 0.0:
        raise VectorMismatchError(f"A voice vector of model {model_id} must be finite and not "
                                  "all zeros.")
    return v / norm


def _voice(row: tuple) -> Voice:
    name, model_id, dim, seconds, updated_at, blob = row
    return Voice(name, model_id, dim, seconds, updated_at, np.frombuffer(blob, "<f4").copy())


_VOICE_COLUMNS = "name, model_id, dim, seconds, updated_at, vector"


def _chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    ids = [int(i) for i in ids]
    for first in range(0, len(ids), _CHUNK):
        yield ids[first:first + _CHUNK]


def _marks(n: int) -> str:
    return ",".join("?" * n)


class FeatureStore(PrivateDatabase):
    """The feature memory; safe to share between threads (calls are serialised)."""

    NOUN = "feature store"

    def __init__(self, path: Path | None = None):
        super().__init__(path if path is not None else default_store_path())
        self.index_dir = self.path.parent / ann.INDEX_DIR
        self.switch_point = ann.SWITCH_POINT  # vectors of a model from which the index is used
        self._exact: dict[str, _Exact] = {}
        self._indexes: dict[str, ann.VectorIndex] = {}
        self._baselines: dict[str, tuple[int, float]] = {}  # model -> (generation, mean cosine)
        self._store_id = ""
        self._open_or_close()

    def _open(self) -> None:
        with self._guard("open"):
            self._connect()
            self._make_durable()
            version = self._conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise GrymError(f"The feature store at {self.path} was made by a newer version "
                                "of grym-desktop.")
            for step in range(version, SCHEMA_VERSION):
                self._conn.executescript(MIGRATIONS[step])
            self._store_id = self._conn.execute(
                "SELECT value FROM meta WHERE key = 'store_id'").fetchone()[0]

    # --- clips, windows, vectors ---------------------------------------------------------

    def add_clip(self, path: str, sha256: str, duration: float, model_id: str,
                 windows: list[FeatureWindow], vectors: np.ndarray) -> int:
        """Store a clip's windows and their vectors of one model, in one transaction; its id.

        The clip row is re-used for the same path and sha256, and so are its windows with the
        same times and kind (their labels stay); re-adding a clip for a model replaces its
        vectors of that model. Vectors must be float32, finite, one row per window, of the
        model's dimension (the first clip of a model sets it): else VectorMismatchError.
        """
        windows = list(windows)
        rows = self._checked_vectors(model_id, vectors, len(windows))
        duration = float(duration)
        if not path or not sha256 or not math.isfinite(duration) or duration < 0:
            raise GrymError("A clip needs a path, a SHA-256 and a duration of 0 s or more.")
        seen = set()
        for w in windows:
            if not (math.isfinite(w.start) and math.isfinite(w.end) and 0 <= w.start <= w.end):
                raise GrymError(f"The window {w.start}-{w.end} s of {path} is not a stretch of "
                                "time (start and end must be finite, 0 <= start <= end).")
            key = (float(w.start), float(w.end), str(w.kind))
            if key in seen:
                raise GrymError(f"The window {w.start}-{w.end} s ({w.kind}) of {path} is "
                                "listed twice.")
            seen.add(key)
        dim = rows.shape[1]
        blobs = [row.tobytes() for row in rows]
        with self._guard("save to"), self._transaction():
            known = self._conn.execute(
                "SELECT dim FROM models WHERE model_id = ?", (model_id,)).fetchone()
            if known is None:
                self._conn.execute("INSERT INTO models (model_id, dim) VALUES (?, ?)",
                                   (model_id, dim))
            elif known[0] != dim:
                raise VectorMismatchError(
                    f"The vectors have {dim} dimensions but model {model_id} stores "
                    f"{known[0]}; vectors of different models cannot be stored together.")
            row = self._conn.execute("SELECT id FROM clips WHERE path = ? AND sha256 = ?",
                                     (path, sha256)).fetchone()
            if row is None:
                clip_id = self._conn.execute(
                    "INSERT INTO clips (path, sha256, duration, added) VALUES (?, ?, ?, ?)",
                    (path, sha256, duration, _now())).lastrowid
            else:
                clip_id = row[0]
                self._conn.execute("UPDATE clips SET duration = ? WHERE id = ?",
                                   (duration, clip_id))
                self._conn.execute(
                    "DELETE FROM vectors WHERE model_id = ? AND window_id IN"
                    " (SELECT id FROM windows WHERE clip_id = ?)", (model_id, clip_id))
            window_ids = [
                self._conn.execute(
                    'INSERT INTO windows (clip_id, start, "end", kind) VALUES (?, ?, ?, ?)'
                    ' ON CONFLICT (clip_id, start, "end", kind) DO UPDATE SET kind = kind'
                    " RETURNING id",
                    (clip_id, float(w.start), float(w.end), str(w.kind))).fetchone()[0]
                for w in windows
            ]
            self._conn.executemany(
                "INSERT INTO vectors (window_id, model_id, dim, vector) VALUES (?, ?, ?, ?)",
                [(wid, model_id, dim, blob) for wid, blob in zip(window_ids, blobs, strict=True)])
            # Windows no model and no label uses any more (the clip was re-cut).
            self._conn.execute(
                "DELETE FROM windows WHERE clip_id = ?"
                " AND id NOT IN (SELECT window_id FROM vectors)"
                " AND id NOT IN (SELECT window_id FROM labels)", (clip_id,))
        return clip_id

    def _checked_vectors(self, model_id: str, vectors: np.ndarray, rows: int) -> np.ndarray:
        if not isinstance(model_id, str) or not model_id:
            raise VectorMismatchError("Vectors need the id of the model that made them.")
        if not isinstance(vectors, np.ndarray) or vectors.ndim != 2:
            shape = getattr(vectors, "shape", None) or type(vectors).__name__
            raise VectorMismatchError(f"The vectors of model {model_id} must be a 2-D array "
                                      f"(one row per window), not {shape}.")
        if vectors.dtype != np.float32:
            raise VectorMismatchError(f"The vectors of model {model_id} must be float32, not "
                                      f"{vectors.dtype}.")
        if vectors.shape[0] != rows or rows == 0 or vectors.shape[1] == 0:
            raise VectorMismatchError(
                f"Model {model_id} gave {vectors.shape[0]} vectors of {vectors.shape[1]} "
                f"dimensions for {rows} windows; each window needs one vector.")
        if not np.isfinite(vectors).all():
            raise VectorMismatchError(f"Some vectors of model {model_id} are not finite "
                                      "numbers (NaN or infinity).")
        return np.ascontiguousarray(vectors, dtype="<f4")

    def _query_vectors(self, model_id: str, vectors: np.ndarray) -> tuple[np.ndarray, int] | None:
        """Queries as unit float32 rows of the model's dimension; None for a model not stored."""
        with self._guard("read"):
            row = self._conn.execute(
                "SELECT dim FROM models WHERE model_id = ?", (model_id,)).fetchone()
        q = np.asarray(vectors)
        if q.dtype.kind not in "fiu" or q.ndim not in (1, 2) or q.size == 0:
            raise VectorMismatchError(f"A query for model {model_id} must be a vector of "
                                      f"numbers, not an array of shape {q.shape} ({q.dtype}).")
        q = np.atleast_2d(q).astype(np.float32)
        if row is not None and q.shape[1] != row[0]:
            raise VectorMismatchError(
                f"The query vector has {q.shape[1]} dimensions but model {model_id} has "
                f"{row[0]}; a vector can only be compared with vectors of its own model.")
        if not np.isfinite(q).all():
            raise VectorMismatchError(f"The query vector for model {model_id} is not finite "
                                      "(NaN or infinity).")
        return (None if row is None else (_normalised(q), row[0]))

    def clip_for(self, path: str, sha256: str) -> Clip | None:
        """The stored clip with this path and content, or None."""
        with self._guard("read"):
            row = self._conn.execute("SELECT id FROM clips WHERE path = ? AND sha256 = ?",
                                     (path, sha256)).fetchone()
        return None if row is None else self._clips("WHERE c.id = ?", (row[0],))[0]

    def clips(self) -> list[Clip]:
        """Every stored clip, oldest first, with its accepted label names."""
        return self._clips("", ())

    def _clips(self, where: str, args: tuple) -> list[Clip]:
        with self._guard("read"):
            rows = self._conn.execute(
                f"SELECT id, path, sha256, duration, added FROM clips c {where} ORDER BY id",
                args).fetchall()
            names: dict[int, list[str]] = {}
            for clip_id, name in self._conn.execute(
                    "SELECT DISTINCT w.clip_id, l.name FROM labels l"
                    " JOIN windows w ON w.id = l.window_id JOIN clips c ON c.id = w.clip_id"
                    f" {where} {'AND' if where else 'WHERE'} l.status = 'accepted'"
                    " ORDER BY l.name", args):
                names.setdefault(clip_id, []).append(name)
        return [Clip(*row, labels=names.get(row[0], [])) for row in rows]

    def delete_clip(self, clip_id: int) -> None:
        """Forget a clip with its windows, vectors and labels."""
        with self._guard("save to"):
            self._conn.execute("DELETE FROM clips WHERE id = ?", (int(clip_id),))

    def windows(self, clip_id: int, model_id: str) -> tuple[list[int], list[FeatureWindow],
                                                            np.ndarray]:
        """A clip's window ids, windows and vectors (as stored) of one model, in time order."""
        with self._guard("read"):
            dim = self.models().get(model_id, 0)
            rows = self._conn.execute(
                'SELECT w.id, w.start, w."end", w.kind, v.vector FROM windows w'
                " JOIN vectors v ON v.window_id = w.id AND v.model_id = ?"
                " WHERE w.clip_id = ? ORDER BY w.start, w.\"end\", w.id",
                (model_id, int(clip_id))).fetchall()
        matrix = np.empty((len(rows), dim), np.float32)
        for i, row in enumerate(rows):
            matrix[i] = np.frombuffer(row[4], "<f4")
        return ([r[0] for r in rows], [FeatureWindow(r[1], r[2], r[3]) for r in rows], matrix)

    def models(self) -> dict[str, int]:
        """Each stored model's id and vector dimension."""
        with self._guard("read"):
            return dict(self._conn.execute("SELECT model_id, dim FROM models ORDER BY model_id"))

    def all_vectors(self, model_id: str) -> tuple[np.ndarray, np.ndarray]:
        """(window ids (n,), vectors (n, dim) as stored) of one model, for the library's map."""
        with self._guard("read"):
            _, window_ids, _, matrix = self._load_vectors(model_id)
        return window_ids, matrix

    def _load_vectors(self, model_id: str) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                    np.ndarray]:
        """(vector ids, window ids, clip ids, matrix) of a model, read into one array."""
        row = self._conn.execute(
            "SELECT dim, count FROM models WHERE model_id = ?", (model_id,)).fetchone()
        dim, count = row if row is not None else (0, 0)
        ids = np.empty(count, np.int64)
        window_ids = np.empty(count, np.int64)
        clip_ids = np.empty(count, np.int64)
        matrix = np.empty((count, dim), np.float32)
        n = 0
        for vid, wid, cid, blob in self._conn.execute(
                "SELECT v.id, v.window_id, w.clip_id, v.vector FROM vectors v"
                " JOIN windows w ON w.id = v.window_id WHERE v.model_id = ? ORDER BY v.id",
                (model_id,)):
            ids[n], window_ids[n], clip_ids[n] = vid, wid, cid
            matrix[n] = np.frombuffer(blob, "<f4")
            n += 1
        return ids[:n], window_ids[:n], clip_ids[:n], matrix[:n]

    # --- similarity ----------------------------------------------------------------------

    def similar(self, model_id: str, vector: np.ndarray, k: int = 10,
                exclude_clip: int | None = None) -> list[Match]:
        """The k stored windows of a model most similar (cosine) to vector, best first.

        Exact while the model has fewer than switch_point vectors, else the approximate
        index. Windows of exclude_clip are left out. A vector of another dimension than the
        model's raises VectorMismatchError; a model with nothing stored has no matches.
        """
        checked = self._query_vectors(model_id, vector)
        k = int(k)
        if checked is None or k <= 0:
            return []
        q = checked[0]
        if q.shape[0] != 1:
            raise VectorMismatchError(f"similar() takes one query vector, not {q.shape[0]}.")
        with self._guard("search"):
            generation, count = self._conn.execute(
                "SELECT generation, count FROM models WHERE model_id = ?",
                (model_id,)).fetchone()
            if count >= self.switch_point:
                ids, scores = self._search_index(model_id, generation, q[0], k, exclude_clip)
            else:
                ids, scores = self._search_exact(model_id, generation, q[0], k, exclude_clip)
            return self._matches(ids, scores, exclude_clip)[:k]

    def _exact_cache(self, model_id: str, generation: int) -> _Exact:
        cached = self._exact.get(model_id)
        if cached is None or cached.generation != generation:
            self._exact.pop(model_id, None)  # let the old matrix go before reading the new
            ids, _, clip_ids, matrix = self._load_vectors(model_id)
            cached = _Exact(generation, ids, clip_ids, _normalised(matrix))
            self._exact[model_id] = cached
        return cached

    def _search_exact(self, model_id: str, generation: int, q: np.ndarray, k: int,
                      exclude_clip: int | None) -> tuple[np.ndarray, np.ndarray]:
        self._indexes.pop(model_id, None)
        cache = self._exact_cache(model_id, generation)
        scores = cache.matrix @ q
        if exclude_clip is not None:
            scores[cache.clip_ids == exclude_clip] = -np.inf
        if k < len(scores):
            top = np.argpartition(-scores, k)[:k]
        else:
            top = np.arange(len(scores))
        top = top[np.argsort(-scores[top], kind="stable")]
        top = top[np.isfinite(scores[top])]
        return cache.ids[top], scores[top]

    def _search_index(self, model_id: str, generation: int, q: np.ndarray, k: int,
                      exclude_clip: int | None) -> tuple[np.ndarray, np.ndarray]:
        self._exact.pop(model_id, None)
        index = self._current_index(model_id, generation)
        extra = 0
        if exclude_clip is not None:  # its windows may take that many of the places
            extra = self._conn.execute(
                "SELECT COUNT(*) FROM vectors v JOIN windows w ON w.id = v.window_id"
                " WHERE w.clip_id = ? AND v.model_id = ?", (exclude_clip, model_id)).fetchone()[0]
        return index.search(q, k + extra)

    def _current_index(self, model_id: str, generation: int) -> ann.VectorIndex:
        """The model's index as of generation: in memory, from its file, updated or rebuilt."""
        dim = self.models()[model_id]
        stamp = ann.Stamp(self._store_id, model_id, dim, generation)
        index = self._indexes.get(model_id)
        if index is not None and index.stamp == stamp:
            return index
        if index is None:
            index = ann.VectorIndex.load(self.index_dir, model_id, stamp)
            if index is not None and index.stamp == stamp:
                self._indexes[model_id] = index
                return index
        if index is not None:  # stale: bring it up to date when little has changed
            ids = np.array([r[0] for r in self._conn.execute(
                "SELECT id FROM vectors WHERE model_id = ? ORDER BY id", (model_id,))], np.int64)
            held = index.keys()
            gone = np.setdiff1d(held, ids, assume_unique=True)
            new = np.setdiff1d(ids, held, assume_unique=True)
            if (len(gone) + len(new) <= ann.UPDATE_SHARE * max(len(ids), 1)
                    and not index.outgrown(len(ids))):
                index.remove(gone)
                if len(new):
                    index.add(new, _normalised(self._vectors_by_id(new, dim)))
                index.stamp = stamp
            else:
                index = None
        if index is None:
            self._indexes.pop(model_id, None)
            ids, _, _, matrix = self._load_vectors(model_id)
            index = ann.VectorIndex.build(stamp, ids, _normalised(matrix))
            del matrix
        index.save(self.index_dir)
        self._indexes[model_id] = index
        return index

    def _vectors_by_id(self, ids: np.ndarray, dim: int) -> np.ndarray:
        matrix = np.empty((len(ids), dim), np.float32)
        where = {int(v): i for i, v in enumerate(ids)}
        for chunk in _chunks(ids):
            for vid, blob in self._conn.execute(
                    f"SELECT id, vector FROM vectors WHERE id IN ({_marks(len(chunk))})", chunk):
                matrix[where[vid]] = np.frombuffer(blob, "<f4")
        return matrix

    def _matches(self, vector_ids: np.ndarray, scores: np.ndarray,
                 exclude_clip: int | None) -> list[Match]:
        """Matches for vector ids in their order; rows gone or of exclude_clip are left out."""
        found: dict[int, tuple] = {}
        for chunk in _chunks(vector_ids):
            for row in self._conn.execute(
                    'SELECT v.id, w.id, w.clip_id, c.path, w.start, w."end",'
                    " (SELECT name FROM labels WHERE window_id = w.id AND status = 'accepted'"
                    "  ORDER BY decided_at DESC, id DESC LIMIT 1)"
                    " FROM vectors v JOIN windows w ON w.id = v.window_id"
                    " JOIN clips c ON c.id = w.clip_id"
                    f" WHERE v.id IN ({_marks(len(chunk))})", chunk):
                found[row[0]] = row[1:]
        out = []
        for vid, score in zip(vector_ids.tolist(), scores.tolist(), strict=True):
            row = found.get(vid)
            if row is not None and row[1] != exclude_clip:
                out.append(Match(row[0], row[1], row[2], row[3], row[4],
                                 float(min(1.0, max(-1.0, score))), row[5]))
        return out

    def window_info(self, window_ids: Sequence[int]) -> list[Match]:
        """Matches (score 0) for window ids, in their order; unknown ids are left out."""
        found: dict[int, Match] = {}
        with self._guard("read"):
            for chunk in _chunks(window_ids):
                for row in self._conn.execute(
                        'SELECT w.id, w.clip_id, c.path, w.start, w."end",'
                        " (SELECT name FROM labels WHERE window_id = w.id"
                        "  AND status = 'accepted' ORDER BY decided_at DESC, id DESC LIMIT 1)"
                        " FROM windows w JOIN clips c ON c.id = w.clip_id"
                        f" WHERE w.id IN ({_marks(len(chunk))})", chunk):
                    found[row[0]] = Match(row[0], row[1], row[2], row[3], row[4], 0.0, row[5])
        return [found[int(w)] for w in window_ids if int(w) in found]

    # --- labels and suggestions ----------------------------------------------------------

    def add_label(self, window_id: int, name: str) -> int:
        """Name a window (the user's label, accepted at once); the label's id."""
        name = _label_name(name)
        now = _now()
        with self._guard("save to"):
            try:
                return self._conn.execute(
                    "INSERT INTO labels (window_id, name, source, status, created_at, decided_by,"
                    " decided_at) VALUES (?, ?, 'user', 'accepted', ?, 'user', ?)"
                    " ON CONFLICT (window_id, name) DO UPDATE SET source = 'user',"
                    " status = 'accepted', decided_by = 'user', decided_at = excluded.decided_at"
                    " RETURNING id", (int(window_id), name, now, now)).fetchone()[0]
            except sqlite3.IntegrityError as exc:
                raise GrymError(f"Window {window_id} is not in the feature store.") from exc

    def label_span(self, clip_id: int, model_id: str, start: float, end: float,
                   name: str) -> list[int]:
        """Label every window of a clip (with vectors of model_id) overlapping start-end."""
        name = _label_name(name)
        with self._guard("save to"):
            window_ids = [r[0] for r in self._conn.execute(
                'SELECT w.id FROM windows w JOIN vectors v ON v.window_id = w.id'
                ' WHERE w.clip_id = ? AND v.model_id = ? AND w.start < ? AND w."end" > ?'
                " ORDER BY w.start", (int(clip_id), model_id, float(end), float(start)))]
            if not window_ids:
                raise GrymError(f"No window of clip {clip_id} stored for model {model_id} "
                                f"overlaps {start:g}-{end:g} s, so there is nothing to label.")
            with self._transaction():
                return [self.add_label(w, name) for w in window_ids]

    def record_suggestion(self, window_id: int, name: str, confidence: float) -> int:
        """Keep a suggested label (pending until accepted or rejected); its id.

        A name already accepted or rejected for the window keeps its decision and its id.
        """
        name = _label_name(name)
        confidence = float(confidence)
        if not (0.0 <= confidence <= 1.0):
            raise GrymError(f"A suggestion's confidence is between 0 and 1, not {confidence}.")
        with self._guard("save to"):
            try:
                return self._conn.execute(
                    "INSERT INTO labels (window_id, name, source, confidence, status, created_at)"
                    " VALUES (?, ?, 'suggested', ?, 'pending', ?)"
                    " ON CONFLICT (window_id, name) DO UPDATE SET"
                    " confidence = CASE WHEN status = 'pending' THEN excluded.confidence"
                    " ELSE confidence END RETURNING id",
                    (int(window_id), name, confidence, _now())).fetchone()[0]
            except sqlite3.IntegrityError as exc:
                raise GrymError(f"Window {window_id} is not in the feature store.") from exc

    def accept(self, label_id: int) -> None:
        """The user agrees with a label: it votes in later suggestions."""
        self._decide(label_id, "accepted")

    def reject(self, label_id: int) -> None:
        """The user disagrees: that name is never suggested for that window again."""
        self._decide(label_id, "rejected")

    def _decide(self, label_id: int, status: str) -> None:
        with self._guard("save to"):
            cur = self._conn.execute(
                "UPDATE labels SET status = ?, decided_by = 'user', decided_at = ? WHERE id = ?",
                (status, _now(), int(label_id)))
            if cur.rowcount == 0:
                raise GrymError(f"Label {label_id} is not in the feature store.")

    def labels(self, clip_id: int | None = None) -> list[Label]:
        """Every label (of one clip, or all), in clip and time order."""
        where = "" if clip_id is None else "WHERE w.clip_id = ?"
        with self._guard("read"):
            rows = self._conn.execute(
                "SELECT l.id, l.window_id, w.clip_id, l.name, l.source, l.confidence, l.status,"
                ' w.start, w."end" FROM labels l JOIN windows w ON w.id = l.window_id'
                f' {where} ORDER BY w.clip_id, w.start, w."end", l.name',
                () if clip_id is None else (int(clip_id),)).fetchall()
        return [Label(*row) for row in rows]

    def suggest(self, model_id: str, vectors: np.ndarray, k: int = 5,
                exclude_clip: int | None = None,
                window_ids: Sequence[int] | None = None) -> list[Suggestion]:
        """Labels for one clip from a k-nearest-neighbour vote over labelled sounds, best first.

        The accepted labels of model_id (exclude_clip's own left out) make exemplars: the
        windows of one clip that carry one name. Each row of vectors (one per window of the
        clip) is compared with each exemplar by its nearest window there, so a long labelled
        recording counts once, not once per window. Similarities are calibrated against how
        alike two unrelated windows of this model are (b, the mean cosine between stored
        windows): s = max(0, (cos - b) / (1 - b)). Each row's k nearest exemplars vote with s;
        for a label L with votes s_1..s_n out of all votes of weight W:

            confidence(L) = (sum s_i / W) * (sum s_i / n)

        its share of the vote times the mean calibrated similarity of its voters, both in
        [0, 1]: high only when L wins and its exemplars are much closer than chance. A
        Suggestion's windows are the rows whose nearest exemplar carries its name. Names the
        user rejected are not counted: per row when window_ids (the stored ids of the rows)
        is given, else for the whole of exclude_clip.
        """
        checked = self._query_vectors(model_id, vectors)
        if checked is None or int(k) <= 0:
            return []
        q = checked[0]
        if window_ids is not None and len(window_ids) != len(q):
            raise VectorMismatchError(f"suggest() got {len(q)} vectors but {len(window_ids)} "
                                      "window ids; each vector needs the id of its window.")
        with self._guard("read"):
            rows = self._conn.execute(
                "SELECT w.id, w.clip_id, l.name, v.vector FROM labels l"
                " JOIN windows w ON w.id = l.window_id"
                " JOIN vectors v ON v.window_id = w.id AND v.model_id = ?"
                " WHERE l.status = 'accepted' AND w.clip_id IS NOT ? ORDER BY w.id, l.name",
                (model_id, exclude_clip)).fetchall()
            rejected = self._rejections(window_ids, exclude_clip)
            baseline = self._baseline(model_id)
        if not rows:
            return []
        groups: dict[tuple[int, str], list[int]] = {}  # (clip, name) -> rows of `unique`
        unique: dict[int, int] = {}  # window id -> row of its vector
        blobs: list[bytes] = []
        for wid, cid, name, blob in rows:
            if wid not in unique:
                unique[wid] = len(blobs)
                blobs.append(blob)
            groups.setdefault((cid, name), []).append(unique[wid])
        matrix = _normalised(np.frombuffer(b"".join(blobs), "<f4").reshape(len(blobs), -1))
        window_of = np.array(list(unique), np.int64)
        cosines = q @ matrix.T  # (rows, labelled windows)
        exemplars = list(groups)
        nearest = np.stack([cosines[:, members].max(axis=1) for members in groups.values()],
                           axis=1)  # (rows, exemplars)
        nearest_window = [np.array(members)[cosines[:, members].argmax(axis=1)]
                          for members in groups.values()]
        calibrated = np.maximum(0.0, (nearest - baseline) / max(1e-6, 1.0 - baseline))
        k = min(int(k), len(exemplars))
        weight: dict[str, float] = {}
        votes: dict[str, int] = {}
        voters: dict[str, list[int]] = {}
        best: dict[str, dict[int, float]] = {}
        for i in range(len(q)):
            banned = rejected.get(window_ids[i] if window_ids is not None else None, set())
            banned = banned | rejected.get(None, set())
            order = np.argsort(-calibrated[i], kind="stable")
            allowed = [j for j in order if exemplars[j][1] not in banned][:k]
            for rank, j in enumerate(allowed):
                name, score = exemplars[j][1], float(calibrated[i, j])
                if rank == 0 and score > 0:
                    voters.setdefault(name, []).append(i)
                weight[name] = weight.get(name, 0.0) + score
                votes[name] = votes.get(name, 0) + 1
                near = best.setdefault(name, {})
                wid = int(window_of[nearest_window[j][i]])
                near[wid] = max(near.get(wid, -1.0), float(nearest[i, j]))
        total = sum(weight.values())
        if total <= 0:
            return []
        suggestions = []
        for name, w in weight.items():
            if w <= 0:
                continue
            confidence = min(1.0, (w / total) * (w / votes[name]))
            closest = sorted(best[name].items(), key=lambda item: -item[1])[:int(k)]
            info = {m.window_id: m for m in self.window_info([wid for wid, _ in closest])}
            neighbours = [Match(m.window_id, m.clip_id, m.path, m.start, m.end,
                                min(1.0, score), name)
                          for wid, score in closest if (m := info.get(wid)) is not None]
            suggestions.append(Suggestion(name, confidence, votes[name], neighbours,
                                          voters.get(name, [])))
        suggestions.sort(key=lambda s: (-s.confidence, s.label))
        return suggestions

    def _baseline(self, model_id: str) -> float:
        """The mean cosine between stored windows of a model (|mean of unit vectors|^2, from
        an even sample of at most BASELINE_SAMPLE), cached per store generation."""
        generation, count = self._conn.execute(
            "SELECT generation, count FROM models WHERE model_id = ?", (model_id,)).fetchone()
        cached = self._baselines.get(model_id)
        if cached is not None and cached[0] == generation:
            return cached[1]
        step = max(1, count // BASELINE_SAMPLE)
        blobs = [b for (b,) in self._conn.execute(
            "SELECT vector FROM vectors WHERE model_id = ? AND id % ? = 0", (model_id, step))]
        if len(blobs) < 2:
            value = 0.0
        else:
            unit = _normalised(np.frombuffer(b"".join(blobs), "<f4").reshape(len(blobs), -1))
            mean = unit.mean(axis=0)
            value = float(np.clip(mean @ mean, 0.0, 0.99))
        self._baselines[model_id] = (generation, value)
        return value

    def _rejections(self, window_ids: Sequence[int] | None,
                    exclude_clip: int | None) -> dict[int | None, set[str]]:
        """Rejected names by window id (None: for the whole clip being suggested for)."""
        out: dict[int | None, set[str]] = {}
        if window_ids is not None:
            for chunk in _chunks(window_ids):
                for wid, name in self._conn.execute(
                        "SELECT window_id, name FROM labels WHERE status = 'rejected'"
                        f" AND window_id IN ({_marks(len(chunk))})", chunk):
                    out.setdefault(wid, set()).add(name)
        elif exclude_clip is not None:
            out[None] = {name for (name,) in self._conn.execute(
                "SELECT l.name FROM labels l JOIN windows w ON w.id = l.window_id"
                " WHERE w.clip_id = ? AND l.status = 'rejected'", (exclude_clip,))}
        return out

    # --- the voice library ----------------------------------------------------------------

    @contextmanager
    def _erasing(self) -> Iterator[None]:
        """Overwrite what is deleted or replaced (an old voiceprint) instead of leaving it in
        the file's free space, and fold the write-ahead log back afterwards (best effort:
        a reader holding an old snapshot keeps its frames until it is done)."""
        self._conn.execute("PRAGMA secure_delete = ON")
        try:
            yield
        finally:
            self._conn.execute("PRAGMA secure_delete = OFF")
        self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _voice_dim(self, model_id: str) -> int | None:
        """The dimension of model_id's vectors as the store knows it (voices or windows)."""
        row = self._conn.execute("SELECT dim FROM voices WHERE model_id = ? LIMIT 1",
                                 (model_id,)).fetchone()
        if row is None:
            row = self._conn.execute("SELECT dim FROM models WHERE model_id = ?",
                                     (model_id,)).fetchone()
        return None if row is None else row[0]

    def save_voice(self, name: str, model_id: str, vector: np.ndarray, seconds: float) -> Voice:
        """Name a voice from a speaker's voiceprint taken from `seconds` of speech; the voice.

        An existing voice of that name and model is strengthened: its print becomes the
        seconds-weighted mean of the two (unit vectors), renormalised, and the seconds add up.
        A vector whose dimension differs from the model's raises VectorMismatchError.
        """
        name = _voice_name(name)
        unit = _unit(model_id, vector)
        seconds = float(seconds)
        if not math.isfinite(seconds) or seconds <= 0:
            raise GrymError(f"A voiceprint comes from some speech: {seconds:g} s is not a "
                            "length of time to learn a voice from.")
        with self._guard("save to"), self._erasing(), self._transaction():
            dim = self._voice_dim(model_id)
            if dim is not None and dim != unit.size:
                raise VectorMismatchError(
                    f"The voice vector has {unit.size} dimensions but model {model_id} has "
                    f"{dim}; a voice can only be compared with vectors of its own model.")
            row = self._conn.execute(
                "SELECT vector, seconds FROM voices WHERE name = ? AND model_id = ?",
                (name, model_id)).fetchone()
            if row is not None:
                old = np.frombuffer(row[0], "<f4").astype(np.float64)
                unit = _unit(model_id, old * row[1] + unit * seconds)
                seconds += row[1]
            blob = unit.astype("<f4").tobytes()
            self._conn.execute(
                "INSERT INTO voices (name, model_id, dim, vector, seconds, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name, model_id) DO UPDATE SET"
                " vector = excluded.vector, seconds = excluded.seconds,"
                " updated_at = excluded.updated_at",
                (name, model_id, unit.size, blob, seconds, _now()))
            return _voice(self._conn.execute(
                f"SELECT {_VOICE_COLUMNS} FROM voices WHERE name = ? AND model_id = ?",
                (name, model_id)).fetchone())

    def voices(self, model_id: str | None = None) -> list[Voice]:
        """The named voices (of one speaker model, or of all), by name."""
        where = "" if model_id is None else "WHERE model_id = ?"
        with self._guard("read"):
            rows = self._conn.execute(
                f"SELECT {_VOICE_COLUMNS} FROM voices {where} ORDER BY name, model_id",
                () if model_id is None else (model_id,)).fetchall()
        return [_voice(row) for row in rows]

    def rename_voice(self, old: str, new: str) -> None:
        """Call voice old new (its prints of every model); new must not be taken."""
        new = _voice_name(new)
        with self._guard("save to"), self._transaction():
            if not self._conn.execute("SELECT 1 FROM voices WHERE name = ?", (old,)).fetchone():
                raise GrymError(f"There is no voice called ‘{old}’ in the voice library.")
            if new == old:
                return
            if self._conn.execute("SELECT 1 FROM voices WHERE name = ?", (new,)).fetchone():
                raise GrymError(f"A voice called ‘{new}’ is already in the voice library; "
                                "delete one of them or choose another name.")
            self._conn.execute("UPDATE voices SET name = ?, updated_at = ? WHERE name = ?",
                               (new, _now(), old))

    def delete_voice(self, name: str) -> None:
        """Forget a voice: its prints of every model, and the voiceprints of the transcripts'
        speakers of that name, are erased from the file."""
        with self._guard("save to"), self._erasing():
            if self._conn.execute("DELETE FROM voices WHERE name = ?", (name,)).rowcount == 0:
                raise GrymError(f"There is no voice called ‘{name}’ in the voice library.")
            self._conn.execute("DELETE FROM speaker_prints WHERE speaker = ?", (name,))

    def match_voice(self, model_id: str, vector: np.ndarray,
                    threshold: float) -> tuple[Voice, float] | None:
        """The named voice of model_id closest to vector (cosine) when it is at least
        threshold, with that cosine; None when no voice is that close."""
        q = _unit(model_id, vector)
        with self._guard("read"):
            dim = self._voice_dim(model_id)
            if dim is not None and dim != q.size:
                raise VectorMismatchError(
                    f"The query vector has {q.size} dimensions but model {model_id} has "
                    f"{dim}; a voice can only be compared with vectors of its own model.")
            found = self.voices(model_id)
        if not found:
            return None
        scores = np.stack([v.vector for v in found]).astype(np.float64) @ q
        best = int(np.argmax(scores))
        score = float(min(1.0, max(-1.0, scores[best])))
        return (found[best], score) if score >= float(threshold) else None

    def save_speaker_prints(self, transcript_id: int, model_id: str, names: list[str],
                            vectors: np.ndarray, seconds: list[float]) -> None:
        """Keep a transcript's speakers' voiceprints (replacing any it had)."""
        rows = [(int(transcript_id), str(name), model_id, _unit(model_id, v).size,
                 _unit(model_id, v).astype("<f4").tobytes(), max(0.0, float(t)))
                for name, v, t in zip(names, vectors, seconds, strict=True)]
        with self._guard("save to"), self._transaction():
            self._conn.execute("DELETE FROM speaker_prints WHERE transcript_id = ?",
                               (int(transcript_id),))
            self._conn.executemany(
                "INSERT INTO speaker_prints (transcript_id, speaker, model_id, dim, vector,"
                " seconds) VALUES (?, ?, ?, ?, ?, ?)", rows)

    def speaker_print(self, transcript_id: int,
                      speaker: str) -> tuple[str, np.ndarray, float] | None:
        """(model id, unit vector, seconds) of a transcript's speaker, if it was kept."""
        with self._guard("read"):
            row = self._conn.execute(
                "SELECT model_id, vector, seconds FROM speaker_prints"
                " WHERE transcript_id = ? AND speaker = ?", (int(transcript_id), speaker)
            ).fetchone()
        if row is None:
            return None
        return row[0], np.frombuffer(row[1], "<f4").copy(), float(row[2])

    def rename_speaker_print(self, transcript_id: int, old: str, new: str) -> None:
        """Follow a speaker's rename in a transcript; onto an existing name the two prints
        merge (seconds-weighted mean), as the speakers did."""
        with self._guard("save to"), self._transaction():
            rows = {r[0]: r[1:] for r in self._conn.execute(
                "SELECT speaker, model_id, vector, seconds FROM speaker_prints"
                " WHERE transcript_id = ? AND speaker IN (?, ?)", (int(transcript_id), old, new))}
            if old not in rows or old == new:
                return
            model_id, blob, seconds = rows[old]
            vector = np.frombuffer(blob, "<f4").astype(np.float64)
            if new in rows:
                _, other, other_seconds = rows[new]
                vector = vector * seconds + np.frombuffer(other, "<f4") * other_seconds
                seconds += other_seconds
            unit = _unit(model_id, vector)
            self._conn.execute("DELETE FROM speaker_prints WHERE transcript_id = ? AND"
                               " speaker IN (?, ?)", (int(transcript_id), old, new))
            self._conn.execute(
                "INSERT INTO speaker_prints (transcript_id, speaker, model_id, dim, vector,"
                " seconds) VALUES (?, ?, ?, ?, ?, ?)",
                (int(transcript_id), new, model_id, unit.size, unit.astype("<f4").tobytes(),
                 seconds))

    def close(self) -> None:
        """Close the database and drop the search caches built from it."""
        super().close()
        with self._lock:
            self._exact.clear()
            self._indexes.clear()
