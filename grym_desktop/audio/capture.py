"""Microphone capture through PortAudio (sounddevice), resampled to 16 kHz mono.

The audio callback runs on PortAudio's thread and only copies the block into a
preallocated ring buffer: it never blocks and allocates no buffers. The reader
(the live session's audio thread) mixes to mono, converts and resamples. Device
problems become a DeviceError with one sentence for a person.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np

from grym_desktop.audio.decode import SAMPLE_RATE
from grym_desktop.errors import InputError

STALL_SECONDS = 2.0  # a running stream that delivers nothing for this long has lost its device
_hung_streams: list = []  # streams of devices that stopped answering, kept alive until exit


class DeviceError(InputError):
    """No microphone, a busy one, or one that went away."""


@dataclass(frozen=True)
class InputDevice:
    index: int
    name: str
    channels: int
    rate: int  # the device's native (default) sample rate
    hostapi: str
    is_default: bool = False


def _sounddevice():
    try:
        import sounddevice
    except OSError:
        raise DeviceError(
            "Microphone capture needs the PortAudio library (libportaudio2), which is not "
            "installed."
        ) from None
    return sounddevice


def refresh_devices() -> None:
    """Ask PortAudio to look for devices again (after one was plugged in or out)."""
    sd = _sounddevice()
    sd._terminate()
    sd._initialize()


def list_input_devices() -> list[InputDevice]:
    """Every device PortAudio can record from, the system default marked."""
    sd = _sounddevice()
    hostapis = sd.query_hostapis()
    default = sd.default.device[0]
    if default is None or default < 0:
        default = next((h["default_input_device"] for h in hostapis
                        if h["default_input_device"] >= 0), -1)
    return [
        InputDevice(
            index=d["index"], name=d["name"], channels=d["max_input_channels"],
            rate=int(d["default_samplerate"]), hostapi=hostapis[d["hostapi"]]["name"],
            is_default=d["index"] == default,
        )
        for d in sd.query_devices()
        if d["max_input_channels"] > 0
    ]


def find_input_device(choice: str | int | None = None) -> InputDevice:
    """The device named or numbered by choice (None: the default one), or a DeviceError."""
    devices = list_input_devices()
    if choice is None or choice == "":
        if not devices:
            raise DeviceError("No microphone was found on this computer.")
        return next((d for d in devices if d.is_default), devices[0])
    if isinstance(choice, int) or str(choice).isdigit():
        for d in devices:
            if d.index == int(choice):
                return d
        raise DeviceError(f"There is no microphone number {choice}; "
                          f"see grym-desktop live --list-devices.")
    text = str(choice)
    for match in (lambda d: d.name == text, lambda d: text.lower() in d.name.lower()):
        found = [d for d in devices if match(d)]
        if found:
            return found[0]
    raise DeviceError(f"The microphone “{text}” is not connected.")


class RingBuffer:
    """A fixed single-producer, single-consumer ring of int16 frames; overflow drops the newest."""

    def __init__(self, frames: int, channels: int):
        self.data = np.zeros((frames, channels), dtype=np.int16)
        self.capacity = frames
        self.written = 0  # frames ever written (producer only)
        self.consumed = 0  # frames ever read (consumer only)
        self.dropped = 0  # frames that did not fit

    def write(self, block: np.ndarray) -> None:
        """Copy a (frames, channels) block in; called from the audio callback."""
        n = len(block)
        free = self.capacity - (self.written - self.consumed)
        if n > free:
            self.dropped += n - free
            n = free
        start = self.written % self.capacity
        first = min(n, self.capacity - start)
        self.data[start:start + first] = block[:first]
        self.data[: n - first] = block[first:n]
        self.written += n

    def read(self) -> np.ndarray:
        """Everything written since the last read, as a new (frames, channels) array."""
        n = self.written - self.consumed
        start = self.consumed % self.capacity
        first = min(n, self.capacity - start)
        out = np.concatenate([self.data[start:start + first], self.data[: n - first]])
        self.consumed += n
        return out


def _open_error(device: InputDevice, exc: Exception) -> DeviceError:
    text = str(exc)
    lowered = text.lower()
    if "-9985" in text or "unavailable" in lowered or "busy" in lowered:
        return DeviceError(f"The microphone “{device.name}” is in use by another program.")
    if "-9996" in text or "invalid device" in lowered or "no such" in lowered:
        return DeviceError(f"The microphone “{device.name}” is not connected any more.")
    reason = text.split("[")[0].split(":")[-1].strip().rstrip(".") or "unknown error"
    return DeviceError(f"The microphone “{device.name}” could not be opened: {reason}.")


class MicrophoneSource:
    """A live source reading a PortAudio input device at its native rate, giving 16 kHz mono."""

    realtime = True

    def __init__(self, device: str | int | None = None, ring_seconds: float = 60.0,
                 block_seconds: float = 0.02):
        self.device = find_input_device(device)
        self.name = self.device.name
        self.rate = self.device.rate
        self.channels = 1
        self._ring_seconds = ring_seconds
        self._block = max(1, round(block_seconds * self.rate))
        self._stream = None
        self._ring: RingBuffer | None = None
        self._resampler = None
        self._finished = threading.Event()
        self._stopping = False
        self._last_data = 0.0
        self.t0 = 0.0

    @property
    def dropped_seconds(self) -> float:
        return self._ring.dropped / self.rate if self._ring is not None else 0.0

    def start(self) -> None:
        """Open and start the stream; a DeviceError says why it cannot."""
        import soxr

        sd = _sounddevice()
        try:
            self._open(sd, 1)
        except sd.PortAudioError as exc:
            if "channel" not in str(exc).lower() or self.device.channels < 2:
                raise _open_error(self.device, exc) from None
            try:
                self._open(sd, self.device.channels)
            except sd.PortAudioError as exc2:
                raise _open_error(self.device, exc2) from None
        if self.rate != SAMPLE_RATE:
            self._resampler = soxr.ResampleStream(self.rate, SAMPLE_RATE, 1, dtype="float32")
        self.t0 = self._last_data = time.monotonic()

    def _open(self, sd, channels: int) -> None:
        ring = RingBuffer(int(self._ring_seconds * self.rate), channels)
        stream = sd.InputStream(
            device=self.device.index, channels=channels, samplerate=self.rate, dtype="int16",
            blocksize=self._block, callback=self._callback,
            finished_callback=self._finished.set,
        )
        self._ring, self.channels = ring, channels
        stream.start()
        self._stream = stream

    def _callback(self, indata, _frames, _time, _status) -> None:
        self._ring.write(indata)

    def read(self) -> np.ndarray | None:
        """16 kHz mono float32 captured since the last read (may be empty)."""
        if self._stream is None:
            return None
        data = self._ring.read()
        now = time.monotonic()
        if len(data) == 0:
            lost = self._finished.is_set() or now - self._last_data > STALL_SECONDS
            if lost and not self._stopping:
                if self._finished.is_set():
                    self.stop()
                else:  # a hung driver: closing would block, so PortAudio closes it at exit
                    self._stopping = True
                    _hung_streams.append(self._stream)
                    self._stream = None
                raise DeviceError(
                    f"The microphone “{self.name}” stopped sending audio; "
                    "was it unplugged or turned off?"
                )
            time.sleep(0.01)
            return np.zeros(0, dtype=np.float32)
        self._last_data = now
        mono = data[:, 0] if data.shape[1] == 1 else data.mean(axis=1)
        samples = mono.astype(np.float32) / 32768.0
        if self._resampler is not None:
            samples = self._resampler.resample_chunk(samples)
        return samples

    def stop(self) -> None:
        self._stopping = True
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.abort()
                stream.close()
            except Exception:  # noqa: BLE001 - a device that vanished may fail to close
                pass
