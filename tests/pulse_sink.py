"""A private PulseAudio server whose null sink is the default output, for tests that play real
audio through PortAudio and record what was heard (the same server as
../shared/tools/virtual-mic starts, kept here so CI needs nothing outside the repository).

PortAudio reaches it through ALSA: the server's HOME holds a .asoundrc whose default PCM is
pulse, and XDG_RUNTIME_DIR holds its socket. A null sink renders in blocks of its latency,
two seconds until a client asks for less: a `parec` reads its monitor at 20 ms for as long as
the server runs, and the server is ready once that reader's first audio arrived (then what is
played into the sink moves at real time). Needs pulseaudio, pulseaudio-utils, libasound2-plugins.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

SINK = "grymtest"
SINK_RATE = 48000
ASOUNDRC = "pcm.!default { type pulse }\nctl.!default { type pulse }\n"


def available() -> bool:
    return all(shutil.which(tool) for tool in ("pulseaudio", "pactl", "parec"))


@dataclass
class PulseSink:
    home: Path
    rate: int = SINK_RATE
    _clock: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def env(self) -> dict[str, str]:
        return {"HOME": str(self.home), "XDG_RUNTIME_DIR": str(self.home / "run")}

    def _run(self, *command: str, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run(command, env={**os.environ, **self.env}, **kwargs)

    def _parec(self, out) -> subprocess.Popen:
        return subprocess.Popen(
            ["parec", "-d", f"{SINK}.monitor", "--raw", "--format=float32le", "--channels=1",
             f"--rate={self.rate}", "--latency-msec=20"],
            env={**os.environ, **self.env}, stdout=out, stderr=subprocess.DEVNULL)

    def start(self) -> PulseSink:
        run = self.home / "run"
        run.mkdir(parents=True, exist_ok=True)
        run.chmod(0o700)
        (self.home / ".asoundrc").write_text(ASOUNDRC)
        self._run(
            "pulseaudio", "--daemonize=yes", "--exit-idle-time=-1", "-n",
            "--load=module-native-protocol-unix auth-anonymous=1",
            f"--load=module-null-sink sink_name={SINK} rate={self.rate} channels=1",
            "--load=module-always-sink", f"--log-target=file:{self.home / 'pulse.log'}",
            check=True, stderr=subprocess.DEVNULL)
        for _ in range(100):
            if self._run("pactl", "info", capture_output=True).returncode == 0:
                break
            time.sleep(0.05)
        else:
            raise RuntimeError(f"PulseAudio did not start: see {self.home / 'pulse.log'}")
        self._clock = self._parec(subprocess.PIPE)
        flowing = threading.Event()

        def drain() -> None:
            while self._clock.stdout.read(4096):
                flowing.set()

        threading.Thread(target=drain, daemon=True).start()
        if not flowing.wait(timeout=10):
            raise RuntimeError("The null sink's monitor sends no audio.")
        return self

    def stop(self) -> None:
        if self._clock is not None:
            self._clock.terminate()
            self._clock.wait(timeout=10)
        self._run("pulseaudio", "--kill", stderr=subprocess.DEVNULL)

    def record(self) -> Recording:
        """Record the sink from now until the recording is stopped (a context manager)."""
        return Recording(self)


class Recording:
    """What the sink plays between start and stop, as float32 mono at the sink's rate."""

    def __init__(self, sink: PulseSink):
        self.sink = sink
        self.samples = np.zeros(0, np.float32)
        self._file = sink.home / "recording.raw"
        self._process: subprocess.Popen | None = None

    def __enter__(self) -> Recording:
        with open(self._file, "wb") as out:  # a file: a pipe would fill while nobody reads it
            self._process = self.sink._parec(out)
        time.sleep(0.2)  # parec connects before the audio to record starts
        return self

    def __exit__(self, *_exc) -> None:
        time.sleep(0.2)  # the server's last block reaches the monitor
        self._process.terminate()
        self._process.wait(timeout=10)
        data = self._file.read_bytes()
        self.samples = np.frombuffer(data[: len(data) // 4 * 4], "<f4").copy()
        self._file.unlink()
