"""Play a file to the system's default output through PortAudio (sounddevice), in sync with
its transcript.

The audio comes from the project's own decoder (decode.open_reader), so every format the app
transcribes also plays, on the same timeline as its transcript. It is decoded mono at the
output device's own rate rather than at the decoder's 16 kHz: the rate is one argument to
the reader, and speech keeps the consonants above 8 kHz that a person listens for when
correcting a transcript. A feeder thread decodes from the seek point on (PyAV and libsndfile
seek; nothing before it is decoded), stretches for the speed and keeps about half a second
ahead in a queue; PortAudio's callback only copies from that queue and scales by the volume.
Memory stays bounded whatever the file's length or what its header claims.

Speeds other than 1 keep the pitch with WSOLA (see Wsola): no maintained library offers
streaming time-stretch under a licence the app can ship (python-stretch's released version
only stretches whole buffers; Rubber Band and pedalboard are GPL; audiotsm is unmaintained).
"""

from __future__ import annotations

import bisect
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from grym_desktop.audio.capture import DeviceError
from grym_desktop.audio.decode import SAMPLE_RATE, iter_chunks, open_reader
from grym_desktop.errors import InputError

MIN_SPEED, MAX_SPEED = 0.5, 2.0
READ_AHEAD = 0.5  # seconds of output decoded ahead of what PortAudio has taken
LATENCY = 0.1  # seconds PortAudio keeps queued at the device: no underruns while Python is busy
_WAIT = 0.01  # the feeder's poll when the queue is full or the end is being heard


class OutputDeviceError(DeviceError):
    """No sound output device, or one that refused to play."""


@dataclass
class Envelope:
    """The file's waveform in buckets: each bucket's start (seconds), lowest and highest sample."""

    times: np.ndarray
    lows: np.ndarray
    highs: np.ndarray
    duration: float  # seconds of audio that decoded


def envelope(path: str | Path, buckets: int = 2000,
             stop: Callable[[], bool] = lambda: False) -> Envelope:
    """The min/max envelope of a file in `buckets` to 2 x `buckets` buckets, in one pass of the
    decoder's 30 s chunks (memory stays flat whatever the file's length or its header).

    Buckets start at 1 ms and double in size whenever there are too many (neighbours merged),
    so no duration is needed beforehand. `stop` is asked between chunks; when it says yes,
    what was measured so far is returned.
    """
    size, done = 16, 0  # samples per bucket; samples measured
    times, lows, highs = (np.zeros(0, np.float64), np.zeros(0, np.float32),
                          np.zeros(0, np.float32))
    carry = np.zeros(0, np.float32)
    for chunk in iter_chunks(path, chunk_seconds=30.0):
        if stop():
            break
        data = np.concatenate([carry, chunk])
        while len(times) + len(data) // size > 2 * buckets:
            times, lows, highs = times[::2], _pairs(lows, np.minimum), _pairs(highs, np.maximum)
            size *= 2
        whole = len(data) // size * size
        blocks = data[:whole].reshape(-1, size)
        times = np.concatenate([times, (done + np.arange(len(blocks)) * size) / SAMPLE_RATE])
        lows = np.concatenate([lows, blocks.min(axis=1)])
        highs = np.concatenate([highs, blocks.max(axis=1)])
        done += whole
        carry = data[whole:]
    if len(carry):
        times = np.append(times, done / SAMPLE_RATE)
        lows, highs = np.append(lows, carry.min()), np.append(highs, carry.max())
        done += len(carry)
    return Envelope(times, lows, highs, done / SAMPLE_RATE)


def _pairs(values: np.ndarray, combine: Callable) -> np.ndarray:
    """Neighbours combined two by two (an odd last one kept alone)."""
    even = len(values) // 2 * 2
    return np.concatenate([combine(values[0:even:2], values[1:even:2]), values[even:]])


