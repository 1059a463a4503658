"""Whisper on CTranslate2 through faster-whisper. Runs only inside the model host."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import ctranslate2
import numpy as np
from faster_whisper import BatchedInferencePipeline, WhisperModel
from faster_whisper.tokenizer import Tokenizer
from faster_whisper.transcribe import get_suppressed_tokens

from grym_desktop.audio.decode import SAMPLE_RATE
from grym_desktop.audio.log_mel import (
    StreamedFeatures,
    encoder_frames,
    frame_count,
    log_mel_blocks,
)
from grym_desktop.audio.scan import AudioScan, decoded_chunks
from grym_desktop.audio.windows import early_clips, file_windows
from grym_desktop.engines.engine import pool_frames
from grym_desktop.options import DecodeOptions
from grym_desktop.transcript import Segment, Word

ENGINE = "ctranslate2"
# The temperature fallback samples at random; a fixed seed per file gives the same text each run.
SAMPLING_SEED = 0
WINDOW_SECONDS = 30.0  # Whisper's window


class CTranslate2Whisper:
    """A loaded faster-whisper model that decodes windows of 16 kHz audio."""

    def __init__(self, model_dir: Path, precision: str, cpu_threads: int = 0):
        self.precision = precision
        self.model = WhisperModel(
            str(model_dir), device="cpu", compute_type=precision, cpu_threads=cpu_threads
        )
        self.mel_filters = self.model.feature_extractor.mel_filters

    def transcribe_file(
        self,
        path: str,
        scan: AudioScan,
        options: DecodeOptions,
        on_segment: Callable[[Segment], None],
        on_progress: Callable[[float], None],
    ) -> str | None:
        """Decode the whole file as faster-whisper decodes it in one call, 30 s of it in memory.

        Whisper's own 30 s window walks the file from the last timestamp it decoded, so no
        cut of ours ever falls inside speech; the features are computed as the window
        moves (StreamedFeatures). With options.early_segments a file shorter than one
        window is decoded in pieces cut in its pauses (early_clips), each piece conditioned
        on the text before it, so its segments arrive one piece at a time instead of all
        at the end. Returns the detected (or given) language.
        """
        duration = scan.duration
        if options.batched or options.vad_filter:
            # faster-whisper joins the speech VAD found into one stream; that needs the audio,
            # so these decode windows of it, cut in pauses.
            windows = file_windows(path, scan, options.window_seconds)
            return self.transcribe_windows(windows, duration, options, on_segment, on_progress)
        blocks = log_mel_blocks(decoded_chunks(path, scan), self.mel_filters)
        features = StreamedFeatures(blocks, frame_count(scan.samples), scan.log_mel_peak or 0.0)
        language = options.language if self.model.model.is_multilingual else "en"
        if language is None:
            language = self.model.detect_language(features=features[:, 0:3000])[0]
        kwargs: dict[str, Any] = dict(
            language=language,
            task=options.task,
            beam_size=options.beam_size,
            word_timestamps=options.word_timestamps,
            condition_on_previous_text=options.condition_on_previous_text,
            initial_prompt=options.initial_prompt,
            **options.thresholds(),
        )
        if options.early_segments and duration <= WINDOW_SECONDS:
            kwargs["clip_timestamps"] = early_clips(scan.speech, duration)
        ctranslate2.set_random_seed(SAMPLING_SEED)
        with _features_given(self.model, features):
            segments, _info = self.model.transcribe(np.zeros(0, np.float32), **kwargs)
            for s in segments:
                segment = _to_segment(s, 0.0)
                on_segment(segment)
                on_progress(min(segment.end / duration, 1.0) if duration else 1.0)
        on_progress(1.0)
        return language

    def transcribe_windows(
        self,
        windows: Iterable[tuple[float, np.ndarray]],
        duration: float,
        options: DecodeOptions,
        on_segment: Callable[[Segment], None],
        on_progress: Callable[[float], None],
    ) -> str | None:
        """Decode each (offset, samples) window, reporting segments with absolute times.

        Returns the detected (or given) language. The last text of a window is
        the prompt of the next, as Whisper conditions on previous text itself.
        """
        language = options.language
        prompt = None
        for offset, samples in windows:
            common = dict(
                language=language,
                task=options.task,
                beam_size=options.beam_size,
                word_timestamps=options.word_timestamps,
                **options.thresholds(),
            )
            if options.batched:
                # The batched pipeline cuts speech with VAD and decodes those pieces in parallel.
                pipeline = BatchedInferencePipeline(self.model)
                segments, info = pipeline.transcribe(
                    samples, batch_size=options.batch_size or 8, **common
                )
            else:
                condition = options.condition_on_previous_text
                segments, info = self.model.transcribe(
                    samples,
                    vad_filter=options.vad_filter,
                    condition_on_previous_text=condition,
                    initial_prompt=prompt if condition else None,
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

    def embed_spans(self, samples: np.ndarray, spans: np.ndarray) -> np.ndarray:
        """The audio encoded once; each span the mean of its encoder frames (not the padding)."""
        features = self.model.feature_extractor(samples[: 30 * SAMPLE_RATE])[:, :3000]
        features = np.pad(features, ((0, 0), (0, 3000 - features.shape[1])))
        hidden = np.array(self.model.encode(features))[0]
        return pool_frames(hidden, spans, encoder_frames(len(samples)))

    def transcribe_clip(
        self, samples: np.ndarray, options: DecodeOptions, language: str | None
    ) -> list[Segment]:
        """Decode a few seconds cut from a file on their own, with nothing before them to
        condition on; times relative to the clip's start."""
        ctranslate2.set_random_seed(SAMPLING_SEED)
        segments, _info = self.model.transcribe(
            samples,
            language=language,
            task=options.task,
            beam_size=options.beam_size,
            word_timestamps=options.word_timestamps,
            condition_on_previous_text=False,
            initial_prompt=options.initial_prompt,
            **options.thresholds(),
        )
        return [_to_segment(s, 0.0) for s in segments]

    def transcribe_array(
        self, samples: np.ndarray, options: DecodeOptions
    ) -> tuple[list[Segment], str | None]:
        """Decode one short utterance held in memory (live use); times relative to its start.

        The encoder reads the utterance plus at least 10 s of silence (15 s at least;
        with options.quick, for partial text, 5 s and 10 s) instead of a full 30 s
        window: a fraction of the work for a typical utterance. A decode that runs away
        (faster than anyone speaks, a word over and over) is done again on a longer
        window, up to the full one Whisper was trained on.
        """
        model = self.model
        duration = len(samples) / SAMPLE_RATE
        features = model.feature_extractor(samples, padding=0)[:, :3000]
        seconds = features.shape[1] // 100 + 1
        quick = options.quick
        windows = [max(10, seconds + 5), max(15, seconds + 10)] if quick else [
            max(15, seconds + 10), 30]
        language = options.language if model.model.is_multilingual else "en"
        previous = options.initial_prompt
        for frames in dict.fromkeys(min(3000, w * 100) for w in windows):
            encoded = model.encode(np.pad(features, ((0, 0), (0, frames - features.shape[1]))))
            if language is None:
                language = model.model.detect_language(encoded)[0][0][0][2:-2]
            tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual,
                                  task=options.task, language=language)
            previous_tokens = tokenizer.encode(" " + previous.strip()) if previous else []
            prompt = model.get_prompt(tokenizer, previous_tokens, without_timestamps=True)
            result = model.model.generate(
                encoded, [prompt], beam_size=options.beam_size, patience=1.0,
                length_penalty=1.0,
                # About 3 tokens per second of speech; the cap stops a runaway decode early.
                max_length=min(len(prompt) + int(12 + 8 * duration), model.max_length),
                return_scores=True, return_no_speech_prob=True, suppress_blank=True,
                suppress_tokens=get_suppressed_tokens(tokenizer, (-1,)),
            )[0]
            tokens = [t for t in result.sequences_ids[0] if t < tokenizer.eot]
            text = tokenizer.decode(tokens)
            if self._plausible(text, duration):
                break
        else:
            if quick:  # partial text: say the repeated phrase once rather than wait longer
                text = self._once(text)
        avg_logprob = result.scores[0] * len(tokens) / (len(tokens) + 1)
        if not text.strip() or (result.no_speech_prob > 0.6 and avg_logprob < -1.0):
            return [], language
        return [Segment(start=0.0, end=round(duration, 3), text=text)], language

    @staticmethod
    def _plausible(text: str, seconds: float) -> bool:
        """False for text no one could say in `seconds`: too many words, one word four
        times in a row, or (in under 2 s) one phrase said twice back to back."""
        words = ["".join(c for c in w.lower() if c.isalnum()) for w in text.split()]
        if len(words) > 4.5 * seconds + 2:
            return False
        if any(len(set(words[i:i + 4])) == 1 for i in range(len(words) - 3)):
            return False
        return not (seconds < 2.0 and CTranslate2Whisper._unit(words) < len(words))

    @staticmethod
    def _unit(words: list) -> int:
        """The length of the shortest phrase that, repeated, makes up `words`."""
        n = len(words)
        return next((k for k in range(1, n) if n % k == 0 and words == words[:k] * (n // k)), n)

    @staticmethod
    def _once(text: str) -> str:
        words = text.split()
        keys = ["".join(c for c in w.lower() if c.isalnum()) for w in words]
        return " ".join(words[: CTranslate2Whisper._unit(keys)])


class _GivenFeatures:
    """faster-whisper's feature extractor, answering with features made beforehand."""

    def __init__(self, extractor: Any, features: StreamedFeatures):
        self._extractor = extractor
        self._features = features

    def __call__(self, *_args: Any, **_kwargs: Any) -> StreamedFeatures:
        return self._features

    def __getattr__(self, name: str) -> Any:
        return getattr(self._extractor, name)


@contextmanager
def _features_given(model: WhisperModel, features: StreamedFeatures) -> Iterator[None]:
    """While inside, model.transcribe decodes `features` instead of computing its own."""
    extractor = model.feature_extractor
    model.feature_extractor = _GivenFeatures(extractor, features)
    try:
        yield
    finally:
        model.feature_extractor = extractor


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
