"""The batch ledger on a real SQLite file: what a re-run skips and redoes, a killed batch,
moved and duplicate files, and the file's privacy."""

from __future__ import annotations

import os
import signal
import sqlite3
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from grym_desktop.batch.ledger import (
    LEDGER_NAME,
    SCHEMA_VERSION,
    Entry,
    Ledger,
    ledger_path,
    options_key,
)
from grym_desktop.errors import GrymError

MODEL = "whisper-tiny.en"
KEY = options_key({"model": MODEL, "precision": "int8", "format": ["txt"], "language": None})


def _files(n: int, folder: str = "/archive") -> list[tuple[Path, str]]:
    return [(Path(folder) / f"f{i}.wav", f"{i:064x}") for i in range(n)]


@pytest.fixture
def out(tmp_path) -> Path:
    return tmp_path / "out"


def _run(ledger: Ledger, entry: Entry, ok: bool = True) -> None:
    ledger.start(entry.id, "local-1")
    if ok:
        ledger.finish(entry.id, [f"/out/{entry.path.stem}.txt"], 12.5, 1.25)
    else:
        ledger.fail(entry.id, f"{entry.path} is damaged and cannot be decoded.")


def test_a_new_batch_is_all_todo(out):
    ledger = Ledger(out)
    plan = ledger.plan(_files(3), MODEL, KEY)
    assert [(e.path.name, e.status, e.attempts) for e in plan.todo] == [
        ("f0.wav", "pending", 0), ("f1.wav", "pending", 0), ("f2.wav", "pending", 0)]
    assert plan.skipped == [] and plan.duplicates == []
    assert ledger.summary() == {"pending": 3, "running": 0, "done": 0, "failed": 0}
    assert ledger.path == out / LEDGER_NAME == ledger_path(out)
    ledger.close()


def test_a_rerun_skips_what_is_done_and_retries_what_failed(out):
    ledger = Ledger(out)
    first = ledger.plan(_files(3), MODEL, KEY).todo
    _run(ledger, first[0])
    _run(ledger, first[1], ok=False)
    assert ledger.failures() == [("/archive/f1.wav",
                                  "/archive/f1.wav is damaged and cannot be decoded.")]
    ledger.close()

    ledger = Ledger(out)
    assert ledger.summary() == {"pending": 1, "running": 0, "done": 1, "failed": 1}
    plan = ledger.plan(_files(3), MODEL, KEY)
    assert [e.path.name for e in plan.skipped] == ["f0.wav"]
    done = plan.skipped[0]
    assert (done.status, done.outputs, done.audio_seconds, done.seconds, done.attempts,
            done.worker) == ("done", ["/out/f0.txt"], 12.5, 1.25, 1, "local-1")
    assert [(e.path.name, e.status, e.error, e.attempts) for e in plan.todo] == [
        ("f1.wav", "pending", None, 1), ("f2.wav", "pending", None, 0)]
    assert ledger.failures() == []
    _run(ledger, plan.todo[0])
    assert ledger.entry(plan.todo[0].id).attempts == 2
    ledger.close()


def test_a_killed_batch_resumes_its_running_files(out):
    ledger = Ledger(out)
    todo = ledger.plan(_files(2), MODEL, KEY).todo
    _run(ledger, todo[0])
    ledger.start(todo[1].id, "local-1")
    ledger.close()  # no finish: the batch was killed

    ledger = Ledger(out)
    assert ledger.summary()["running"] == 1
    plan = ledger.plan(_files(2), MODEL, KEY)
    assert [e.path.name for e in plan.todo] == ["f1.wav"]
    assert plan.todo[0].status == "pending"
    assert [e.path.name for e in plan.skipped] == ["f0.wav"]
    ledger.close()


