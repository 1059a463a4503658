"""Whisper's log-mel spectrogram of a whole file, computed a block at a time.

faster-whisper computes the features of a whole file at once: for 3 hours that is
over a gigabyte of audio and spectrogram. LogMelFramer gives the same numbers from
a stream of 16 kHz chunks while holding a few hundred samples: frames are cut
exactly as faster-whisper's FeatureExtractor cuts the whole file (400-sample Hann
window every 160 samples, reflect padding at the start, 160 zeros and reflect
padding at the end). The floor (8 below the file's loudest value) needs that value
before the first frame is used, so it comes from a first pass over the file.
StreamedFeatures then stands in for the whole (80, frames) array while decoding.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

N_FFT = 400
HOP = 160
PAD = N_FFT // 2
FLOOR_BELOW_PEAK = 8.0  # Whisper keeps 80 dB of dynamic range below the file's peak
_WINDOW = np.hanning(N_FFT + 1)[:-1].astype(np.float32)


def frame_count(samples: int) -> int:
    """Frames faster-whisper's FeatureExtractor gives for a file of `samples` samples."""
    return samples // HOP + 1


class LogMelFramer:
    """Turns consecutive 16 kHz chunks into consecutive blocks of log10 mel power (80, n)."""

    def __init__(self, mel_filters: np.ndarray):
        self.mel_filters = mel_filters
        self._head: list[np.ndarray] = []  # samples held until the left padding can be made
        self._buffer: np.ndarray | None = None  # padded signal from the next frame's start
        self._samples = 0
        self._frames = 0

    def push(self, chunk: np.ndarray) -> np.ndarray:
        """Frames that this chunk completes (possibly none)."""
        self._samples += len(chunk)
        if self._buffer is None:
            self._head.append(chunk)
            if self._samples <= PAD:
                return self._empty()
            head = np.concatenate(self._head)
            self._head = []
            self._buffer = np.concatenate([head[1 : PAD + 1][::-1], head])
        else:
            self._buffer = np.concatenate([self._buffer, chunk])
        return self._take_frames()

    def finish(self) -> np.ndarray:
        """The last frames, once the stream has ended."""
        total = frame_count(self._samples)
        if self._buffer is None:  # under 13 ms of audio: frame it whole, as faster-whisper does
            signal = np.pad(np.concatenate([*self._head, np.zeros(HOP, np.float32)]), PAD,
                            mode="reflect")
            self._buffer, self._frames = signal, 0
        else:
            tail = np.concatenate([self._buffer, np.zeros(HOP, np.float32)])
            self._buffer = np.concatenate([tail, tail[-PAD - 1 : -1][::-1]])
        frames = self._take_frames()
        return frames[:, : max(0, total - (self._frames - frames.shape[1]))]

    def _take_frames(self) -> np.ndarray:
        buffer = self._buffer
        n = (len(buffer) - N_FFT) // HOP + 1 if len(buffer) >= N_FFT else 0
        if n <= 0:
            return self._empty()
        windows = np.lib.stride_tricks.as_strided(
            buffer, (n, N_FFT), (HOP * buffer.strides[0], buffer.strides[0])
        ) * _WINDOW
        spectrum = np.fft.rfft(windows, n=N_FFT, axis=-1).astype(np.complex64)
        power = (np.abs(spectrum) ** 2).T
        mel = self.mel_filters @ power
        self._buffer = buffer[n * HOP :].copy()
        self._frames += n
        return np.log10(np.clip(mel, a_min=1e-10, a_max=None))

    def _empty(self) -> np.ndarray:
        return np.zeros((self.mel_filters.shape[0], 0), np.float32)


def log_mel_blocks(chunks: Iterable[np.ndarray], mel_filters: np.ndarray) -> Iterator[np.ndarray]:
    """Blocks of log10 mel power, in order, for a stream of chunks (the floor not yet applied)."""
    framer = LogMelFramer(mel_filters)
    for chunk in chunks:
        block = framer.push(chunk)
        if block.shape[1]:
            yield block
    yield framer.finish()


class StreamedFeatures:
    """The (80, frames) features of a whole file, read from blocks as a decoder asks for them.

    faster-whisper's decoding loop reads only `.shape` and slices `[:, a:b]` whose start
    never goes back, so the frames before the latest start are dropped.
    """

    ndim = 2

    def __init__(self, blocks: Iterator[np.ndarray], frames: int, peak: float, n_mels: int = 80):
        self.shape = (n_mels, frames)
        self._blocks = blocks
        self._floor = peak - FLOOR_BELOW_PEAK
        self._held = np.zeros((n_mels, 0), np.float32)
        self._held_from = 0  # frame index of self._held[:, 0]

    def __getitem__(self, key: tuple[slice, slice]) -> np.ndarray:
        rows, columns = key
        if rows != slice(None) or not isinstance(columns, slice) or columns.step not in (None, 1):
            raise IndexError("streamed features are read as [:, start:stop] only")
        start, stop, _ = columns.indices(self.shape[1])
        if start < self._held_from:
            raise IndexError(f"frame {start} was already dropped (holding from "
                             f"{self._held_from})")
        self._held = self._held[:, start - self._held_from :]
        self._held_from = start
        while self._held_from + self._held.shape[1] < stop:
            block = next(self._blocks, None)
            if block is None:
                break
            self._held = np.concatenate([self._held, block], axis=1)
        part = self._held[:, : max(0, stop - start)]
        return ((np.maximum(part, self._floor) + 4.0) / 4.0).astype(np.float32)


def encoder_frames(samples: int) -> int:
    """Whisper encoder frames (20 ms each, 1500 in a 30 s window) that hold `samples` of audio."""
    return max(1, min(1500, -(-samples // (2 * HOP))))
