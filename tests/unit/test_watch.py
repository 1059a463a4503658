"""The watched folder's core: which files are complete (Settling), and the real watcher on a
real folder passing on each complete audio file once, the files already there included."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest
from helpers import HELLO

from grym_desktop.batch.watch import Settling, is_watched_name, output_name, watch_folder
from grym_desktop.errors import GrymError

SETTLE = 0.6  # the watcher's settle time in these tests (the app's is 2 s)
WAIT = 20.0  # the most a test waits for the watcher


def test_a_file_is_ready_once_it_stops_changing_and_once_per_size_and_mtime():
    s = Settling(settle_seconds=2.0)
    talk = Path("/w/talk.wav")
    s.observe(talk, 100, 1, now=0.0)
    assert s.ready(1.9) == []
    s.observe(talk, 200, 2, now=1.9)  # still growing: the wait starts again
    assert s.ready(3.0) == []
    s.observe(talk, 200, 2, now=3.0)  # unchanged since 1.9
    assert s.ready(3.9) == [talk]
    assert s.ready(10.0) == [] and s.waiting() == []
    s.observe(talk, 200, 2, now=11.0)  # seen again unchanged (a touch, a rescan): not again
    assert s.ready(20.0) == [] and s.waiting() == []
    s.observe(talk, 300, 3, now=21.0)  # appended to: passed on again once settled
    assert s.ready(23.0) == [talk]


def test_an_empty_file_is_passed_on_once_it_stays_empty_and_a_deleted_one_is_forgotten():
    s = Settling(settle_seconds=2.0)
    empty, gone = Path("/w/empty.wav"), Path("/w/gone.wav")
    s.observe(empty, 0, 5, now=0.0)
    s.observe(gone, 10, 5, now=0.0)
    s.forget(gone)
    assert s.ready(2.0) == [empty]
    s.observe(gone, 10, 5, now=3.0)  # a new file under the old name is a new file
    assert s.ready(5.0) == [gone]


def test_hidden_and_temporary_names_are_not_watched():
    folder = Path("/w")
    assert is_watched_name(folder, folder / "talk.wav")
    assert is_watched_name(folder, folder / "a" / "b" / "talk.mp4")
    for name in (".talk.wav", "talk.wav.part", "talk.mp3.crdownload", "talk.TMP",
                 ".grym-batch.sqlite3", ".cache/talk.wav", "a/.hidden/talk.wav"):
        assert not is_watched_name(folder, folder / name), name
    assert not is_watched_name(folder, Path("/elsewhere/talk.wav"))


def test_output_names_follow_the_folder_tree_and_keep_the_suffix_when_stems_clash(tmp_path):
    (tmp_path / "day1").mkdir()
    for name in ("day1/talk.wav", "day1/talk.mp3", "day1/solo.flac", "notes.wav"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "day1" / "solo.txt").write_text("an output beside it is no clash")
    assert output_name(tmp_path, tmp_path / "notes.wav", "txt") == Path("notes.txt")
    assert output_name(tmp_path, tmp_path / "day1/solo.flac", "srt") == Path("day1/solo.srt")
    assert output_name(tmp_path, tmp_path / "day1/talk.wav", "txt") == Path("day1/talk.wav.txt")
    assert output_name(tmp_path, tmp_path / "day1/talk.mp3", "txt") == Path("day1/talk.mp3.txt")


class Watcher:
    """watch_folder on a thread, recording each file passed on with its size at the time."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.reported: list[tuple[str, int]] = []
        self.scanned = threading.Event()
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(folder,), daemon=True)
        self.thread.start()

    def _run(self, folder: Path) -> None:
        try:
            watch_folder(folder, self._ready, self.stop, settle_seconds=SETTLE,
                         on_scanned=self.scanned.set)
        except BaseException as exc:  # noqa: BLE001 - the test reads it
            self.error = exc

    def _ready(self, path: Path) -> None:
        self.reported.append((path.relative_to(self.folder).as_posix(), path.stat().st_size))

    def wait_for(self, count: int) -> list[tuple[str, int]]:
        deadline = time.monotonic() + WAIT
        while len(self.reported) < count and time.monotonic() < deadline and self.error is None:
            time.sleep(0.05)
        assert self.error is None, self.error
        return list(self.reported)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(WAIT)
        assert not self.thread.is_alive()


@pytest.fixture
def watched(tmp_path):
    folder = tmp_path / "watched"
    folder.mkdir()
    return folder


def test_a_file_written_in_two_parts_is_passed_on_once_after_it_stops_growing(watched):
    (watched / "before.wav").write_bytes(HELLO.read_bytes())  # there before watching starts
    watcher = Watcher(watched)
    try:
        assert watcher.scanned.wait(WAIT), "the first scan never ended"
        assert watcher.reported == [("before.wav", HELLO.stat().st_size)]

        data = HELLO.read_bytes()
        with open(watched / "copy.wav", "wb") as f:  # a slow copy: half, a pause, the rest
            f.write(data[: len(data) // 2])
            f.flush()
            time.sleep(SETTLE / 3)
            f.write(data[len(data) // 2:])
        assert watcher.wait_for(2)[1] == ("copy.wav", len(data))

        # Something else comes after; the copy has not been passed on a second time by then.
        shutil.copy(HELLO, watched / "after.wav")
        assert watcher.wait_for(3)[2:] == [("after.wav", len(data))]
        assert [name for name, _size in watcher.reported].count("copy.wav") == 1
    finally:
        watcher.close()


def test_hidden_temporary_and_non_audio_files_are_left_out(watched, tmp_path):
    watcher = Watcher(watched)
    try:
        assert watcher.scanned.wait(WAIT)
        (watched / ".hidden.wav").write_bytes(HELLO.read_bytes())
        (watched / "talk.wav.part").write_bytes(HELLO.read_bytes())
        (watched / "talk.wav.crdownload").write_bytes(HELLO.read_bytes())
        (watched / "notes.txt").write_text("not audio")
        (watched / ".cache").mkdir()
        (watched / ".cache" / "inside.wav").write_bytes(HELLO.read_bytes())
        (watched / "nameless").write_bytes(HELLO.read_bytes())  # a WAV by its first bytes
        time.sleep(SETTLE)  # the files above settle before the next one does
        # A download finishing: renamed from its temporary name once complete.
        (watched / "talk.wav.part").rename(watched / "talk.wav")
        # A folder moved in whole: its files raise no event of their own.
        outside = tmp_path / "outside"
        (outside / "deep").mkdir(parents=True)
        shutil.copy(HELLO, outside / "deep" / "moved.wav")
        outside.rename(watched / "moved")
        names = [name for name, _size in watcher.wait_for(3)]
        assert sorted(names) == ["moved/deep/moved.wav", "nameless", "talk.wav"]
    finally:
        watcher.close()
    assert len(watcher.reported) == 3


def test_an_empty_audio_file_is_passed_on_to_fail_like_any_broken_file(watched):
    watcher = Watcher(watched)
    try:
        (watched / "empty.wav").touch()
        assert watcher.wait_for(1) == [("empty.wav", 0)]
    finally:
        watcher.close()


def test_a_missing_folder_is_one_sentence(tmp_path):
    with pytest.raises(GrymError, match="does not exist"):
        watch_folder(tmp_path / "nowhere", lambda path: None, threading.Event())
