"""Diarization from speaker embeddings: windows over speech, clustering, turns, assignment.

The orchestrator finds speech (Silero VAD probabilities, `speech_regions`), cuts it into
overlapping windows (`speech_windows`), has the speaker encoder embed them in blocks of at
most 30 s (`window_blocks`) and passes the vectors here: `cluster` groups them by voice
(agglomerative, cosine distance), `turns` turns labelled windows into who-spoke-when and
`assign` gives each transcript segment and word the speaker who overlaps it most. Nothing
here loads a model; everything is plain numpy and scipy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy.cluster import hierarchy

from grym_desktop.transcript import Segment, Word

WINDOW = 1.5  # seconds of speech per embedding window
HOP = 0.75  # seconds between window starts
# Average-linkage cosine distance above which two groups of windows are different speakers.
# Tuned with bench/diarize_bench.py (6 conversations of 2-4 eval-clip speakers, resemblyzer-ge2e
# 1.5 s windows): 0.325-0.375 found every count with mean DER 6.5 %, 0.30 and 0.40 one or two
# counts wrong; 0.35 is the middle. Tuned on the set it is reported on (no held-out set).
AUTO_THRESHOLD = 0.35
# Seconds around a change of speaker inside one stretch of speech (no pause between the two)
# given to both speakers and marked as overlapping speech. Off: on the bench every 0.1 s of
# it raised mean DER by about 0.3 points (most such changes are back-to-back, not overlap).
OVERLAP = 0.0
# With the count found automatically, a cluster of fewer windows than this is not a speaker:
# on the bench such clusters were windows straddling two speakers (mixed voices); their
# windows join the nearest larger cluster. A speaker who says one short phrase is lost.
MIN_WINDOWS = 2
MAX_DIRECT = 2000  # more windows than this: a sample is clustered (memory stays bounded)
FRAME_SECONDS = 512 / 16000  # one Silero probability per 512 samples at 16 kHz


@dataclass(frozen=True)
class SpeakerTurn:
    """[start, end) seconds in which speaker (0-based, by first appearance) speaks."""

    start: float
    end: float
    speaker: int
    overlap: bool = False  # another speaker speaks at the same time


@dataclass
class Diarization:
    """Who spoke when in one recording, and each speaker's voiceprint."""

    turns: list[SpeakerTurn]
    labels: np.ndarray  # speaker of each window
    centroids: np.ndarray  # (speakers, dim) unit mean vector of each speaker's windows
    seconds: list[float]  # speaking time of each speaker
    model_id: str

    @property
    def speakers(self) -> int:
        return len(self.centroids)

    @property
    def names(self) -> list[str]:
        return [speaker_name(k) for k in range(self.speakers)]


def speaker_name(speaker: int) -> str:
    """The display name of a 0-based speaker: "Speaker 1" for 0."""
    return f"Speaker {speaker + 1}"


# -- speech and windows --------------------------------------------------------------------


def speech_regions(
    probabilities: np.ndarray, threshold: float = 0.5, frame: float = FRAME_SECONDS,
    min_speech: float = 0.25, join: float = 0.3,
) -> list[tuple[float, float]]:
    """(start, end) seconds of speech from per-frame speech probabilities (Silero VAD).

    Runs of speech closer than `join` are one region (a gap between words); regions shorter
    than `min_speech` are dropped (a click or a breath).
    """
    speech = np.asarray(probabilities) >= threshold
    edges = np.flatnonzero(np.diff(np.concatenate([[0], speech.astype(np.int8), [0]])))
    regions: list[list[float]] = []
    for first, stop in edges.reshape(-1, 2).tolist():
        start, end = first * frame, stop * frame
        if regions and start - regions[-1][1] < join:
            regions[-1][1] = end
        else:
            regions.append([start, end])
    return [(round(s, 3), round(e, 3)) for s, e in regions if e - s >= min_speech]


def speech_windows(
    speech: Sequence[tuple[float, float]], length: float = WINDOW, hop: float = HOP,
) -> list[tuple[float, float]]:
    """Windows of `length` seconds about every `hop` over each speech region, evenly spaced
    from its start to its end; a region shorter than `length + hop / 2` is one window."""
    windows: list[tuple[float, float]] = []
    for start, end in speech:
        if end <= start:
            continue
        n = max(1, round((end - start - length) / hop) + 1)
        if n == 1:
            windows.append((round(start, 3), round(end, 3)))
            continue
        step = (end - start - length) / (n - 1)
        windows.extend((round(start + i * step, 3), round(start + i * step + length, 3))
                       for i in range(n))
    return windows


