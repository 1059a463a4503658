"""A watched folder: the audio and video files that appear in it, each passed on once it is
complete, that is once its size and modification time have stayed the same for a moment.

The watcher is watchfiles (the Rust notify crate: inotify, FSEvents, ReadDirectoryChangesW).
Files already in the folder when watching starts are passed on too, so files that arrived
while the app was closed are not missed; the ledger says which of them are done already.
Hidden files and folders, and the temporary names of downloads and copies in progress, are
never passed on; the rest are taken like a batch's folder takes them (media by name or by
their first bytes), so an empty or broken .wav is passed on and fails with its own sentence.
"""

from __future__ import annotations

import os
import stat
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from watchfiles import Change, watch

from grym_desktop.batch.sources import SNIFF_BYTES, is_media_name, sniffs_as_media
from grym_desktop.errors import GrymError

SETTLE_SECONDS = 2.0  # unchanged this long: the copy is over
# Names of files still being written by browsers, download managers and copy tools.
TEMPORARY_SUFFIXES = (".part", ".tmp", ".crdownload")


@dataclass
class Settling:
    """Which files have stopped changing: each observation is (path, size, mtime, time seen);
    a file is ready once the same size and mtime have been seen for settle_seconds, and is
    ready once per (path, size, mtime)."""

    settle_seconds: float = SETTLE_SECONDS
    # size, mtime and since when, of each file not passed on yet; size and mtime passed on
    _waiting: dict[Path, tuple[int, int, float]] = field(default_factory=dict, init=False)
    _passed: dict[Path, tuple[int, int]] = field(default_factory=dict, init=False)

    def observe(self, path: Path, size: int, mtime: int, now: float) -> None:
        """A file was seen with this size and mtime at time `now`."""
        waiting = self._waiting.get(path)
        if waiting is not None and waiting[:2] == (size, mtime):
            return
        if waiting is None and self._passed.get(path) == (size, mtime):
            return  # touched without a change: passed on already
        self._waiting[path] = (size, mtime, now)

    def forget(self, path: Path) -> None:
        """The file is gone: a file under its name later is a new one."""
        self._waiting.pop(path, None)
        self._passed.pop(path, None)

    def waiting(self) -> list[Path]:
        """The files seen that are not ready yet: to be looked at again."""
        return list(self._waiting)

    def ready(self, now: float) -> list[Path]:
        """The files unchanged for settle_seconds at `now`, sorted, each reported once."""
        out = []
        for path, (size, mtime, since) in list(self._waiting.items()):
            if now - since >= self.settle_seconds:
                del self._waiting[path]
                if self._passed.get(path) != (size, mtime):
                    self._passed[path] = (size, mtime)
                    out.append(path)
        return sorted(out)


def is_watched_name(folder: Path, path: Path) -> bool:
    """Whether a path below folder may be passed on: no hidden part below the folder (a
    ledger, a copy tool's .name.XXXX), no download or copy in progress (.part, .tmp...)."""
    try:
        parts = Path(path).relative_to(folder).parts
    except ValueError:
        return False
    if not parts or any(part.startswith(".") for part in parts):
        return False
    return not parts[-1].lower().endswith(TEMPORARY_SUFFIXES)


def is_media_file(path: Path) -> bool:
    """Audio or video by its name or its first bytes (batch.sources' rule); False when it
    cannot be read."""
    if is_media_name(path):
        return True
    try:
        with open(path, "rb") as f:
            return sniffs_as_media(f.read(SNIFF_BYTES))
    except OSError:
        return False


def output_name(folder: Path, path: Path, fmt: str) -> Path:
    """A watched file's output, relative to the output folder: its path below the watched
    folder with the format's suffix ("talks/a.wav" -> "talks/a.txt"), keeping the audio's own
    suffix when another media file beside it has the same stem ("a.wav.txt"), as a batch
    does."""
    path = Path(path)
    relative = path.relative_to(folder)
    try:
        shared = any(p.stem == path.stem and p.name != path.name and is_media_name(p)
                     for p in path.parent.iterdir())
    except OSError:
        shared = False
    return relative.with_name(f"{path.name}.{fmt}") if shared else relative.with_suffix(f".{fmt}")


