"""Voice activity detection for live audio: Silero VAD through onnxruntime, and utterances.

The Silero model is the ONNX file faster-whisper ships; it is found on disk without
importing faster_whisper (which would import ctranslate2 into the window's process).
SileroVAD gives the speech probability of each 32 ms frame, keeping the model's state
across calls; Segmenter turns those probabilities into utterances with a start, a
pause (the moment a speculative final can start) and an end.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from grym_desktop.errors import ModelMissingError

SAMPLE_RATE = 16000
FRAME = 512  # samples per Silero frame at 16 kHz (32 ms)
CONTEXT = 64  # samples of the previous frame the model sees before each frame


def silero_model_path() -> Path:
    """The silero_vad ONNX file in faster-whisper's assets folder."""
    spec = importlib.util.find_spec("faster_whisper")
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in folders:
        found = sorted(Path(folder, "assets").glob("silero_vad*.onnx"))
        if found:
            return found[-1]
    raise ModelMissingError(
        "Voice activity detection needs the Silero model that comes with faster-whisper, "
        "which is not installed."
    )


class SileroVAD:
    """Speech probability per 512-sample frame of a 16 kHz stream, fed in any chunks."""

    def __init__(self, path: Path | None = None):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.inter_op_num_threads = 1
        options.intra_op_num_threads = 1
        options.enable_cpu_mem_arena = False
        options.log_severity_level = 4
        self.session = onnxruntime.InferenceSession(
            str(path or silero_model_path()), providers=["CPUExecutionProvider"],
            sess_options=options,
        )
        self.reset()

    def reset(self) -> None:
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(CONTEXT, dtype=np.float32)

    def __call__(self, frames: np.ndarray) -> np.ndarray:
        """Probabilities of frames shaped (n, 512), in stream order after the previous call."""
        if len(frames) == 0:
            return np.zeros(0, dtype=np.float32)
        batch = np.empty((len(frames), CONTEXT + FRAME), dtype=np.float32)
        batch[:, CONTEXT:] = frames
        batch[0, :CONTEXT] = self._context
        batch[1:, :CONTEXT] = frames[:-1, -CONTEXT:]
        out, self._h, self._c = self.session.run(
            None, {"input": batch, "h": self._h, "c": self._c}
        )
        self._context = frames[-1, -CONTEXT:].copy()
        return np.asarray(out, dtype=np.float32).reshape(-1)


@dataclass
class VadConfig:
    threshold: float = 0.5  # a frame above this is speech
    neg_threshold: float = 0.35  # below this it is silence; between, it continues what was
    min_speech: float = 0.2  # seconds of speech before an utterance starts
    pause: float = 0.2  # seconds of silence after which a speculative final may start
    end: float = 0.5  # seconds of silence that end an utterance
    short: float = 1.0  # an utterance with less speech than this is short...
    end_short: float = 1.0  # ...and waits this long for more words (a lone "two" decodes badly)
    start_pad: float = 0.2  # seconds of audio kept before the first speech frame
    max_utterance: float = 20.0  # longer speech is cut at its quietest recent frame
    cut_search: float = 4.0  # seconds before the limit searched for that quiet frame...
    cut_keep: float = 1.0  # ...except the last ones: the next utterance starts with some words


@dataclass
class VadEvent:
    """kind: "start", "pause" (speculate), "resume", "end", "cut"; sample: session sample.

    For "pause" and "end", sample is where the utterance's audio stops (the pause
    length after its last speech frame) and speech_end where speech itself stopped.
    "cut" ends an utterance that reached the length limit; a "start" follows at once
    (a few milliseconds earlier when the cut is in a pause: both keep that silence).
    """

    kind: str
    sample: int
    speech_end: int = 0


