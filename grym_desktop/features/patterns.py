"""Sounds that recur within one recording (a jingle, a ringtone, a repeated phrase), found by
the self-similarity of its windows' vectors.

Each vector is taken relative to the recording's median vector, so a steady background (room
tone, rain, a voice that talks throughout) does not make every window match every other: what
must repeat is how a window differs from the rest of the recording. Pairs closer in time than
min_gap are ignored (a sound always resembles itself a moment later). Only each window's
NEIGHBOURS closest matches are kept, so memory grows linearly with the recording's length.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from grym_desktop.features.windows import FeatureWindow

NEIGHBOURS = 64  # matches kept per window: also the most occurrences one pattern can list
MAX_SHARE = 0.3  # a "pattern" heard in more of the recording than this is its background
_ROWS = 512  # windows compared against the whole recording at once


@dataclass
class RecurringPattern:
    """One sound heard several times: each occurrence's (start, end) in seconds, in time order,
    and how alike the occurrences are (mean cosine similarity)."""

    occurrences: list[tuple[float, float]]
    similarity: float


def recurring_patterns(windows: list[FeatureWindow], vectors: np.ndarray,
                       min_similarity: float = 0.9, min_gap: float = 2.0
                       ) -> list[RecurringPattern]:
    """Groups of windows of one recording that match each other, occurrences not overlapping in
    time, strongest first."""
    n = len(windows)
    vectors = np.asarray(vectors, np.float32)
    if n != len(vectors):
        raise ValueError(f"{n} windows but {len(vectors)} vectors")
    if n < 3:
        return []
    starts = np.array([w.start for w in windows])
    ends = np.array([w.end for w in windows])
    unit = _unit(vectors - np.median(vectors, axis=0))
    neighbours = _matches(unit, starts, ends, min_similarity, min_gap)
    available = np.ones(n, bool)
    total = float(ends.max() - starts.min()) or 1.0
    patterns = []
    pairs = sorted(((s, i, j) for i, row in enumerate(neighbours) for j, s in row.items()
                    if i < j), reverse=True)
    for _, i, j in pairs:
        if not (available[i] and available[j]):
            continue
        candidates = np.array(sorted({i, j, *neighbours[i], *neighbours[j]}))
        candidates = candidates[available[candidates]]
        scores = (unit[candidates] @ unit[i] + unit[candidates] @ unit[j]) / 2
        members = candidates[scores >= min_similarity]
        occurrences = _occurrences(members, scores[scores >= min_similarity], starts, ends)
        covered = _overlapping(occurrences, starts, ends)
        available[members] = False
        available[covered] = False
        if len(occurrences) < 2:
            continue
        if sum(b - a for a, b, _ in occurrences) > MAX_SHARE * total:
            continue
        heads = np.array([k for _, _, k in occurrences])
        alike = unit[heads] @ unit[heads].T
        similarity = float(alike[np.triu_indices(len(heads), 1)].mean())
        patterns.append(RecurringPattern(sorted((a, b) for a, b, _ in occurrences), similarity))
    patterns.sort(key=lambda p: (-p.similarity, -len(p.occurrences), p.occurrences[0]))
    return patterns


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def _matches(unit: np.ndarray, starts: np.ndarray, ends: np.ndarray, threshold: float,
             min_gap: float) -> list[dict[int, float]]:
    """For each window, its best matches (index -> cosine) at or above the threshold."""
    n = len(unit)
    middles = (starts + ends) / 2
    found: list[dict[int, float]] = []
    for first in range(0, n, _ROWS):
        rows = slice(first, min(n, first + _ROWS))
        scores = unit[rows] @ unit.T
        near = np.abs(middles[rows, None] - middles[None, :]) < min_gap
        overlap = (starts[rows, None] < ends[None, :]) & (starts[None, :] < ends[rows, None])
        scores[near | overlap] = -np.inf
        keep = min(NEIGHBOURS, n)
        best = np.argpartition(-scores, keep - 1, axis=1)[:, :keep]
        for row, columns in zip(scores, best, strict=True):
            found.append({int(c): float(row[c]) for c in columns if row[c] >= threshold})
    return found


def _occurrences(members: np.ndarray, scores: np.ndarray, starts: np.ndarray,
                 ends: np.ndarray) -> list[tuple[float, float, int]]:
    """(start, end, best window) of each run of member windows overlapping in time.

    A run's span is where most of its windows agree: a short sound sits in the stretch all
    the windows holding it share, not in their whole hull.
    """
    order = members[np.argsort(starts[members], kind="stable")]
    runs: list[list[int]] = []
    for k in order:
        if runs and starts[k] < max(ends[j] for j in runs[-1]):
            runs[-1].append(int(k))
        else:
            runs.append([int(k)])
    score = dict(zip(members.tolist(), scores.tolist(), strict=True))
    spans = []
    for run in runs:
        edges = np.unique(np.r_[starts[run], ends[run]])
        middles = (edges[:-1] + edges[1:]) / 2
        counts = ((starts[run][None, :] <= middles[:, None])
                  & (middles[:, None] < ends[run][None, :])).sum(axis=1)
        core = np.flatnonzero(counts == counts.max())
        best = max(run, key=lambda k: score[k])
        spans.append((float(edges[core[0]]), float(edges[core[-1] + 1]), best))
    return spans


def _overlapping(occurrences: list[tuple[float, float, int]], starts: np.ndarray,
                 ends: np.ndarray) -> np.ndarray:
    covered = np.zeros(len(starts), bool)
    for low, high, _ in occurrences:
        covered |= (starts < high) & (low < ends)
    return covered