def window_blocks(
    windows: Sequence[tuple[float, float]], seconds: float = 30.0,
) -> list[tuple[float, float, list[int]]]:
    """Consecutive windows grouped into blocks of at most `seconds` of audio (the speaker
    encoder takes 30 s at a time): (block start, block end, indices of its windows)."""
    blocks: list[tuple[float, float, list[int]]] = []
    for i, (start, end) in enumerate(windows):
        if blocks and end - blocks[-1][0] <= seconds:
            first, last, members = blocks[-1]
            blocks[-1] = (first, max(last, end), [*members, i])
        else:
            if end - start > seconds:
                raise ValueError(f"a window of {end - start:.1f} s is longer than a block")
            blocks.append((start, end, [i]))
    return blocks


# -- clustering ----------------------------------------------------------------------------


def cluster(
    vectors: np.ndarray, speakers: int | None = None, min_speakers: int = 1,
    max_speakers: int = 8, threshold: float = AUTO_THRESHOLD, method: str = "average",
    min_windows: int = MIN_WINDOWS,
) -> np.ndarray:
    """Speaker label (0-based, numbered by first appearance) of each row of `vectors`.

    Agglomerative clustering on cosine distance (scipy, `method` linkage). With `speakers`
    the tree is cut into that many groups; without, it is cut at `threshold` and the count
    kept within [min_speakers, max_speakers]. Clusters of fewer than `min_windows` windows
    (windows mixing two voices) join the nearest larger one; with `speakers`, the tree is
    cut finer until that many larger clusters exist. Of more than MAX_DIRECT vectors an even
    sample is clustered and every vector joins the nearest speaker (memory stays bounded).
    """
    x = _unit(vectors)
    n = len(x)
    if n <= 1:
        return np.zeros(n, dtype=np.int64)
    if n > MAX_DIRECT:
        labels = _cluster_large(x, speakers, min_speakers, max_speakers, threshold, method)
    else:
        tree = hierarchy.linkage(x, method=method, metric="cosine")
        labels = _cut(tree, n, speakers, min_speakers, max_speakers, threshold, min_windows)
    least = max(1, min_speakers) if speakers is None else speakers
    return _first_appearance(_absorb_small(x, labels, min_windows, least))


def _absorb_small(x: np.ndarray, labels: np.ndarray, min_windows: int,
                  min_speakers: int) -> np.ndarray:
    """Windows of clusters smaller than min_windows moved to the nearest larger cluster's
    mean, unless that would leave fewer than min_speakers clusters."""
    names, sizes = np.unique(labels, return_counts=True)
    big = names[sizes >= min_windows]
    if len(big) == len(names) or len(big) < min_speakers or len(big) == 0:
        return labels
    means = np.stack([x[labels == k].mean(axis=0) for k in big])
    means /= np.linalg.norm(means, axis=1, keepdims=True)
    small = ~np.isin(labels, big)
    labels = labels.copy()
    labels[small] = big[np.argmax(x[small] @ means.T, axis=1)]
    return labels


def _cut(tree: np.ndarray, n: int, speakers: int | None, min_speakers: int,
         max_speakers: int, threshold: float, min_windows: int) -> np.ndarray:
    if speakers is not None:
        k = max(1, min(speakers, n))
        for t in range(k, min(n, k + 8) + 1):
            labels = hierarchy.fcluster(tree, t=t, criterion="maxclust")
            big = int((np.unique(labels, return_counts=True)[1] >= min_windows).sum())
            if big == k:
                return labels
            if big > k:
                break
        return hierarchy.fcluster(tree, t=k, criterion="maxclust")
    labels = hierarchy.fcluster(tree, t=threshold, criterion="distance")
    lo = max(1, min_speakers)
    hi = max(lo, max_speakers)
    found = len(np.unique(labels))
    if found < lo or found > hi:
        labels = hierarchy.fcluster(tree, t=min(max(found, lo), hi, n), criterion="maxclust")
    return labels


def _cluster_large(x: np.ndarray, speakers: int | None, min_speakers: int, max_speakers: int,
                   threshold: float, method: str) -> np.ndarray:
    """An even sample of MAX_DIRECT windows across the file is clustered as usual; every
    window then joins the nearest speaker, whose means are refined once from all windows.

    (Clustering chunks and then the chunks' cluster means merged two speakers of a 3-hour
    conversation into one: the small clusters of mixed windows in every chunk weigh as much
    as the large ones in the second stage and bridge the speakers.) A speaker heard in fewer
    windows than the sample's spacing may be missed and join the nearest other."""
    sample = np.linspace(0, len(x) - 1, MAX_DIRECT).round().astype(np.int64)
    labels = cluster(x[sample], speakers, min_speakers, max_speakers, threshold, method)
    means = centroids(x[sample], labels)
    nearest = np.argmax(x @ means.T, axis=1)
    present = np.unique(nearest)
    means = centroids(x, np.searchsorted(present, nearest))
    return np.argmax(x @ means.T, axis=1)


