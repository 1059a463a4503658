"""Drop what a model says where no one speaks: text outside the speech that VAD found.

Whisper invents words in silence and noise ("Thank you.", "You"); a segment or the
words at its edges that lie where Silero heard no speech, with a margin for word
timing error, are removed before they reach the transcript.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from grym_desktop.audio.vad import FRAME, SAMPLE_RATE
from grym_desktop.transcript import Segment

FRAME_SECONDS = FRAME / SAMPLE_RATE


@dataclass
class SpeechFilter:
    """Speech probabilities of a whole file (one per 32 ms frame) and the rules to use them."""

    probabilities: np.ndarray
    threshold: float = 0.5  # a frame at or above this holds speech
    margin: float = 0.5  # seconds a word may lie away from speech (word times are approximate)

    def __post_init__(self) -> None:
        speech = np.asarray(self.probabilities) >= self.threshold
        self._count = np.concatenate([[0], np.cumsum(speech)])

    def has_speech(self, start: float, end: float) -> bool:
        """True when any frame within the margin of [start, end] holds speech."""
        first = max(0, int((start - self.margin) / FRAME_SECONDS))
        last = min(len(self._count) - 1, int(np.ceil((end + self.margin) / FRAME_SECONDS)))
        return last > first and self._count[last] > self._count[first]

    def apply(self, segment: Segment) -> Segment | None:
        """The segment without the words at its edges that lie outside speech; None if all do."""
        if not segment.words:
            return segment if self.has_speech(segment.start, segment.end) else None
        heard = [self.has_speech(w.start, w.end) for w in segment.words]
        if not any(heard):
            return None
        if all(heard):
            return segment
        first = heard.index(True)
        last = len(heard) - 1 - heard[::-1].index(True)
        if first == 0 and last == len(heard) - 1:
            return segment  # only words inside the segment: keep them, speech surrounds them
        words = segment.words[first : last + 1]
        return replace(segment, start=words[0].start, end=words[-1].end,
                       text="".join(w.word for w in words), words=words)


def speech_regions(
    probabilities: np.ndarray, threshold: float = 0.5, pad: float = 0.4, merge_gap: float = 2.0
) -> list[tuple[float, float]]:
    """(start, end) seconds of speech, padded, with pauses shorter than merge_gap joined."""
    speech = np.asarray(probabilities) >= threshold
    edges = np.flatnonzero(np.diff(np.concatenate([[False], speech, [False]]).astype(np.int8)))
    regions: list[tuple[float, float]] = []
    for first, after in edges.reshape(-1, 2):
        start = max(0.0, first * FRAME_SECONDS - pad)
        end = after * FRAME_SECONDS + pad
        if regions and start - regions[-1][1] < merge_gap:
            regions[-1] = (regions[-1][0], end)
        else:
            regions.append((start, end))
    if regions:
        total = len(speech) * FRAME_SECONDS
        regions[-1] = (regions[-1][0], min(regions[-1][1], total))
    return [(round(s, 3), round(e, 3)) for s, e in regions]
