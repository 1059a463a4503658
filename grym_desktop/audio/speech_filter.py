"""Keep what a model says where no one speaks out of the transcript, using the speech VAD found.

Whisper invents words in silence and noise ("Thank you.", "You"): a segment none of whose
words lie near speech that Silero heard (with a margin for word timing error) is dropped.
It also stretches the times of the last words before a pause far into it; those words are
real, so they are kept and placed back on the speech beside them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from grym_desktop.audio.vad import FRAME, SAMPLE_RATE
from grym_desktop.transcript import Segment, Word

FRAME_SECONDS = FRAME / SAMPLE_RATE
MIN_WORD = 0.1  # seconds: the least time a moved word is given
MIN_UNHEARD = 0.5  # seconds: shorter speech with no words is a breath or a click
WORD_GAP = 0.3  # seconds: speech either side of a shorter gap is one stretch
UNHEARD_PAD = 0.5  # seconds of audio either side of unheard speech decoded with it


@dataclass
class SpeechFilter:
    """Speech probabilities of a whole file (one per 32 ms frame) and the rules to use them."""

    probabilities: np.ndarray
    threshold: float = 0.5  # a frame at or above this holds speech
    margin: float = 0.5  # seconds a word may lie away from speech (word times are approximate)

    def __post_init__(self) -> None:
        self._speech = np.asarray(self.probabilities) >= self.threshold
        self._count = np.concatenate([[0], np.cumsum(self._speech)])
        runs = np.array(self._runs(), dtype=np.int64).reshape(-1, 2)
        self._run_starts, self._run_stops = runs[:, 0], runs[:, 1]

    def has_speech(self, start: float, end: float) -> bool:
        """True when any frame within the margin of [start, end] holds speech."""
        first = max(0, int((start - self.margin) / FRAME_SECONDS))
        last = min(len(self._count) - 1, int(np.ceil((end + self.margin) / FRAME_SECONDS)))
        return last > first and self._count[last] > self._count[first]

    def apply(self, segment: Segment) -> Segment | None:
        """The segment with its words placed on the speech VAD heard; None if none was heard.

        A segment with no word near speech is invented ("Thank you." in silence) and dropped.
        Words at a segment's edges that lie in a pause are real words whose times Whisper
        stretched into the pause (often seconds after the speech ended): they are kept and
        moved onto the edge of the speech beside them.
        """
        if not segment.words:
            return segment if self.has_speech(segment.start, segment.end) else None
        heard = [self.has_speech(w.start, w.end) for w in segment.words]
        if not any(heard):
            return None
        first = heard.index(True)
        last = len(heard) - 1 - heard[::-1].index(True)
        words = list(segment.words)
        word = words[last]
        _, run_end = self._run_under(word.start, word.end)
        if last < len(words) - 1 or word.end > run_end + self.margin:
            start, n = word.start, len(words) - last
            words[last:] = _spread(words[last:], start, max(run_end, start + MIN_WORD * n))
        word = words[first]
        run_start, _ = self._run_under(word.start, word.end)
        if first > 0 or word.start < run_start - self.margin:
            end, n = word.end, first + 1
            words[: first + 1] = _spread(words[: first + 1], min(run_start, end - MIN_WORD * n),
                                         end)
        if words == segment.words:
            return segment
        return replace(segment, start=words[0].start, end=words[-1].end, words=words)

    def unheard(self, segments: list[Segment], min_seconds: float = MIN_UNHEARD,
                pad: float = UNHEARD_PAD) -> list[tuple[float, float]]:
        """(start, end) of each run of speech, widened by `pad`, that no word of `segments`
        was heard in.

        Whisper decoding a whole file sometimes steps over a sentence after a long pause;
        these are the places to listen to again. A word counts for the run it lies in or
        within the margin of (its words are there, timed a little off), unless it is a
        segment's first or last word and its neighbour lies in another run: when Whisper
        skips a sentence it stretches the next one back over it, and that one word is all
        that lands there. Runs shorter than min_seconds are left alone.
        """
        heard: set[int] = set()
        for segment in segments:
            words = segment.words or [segment]
            runs = self._run_of(np.array([(w.start + w.end) / 2 for w in words]))
            heard.update(int(run) for k, run in enumerate(runs)
                         if run >= 0 and not _spilled_over(runs, k))
        spans: list[tuple[float, float]] = []
        for i, (first, stop) in enumerate(zip(self._run_starts.tolist(),
                                              self._run_stops.tolist(), strict=True)):
            start, end = first * FRAME_SECONDS, stop * FRAME_SECONDS
            if i in heard or end - start < min_seconds:
                continue
            start = max(0.0, start - pad)
            end = min(len(self._speech) * FRAME_SECONDS, end + pad)
            if spans and start <= spans[-1][1]:
                spans[-1] = (spans[-1][0], end)
            else:
                spans.append((start, end))
        return spans

    def _run_of(self, times: np.ndarray) -> np.ndarray:
        """Index of the run of speech each time lies in or within the margin of (the nearest
        one), or -1 where no run is that close."""
        count = len(self._run_starts)
        if not count:
            return np.full(len(times), -1)
        starts = self._run_starts * FRAME_SECONDS
        stops = self._run_stops * FRAME_SECONDS
        before = np.searchsorted(starts, times, side="right") - 1
        after = before + 1
        to_before = np.where(before >= 0, np.maximum(0.0, times - stops[before.clip(0)]), np.inf)
        to_after = np.where(after < count, starts[after.clip(max=count - 1)] - times, np.inf)
        nearest = np.where(to_before <= to_after, before, after)
        return np.where(np.minimum(to_before, to_after) <= self.margin, nearest, -1)

    def _runs(self) -> list[tuple[int, int]]:
        """(first, stop) frames of each run of speech, runs closer than WORD_GAP joined."""
        edges = np.flatnonzero(np.diff(np.concatenate([[0], self._speech.astype(np.int8), [0]])))
        runs: list[tuple[int, int]] = []
        for first, stop in edges.reshape(-1, 2).tolist():
            if runs and (first - runs[-1][1]) * FRAME_SECONDS < WORD_GAP:
                runs[-1] = (runs[-1][0], stop)
            else:
                runs.append((first, stop))
        return runs

    def _run_under(self, start: float, end: float) -> tuple[float, float]:
        """(start, end) seconds of the stretch of speech that holds most of [start, end], or
        the nearest one; a word Whisper stretched over a pause belongs to the speech it
        reaches furthest into, not to the speech it starts nearest to."""
        if not len(self._run_starts):
            return start, end
        starts = self._run_starts * FRAME_SECONDS
        stops = self._run_stops * FRAME_SECONDS
        overlap = np.minimum(stops, end) - np.maximum(starts, start)
        if overlap.max() > 0:
            i = int(np.argmax(overlap))
        else:
            i = int(np.argmin(np.maximum(starts - end, start - stops)))
        return float(starts[i]), float(stops[i])


def only_new_words(segment: Segment, heard: list[Segment]) -> Segment | None:
    """The segment without the words already heard at its times (a second decode of speech
    repeats the words that were found around what was missed); None if nothing is new."""
    spans = [(w.start, w.end) for s in heard for w in (s.words or [s])]

    def new(start: float, end: float) -> bool:
        middle = (start + end) / 2
        return not any(a <= middle <= b for a, b in spans)

    if not segment.words:
        return segment if new(segment.start, segment.end) else None
    words = [w for w in segment.words if new(w.start, w.end)]
    if not words:
        return None
    if len(words) == len(segment.words):
        return segment
    return replace(segment, start=words[0].start, end=words[-1].end,
                   text="".join(w.word for w in words), words=words)


def _spilled_over(runs: np.ndarray, k: int) -> bool:
    """True when word k is the first or last of its segment and its neighbour lies in
    another run of speech."""
    if len(runs) < 2:
        return False
    return bool((k == 0 and runs[1] != runs[0]) or (k == len(runs) - 1 and runs[-2] != runs[-1]))


def _spread(words: list[Word], start: float, end: float) -> list[Word]:
    """The words with new times, one after another in equal parts of [start, end]."""
    step = (end - start) / len(words)
    return [replace(w, start=round(start + k * step, 3), end=round(start + (k + 1) * step, 3))
            for k, w in enumerate(words)]
