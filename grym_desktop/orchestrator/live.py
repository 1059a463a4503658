"""Live transcription: a source's audio, cut into utterances by VAD, decoded in the model host.

Two threads. The audio thread reads the source, runs Silero VAD and keeps the audio
of every utterance that has no final text yet. The decoding thread (the caller of
run) sends that audio to the model host: a quick partial now and then while a person
speaks, a speculative final as soon as they pause, the final once the pause is long
enough. Finals come first: when decoding falls behind, partial updates are skipped,
never audio. Every final is written to the library as it arrives, so stopping, closing
or a crash loses at most the utterance in flight.

VAD runs here, in the parent, not in the model host: it must keep listening while
the host is busy decoding (an end of speech is noticed at once, not after the decode
in progress), it costs about 0.5 % of one core, and the audio of an unfinished
utterance stays in the parent, so a restarted host can be given it again.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from grym_desktop.audio.decode import SAMPLE_RATE
from grym_desktop.audio.recording import Recorder
from grym_desktop.audio.vad import FRAME, Segmenter, SileroVAD, VadConfig, VadEvent
from grym_desktop.errors import GrymError, HostDiedError
from grym_desktop.models.catalog import DEFAULT_MODEL, get_spec, transcription_models
from grym_desktop.models.sources import status
from grym_desktop.options import DecodeOptions
from grym_desktop.orchestrator.runner import Orchestrator
from grym_desktop.transcript import Metrics, Segment, Transcript

PARTIAL_EVERY = 0.3  # seconds of new audio between partial decodes of an utterance
MIN_PARTIAL = 0.3  # seconds of an utterance before its first partial
HOLD_PARTIALS = 0.1  # no new partial once the speaker has been silent this long
BACKLOG_WARNING = 10.0  # seconds behind at which the user is told
FAST_AHEAD = 1.0  # a fast source is read only while the backlog is below this
STATUS_EVERY = 0.1  # seconds between status events
PREROLL = 1.0  # seconds of audio kept before any utterance, for the start padding
PROMPT_CHARS = 200  # previous final text given to the model as context
# Whisper copies its prompt's style: previous text without capitals or punctuation is led
# by this, so one lower-case final does not turn all the following ones to lower case.
STYLE_PROMPT = "Okay."
HOST_TIMEOUT = 120.0
SILENCE_DB = -90.0  # the level meter's floor
SILENCE_RMS = 10 ** (SILENCE_DB / 20)


@dataclass
class LiveStarted:
    model: str
    precision: str
    source: str
    transcript_id: int | None


@dataclass
class LivePartial:
    """The text of an utterance so far; `stable` is its prefix that will not change."""

    utterance: int
    start: float
    text: str
    stable: str


@dataclass
class LiveFinal:
    """An utterance's final text (segment None: it held no words after all).

    speech_end is where speech stopped (session seconds); latency the seconds from the
    moment that audio arrived to this final (None for utterances cut at the length limit).
    """

    utterance: int
    segment: Segment | None
    speech_end: float
    latency: float | None


@dataclass
class LiveStatus:
    elapsed: float  # seconds of audio heard
    level: float  # dBFS of the loudest recent block
    backlog: float  # seconds of audio heard but not yet shown as text
    state: str  # loading, listening, finishing, stopped


@dataclass
class LiveWarning:
    message: str


LiveEvent = LiveStarted | LivePartial | LiveFinal | LiveStatus | LiveWarning


def fastest_installed_model() -> str:
    """The installed transcription model with the fewest parameters: the likeliest to keep up."""
    found = []
    for spec in transcription_models():
        try:
            if status(spec).installed:
                found.append((spec.parameters or spec.download_bytes or math.inf, spec.id))
        except (GrymError, OSError, ValueError):
            continue
    return min(found)[1] if found else DEFAULT_MODEL


def live_title(source_name: str) -> str:
    """A name for the library and for exported files: Live 2025-01-31 14-05 <source>."""
    name = " ".join(re.sub(r"[^\w\- ]+", " ", source_name).split())
    return f"Live {time.strftime('%Y-%m-%d %H-%M')} {name}".strip()


@dataclass
class Utterance:
    index: int
    start: int  # session sample of its first sample
    end: int | None = None  # where its audio stops, once paused or ended
    closed: bool = False  # ended: only its final is left to do
    cut: bool = False  # ended by the length limit, not by silence
    speech_end: int = 0
    speech_end_time: float = 0.0  # monotonic time the speech_end sample arrived
    sent: int = 0  # samples of it already in the model host
    speculated: int = 0  # length of the speculative final asked for
    partial_at: int = 0  # its length at the last partial
    covered: int = 0  # samples of it covered by text on screen
    text: str = ""  # the partial text last shown


class AudioTape:
    """The session's recent 16 kHz audio: appended at the end, forgotten from the start."""

    def __init__(self, seconds: float = 60.0):
        self._data = np.zeros(int(seconds * SAMPLE_RATE), dtype=np.float32)
        self._head = 0  # index in _data of session sample `base`
        self.base = 0  # first session sample still held
        self.end = 0  # session sample after the last one held

    def append(self, samples: np.ndarray) -> None:
        used = self.end - self.base
        if self._head + used + len(samples) > len(self._data):
            if used + len(samples) > len(self._data):
                grown = np.zeros(max(2 * len(self._data), used + len(samples)), np.float32)
                grown[:used] = self._data[self._head:self._head + used]
                self._data = grown
            else:
                self._data[:used] = self._data[self._head:self._head + used]
            self._head = 0
        at = self._head + used
        self._data[at:at + len(samples)] = samples
        self.end += len(samples)

    def slice(self, start: int, stop: int) -> np.ndarray:
        """A copy of session samples [start, stop)."""
        if start < self.base or stop > self.end:
            raise GrymError("Live audio was forgotten before it was transcribed.")
        return self._data[self._head + start - self.base:self._head + stop - self.base].copy()

    def forget_before(self, sample: int) -> None:
        sample = min(max(sample, self.base), self.end)
        self._head += sample - self.base
        self.base = sample


