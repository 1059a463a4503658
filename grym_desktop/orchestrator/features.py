"""Features of a recording, and what the feature memory makes of them.

A file is decoded once, a chunk at a time: the chunks feed the spectrogram and the signal
summary, and the windows (2 s every 1 s, plus the transcript's segments when there is one)
are cut from a rolling buffer and embedded a block of up to 30 s at a time, by the signal
features here and by a model's audio encoder in the host. Memory stays bounded whatever the
length of the file: the buffer never holds more than a block and a chunk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from grym_desktop.audio.decode import SAMPLE_RATE, iter_chunks, probe
from grym_desktop.errors import GrymError, TaskCancelledError, UsageError
from grym_desktop.features.patterns import RecurringPattern, recurring_patterns
from grym_desktop.features.signal import (
    SIGNAL_MODEL,
    FeatureSummary,
    Spectrogram,
    SpectrogramBuilder,
    SummaryBuilder,
    window_vector,
)
from grym_desktop.features.store import FeatureStore, Match, Suggestion
from grym_desktop.features.windows import FeatureWindow, fixed_windows, segment_windows
from grym_desktop.paths import file_digest

BLOCK_SECONDS = 30.0  # the longest stretch one embedding call gets (Whisper's window)
CHUNK_SECONDS = 10.0
MIN_WINDOW_SECONDS = 0.05  # a window the file ends inside keeps at least this much audio
MIN_CONFIDENCE = 0.5  # a suggested label below this confidence is not offered


@dataclass
class FileFeatures:
    """One recording's features: its windows with the vectors of one model (and of the
    signal features, which need no model), its spectrogram and its signal summary."""

    path: str
    sha256: str
    duration: float
    model_id: str
    windows: list[FeatureWindow]
    vectors: np.ndarray  # (len(windows), dim) from model_id
    signal_vectors: np.ndarray  # (len(windows), SIGNAL_DIM)
    spectrogram: Spectrogram
    summary: FeatureSummary
    clip_id: int | None = None  # set once stored
    extra: dict = field(default_factory=dict)

    def span_vector(self, start: float, end: float) -> np.ndarray:
        """The mean of the unit vectors of the windows overlapping start..end."""
        return mean_vector(self.vectors[self.overlapping(start, end)])

    def overlapping(self, start: float, end: float) -> list[int]:
        """Indices of the windows overlapping start..end (the nearest one if none does)."""
        hits = [i for i, w in enumerate(self.windows) if w.start < end and w.end > start]
        if hits or not self.windows:
            return hits
        middle = (start + end) / 2
        return [min(range(len(self.windows)),
                    key=lambda i: abs((self.windows[i].start + self.windows[i].end) / 2 - middle))]


def mean_vector(vectors: np.ndarray) -> np.ndarray:
    """The mean direction of a set of vectors (each counted as a unit vector)."""
    if not len(vectors):
        raise GrymError("There is no audio in that stretch to compare.")
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = vectors / np.maximum(norms, 1e-12)
    return unit.mean(axis=0).astype(np.float32)


def analyse(
    path: str | Path,
    orchestrator=None,
    model_id: str = SIGNAL_MODEL,
    segments: list[tuple[float, float]] | None = None,
    on_progress: Callable[[float], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> FileFeatures:
    """Decode path once and compute its features; model_id other than the signal features
    is embedded by the orchestrator's host (which loads it under the memory governor)."""
    if model_id != SIGNAL_MODEL and orchestrator is None:
        raise UsageError(f"The model {model_id} runs in the model host, which is not running.")
    path = str(path)
    info = probe(path)  # a typed input error (exit 3) before anything else
    sha256 = file_digest(Path(path))
    windows = fixed_windows(info.duration)
    if segments:
        windows = sorted([*windows, *segment_windows(segments)], key=lambda w: (w.start, w.end))
    spectrogram = SpectrogramBuilder(info.duration)
    summary = SummaryBuilder(info.duration)

    def feed() -> Iterator[np.ndarray]:
        for chunk in iter_chunks(path, CHUNK_SECONDS):
            spectrogram.add(chunk)
            summary.add(chunk)
            yield chunk

    kept: list[FeatureWindow] = []
    signal_rows: list[np.ndarray] = []
    model_rows: list[np.ndarray] = []
    for block, audio, offset in blocks_of_audio(feed(), windows):
        if cancelled is not None and cancelled():
            raise TaskCancelledError(f"Features of {path} were cancelled.")
        spans = []
        for w in block:
            start = max(w.start - offset, 0.0)
            end = min(w.end - offset, len(audio) / SAMPLE_RATE, start + BLOCK_SECONDS)
            if end - start < MIN_WINDOW_SECONDS:
                continue
            spans.append((start, end))
            kept.append(FeatureWindow(offset + start, offset + end, w.kind))
            signal_rows.append(window_vector(audio[round(start * SAMPLE_RATE):
                                                   round(end * SAMPLE_RATE)]))
        if spans and model_id != SIGNAL_MODEL:
            model_rows.append(orchestrator.embed_spans(audio, spans, model_id).vectors)
        if on_progress is not None and info.duration:
            on_progress(min(offset / info.duration, 1.0))
    if not kept:
        raise GrymError(f"{path} holds no audio to compute features from.")
    signal_vectors = np.stack(signal_rows).astype(np.float32)
    vectors = signal_vectors if model_id == SIGNAL_MODEL else np.concatenate(model_rows)
    result = summary.result()
    return FileFeatures(path, sha256, result.duration or info.duration, model_id, kept,
                        vectors.astype(np.float32), signal_vectors, spectrogram.result(), result)


