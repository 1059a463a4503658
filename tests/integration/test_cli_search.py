"""`grym-desktop search` as a user runs it: a real process over the library in GRYM_DATA_DIR."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from grym_desktop.store.library import Library, default_library_path
from grym_desktop.transcript import Segment, Transcript


def grym(*args: str) -> subprocess.CompletedProcess:
    # The autouse isolated_data_dir fixture has set GRYM_DATA_DIR; the child inherits it.
    return subprocess.run([sys.executable, "-m", "grym_desktop", *args],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def filled(isolated_data_dir) -> dict[str, int]:
    """A library in GRYM_DATA_DIR with a finished file, a renamed file and a live session."""
    library = Library(default_library_path())
    assert library.path == isolated_data_dir / "library.sqlite3"
    ids = {}
    try:
        for file, segments in [
            ("/audio/meeting.wav", [Segment(0.0, 2.5, " Welcome to the budget meeting."),
                                    Segment(62.5, 65.0, " The budget is tight this year.")]),
            ("/audio/lecture.mp3", [Segment(3.0, 6.0, " Rivers run to the sea.")]),
        ]:
            tid = library.begin_transcript(file, "whisper-tiny.en", "ctranslate2", "int8", 70.0)
            library.finish_transcript(tid, Transcript(file, "whisper-tiny.en", "ctranslate2",
                                                      "int8", "en", 70.0, segments))
            ids[file] = tid
        library.rename_transcript(ids["/audio/lecture.mp3"], "Geography")
        live = library.begin_transcript("Live 2026-12-01 10:00", "whisper-tiny.en",
                                        "ctranslate2", "int8", 0.0)
        library.add_segment(live, Segment(1.0, 2.0, " A spoken budget note."))
        ids["live"] = live
    finally:
        library.close()
    return ids


def test_human_output_is_one_line_per_hit(filled):
    result = grym("search", "budget")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert sorted(lines) == sorted([
        "meeting.wav  00:00.00–00:02.50  Welcome to the «budget» meeting.",
        "meeting.wav  01:02.50–01:05.00  The «budget» is tight this year.",
        "Live 2026-12-01 10:00  00:01.00–00:02.00  A spoken «budget» note.",
    ])
    assert grym("search", "rivers", "sea").stdout == (
        "Geography  00:03.00–00:06.00  «Rivers» run to the «sea».\n")
    assert len(grym("search", "budget", "--limit", "1").stdout.splitlines()) == 1


def test_json_output_is_a_list_on_stdout_only(filled):
    result = grym("search", '"budget meeting" OR budg*', "--json")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    hits = json.loads(result.stdout)
    assert len(hits) == 3
    assert [h["rank"] for h in hits] == sorted(h["rank"] for h in hits)
    first = next(h for h in hits if h["segment_index"] == 0 and h["file"] == "/audio/meeting.wav")
    assert first == {"transcript_id": filled["/audio/meeting.wav"], "file": "/audio/meeting.wav",
                     "name": "meeting.wav", "segment_index": 0, "start": 0.0, "end": 2.5,
                     "snippet": "Welcome to the «budget meeting».", "rank": first["rank"]}


def test_no_hits_is_exit_0_with_an_empty_list_or_a_note(filled):
    result = grym("search", "volcano", "--json")
    assert (result.returncode, result.stdout, result.stderr) == (0, "[]\n", "")
    result = grym("search", "volcano")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "No matches.\n")


@pytest.mark.parametrize("query", ['"unclosed', "AND", "foo("])
def test_a_bad_query_is_exit_3_and_one_sentence(filled, query):
    for extra in ((), ("--json",)):
        result = grym("search", query, *extra)
        assert result.returncode == 3
        assert result.stdout == ""
        [line] = result.stderr.splitlines()
        assert line.startswith("grym-desktop: The search ‘") and query in line
        assert "Traceback" not in result.stderr


def test_a_limit_below_one_is_a_usage_error(filled):
    result = grym("search", "budget", "--limit", "0")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "grym-desktop: --limit must be at least 1.\n"
