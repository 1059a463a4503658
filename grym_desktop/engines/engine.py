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

    def embed(self, samples: np.ndarray) -> np.ndarray:
        """One vector for up to 30 s of audio from the model's audio encoder."""
