"""The user's transcript library: one SQLite file, written segment by segment.

Every segment is committed as it arrives, so a killed app loses at most the segment
being decoded; rows a killed app left "running" become "incomplete" at the next start.
"""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from pathlib import Path

import psutil

from grym_desktop.errors import GrymError
from grym_desktop.paths import data_dir
from grym_desktop.transcript import Fallback, Metrics, Segment, Transcript

SCHEMA_VERSION = 3
STATUSES = ("running", "complete", "incomplete", "failed", "cancelled")
PREVIEW_CHARS = 80
TITLE_CHARS = 200  # the longest name a person may give a transcript

_SCHEMA = f"""
BEGIN IMMEDIATE;
CREATE TABLE IF NOT EXISTS transcripts (
    id INTEGER PRIMARY KEY,
    file TEXT NOT NULL,
    model TEXT NOT NULL,
    engine TEXT NOT NULL,
    precision TEXT NOT NULL,
    language TEXT,
    duration REAL NOT NULL,
    created_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN {STATUSES!r}),
    error TEXT,
    fallback TEXT,
    metrics TEXT,
    owner_pid INTEGER,  -- the process writing a "running" transcript, and when it started
    owner_started REAL,
    title TEXT,  -- the name the user gave it; NULL: its file's name
    starred INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS segments (
    transcript_id INTEGER NOT NULL REFERENCES transcripts(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    start REAL NOT NULL,
    "end" REAL NOT NULL,
    text TEXT NOT NULL,
    words TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (transcript_id, idx)
);
CREATE INDEX IF NOT EXISTS transcripts_status ON transcripts(status);
PRAGMA user_version = {SCHEMA_VERSION};
COMMIT;
"""
# Each step takes a library one version up: MIGRATIONS[v] turns version v into v + 1.
MIGRATIONS = {
    # The owner of each running transcript.
    1: """
BEGIN;
ALTER TABLE transcripts ADD COLUMN owner_pid INTEGER;
ALTER TABLE transcripts ADD COLUMN owner_started REAL;
PRAGMA user_version = 2;
COMMIT;
""",
    # A name the user gives a transcript, and a star.
    2: """
BEGIN;
ALTER TABLE transcripts ADD COLUMN title TEXT;
ALTER TABLE transcripts ADD COLUMN starred INTEGER NOT NULL DEFAULT 0;
PRAGMA user_version = 3;
COMMIT;
""",
}

_REASONS = (
    ("full", "disk is full"),
    ("readonly", "the file is read-only"),
    ("read-only", "the file is read-only"),
    ("unable to open", "the file cannot be opened"),
    ("locked", "another program is using it"),
    ("not a database", "the file is not a library database"),
    ("malformed", "the file is damaged"),
    ("disk i/o", "the disk reported an error"),
)


def default_library_path() -> Path:
    """Where the library lives: $GRYM_DATA_DIR when set, else the platform's user data dir."""
    return data_dir() / "library.sqlite3"


@dataclass
class TranscriptSummary:
    """One row of the library list, without the segments."""

    id: int
    file: str
    model: str
    engine: str
    precision: str
    created_at: str
    duration: float
    status: str
    error: str | None
    segment_count: int
    preview: str
    title: str | None = None  # the name the user gave it, if any
    starred: bool = False

    @property
    def name(self) -> str:
        """What the list calls it: the user's name for it, else its file's name."""
        return self.title or Path(self.file).name


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        if exc.errno == errno.ENOSPC:
            return "disk is full"
        if exc.errno in (errno.EEXIST, errno.ENOTDIR):
            return "part of its folder path is a file"
        return (exc.strerror or str(exc)).lower()
    text = str(exc).lower()
    for needle, reason in _REASONS:
        if needle in text:
            return reason
    return text.rstrip(".")


def _this_process() -> tuple[int, float]:
    """(pid, start time): a pid alone may be reused by another process later."""
    return os.getpid(), psutil.Process().create_time()


def _still_running(pid: int | None, started: float | None) -> bool:
    if pid is None or started is None:
        return False
    try:
        return abs(psutil.Process(pid).create_time() - started) < 0.01
    except psutil.Error:
        return False


def _preview(texts: list[str]) -> str:
    text = " ".join(t.strip() for t in texts if t.strip())
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1].rstrip() + "…"


