"""The transcript library on a real SQLite file: round trips, crash safety, disk errors."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from datetime import datetime
from pathlib import Path

import platformdirs
import psutil
import pytest
from helpers import as_if_its_writer_died

from grym_desktop.errors import GrymError
from grym_desktop.store.library import Library, default_library_path
from grym_desktop.transcript import Fallback, Metrics, Segment, Transcript, Word


def _segments() -> list[Segment]:
    return [
        Segment(
            0.0, 2.5, " Hello there.", [Word(0.0, 1.0, " Hello", 0.9), Word(1.0, 2.5, " there.")]
        ),
        Segment(2.5, 4.0, " Ça va très bien, merci."),
        Segment(3725.0, 3725.5, " A long way in."),
    ]


def _transcript(**kw) -> Transcript:
    base = dict(
        file="/audio/talk.wav",
        model="whisper-tiny.en",
        engine="ctranslate2",
        precision="int8",
        language="en",
        duration=3726.0,
        segments=_segments(),
        fallback=Fallback("whisper-base", "whisper-tiny.en", "not enough memory for base"),
        metrics=Metrics(1.5, 20.0, 0.0054, 512_000_000, 480_000_000),
    )
    base.update(kw)
    return Transcript(**base)


@pytest.fixture
def lib(tmp_path):
    library = Library(tmp_path / "data" / "library.sqlite3")
    yield library
    library.close()


def _begin(lib: Library, file: str = "/audio/talk.wav") -> int:
    return lib.begin_transcript(file, "whisper-tiny.en", "ctranslate2", "int8", 3726.0)


def test_default_path_honours_grym_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("GRYM_DATA_DIR", str(tmp_path / "here"))
    assert default_library_path() == tmp_path / "here" / "library.sqlite3"
    monkeypatch.delenv("GRYM_DATA_DIR")
    expected = Path(platformdirs.user_data_dir("grym-desktop")) / "library.sqlite3"
    assert default_library_path() == expected


def test_library_without_path_is_created_in_grym_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("GRYM_DATA_DIR", str(tmp_path / "new" / "dir"))
    library = Library()
    tid = _begin(library)
    library.close()
    assert (tmp_path / "new" / "dir" / "library.sqlite3").is_file()
    assert Library(tmp_path / "new" / "dir" / "library.sqlite3").list_transcripts()[0].id == tid


def test_schema_is_versioned_wal_with_foreign_keys(lib):
    with sqlite3.connect(lib.path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == 7
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        columns = [r[1] for r in raw.execute("PRAGMA table_info(segments)")]
        assert columns == ["id", "transcript_id", "idx", "start", "end", "text", "words",
                           "speaker"]
        fks = raw.execute("PRAGMA foreign_key_list(segments)").fetchall()
        assert [(fk[2], fk[6]) for fk in fks] == [("transcripts", "CASCADE")]


def test_streamed_and_finished_transcript_round_trips(lib):
    tid = _begin(lib)
    for seg in _segments():
        lib.add_segment(tid, seg)
    lib.finish_transcript(tid, _transcript())

    loaded = lib.load_transcript(tid)
    assert loaded == _transcript()
    assert loaded.complete is True
    assert loaded.segments[0].words[0] == Word(0.0, 1.0, " Hello", 0.9)

    (summary,) = lib.list_transcripts()
    assert (summary.id, summary.status, summary.error) == (tid, "complete", None)
    assert (summary.file, summary.model, summary.engine, summary.precision) == (
        "/audio/talk.wav",
        "whisper-tiny.en",
        "ctranslate2",
        "int8",
    )
    assert summary.segment_count == 3
    assert summary.preview == "Hello there. Ça va très bien, merci. A long way in."
    assert datetime.fromisoformat(summary.created_at).tzinfo is not None


def test_finish_keeps_streamed_segments_when_final_has_none(lib):
    tid = _begin(lib)
    for seg in _segments():
        lib.add_segment(tid, seg)
    lib.finish_transcript(tid, _transcript(segments=[], fallback=None))
    loaded = lib.load_transcript(tid)
    assert loaded.segments == _segments()
    assert loaded.fallback is None


def test_finish_replaces_streamed_segments_with_final_ones(lib):
    tid = _begin(lib)
    lib.add_segment(tid, Segment(0.0, 1.0, " draft"))
    lib.finish_transcript(tid, _transcript())
    assert lib.load_transcript(tid).segments == _segments()


def test_long_preview_is_cut_near_80_chars(lib):
    tid = _begin(lib)
    for i in range(20):
        lib.add_segment(tid, Segment(i, i + 1, f" sentence number {i}."))
    preview = lib.list_transcripts()[0].preview
    assert preview.startswith("sentence number 0. sentence number 1.")
    assert preview.endswith("…") and len(preview) <= 81


def test_list_is_newest_first_and_limited(lib):
    ids = [_begin(lib, f"/audio/{i}.wav") for i in range(5)]
    assert [s.id for s in lib.list_transcripts()] == ids[::-1]
    assert [s.file for s in lib.list_transcripts(limit=2)] == ["/audio/4.wav", "/audio/3.wav"]


@pytest.mark.parametrize("status", ["failed", "cancelled"])
def test_failed_or_cancelled_transcript_keeps_its_segments(lib, status):
    tid = _begin(lib)
    lib.add_segment(tid, _segments()[0])
    lib.fail_transcript(tid, "The model host stopped unexpectedly.", status=status)
    summary = lib.list_transcripts()[0]
    assert (summary.status, summary.error) == (status, "The model host stopped unexpectedly.")
    loaded = lib.load_transcript(tid)
    assert loaded.complete is False
    assert loaded.segments == _segments()[:1]


def test_fail_rejects_unknown_status(lib):
    with pytest.raises(ValueError):
        lib.fail_transcript(_begin(lib), "x", status="complete")


def test_recover_marks_only_running_transcripts_incomplete(lib):
    running = _begin(lib)
    done = _begin(lib)
    lib.finish_transcript(done, _transcript())
    failed = _begin(lib)
    lib.fail_transcript(failed, "Could not decode the file.")
    as_if_its_writer_died(lib.path, running)

    assert lib.recover_interrupted() == 1
    status = {s.id: s.status for s in lib.list_transcripts()}
    assert status == {running: "incomplete", done: "complete", failed: "failed"}
    assert lib.recover_interrupted() == 0


def test_delete_removes_transcript_and_segments(lib):
    keep, gone = _begin(lib), _begin(lib)
    for tid in (keep, gone):
        lib.add_segment(tid, _segments()[0])
    lib.delete_transcript(gone)
    assert [s.id for s in lib.list_transcripts()] == [keep]
    with pytest.raises(GrymError, match=f"Transcript {gone} is not in the library"):
        lib.load_transcript(gone)
    with sqlite3.connect(lib.path) as raw:
        assert raw.execute("SELECT transcript_id FROM segments").fetchall() == [(keep,)]


def test_segment_for_unknown_transcript_is_an_error(lib):
    with pytest.raises(GrymError, match="Transcript 42 is not in the library"):
        lib.add_segment(42, _segments()[0])


_WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from grym_desktop.store.library import Library
    from grym_desktop.transcript import Segment, Word

    lib = Library(Path(sys.argv[1]))
    tid = lib.begin_transcript("/audio/talk.wav", "whisper-tiny.en", "ctranslate2", "int8", 60.0)
    i = 0
    while True:
        lib.add_segment(tid, Segment(i, i + 1, f"segment {i}", [Word(i, i + 0.5, "segment")]))
        print(i, flush=True)
        i += 1
    """
)