def blocks_of_audio(
    chunks: Iterator[np.ndarray], windows: list[FeatureWindow]
) -> Iterator[tuple[list[FeatureWindow], np.ndarray, float]]:
    """Group windows (sorted by start) into blocks of at most BLOCK_SECONDS and yield each
    with its audio and its start time, holding no more audio than a block and a chunk."""
    buffer = np.zeros(0, dtype=np.float32)
    buffer_start = 0  # sample index of buffer[0]
    ended = False
    for block in _blocks(windows):
        start = round(block[0].start * SAMPLE_RATE)
        end = round(min(max(w.end for w in block), block[0].start + BLOCK_SECONDS) * SAMPLE_RATE)
        while not ended and buffer_start + len(buffer) < end:
            chunk = next(chunks, None)
            if chunk is None:
                ended = True
            else:
                buffer = np.concatenate([buffer, chunk])
        if start > buffer_start:
            buffer = buffer[start - buffer_start:]
            buffer_start = start
        if not len(buffer):
            continue
        yield block, buffer[: end - start], start / SAMPLE_RATE
    for _ in chunks:  # the spectrogram and summary still see the whole file
        pass


def _blocks(windows: list[FeatureWindow]) -> list[list[FeatureWindow]]:
    blocks: list[list[FeatureWindow]] = []
    for w in windows:
        if blocks and w.end - blocks[-1][0].start <= BLOCK_SECONDS:
            blocks[-1].append(w)
        else:
            blocks.append([w])
    return blocks


def remember(store: FeatureStore, features: FileFeatures) -> int:
    """Store the recording's windows with its signal vectors and its model's vectors."""
    clip_id = store.add_clip(features.path, features.sha256, features.duration, SIGNAL_MODEL,
                             features.windows, features.signal_vectors)
    if features.model_id != SIGNAL_MODEL:
        clip_id = store.add_clip(features.path, features.sha256, features.duration,
                                 features.model_id, features.windows, features.vectors)
    features.clip_id = clip_id
    return clip_id


def similar_recordings(
    store: FeatureStore, features: FileFeatures, k: int = 10, exclude_self: bool = True
) -> list[Match]:
    """The k recordings most like this one: each of its windows looks up its nearest stored
    windows, and a recording scores the mean over this one's windows of its best match."""
    exclude = features.clip_id if exclude_self else None
    best: dict[int, dict[int, Match]] = {}  # clip id -> this file's window index -> best match
    for i, vector in enumerate(features.vectors):
        for match in store.similar(features.model_id, vector, k=max(k, 10) * 3,
                                   exclude_clip=exclude):
            seen = best.setdefault(match.clip_id, {})
            if i not in seen or match.score > seen[i].score:
                seen[i] = match
    n = len(features.vectors)
    ranked = []
    for matches in best.values():
        score = sum(m.score for m in matches.values()) / n
        top = max(matches.values(), key=lambda m: m.score)
        ranked.append(Match(top.window_id, top.clip_id, top.path, top.start, top.end,
                            float(score), top.label))
    ranked.sort(key=lambda m: m.score, reverse=True)
    return ranked[:k]


def similar_to_span(
    store: FeatureStore, features: FileFeatures, start: float, end: float, k: int = 10
) -> list[Match]:
    """The stored windows most like the stretch start..end of this recording (its own
    windows over that stretch left out)."""
    matches = store.similar(features.model_id, features.span_vector(start, end), k=k + 50)
    own = features.clip_id
    return [m for m in matches
            if not (m.clip_id == own and m.start < end and m.end > start)][:k]


def suggest_labels(store: FeatureStore, features: FileFeatures, k: int = 5,
                   min_confidence: float = MIN_CONFIDENCE) -> list[Suggestion]:
    """Labels for this recording voted by the labelled sounds of other recordings, the ones
    confident enough to offer (names rejected for it before are not offered again)."""
    return [s for s in store.suggest(features.model_id, features.vectors, k=k,
                                     exclude_clip=features.clip_id)
            if s.confidence >= min_confidence]