class Segmenter:
    """Cuts a stream of frame probabilities into utterances, with hysteresis."""

    def __init__(self, config: VadConfig | None = None):
        self.config = c = config or VadConfig()
        self._min_speech = max(1, round(c.min_speech * SAMPLE_RATE / FRAME))
        self._pause = max(1, round(c.pause * SAMPLE_RATE / FRAME))
        self._end = max(self._pause, round(c.end * SAMPLE_RATE / FRAME))
        self._end_short = max(self._end, round(c.end_short * SAMPLE_RATE / FRAME))
        self._short = round(c.short * SAMPLE_RATE / FRAME)
        self._pad = round(c.start_pad * SAMPLE_RATE)
        self._max = round(c.max_utterance * SAMPLE_RATE)
        self._search = max(1, round(c.cut_search * SAMPLE_RATE / FRAME))
        self._keep = min(self._search - 1, round(c.cut_keep * SAMPLE_RATE / FRAME))
        self.frame = 0  # index of the next frame
        self.in_utterance = False
        self.paused = False
        self.start = 0  # sample where the current utterance starts
        self._candidate: int | None = None  # first frame of speech not yet long enough
        self._speech_frames = 0
        self._utterance_speech = 0  # speech frames in the current utterance
        self._last_speech = 0  # frame index after the last speech frame
        self._floor = 0  # samples before this belong to an earlier utterance
        self._recent: list[float] = []  # probabilities of the current utterance's frames

    @property
    def last_speech_sample(self) -> int:
        """The session sample just after the last speech frame."""
        return self._last_speech * FRAME

    @property
    def silence(self) -> float:
        """Seconds since the last speech frame of the current utterance (0 outside one)."""
        return (self.frame - self._last_speech) * FRAME / SAMPLE_RATE if self.in_utterance else 0.0

    def feed(self, probabilities: np.ndarray) -> list[VadEvent]:
        """Advance by these frames' probabilities; the events they cause, in order."""
        events: list[VadEvent] = []
        c = self.config
        for p in probabilities:
            i = self.frame
            self.frame += 1
            if not self.in_utterance:
                self._wait_for_speech(i, float(p), events)
                continue
            self._recent.append(float(p))
            speech = p >= c.threshold or (p >= c.neg_threshold and i == self._last_speech)
            if speech:
                self._last_speech = i + 1
                self._utterance_speech += 1
                if self.paused:
                    self.paused = False
                    events.append(VadEvent("resume", self.frame * FRAME))
            silent = i + 1 - self._last_speech
            if silent == self._pause and not self.paused:
                self.paused = True
                events.append(self._stop_event("pause"))
            if silent >= (self._end if self._utterance_speech >= self._short else self._end_short):
                events.append(self._stop_event("end"))
                self._close(self._last_speech * FRAME + self._pause * FRAME)
            elif self.frame * FRAME - self.start >= self._max:
                self._cut(events)
        return events

    def _wait_for_speech(self, i: int, p: float, events: list[VadEvent]) -> None:
        c = self.config
        if p >= c.threshold:
            if self._candidate is None:
                self._candidate, self._speech_frames = i, 0
            self._speech_frames += 1
        elif p < c.neg_threshold:
            self._candidate = None
            return
        if self._candidate is not None and self._speech_frames >= self._min_speech:
            self.in_utterance, self.paused = True, False
            self.start = max(self._floor, self._candidate * FRAME - self._pad)
            self._last_speech = i + 1
            self._recent = []
            self._utterance_speech = self._speech_frames
            self._candidate = None
            events.append(VadEvent("start", self.start))

    def _stop_event(self, kind: str) -> VadEvent:
        end = self._last_speech * FRAME
        return VadEvent(kind, end + self._pause * FRAME, speech_end=end)

    def _close(self, at: int) -> None:
        self.in_utterance = self.paused = False
        self._floor = at
        self._candidate = None

    def _cut(self, events: list[VadEvent]) -> None:
        """End an over-long utterance at its quietest recent frame and go on with a new one."""
        first = self.frame - len(self._recent)  # frame index of self._recent[0]
        lo = max(0, len(self._recent) - self._search)
        hi = max(lo + 1, len(self._recent) - self._keep)
        # The middle of the quietest 3 frames in a row: a gap between words, not a soft
        # consonant inside one.
        recent = np.asarray(self._recent, dtype=np.float32)
        padded = np.pad(recent, 1, mode="edge")
        loudest = np.maximum(np.maximum(padded[:-2], padded[1:-1]), padded[2:])
        quiet = lo + int(np.argmin(loudest[lo:hi]))
        middle = (first + quiet) * FRAME + FRAME // 2
        end, start = middle, middle
        if loudest[quiet] < self.config.neg_threshold:
            # A real pause: both utterances keep all of it, as a little silence around words.
            end, start = middle + FRAME, middle - FRAME
        end = max(end, self.start + FRAME)
        events.append(VadEvent("cut", end, speech_end=end))
        events.append(VadEvent("start", max(start, self.start + FRAME)))
        self.start = self._floor = max(start, self.start + FRAME)
        self.paused = False
        self._utterance_speech = self._short  # the speaker is well into speaking
        self._recent = self._recent[quiet + 1:]
