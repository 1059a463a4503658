"""Whisper on CTranslate2 through faster-whisper. Runs only inside the model host."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
from faster_whisper import BatchedInferencePipeline, WhisperModel

from grym_desktop.audio.decode import SAMPLE_RATE
from grym_desktop.transcript import Segment, Word

ENGINE = "ctranslate2"


class CTranslate2Whisper:
    """A loaded faster-whisper model that decodes windows of 16 kHz audio."""

    def __init__(self, model_dir: Path, precision: str, cpu_threads: int = 0):
        self.precision = precision
        self.model = WhisperModel(
            str(model_dir), device="cpu", compute_type=precision, cpu_threads=cpu_threads
        )

    def transcribe_windows(
        self,
        windows: Iterable[tuple[float, np.ndarray]],
        duration: float,
        options: dict[str, Any],
        on_segment: Callable[[Segment], None],
        on_progress: Callable[[float], None],
    ) -> str | None:
        """Decode each (offset, samples) window, reporting segments with absolute times.

        Returns the detected (or given) language. The last text of a window is
        the prompt of the next, as Whisper conditions on previous text itself.
        """
        language = options.get("language")
        prompt = None
        for offset, samples in windows:
            common = dict(
                language=language,
                task=options.get("task", "transcribe"),
                beam_size=options.get("beam_size", 5),
                word_timestamps=options.get("word_timestamps", True),
            )
            if options.get("batched"):
                # The batched pipeline cuts speech with VAD and decodes those pieces in parallel.
                pipeline = BatchedInferencePipeline(self.model)
                segments, info = pipeline.transcribe(
                    samples, batch_size=options.get("batch_size", 8), **common
                )
            else:
                segments, info = self.model.transcribe(
                    samples,
                    vad_filter=options.get("vad_filter", False),
                    condition_on_previous_text=options.get("condition_on_previous_text", True),
                    initial_prompt=prompt,
                    **common,
                )
            language = language or info.language
            window_end = offset + len(samples) / SAMPLE_RATE
            for s in segments:
                segment = _to_segment(s, offset)
                on_segment(segment)
                prompt = s.text
                on_progress(min(segment.end, window_end) / duration if duration else 1.0)
            on_progress(window_end / duration if duration else 1.0)
        return language


def _to_segment(s: Any, offset: float) -> Segment:
    words = [
        Word(
            start=round(offset + w.start, 3),
            end=round(offset + w.end, 3),
            word=w.word,
            probability=round(w.probability, 4),
        )
        for w in (s.words or [])
    ]
    return Segment(
        start=round(offset + s.start, 3), end=round(offset + s.end, 3), text=s.text, words=words
    )
