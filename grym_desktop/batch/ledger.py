"""The batch ledger: one private SQLite file in the output folder recording every file of a
batch by content, model and options, so that running the same batch again does only what is
not done yet.

A file is known by its SHA-256, the model and the options that change the output: done rows
are skipped even when the file moved (the row takes its new path), failed ones and those a
killed batch left pending or running are done again. Every write is committed at once, so a
killed batch loses at most the files it was transcribing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from grym_desktop.database import PrivateDatabase
from grym_desktop.errors import GrymError

LEDGER_NAME = ".grym-batch.sqlite3"  # hidden: a batch over its own output folder skips it
STATUSES = ("pending", "running", "done", "failed")
MIGRATIONS = [
    f"""
BEGIN IMMEDIATE;
CREATE TABLE files (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    model TEXT NOT NULL,
    options_key TEXT NOT NULL,  -- options_key(): the options that change the output, as JSON
    status TEXT NOT NULL CHECK (status IN {STATUSES!r}),
    error TEXT,  -- one sentence, when failed
    outputs TEXT NOT NULL DEFAULT '[]',  -- JSON list of the output files' paths
    audio_seconds REAL,
    started_at TEXT,
    finished_at TEXT,
    seconds REAL,  -- wall time of the last attempt
    attempts INTEGER NOT NULL DEFAULT 0,
    worker TEXT,  -- who ran the last attempt
    UNIQUE (content_hash, model, options_key)
);
CREATE INDEX files_by_run ON files(model, options_key, status);
PRAGMA user_version = 1;
COMMIT;
""",
]
SCHEMA_VERSION = len(MIGRATIONS)
_COLUMNS = ("id, path, content_hash, status, error, outputs, audio_seconds, seconds, attempts,"
            " worker")


def ledger_path(output_dir: Path) -> Path:
    """Where the ledger of a batch writing to output_dir lives."""
    return Path(output_dir) / LEDGER_NAME


def options_key(options: dict) -> str:
    """The options that change a batch's output as stable JSON (sorted keys, no spaces): the
    same choices give the same key whatever order they were given in."""
    return json.dumps(options, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass
class Entry:
    """One file of a batch, as the ledger has it."""

    id: int
    path: Path
    content_hash: str
    status: str
    error: str | None = None
    outputs: list[str] = field(default_factory=list)
    audio_seconds: float | None = None
    seconds: float | None = None
    attempts: int = 0
    worker: str | None = None


@dataclass
class Plan:
    """What a batch does: todo (new, failed, or left pending or running by a killed batch)
    and skipped (done with this content, model and options). A file with the same content
    as another of the batch is one of the duplicates (its path, the entry it shares), done
    or skipped with that entry: nothing is transcribed twice."""

    todo: list[Entry] = field(default_factory=list)
    skipped: list[Entry] = field(default_factory=list)
    duplicates: list[tuple[Path, Entry]] = field(default_factory=list)


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


def _entry(row: tuple) -> Entry:
    return Entry(row[0], Path(row[1]), row[2], row[3], row[4], json.loads(row[5]), *row[6:])


class Ledger(PrivateDatabase):
    """The ledger of the batch writing to output_dir; safe to share between threads.

    summary() and failures() cover the files of the last plan() on this ledger, or every file
    the ledger holds before one.
    """

    NOUN = "batch ledger"

    def __init__(self, output_dir: Path):
        super().__init__(ledger_path(output_dir))
        self.output_dir = Path(output_dir)
        self._planned = False  # summary() and failures() cover the last plan once there is one
        self._open_or_close()

    def _open(self) -> None:
        with self._guard("open"):
            # The output folder gets the user's usual mode; only the ledger in it is private.
            self.output_dir.mkdir(parents=True, exist_ok=True)
            self._connect()
            self._make_durable()
            version = self._conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise GrymError(f"The batch ledger at {self.path} was made by a newer version "
                                "of grym-desktop.")
            for step in range(version, SCHEMA_VERSION):
                self._conn.executescript(MIGRATIONS[step])
            self._conn.execute("CREATE TEMP TABLE planned (id INTEGER PRIMARY KEY)")

    def plan(self, files: list[tuple[Path, str]], model: str, options_key: str) -> Plan:
        """Sort (path, content hash) pairs into what to do and what is done, in their order.

        New files are added pending; failed ones, and those a killed batch left pending or
        running, are todo again (pending, their error cleared); done ones are skipped. Each
        row takes the path it has now when it moved. A second file with the same content is
        a duplicate of the first (of the row's own path when that is one of them).
        """
        groups: dict[str, list[Path]] = {}
        for path, digest in files:
            path = path if isinstance(path, Path) else Path(path)
            paths = groups.setdefault(digest, [])
            if path not in paths:
                paths.append(path)
        plan = Plan()
        updates: list[tuple[str, str, int]] = []
        with self._guard("save to"), self._transaction():
            known = {row[2]: _entry(row) for row in self._conn.execute(
                f"SELECT {_COLUMNS} FROM files WHERE model = ? AND options_key = ?",
                (model, options_key))}
            for digest, paths in groups.items():
                entry = known.get(digest)
                if entry is None:
                    entry = Entry(0, paths[0], digest, "pending")
                    entry.id = self._conn.execute(
                        "INSERT INTO files (path, content_hash, model, options_key, status)"
                        " VALUES (?, ?, ?, ?, 'pending')",
                        (str(entry.path), digest, model, options_key)).lastrowid
                elif entry.path not in paths or entry.status in ("running", "failed"):
                    entry.path = entry.path if entry.path in paths else paths[0]
                    if entry.status != "done":
                        entry.status, entry.error = "pending", None
                    updates.append((str(entry.path), entry.status, entry.id))
                (plan.skipped if entry.status == "done" else plan.todo).append(entry)
                plan.duplicates += [(path, entry) for path in paths if path != entry.path]
            self._conn.executemany("UPDATE files SET path = ?, status = ?, error = NULL"
                                   " WHERE id = ?", updates)
            self._conn.execute("DELETE FROM temp.planned")
            self._conn.executemany("INSERT INTO temp.planned (id) VALUES (?)",
                                   ((e.id,) for e in (*plan.todo, *plan.skipped)))
        self._planned = True
        return plan

    def start(self, entry_id: int, worker: str) -> None:
        """Mark a file running on worker (one more attempt)."""
        self._set(entry_id, "status = 'running', worker = ?, started_at = ?, finished_at = NULL,"
                  " attempts = attempts + 1, error = NULL", (worker, _now()))

    def finish(self, entry_id: int, outputs: list[str], audio_seconds: float,
               seconds: float) -> None:
        """Mark a file done with the output files it was written to and how long it took."""
        self._set(entry_id, "status = 'done', outputs = ?, audio_seconds = ?, seconds = ?,"
                  " finished_at = ?, error = NULL",
                  (json.dumps([str(p) for p in outputs]), float(audio_seconds), float(seconds),
                   _now()))

    def fail(self, entry_id: int, error: str) -> None:
        """Mark a file failed with one sentence saying why."""
        self._set(entry_id, "status = 'failed', error = ?, finished_at = ?", (error, _now()))

    def _set(self, entry_id: int, assignments: str, args: tuple) -> None:
        with self._guard("save to"):
            cur = self._conn.execute(f"UPDATE files SET {assignments} WHERE id = ?",
                                     (*args, entry_id))
            if cur.rowcount == 0:
                raise GrymError(f"File {entry_id} is not in the batch ledger at {self.path}.")

    def entry(self, entry_id: int) -> Entry:
        """One file as the ledger has it now."""
        with self._guard("read"):
            row = self._conn.execute(f"SELECT {_COLUMNS} FROM files WHERE id = ?",
                                     (entry_id,)).fetchone()
        if row is None:
            raise GrymError(f"File {entry_id} is not in the batch ledger at {self.path}.")
        return _entry(row)

    def summary(self) -> dict[str, int]:
        """How many files are in each status (every status named, 0 when none)."""
        with self._guard("read"):
            rows = self._conn.execute(
                f"SELECT status, COUNT(*) FROM files {self._scope()} GROUP BY status").fetchall()
        return {status: 0 for status in STATUSES} | dict(rows)

    def failures(self) -> list[tuple[str, str]]:
        """(path, sentence) of each failed file, by path."""
        with self._guard("read"):
            return self._conn.execute(
                f"SELECT path, COALESCE(error, 'It failed for a reason not recorded.') FROM files"
                f" {self._scope()} {'AND' if self._planned else 'WHERE'} status = 'failed'"
                " ORDER BY path").fetchall()

    def _scope(self) -> str:
        return "WHERE id IN (SELECT id FROM temp.planned)" if self._planned else ""