class Wsola:
    """Streaming time-stretch of mono audio by `speed`, the pitch kept (WSOLA, Verhelst 1993).

    Output is the overlap-add of Hann-windowed 40 ms input frames placed every 20 ms; each
    frame is taken within 15 ms of where the speed puts it, where its waveform best continues
    the previous frame's (cross-correlation), so periods line up and nothing is transposed.
    At speed 1 every frame is where it belongs: the output is the input, faded in and out.
    """

    HOP_SECONDS, TOLERANCE_SECONDS = 0.02, 0.015

    def __init__(self, rate: int, speed: float = 1.0):
        self.speed = speed
        self.hop = round(rate * self.HOP_SECONDS)
        self.frame = 2 * self.hop
        self.tolerance = 0 if speed == 1.0 else round(rate * self.TOLERANCE_SECONDS)
        # Periodic Hann: two halves overlapped at half a frame sum to exactly 1.
        self.window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(self.frame) / self.frame)
                       ).astype(np.float32)
        self._buf = np.zeros(0, np.float32)
        self._base = 0  # input index of _buf[0]
        self._next = 0.0  # input index where the speed puts the next frame
        self._prev: int | None = None  # input index of the previous frame
        self._tail = np.zeros(self.hop, np.float32)  # its windowed second half
        self._fed = self._out = 0

    def push(self, samples: np.ndarray) -> np.ndarray:
        """The output that the input so far allows (it lags by about a frame)."""
        self._fed += len(samples)
        out = self._run(samples)
        self._out += len(out)
        return out

    def finish(self) -> np.ndarray:
        """The rest of the output: len(input) / speed samples in all."""
        out = np.concatenate([self._run(np.zeros(2 * (self.frame + self.tolerance), np.float32)),
                              self._tail])
        return out[: max(0, math.ceil(self._fed / self.speed) - self._out)]

    def _run(self, samples: np.ndarray) -> np.ndarray:
        self._buf = np.concatenate([self._buf, samples])
        end = self._base + len(self._buf)
        hop, out = self.hop, []
        while round(self._next) + self.tolerance + self.frame <= end:
            at = self._best(round(self._next))
            frame = self._buf[at - self._base:at - self._base + self.frame] * self.window
            out.append(self._tail + frame[:hop])
            self._tail = frame[hop:]
            self._prev, self._next = at, self._next + hop * self.speed
            drop = min(at + hop, round(self._next) - self.tolerance) - self._base
            if drop > 0:
                self._buf, self._base = self._buf[drop:], self._base + drop
        return np.concatenate(out) if out else np.zeros(0, np.float32)

    def _best(self, ideal: int) -> int:
        if self._prev is None or self.tolerance == 0:
            return ideal
        first = max(ideal - self.tolerance, self._base)
        prev, base = self._prev - self._base, self._base
        template = self._buf[prev + self.hop:prev + self.frame]  # the previous frame's 2nd half
        region = self._buf[first - base:ideal + self.tolerance + self.hop - base]
        return first + int(np.argmax(np.correlate(region, template, "valid")))


def _sounddevice():
    try:
        import sounddevice
    except OSError:
        raise OutputDeviceError("Playing audio needs the PortAudio library (libportaudio2), "
                                "which is not installed.") from None
    return sounddevice


def warm_up() -> None:
    """Start PortAudio now (it lists the devices: about 0.1 s) rather than in the first open();
    for a thread at the window's start. A missing PortAudio is reported by open()."""
    try:
        _sounddevice()
    except OutputDeviceError:
        pass


