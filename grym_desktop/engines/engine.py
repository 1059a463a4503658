"""What the model host asks of every engine: one loaded model and the operations on it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

from grym_desktop.audio.scan import AudioScan
from grym_desktop.options import DecodeOptions
from grym_desktop.transcript import Segment


class Engine(Protocol):
    """A loaded model. Adding a host operation means adding one method here."""

    # Whisper's mel filter bank when the scan should find the file's log-mel peak, else None.
    mel_filters: np.ndarray | None

    def transcribe_file(
        self, path: str, scan: AudioScan, options: DecodeOptions,
        on_segment: Callable[[Segment], None], on_progress: Callable[[float], None],
    ) -> str | None:
        """Decode a whole scanned file, sending segments as they are made; the language."""

    def transcribe_clip(
        self, samples: np.ndarray, options: DecodeOptions, language: str | None
    ) -> list[Segment]:
        """Decode a few seconds cut from a file on their own; times from the clip's start."""

    def transcribe_array(
        self, samples: np.ndarray, options: DecodeOptions
    ) -> tuple[list[Segment], str | None]:
        """Decode one short utterance held in memory (live use); segments and language."""

    def embed_spans(self, samples: np.ndarray, spans: np.ndarray) -> np.ndarray:
        """One vector per (start, end) seconds span of up to 30 s of audio: (spans, dim).

        The spans are checked by the host (inside the audio, start < end). Engines of a model
        with a text tower (CLAP) also have embed_text(texts) -> (texts, dim).
        """


FRAME_SECONDS = 0.02  # one Whisper encoder frame


def pool_frames(hidden: np.ndarray, spans: np.ndarray, frames: int) -> np.ndarray:
    """Mean of the encoder frames (FRAME_SECONDS each) inside each span: (spans, dim) float32.

    Only the first `frames` frames hold audio; a span covers each frame it touches, and at
    least one.
    """
    hidden = np.asarray(hidden[:frames], dtype=np.float32)
    starts = np.clip(np.floor(spans[:, 0] / FRAME_SECONDS + 1e-6).astype(int), 0, frames - 1)
    ends = np.clip(np.ceil(spans[:, 1] / FRAME_SECONDS - 1e-6).astype(int), starts + 1, frames)
    sums = np.concatenate([np.zeros((1, hidden.shape[1]), np.float64),
                           np.cumsum(hidden, axis=0, dtype=np.float64)])
    return ((sums[ends] - sums[starts]) / (ends - starts)[:, None]).astype(np.float32)
