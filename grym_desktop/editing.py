"""Corrections a person makes to a transcript: each a function from segments to new segments.

Nothing here changes its input, so the window's undo stack only keeps the lists before and
after each step. Word times follow the text: words that are still there keep their times,
and new words share the time of what they replaced.
"""

from __future__ import annotations

import re
from dataclasses import replace
from difflib import SequenceMatcher

from grym_desktop.transcript import Segment, Word

MIN_SEGMENT = 0.05  # seconds: no edit leaves a segment shorter than this


def set_text(segments: list[Segment], index: int, text: str) -> list[Segment]:
    """The segments with segment `index` saying `text` (word times carried over)."""
    segment = segments[index]
    words = retime_words(segment.words, text, segment.start, segment.end)
    return _with(segments, index, [replace(segment, text=_spaced(text), words=words)])


def nudge(segments: list[Segment], index: int, edge: str, seconds: float) -> list[Segment]:
    """Move segment `index`'s start or end ("start"/"end") by `seconds`, kept inside its
    neighbours' spans and at least MIN_SEGMENT long."""
    segment = segments[index]
    if edge == "start":
        low = segments[index - 1].start if index > 0 else 0.0
        start = min(max(low, segment.start + seconds), segment.end - MIN_SEGMENT)
        changed = replace(segment, start=round(start, 3))
    elif edge == "end":
        high = segments[index + 1].end if index + 1 < len(segments) else float("inf")
        end = max(min(high, segment.end + seconds), segment.start + MIN_SEGMENT)
        changed = replace(segment, end=round(end, 3))
    else:
        raise ValueError(f"edge must be 'start' or 'end', not {edge!r}")
    return _with(segments, index, [changed])


def split(segments: list[Segment], index: int, at: int) -> list[Segment]:
    """Split segment `index` at character `at` of its text into two segments.

    The time of the cut is where the first word of the second part starts when word times
    exist, otherwise in proportion to the characters. A cut at either end changes nothing.
    """
    segment = segments[index]
    text = segment.text
    head, tail = text[:at].strip(), text[at:].strip()
    if not head or not tail:
        return list(segments)
    words_before = len(head.split())
    if segment.words and len(segment.words) == len(text.split()):
        first, second = segment.words[:words_before], segment.words[words_before:]
        cut = second[0].start if second else segment.end
    else:
        share = len(text[:at].strip()) / max(1, len(text.strip()))
        cut = segment.start + share * (segment.end - segment.start)
        first = [w for w in segment.words if (w.start + w.end) / 2 < cut]
        second = [w for w in segment.words if (w.start + w.end) / 2 >= cut]
    cut = round(min(max(cut, segment.start + MIN_SEGMENT), segment.end - MIN_SEGMENT), 3)
    return _with(segments, index, [
        Segment(segment.start, cut, _spaced(head), first, speaker=segment.speaker),
        Segment(cut, segment.end, _spaced(tail), second, speaker=segment.speaker),
    ])


def merge(segments: list[Segment], index: int) -> list[Segment]:
    """Join segment `index` with the one after it (the speaker of the longer one wins)."""
    if not 0 <= index < len(segments) - 1:
        return list(segments)
    a, b = segments[index], segments[index + 1]
    speaker = a.speaker if a.end - a.start >= b.end - b.start else b.speaker
    joined = Segment(a.start, max(a.end, b.end), _spaced(f"{a.text.strip()} {b.text.strip()}"),
                     a.words + b.words, speaker=speaker)
    return segments[:index] + [joined] + segments[index + 2:]


def delete(segments: list[Segment], index: int) -> list[Segment]:
    return segments[:index] + segments[index + 1:]


def pattern(find: str, case: bool = False, whole_word: bool = False) -> re.Pattern[str]:
    """The regular expression that finds `find` as typed (not as a regular expression)."""
    body = re.escape(find)
    if whole_word:
        body = rf"(?<!\w){body}(?!\w)"
    return re.compile(body, 0 if case else re.IGNORECASE)


def find_all(segments: list[Segment], find: str, case: bool = False,
             whole_word: bool = False) -> list[tuple[int, int, int]]:
    """(segment index, start, end) of every match, in reading order."""
    if not find:
        return []
    regex = pattern(find, case, whole_word)
    return [(i, m.start(), m.end()) for i, s in enumerate(segments)
            for m in regex.finditer(s.text)]


def replace_all(segments: list[Segment], find: str, replacement: str, case: bool = False,
                whole_word: bool = False) -> tuple[list[Segment], int]:
    """(the segments with every match replaced, how many were replaced)."""
    if not find:
        return list(segments), 0
    regex = pattern(find, case, whole_word)
    out, count = list(segments), 0
    for i, segment in enumerate(segments):
        text, n = regex.subn(lambda _m: replacement, segment.text)
        if n:
            out = set_text(out, i, text)
            count += n
    return out, count


def retime_words(words: list[Word], text: str, start: float, end: float) -> list[Word]:
    """Words of `text` with times: a word still spelled as before keeps its time; new words
    share the time of the words they replaced (or of the gap they fill)."""
    new = text.split()
    if not new or not words:
        return []
    old = [w.word.strip() for w in words]
    timed: list[Word] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag == "equal":
            timed += [replace(words[i], word=f" {new[j]}") for i, j in
                      zip(range(i1, i2), range(j1, j2), strict=True)]
            continue
        if j1 == j2:  # words deleted: their time is left out
            continue
        span_start = words[i1].start if i1 < i2 else (words[i1 - 1].end if i1 else start)
        span_end = words[i2 - 1].end if i1 < i2 else (words[i1].start if i1 < len(words) else end)
        step = max(0.0, span_end - span_start) / (j2 - j1)
        timed += [Word(round(span_start + k * step, 3), round(span_start + (k + 1) * step, 3),
                       f" {new[j]}") for k, j in enumerate(range(j1, j2))]
    return timed


def _spaced(text: str) -> str:
    """Whisper's segments begin with a space; edited text keeps that shape."""
    return " " + text.strip()


def _with(segments: list[Segment], index: int, changed: list[Segment]) -> list[Segment]:
    return segments[:index] + changed + segments[index + 1:]
