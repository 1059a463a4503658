"""Who spoke when: a transcript's speakers, found after transcription in the same task.

The file is read twice, a chunk at a time: once for Silero's speech probability (in this
process: a small ONNX model, not a model-host model), once to cut 1.5 s windows over the
speech and embed them a block of up to 30 s at a time with the speaker encoder in the host,
which the governor loads in place of the speech model. The windows' vectors are clustered
into speakers, the turns are laid over the transcript's segments and words, and each
speaker's voiceprint is compared with the named voices of the voice library.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from grym_desktop.audio.decode import SAMPLE_RATE, iter_chunks
from grym_desktop.audio.vad import FRAME, SileroVAD
from grym_desktop.errors import TaskCancelledError, UsageError
from grym_desktop.features.store import FeatureStore
from grym_desktop.features.windows import FeatureWindow
from grym_desktop.orchestrator.features import blocks_of_audio
from grym_desktop.speakers import diarize as dz
from grym_desktop.store.library import Library
from grym_desktop.transcript import SpeakerInfo, Transcript

SPEAKER_MODEL = "resemblyzer-ge2e"
MIN_WINDOW_SECONDS = 0.05  # a window the file ends inside keeps at least this much audio
VOICE_THRESHOLD = 0.75  # cosine from which a speaker is offered a named voice (bench-tuned)


@dataclass
class SpeakerCount:
    """How many speakers to find: a number, or bounds for the automatic choice."""

    exactly: int | None = None
    at_least: int = 1
    at_most: int = 8

    @classmethod
    def parse(cls, text: str | int | None) -> SpeakerCount | None:
        """None or "off" (no diarization), "auto", "N" or "MIN-MAX"; UsageError otherwise."""
        if text is None or str(text).strip().lower() in ("", "off", "none"):
            return None
        text = str(text).strip().lower()
        try:
            if text == "auto":
                return cls()
            if "-" in text:
                low, high = (int(x) for x in text.split("-", 1))
                if not 1 <= low <= high <= 32:
                    raise ValueError
                return cls(None, low, high)
            count = int(text)
            if not 1 <= count <= 32:
                raise ValueError
            return cls(count, count, count)
        except ValueError:
            raise UsageError(f"--speakers takes auto, a number from 1 to 32 or MIN-MAX, "
                             f"not {text!r}.") from None


def speech_probabilities(path: str, on_progress: Callable[[float], None] | None = None,
                         duration: float = 0.0) -> np.ndarray:
    """Silero's speech probability for every 32 ms of the file, read a chunk at a time."""
    vad = SileroVAD()
    probabilities: list[np.ndarray] = []
    carry = np.zeros(0, np.float32)
    read = 0
    for chunk in iter_chunks(path):
        read += len(chunk)
        carry = np.concatenate([carry, chunk])
        whole = len(carry) // FRAME * FRAME
        probabilities.append(vad(carry[:whole].reshape(-1, FRAME)))
        carry = carry[whole:]
        if on_progress is not None and duration:
            on_progress(min(1.0, read / SAMPLE_RATE / duration))
    return np.concatenate(probabilities) if probabilities else np.zeros(0, np.float32)


def find_speakers(
    orchestrator, transcript: Transcript, count: SpeakerCount,
    store: FeatureStore | None = None, model_id: str = SPEAKER_MODEL,
    on_progress: Callable[[float], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> tuple[Transcript, dz.Diarization]:
    """The transcript with a speaker on every segment and word, and the diarization behind
    it; speakers whose voice matches a named voice of the store get it offered."""
    path, duration = transcript.file, transcript.duration

    def report(fraction: float) -> None:
        if on_progress is not None:
            on_progress(fraction)

    regions = dz.speech_regions(speech_probabilities(path, lambda f: report(0.3 * f),
                                                     duration))
    windows = [FeatureWindow(s, e, "speaker") for s, e in dz.speech_windows(regions)]
    kept: list[tuple[float, float]] = []
    rows: list[np.ndarray] = []
    for block, audio, offset in blocks_of_audio(iter_chunks(path), windows):
        if cancelled is not None and cancelled():
            raise TaskCancelledError(f"Finding the speakers of {path} was cancelled.")
        spans = [(max(w.start - offset, 0.0), min(w.end - offset, len(audio) / SAMPLE_RATE))
                 for w in block]
        spans = [(s, e) for s, e in spans if e - s > MIN_WINDOW_SECONDS]
        if spans:
            rows.append(orchestrator.embed_spans(audio, spans, model_id).vectors)
            kept += [(offset + s, offset + e) for s, e in spans]
        if duration:
            report(0.3 + 0.7 * min(1.0, offset / duration))
    vectors = np.concatenate(rows) if rows else np.zeros((0, 0), np.float32)
    diarization = dz.find_speakers(kept, vectors, model_id, speakers=count.exactly,
                                   min_speakers=count.at_least, max_speakers=count.at_most)
    segments = dz.split_at_speaker_changes(dz.assign(transcript.segments, diarization.turns))
    speakers = [SpeakerInfo(name, round(seconds, 2))
                for name, seconds in zip(diarization.names, diarization.seconds, strict=True)
                if any(s.speaker == name for s in segments)]
    result = replace(transcript, segments=segments, speakers=speakers)
    if store is not None and diarization.speakers:
        offer_voices(store, result, diarization)
    return result, diarization


def offer_voices(store: FeatureStore, transcript: Transcript, diarization: dz.Diarization,
                 threshold: float = VOICE_THRESHOLD) -> None:
    """Each speaker whose voiceprint matches a named voice gets that voice offered, with the
    cosine as its confidence; one voice goes to one speaker at most (the closest)."""
    taken: dict[str, tuple[int, float]] = {}
    for index, centroid in enumerate(diarization.centroids):
        match = store.match_voice(diarization.model_id, centroid, threshold)
        if match is not None:
            voice, score = match
            if voice.name not in taken or score > taken[voice.name][1]:
                taken[voice.name] = (index, score)
    by_speaker = {dz.speaker_name(index): (name, score)
                  for name, (index, score) in taken.items()}
    for info in transcript.speakers:
        if info.name in by_speaker:
            info.voice, info.confidence = by_speaker[info.name]




def is_unnamed(name: str) -> bool:
    """True for the names diarization gives ("Speaker 3"), which are no one's voice."""
    return re.fullmatch(r"Speaker \d+", name) is not None


def name_speaker(library: Library, store: FeatureStore, transcript_id: int, old: str,
                 new: str) -> None:
    """Rename (or merge) a speaker in a saved transcript; a person's name also goes to the
    voice library with this recording's voiceprint, so later recordings recognise them."""
    library.rename_speaker(transcript_id, old, new)
    store.rename_speaker_print(transcript_id, old, new)
    if is_unnamed(new):
        return
    kept = store.speaker_print(transcript_id, new)
    if kept is not None:
        model_id, vector, seconds = kept
        if seconds > 0:
            store.save_voice(new, model_id, vector, seconds)
