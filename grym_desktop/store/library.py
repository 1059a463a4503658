"""The user's transcript library: one SQLite file, written segment by segment.

Every segment is committed as it arrives, so a killed app loses at most the segment
being decoded; rows a killed app left "running" become "incomplete" at the next start.
Edits keep the model's original segments, unsaved edits live on as drafts, and every
segment is in a full-text (FTS5) index. Segments and words may carry who spoke them, and a
transcript its speaker list (schema version 5). Model comparisons keep each model's result
per file as it finishes, so a stopped comparison resumes (schema version 6). Answers of an
audio-language model about a recording are kept beside its transcript and searchable
(schema version 7).
"""

from __future__ import annotations

import gc
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timezone
from pathlib import Path

import psutil

from grym_desktop.database import PrivateDatabase
from grym_desktop.errors import GrymError, SearchQueryError
from grym_desktop.paths import data_dir
from grym_desktop.transcript import (
    Fallback,
    Metrics,
    Segment,
    SpeakerInfo,
    Transcript,
    Word,
    renamed_segments,
    renamed_speakers,
    speaker_name,
)

SCHEMA_VERSION = 7
_BASE_VERSION = 4  # what _SCHEMA makes; MIGRATIONS take a new library on from there
STATUSES = ("running", "complete", "incomplete", "failed", "cancelled")
COMPARISON_STATUSES = ("running", "complete", "stopped")
PREVIEW_CHARS = 80
# bm25 has to score every match (about 1.5 us each: FTS5 has no top-k shortcut), so a query
# matching more segments than this ranks its newest this many; fewer are all ranked.
RANKED_MATCHES = 10_000
TITLE_CHARS = 200  # the longest name a person may give a transcript

