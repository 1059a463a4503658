"""Features of the sound itself, without a model: log-mel spectrogram, MFCC, loudness and
spectral shape, computed from a stream of 16 kHz chunks with bounded memory, and a
standardised vector per window for finding sounds of the same type by cosine similarity.

Frames are 512 samples (32 ms, Hann) every 160 samples (10 ms); frame j is centred on the
middle of samples [160 j, 160 (j + 1)), so frame j stands for exactly that stretch of time.
Long files keep a bounded number of spectrogram columns and summary rows: neighbours are
merged (and the time per column doubled) whenever there would be more.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

import numpy as np

SAMPLE_RATE = 16000
N_FFT = 512
HOP = 160
_LEFT = (N_FFT - HOP) // 2  # zeros before the first sample, so frames centre on their hop
_BLOCK = 1 << 18  # samples of a chunk framed at once: a huge chunk costs no huge arrays
_HANN = np.hanning(N_FFT + 1)[:-1].astype(np.float32)
_POWER_SCALE = 4.0 / float(_HANN.sum()) ** 2  # a full-scale sine's peak bin reads 1 (0 dB)
_FREQS = np.fft.rfftfreq(N_FFT, 1.0 / SAMPLE_RATE).astype(np.float32)
_SILENT_DB = -80.0  # frames quieter than this (dBFS) are silence
_ACTIVE_RANGE_DB = 50.0  # frames this far below a window's loudest are its background
_TOP_DB = 80.0  # dynamic range kept in log-mel values

SIGNAL_MODEL = "signal-v1"
N_MFCC = 20


def mel_frequencies(n: int, fmin: float = 0.0, fmax: float = SAMPLE_RATE / 2) -> np.ndarray:
    """`n` frequencies (Hz) evenly spaced on the (HTK) mel scale, both ends included."""
    low, high = (2595.0 * math.log10(1.0 + f / 700.0) for f in (fmin, fmax))
    return 700.0 * (10.0 ** (np.linspace(low, high, n) / 2595.0) - 1.0)


def mel_filterbank(n_mels: int, fmin: float = 0.0,
                   fmax: float = SAMPLE_RATE / 2) -> tuple[np.ndarray, np.ndarray]:
    """Triangular mel filters (n_mels, N_FFT // 2 + 1) peaking at 1, and their centres (Hz)."""
    edges = mel_frequencies(n_mels + 2, fmin, fmax)
    low, centre, high = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (_FREQS - low) / (centre - low)
    falling = (high - _FREQS) / (high - centre)
    filters = np.maximum(0.0, np.minimum(rising, falling))
    return filters.astype(np.float32), edges[1:-1].astype(np.float32)


class _Framer:
    """Cuts consecutive chunks into (n, N_FFT) frames, holding under one frame of samples."""

    def __init__(self) -> None:
        self._buffer = np.zeros(_LEFT, np.float32)
        self.samples = 0
        self.frames = 0

    def push(self, chunk: np.ndarray) -> Iterator[np.ndarray]:
        """Frames the chunk completes, a block at a time."""
        chunk = np.nan_to_num(np.asarray(chunk, np.float32).ravel())
        self.samples += len(chunk)
        for i in range(0, len(chunk), _BLOCK):
            self._buffer = np.concatenate([self._buffer, chunk[i : i + _BLOCK]])
            frames = self._take(None)
            if len(frames):
                yield frames

    def finish(self) -> np.ndarray:
        """The last frames (zero-padded): one per started hop of the stream."""
        missing = -(-self.samples // HOP) - self.frames
        self._buffer = np.concatenate([self._buffer, np.zeros(N_FFT, np.float32)])
        return self._take(max(0, missing))

    def _take(self, limit: int | None) -> np.ndarray:
        buffer = self._buffer
        n = (len(buffer) - N_FFT) // HOP + 1 if len(buffer) >= N_FFT else 0
        n = n if limit is None else min(n, limit)
        if n <= 0:
            return np.zeros((0, N_FFT), np.float32)
        frames = np.lib.stride_tricks.as_strided(
            buffer, (n, N_FFT), (HOP * buffer.strides[0], buffer.strides[0])).copy()
        self._buffer = buffer[n * HOP :].copy()
        self.frames += n
        return frames


def _all_frames(samples: np.ndarray) -> np.ndarray:
    framer = _Framer()
    blocks = [*framer.push(samples), framer.finish()]
    return np.concatenate(blocks) if blocks else np.zeros((0, N_FFT), np.float32)


def _power(frames: np.ndarray) -> np.ndarray:
    spectrum = np.fft.rfft(frames * _HANN, axis=-1)
    return (spectrum.real**2 + spectrum.imag**2).astype(np.float32) * _POWER_SCALE


def _db(x: np.ndarray) -> np.ndarray:
    return 10.0 * np.log10(np.maximum(x, 1e-10))


@dataclass
class _Shape:
    """Per-frame spectral shape of a block of frames."""

    centroid: np.ndarray  # Hz
    bandwidth: np.ndarray  # Hz
    rolloff: np.ndarray  # Hz below which 85 % of the power lies
    flatness: np.ndarray  # geometric / arithmetic mean of the power, 0..1
    zcr: np.ndarray  # zero crossings per sample


def _shape(frames: np.ndarray, power: np.ndarray) -> _Shape:
    p = power + np.float32(1e-12)  # silence reads as flat, not as NaN
    total = p.sum(axis=1)
    centroid = p @ _FREQS / total
    spread = np.maximum(0.0, p @ (_FREQS / 1000) ** 2 / total - (centroid / 1000) ** 2)
    cumulative = np.cumsum(p, axis=1)
    bins = np.minimum((cumulative < 0.85 * cumulative[:, -1:]).sum(axis=1), len(_FREQS) - 1)
    flatness = np.exp(np.log(p).mean(axis=1)) / (total / p.shape[1])
    middle = frames[:, _LEFT : _LEFT + HOP + 1]
    crossings = (np.signbit(middle[:, 1:]) != np.signbit(middle[:, :-1])).mean(axis=1)
    return _Shape(centroid.astype(np.float64), 1000 * np.sqrt(spread.astype(np.float64)),
                  _FREQS[bins].astype(np.float64), np.minimum(flatness, 1.0), crossings)


class _Pool:
    """Per-frame values summed into columns of `size` frames, at most `limit` columns.

    When a frame would need one more column, neighbouring columns are merged and the size
    doubles, so the arrays held never grow whatever the stream's length.
    """

    def __init__(self, width: int, maxima: int, size: int, limit: int,
                 dtype: type = np.float64):
        self.size, self.limit = max(1, size), max(1, limit)
        self.sums = np.zeros((self.limit + 1, width), dtype)
        self.maxima = np.zeros((self.limit + 1, maxima), np.float64)
        self.frames = 0

    def add(self, values: np.ndarray, maxima: np.ndarray) -> None:
        n = len(values)
        if n == 0:
            return
        while (self.frames + n - 1) // self.size >= self.limit:
            self._merge()
        columns = (self.frames + np.arange(n)) // self.size
        starts = np.flatnonzero(np.r_[True, columns[1:] != columns[:-1]])
        self.sums[columns[starts]] += np.add.reduceat(values, starts, axis=0)
        self.maxima[columns[starts]] = np.maximum(self.maxima[columns[starts]],
                                                  np.maximum.reduceat(maxima, starts, axis=0))
        self.frames += n

    def used(self) -> int:
        return -(-self.frames // self.size)

    def _merge(self) -> None:
        half = -(-self.used() // 2)
        for array, pair in ((self.sums, np.add), (self.maxima, np.maximum)):
            merged = pair(array[0 : 2 * half : 2], array[1 : 2 * half : 2])
            array[:] = 0.0
            array[:half] = merged
        self.size *= 2


@dataclass
class Spectrogram:
    """Log-mel power in dB (n_mels, columns); column i covers [i, i + 1) x seconds_per_column."""

    db: np.ndarray
    seconds_per_column: float
    mel_hz: np.ndarray
    duration: float


class SpectrogramBuilder:
    """Builds a file's log-mel spectrogram from 16 kHz chunks of any size, in bounded memory.

    Columns are 10 ms frames, or the mean power of several for files longer than
    max_columns x 10 ms (chosen from `duration`, and coarsened further if the audio runs longer).
    """

    def __init__(self, duration: float, n_mels: int = 64, max_columns: int = 8000):
        self.n_mels = n_mels
        self._filters, self._mel_hz = mel_filterbank(n_mels)
        expected = max(1, math.ceil(max(0.0, duration) * SAMPLE_RATE / HOP))
        self._pool = _Pool(n_mels, 0, math.ceil(expected / max(1, max_columns)), max_columns,
                           np.float32)
        self._framer = _Framer()
        self._result: Spectrogram | None = None

    def add(self, chunk: np.ndarray) -> None:
        """Feeds the next chunk of 16 kHz mono samples."""
        if self._result is not None:
            raise RuntimeError("the spectrogram was already finished")
        for frames in self._framer.push(chunk):
            self._take(frames)

    def result(self) -> Spectrogram:
        """The spectrogram of everything fed (finishes the stream)."""
        if self._result is None:
            self._take(self._framer.finish())
            pool = self._pool
            used = pool.used()
            counts = np.full(used, float(pool.size))
            if used:
                counts[-1] = pool.frames - pool.size * (used - 1)
            power = pool.sums[:used] / counts[:, None]
            db = _db(power).T
            if db.size:
                db = np.maximum(db, db.max() - _TOP_DB)
            self._result = Spectrogram(
                db.astype(np.float32), pool.size * HOP / SAMPLE_RATE, self._mel_hz,
                self._framer.samples / SAMPLE_RATE)
        return self._result

    def _take(self, frames: np.ndarray) -> None:
        if len(frames):
            self._pool.add(_power(frames) @ self._filters.T, np.zeros((len(frames), 0)))


@dataclass
class SummaryRow:
    """One stretch of the file (row_seconds long): loudness and spectral shape."""

    start: float
    end: float
    rms: float
    peak: float
    centroid_hz: float
    bandwidth_hz: float
    rolloff_hz: float
    zcr: float


@dataclass
class FeatureSummary:
    """A file's signal features: whole-file statistics and one row per stretch of time."""

    duration: float
    rms_mean: float
    rms_max: float
    peak: float
    centroid_hz_mean: float
    bandwidth_hz_mean: float
    rolloff_hz_mean: float
    zcr_mean: float
    mfcc_mean: list[float]
    mfcc_std: list[float]
    row_seconds: float = 1.0
    rows: list[SummaryRow] = field(default_factory=list)


# per-frame values the summary pools: squares, samples, sound frames, centroid, bandwidth,
# roll-off (each summed over frames with sound), zero crossings, frames
_SUMS = 8


class SummaryBuilder:
    """Builds a FeatureSummary from 16 kHz chunks of any size, in bounded memory.

    Rows are `row_seconds` long (longer, doubled, if there would be more than max_rows).
    Spectral means count only frames with sound (above -80 dBFS).
    """

    def __init__(self, duration: float = 0.0, row_seconds: float = 1.0, max_rows: int = 20000,
                 n_mfcc: int = N_MFCC, n_mels: int = 40):
        frames_per_row = max(1, round(row_seconds * SAMPLE_RATE / HOP))
        expected = max(1, math.ceil(max(0.0, duration) * SAMPLE_RATE / HOP))
        rows_needed = -(-expected // frames_per_row)
        size = frames_per_row * 2 ** max(0, math.ceil(math.log2(max(1, rows_needed) / max_rows)))
        self._pool = _Pool(_SUMS, 1, size, max_rows)
        self._filters, _ = mel_filterbank(n_mels)
        self._n_mfcc = n_mfcc
        self._mfcc_sum = np.zeros(n_mfcc, np.float64)
        self._mfcc_squares = np.zeros(n_mfcc, np.float64)
        self._rms_max = 0.0
        self._framer = _Framer()
        self._result: FeatureSummary | None = None

    def add(self, chunk: np.ndarray) -> None:
        """Feeds the next chunk of 16 kHz mono samples."""
        if self._result is not None:
            raise RuntimeError("the summary was already finished")
        for frames in self._framer.push(chunk):
            self._take(frames)

    def result(self) -> FeatureSummary:
        """The summary of everything fed (finishes the stream)."""
        if self._result is None:
            self._take(self._framer.finish())
            self._result = self._summary()
        return self._result

    def _take(self, frames: np.ndarray) -> None:
        if not len(frames):
            return
        # the last frame may hold padding past the end: only real samples count
        real = np.clip(self._framer.samples - (self._pool.frames + np.arange(len(frames))) * HOP,
                       0, HOP)
        middle = frames[:, _LEFT : _LEFT + HOP].astype(np.float64)
        squares = (middle**2).sum(axis=1)
        sound = squares / np.maximum(real, 1) > 10 ** (_SILENT_DB / 10)
        power = _power(frames)
        shape = _shape(frames, power)
        values = np.stack([squares, real, sound, shape.centroid * sound,
                           shape.bandwidth * sound, shape.rolloff * sound,
                           shape.zcr, np.ones(len(frames))], axis=1)
        self._pool.add(values, np.abs(middle).max(axis=1, keepdims=True))
        frame_rms = np.sqrt(squares / np.maximum(real, 1))
        self._rms_max = max(self._rms_max, float(frame_rms.max()))
        if sound.any():
            mfcc = _mfcc(_db(power[sound] @ self._filters.T), self._n_mfcc)
            self._mfcc_sum += mfcc.sum(axis=0)
            self._mfcc_squares += (mfcc.astype(np.float64) ** 2).sum(axis=0)

    def _summary(self) -> FeatureSummary:
        pool = self._pool
        used = pool.used()
        sums, peaks = pool.sums[:used], pool.maxima[:used, 0]
        total = sums.sum(axis=0)
        squares, samples, sound, centroid, bandwidth, rolloff, zcr, frames = total
        seconds = pool.size * HOP / SAMPLE_RATE
        duration = self._framer.samples / SAMPLE_RATE
        rows = []
        for i, row in enumerate(sums):
            heard = max(row[2], 1.0)
            rows.append(SummaryRow(
                start=i * seconds, end=min(duration, (i + 1) * seconds),
                rms=float(np.sqrt(row[0] / max(row[1], 1.0))), peak=float(peaks[i]),
                centroid_hz=float(row[3] / heard), bandwidth_hz=float(row[4] / heard),
                rolloff_hz=float(row[5] / heard), zcr=float(row[6] / max(row[7], 1.0))))
        mean = self._mfcc_sum / max(sound, 1.0)
        std = np.sqrt(np.maximum(0.0, self._mfcc_squares / max(sound, 1.0) - mean**2))
        heard = max(sound, 1.0)
        return FeatureSummary(
            duration=duration, rms_mean=float(np.sqrt(squares / max(samples, 1.0))),
            rms_max=self._rms_max, peak=float(peaks.max()) if used else 0.0,
            centroid_hz_mean=float(centroid / heard), bandwidth_hz_mean=float(bandwidth / heard),
            rolloff_hz_mean=float(rolloff / heard), zcr_mean=float(zcr / max(frames, 1.0)),
            mfcc_mean=[float(v) for v in mean], mfcc_std=[float(v) for v in std],
            row_seconds=seconds, rows=rows)


def summary_dict(summary: FeatureSummary) -> dict:
    """The summary as JSON-ready plain values (numbers rounded to what is meaningful)."""
    def rounded(value):
        if isinstance(value, float):
            return round(value, 6)
        if isinstance(value, list):
            return [rounded(v) for v in value]
        if isinstance(value, dict):
            return {k: rounded(v) for k, v in value.items()}
        return value
    return rounded(asdict(summary))


def _dct_matrix(n_in: int, n_out: int) -> np.ndarray:
    """The orthonormal DCT-II (scipy.fft.dct(norm="ortho")) as an (n_in, n_out) matrix."""
    k = np.arange(n_out)
    basis = np.cos(np.pi * (np.arange(n_in)[:, None] + 0.5) * k / n_in) * math.sqrt(2.0 / n_in)
    basis[:, 0] /= math.sqrt(2.0)
    return basis


def _mfcc(log_mel_db: np.ndarray, n_mfcc: int) -> np.ndarray:
    """MFCC c0 .. c(n_mfcc - 1) of each frame: the orthonormal DCT of its log-mel power in dB."""
    return log_mel_db @ _dct_matrix(log_mel_db.shape[1], n_mfcc)


# window_vector: groups of raw statistics, each standardised with fixed centres and scales
# (typical values of everyday recordings, not fitted to any data set), clipped, and weighted
# so that every group counts about as much in a cosine as its weight says.
_VEC_MELS = 40
_VEC_FILTERS, _ = mel_filterbank(_VEC_MELS, fmin=30.0)
_CLIP = 4.0


def _raw_groups(samples: np.ndarray) -> dict[str, np.ndarray]:
    x = np.nan_to_num(np.asarray(samples, np.float32).ravel())
    frames = _all_frames(x if len(x) else np.zeros(1, np.float32))
    power = _power(frames)
    level = _db((frames.astype(np.float64) ** 2).mean(axis=1))
    active = level >= max(level.max() - _ACTIVE_RANGE_DB, _SILENT_DB)
    if not active.any():
        active[:] = True
    log_mel = _db(power @ _VEC_FILTERS.T)
    log_mel = np.maximum(log_mel, log_mel.max() - _TOP_DB)
    mfcc = _mfcc(log_mel[active], N_MFCC + 1)[:, 1:]
    shape = _shape(frames[active], power[active])
    spectral = np.stack([np.log2(np.maximum(shape.centroid, 30.0) / 1000.0),
                         shape.bandwidth / 1000.0,
                         np.log2(np.maximum(shape.rolloff, 30.0) / 1000.0),
                         np.log10(np.maximum(shape.flatness, 1e-6))], axis=1)
    heard = log_mel[active]
    flux = (np.maximum(0.0, np.diff(heard, axis=0)).mean(axis=1) if len(heard) > 1
            else np.zeros(1))
    steps = np.abs(np.diff(level)) if len(level) > 1 else np.zeros(1)
    return {
        "mfcc_mean": mfcc.mean(axis=0),
        "mfcc_std": mfcc.std(axis=0),
        "spectral": np.concatenate([spectral.mean(axis=0), spectral.std(axis=0)]),
        "energy": np.array([np.percentile(level, 90), np.percentile(level, 90)
                            - np.percentile(level, 10), np.median(steps), active.mean()]),
        "zcr": np.array([np.sqrt(shape.zcr).mean(), np.sqrt(shape.zcr).std()]),
        "flux": np.array([flux.mean(), flux.std()]),
    }


def _mfcc_scales() -> tuple[np.ndarray, np.ndarray]:
    k = np.arange(1, N_MFCC + 1)
    return np.maximum(4.0, 20.0 * k**-0.6), np.maximum(4.0, 20.0 * k**-0.55)


_MEAN_SCALE, _STD_TYPICAL = _mfcc_scales()
_MEAN_CENTRE = np.zeros(N_MFCC)
_MEAN_CENTRE[0] = 40.0  # c1: everyday sound has more power low than high
# (centre, scale) of each raw statistic; stds of MFCCs are compared as log ratios
_STANDARD = {
    "energy": (np.array([-25.0, 25.0, 0.7, 0.85]), np.array([15.0, 15.0, 0.5, 0.3])),
    "spectral": (np.array([-1.5, 0.55, -1.2, -3.0, 0.9, 0.35, 1.1, 0.7]),
                 np.array([1.5, 0.4, 1.6, 1.0, 0.6, 0.25, 0.6, 0.35])),
    "zcr": (np.array([0.25, 0.1]), np.array([0.12, 0.06])),
    "flux": (np.array([1.3, 1.4]), np.array([0.35, 0.8])),
}
_WEIGHTS = {"mfcc_mean": 1.0, "mfcc_std": 0.8, "spectral": 0.8, "energy": 0.6, "zcr": 0.4,
            "flux": 0.5}
SIGNAL_DIM = 2 * N_MFCC + sum(len(centre) for centre, _ in _STANDARD.values())


def window_vector(samples: np.ndarray) -> np.ndarray:
    """A (SIGNAL_DIM,) float32 summary of 16 kHz mono samples for matching sound types by cosine.

    Means and spread of MFCC c1-c20 (c0, the loudness, is left out), loudness statistics,
    spectral centroid, bandwidth, roll-off and flatness, zero-crossing rate and spectral flux,
    each standardised with fixed constants. Deterministic and finite for silence or one sample.
    """
    raw = _raw_groups(samples)
    parts = {
        "mfcc_mean": (raw["mfcc_mean"] - _MEAN_CENTRE) / _MEAN_SCALE,
        "mfcc_std": np.log(np.maximum(raw["mfcc_std"], 0.05) / _STD_TYPICAL) / 0.5,
    }
    for name, (centre, scale) in _STANDARD.items():
        parts[name] = (raw[name] - centre) / scale
    vector = np.concatenate([
        np.clip(np.nan_to_num(parts[name]), -_CLIP, _CLIP) * weight / math.sqrt(len(parts[name]))
        for name, weight in _WEIGHTS.items()])
    return vector.astype(np.float32)
