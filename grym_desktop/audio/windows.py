"""Cut a stream of audio chunks into long decoding windows at quiet points.

Whisper engines want the whole audio at once; a 3-hour file must not sit in
memory whole. Windows of a few minutes, each cut at the quietest moment near
its end, keep memory flat without splitting a word in two.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from grym_desktop.audio.decode import SAMPLE_RATE

FRAME = SAMPLE_RATE // 10  # 100 ms energy frames


def quietest_cut(audio: np.ndarray, search_from: int) -> int:
    """Sample index of the start of the quietest 100 ms frame at or after search_from."""
    tail = audio[search_from:]
    frames = len(tail) // FRAME
    if frames < 2:
        return len(audio)
    energy = np.square(tail[: frames * FRAME].reshape(frames, FRAME)).mean(axis=1)
    return search_from + int(np.argmin(energy)) * FRAME + FRAME // 2


def iter_windows(
    chunks: Iterable[np.ndarray], window_seconds: float = 120.0, search_seconds: float = 5.0
) -> Iterator[tuple[float, np.ndarray]]:
    """Yield (offset_seconds, samples) windows of about window_seconds, cut at quiet points."""
    window = int(window_seconds * SAMPLE_RATE)
    search = int(search_seconds * SAMPLE_RATE)
    buffer = np.zeros(0, dtype=np.float32)
    offset = 0
    for chunk in chunks:
        buffer = np.concatenate([buffer, chunk]) if len(buffer) else chunk
        while len(buffer) >= window + search:
            cut = quietest_cut(buffer[: window + search], window - search)
            yield offset / SAMPLE_RATE, buffer[:cut]
            offset += cut
            buffer = buffer[cut:]
    if len(buffer):
        yield offset / SAMPLE_RATE, buffer
