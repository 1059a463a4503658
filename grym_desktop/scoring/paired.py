"""Paired differences between two models over the same files, with a bootstrap interval.

Files differ far more from each other than the models do, so B is compared with A file by
file: the mean of the per-file differences, and a percentile bootstrap 95 % interval over files.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# Resampled values held at once (resamples x files), so that many files stay cheap in memory.
_CHUNK_VALUES = 1 << 20


@dataclass
class PairedDifference:
    """B minus A over n files; None where there is nothing to say (no file, or one for the
    interval)."""

    n: int
    mean_a: float | None
    mean_b: float | None
    mean_difference: float | None  # B - A
    ci_low: float | None  # bootstrap 95 %
    ci_high: float | None


def paired_difference(a: list[float], b: list[float], resamples: int = 10_000,
                      seed: int = 0) -> PairedDifference:
    """Mean of b[i] - a[i] with a percentile bootstrap 95 % interval (fixed seed: the same
    numbers give the same interval). Pairs where either value is not a finite number are left
    out. ValueError if the lists differ in length or resamples is below one."""
    if len(a) != len(b):
        raise ValueError(f"paired values need lists of one length, not {len(a)} and {len(b)}")
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, not {resamples}")
    pairs = np.array([(x, y) for x, y in zip(a, b, strict=True)
                      if math.isfinite(x) and math.isfinite(y)], dtype=float).reshape(-1, 2)
    n = len(pairs)
    if n == 0:
        return PairedDifference(0, None, None, None, None, None)
    mean_a, mean_b = (float(m) for m in pairs.mean(axis=0))
    diffs = pairs[:, 1] - pairs[:, 0]
    mean_difference = float(diffs.mean())
    if n == 1:
        return PairedDifference(1, mean_a, mean_b, mean_difference, None, None)
    rng = np.random.default_rng(seed)
    step = max(1, _CHUNK_VALUES // n)
    means = np.concatenate([
        diffs[rng.integers(0, n, size=(min(step, resamples - start), n))].mean(axis=1)
        for start in range(0, resamples, step)
    ])
    low, high = np.percentile(means, [2.5, 97.5])
    return PairedDifference(n, mean_a, mean_b, mean_difference, float(low), float(high))


def _decimals(values: list[float]) -> int:
    """Two significant figures for the largest value, at least one decimal below 100."""
    biggest = max(abs(v) for v in values)
    if biggest == 0:
        return 1
    return max(0 if biggest >= 100 else 1, min(6, 1 - math.floor(math.log10(biggest))))


def _number(value: float, decimals: int) -> str:
    text = f"{value:.{decimals}f}"
    if text.startswith("-"):
        text = "−" + text[1:] if text.strip("-0.") else text[1:]
    return text


def describe(d: PairedDifference, unit: str = "", scale: float = 1.0) -> str:
    """One line for a person, values multiplied by scale, e.g.
    'B − A = −2.1 points (95 % CI −4.0 to −0.3, 12 files)'."""
    if d.n == 0 or d.mean_difference is None:
        return "B − A: no file that both models ran"
    suffix = f" {unit}" if unit else ""
    values = [v * scale for v in (d.mean_difference, d.ci_low, d.ci_high) if v is not None]
    places = _decimals(values)
    head = f"B − A = {_number(values[0], places)}{suffix}"
    if d.ci_low is None or d.ci_high is None:
        return f"{head} (one file: no interval)"
    return (f"{head} (95 % CI {_number(values[1], places)} to {_number(values[2], places)}, "
            f"{d.n} files)")
