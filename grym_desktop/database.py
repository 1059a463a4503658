"""A private SQLite file shared between threads: opened the app's way and every failure of it
turned into one sentence naming the file.

The library and the feature memory are both one (PrivateDatabase is their base): the folder
and the file are the user's alone, commits are durable (WAL, synchronous FULL), foreign keys
hold, and calls from several threads are serialised by one lock.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from grym_desktop.errors import GrymError

_REASONS = (
    ("full", "disk is full"),
    ("readonly", "the file is read-only"),
    ("read-only", "the file is read-only"),
    ("unable to open", "the file cannot be opened"),
    ("locked", "another program is using it"),
    ("not a database", "the file is not a {noun} database"),
    ("malformed", "the file is damaged"),
    ("disk i/o", "the disk reported an error"),
)


def failure_reason(exc: BaseException, noun: str) -> str:
    """What went wrong, in a few words, from a SQLite or OS error."""
    if isinstance(exc, OSError):
        if exc.errno == errno.ENOSPC:
            return "disk is full"
        if exc.errno in (errno.EEXIST, errno.ENOTDIR):
            return "part of its folder path is a file"
        return (exc.strerror or str(exc)).lower()
    text = str(exc).lower()
    for needle, reason in _REASONS:
        if needle in text:
            return reason.format(noun=noun)
    return text.rstrip(".")


class PrivateDatabase(ABC):
    """The connection, lock and failure sentences of one private SQLite file."""

    NOUN = "database"  # how sentences name the file: "the library at …"

    def __init__(self, path: Path):
        self.path = Path(path)
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.RLock()

    def _open_or_close(self) -> None:
        """Open the file (the subclass's _open), closing it again if that fails."""
        try:
            self._open()
        except GrymError:
            self.close()
            raise

    @abstractmethod
    def _open(self) -> None:
        """Connect, check the schema's version and migrate: each store's own."""

    def _connect(self) -> None:
        """Create the folder (0700) and the file (0600), and connect in autocommit (each
        statement outside an explicit BEGIN is its own durable transaction) with foreign keys
        on. SQLite gives its -wal and -shm files the database's mode."""
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
        os.chmod(self.path, 0o600)
        self._conn = sqlite3.connect(
            self.path, isolation_level=None, timeout=5.0, check_same_thread=False
        )
        self._conn.execute("PRAGMA foreign_keys = ON")

    def _make_durable(self) -> None:
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute("PRAGMA synchronous = FULL")

    @contextmanager
    def _guard(self, action: str) -> Iterator[None]:
        """Turn database and disk failures into one sentence naming the file."""
        try:
            with self._lock:
                if self._conn is None and action != "open":
                    raise GrymError(f"Could not {action} the {self.NOUN} at {self.path}: it "
                                    "was closed (the app is shutting down).")
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
                f"Could not {action} the {self.NOUN} at {self.path}: {self._explain(exc)}."
            ) from exc

    def _explain(self, exc: BaseException) -> str:
        reason = failure_reason(exc, self.NOUN)
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

    @property
    def closed(self) -> bool:
        return self._conn is None

    def close(self) -> None:
        """Close the database once no other thread is using it; later calls raise GrymError."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
