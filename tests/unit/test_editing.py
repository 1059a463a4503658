"""Corrections to a transcript, as pure functions over segments."""

from __future__ import annotations

import pytest

from grym_desktop import editing
from grym_desktop.transcript import Segment, Word


def words(text: str, start: float, step: float = 0.5) -> list[Word]:
    return [Word(round(start + i * step, 3), round(start + (i + 1) * step, 3), f" {w}")
            for i, w in enumerate(text.split())]


@pytest.fixture
def segments() -> list[Segment]:
    return [
        Segment(0.0, 2.0, " hello world this is", words("hello world this is", 0.0)),
        Segment(2.5, 4.5, " a test of the", words("a test of the", 2.5)),
        Segment(5.0, 6.0, " transcription", words("transcription", 5.0, 1.0)),
    ]


def test_editing_a_word_keeps_the_other_words_times(segments):
    edited = editing.set_text(segments, 0, "hello there this is")
    assert edited[0].text == " hello there this is"
    assert [w.word.strip() for w in edited[0].words] == ["hello", "there", "this", "is"]
    assert [(w.start, w.end) for w in edited[0].words] == [(w.start, w.end)
                                                            for w in segments[0].words]
    assert segments[0].text == " hello world this is"  # the input is left alone
    assert edited[1:] == segments[1:]


def test_split_at_a_word_cuts_where_that_word_starts_and_merge_undoes_it(segments):
    at = segments[1].text.index("of")
    parts = editing.split(segments, 1, at)
    assert [s.text for s in parts[1:3]] == [" a test", " of the"]
    assert parts[1].end == parts[2].start == 3.5  # "of" starts at 3.5 s
    assert [w.word.strip() for w in parts[2].words] == ["of", "the"]
    merged = editing.merge(parts, 1)
    assert merged == segments
    assert editing.split(segments, 1, 0) == segments  # a cut at an end changes nothing


def test_split_without_word_times_cuts_in_proportion_to_the_text():
    plain = [Segment(10.0, 20.0, " first half second half")]
    parts = editing.split(plain, 0, len(" first half"))
    assert parts[0].text == " first half" and parts[1].text == " second half"
    assert parts[0].end == pytest.approx(15.0, abs=0.6)


def test_nudges_stay_inside_the_neighbours_and_keep_a_segment_long_enough(segments):
    assert editing.nudge(segments, 1, "start", -0.2)[1].start == 2.3
    assert editing.nudge(segments, 1, "start", -10)[1].start == 0.0  # the previous start
    assert editing.nudge(segments, 1, "start", +10)[1].start == pytest.approx(4.45)
    assert editing.nudge(segments, 1, "end", +10)[1].end == 6.0  # the next end
    assert editing.nudge(segments, 2, "end", +1)[2].end == 7.0
    with pytest.raises(ValueError):
        editing.nudge(segments, 0, "middle", 1)


def test_delete_removes_one_segment(segments):
    assert editing.delete(segments, 1) == [segments[0], segments[2]]


def test_find_and_replace_with_case_and_whole_words():
    segs = [Segment(0, 1, " The cat and the Catalog"), Segment(1, 2, " THE end")]
    assert len(editing.find_all(segs, "the")) == 3
    assert len(editing.find_all(segs, "the", case=True)) == 1
    assert len(editing.find_all(segs, "cat")) == 2
    assert len(editing.find_all(segs, "cat", whole_word=True)) == 1
    assert editing.find_all(segs, "a.d") == []  # typed text, not a regular expression
    replaced, count = editing.replace_all(segs, "the", "a", whole_word=True)
    assert count == 3 and [s.text for s in replaced] == [" a cat and a Catalog", " a end"]
    assert editing.replace_all(segs, "", "x") == (segs, 0)