# Segments have an explicit id: it is the full-text index's rowid, and VACUUM keeps it (it may
# renumber the implicit rowid of a table without one). These are the version 4 columns: a new
# library is made at version 4 and migrated like an old one, so the two cannot differ.
_SEGMENTS_COLUMNS = """
    id INTEGER PRIMARY KEY,
    transcript_id INTEGER NOT NULL REFERENCES transcripts(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    start REAL NOT NULL,
    "end" REAL NOT NULL,
    text TEXT NOT NULL,
    words TEXT NOT NULL DEFAULT '[]',
    UNIQUE (transcript_id, idx)
"""
# Version 4: the model's original segments of an edited transcript, unsaved edits (drafts),
# and an external-content FTS5 index over segments.text kept in step by triggers (which also
# fire for the rows ON DELETE CASCADE removes). Its prefix indexes make `bu*` and `bud*` as
# quick as a word (without them a million segments took 100 ms for two letters).
_EDITS_AND_SEARCH = """
CREATE TABLE IF NOT EXISTS original_segments (
    transcript_id INTEGER NOT NULL REFERENCES transcripts(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    start REAL NOT NULL,
    "end" REAL NOT NULL,
    text TEXT NOT NULL,
    words TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (transcript_id, idx)
);
CREATE TABLE IF NOT EXISTS drafts (
    transcript_id INTEGER PRIMARY KEY REFERENCES transcripts(id) ON DELETE CASCADE,
    segments TEXT NOT NULL,
    saved_at TEXT NOT NULL
);
CREATE VIRTUAL TABLE IF NOT EXISTS segments_fts USING fts5(
    text, content='segments', content_rowid='id', tokenize='unicode61 remove_diacritics 2',
    prefix='2 3'
);
CREATE TRIGGER IF NOT EXISTS segments_fts_insert AFTER INSERT ON segments BEGIN
    INSERT INTO segments_fts (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER IF NOT EXISTS segments_fts_delete AFTER DELETE ON segments BEGIN
    INSERT INTO segments_fts (segments_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER IF NOT EXISTS segments_fts_update AFTER UPDATE OF id, text ON segments BEGIN
    INSERT INTO segments_fts (segments_fts, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO segments_fts (rowid, text) VALUES (new.id, new.text);
END;
"""
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
    starred INTEGER NOT NULL DEFAULT 0,
    edited INTEGER NOT NULL DEFAULT 0,  -- 1: its segments are the user's, the model's are kept
    edited_at TEXT
);
CREATE TABLE IF NOT EXISTS segments ({_SEGMENTS_COLUMNS});
CREATE INDEX IF NOT EXISTS transcripts_status ON transcripts(status);
{_EDITS_AND_SEARCH}
PRAGMA user_version = {_BASE_VERSION};
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
    # Edits (originals, drafts) and full-text search; segments gain an explicit id (their
    # old rowid), and the index is built from the segments already there.
    3: f"""
BEGIN;
CREATE TABLE segments_v4 ({_SEGMENTS_COLUMNS});
INSERT INTO segments_v4 (id, transcript_id, idx, start, "end", text, words)
    SELECT rowid, transcript_id, idx, start, "end", text, words FROM segments ORDER BY rowid;
DROP TABLE segments;
ALTER TABLE segments_v4 RENAME TO segments;
ALTER TABLE transcripts ADD COLUMN edited INTEGER NOT NULL DEFAULT 0;
ALTER TABLE transcripts ADD COLUMN edited_at TEXT;
{_EDITS_AND_SEARCH}
INSERT INTO segments_fts (segments_fts) VALUES ('rebuild');
PRAGMA user_version = 4;
COMMIT;
""",
    # Speakers: who said each segment (its words carry theirs in their JSON), and the
    # transcript's speaker list as JSON ([{name, seconds, voice, confidence}], NULL: none).
    # Adding columns leaves the full-text index and its triggers as they are.
    4: """
BEGIN;
ALTER TABLE segments ADD COLUMN speaker TEXT;
ALTER TABLE original_segments ADD COLUMN speaker TEXT;
ALTER TABLE transcripts ADD COLUMN speakers TEXT;
PRAGMA user_version = 5;
COMMIT;
""",
    # Model comparisons (orchestrator/compare.py): models A and B (labels such as
    # "whisper-tiny.en:int8"), the files and references as JSON, and one row per model and
    # file with its result as JSON (the transcript it made, if any, is a row of transcripts).
    5: f"""
BEGIN;
CREATE TABLE comparisons (
    id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    model_a TEXT NOT NULL,
    model_b TEXT NOT NULL,
    files TEXT NOT NULL,
    refs TEXT NOT NULL,
    normalisation TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN {COMPARISON_STATUSES!r})
);
CREATE TABLE comparison_runs (
    comparison_id INTEGER NOT NULL REFERENCES comparisons(id) ON DELETE CASCADE,
    side TEXT NOT NULL CHECK (side IN ('a', 'b')),
    file_index INTEGER NOT NULL,
    result TEXT NOT NULL,
    PRIMARY KEY (comparison_id, side, file_index)
);
PRAGMA user_version = 6;
COMMIT;
""",
    # Answers an audio-language model gave about a recording (orchestrator/ask.py), beside its
    # transcript when there is one, with their own full-text index.
    6: """
BEGIN;
CREATE TABLE answers (
    id INTEGER PRIMARY KEY,
    transcript_id INTEGER REFERENCES transcripts(id) ON DELETE SET NULL,
    file TEXT NOT NULL,
    created_at TEXT NOT NULL,
    model TEXT NOT NULL,
    precision TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    details TEXT NOT NULL
);
CREATE INDEX answers_file ON answers(file);
CREATE VIRTUAL TABLE answers_fts USING fts5(
    question, answer, content='answers', content_rowid='id',
    tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER answers_fts_insert AFTER INSERT ON answers BEGIN
    INSERT INTO answers_fts (rowid, question, answer)
        VALUES (new.id, new.question, new.answer);
END;
CREATE TRIGGER answers_fts_delete AFTER DELETE ON answers BEGIN
    INSERT INTO answers_fts (answers_fts, rowid, question, answer)
        VALUES ('delete', old.id, old.question, old.answer);
END;
PRAGMA user_version = 7;
COMMIT;
""",
}


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
    edited: bool = False  # a person changed the model's text

    @property
    def name(self) -> str:
        """What the list calls it: the user's name for it, else its file's name."""
        return _name(self.title, self.file)


