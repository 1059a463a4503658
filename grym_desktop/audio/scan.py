"""One pass over a file before it is decoded: its true length, where speech is, its peak.

The pass reads the file 30 s at a time (memory stays flat whatever its length) and
learns what decoding needs before it starts: how many samples really decode (a file
cut short holds fewer than its header promises), whether every sample is a number,
the speech probability of every 32 ms (Silero VAD) and, for Whisper engines, the
loudest log-mel value that Whisper's features are floored from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from grym_desktop.audio.decode import (
    SAMPLE_RATE,
    AudioInfo,
    CorruptAudioError,
    iter_chunks,
    not_a_number_error,
)
from grym_desktop.audio.log_mel import LogMelFramer
from grym_desktop.audio.vad import FRAME, SileroVAD

CHUNK_SECONDS = 30.0
# A file that ends this much before its header says it would is reported as cut short.
CUT_SHORT_TOLERANCE = 0.5


@dataclass
class AudioScan:
    samples: int  # 16 kHz samples that decode; decoding stops here
    speech: np.ndarray = field(repr=False)  # Silero speech probability per 512-sample frame
    log_mel_peak: float | None = None
    cut_short: str | None = None  # one sentence when the file holds less than it claims

    @property
    def duration(self) -> float:
        return self.samples / SAMPLE_RATE


def scan_audio(
    path: str | Path, info: AudioInfo, mel_filters: np.ndarray | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> AudioScan:
    """Read the whole file once; raise CorruptAudioError at once for NaN or infinite samples.

    on_progress gets the fraction of the header's duration read after each chunk.

    Damage part-way through is not an error here: the file is transcribed up to it and
    the scan says where it was cut short.
    """
    vad = SileroVAD()
    framer = LogMelFramer(mel_filters) if mel_filters is not None else None
    peak = -np.inf
    probabilities: list[np.ndarray] = []
    carry = np.zeros(0, np.float32)
    samples = 0
    damaged: str | None = None
    chunks = iter_chunks(path, chunk_seconds=CHUNK_SECONDS)
    while True:
        try:
            chunk = next(chunks, None)
        except CorruptAudioError as exc:
            if samples == 0:
                raise
            damaged = str(exc)
            break
        if chunk is None:
            break
        if not np.isfinite(chunk).all():
            first_bad = int(np.argmin(np.isfinite(chunk)))
            raise not_a_number_error(path, (samples + first_bad) / SAMPLE_RATE)
        samples += len(chunk)
        if on_progress is not None and info.duration:
            on_progress(min(1.0, samples / SAMPLE_RATE / info.duration))
        carry = np.concatenate([carry, chunk])
        whole = len(carry) // FRAME * FRAME
        probabilities.append(vad(carry[:whole].reshape(-1, FRAME)))
        carry = carry[whole:]
        if framer is not None:
            block = framer.push(chunk)
            if block.size:
                peak = max(peak, float(block.max()))
    if len(carry):
        probabilities.append(vad(np.pad(carry, (0, FRAME - len(carry))).reshape(1, FRAME)))
    if framer is not None:
        block = framer.finish()
        if block.size:
            peak = max(peak, float(block.max()))
    return AudioScan(
        samples=samples,
        speech=np.concatenate(probabilities) if probabilities else np.zeros(0, np.float32),
        log_mel_peak=peak if framer is not None else None,
        cut_short=damaged or _cut_short(path, info, samples),
    )


def _cut_short(path: str | Path, info: AudioInfo, samples: int) -> str | None:
    promised = info.header_duration or info.duration
    held = samples / SAMPLE_RATE
    if promised - held <= CUT_SHORT_TOLERANCE:
        return None
    return (f"{Path(path).name} is cut short: its header promises {promised:.1f} s but it "
            f"holds {held:.1f} s; what is there was transcribed.")


def decoded_chunks(path: str | Path, scan: AudioScan) -> Iterator[np.ndarray]:
    """The file's 16 kHz chunks read again, ending exactly where the scan ended."""
    return take_samples(iter_chunks(path, chunk_seconds=CHUNK_SECONDS), scan.samples)


def take_samples(chunks: Iterator[np.ndarray], samples: int) -> Iterator[np.ndarray]:
    """The chunks up to `samples` in all: a second pass stops where the scan stopped."""
    left = samples
    if left <= 0:
        return
    for chunk in chunks:
        yield chunk[:left]
        left -= len(chunk)
        if left <= 0:
            return


def read_spans(
    path: str | Path, scan: AudioScan, spans: list[tuple[float, float]]
) -> Iterator[tuple[float, np.ndarray]]:
    """(start, samples) of each (start, end) span in seconds, in one more pass over the file
    that stops after the last span.

    Spans must be in time order and not overlap; only one span is held at a time.
    """
    wanted = [(round(s * SAMPLE_RATE), round(e * SAMPLE_RATE)) for s, e in spans]
    if not wanted:  # nothing to read: no pass over the file at all
        return
    position, parts, index = 0, [], 0
    for chunk in decoded_chunks(path, scan):
        if index == len(wanted):  # the last span is read: the rest of the file is not
            return
        end_of_chunk = position + len(chunk)
        while index < len(wanted) and wanted[index][0] < end_of_chunk:
            first, stop = wanted[index]
            parts.append(chunk[max(0, first - position):max(0, stop - position)])
            if stop > end_of_chunk:
                break
            yield first / SAMPLE_RATE, np.concatenate(parts)
            parts, index = [], index + 1
        position = end_of_chunk
    if parts:
        yield wanted[index][0] / SAMPLE_RATE, np.concatenate(parts)
