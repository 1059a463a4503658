"""File-backed live sources, for tests and demos: a file heard as if from a microphone.

A source gives 16 kHz mono float32 audio in the order it was "heard". It is either
real-time (a block of audio becomes available when its time has come, as from a
microphone) or fast (audio is handed out as soon as asked, and the live session asks
only when the model has caught up: "as fast as the model takes it").
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from grym_desktop.audio.decode import SAMPLE_RATE, iter_chunks


class ArraySource:
    """Audio already in memory, replayed in blocks at real time or as fast as asked."""

    def __init__(self, samples: np.ndarray, name: str = "audio", realtime: bool = True,
                 block_seconds: float = 0.02):
        self.name = name
        self.realtime = realtime
        self.block = max(1, round(block_seconds * SAMPLE_RATE))
        self.t0 = 0.0  # monotonic time of sample 0, once started
        self.position = 0  # samples handed out
        self._chunks = self._iter(samples)
        self._pending = np.zeros(0, dtype=np.float32)
        self._done = False

    def _iter(self, samples: np.ndarray) -> Iterator[np.ndarray]:
        yield np.asarray(samples, dtype=np.float32)

    def start(self) -> None:
        self.t0 = time.monotonic()

    def stop(self) -> None:
        self._done = True

    def read(self) -> np.ndarray | None:
        """The audio available now (waiting for the next block if none is); None at the end."""
        if self._done:
            return None
        want = self.block * 5
        if self.realtime:
            due = int((time.monotonic() - self.t0) * SAMPLE_RATE)
            if due - self.position < self.block:
                next_block = self.position + self.block
                time.sleep(max(0.0, self.t0 + next_block / SAMPLE_RATE - time.monotonic()))
                due = int((time.monotonic() - self.t0) * SAMPLE_RATE)
            want = max(due - self.position, 1)
        out = self._take(want)
        if len(out) == 0:
            self._done = True
            return None
        self.position += len(out)
        return out

    def _take(self, n: int) -> np.ndarray:
        parts, have = [], 0
        while have < n:
            if len(self._pending) == 0:
                chunk = next(self._chunks, None)
                if chunk is None:
                    break
                self._pending = chunk
            part = self._pending[: n - have]
            self._pending = self._pending[len(part):]
            parts.append(part)
            have += len(part)
        if not parts:
            return np.zeros(0, dtype=np.float32)
        return parts[0].copy() if len(parts) == 1 else np.concatenate(parts)


class FileSource(ArraySource):
    """A file of any format decode.py reads, decoded lazily in one-second chunks."""

    def __init__(self, path: str | Path, realtime: bool = True, block_seconds: float = 0.02):
        self.path = Path(path)
        self._chunk_iter = iter_chunks(self.path, chunk_seconds=1.0)  # input errors raise here
        super().__init__(np.zeros(0, np.float32), name=self.path.name, realtime=realtime,
                         block_seconds=block_seconds)

    def _iter(self, _samples: np.ndarray) -> Iterator[np.ndarray]:
        yield from self._chunk_iter