class Library:
    """The transcript store; safe to share between threads (calls are serialised)."""

    def __init__(self, path: Path | None = None):
        self.path = Path(path) if path is not None else default_library_path()
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.RLock()
        try:
            self._open()
        except GrymError:
            self.close()
            raise

    def _open(self) -> None:
        with self._guard("open"):
            # Transcripts are private: the folder and the database are the user's alone
            # (SQLite gives its -wal and -shm files the database's mode).
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
            os.chmod(self.path, 0o600)
            # Autocommit: each statement outside an explicit BEGIN is its own durable transaction.
            self._conn = sqlite3.connect(
                self.path, isolation_level=None, timeout=5.0, check_same_thread=False
            )
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = FULL")
            version = self._conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise GrymError(
                    f"The library at {self.path} was made by a newer version of grym-desktop."
                )
            if version == 0:
                self._conn.executescript(_SCHEMA)
                version = SCHEMA_VERSION
            for step in range(version, SCHEMA_VERSION):
                self._conn.executescript(MIGRATIONS[step])

    @contextmanager
    def _guard(self, action: str) -> Iterator[None]:
        """Turn database and disk failures into one sentence naming the library file."""
        try:
            with self._lock:
                if self._conn is None and action != "open":
                    raise GrymError(f"Could not {action} the library at {self.path}: it was "
                                    "closed (the app is shutting down).")
                yield
        except GrymError:
            raise
        except (sqlite3.Error, OSError) as exc:
            if self._conn is not None and self._conn.in_transaction:
                try:
                    self._conn.rollback()
                except sqlite3.Error:
                    pass
            raise GrymError(
                f"Could not {action} the library at {self.path}: {self._explain(exc)}."
            ) from exc

    def _explain(self, exc: BaseException) -> str:
        reason = _reason(exc)
        if reason in ("the file cannot be opened", "the file is read-only",
                      "read-only file system", "permission denied"):
            # SQLite needs to write its -wal and -shm files next to the database.
            if not os.access(self.path.parent, os.W_OK):
                return "its folder is read-only"
            if os.path.exists(self.path) and not os.access(self.path, os.W_OK):
                return "the file is read-only"
        return reason

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._conn.rollback()
            raise
        self._conn.commit()

    def begin_transcript(
        self, file: str, model: str, engine: str, precision: str, duration: float
    ) -> int:
        """Start a "running" transcript and return its id."""
        created = datetime.now().astimezone().isoformat(timespec="seconds")
        with self._guard("save to"):
            cur = self._conn.execute(
                "INSERT INTO transcripts (file, model, engine, precision, duration, created_at,"
                " status, owner_pid, owner_started) VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?)",
                (file, model, engine, precision, float(duration), created, *_this_process()),
            )
            return cur.lastrowid

    def add_segment(self, transcript_id: int, segment: Segment) -> None:
        """Append one segment; it is on disk when this returns."""
        words = json.dumps([asdict(w) for w in segment.words], ensure_ascii=False)
        with self._guard("save to"):
            try:
                self._conn.execute(
                    'INSERT INTO segments (transcript_id, idx, start, "end", text, words)'
                    " SELECT ?, COALESCE(MAX(idx) + 1, 0), ?, ?, ?, ? FROM segments"
                    " WHERE transcript_id = ?",
                    (transcript_id, segment.start, segment.end, segment.text, words, transcript_id),
                )
            except sqlite3.IntegrityError as exc:
                raise GrymError(f"Transcript {transcript_id} is not in the library.") from exc

    def finish_transcript(self, transcript_id: int, transcript: Transcript) -> None:
        """Mark a transcript done with its language, fallback and metrics; "incomplete" with
        its first warning when not every sample of the file was decoded (a file cut short).

        When the final transcript has segments they replace the streamed ones, so the
        library holds exactly the result; an empty final list keeps what was streamed.
        """
        fallback = json.dumps(transcript.fallback.to_dict()) if transcript.fallback else None
        with self._guard("save to"), self._transaction():
            cur = self._conn.execute(
                "UPDATE transcripts SET status = ?, error = ?, language = ?,"
                " duration = ?, fallback = ?, metrics = ? WHERE id = ?",
                (
                    "complete" if transcript.complete else "incomplete",
                    transcript.warnings[0] if transcript.warnings else None,
                    transcript.language,
                    float(transcript.duration),
                    fallback,
                    json.dumps(asdict(transcript.metrics)),
                    transcript_id,
                ),
            )
            if cur.rowcount == 0:
                raise GrymError(f"Transcript {transcript_id} is not in the library.")
            if transcript.segments:
                self._conn.execute("DELETE FROM segments WHERE transcript_id = ?", (transcript_id,))
                self._conn.executemany(
                    'INSERT INTO segments (transcript_id, idx, start, "end", text, words)'
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    [
                        (
                            transcript_id,
                            i,
                            s.start,
                            s.end,
                            s.text,
                            json.dumps([asdict(w) for w in s.words], ensure_ascii=False),
                        )
                        for i, s in enumerate(transcript.segments)
                    ],
                )

    def fail_transcript(self, transcript_id: int, message: str, status: str = "failed") -> None:
        """Record why a transcript stopped ("failed" or "cancelled"); its segments stay."""
        if status not in ("failed", "cancelled"):
            raise ValueError(f"status must be 'failed' or 'cancelled', not {status!r}")
        with self._guard("save to"):
            self._conn.execute(
                "UPDATE transcripts SET status = ?, error = ? WHERE id = ?",
                (status, message, transcript_id),
            )

    def recover_interrupted(self) -> int:
        """Mark transcripts a killed app left "running" as "incomplete"; return how many.

        A transcript another running process is still writing is left alone.
        """
        with self._guard("save to"):
            running = self._conn.execute(
                "SELECT id, owner_pid, owner_started FROM transcripts WHERE status = 'running'"
            ).fetchall()
            gone = [(tid,) for tid, pid, started in running if not _still_running(pid, started)]
            self._conn.executemany(
                "UPDATE transcripts SET status = 'incomplete',"
                " error = 'The app stopped before this transcript finished.'"
                " WHERE id = ? AND status = 'running'", gone,
            )
            return len(gone)

    def list_transcripts(self, limit: int = 200) -> list[TranscriptSummary]:
        """The newest transcripts first, with segment counts and a short preview."""
        with self._guard("read"):
            rows = self._conn.execute(
                "SELECT id, file, model, engine, precision, created_at, duration, status, error,"
                " (SELECT COUNT(*) FROM segments s WHERE s.transcript_id = t.id), title, starred"
                " FROM transcripts t ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
            texts: dict[int, list[str]] = {}
            for tid, text in self._conn.execute(
                "SELECT transcript_id, text FROM segments WHERE idx < 10 AND transcript_id IN"
                " (SELECT id FROM transcripts ORDER BY id DESC LIMIT ?)"
                " ORDER BY transcript_id, idx",
                (limit,),
            ):
                texts.setdefault(tid, []).append(text)
        return [
            TranscriptSummary(
                *row[:9], segment_count=row[9], preview=_preview(texts.get(row[0], [])),
                title=row[10], starred=bool(row[11]),
            )
            for row in rows
        ]

    def load_transcript(self, transcript_id: int) -> Transcript:
        """One transcript with its segments and words in order."""
        with self._guard("read"):
            row = self._conn.execute(
                "SELECT file, model, engine, precision, language, duration, status, fallback,"
                " metrics, error FROM transcripts WHERE id = ?",
                (transcript_id,),
            ).fetchone()
            if row is None:
                raise GrymError(f"Transcript {transcript_id} is not in the library.")
            segments = [
                Segment.from_dict({"start": s, "end": e, "text": t, "words": json.loads(w)})
                for s, e, t, w in self._conn.execute(
                    'SELECT start, "end", text, words FROM segments WHERE transcript_id = ?'
                    " ORDER BY idx",
                    (transcript_id,),
                )
            ]
        file, model, engine, precision, language, duration, status, fallback, metrics, error = row
        fb = json.loads(fallback) if fallback else None
        known = {f.name for f in fields(Metrics)}
        return Transcript(
            file=file,
            model=model,
            engine=engine,
            precision=precision,
            language=language,
            duration=duration,
            segments=segments,
            fallback=Fallback(fb["from"], fb["to"], fb["reason"]) if fb else None,
            metrics=Metrics(**{k: v for k, v in json.loads(metrics or "{}").items() if k in known}),
            complete=status == "complete",
            warnings=[error] if error and status == "incomplete" else [],
        )

    def rename_transcript(self, transcript_id: int, title: str) -> None:
        """Give a transcript a name of its own; an empty name gives it back its file's name."""
        title = " ".join(title.split())  # one line: no tabs or line breaks
        if len(title) > TITLE_CHARS:
            raise GrymError(f"A transcript's name can be at most {TITLE_CHARS} characters, "
                            f"not {len(title)}.")
        self._update(transcript_id, "title", title or None)

    def star_transcript(self, transcript_id: int, starred: bool = True) -> None:
        """Star a transcript (or take its star away)."""
        self._update(transcript_id, "starred", int(bool(starred)))

    def _update(self, transcript_id: int, column: str, value: object) -> None:
        with self._guard("save to"):
            cur = self._conn.execute(
                f"UPDATE transcripts SET {column} = ? WHERE id = ?", (value, transcript_id))
            if cur.rowcount == 0:
                raise GrymError(f"Transcript {transcript_id} is not in the library.")

    def delete_transcript(self, transcript_id: int) -> None:
        """Remove a transcript and its segments."""
        with self._guard("save to"):
            self._conn.execute("DELETE FROM transcripts WHERE id = ?", (transcript_id,))

    @property
    def closed(self) -> bool:
        return self._conn is None

    def close(self) -> None:
        """Close the database once no other thread is using it; later calls raise GrymError."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