@dataclass
class SearchHit:
    """One segment that matches a search, with its matches wrapped in « and »."""

    transcript_id: int
    file: str
    name: str  # the transcript's title, else its file's name
    segment_index: int
    start: float
    end: float
    snippet: str
    rank: float  # bm25: lower is a better match


def _name(title: str | None, file: str) -> str:
    return title or Path(file).name


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


def _words_json(words: list[Word]) -> str:
    return json.dumps([w.to_dict() for w in words], ensure_ascii=False)


def _segment_rows(transcript_id: int, segments: list[Segment]) -> list[tuple]:
    """(transcript_id, idx, start, end, text, words as JSON, speaker) rows, numbered from 0."""
    return [(transcript_id, i, s.start, s.end, s.text, _words_json(s.words), s.speaker)
            for i, s in enumerate(segments)]


_INSERT_SEGMENTS = ('INSERT INTO segments (transcript_id, idx, start, "end", text, words, speaker)'
                    " VALUES (?, ?, ?, ?, ?, ?, ?)")


def _speakers_json(speakers: list[SpeakerInfo]) -> str | None:
    return json.dumps([asdict(s) for s in speakers], ensure_ascii=False) if speakers else None


def _speakers(data: str | None) -> list[SpeakerInfo]:
    return [SpeakerInfo.from_dict(d) for d in json.loads(data)] if data else []


def _renamed_words(words: str, old: str, new: str) -> str | None:
    """Words JSON with speaker old called new, or None when none of them is old's."""
    if not any(json.dumps(old, ensure_ascii=a)[1:-1] in words for a in (False, True)):
        return None  # most rows: no need to read them
    items = json.loads(words)
    hits = [d for d in items if d.get("speaker") == old]
    for d in hits:
        d["speaker"] = new
    return json.dumps(items, ensure_ascii=False) if hits else None


# Characters and words that make a query FTS5 syntax; anything else is searched as plain words
# (so `10:30` and `C++` are words, not a column filter and a phrase join).
_SYNTAX_CHARS = frozenset('"*()^{}')
_SYNTAX_WORDS = frozenset(("AND", "OR", "NOT"))


def fts_query(query: str) -> str:
    """The FTS5 expression for what a person typed.

    Plain words (`budget meeting`, `don't`, `e-mail`) become quoted terms that must all occur;
    a query using FTS5 syntax (quotes, `budg*`, AND/OR/NOT, NEAR(), brackets) is used as it is.
    """
    words = query.split()
    if any(c in _SYNTAX_CHARS for c in query) or any(w in _SYNTAX_WORDS for w in words):
        return query
    return " ".join('"' + w.replace('"', '""') + '"' for w in words)


_QUERY_ERRORS = ("fts5:", "unterminated string", "no such column", "unknown special query")


def _is_query_error(exc: sqlite3.Error) -> bool:
    """Whether SQLite refused the MATCH expression itself (not the database)."""
    return str(exc).startswith(_QUERY_ERRORS)


def _query_problem(exc: sqlite3.Error) -> str:
    """What is wrong with a query, from SQLite's message, in a user's words."""
    text = str(exc)
    if text.startswith("unterminated string"):
        return "a quote is not closed"
    if text == 'fts5: syntax error near ""':
        return "it stops where more should follow"
    if text.startswith("fts5: syntax error near "):
        return f"{text.removeprefix('fts5: syntax error near ')} is out of place"
    if text.startswith("no such column: "):
        return f"‘{text.removeprefix('no such column: ')}:’ is not a column to search in"
    if text.startswith("unknown special query"):
        return "it has no word to search for"
    return text.removeprefix("fts5: ")


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic GC while building many small objects: its collections find nothing
    there and took a third of loading a 3,000-segment transcript."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _preview(texts: list[str]) -> str:
    text = " ".join(t.strip() for t in texts if t.strip())
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1].rstrip() + "…"


@dataclass
class AnswerRecord:
    """An answer an audio-language model gave about a recording, as the library keeps it."""

    id: int
    transcript_id: int | None
    file: str
    created_at: str
    model: str
    precision: str
    question: str
    answer: str
    details: dict  # parts, note, stopped, tokens, timings and memory


