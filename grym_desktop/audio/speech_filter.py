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


@dataclass
class SpeechFilter:
    """Speech probabilities of a whole file (one per 32 ms frame) and the rules to use them."""

    probabilities: np.ndarray
    threshold: float = 0.5  # a frame at or above this holds speech
    margin: float = 0.5  # seconds a word may lie away from speech (word times are approximate)

    def __post_init__(self) -> None:
        self._speech = np.asarray(self.probabilities) >= self.threshold
        self._count = np.concatenate([[0], np.cumsum(self._speech)])

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
        _, speech_end = self._speech_around(words[last].start)
        if last < len(words) - 1 or words[last].end > speech_end + self.margin:
            start, n = words[last].start, len(words) - last
            words[last:] = _spread(words[last:], start, max(speech_end, start + MIN_WORD * n))
        speech_start, _ = self._speech_around(words[first].end)
        if first > 0 or words[first].start < speech_start - self.margin:
            end, n = words[first].end, first + 1
            words[: first + 1] = _spread(words[: first + 1], min(speech_start, end - MIN_WORD * n),
                                         end)
        if words == segment.words:
            return segment
        return replace(segment, start=words[0].start, end=words[-1].end, words=words)

    def _speech_around(self, t: float) -> tuple[float, float]:
        """(start, end) seconds of the run of speech frames nearest to time t."""
        speech = self._speech
        if not speech.any():
            return t, t
        i = min(max(0, int(t / FRAME_SECONDS)), len(speech) - 1)
        if not speech[i]:
            frames = np.flatnonzero(speech)
            i = int(frames[np.argmin(np.abs(frames - i))])
        start = i
        while start > 0 and speech[start - 1]:
            start -= 1
        end = i
        while end + 1 < len(speech) and speech[end + 1]:
            end += 1
        return start * FRAME_SECONDS, (end + 1) * FRAME_SECONDS


def _spread(words: list[Word], start: float, end: float) -> list[Word]:
    """The words with new times, one after another in equal parts of [start, end]."""
    step = (end - start) / len(words)
    return [replace(w, start=round(start + k * step, 3), end=round(start + (k + 1) * step, 3))
            for k, w in enumerate(words)]