def watch_folder(folder: Path, on_ready: Callable[[Path], None], stop: threading.Event,
                 settle_seconds: float = SETTLE_SECONDS,
                 on_scanned: Callable[[], None] | None = None) -> None:
    """Call on_ready(path) for each complete media file in folder (recursively), those there
    now and those that come, until stop is set; blocks. on_scanned() is called once the files
    there at the start have all been passed on or left out. GrymError when folder is not a
    folder that can be watched."""
    folder = Path(os.path.abspath(folder))
    if not folder.is_dir():
        raise GrymError(f"The watched folder {folder} does not exist or is not a folder.")
    state = _Watch(folder, on_ready, Settling(settle_seconds), on_scanned)
    settle_ms = max(1, int(settle_seconds * 1000))
    try:
        changes = watch(folder, watch_filter=None, stop_event=stop, recursive=True,
                        debounce=min(1600, max(50, settle_ms // 2)),
                        rust_timeout=min(500, max(50, settle_ms // 4)), yield_on_timeout=True,
                        raise_interrupt=False, ignore_permission_denied=True)
        first = True
        for batch in changes:
            now = time.monotonic()
            if first:  # the watcher runs from here on: nothing comes in between unseen
                state.scan(folder, now)
                state.unscanned = set(state.settling.waiting())
                first = False
            for kind, name in batch:
                state.change(kind, Path(name), now)
            state.tick(time.monotonic())
    except OSError as exc:
        raise GrymError(f"The folder {folder} cannot be watched: "
                        f"{(exc.strerror or str(exc)).lower()}.") from exc


class _Watch:
    """One call of watch_folder: the files settling and the first scan's files not done."""

    def __init__(self, folder: Path, on_ready: Callable[[Path], None], settling: Settling,
                 on_scanned: Callable[[], None] | None) -> None:
        self.folder, self.on_ready, self.settling = folder, on_ready, settling
        self.on_scanned = on_scanned
        self.unscanned: set[Path] | None = None  # None until the first scan, then left to do

    def scan(self, root: Path, now: float) -> None:
        for path in _files_under(root):
            self.look(path, now)

    def look(self, path: Path, now: float) -> None:
        """Observe a file's size and mtime now (forget it when it is gone)."""
        if not is_watched_name(self.folder, path):
            return
        try:
            st = path.stat()
        except OSError:
            self.settling.forget(path)
            return
        if stat.S_ISREG(st.st_mode):
            self.settling.observe(path, st.st_size, st.st_mtime_ns, now)
        else:
            self.settling.forget(path)

    def change(self, kind: Change, path: Path, now: float) -> None:
        if kind == Change.deleted:
            for waiting in self.settling.waiting():  # a folder removed takes its files along
                if waiting == path or path in waiting.parents:
                    self.settling.forget(waiting)
            self.settling.forget(path)
        elif path.is_dir():  # a folder moved in brings files no event names
            if is_watched_name(self.folder, path):
                self.scan(path, now)
        else:
            self.look(path, now)

    def tick(self, now: float) -> None:
        """Look again at the files settling; pass on those that stopped changing."""
        for path in self.settling.waiting():
            self.look(path, now)
        for path in self.settling.ready(now):
            if is_media_file(path):
                self.on_ready(path)
        if self.unscanned is not None:
            self.unscanned.intersection_update(self.settling.waiting())
            if not self.unscanned:
                self.unscanned = None
                if self.on_scanned is not None:
                    self.on_scanned()


def _files_under(root: Path) -> Iterator[Path]:
    """The files below root, hidden folders left out, symlinked folders not followed."""
    for top, folders, files in os.walk(root):
        folders[:] = [name for name in folders if not name.startswith(".")]
        for name in sorted(files):
            yield Path(top) / name