@dataclass
class ComparisonRecord:
    """A comparison as the library keeps it: results by (side, file index), as saved."""

    id: int
    created_at: str
    a: str
    b: str
    files: list[str]
    references: dict[str, str]
    normalisation: str
    status: str
    results: dict[tuple[str, int], dict]


class Library(PrivateDatabase):
    """The transcript store; safe to share between threads (calls are serialised)."""

    NOUN = "library"

    def __init__(self, path: Path | None = None):
        super().__init__(path if path is not None else default_library_path())
        self._open_or_close()

    def _open(self) -> None:
        with self._guard("open"):
            self._connect()
            self._check_fts5()
            self._make_durable()
            version = self._conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise GrymError(
                    f"The library at {self.path} was made by a newer version of grym-desktop."
                )
            if version == 0:
                self._conn.executescript(_SCHEMA)
                version = _BASE_VERSION
            for step in range(version, SCHEMA_VERSION):
                self._conn.executescript(MIGRATIONS[step])

    def _check_fts5(self) -> None:
        try:
            self._conn.execute("CREATE VIRTUAL TABLE temp.fts5_probe USING fts5(x)")
            self._conn.execute("DROP TABLE temp.fts5_probe")
        except sqlite3.OperationalError as exc:
            raise GrymError(
                f"This Python's SQLite {sqlite3.sqlite_version} was built without FTS5, which "
                "the library needs for search; use a Python whose sqlite3 module has FTS5."
            ) from exc

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
        words = _words_json(segment.words)
        with self._guard("save to"):
            try:
                self._conn.execute(
                    'INSERT INTO segments (transcript_id, idx, start, "end", text, words, speaker)'
                    " SELECT ?, COALESCE(MAX(idx) + 1, 0), ?, ?, ?, ?, ? FROM segments"
                    " WHERE transcript_id = ?",
                    (transcript_id, segment.start, segment.end, segment.text, words,
                     segment.speaker, transcript_id),
                )
            except sqlite3.IntegrityError as exc:
                raise GrymError(f"Transcript {transcript_id} is not in the library.") from exc

    def finish_transcript(self, transcript_id: int, transcript: Transcript) -> None:
        """Mark a transcript done with its language, fallback and metrics; "incomplete" with
        its first warning when not every sample of the file was decoded (a file cut short).

        When the final transcript has segments they replace the streamed ones, so the
        library holds exactly the result; an empty final list keeps what was streamed. Its
        speaker list is kept as it is (an empty one: no speakers).
        """
        fallback = json.dumps(transcript.fallback.to_dict()) if transcript.fallback else None
        with self._guard("save to"), self._transaction():
            cur = self._conn.execute(
                "UPDATE transcripts SET status = ?, error = ?, language = ?,"
                " duration = ?, fallback = ?, metrics = ?, speakers = ? WHERE id = ?",
                (
                    "complete" if transcript.complete else "incomplete",
                    transcript.warnings[0] if transcript.warnings else None,
                    transcript.language,
                    float(transcript.duration),
                    fallback,
                    json.dumps(asdict(transcript.metrics)),
                    _speakers_json(transcript.speakers),
                    transcript_id,
                ),
            )
            if cur.rowcount == 0:
                raise GrymError(f"Transcript {transcript_id} is not in the library.")
            if transcript.segments:
                self._conn.execute("DELETE FROM segments WHERE transcript_id = ?", (transcript_id,))
                self._conn.executemany(_INSERT_SEGMENTS,
                                       _segment_rows(transcript_id, transcript.segments))

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
                " (SELECT COUNT(*) FROM segments s WHERE s.transcript_id = t.id), title, starred,"
                " edited"
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
                title=row[10], starred=bool(row[11]), edited=bool(row[12]),
            )
            for row in rows
        ]

    def load_transcript(self, transcript_id: int) -> Transcript:
        """One transcript with its segments and words in order (the user's, once edited)."""
        return self._load(transcript_id, original=False)

    def load_original(self, transcript_id: int) -> Transcript:
        """The transcript as the model wrote it: for a never-edited one, load_transcript's."""
        return self._load(transcript_id, original=True)

    def _load(self, transcript_id: int, original: bool) -> Transcript:
        with self._guard("read"):
            row = self._conn.execute(
                "SELECT file, model, engine, precision, language, duration, status, fallback,"
                " metrics, error, edited, speakers FROM transcripts WHERE id = ?",
                (transcript_id,),
            ).fetchone()
            if row is None:
                raise GrymError(f"Transcript {transcript_id} is not in the library.")
            edited = bool(row[10])
            table = "original_segments" if original and edited else "segments"
            rows = self._conn.execute(
                f'SELECT start, "end", text, words, speaker FROM {table}'
                " WHERE transcript_id = ? ORDER BY idx",
                (transcript_id,),
            ).fetchall()
        try:
            with _collector_paused():
                segments = [
                    # Built directly: 3,000 segments open 30 ms sooner than through from_dict.
                    Segment(s, e, t, [Word(d["start"], d["end"], d["word"], d.get("probability"),
                                           d.get("speaker")) for d in json.loads(w)], who)
                    for s, e, t, w, who in rows
                ]
            speakers = _speakers(row[11])
        except (ValueError, KeyError, TypeError) as exc:
            raise GrymError(f"Transcript {transcript_id} in the library at {self.path} is "
                            f"damaged: its word times cannot be read.") from exc
        (file, model, engine, precision, language, duration, status, fallback, metrics, error,
         _, _) = row
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
            edited=edited and not original,
            speakers=speakers,
        )

    def save_edit(self, transcript_id: int, segments: list[Segment],
                  speakers: list[SpeakerInfo] | None = None) -> None:
        """Make segments the transcript's text, in one transaction: the first edit keeps the
        model's segments as the original; the transcript is marked edited; its draft is gone.
        speakers, when given, becomes its speaker list (None keeps the one it has).
        """
        now = datetime.now().astimezone().isoformat(timespec="seconds")
        with self._guard("save to"), self._transaction():
            row = self._conn.execute(
                "SELECT status, edited FROM transcripts WHERE id = ?", (transcript_id,)
            ).fetchone()
            if row is None:
                raise GrymError(f"Transcript {transcript_id} is not in the library.")
            if row[0] == "running":
                raise GrymError(f"Transcript {transcript_id} is still being written; it can be "
                                "edited once it has finished.")
            if not row[1]:
                self._conn.execute(
                    "INSERT INTO original_segments"
                    ' (transcript_id, idx, start, "end", text, words, speaker)'
                    ' SELECT transcript_id, idx, start, "end", text, words, speaker FROM segments'
                    " WHERE transcript_id = ?",
                    (transcript_id,),
                )
            self._conn.execute("DELETE FROM segments WHERE transcript_id = ?", (transcript_id,))
            self._conn.executemany(_INSERT_SEGMENTS, _segment_rows(transcript_id, segments))
            if speakers is not None:
                self._conn.execute("UPDATE transcripts SET speakers = ? WHERE id = ?",
                                   (_speakers_json(speakers), transcript_id))
            self._conn.execute(
                "UPDATE transcripts SET edited = 1, edited_at = ? WHERE id = ?",
                (now, transcript_id),
            )
            self._conn.execute("DELETE FROM drafts WHERE transcript_id = ?", (transcript_id,))

    def save_speakers(self, transcript_id: int, speakers: list[SpeakerInfo]) -> None:
        """Make speakers the transcript's speaker list (e.g. a voice suggested or confirmed);
        its segments are left as they are."""
        self._update(transcript_id, "speakers", _speakers_json(speakers))

    def rename_speaker(self, transcript_id: int, old: str, new: str) -> None:
        """Call speaker old new in every segment, word and the speaker list of a transcript
        (its draft and the model's original too), in one transaction; when new already speaks
        there the two merge (their seconds add up).

        A plain update, not an edit: names say who spoke, not what the model heard, so the
        transcript is not marked edited and no copy of the old names is kept.
        """
        new = self._speaker_name(new)
        with self._guard("save to"), self._transaction():
            if not self._rename_speaker(transcript_id, old, new, require=True):
                raise GrymError(f"Transcript {transcript_id} has no speaker called ‘{old}’.")

    def rename_speaker_everywhere(self, old: str, new: str) -> list[int]:
        """Rename (or merge) speaker old into new in every transcript, and voice suggestions
        of old as well (a voice of the voice library was renamed); the ids changed."""
        new = self._speaker_name(new)
        with self._guard("save to"), self._transaction():
            ids = [tid for (tid,) in self._conn.execute(
                "SELECT id FROM transcripts WHERE status != 'running' ORDER BY id")]
            return [tid for tid in ids if self._rename_speaker(tid, old, new, require=False)]

    @staticmethod
    def _speaker_name(name: str) -> str:
        try:
            return speaker_name(name)
        except ValueError as exc:
            raise GrymError(str(exc)) from exc

    def _rename_speaker(self, transcript_id: int, old: str, new: str, require: bool) -> bool:
        """Rename inside the caller's transaction; whether anything of the transcript changed."""
        row = self._conn.execute("SELECT status, speakers FROM transcripts WHERE id = ?",
                                 (transcript_id,)).fetchone()
        if row is None:
            raise GrymError(f"Transcript {transcript_id} is not in the library.")
        if row[0] == "running":
            raise GrymError(f"Transcript {transcript_id} is still being written; its speakers "
                            "can be renamed once it has finished.")
        if old == new:
            return True
        changed = False
        for table, key in (("segments", "id"), ("original_segments", "idx")):
            updates = []
            for ident, words, speaker in self._conn.execute(
                    f"SELECT {key}, words, speaker FROM {table} WHERE transcript_id = ?"
                    " AND (speaker = ? OR instr(words, ?) OR instr(words, ?))",
                    (transcript_id, old, *(json.dumps(old, ensure_ascii=a)[1:-1]
                                           for a in (False, True)))):
                renamed = _renamed_words(words, old, new)
                if renamed is not None or speaker == old:
                    updates.append((new if speaker == old else speaker,
                                    words if renamed is None else renamed, ident))
            self._conn.executemany(
                f"UPDATE {table} SET speaker = ?, words = ? WHERE {key} = ?"
                + (" AND transcript_id = ?" if key == "idx" else ""),
                [(*u, transcript_id) if key == "idx" else u for u in updates])
            changed = changed or bool(updates)
        speakers = _speakers(row[1])
        if any(s.name == old for s in speakers) or (not require and any(
                s.voice == old for s in speakers)):
            speakers = renamed_speakers(speakers, old, new)
            if not require:
                for s in speakers:
                    s.voice = new if s.voice == old else s.voice
            self._conn.execute("UPDATE transcripts SET speakers = ? WHERE id = ?",
                               (_speakers_json(speakers), transcript_id))
            changed = True
        draft = self._conn.execute("SELECT segments FROM drafts WHERE transcript_id = ?",
                                   (transcript_id,)).fetchone()
        if draft is not None:
            segments = [Segment.from_dict(d) for d in json.loads(draft[0])]
            renamed = renamed_segments(segments, old, new)
            if renamed != segments:
                self._conn.execute(
                    "UPDATE drafts SET segments = ? WHERE transcript_id = ?",
                    (json.dumps([s.to_dict() for s in renamed], ensure_ascii=False),
                     transcript_id))
                changed = True
        return changed

    def save_draft(self, transcript_id: int, segments: list[Segment]) -> None:
        """Keep unsaved edits (autosave); they are on disk when this returns."""
        data = json.dumps([s.to_dict() for s in segments], ensure_ascii=False)
        now = datetime.now(timezone.utc).isoformat(timespec="microseconds")  # sorts as text
        with self._guard("save to"):
            try:
                self._conn.execute(
                    "INSERT INTO drafts (transcript_id, segments, saved_at) VALUES (?, ?, ?)"
                    " ON CONFLICT (transcript_id) DO UPDATE"
                    " SET segments = excluded.segments, saved_at = excluded.saved_at",
                    (transcript_id, data, now),
                )
            except sqlite3.IntegrityError as exc:
                raise GrymError(f"Transcript {transcript_id} is not in the library.") from exc

    def load_draft(self, transcript_id: int) -> list[Segment] | None:
        """The unsaved edits of a transcript, or None when it has none."""
        with self._guard("read"):
            row = self._conn.execute(
                "SELECT segments FROM drafts WHERE transcript_id = ?", (transcript_id,)
            ).fetchone()
        return None if row is None else [Segment.from_dict(d) for d in json.loads(row[0])]

    def discard_draft(self, transcript_id: int) -> None:
        """Forget a transcript's unsaved edits (nothing happens when it has none)."""
        with self._guard("save to"):
            self._conn.execute("DELETE FROM drafts WHERE transcript_id = ?", (transcript_id,))

    def drafts(self) -> list[int]:
        """Ids of the transcripts with unsaved edits, the most recently saved first."""
        with self._guard("read"):
            return [tid for (tid,) in self._conn.execute(
                "SELECT transcript_id FROM drafts ORDER BY saved_at DESC, transcript_id DESC")]

    def search(self, query: str, limit: int = 50) -> list[SearchHit]:
        """Segments of every transcript that match query, the best match (bm25) first.

        Plain words must all occur (in any order); FTS5 syntax works too: "a phrase",
        budg*, AND/OR/NOT, NEAR(). An empty or malformed query raises SearchQueryError.
        """
        if not query.strip():
            raise SearchQueryError("The search is empty; type a word to search for.")
        expression = fts_query(query)
        with self._guard("search"):
            try:
                # The RANKED_MATCHES-th newest match: walking the index by rowid is cheap.
                bound = self._conn.execute(
                    "SELECT rowid FROM segments_fts WHERE segments_fts MATCH ?"
                    " ORDER BY rowid DESC LIMIT 1 OFFSET ?",
                    (expression, RANKED_MATCHES - 1),
                ).fetchone()
                rows = self._conn.execute(
                    "SELECT s.transcript_id, t.file, t.title, s.idx, s.start, s.\"end\","
                    " highlight(segments_fts, 0, '«', '»'), segments_fts.rank"
                    " FROM segments_fts"
                    " JOIN segments s ON s.id = segments_fts.rowid"
                    " JOIN transcripts t ON t.id = s.transcript_id"
                    " WHERE segments_fts MATCH ? AND segments_fts.rowid >= ?"
                    " ORDER BY segments_fts.rank LIMIT ?",
                    (expression, bound[0] if bound else 0, max(0, int(limit))),
                ).fetchall()
            except sqlite3.OperationalError as exc:
                if not _is_query_error(exc):
                    raise
                raise SearchQueryError(
                    f"The search ‘{query}’ cannot be read ({_query_problem(exc)}); put words in "
                    "double quotes to search for them as they are."
                ) from exc
        return [
            SearchHit(tid, file, _name(title, file), idx, start, end, snippet.strip(), rank)
            for tid, file, title, idx, start, end, snippet, rank in rows
        ]

    def latest_for_file(self, file: str) -> int | None:
        """The id of the newest finished transcript of `file`, if any."""
        with self._guard("read"):
            row = self._conn.execute(
                "SELECT id FROM transcripts WHERE file = ? AND status IN ('complete', 'incomplete')"
                " ORDER BY id DESC LIMIT 1", (str(file),)).fetchone()
        return row[0] if row else None

    def rename_transcript(self, transcript_id: int, title: str) -> None:
        """Give a transcript a name of its own; an empty name gives it back its file's name."""
        title = " ".join(title.split())  # one line: no tabs or line breaks
        if len(title) > TITLE_CHARS:
            raise GrymError(f"A transcript's name can be at most {TITLE_CHARS} characters, "
                            f"not {len(title)}.")
        self._update(transcript_id, "title", title or None)

    def relocate_transcript(self, transcript_id: int, file: str | Path) -> None:
        """The transcript's audio is now at `file` (the user found where it was moved)."""
        self._update(transcript_id, "file", str(file))

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
        """Remove a transcript with its segments, original segments, draft and search entries."""
        with self._guard("save to"):
            self._conn.execute("DELETE FROM transcripts WHERE id = ?", (transcript_id,))

    # -- model comparisons -----------------------------------------------------------------

    def begin_comparison(self, a: str, b: str, files: list[str], references: dict[str, str],
                         normalisation: str) -> int:
        """Record a new comparison of models a and b on files; its id."""
        created = datetime.now().astimezone().isoformat(timespec="seconds")
        with self._guard("save to"):
            return self._conn.execute(
                "INSERT INTO comparisons (created_at, model_a, model_b, files, refs,"
                " normalisation, status) VALUES (?, ?, ?, ?, ?, ?, 'running')",
                (created, a, b, json.dumps(files), json.dumps(references), normalisation),
            ).lastrowid

    def save_comparison_run(self, comparison_id: int, side: str, file_index: int,
                            result: dict) -> None:
        """Keep one model's result on one file (replacing an earlier one)."""
        with self._guard("save to"):
            self._conn.execute(
                "INSERT OR REPLACE INTO comparison_runs (comparison_id, side, file_index, result)"
                " VALUES (?, ?, ?, ?)", (comparison_id, side, file_index, json.dumps(result)))

    def set_comparison_status(self, comparison_id: int, status: str) -> None:
        with self._guard("save to"):
            self._conn.execute("UPDATE comparisons SET status = ? WHERE id = ?",
                               (status, comparison_id))

    def load_comparison(self, comparison_id: int) -> ComparisonRecord:
        """A saved comparison with every result kept so far; GrymError if there is none."""
        with self._guard("read"):
            row = self._conn.execute(
                "SELECT id, created_at, model_a, model_b, files, refs, normalisation, status"
                " FROM comparisons WHERE id = ?", (comparison_id,)).fetchone()
            if row is None:
                raise GrymError(f"Comparison {comparison_id} is not in the library.")
            runs = self._conn.execute(
                "SELECT side, file_index, result FROM comparison_runs WHERE comparison_id = ?",
                (comparison_id,)).fetchall()
        return ComparisonRecord(
            id=row[0], created_at=row[1], a=row[2], b=row[3], files=json.loads(row[4]),
            references=json.loads(row[5]), normalisation=row[6], status=row[7],
            results={(side, index): json.loads(result) for side, index, result in runs})

    def unfinished_comparison(self, a: str, b: str, files: list[str]) -> int | None:
        """The newest comparison of the same models on the same files that did not finish."""
        with self._guard("read"):
            row = self._conn.execute(
                "SELECT id FROM comparisons WHERE model_a = ? AND model_b = ? AND files = ?"
                " AND status != 'complete' ORDER BY id DESC LIMIT 1",
                (a, b, json.dumps(files))).fetchone()
        return row[0] if row else None

    # -- answers about recordings ----------------------------------------------------------

    def save_answer(self, file: str, model: str, precision: str, question: str, answer: str,
                    details: dict, transcript_id: int | None = None) -> int:
        """Keep an answer about a recording (beside its transcript, if given); its id."""
        created = datetime.now().astimezone().isoformat(timespec="seconds")
        with self._guard("save to"):
            return self._conn.execute(
                "INSERT INTO answers (transcript_id, file, created_at, model, precision,"
                " question, answer, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (transcript_id, str(file), created, model, precision, question, answer,
                 json.dumps(details))).lastrowid

    def answers_for_file(self, file: str) -> list[AnswerRecord]:
        """Every answer kept about this recording, the newest first."""
        return self._answers("WHERE file = ? ORDER BY id DESC", (str(file),))

    def search_answers(self, query: str, limit: int = 20) -> list[AnswerRecord]:
        """Answers whose question or answer match the query (the same syntax as search)."""
        if not query.strip():
            raise SearchQueryError("The search is empty; type a word to search for.")
        try:
            return self._answers(
                "WHERE id IN (SELECT rowid FROM answers_fts WHERE answers_fts MATCH ?"
                " ORDER BY rank LIMIT ?) ORDER BY id DESC", (fts_query(query), int(limit)))
        except sqlite3.OperationalError as exc:
            raise SearchQueryError(f"The search ‘{query}’ cannot be read "
                                   f"({_query_problem(exc)}).") from exc

    def _answers(self, where: str, args: tuple) -> list[AnswerRecord]:
        with self._guard("read"):
            rows = self._conn.execute(
                "SELECT id, transcript_id, file, created_at, model, precision, question, answer,"
                f" details FROM answers {where}", args).fetchall()
        return [AnswerRecord(*row[:8], json.loads(row[8])) for row in rows]

