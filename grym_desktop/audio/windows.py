"""Cut a stream of audio chunks into long decoding windows where no one speaks.

Engines that decode a window at a time (transformers, faster-whisper's batched
pipeline) must not hold a 3-hour file whole. Windows of a few minutes keep memory
flat; each is cut in the middle of the longest pause that VAD found in its last
half minute, or, without VAD, at the quietest moment near its end.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from grym_desktop.audio.decode import SAMPLE_RATE
from grym_desktop.audio.scan import AudioScan, decoded_chunks

FRAME = SAMPLE_RATE // 10  # 100 ms energy frames
VAD_FRAME = 512  # samples per speech probability (Silero at 16 kHz)
PAUSE_SEARCH_SECONDS = 30.0  # how far before a window's end a pause is looked for
MIN_PAUSE_FRAMES = 10  # about 0.3 s: shorter quiet is a gap between words
EARLY_PAUSE_SECONDS = 0.5  # a pause a short file may be cut at, to show text early
EARLY_CLIP_SECONDS = 5.0  # the shortest piece a short file is cut into


def quietest_cut(audio: np.ndarray, search_from: int) -> int:
    """Sample index of the start of the quietest 100 ms frame at or after search_from."""
    tail = audio[search_from:]
    frames = len(tail) // FRAME
    if frames < 2:
        return len(audio)
    energy = np.square(tail[: frames * FRAME].reshape(frames, FRAME)).mean(axis=1)
    return search_from + int(np.argmin(energy)) * FRAME + FRAME // 2


def pause_cut(speech: np.ndarray, start: int, stop: int, threshold: float = 0.5) -> int | None:
    """Sample in the middle of the longest pause between samples start and stop, if any.

    `speech` holds one speech probability per 512 samples of the whole file.
    """
    first, last = start // VAD_FRAME + 1, min(stop // VAD_FRAME, len(speech))
    quiet = np.asarray(speech[first:last]) < threshold
    if not quiet.any():
        return None
    edges = np.flatnonzero(np.diff(np.concatenate([[0], quiet.astype(np.int8), [0]])))
    runs = edges.reshape(-1, 2)
    longest = runs[np.argmax(runs[:, 1] - runs[:, 0])]
    if longest[1] - longest[0] < MIN_PAUSE_FRAMES:
        return None
    return (first + (longest[0] + longest[1]) // 2) * VAD_FRAME


def early_clips(
    speech: np.ndarray, duration: float, min_pause: float = EARLY_PAUSE_SECONDS,
    min_clip: float = EARLY_CLIP_SECONDS,
) -> list[float]:
    """Start and end seconds, in turn, of pieces covering [0, duration], cut in pauses.

    Decoding a short file piece by piece shows its first sentences while the rest is still
    decoded. Each cut is the middle of a pause of at least min_pause between two stretches
    of speech, and no piece is shorter than min_clip (a piece is one encoder pass).
    """
    frame = VAD_FRAME / SAMPLE_RATE
    heard = (np.asarray(speech) >= 0.5).astype(np.int8)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], heard, [0]]))).reshape(-1, 2)
    bounds = [0.0]
    for (_, stop), (next_start, _) in zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True):
        cut = (stop + next_start) / 2 * frame
        if ((next_start - stop) * frame >= min_pause and cut - bounds[-1] >= min_clip
                and duration - cut >= min_clip):
            bounds.append(round(cut, 3))
    bounds.append(duration)
    return [t for start, end in zip(bounds[:-1], bounds[1:], strict=True) for t in (start, end)]


def iter_windows(
    chunks: Iterable[np.ndarray], window_seconds: float = 120.0, search_seconds: float = 5.0,
    speech: np.ndarray | None = None,
) -> Iterator[tuple[float, np.ndarray]]:
    """Yield (offset_seconds, samples) windows of about window_seconds, cut in pauses.

    With `speech` (the file's speech probabilities), the cut is the middle of the longest
    pause in the window's last half minute; otherwise the quietest 100 ms near its end.
    """
    window = int(window_seconds * SAMPLE_RATE)
    search = int(search_seconds * SAMPLE_RATE)
    buffer = np.zeros(0, dtype=np.float32)
    offset = 0
    for chunk in chunks:
        buffer = np.concatenate([buffer, chunk]) if len(buffer) else chunk
        while len(buffer) >= window + search:
            cut = None
            if speech is not None:
                back = min(int(PAUSE_SEARCH_SECONDS * SAMPLE_RATE), window // 2)
                at = pause_cut(speech, offset + window - back, offset + window + search)
                cut = None if at is None else at - offset
            if cut is None:
                cut = quietest_cut(buffer[: window + search], window - search)
            yield offset / SAMPLE_RATE, buffer[:cut]
            offset += cut
            buffer = buffer[cut:]
    if len(buffer):
        yield offset / SAMPLE_RATE, buffer


def file_windows(
    path: str | Path, scan: AudioScan, window_seconds: float
) -> Iterator[tuple[float, np.ndarray]]:
    """The scanned file's windows, each cut in a pause the scan found."""
    return iter_windows(decoded_chunks(path, scan), window_seconds=window_seconds,
                        speech=scan.speech)