def test_a_killed_process_loses_at_most_the_file_in_progress(out):
    script = textwrap.dedent(f"""
        import os, signal
        from pathlib import Path
        from grym_desktop.batch.ledger import Ledger
        ledger = Ledger(Path({str(out)!r}))
        todo = ledger.plan([(Path("/a/x.wav"), "aa"), (Path("/a/y.wav"), "bb")], "m", "{{}}").todo
        ledger.start(todo[0].id, "w")
        ledger.finish(todo[0].id, ["/o/x.txt"], 1.0, 0.5)
        ledger.start(todo[1].id, "w")
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    done = subprocess.run([sys.executable, "-c", script], timeout=60)
    assert done.returncode == -signal.SIGKILL
    ledger = Ledger(out)
    plan = ledger.plan([(Path("/a/x.wav"), "aa"), (Path("/a/y.wav"), "bb")], "m", "{}")
    assert [(e.path.name, e.outputs) for e in plan.skipped] == [("x.wav", ["/o/x.txt"])]
    assert [(e.path.name, e.attempts) for e in plan.todo] == [("y.wav", 1)]
    ledger.close()


def test_a_changed_model_or_options_redo_everything(out):
    ledger = Ledger(out)
    for entry in ledger.plan(_files(3), MODEL, KEY).todo:
        _run(ledger, entry)
    assert len(ledger.plan(_files(3), MODEL, KEY).skipped) == 3
    other_model = ledger.plan(_files(3), "whisper-base", options_key({"model": "whisper-base"}))
    assert len(other_model.todo) == 3 and other_model.skipped == []
    srt = options_key({"model": MODEL, "precision": "int8", "format": ["srt"], "language": None})
    assert len(ledger.plan(_files(3), MODEL, srt).todo) == 3
    assert ledger.summary() == {"pending": 3, "running": 0, "done": 0, "failed": 0}
    assert len(ledger.plan(_files(3), MODEL, KEY).skipped) == 3  # the first run's are kept
    ledger.close()


def test_options_key_is_stable():
    assert options_key({"b": 1, "a": [1, "é"]}) == options_key({"a": [1, "é"], "b": 1}) == (
        '{"a":[1,"é"],"b":1}')


def test_a_moved_file_is_skipped_and_its_path_updated(out):
    ledger = Ledger(out)
    entry = ledger.plan(_files(1, "/old"), MODEL, KEY).todo[0]
    _run(ledger, entry)
    plan = ledger.plan(_files(1, "/new/place"), MODEL, KEY)
    assert plan.todo == []
    assert [e.path for e in plan.skipped] == [Path("/new/place/f0.wav")]
    assert ledger.entry(entry.id).path == Path("/new/place/f0.wav")
    assert ledger.entry(entry.id).outputs == ["/out/f0.txt"]
    ledger.close()


def test_copies_of_one_file_are_transcribed_once(out):
    ledger = Ledger(out)
    files = [(Path("/a/one.wav"), "aa"), (Path("/a/copy.wav"), "aa"), (Path("/a/two.wav"), "bb"),
             (Path("/a/one.wav"), "aa")]
    plan = ledger.plan(files, MODEL, KEY)
    assert [e.path.name for e in plan.todo] == ["one.wav", "two.wav"]
    assert [(p.name, e.path.name) for p, e in plan.duplicates] == [("copy.wav", "one.wav")]
    _run(ledger, plan.todo[0])
    # The row keeps its own path while that is still one of the copies.
    plan = ledger.plan(list(reversed(files)), MODEL, KEY)
    assert [e.path.name for e in plan.skipped] == ["one.wav"]
    assert [(p.name, e.path.name) for p, e in plan.duplicates] == [("copy.wav", "one.wav")]
    ledger.close()


def test_summary_and_failures_cover_the_last_plan(out):
    ledger = Ledger(out)
    for entry in ledger.plan(_files(3), MODEL, KEY).todo:
        _run(ledger, entry, ok=False)
    ledger.plan(_files(1), MODEL, KEY)
    assert ledger.summary() == {"pending": 1, "running": 0, "done": 0, "failed": 0}
    ledger.close()
    ledger = Ledger(out)  # before a plan: every file
    assert ledger.summary() == {"pending": 1, "running": 0, "done": 0, "failed": 2}
    assert [path for path, _ in ledger.failures()] == ["/archive/f1.wav", "/archive/f2.wav"]
    ledger.close()


def test_the_ledger_is_private_and_the_output_folder_is_not(out):
    old = os.umask(0o022)
    try:
        ledger = Ledger(out)
        ledger.plan(_files(1), MODEL, KEY)
    finally:
        os.umask(old)
    assert stat.S_IMODE(ledger.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(out.stat().st_mode) == 0o755
    for side in (Path(f"{ledger.path}-wal"), Path(f"{ledger.path}-shm")):
        if side.exists():
            assert stat.S_IMODE(side.stat().st_mode) == 0o600
    with sqlite3.connect(ledger.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    ledger.close()


def test_unusable_ledgers_are_one_sentence(out):
    out.mkdir()
    (out / LEDGER_NAME).write_bytes(b"this is not a database" * 100)
    with pytest.raises(GrymError, match=f"^Could not open the batch ledger at {out / LEDGER_NAME}:"
                                        " the file is not a batch ledger database.$"):
        Ledger(out)
    (out / LEDGER_NAME).unlink()
    with sqlite3.connect(out / LEDGER_NAME) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(GrymError, match="made by a newer version of grym-desktop"):
        Ledger(out)
    blocked = out / "file"
    blocked.write_text("x")
    with pytest.raises(GrymError, match="^Could not open the batch ledger at .*: part of its "
                                        "folder path is a file.$"):
        Ledger(blocked / "out")


def test_unknown_and_closed(out):
    ledger = Ledger(out)
    with pytest.raises(GrymError, match="File 99 is not in the batch ledger"):
        ledger.start(99, "w")
    with pytest.raises(GrymError, match="File 99 is not in the batch ledger"):
        ledger.entry(99)
    ledger.close()
    assert ledger.closed
    with pytest.raises(GrymError, match="it was closed"):
        ledger.summary()