class LiveSession:
    """One live transcription session from a source, on the orchestrator's model host."""

    def __init__(
        self,
        orchestrator: Orchestrator,
        source,
        model_id: str | None = None,
        precision: str | None = None,
        language: str | None = None,
        task: str = "transcribe",
        max_seconds: float | None = None,
        on_event: Callable[[LiveEvent], None] | None = None,
        vad_config: VadConfig | None = None,
        condition_on_previous_text: bool = True,
    ):
        self.orchestrator = orchestrator
        self.source = source
        self.model_id = model_id or fastest_installed_model()
        self.precision = precision
        self.language = language
        self.task = task
        self.max_samples = round(max_seconds * SAMPLE_RATE) if max_seconds else None
        self.on_event = on_event or (lambda _event: None)
        self.condition = condition_on_previous_text
        self.vad_config = vad_config or VadConfig()
        self.segments: list[Segment] = []
        self.title = live_title(source.name)  # the library's name of the session
        self.samples = 0  # session samples heard
        self.state = "loading"
        self.engine = ""
        self.transcript_id: int | None = None
        self.recorder: Recorder | None = None  # the session's audio, kept with its transcript
        self._recording_warned = False
        self._cv = threading.Condition()
        self._utterances: deque[Utterance] = deque()
        self._current: Utterance | None = None
        self._next_index = 0
        self._tape = AudioTape()
        self._arrivals: deque[tuple[int, float]] = deque(maxlen=4096)
        self._stop_input = threading.Event()
        self._abandon = False
        self._input_done = False
        self._error: GrymError | None = None
        self._level = SILENCE_DB
        self._warned = False
        self._language_seen: str | None = None
        self._prompt = ""
        self._last_status = 0.0
        self._loaded: tuple[str, str] | None = None
        self._dropped = 0.0  # seconds of audio the source reported lost

    # -- control (any thread) ----------------------------------------------------------------

    def stop(self, drain: bool = True) -> None:
        """Stop listening; with drain, the utterances heard still get their finals first."""
        with self._cv:
            self._stop_input.set()
            if not drain:
                self._abandon = True
            self._cv.notify_all()

    @property
    def backlog(self) -> float:
        with self._cv:
            return self._backlog_samples() / SAMPLE_RATE

    # -- the whole session -------------------------------------------------------------------

    def run(self) -> Transcript:
        """Listen until the source ends, stop() or max_seconds; the session's transcript.

        Raises the GrymError that ended it (device, model, memory) after saving what it had.
        """
        self._status("loading")
        self.source.start()
        record = None
        library = self.orchestrator.library
        try:
            spec = self._load_model()
            self.engine = spec.engine
            if library is not None:
                file = self._start_recording()
                record = library.begin_transcript(
                    file, spec.id, spec.engine, self.precision, 0.0
                )
                library.rename_transcript(record, self.title)
            self.transcript_id = record
            self.on_event(LiveStarted(spec.id, self.precision, self.source.name, record))
        except BaseException:
            self.source.stop()
            raise
        self.vad = SileroVAD()
        self.segmenter = Segmenter(self.vad_config)
        self._status("listening")
        audio = threading.Thread(target=self._capture, name="grym-live-audio", daemon=True)
        audio.start()
        started = time.perf_counter()
        try:
            self._decode_loop()
        except GrymError as exc:
            self._fail(exc)
        except Exception as exc:  # noqa: BLE001 - reported as an error, never as a traceback
            self._fail(GrymError(f"Live transcription stopped: {type(exc).__name__}: {exc}"))
        self.stop(drain=False)
        audio.join()
        if self.recorder is not None:
            self.recorder.close()
            self._warn_recording()
        self._status("stopped")
        transcript = Transcript(
            file=str(self.recorder.path) if self.recorder is not None else self.title,
            model=spec.id, engine=spec.engine,
            precision=self.precision, language=self._language_seen or self.language,
            duration=round(self.samples / SAMPLE_RATE, 3), segments=list(self.segments),
            metrics=Metrics(transcribe_seconds=round(time.perf_counter() - started, 3)),
        )
        with self._cv:
            pending = self._backlog_samples() / SAMPLE_RATE if self._utterances else 0.0
        transcript.complete = self._error is None and pending == 0.0
        if library is not None and record is not None:
            if self._error is not None:
                library.fail_transcript(record, str(self._error))
            elif pending:
                library.fail_transcript(
                    record, f"Stopped before the last {pending:.1f} s were transcribed.",
                    status="cancelled",
                )
            else:
                library.finish_transcript(record, transcript)
        if self._error is not None:
            raise self._error
        return transcript

    def _start_recording(self) -> str:
        """Start keeping the session's audio; its path (the title when it cannot be kept)."""
        try:
            self.recorder = Recorder(self.title)
        except (OSError, RuntimeError) as exc:
            self.on_event(LiveWarning(f"The session's audio cannot be kept ({exc}); the "
                                      "transcript is saved without it."))
            return self.title
        return str(self.recorder.path)

    def _warn_recording(self) -> None:
        """Say once that the recording stopped (the transcript goes on)."""
        if self.recorder is not None and self.recorder.error and not self._recording_warned:
            self._recording_warned = True
            self.on_event(LiveWarning(self.recorder.error))

    def _load_model(self):
        """Plan and load the model through the orchestrator (memory guard, watchdog)."""
        spec = get_spec(self.model_id)
        if "transcribe" not in spec.capabilities:
            raise GrymError(f"The model {spec.id} cannot transcribe.")
        if self.precision is None and "int8" in spec.precisions:
            # Latency matters most here: int8 decodes about a third faster on a CPU.
            self.precision = "int8"
        loaded = self.orchestrator.ensure_model(spec.id, self.precision)
        self.precision = loaded.plan.precision
        self._loaded = (spec.id, loaded.plan.precision)
        return spec

    def _fail(self, error: GrymError) -> None:
        with self._cv:
            if self._error is None:
                self._error = error
            self._stop_input.set()
            self._abandon = True
            self._cv.notify_all()

    # -- the audio thread --------------------------------------------------------------------

    def _capture(self) -> None:
        try:
            while not self._stop_input.is_set():
                if not self.source.realtime and self.backlog > FAST_AHEAD:
                    with self._cv:
                        self._cv.wait(0.05)
                    continue
                block = self.source.read()
                if block is None:
                    break
                if self.max_samples is not None:
                    block = block[: self.max_samples - self.samples]
                if len(block):
                    self._ingest(block, time.monotonic())
                self._maybe_status()
                if self.max_samples is not None and self.samples >= self.max_samples:
                    break
        except GrymError as exc:
            self._fail(exc)
        except Exception as exc:  # noqa: BLE001 - a capture failure is reported, not raised
            self._fail(GrymError(f"Live capture stopped: {type(exc).__name__}: {exc}"))
        finally:
            self.source.stop()
            with self._cv:
                self._end_of_input()
                self._input_done = True
                self._cv.notify_all()
            self._status("finishing" if self._utterances else self.state)

    def _ingest(self, block: np.ndarray, now: float) -> None:
        if self.recorder is not None:
            self.recorder.write(block)
            self._warn_recording()
        rms = float(np.sqrt(np.mean(np.square(block)))) if len(block) else 0.0
        with self._cv:
            self._tape.append(block)
            self.samples += len(block)
            self._arrivals.append((self.samples, now))
            self._level = max(self._level, 20 * math.log10(max(rms, SILENCE_RMS)))
            first = self.segmenter.frame * FRAME
            frames = (self.samples - first) // FRAME
            audio = self._tape.slice(first, first + frames * FRAME) if frames else None
        if audio is None:
            return
        events = self.segmenter.feed(self.vad(audio.reshape(frames, FRAME)))
        with self._cv:
            for event in events:
                self._apply(event)
            keep = self._utterances[0].start if self._utterances else self.samples
            self._tape.forget_before(min(keep, self.samples - int(PREROLL * SAMPLE_RATE)))
            self._cv.notify_all()

    def _arrival(self, sample: int) -> float:
        """When the audio up to `sample` arrived (monotonic)."""
        for end, at in self._arrivals:
            if end >= sample:
                return at
        return time.monotonic()

    def _apply(self, event: VadEvent) -> None:
        kind, u = event.kind, self._current
        if kind == "start":
            self._begin(event.sample)
        elif u is None:
            return
        elif kind == "resume":
            u.end = None
        elif kind in ("pause", "end"):
            u.end, u.speech_end = event.sample, event.speech_end
            u.speech_end_time = self._arrival(event.speech_end)
            if kind == "end":
                u.closed, self._current = True, None
        elif kind == "cut":
            u.end = u.speech_end = event.sample
            u.speech_end_time = self._arrival(event.sample)
            u.closed = u.cut = True
            self._current = None

    def _begin(self, sample: int) -> None:
        u = Utterance(self._next_index, sample)
        self._next_index += 1
        self._utterances.append(u)
        self._current = u

    def _end_of_input(self) -> None:
        u = self._current
        if u is None:
            return
        u.end = self.samples
        if u.end - u.start < FRAME:
            self._utterances.remove(u)
        else:
            last = min(self.samples, self.segmenter.last_speech_sample)
            u.speech_end, u.speech_end_time = last, self._arrival(last)
            u.closed = True
        self._current = None

    def _backlog_samples(self) -> int:
        if not self._utterances:
            return 0
        first = self._utterances[0]
        return max(0, self.samples - (first.start + first.covered))

    def _maybe_status(self) -> None:
        now = time.monotonic()
        if now - self._last_status >= STATUS_EVERY:
            self._status(self.state)
            dropped = getattr(self.source, "dropped_seconds", 0.0)
            if dropped > self._dropped + 0.05:
                self.on_event(LiveWarning(
                    f"{dropped - self._dropped:.1f} s of audio from {self.source.name} was lost: "
                    "the computer was too busy to take it."))
                self._dropped = dropped

    def _status(self, state: str) -> None:
        with self._cv:
            self.state = state
            backlog = self._backlog_samples() / SAMPLE_RATE
            level, self._level = self._level, SILENCE_DB
            warn = None
            if backlog > BACKLOG_WARNING and not self._warned:
                self._warned = True
                warn = (f"Transcription is {backlog:.0f} s behind; a smaller or faster "
                        "model would keep up.")
            elif backlog < BACKLOG_WARNING / 2:
                self._warned = False
        self._last_status = time.monotonic()
        self.on_event(LiveStatus(round(self.samples / SAMPLE_RATE, 2), round(level, 1),
                                 round(backlog, 2), state))
        if warn:
            self.on_event(LiveWarning(warn))

    # -- the decoding thread -----------------------------------------------------------------

    def _decode_loop(self) -> None:
        while (job := self._next_job()) is not None:
            for attempt in (1, 2):
                try:
                    if self.orchestrator.loaded_model != self._loaded:
                        self._reload()
                    self._run_job(*job)
                    break
                except HostDiedError:  # a crash, not the watchdog or a cancel: one retry
                    if attempt == 2:
                        raise

    def _reload(self) -> None:
        """A crashed host: load the model in a new one and give it the audio again."""
        self._load_model()
        with self._cv:
            for pending in self._utterances:
                pending.sent = pending.speculated = 0

    def _next_job(self) -> tuple[str, Utterance] | None:
        with self._cv:
            while True:
                if self._abandon:
                    return None
                if self._utterances:
                    u = self._utterances[0]
                    if u.closed:
                        return "flush", u
                    if u.end is not None and u.speculated != u.end - u.start:
                        return "final", u
                    heard = self.samples - u.start
                    # Speech that may be ending keeps the decoder free for its final
                    # (a fast source waits for partials, so it gets them regardless).
                    hold = self.source.realtime and self.segmenter.silence >= HOLD_PARTIALS
                    if (u.end is None and heard >= MIN_PARTIAL * SAMPLE_RATE
                            and heard - u.partial_at >= PARTIAL_EVERY * SAMPLE_RATE
                            and not hold):
                        return "partial", u
                elif self._input_done:
                    return None
                self._cv.wait(0.05)

    def _options(self) -> DecodeOptions:
        prompt = None
        if self.condition and self._prompt:
            prompt = self._prompt
            if not (any(c.isupper() for c in prompt) and any(c in ".,?!" for c in prompt)):
                prompt = f"{STYLE_PROMPT} {prompt}"
        return DecodeOptions(language=self.language or self._language_seen, task=self.task,
                             initial_prompt=prompt)

    def _run_job(self, kind: str, u: Utterance) -> None:
        with self._cv:
            length = (self.samples if kind == "partial" else u.end) - u.start
            # The host may hold audio past `length` (a partial heard beyond a pause or a
            # cut): it is sent nothing more then, and drops the excess itself.
            offset = u.sent
            samples = self._tape.slice(u.start + offset, u.start + max(offset, length))
        args = {"utterance": u.index, "offset": offset, "samples": samples, "length": length,
                "options": self._options().to_dict()}
        if kind == "flush":
            result = self.orchestrator.call("live_flush", args, timeout=HOST_TIMEOUT)
            self._finish(u, result)
            return
        result = self.orchestrator.call("live_feed", {**args, "decode": kind},
                                        timeout=HOST_TIMEOUT)
        with self._cv:
            u.sent = length
            if kind == "final":
                u.speculated = length
            else:
                u.partial_at = length
            u.covered = max(u.covered, length)
            if u.closed or not (result["text"] or u.text):
                return
            u.text = result["text"]
        self.on_event(LivePartial(u.index, round(u.start / SAMPLE_RATE, 3), result["text"],
                                  result["stable"]))

    def _finish(self, u: Utterance, result: dict) -> None:
        offset = u.start / SAMPLE_RATE
        end = u.end / SAMPLE_RATE
        segments = [_shifted(Segment.from_dict(s), offset, end) for s in result["segments"]]
        segments = [s for s in segments if s.text.strip()]
        library = self.orchestrator.library
        for segment in segments:
            if library is not None and self.transcript_id is not None:
                library.add_segment(self.transcript_id, segment)
        latency = None if u.cut else round(time.monotonic() - u.speech_end_time, 3)
        with self._cv:
            self._utterances.popleft()
            self.segments.extend(segments)
            self._language_seen = self._language_seen or result.get("language")
            if segments:
                text = " ".join(s.text.strip() for s in self.segments[-8:])
                self._prompt = text[-PROMPT_CHARS:]
            self._cv.notify_all()
        merged = _merge(segments) if segments else None
        self.on_event(LiveFinal(u.index, merged, round(u.speech_end / SAMPLE_RATE, 3), latency))


def _shifted(segment: Segment, offset: float, limit: float) -> Segment:
    """A segment of an utterance moved to session time, ending no later than the utterance."""
    moved = segment.shifted(offset)
    words = [replace(w, end=min(w.end, round(limit, 3))) for w in moved.words]
    return replace(moved, end=min(moved.end, round(limit, 3)), words=words)


def _merge(segments: list[Segment]) -> Segment:
    if len(segments) == 1:
        return segments[0]
    return Segment(segments[0].start, segments[-1].end,
                   " ".join(s.text.strip() for s in segments),
                   [w for s in segments for w in s.words])