@dataclass
class PendingLabel:
    """A suggested label kept in the store until the user answers it."""

    label_id: int  # kept on the first of the windows that voted for it
    suggestion: Suggestion
    window_ids: list[int]  # the stored windows whose nearest labelled sound carries it


def offer_labels(store: FeatureStore, features: FileFeatures) -> list[PendingLabel]:
    """Suggest labels for a stored recording and keep them as pending suggestions."""
    ids = stored_window_ids(store, features)
    offered = []
    for suggestion in suggest_labels(store, features):
        voters = [ids[row] for row in suggestion.windows] or ids[:1]
        label_id = store.record_suggestion(voters[0], suggestion.label, suggestion.confidence)
        offered.append(PendingLabel(label_id, suggestion, voters))
    return offered


def answer_label(store: FeatureStore, pending: PendingLabel, accepted: bool) -> None:
    """Accepted: the windows that voted for it carry the label and vote for it from now on.
    Rejected: it is not suggested for this recording again."""
    if accepted:
        store.accept(pending.label_id)
        for window_id in pending.window_ids:
            store.add_label(window_id, pending.suggestion.label)
    else:
        store.reject(pending.label_id)


def stored_window_ids(store: FeatureStore, features: FileFeatures) -> list[int]:
    """The store's ids of the recording's windows, in the order of features.windows."""
    ids, windows, _ = store.windows(features.clip_id, features.model_id)
    by_time = {(w.start, w.end, w.kind): i for i, w in zip(ids, windows, strict=True)}
    return [by_time[(w.start, w.end, w.kind)] for w in features.windows]


def patterns_of(features: FileFeatures) -> list[RecurringPattern]:
    """Sounds that come back within the recording (a jingle, a ringtone, a repeated phrase)."""
    fixed = [i for i, w in enumerate(features.windows) if w.kind == "fixed"]
    return recurring_patterns([features.windows[i] for i in fixed], features.signal_vectors[fixed])


def parse_span(text: str) -> tuple[float, float]:
    """'12.5-14' or '0:12.5-0:14' as (start, end) seconds; UsageError when it is not one."""
    try:
        start_text, end_text = text.split("-", 1)
        start, end = _seconds(start_text), _seconds(end_text)
    except ValueError:
        raise UsageError(f"{text!r} is not a time span; write it as START-END in seconds, "
                         "e.g. 12.5-14 or 1:02-1:05.") from None
    if not (np.isfinite(start) and np.isfinite(end)) or not 0 <= start < end:
        raise UsageError(f"The span {text!r} must start at 0 or later and end after it starts.")
    return start, end


def _seconds(text: str) -> float:
    seconds = 0.0
    for part in text.strip().split(":"):
        seconds = seconds * 60 + float(part)
    return seconds


@dataclass
class LibraryMap:
    """The stored recordings as points: PCA of each one's mean vector of one model."""

    points: np.ndarray  # (n, 2)
    labels: list[str | None]  # the most common accepted label of each recording
    window_ids: list[int]  # a window of each recording, to open it from its point
    paths: list[str]


MAP_MAX_WINDOWS = 200_000  # beyond this the map is drawn from an even sample of the windows


def library_map(store: FeatureStore, model_id: str) -> LibraryMap:
    """Each stored recording as a point in the plane of the first two principal components."""
    window_ids, vectors = store.all_vectors(model_id)
    if len(window_ids) > MAP_MAX_WINDOWS:
        keep = np.linspace(0, len(window_ids) - 1, MAP_MAX_WINDOWS).astype(int)
        window_ids, vectors = window_ids[keep], vectors[keep]
    info = store.window_info([int(i) for i in window_ids])
    by_clip: dict[int, list[int]] = {}
    for row, match in enumerate(info):
        by_clip.setdefault(match.clip_id, []).append(row)
    if not by_clip:
        return LibraryMap(np.zeros((0, 2), np.float32), [], [], [])
    means = np.stack([mean_vector(vectors[rows]) for rows in by_clip.values()])
    centred = means - means.mean(axis=0)
    if len(means) > 1:
        _u, _s, components = np.linalg.svd(centred, full_matrices=False)
        points = centred @ components[:2].T
        if points.shape[1] < 2:
            points = np.pad(points, ((0, 0), (0, 2 - points.shape[1])))
    else:
        points = np.zeros((1, 2))
    labels, firsts, paths = [], [], []
    for rows in by_clip.values():
        names = [info[r].label for r in rows if info[r].label]
        labels.append(max(set(names), key=names.count) if names else None)
        firsts.append(info[rows[0]].window_id)
        paths.append(info[rows[0]].path)
    return LibraryMap(points.astype(np.float32), labels, firsts, paths)
