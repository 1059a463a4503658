"""The stretches of a recording that get one feature vector each: fixed windows or transcript
segments."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FeatureWindow:
    """A stretch of a recording in seconds; kind is "fixed" or "segment"."""

    start: float
    end: float
    kind: str


def fixed_windows(duration: float, length: float = 2.0, hop: float = 1.0) -> list[FeatureWindow]:
    """Windows of `length` every `hop` seconds covering the whole file; the last ends at its end.

    A file shorter than `length` gets one window over all of it.
    """
    if length <= 0 or hop <= 0:
        raise ValueError("window length and hop must be positive")
    if duration <= 0:
        return []
    if duration <= length:
        return [FeatureWindow(0.0, float(duration), "fixed")]
    windows = []
    k = 0
    while (start := round(k * hop, 6)) + length < duration:
        windows.append(FeatureWindow(start, start + length, "fixed"))
        k += 1
    last = round(duration - length, 6)
    if not windows or last > windows[-1].start:
        windows.append(FeatureWindow(last, float(duration), "fixed"))
    return windows


def segment_windows(segments: list[tuple[float, float]]) -> list[FeatureWindow]:
    """One window per (start, end) segment, clipped at 0; empty or reversed ones dropped."""
    windows = []
    for start, end in segments:
        start = max(0.0, float(start))
        if float(end) > start:
            windows.append(FeatureWindow(start, float(end), "segment"))
    return windows
