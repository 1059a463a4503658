"""Text where VAD heard no speech is dropped; text where it did is kept whole."""

from __future__ import annotations

import numpy as np

from grym_desktop.audio.speech_filter import FRAME_SECONDS, SpeechFilter, only_new_words
from grym_desktop.transcript import Segment, Word


def probabilities(total: float, speech: list[tuple[float, float]]) -> np.ndarray:
    p = np.zeros(int(total / FRAME_SECONDS), np.float32)
    for start, end in speech:
        p[int(start / FRAME_SECONDS) : int(end / FRAME_SECONDS)] = 0.9
    return p


def segment(*words: tuple[float, float, str]) -> Segment:
    ws = [Word(s, e, w) for s, e, w in words]
    return Segment(ws[0].start, ws[-1].end, "".join(w.word for w in ws), ws)


def test_a_segment_in_silence_is_dropped():
    f = SpeechFilter(probabilities(30, [(2, 5)]))
    assert f.apply(segment((25.0, 26.5, " Thank"), (26.5, 27.0, " you."))) is None


def test_a_segment_on_speech_is_kept_unchanged():
    f = SpeechFilter(probabilities(30, [(2, 5)]))
    s = segment((2.1, 2.5, " hello"), (2.6, 3.0, " world"))
    assert f.apply(s) is s


def test_words_stretched_into_a_pause_are_kept_and_moved_back_onto_the_speech():
    f = SpeechFilter(probabilities(30, [(2, 5), (8, 10)]))
    s = segment((2.1, 2.5, " one"), (6.2, 6.6, " two"), (8.1, 8.5, " three"),
                (8.5, 14.0, " four"), (14.0, 14.0, " five."))
    kept = f.apply(s)
    assert kept.text == s.text, "every word is kept"
    assert [w.word for w in kept.words] == [w.word for w in s.words]
    assert kept.words[2].start == 8.1
    assert 8.5 <= kept.words[3].start and kept.words[-1].end <= 10.1
    assert kept.end <= 10.1


def test_words_before_speech_starts_are_moved_onto_it():
    f = SpeechFilter(probabilities(30, [(6, 9)]))
    kept = f.apply(segment((1.0, 1.2, " so"), (1.2, 6.5, " we"), (6.6, 7.0, " go")))
    assert kept.text == " so we go"
    assert kept.start >= 5.9 and kept.words[1].end == 6.5


def test_word_timing_within_the_margin_counts_as_speech():
    f = SpeechFilter(probabilities(30, [(2, 5)]), margin=0.5)
    assert f.apply(segment((5.3, 5.6, " late"))) is not None
    assert f.apply(segment((5.8, 6.2, " later"))) is None


def test_a_segment_without_words_is_judged_by_its_span():
    f = SpeechFilter(probabilities(30, [(2, 5)]))
    assert f.apply(Segment(2.0, 4.0, " hello")) is not None
    assert f.apply(Segment(12.0, 14.0, " you")) is None



def test_a_word_stretched_over_a_pause_goes_to_the_speech_it_reaches():
    # Whisper put the next sentence's "five five" right after "three", the first word
    # reaching over the pause to where it was really said: the words after it are placed
    # on that speech, not on the speech "three" was said in.
    f = SpeechFilter(probabilities(30, [(1, 3), (6, 7.5)]))
    kept = f.apply(segment((1.1, 2.9, " three,"), (2.9, 6.8, " five,"), (12.0, 12.0, " five.")))
    assert kept.words[0].end <= 3.0
    assert 6.0 <= kept.words[-1].end <= 7.6


def test_unheard_speech_is_the_speech_no_word_lies_in_or_near():
    f = SpeechFilter(probabilities(40, [(2, 5), (10, 12), (12.1, 12.4), (20, 20.2), (30, 33)]))
    heard = [segment((2.1, 2.5, " one"), (2.6, 4.9, " two")), segment((33.2, 33.4, " three"))]
    spans = f.unheard(heard, min_seconds=0.5, pad=0.5)
    # 10-12 and 12.1-12.4 are one stretch (a gap between words); 20-20.2 is too short to be
    # speech; a word just after 30-33 is its own, timed a little late.
    assert [(round(a, 1), round(b, 1)) for a, b in spans] == [(9.5, 12.9)]


def test_only_words_not_heard_before_are_added():
    heard = [segment((1.0, 1.4, " one"), (1.5, 2.0, " two"))]
    again = segment((1.05, 1.35, " one"), (1.5, 1.9, " two"), (2.2, 2.6, " three"))
    added = only_new_words(again, heard)
    assert [w.word for w in added.words] == [" three"] and added.text == " three"
    assert only_new_words(segment((1.1, 1.3, " one")), heard) is None


def test_unheard_spans_that_touch_are_joined_and_stay_inside_the_file():
    f = SpeechFilter(probabilities(10, [(0.2, 2), (2.6, 4), (9, 10)]))
    spans = f.unheard([], min_seconds=0.5, pad=0.5)
    assert spans[0][0] == 0.0 and round(spans[0][1], 1) == 4.5
    assert round(spans[-1][1], 2) <= 10.0


def test_speech_only_the_next_sentence_spills_into_is_unheard():
    # Whisper skipped "five five" (6-7.5) and stretched the next sentence back over it:
    # its first word "One" lands there alone, the rest where it was said (9-12).
    f = SpeechFilter(probabilities(20, [(1, 3), (6, 7.5), (9, 12)]))
    heard = [segment((1.2, 2.8, " go forward")),
             segment((7.3, 7.5, " One"), (7.5, 10.8, " two"), (10.8, 11.8, " three."))]
    spans = f.unheard(heard, min_seconds=0.5, pad=0.5)
    assert [(round(a, 1), round(b, 1)) for a, b in spans] == [(5.5, 8.0)]
    # The same word with its neighbour beside it is heard there.
    heard[1] = segment((7.3, 7.5, " One"), (7.5, 7.6, " two"), (9.8, 10.8, " three"),
                       (10.8, 11.8, " four."))
    assert f.unheard(heard, min_seconds=0.5, pad=0.5) == []