def _unit(vectors: np.ndarray) -> np.ndarray:
    x = np.asarray(vectors, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"vectors must be (n, dim), not {x.shape}")
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    if len(x) and (not np.all(np.isfinite(norms)) or norms.min() <= 1e-12):
        raise ValueError("speaker vectors must be finite and non-zero")
    return x / np.where(norms > 0, norms, 1.0)


def _first_appearance(labels: np.ndarray) -> np.ndarray:
    """Labels renumbered 0, 1, ... in the order they first appear."""
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first))
    return order[inverse.reshape(-1)].astype(np.int64)


def centroids(vectors: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """(k, dim) unit mean vector of each label 0..k-1."""
    x = _unit(vectors)
    labels = np.asarray(labels)
    k = int(labels.max()) + 1 if len(labels) else 0
    means = np.zeros((k, x.shape[1]), dtype=np.float64)
    np.add.at(means, labels, x)
    norms = np.linalg.norm(means, axis=1, keepdims=True)
    return (means / np.where(norms > 0, norms, 1.0)).astype(np.float32)


# -- turns ---------------------------------------------------------------------------------


def turns(
    windows: Sequence[tuple[float, float]], labels: Sequence[int], overlap: float = OVERLAP,
) -> list[SpeakerTurn]:
    """Who spoke when, from labelled windows (in time order).

    Each window keeps its core: where it overlaps a neighbouring window (same stretch of
    speech), the boundary is the middle of the shared part. Touching cores of one speaker
    are merged into one turn. Where the speaker changes between two overlapping windows,
    `overlap` seconds around the boundary (at most the shared part) go to both speakers as
    turns marked overlap=True: with no pause between them, both may be speaking.
    """
    n = len(windows)
    if n != len(labels):
        raise ValueError(f"{n} windows but {len(labels)} labels")
    pieces: list[list] = []  # [start, end, speaker, overlap]
    for i, (start, end) in enumerate(windows):
        if i > 0 and windows[i - 1][1] > start:
            start = (start + windows[i - 1][1]) / 2
        if i < n - 1 and end > windows[i + 1][0]:
            end = (windows[i + 1][0] + end) / 2
        pieces.append([start, end, int(labels[i]), False])
    shared: list[list] = []
    for i in range(n - 1):
        a, b = windows[i], windows[i + 1]
        if overlap <= 0 or labels[i] == labels[i + 1] or a[1] <= b[0]:
            continue
        middle, half = (b[0] + a[1]) / 2, min(overlap, a[1] - b[0]) / 2
        pieces[i][1] = max(pieces[i][0], middle - half)
        pieces[i + 1][0] = min(pieces[i + 1][1], middle + half)
        for label in (labels[i], labels[i + 1]):
            shared.append([middle - half, middle + half, int(label), True])
    merged: list[list] = []
    for piece in sorted(pieces + shared, key=lambda p: (p[2], p[3], p[0])):
        last = merged[-1] if merged else None
        if last and last[2:] == piece[2:] and piece[0] <= last[1] + 1e-6:
            last[1] = max(last[1], piece[1])
        elif piece[1] > piece[0]:
            merged.append(list(piece))
    merged.sort(key=lambda p: (p[0], p[2]))
    return [SpeakerTurn(round(s, 3), round(e, 3), k, o) for s, e, k, o in merged]


def speaking_time(turns: Sequence[SpeakerTurn], speakers: int | None = None) -> list[float]:
    """Seconds each speaker speaks (overlapping speech counts for each speaker in it)."""
    k = max((t.speaker for t in turns), default=-1) + 1
    seconds = [0.0] * max(k, speakers or 0)
    for t in turns:
        seconds[t.speaker] += t.end - t.start
    return [round(s, 3) for s in seconds]


def find_speakers(
    windows: Sequence[tuple[float, float]], vectors: np.ndarray, model_id: str,
    speakers: int | None = None, min_speakers: int = 1, max_speakers: int = 8,
    threshold: float = AUTO_THRESHOLD, overlap: float = OVERLAP,
) -> Diarization:
    """Cluster the windows' vectors and make the turns, centroids and speaking times."""
    if len(windows) != len(vectors):
        raise ValueError(f"{len(windows)} windows but {len(vectors)} vectors")
    if len(windows) == 0:
        return Diarization([], np.zeros(0, np.int64), np.zeros((0, 0), np.float32), [],
                           model_id)
    labels = cluster(vectors, speakers, min_speakers, max_speakers, threshold)
    found = turns(windows, labels, overlap)
    means = centroids(vectors, labels)
    return Diarization(found, labels, means, speaking_time(found, len(means)), model_id)


# -- assignment to the transcript ----------------------------------------------------------


class _Coverage:
    """Per speaker, the merged stretches where they speak, for fast overlap and distance."""

    def __init__(self, found: Sequence[SpeakerTurn]):
        self.speakers = sorted({t.speaker for t in found})
        self.runs: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        for k in self.speakers:
            spans: list[list[float]] = []
            for t in sorted((t for t in found if t.speaker == k), key=lambda t: t.start):
                if spans and t.start <= spans[-1][1]:
                    spans[-1][1] = max(spans[-1][1], t.end)
                else:
                    spans.append([t.start, t.end])
            starts, ends = np.array(spans).T
            self.runs.append((starts, ends, np.concatenate([[0.0], np.cumsum(ends - starts)])))

    def _before(self, k: int, t: float) -> float:
        """Seconds speaker index k speaks before time t."""
        starts, ends, total = self.runs[k]
        i = int(np.searchsorted(starts, t, side="right"))  # runs starting at or before t
        if i == 0:
            return 0.0
        return float(total[i - 1] + min(t, ends[i - 1]) - starts[i - 1])

    def best(self, start: float, end: float, reach: float) -> int | None:
        """The speaker overlapping [start, end] most, else the nearest within `reach`."""
        if not self.speakers:
            return None
        amounts = [self._before(k, end) - self._before(k, start)
                   for k in range(len(self.speakers))]
        top = int(np.argmax(amounts))
        if amounts[top] > 0:
            return self.speakers[top]
        gaps = []
        for starts, ends, _ in self.runs:
            i = int(np.searchsorted(starts, end, side="left"))
            after = starts[i] - end if i < len(starts) else np.inf
            j = int(np.searchsorted(ends, start, side="right")) - 1
            before = start - ends[j] if j >= 0 else np.inf
            gaps.append(min(after, before))
        near = int(np.argmin(gaps))
        return self.speakers[near] if gaps[near] <= reach else None


def assign(
    segments: Sequence[Segment], found: Sequence[SpeakerTurn], reach: float = 2.0,
) -> list[Segment]:
    """Each segment and word with `speaker` set to the name ("Speaker N", N = turn speaker
    + 1) of the speaker whose turns overlap it most; with no overlap, the nearest turn's
    speaker within `reach` seconds; a word with neither takes its segment's speaker."""
    coverage = _Coverage(found)
    out: list[Segment] = []
    for seg in segments:
        k = coverage.best(seg.start, seg.end, reach)
        name = speaker_name(k) if k is not None else None
        words: list[Word] = []
        for w in seg.words:
            wk = coverage.best(w.start, w.end, 0.0)
            words.append(replace(w, speaker=speaker_name(wk) if wk is not None else name))
        out.append(replace(seg, speaker=name, words=words))
    return out


def split_at_speaker_changes(segments: Sequence[Segment], min_words: int = 2) -> list[Segment]:
    """Segments cut where their words change speaker, so each line has one speaker: Whisper
    often runs one person's last words and the next person's first into one segment. A run
    of fewer than min_words words stays with its neighbours (one mis-heard word is noise)."""
    out: list[Segment] = []
    for seg in segments:
        runs: list[list[Word]] = []
        for w in seg.words:
            if runs and runs[-1][-1].speaker == w.speaker:
                runs[-1].append(w)
            else:
                runs.append([w])
        merged: list[list[Word]] = []
        for run in runs:
            if merged and (len(run) < min_words or len(merged[-1]) < min_words):
                keep = merged[-1] if len(merged[-1]) >= len(run) else run
                merged[-1] = [replace(w, speaker=keep[0].speaker) for w in merged[-1] + run]
            else:
                merged.append(run)
        if len(merged) < 2:
            out.append(seg)
            continue
        for i, run in enumerate(merged):
            start = seg.start if i == 0 else run[0].start
            end = seg.end if i == len(merged) - 1 else merged[i + 1][0].start
            text = "".join(w.word for w in run)
            out.append(replace(seg, start=start, end=max(end, start), text=text, words=run,
                               speaker=run[0].speaker))
    return out