class Player:
    """One file played to the default output; every method may be called from the GUI thread
    while PortAudio's callback runs.

    `position` is the second of the file being heard now (the device's latency accounted
    for), monotonic while playing. `on_end` is called, on the player's feeder thread, once
    the last sample has been heard; `finished` says the same to a poller.
    """

    def __init__(self) -> None:
        self.on_end: Callable[[], None] | None = None
        self.error: str | None = None  # why playback stopped early (the file is damaged there)
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._stream = None
        self._reader: Callable[[float, int], Iterator[np.ndarray]] | None = None
        self._rate = 1
        self._duration = 0.0
        self._speed, self._volume = 1.0, 1.0
        self._loop: tuple[float, float] | None = None
        self._playing = self._finished = False
        self._target = 0.0  # the position when not playing, or until a seek's audio is heard
        self._gen = 0  # bumped by every seek: queued audio of an older one is dropped
        self._job: float | None = None  # where the feeder starts for this generation
        self._closing = False
        self._thread: threading.Thread | None = None
        self._queue: deque[tuple[int, int, np.ndarray | None]] = deque()  # gen, index, samples
        self._produced = 0  # output samples the feeder has queued, over all generations
        self._gen_first = 0  # the output index where this generation's audio starts
        self._fed_to = 0.0  # the file second the feeder has decoded up to
        self._anchors: list[tuple[int, float, float]] = []  # output index, file second, speed
        self._last = (-1, 0.0)  # anchor index and position last reported (monotonic)
        # Written by the callback only:
        self._played = 0  # output index of the next sample it takes
        self._current: tuple[int, int, np.ndarray] | None = None
        self._offset = 0
        self._heard: tuple[int, float, int, int] | None = None  # gen, DAC time, index, count
        self._end_heard: tuple[int, float] | None = None  # gen, DAC time just after the end

    # --- opening and closing ---

    def open(self, path: str | Path) -> None:
        """Load `path` for playback, paused at 0; raises an InputError (missing, undecodable)
        or an OutputDeviceError, each with one sentence for a person."""
        self._shut_stream()
        with self._lock:
            self._reader, self._duration, self._target = None, 0.0, 0.0
        info, reader = open_reader(path)
        sd = _sounddevice()
        try:
            device = sd.query_devices(kind="output")
        except (sd.PortAudioError, ValueError):
            raise OutputDeviceError("No sound output device was found on this computer.") from None
        rate = int(device["default_samplerate"])
        try:
            stream = sd.OutputStream(
                samplerate=rate, channels=1 if device["max_output_channels"] == 1 else 2,
                dtype="float32", latency=LATENCY, callback=self._callback)
        except sd.PortAudioError as exc:
            raise OutputDeviceError(f"The sound output “{device['name']}” cannot play audio "
                                    f"({exc}).") from None
        with self._lock:
            self._stream, self._reader, self._rate = stream, reader, rate
            self._duration = info.duration
            self._target, self._finished, self.error, self._loop = 0.0, False, None, None
            self._closing = False
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._feed, name="grym-playback", daemon=True)
            self._thread.start()

    def close(self) -> None:
        """Stop, release the output device and the feeder thread."""
        self._shut_stream()
        with self._lock:
            self._closing = True
            self._wake.notify_all()
            self._reader, self._duration, self._target = None, 0.0, 0.0
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self._thread = None

    def _shut_stream(self) -> None:
        with self._lock:
            stream, self._stream = self._stream, None
            self._playing = False
            self._flush(None)
        if stream is not None:
            stream.abort()
            stream.close()

    # --- transport ---

    def play(self) -> None:
        """Play from the current position (from the start once the file has ended)."""
        with self._lock:
            if self._stream is None or self._playing:
                return
            if self._finished or self._target >= self._duration:
                self._target = 0.0
            self._finished, self._playing = False, True
            self._flush(self._target)
            self._stream.start()

    def pause(self) -> None:
        """Stop where the listener is now; play() resumes from there."""
        with self._lock:
            if not self._playing:
                return
            self._target = self._position()
            self._playing = False
            self._flush(None)
            self._stream.abort()

    def toggle(self) -> None:
        """Play when paused, pause when playing."""
        if self.playing:
            self.pause()
        else:
            self.play()

    def seek(self, seconds: float) -> None:
        """Go to `seconds` of the file (clamped to it), playing on if it was playing."""
        with self._lock:
            self._target = min(max(0.0, seconds), self._duration)
            self._finished = False
            if self._playing:  # restart the stream: what the device still holds is not heard
                self._stream.abort()
                self._flush(self._target)
                self._stream.start()

    def set_loop(self, start: float, end: float) -> None:
        """Play `start`..`end` over and over: playback wraps from end to start (jumping to
        start now when the listener is outside that span)."""
        if not end > start:
            raise ValueError(f"a loop must end after it starts, got {start}..{end}")
        start, end = max(0.0, start), min(end, self._duration)
        with self._lock:
            self._loop = (start, end) if end > start else None  # None: past the file's end
            now = self._position() if self._playing else self._target
        if self._loop is None:
            return
        if not start <= now < end:
            self.seek(start)
        elif self._playing and self._fed_to > end:  # the read-ahead already went past the end
            self.seek(now)

    def clear_loop(self) -> None:
        """Play on past the loop's end."""
        with self._lock:
            self._loop = None
            if self._playing:  # the read-ahead may already hold a wrap
                self._flush(self._position())

    # --- state ---

    @property
    def position(self) -> float:
        with self._lock:
            return self._position() if self._playing else self._target

    @property
    def duration(self) -> float:
        return self._duration

    @property
    def playing(self) -> bool:
        return self._playing

    @property
    def finished(self) -> bool:
        """True once the file has been played to its end (until the next play or seek)."""
        return self._finished

    @property
    def speed(self) -> float:
        return self._speed

    @speed.setter
    def speed(self, value: float) -> None:
        with self._lock:
            self._speed = min(max(MIN_SPEED, float(value)), MAX_SPEED)
            if self._playing:  # the queued audio was stretched for the old speed
                self._flush(self._position())

    @property
    def volume(self) -> float:
        return self._volume

    @volume.setter
    def volume(self, value: float) -> None:
        self._volume = min(max(0.0, float(value)), 1.0)

    def _position(self) -> float:
        """The file second being heard now (lock held, playing)."""
        heard = self._heard
        if heard is None or heard[0] != self._gen or not self._anchors:
            return self._target
        # The last buffer the callback filled is heard from its DAC time on; what is heard
        # before that time came just before it (the generation's samples are contiguous).
        _, dac, first, count = heard
        index = first + min((self._stream.time - dac) * self._rate, count)
        if index < self._anchors[0][0]:  # the seek's first sample is not heard yet
            return self._target
        del self._anchors[:bisect.bisect_right(self._anchors, (index, math.inf)) - 1]
        at, seconds, speed = self._anchors[0]
        seconds = min(seconds + (index - at) * speed / self._rate, self._duration)
        if self._last[0] == at:
            seconds = max(seconds, self._last[1])
        self._last = (at, seconds)
        return seconds

    def _flush(self, start: float | None) -> None:
        """Drop what is queued; the feeder starts again from `start` (None: it waits)."""
        self._gen += 1
        self._job = start
        if start is not None:
            self._target = start
        self._queue.clear()
        self._anchors.clear()
        self._wake.notify_all()

    # --- the feeder thread ---

    def _feed(self) -> None:
        while True:
            with self._lock:
                while self._job is None and not self._closing:
                    self._wake.wait()
                if self._closing:
                    return
                gen, start, self._job = self._gen, self._job, None
                reader, self._gen_first = self._reader, self._produced
            try:
                ended = self._feed_from(gen, reader, start)
            except InputError as exc:  # damaged part-way: what was decoded is played
                self.error, ended = str(exc), True
            if ended and self._put(gen, None):
                self._await_end(gen)

    def _feed_from(self, gen: int, reader: Callable[[float, int], Iterator[np.ndarray]],
                   start: float) -> bool:
        """Queue the file from `start`, wrapping at a loop's end; True when it ended."""
        rate = self._rate
        while True:
            speed = self._speed
            stretch = Wsola(rate, speed)
            with self._lock:
                if gen != self._gen:
                    return False
                self._anchors.append((self._produced, start, speed))
            at, wrap = start, False
            for piece in reader(start, rate):
                loop = self._loop
                if loop is not None and at < loop[1]:
                    piece = piece[:max(0, round((loop[1] - at) * rate))]
                    wrap = at + len(piece) / rate >= loop[1] - 0.5 / rate
                at += len(piece) / rate
                self._fed_to = at
                if not self._put(gen, stretch.push(piece)):
                    return False
                if wrap:
                    break
            if not self._put(gen, stretch.finish()):
                return False
            loop = self._loop
            if at == start:  # nothing there: the end (a loop beyond it is not wrapped)
                return True
            if loop is not None and (wrap or at < loop[1]):
                start = loop[0]
            elif wrap:  # the loop was cleared while wrapping: play on
                start = at
            else:
                if gen == self._gen:  # the true end, when the header promised more
                    self._duration = min(self._duration, at)
                return True

    def _put(self, gen: int, samples: np.ndarray | None) -> bool:
        """Queue samples (None: the end) once there is room; False when a seek made them stale."""
        if samples is not None and len(samples) == 0:
            return gen == self._gen
        while self._produced - max(self._played, self._gen_first) > READ_AHEAD * self._rate:
            if gen != self._gen or self._closing:
                return False
            time.sleep(_WAIT)
        with self._lock:
            if gen != self._gen:
                return False
            self._queue.append((gen, self._produced, samples))
            if samples is not None:
                self._produced += len(samples)
        return True

    def _await_end(self, gen: int) -> None:
        """Wait until the last queued sample has been heard, then stop and tell on_end."""
        while True:
            with self._lock:
                if gen != self._gen or self._stream is None:
                    return
                end = self._end_heard
                if end is not None and end[0] == gen and self._stream.time >= end[1]:
                    self._target = self._position()
                    self._playing, self._finished = False, True
                    self._flush(None)
                    self._stream.abort()
                    break
            time.sleep(_WAIT)
        if self.on_end is not None:
            self.on_end()

    # --- PortAudio's thread ---

    def _callback(self, outdata: np.ndarray, frames: int, time_info, _status) -> None:
        gen, filled, first = self._gen, 0, -1
        mono = outdata[:, 0]
        while filled < frames:
            if self._current is None or self._current[0] != gen:
                try:
                    item = self._queue.popleft()
                except IndexError:
                    break
                if item[0] != gen:
                    continue
                if item[2] is None:  # the end: heard once this buffer has played
                    self._end_heard = (gen, time_info.outputBufferDacTime + filled / self._rate)
                    break
                self._current, self._offset = item, 0
            _, index, samples = self._current
            take = min(frames - filled, len(samples) - self._offset)
            mono[filled:filled + take] = samples[self._offset:self._offset + take]
            if first < 0:
                first = index + self._offset
            self._offset += take
            filled += take
            self._played = index + self._offset
            if self._offset == len(samples):
                self._current = None
        mono[filled:] = 0.0
        mono *= self._volume
        if outdata.shape[1] > 1:
            outdata[:, 1:] = outdata[:, :1]
        if filled:
            self._heard = (gen, time_info.outputBufferDacTime, first, filled)
