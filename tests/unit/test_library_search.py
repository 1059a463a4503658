"""Full-text search, edits with the model's original kept, and drafts, on a real SQLite library."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace

import pytest

from grym_desktop.errors import GrymError, SearchQueryError
from grym_desktop.export.writers import render
from grym_desktop.store import library as library_module
from grym_desktop.store.library import SCHEMA_VERSION, Library, SearchHit
from grym_desktop.transcript import Segment, SpeakerInfo, Transcript, Word

MEETING = [
    Segment(0.0, 2.5, " Welcome to the budget meeting.",
            [Word(0.0, 0.5, " Welcome", 0.9), Word(1.2, 1.8, " budget", 0.8)]),
    Segment(2.5, 5.0, " The meeting is about the holiday."),
    Segment(5.0, 7.5, " Ça va très bien, merci."),
    Segment(7.5, 9.0, " We don't send e-mail budgets."),
]
LECTURE = [
    Segment(0.0, 3.0, " Budget, budget, budget: the only budget word here."),
    Segment(3.0, 6.0, " A lecture on rivers and the sea."),
]


@pytest.fixture
def lib(tmp_path):
    library = Library(tmp_path / "library.sqlite3")
    yield library
    library.close()


def _finished(lib: Library, file: str, segments: list[Segment]) -> int:
    tid = lib.begin_transcript(file, "whisper-tiny.en", "ctranslate2", "int8", 60.0)
    lib.finish_transcript(tid, Transcript(file, "whisper-tiny.en", "ctranslate2", "int8", "en",
                                          60.0, segments))
    return tid


def _indexed(path, query: str) -> list[int]:
    """Rowids the FTS index itself returns: a stale entry shows here even when the join hides it."""
    with sqlite3.connect(path) as raw:
        return [r for (r,) in raw.execute(
            "SELECT rowid FROM segments_fts WHERE segments_fts MATCH ? ORDER BY rowid", (query,))]


def _index_matches_segments(path) -> None:
    """The index holds exactly the segments, word for word."""
    with sqlite3.connect(path) as raw:
        raw.execute("INSERT INTO segments_fts (segments_fts, rank) VALUES ('integrity-check', 1)")
        counted = raw.execute("SELECT COUNT(*) FROM segments_fts_docsize").fetchone()[0]
        assert counted == raw.execute("SELECT COUNT(*) FROM segments").fetchone()[0]


def test_search_finds_words_in_every_transcript_with_where_they_are(lib):
    meeting = _finished(lib, "/audio/meeting.wav", MEETING)
    lecture = _finished(lib, "/audio/lecture.mp3", LECTURE)
    lib.rename_transcript(lecture, "Rivers lecture")
    hits = lib.search("budget")
    assert {(h.transcript_id, h.segment_index) for h in hits} == {(meeting, 0), (lecture, 0)}
    hit = next(h for h in hits if h.transcript_id == meeting)
    assert hit == SearchHit(meeting, "/audio/meeting.wav", "meeting.wav", 0, 0.0, 2.5,
                            "Welcome to the «budget» meeting.", hit.rank)
    assert next(h for h in hits if h.transcript_id == lecture).name == "Rivers lecture"
    assert all(isinstance(h.rank, float) for h in hits)


def test_a_live_session_is_searched_like_a_file(lib):
    session = lib.begin_transcript("Live 2026-12-01 10:00", "whisper-tiny.en", "ctranslate2",
                                   "int8", 0.0)
    lib.add_segment(session, Segment(0.0, 2.0, " Streamed budget words."))
    [hit] = lib.search("streamed")
    assert (hit.transcript_id, hit.name, hit.snippet) == (
        session, "Live 2026-12-01 10:00", "«Streamed» budget words.")


def test_hits_are_ranked_by_bm25_best_first_and_limited(lib):
    _finished(lib, "/audio/meeting.wav", MEETING)
    lecture = _finished(lib, "/audio/lecture.mp3", LECTURE)
    hits = lib.search("budget")
    assert [h.rank for h in hits] == sorted(h.rank for h in hits)
    assert (hits[0].transcript_id, hits[0].segment_index) == (lecture, 0)  # four times over
    assert hits[0].snippet == "«Budget», «budget», «budget»: the only «budget» word here."
    assert len(lib.search("the", limit=2)) == 2
    assert len(lib.search("the")) == 4


def test_plain_words_must_all_occur_in_any_order(lib):
    _finished(lib, "/audio/meeting.wav", MEETING)
    [hit] = lib.search("meeting budget")
    assert hit.snippet == "Welcome to the «budget» «meeting»."
    assert [h.segment_index for h in lib.search("don't")] == [3]
    assert lib.search("e-mail")[0].snippet == "We don't send «e-mail» budgets."
    assert lib.search("ca va")[0].snippet == "«Ça» «va» très bien, merci."
    assert lib.search("7.5 10:30 C++") == []  # words, not syntax
    assert lib.search("meeting or holiday") == []  # "or" in lower case is a word to find
    assert [h.segment_index for h in lib.search("meeting OR holiday")] == [1, 0]


def test_fts5_syntax_phrases_prefixes_and_operators(lib):
    _finished(lib, "/audio/meeting.wav", MEETING)
    found = {q: sorted(h.segment_index for h in lib.search(q)) for q in (
        '"budget meeting"', '"meeting budget"', "budg*", "budget NOT meeting",
        "holiday OR merci", "NEAR(welcome meeting, 3)")}
    assert found == {'"budget meeting"': [0], '"meeting budget"': [], "budg*": [0, 3],
                     "budget NOT meeting": [], "holiday OR merci": [1, 2],
                     "NEAR(welcome meeting, 3)": [0]}
    assert {h.snippet for h in lib.search("budg*")} == {
        "Welcome to the «budget» meeting.", "We don't send e-mail «budgets»."}


@pytest.mark.parametrize("query", ['"unclosed', "AND", "foo(", "meeting OR", '"a" x:b', "*"])
def test_a_malformed_query_is_one_sentence_naming_it(lib, query):
    _finished(lib, "/audio/meeting.wav", MEETING)
    with pytest.raises(SearchQueryError) as caught:
        lib.search(query)
    message = str(caught.value)
    assert f"‘{query}’" in message and "\n" not in message and message.endswith(".")
    assert caught.value.exit_code == 3 and isinstance(caught.value, GrymError)


@pytest.mark.parametrize("query", ["", "   \t"])
def test_an_empty_query_is_a_search_query_error(lib, query):
    with pytest.raises(SearchQueryError, match="empty"):
        lib.search(query)


def test_the_index_follows_finish_transcript_delete_and_reinsert(lib):
    tid = lib.begin_transcript("/audio/meeting.wav", "whisper-tiny.en", "ctranslate2", "int8", 9.0)
    lib.add_segment(tid, Segment(0.0, 1.0, " a streamed draft sentence"))
    assert [h.transcript_id for h in lib.search("draft")] == [tid]
    lib.finish_transcript(tid, Transcript("/audio/meeting.wav", "whisper-tiny.en", "ctranslate2",
                                          "int8", "en", 9.0, MEETING))
    assert lib.search("draft") == [] and _indexed(lib.path, "draft") == []
    assert [h.segment_index for h in lib.search("holiday")] == [1]
    _index_matches_segments(lib.path)


def test_the_index_follows_an_update_of_a_segments_text(lib):
    tid = _finished(lib, "/audio/meeting.wav", MEETING)
    with sqlite3.connect(lib.path) as raw:
        raw.execute("UPDATE segments SET text = ' rivers' WHERE transcript_id = ? AND idx = 1",
                    (tid,))
    assert lib.search("holiday") == [] and _indexed(lib.path, "holiday") == []
    assert [h.segment_index for h in lib.search("rivers")] == [1]
    _index_matches_segments(lib.path)


def test_save_edit_keeps_the_models_original_and_is_searched(lib):
    tid = _finished(lib, "/audio/meeting.wav", MEETING)
    first = [Segment(0.0, 2.5, " Welcome to the quarterly review."), *MEETING[1:]]
    lib.save_edit(tid, first)
    assert lib.search("budget meeting") == [] and _indexed(lib.path, "budget") == []
    assert [h.segment_index for h in lib.search("quarterly review")] == [0]

    second = [Segment(0.0, 3.0, " Welcome, all."), Segment(3.0, 9.0, " Nothing else.")]
    lib.save_edit(tid, second)  # the original stays the model's, not the first edit
    edited = lib.load_transcript(tid)
    assert edited.segments == second and edited.edited is True
    original = lib.load_original(tid)
    assert original.segments == MEETING and original.edited is False
    assert original.segments[0].words == MEETING[0].words
    assert lib.search("quarterly") == [] and lib.search("holiday") == []
    [summary] = lib.list_transcripts()
    assert summary.edited and summary.segment_count == 2
    assert summary.preview == "Welcome, all. Nothing else."
    _index_matches_segments(lib.path)


def test_an_edited_transcript_exports_its_edits_and_says_so(lib):
    tid = _finished(lib, "/audio/meeting.wav", MEETING)
    lib.save_edit(tid, [Segment(0.0, 2.0, " Corrected text.")])
    edited = lib.load_transcript(tid)
    assert json.loads(render(edited, "json"))["edited"] is True
    assert render(edited, "txt") == "Corrected text.\n"
    assert "00:00:00,000 --> 00:00:02,000\nCorrected text." in render(edited, "srt")
    assert "00:00:00.000 --> 00:00:02.000\nCorrected text." in render(edited, "vtt")
    assert json.loads(render(lib.load_original(tid), "json"))["edited"] is False


def test_a_never_edited_transcripts_original_is_itself(lib):
    tid = _finished(lib, "/audio/meeting.wav", MEETING)
    assert lib.load_original(tid) == lib.load_transcript(tid)
    assert not lib.load_transcript(tid).edited and not lib.list_transcripts()[0].edited
    with sqlite3.connect(lib.path) as raw:
        assert raw.execute("SELECT COUNT(*) FROM original_segments").fetchone()[0] == 0


def test_save_edit_discards_the_draft_in_the_same_transaction(lib):
    tid = _finished(lib, "/audio/meeting.wav", MEETING)
    lib.save_draft(tid, MEETING[:1])
    lib.save_edit(tid, MEETING[:2])
    assert lib.load_draft(tid) is None and lib.drafts() == []


def test_save_edit_of_an_unknown_or_running_transcript_is_an_error(lib):
    with pytest.raises(GrymError, match="Transcript 42 is not in the library"):
        lib.save_edit(42, MEETING)
    running = lib.begin_transcript("/audio/a.wav", "whisper-tiny.en", "ctranslate2", "int8", 1.0)
    lib.add_segment(running, MEETING[0])
    with pytest.raises(GrymError, match="still being written"):
        lib.save_edit(running, MEETING[1:])
    assert lib.load_transcript(running).segments == MEETING[:1]
    with pytest.raises(GrymError, match="not in the library"):
        lib.load_original(42)


def test_drafts_survive_closing_and_reopening_the_library(tmp_path):
    path = tmp_path / "library.sqlite3"
    lib = Library(path)
    older, newer = _finished(lib, "/audio/a.wav", MEETING), _finished(lib, "/audio/b.wav", LECTURE)
    draft = [Segment(0.0, 2.5, " Half-typed correc", [Word(0.0, 1.0, " Half", 0.5)])]
    lib.save_draft(older, draft)
    lib.save_draft(newer, LECTURE[:1])
    lib.close()

    lib = Library(path)
    try:
        assert lib.drafts() == [newer, older]
        assert lib.load_draft(older) == draft
        lib.save_draft(older, MEETING)  # saved again: replaced, and now the newest
        assert lib.drafts() == [older, newer] and lib.load_draft(older) == MEETING
        lib.discard_draft(newer)
        lib.discard_draft(newer)  # nothing to discard is fine
        assert lib.drafts() == [older] and lib.load_draft(newer) is None
        assert lib.load_transcript(older).segments == MEETING  # a draft is not an edit
    finally:
        lib.close()


def test_a_draft_of_an_unknown_transcript_is_an_error(lib):
    with pytest.raises(GrymError, match="Transcript 7 is not in the library"):
        lib.save_draft(7, MEETING)


def test_deleting_a_transcript_removes_its_index_entries_originals_and_draft(lib):
    keep = _finished(lib, "/audio/keep.wav", LECTURE)
    gone = _finished(lib, "/audio/gone.wav", MEETING)
    lib.save_edit(gone, [Segment(0.0, 1.0, " edited holiday budget")])
    lib.save_draft(gone, MEETING)
    lib.delete_transcript(gone)  # ON DELETE CASCADE: the segments' delete trigger must fire

    assert [h.transcript_id for h in lib.search("budget")] == [keep]
    assert lib.search("holiday") == [] and _indexed(lib.path, "holiday") == []
    assert lib.drafts() == [] and lib.load_draft(gone) is None
    with sqlite3.connect(lib.path) as raw:
        for table in ("segments", "original_segments", "drafts"):
            assert raw.execute(f"SELECT COUNT(*) FROM {table} WHERE transcript_id = ?",
                               (gone,)).fetchone()[0] == 0
    _index_matches_segments(lib.path)


def test_a_common_word_ranks_its_newest_matches(lib, monkeypatch):
    monkeypatch.setattr(library_module, "RANKED_MATCHES", 3)
    old = _finished(lib, "/audio/old.wav", [Segment(0, 1, " budget budget budget")])
    new = _finished(lib, "/audio/new.wav", [Segment(i, i + 1, f" budget and {i} other words")
                                            for i in range(4)])
    hits = lib.search("budget")
    assert sorted((h.transcript_id, h.segment_index) for h in hits) == [(new, 1), (new, 2),
                                                                        (new, 3)]
    monkeypatch.setattr(library_module, "RANKED_MATCHES", 10)
    assert lib.search("budget")[0].transcript_id == old  # among all five, it is the best


# What version 3 of the app created (grym_desktop/store/library.py before search and edits).
V3_SCHEMA = """
CREATE TABLE transcripts (
    id INTEGER PRIMARY KEY, file TEXT NOT NULL, model TEXT NOT NULL, engine TEXT NOT NULL,
    precision TEXT NOT NULL, language TEXT, duration REAL NOT NULL, created_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN
        ('running', 'complete', 'incomplete', 'failed', 'cancelled')),
    error TEXT, fallback TEXT, metrics TEXT, owner_pid INTEGER, owner_started REAL, title TEXT,
    starred INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE segments (
    transcript_id INTEGER NOT NULL REFERENCES transcripts(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL, start REAL NOT NULL, "end" REAL NOT NULL, text TEXT NOT NULL,
    words TEXT NOT NULL DEFAULT '[]', PRIMARY KEY (transcript_id, idx)
);
CREATE INDEX transcripts_status ON transcripts(status);
PRAGMA user_version = 3;
"""


def test_a_version_3_library_is_migrated_and_its_transcripts_indexed(tmp_path):
    path = tmp_path / "library.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(V3_SCHEMA)
        for tid, (file, segments) in enumerate(
                [("/audio/meeting.wav", MEETING), ("/audio/lecture.mp3", LECTURE)], start=1):
            db.execute("INSERT INTO transcripts (id, file, model, engine, precision, duration,"
                       " created_at, status, title) VALUES (?, ?, 'm', 'ctranslate2', 'int8',"
                       " 60.0, '2026-11-30T09:00:00+01:00', 'complete', ?)",
                       (tid, file, "Old lecture" if tid == 2 else None))
            db.executemany(
                'INSERT INTO segments (transcript_id, idx, start, "end", text, words)'
                " VALUES (?, ?, ?, ?, ?, ?)",
                [(tid, i, s.start, s.end, s.text,
                  json.dumps([vars(w) for w in s.words])) for i, s in enumerate(segments)])
        old_rowids = db.execute("SELECT rowid, text FROM segments ORDER BY rowid").fetchall()

    lib = Library(path)
    try:
        hits = lib.search("budget")
        assert {(h.name, h.segment_index) for h in hits} == {("meeting.wav", 0),
                                                             ("Old lecture", 0)}
        assert [h.segment_index for h in lib.search('"the holiday"')] == [1]
        assert lib.load_transcript(1).segments == MEETING and not lib.load_transcript(1).edited
        lib.save_edit(1, [Segment(0.0, 1.0, " new words")])  # the new tables work too
        assert lib.load_original(1).segments == MEETING
        assert [h.transcript_id for h in lib.search("new words")] == [1]
    finally:
        lib.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 7
        kept = db.execute("SELECT id, text FROM segments WHERE transcript_id = 2 ORDER BY id")
        assert kept.fetchall() == [r for r in old_rowids if r[1] in {s.text for s in LECTURE}]
        fks = db.execute("PRAGMA foreign_key_list(segments)").fetchall()
        assert [(fk[2], fk[6]) for fk in fks] == [("transcripts", "CASCADE")]
    _index_matches_segments(path)



# --- speakers (version 5) -------------------------------------------------------------

CONVERSATION = [
    Segment(0.0, 2.5, " Welcome to the budget meeting.",
            [Word(0.0, 0.5, " Welcome", 0.9, "Speaker 1"),
             Word(1.2, 1.8, " budget", 0.8, "Speaker 2")], "Speaker 1"),
    Segment(2.5, 5.0, " The meeting is about the holiday.", speaker="Speaker 2"),
    Segment(5.0, 7.5, " Ça va très bien, merci.", speaker="Speaker 1"),
    Segment(7.5, 9.0, " We don't send e-mail budgets."),
]
SPEAKERS = [SpeakerInfo("Speaker 1", 5.0, "Alice", 0.82), SpeakerInfo("Speaker 2", 2.5)]


def _conversation(lib: Library, streamed: bool = False) -> int:
    tid = lib.begin_transcript("/audio/talk.wav", "whisper-tiny.en", "ctranslate2", "int8", 9.0)
    if streamed:
        for s in CONVERSATION:
            lib.add_segment(tid, s)
    lib.finish_transcript(tid, Transcript("/audio/talk.wav", "whisper-tiny.en", "ctranslate2",
                                          "int8", "en", 9.0, [] if streamed else CONVERSATION,
                                          speakers=SPEAKERS))
    return tid


@pytest.mark.parametrize("streamed", [False, True])
def test_speakers_of_segments_words_and_the_list_round_trip(lib, streamed):
    loaded = lib.load_transcript(_conversation(lib, streamed))
    assert loaded.segments == CONVERSATION and loaded.speakers == SPEAKERS
    assert loaded.segments[0].words[1].speaker == "Speaker 2"
    plain_id = _finished(lib, "/audio/meeting.wav", MEETING)
    plain = lib.load_transcript(plain_id)
    assert plain.speakers == [] and plain.segments == MEETING
    with sqlite3.connect(lib.path) as raw:  # words without a speaker are stored as before
        (words,) = raw.execute("SELECT words FROM segments WHERE transcript_id = ? AND idx = 0",
                               (plain_id,)).fetchone()
        assert json.loads(words) == [{"start": 0.0, "end": 0.5, "word": " Welcome",
                                      "probability": 0.9},
                                     {"start": 1.2, "end": 1.8, "word": " budget",
                                      "probability": 0.8}]


def test_rename_speaker_is_a_plain_update_of_segments_words_list_original_and_draft(lib):
    tid = _conversation(lib)
    edited = [replace(s) for s in CONVERSATION]
    edited[3] = Segment(7.5, 9.0, " We never send e-mail budgets.", speaker="Speaker 2")
    lib.save_edit(tid, edited)
    lib.save_draft(tid, edited[:2])
    lib.rename_speaker(tid, "Speaker 2", "  Bob ")
    loaded = lib.load_transcript(tid)
    assert [s.speaker for s in loaded.segments] == ["Speaker 1", "Bob", "Speaker 1", "Bob"]
    assert [w.speaker for w in loaded.segments[0].words] == ["Speaker 1", "Bob"]
    assert loaded.speakers == [SPEAKERS[0], SpeakerInfo("Bob", 2.5)]
    assert loaded.edited  # by the text edit; the rename neither marks nor copies anything
    assert [s.speaker for s in lib.load_original(tid).segments] == ["Speaker 1", "Bob",
                                                                   "Speaker 1", None]
    assert [s.speaker for s in lib.load_draft(tid)] == ["Speaker 1", "Bob"]
    assert [h.segment_index for h in lib.search("never")] == [3]  # the index is untouched
    _index_matches_segments(lib.path)
    never_edited = _conversation(lib)
    lib.rename_speaker(never_edited, "Speaker 1", "Alice")
    assert not lib.load_transcript(never_edited).edited
    assert lib.load_original(never_edited).segments[0].speaker == "Alice"
    assert "[Alice] Welcome" in render(lib.load_transcript(never_edited), "srt")


def test_renaming_onto_an_existing_speaker_merges_them(lib):
    tid = _conversation(lib)
    lib.rename_speaker(tid, "Speaker 2", "Speaker 1")
    loaded = lib.load_transcript(tid)
    assert {s.speaker for s in loaded.segments} == {"Speaker 1", None}
    assert {w.speaker for s in loaded.segments for w in s.words} == {"Speaker 1"}
    assert loaded.speakers == [SpeakerInfo("Speaker 1", 7.5, "Alice", 0.82)]


def test_rename_speaker_refusals_are_one_sentence_and_change_nothing(lib):
    tid = _conversation(lib)
    with pytest.raises(GrymError, match="has no speaker called ‘Carol’"):
        lib.rename_speaker(tid, "Carol", "Dave")
    with pytest.raises(GrymError, match="needs a name"):
        lib.rename_speaker(tid, "Speaker 1", " ")
    with pytest.raises(GrymError, match="not in the library"):
        lib.rename_speaker(tid + 10, "Speaker 1", "Alice")
    running = lib.begin_transcript("/audio/live.wav", "m", "ctranslate2", "int8", 1.0)
    lib.add_segment(running, Segment(0.0, 1.0, " hi", speaker="Speaker 1"))
    with pytest.raises(GrymError, match="still being written"):
        lib.rename_speaker(running, "Speaker 1", "Alice")
    assert lib.load_transcript(tid).segments == CONVERSATION


def test_rename_speaker_everywhere_renames_names_and_offered_voices(lib):
    first, second = _conversation(lib), _conversation(lib)
    lib.rename_speaker(first, "Speaker 1", "Alice")
    lecture = _finished(lib, "/audio/lecture.mp3", LECTURE)
    assert lib.rename_speaker_everywhere("Alice", "Alice Smith") == [first, second]
    assert lib.load_transcript(first).speakers[0] == SpeakerInfo("Alice Smith", 5.0,
                                                                 "Alice Smith", 0.82)
    assert lib.load_transcript(first).segments[0].speaker == "Alice Smith"
    # In the second, Alice was only offered as the voice of Speaker 1.
    assert lib.load_transcript(second).speakers[0] == SpeakerInfo("Speaker 1", 5.0,
                                                                  "Alice Smith", 0.82)
    assert lib.load_transcript(lecture).segments == LECTURE


def test_save_speakers_replaces_the_list_only(lib):
    tid = _conversation(lib)
    lib.save_speakers(tid, [SpeakerInfo("Speaker 1", 5.0, "Alice"), SPEAKERS[1]])
    loaded = lib.load_transcript(tid)
    assert loaded.speakers[0].confidence is None and loaded.segments == CONVERSATION
    lib.save_edit(tid, CONVERSATION[:1], speakers=[SpeakerInfo("Speaker 1", 2.5)])
    assert lib.load_transcript(tid).speakers == [SpeakerInfo("Speaker 1", 2.5)]
    assert lib.load_original(tid).speakers == [SpeakerInfo("Speaker 1", 2.5)]


def test_a_version_4_library_gains_speakers_and_keeps_everything(tmp_path):
    path = tmp_path / "library.sqlite3"
    with sqlite3.connect(path, isolation_level=None) as db:
        db.executescript(library_module._SCHEMA)  # the version 4 schema, triggers and all
        assert db.execute("PRAGMA user_version").fetchone()[0] == 4
        for tid, (file, segments) in enumerate(
                [("/audio/meeting.wav", MEETING), ("/audio/lecture.mp3", LECTURE)], start=1):
            db.execute("INSERT INTO transcripts (id, file, model, engine, precision, duration,"
                       " created_at, status, title, starred, edited) VALUES (?, ?, 'm',"
                       " 'ctranslate2', 'int8', 60.0, '2026-11-30T09:00:00+01:00', 'complete',"
                       " ?, ?, ?)", (tid, file, "Old lecture" if tid == 2 else None, tid == 2,
                                     tid == 1))
            db.executemany(
                'INSERT INTO segments (transcript_id, idx, start, "end", text, words)'
                " VALUES (?, ?, ?, ?, ?, ?)",
                [(tid, i, s.start, s.end, s.text, json.dumps([vars(w) for w in s.words]))
                 for i, s in enumerate(segments)])
        db.execute('INSERT INTO original_segments (transcript_id, idx, start, "end", text)'
                   " VALUES (1, 0, 0.0, 2.5, ' The model heard this.')")
        db.execute("INSERT INTO drafts VALUES (2, ?, '2026-11-30T10:00:00+00:00')",
                   (json.dumps([{"start": 0.0, "end": 1.0, "text": " draft", "words": []}]),))
        before = db.execute("SELECT id, transcript_id, idx, text, words FROM segments"
                            " ORDER BY id").fetchall()

    lib = Library(path)
    try:
        assert lib.load_transcript(1).segments == MEETING and lib.load_transcript(1).edited
        assert lib.load_original(1).segments == [Segment(0.0, 2.5, " The model heard this.")]
        assert lib.load_draft(2) == [Segment(0.0, 1.0, " draft")]
        assert [(r.name, r.starred) for r in lib.list_transcripts()] == [
            ("Old lecture", True), ("meeting.wav", False)]
        assert lib.load_transcript(2).speakers == []
        hits = lib.search("budget")
        assert {(h.name, h.segment_index) for h in hits} == {("meeting.wav", 0),
                                                             ("Old lecture", 0)}
        lib.save_edit(2, [Segment(0.0, 1.0, " rivers", speaker="Speaker 1")],
                      speakers=[SpeakerInfo("Speaker 1", 1.0)])
        lib.rename_speaker(2, "Speaker 1", "Alice")
        assert lib.load_transcript(2).segments[0].speaker == "Alice"
        assert [h.transcript_id for h in lib.search("rivers")] == [2]  # triggers still fire
    finally:
        lib.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 7
        kept = db.execute("SELECT id, transcript_id, idx, text, words FROM segments"
                          " WHERE transcript_id = 1 ORDER BY id").fetchall()
        assert kept == [r for r in before if r[1] == 1]
        triggers = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type ="
                                             " 'trigger'")}
        assert triggers == {"segments_fts_insert", "segments_fts_delete", "segments_fts_update",
                            "answers_fts_insert", "answers_fts_delete"}
    _index_matches_segments(path)


def test_a_new_library_and_a_migrated_one_have_the_same_schema(tmp_path):
    Library(tmp_path / "new.sqlite3").close()
    with sqlite3.connect(tmp_path / "old.sqlite3", isolation_level=None) as db:
        db.executescript(library_module._SCHEMA)
    Library(tmp_path / "old.sqlite3").close()

    def schema(name: str) -> list[tuple]:
        with sqlite3.connect(tmp_path / name) as db:
            return db.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
    assert schema("new.sqlite3") == schema("old.sqlite3")


def test_a_name_that_json_escapes_is_renamed_in_words_too(lib):
    odd = 'Dr "Q" \\ Ünal'
    tid = lib.begin_transcript("/audio/q.wav", "m", "ctranslate2", "int8", 2.0)
    segment = Segment(0.0, 2.0, " hi there", [Word(0.0, 1.0, " hi", 0.9, odd),
                                              Word(1.0, 2.0, " there", 0.9, odd)], odd)
    lib.finish_transcript(tid, Transcript("/audio/q.wav", "m", "ctranslate2", "int8", "en", 2.0,
                                          [segment], speakers=[SpeakerInfo(odd, 2.0)]))
    lib.rename_speaker(tid, odd, "Q")
    loaded = lib.load_transcript(tid)
    assert [w.speaker for w in loaded.segments[0].words] == ["Q", "Q"]
    assert loaded.segments[0].speaker == "Q" and loaded.speakers == [SpeakerInfo("Q", 2.0)]