def test_segments_survive_sigkill_and_transcript_becomes_incomplete(tmp_path):
    path = tmp_path / "library.sqlite3"
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        for line in proc.stdout:
            last_reported = int(line)
            if last_reported >= 20:
                break
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL

    lib = Library(path)
    (summary,) = lib.list_transcripts()
    assert summary.status == "running"
    assert summary.segment_count >= last_reported + 1

    assert lib.recover_interrupted() == 1
    summary = lib.list_transcripts()[0]
    assert summary.status == "incomplete"
    assert summary.error == "The app stopped before this transcript finished."
    loaded = lib.load_transcript(summary.id)
    assert loaded.complete is False
    assert [s.text for s in loaded.segments] == [
        f"segment {i}" for i in range(len(loaded.segments))
    ]
    assert loaded.segments[5].words[0].word == "segment"
    lib.close()


def test_parent_that_is_a_file_is_a_clear_error(tmp_path):
    (tmp_path / "blocker").write_text("not a folder")
    path = tmp_path / "blocker" / "library.sqlite3"
    with pytest.raises(GrymError) as err:
        Library(path)
    assert (
        str(err.value)
        == f"Could not open the library at {path}: part of its folder path is a file."
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only files anyway")
def test_read_only_library_file_is_a_clear_error(tmp_path):
    path = tmp_path / "library.sqlite3"
    first = Library(path)
    tid = _begin(first)
    first.close()
    path.chmod(0o444)

    lib = Library(path)
    assert [s.id for s in lib.list_transcripts()] == [tid]
    with pytest.raises(GrymError) as err:
        _begin(lib)
    assert str(err.value) == f"Could not save to the library at {path}: the file is read-only."


def _in_mount_namespace(mount: str, script: str, *args: str) -> subprocess.CompletedProcess:
    """Run a Python script in a private mount namespace after a mount only it can see."""
    if shutil.which("unshare") is None or subprocess.run(["unshare", "-rm", "true"]).returncode:
        pytest.skip("unshare -rm (user and mount namespaces) is not available here")
    command = f'{mount} && exec "$0" -c "$@"'
    return subprocess.run(
        ["unshare", "-rm", "sh", "-c", command, sys.executable, script, *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


_OPEN_AND_WRITE = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from grym_desktop.errors import GrymError
    from grym_desktop.store.library import Library
    try:
        Library(Path(sys.argv[1])).begin_transcript("a.wav", "m", "e", "p", 1.0)
    except GrymError as exc:
        print(exc)
    """
)


def test_read_only_folder_is_a_clear_error(tmp_path):
    folder = tmp_path / "lib"
    path = folder / "library.sqlite3"
    Library(path).close()
    result = _in_mount_namespace(
        f"mount --bind -o ro '{folder}' '{folder}'", _OPEN_AND_WRITE, str(path)
    )
    assert result.returncode == 0, result.stderr
    assert (
        result.stdout.strip() == f"Could not open the library at {path}: its folder is read-only."
    )


_FILL_DISK = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from grym_desktop.errors import GrymError
    from grym_desktop.store.library import Library
    from grym_desktop.transcript import Segment

    lib = Library(Path(sys.argv[1]))
    tid = lib.begin_transcript("/audio/talk.wav", "whisper-tiny.en", "ctranslate2", "int8", 1e4)
    saved, error = 0, None
    while error is None and saved < 10_000:
        try:
            lib.add_segment(tid, Segment(saved, saved + 1, f"segment {saved} " + "x" * 2000))
            saved += 1
        except GrymError as exc:
            error = str(exc)
    stored = [s.text.split()[1] for s in lib.load_transcript(tid).segments]
    print(json.dumps({"saved": saved, "error": error, "stored": stored}))
    """
)


def test_full_disk_is_a_clear_error_and_keeps_saved_segments(tmp_path):
    folder = tmp_path / "small-disk"
    folder.mkdir()
    path = folder / "library.sqlite3"
    # 640k: the schema, then each streamed segment also writes its search-index pages (about
    # 30 KiB of WAL).
    result = _in_mount_namespace(
        f"mount -t tmpfs -o size=640k tmpfs '{folder}'", _FILL_DISK, str(path)
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["error"] == f"Could not save to the library at {path}: disk is full."
    assert report["saved"] > 10
    assert report["stored"] == [str(i) for i in range(report["saved"])]


def test_the_library_is_readable_by_its_user_alone(tmp_path):
    folder = tmp_path / "data" / "grym"
    library = Library(folder / "library.sqlite3")
    try:
        library.begin_transcript("a.wav", "m", "ctranslate2", "int8", 1.0)  # writes the WAL
        assert folder.stat().st_mode & 0o777 == 0o700
        for name in ("library.sqlite3", "library.sqlite3-wal"):
            assert (folder / name).stat().st_mode & 0o777 == 0o600, name
    finally:
        library.close()


def test_closing_while_other_threads_write_never_crashes(tmp_path):
    """Writers finish or get the typed error; none touches a closed connection."""
    library = Library(tmp_path / "library.sqlite3")
    record = library.begin_transcript("a.wav", "m", "ctranslate2", "int8", 1.0)
    outcomes: list[str] = []

    def write() -> None:
        for i in range(400):
            try:
                library.add_segment(record, Segment(float(i), i + 0.5, f" word {i}"))
            except GrymError as exc:
                outcomes.append(str(exc))
                return
        outcomes.append("done")

    writers = [threading.Thread(target=write) for _ in range(4)]
    for w in writers:
        w.start()
    library.close()
    for w in writers:
        w.join()
    assert len(outcomes) == 4
    assert all(o == "done" or "it was closed" in o for o in outcomes)


def test_recovery_leaves_alone_what_a_live_process_is_writing(tmp_path):
    library = Library(tmp_path / "library.sqlite3")
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        mine = library.begin_transcript("a.wav", "m", "ctranslate2", "int8", 1.0)
        theirs, dead, reused = (library.begin_transcript(f"{n}.wav", "m", "ctranslate2",
                                                         "int8", 1.0) for n in "bcd")
        started = psutil.Process(other.pid).create_time()
        owners = [(other.pid, started, theirs), (2**22 + 7, started, dead),
                  (other.pid, started - 5.0, reused)]  # same pid, another process
        with sqlite3.connect(library.path) as db:
            db.executemany("UPDATE transcripts SET owner_pid = ?, owner_started = ?"
                           " WHERE id = ?", owners)
        assert Library(library.path).recover_interrupted() == 2
        status = {s.id: s.status for s in library.list_transcripts()}
        assert status == {mine: "running", theirs: "running", dead: "incomplete",
                          reused: "incomplete"}
    finally:
        other.kill()
        other.wait()
        library.close()


def test_a_version_1_library_gains_owners_and_keeps_its_transcripts(tmp_path):
    path = tmp_path / "library.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(
            "CREATE TABLE transcripts (id INTEGER PRIMARY KEY, file TEXT NOT NULL, model TEXT"
            " NOT NULL, engine TEXT NOT NULL, precision TEXT NOT NULL, language TEXT, duration"
            " REAL NOT NULL, created_at TEXT NOT NULL, status TEXT NOT NULL, error TEXT,"
            " fallback TEXT, metrics TEXT);"
            "CREATE TABLE segments (transcript_id INTEGER NOT NULL, idx INTEGER NOT NULL,"
            " start REAL NOT NULL, \"end\" REAL NOT NULL, text TEXT NOT NULL,"
            " words TEXT NOT NULL DEFAULT '[]', PRIMARY KEY (transcript_id, idx));"
            "INSERT INTO transcripts (file, model, engine, precision, duration, created_at,"
            " status) VALUES ('old.wav', 'm', 'ctranslate2', 'int8', 1.0, 'then', 'running');"
            "PRAGMA user_version = 1;")
    library = Library(path)
    try:
        assert library.recover_interrupted() == 1
        [old] = library.list_transcripts()
        assert old.file == "old.wav" and old.status == "incomplete"
    finally:
        library.close()


def test_a_version_2_library_gains_names_and_stars_and_keeps_its_transcripts(tmp_path):
    path = tmp_path / "library.sqlite3"
    library = Library(path)
    transcript_id = library.begin_transcript("talk.wav", "m", "ctranslate2", "int8", 1.0)
    library.close()
    with sqlite3.connect(path) as db:  # back to version 2, as an older app left it
        db.executescript("DROP TABLE answers_fts; DROP TABLE answers;"
                         "DROP TABLE comparison_runs; DROP TABLE comparisons;"
                         "DROP TRIGGER segments_fts_insert; DROP TRIGGER segments_fts_delete;"
                         "DROP TRIGGER segments_fts_update; DROP TABLE segments_fts;"
                         "DROP TABLE drafts;"
                         "DROP TABLE original_segments;"
                         "ALTER TABLE transcripts DROP COLUMN edited;"
                         "ALTER TABLE transcripts DROP COLUMN edited_at;"
                         "ALTER TABLE transcripts DROP COLUMN title;"
                         "ALTER TABLE transcripts DROP COLUMN starred;"
                         "ALTER TABLE transcripts DROP COLUMN speakers;"
                         "ALTER TABLE segments DROP COLUMN speaker;"
                         "PRAGMA user_version = 2;")
    library = Library(path)
    try:
        [row] = library.list_transcripts()
        assert row.file == "talk.wav" and row.name == "talk.wav" and not row.starred
        library.rename_transcript(transcript_id, "  Budget\nmeeting ")
        library.star_transcript(transcript_id)
        [row] = library.list_transcripts()
        assert row.name == "Budget meeting" and row.starred
        library.rename_transcript(transcript_id, "")
        library.star_transcript(transcript_id, False)
        [row] = library.list_transcripts()
        assert row.name == "talk.wav" and row.title is None and not row.starred
    finally:
        library.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 7


def test_a_name_too_long_or_an_unknown_transcript_is_a_clear_error(lib):
    transcript_id = lib.begin_transcript("a.wav", "m", "ctranslate2", "int8", 1.0)
    with pytest.raises(GrymError, match="at most 200 characters"):
        lib.rename_transcript(transcript_id, "x" * 201)
    with pytest.raises(GrymError, match="not in the library"):
        lib.star_transcript(transcript_id + 1)


def test_damaged_word_times_are_one_sentence_naming_the_transcript(lib):
    transcript_id = lib.begin_transcript("a.wav", "m", "ctranslate2", "int8", 1.0)
    lib.add_segment(transcript_id, Segment(0.0, 1.0, " hello"))
    with sqlite3.connect(lib.path) as db:
        db.execute("UPDATE segments SET words = '[{\"start\": 0}]'")
    with pytest.raises(GrymError, match=f"Transcript {transcript_id} .* is damaged"):
        lib.load_transcript(transcript_id)
