"""The model host: a child process that loads at most one model and runs operations on it.

Started with the spawn method by host.client.HostClient. It can be killed at any
moment; everything it produces is sent to the parent as soon as it exists.
"""

from __future__ import annotations

import gc
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from multiprocessing.connection import Connection

import numpy as np
import psutil

from grym_desktop.audio.decode import SAMPLE_RATE, open_reader, probe
from grym_desktop.audio.scan import AudioScan, read_spans, scan_audio
from grym_desktop.audio.speech_filter import SpeechFilter, only_new_words
from grym_desktop.engines.engine import Engine
from grym_desktop.errors import (
    CorruptAudioError,
    GrymError,
    InputError,
    ModelMissingError,
    ProtocolError,
    ZeroLengthAudioError,
)
from grym_desktop.host import live, protocol
from grym_desktop.memory.heap import trim_heap
from grym_desktop.options import DecodeOptions
from grym_desktop.transcript import Segment

TEST_OPS_ENV = "GRYM_HOST_TEST_OPS"
# The share of a file's progress bar that the scan before decoding takes (about its share of
# the time with tiny.en), and the share the second look at unheard speech takes at the end.
SCAN_SHARE = 0.05
SECOND_LOOK_SHARE = 0.03
ORPHAN_CHECK_SECONDS = 0.25  # how often the host checks that its parent still lives


def rss() -> int:
    return psutil.Process().memory_info().rss


class Host:
    """The host's state: the one loaded engine and what it is."""

    def __init__(self, conn: _Sender):
        self.conn = conn
        self.engine: Engine | None = None
        self.model_id: str | None = None
        self.precision: str | None = None
        self.ballast: list[bytearray] = []
        # Set by SIGUSR1 (host_main): ends an ask's generation. A plain flag, not an Event: a
        # handler that takes a lock deadlocks when a second signal lands inside the first.
        self.stop_requested = False

    def status(self, _request_id: int, _args: dict) -> dict:
        return {
            "pid": os.getpid(),
            "rss": rss(),
            "model": self.model_id,
            "precision": self.precision,
        }

    def load(self, _request_id: int, args: dict) -> dict:
        self.unload(_request_id, {})
        before = rss()
        started = time.perf_counter()
        # The engines import torch or CTranslate2: only here, so that the window, which
        # imports the host's client (and so this module), never loads them.
        import tqdm

        from grym_desktop.engines import load_engine

        # tqdm (inside faster-whisper) makes a process-shared lock on first use, which a host
        # killed mid-decode leaves behind ("leaked semaphore" on stderr): a thread lock does.
        tqdm.tqdm.set_lock(threading.RLock())

        try:
            self.engine = load_engine(
                args["engine"], args["model_dir"], args["precision"], args.get("options", {})
            )
        except (RuntimeError, ValueError, OSError) as exc:
            raise ModelMissingError(
                f"The model {args['model_id']} could not be loaded from {args['model_dir']}: {exc}"
            ) from None
        self.model_id, self.precision = args["model_id"], args["precision"]
        return {"seconds": time.perf_counter() - started, "rss_before": before, "rss_after": rss()}

    def unload(self, _request_id: int, _args: dict) -> dict:
        before = rss()
        self.engine = None
        self.model_id = self.precision = None
        gc.collect()
        trim_heap()
        return {"rss_before": before, "rss_after": rss()}

    def transcribe(self, request_id: int, args: dict) -> dict:
        """Scan the file once (length, speech, peak), then decode it, sending segments as made.

        Segments where the scan heard no speech are dropped, and speech that decoding
        stepped over is decoded again on its own (options["speech_filter"], on unless
        False). A file that holds less than its header promises is transcribed as far
        as it goes and reported as incomplete.
        """
        engine = self._engine()
        path = args["path"]
        options = DecodeOptions.from_dict(args.get("options", {}))
        started = time.perf_counter()

        def report(fraction: float) -> None:
            self.conn.send(protocol.progress(request_id, min(fraction, 1.0)))

        scan = scan_audio(path, probe(path), engine.mel_filters,
                          on_progress=lambda f: report(SCAN_SHARE * f))
        speech = SpeechFilter(scan.speech) if options.speech_filter else None
        kept: list[Segment] = []
        dropped = 0

        def on_segment(segment: Segment) -> None:
            nonlocal dropped
            segment = speech.apply(segment) if speech is not None else segment
            if segment is None:
                dropped += 1
                return
            kept.append(segment)
            self.conn.send(protocol.segment(request_id, asdict(segment)))

        decode_share = 1 - SCAN_SHARE - SECOND_LOOK_SHARE
        language = engine.transcribe_file(
            path, scan, options, on_segment,
            on_progress=lambda f: report(SCAN_SHARE + decode_share * f),
        )
        recovered = 0
        if speech is not None:
            before = len(kept)
            self._second_look(path, scan, speech, kept, options, language, on_segment,
                              lambda f: report(1 - SECOND_LOOK_SHARE * (1 - f)))
            recovered = len(kept) - before
        trim_heap()  # what this file's decoding freed, so the next file starts from the model
        report(1.0)
        return {
            "language": language,
            "duration": scan.duration,
            "seconds": time.perf_counter() - started,
            "complete": scan.cut_short is None,
            "warnings": [scan.cut_short] if scan.cut_short else [],
            "segments_without_speech": dropped,
            "segments_recovered": recovered,
        }

    def _second_look(
        self, path: str, scan: AudioScan, speech: SpeechFilter, kept: list[Segment],
        options: DecodeOptions, language: str | None, on_segment: Callable[[Segment], None],
        on_progress: Callable[[float], None],
    ) -> None:
        """Decode again, each on its own, the runs of speech no kept word lies in.

        Decoding a whole file, Whisper sometimes steps over a sentence that follows a long
        pause (bare faster-whisper loses the same ones); heard alone, it is found. Words
        found again where words were already heard are left out.
        """
        heard = list(kept)
        spans = speech.unheard(heard)
        for n, (offset, samples) in enumerate(read_spans(path, scan, spans)):
            for segment in self._engine().transcribe_clip(samples, options, language):
                new = only_new_words(segment.shifted(offset), heard)
                if new is not None:
                    on_segment(new)
            on_progress((n + 1) / len(spans))

    def embed(self, _request_id: int, args: dict) -> dict:
        """Vectors of the loaded model for spans of up to 30 s of 16 kHz mono audio.

        args["samples"]: the audio; args["spans"] (optional): [start, end] seconds in it, the
        whole audio when absent. Returns {"vectors": float32 array (spans, dim)}.
        """
        samples = protocol.check_samples(args.get("samples"))
        spans = args.get("spans")
        spans = protocol.check_spans([(0.0, len(samples) / protocol.SAMPLE_RATE)]
                                     if spans is None else spans, len(samples))
        vectors = np.asarray(self._engine().embed_spans(samples, spans), dtype=np.float32)
        return {"vectors": np.ascontiguousarray(vectors)}

    def embed_text(self, _request_id: int, args: dict) -> dict:
        """Vectors of texts in the loaded model's shared audio-text space (CLAP):
        args["texts"] -> {"vectors": float32 array (texts, dim)}."""
        texts = protocol.check_texts(args.get("texts"))
        engine = self._engine()
        if not hasattr(engine, "embed_text"):
            raise GrymError(f"The model {self.model_id} cannot make text embeddings; "
                            "that needs a CLAP model such as clap-htsat-unfused.")
        vectors = np.asarray(engine.embed_text(texts), dtype=np.float32)
        return {"vectors": np.ascontiguousarray(vectors)}

    def ask(self, request_id: int, args: dict) -> dict:
        """Answer args["question"] about the recording args["path"] (its start..end seconds)
        with the loaded audio language model, sending the answer's text as "token" events as
        it is made. SIGUSR1 stops the generation: the answer so far comes back, stopped=True.

        args: path, question, context (transcript text or None), max_new_tokens, start, end
        (seconds or None). Returns the engine's answer, parts, tokens, prompt_tokens, stopped,
        seconds, window_seconds and note, with the audio's start and duration.
        """
        engine = self._engine()
        if not hasattr(engine, "ask"):
            raise GrymError(f"The model {self.model_id} cannot answer questions about audio; "
                            "that needs an audio language model such as granite-speech-3.3-2b.")
        self.stop_requested = False
        request = protocol.check_ask(args)
        samples = read_clip(request["path"], request["start"], request["end"])
        duration = len(samples) / SAMPLE_RATE
        result = engine.ask(
            samples, request["question"], request["context"], request["max_new_tokens"],
            on_token=lambda text: self.conn.send(protocol.token(request_id, text)),
            should_stop=lambda: self.stop_requested, offset=request["start"],
        )
        del samples
        trim_heap()  # the prompt pass's activations and the cache, handed back
        return {**result, "start": request["start"], "duration": duration}

    def allocate(self, _request_id: int, args: dict) -> dict:
        """Test-only: hold args['bytes'] of touched memory, to exercise the watchdog."""
        if os.environ.get(TEST_OPS_ENV) != "1":
            raise GrymError("The allocate operation is only available in tests.")
        self.ballast.append(bytearray(b"\x01" * int(args["bytes"])))
        return {"rss": rss()}

    def send_raw(self, _request_id: int, args: dict) -> dict:
        """Test-only: send args["message"] (or args["bytes"] unpickled) to the parent as is."""
        if os.environ.get(TEST_OPS_ENV) != "1":
            raise GrymError("The send_raw operation is only available in tests.")
        if "bytes" in args:
            self.conn.send_bytes(args["bytes"])
        else:
            self.conn.send(args["message"])
        return {}

    def live_feed(self, _request_id: int, args: dict) -> dict:
        """Append live audio to the current utterance; maybe decode a partial (host/live.py)."""
        return live.feed(self._engine(), args)

    def live_flush(self, _request_id: int, args: dict) -> dict:
        """End the current live utterance and return its final segments (host/live.py)."""
        return live.flush(self._engine(), args)

    def _engine(self) -> Engine:
        if self.engine is None:
            raise GrymError("No model is loaded in the model host.")
        return self.engine

    def ping(self, _request_id: int, _args: dict) -> dict:
        return {"pid": os.getpid()}


def read_clip(path: str, start: float, end: float | None) -> np.ndarray:
    """16 kHz mono samples of the file from `start` to `end` seconds (its end when None), read
    with the app's decoder; InputError when that is more than ASK_MAX_SECONDS or nothing."""
    info, reader = open_reader(path)
    stop = info.duration if end is None else min(end, info.duration)
    if start >= info.duration:
        raise InputError(f"{path} lasts {info.duration:.1f} s: there is no audio from "
                         f"{start:.1f} s to ask about.")
    if stop - start > protocol.ASK_MAX_SECONDS + 0.5:
        raise InputError(f"A question can be asked of at most "
                         f"{protocol.ASK_MAX_SECONDS / 60:.0f} minutes of audio, and this is "
                         f"{(stop - start) / 60:.0f} minutes: choose a part of {path}.")
    wanted = round((stop - start) * SAMPLE_RATE)
    pieces, have = [], 0
    chunks = reader(start, SAMPLE_RATE)
    try:
        for chunk in chunks:
            pieces.append(chunk[: wanted - have])
            have += len(pieces[-1])
            if have >= wanted:
                break
    finally:
        chunks.close()
    samples = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
    if len(samples) == 0:
        raise ZeroLengthAudioError(f"{path} holds no audio from {start:.1f} s to ask about.")
    if not np.isfinite(samples).all():
        raise CorruptAudioError(f"{path} holds samples that are not numbers (NaN or infinite) "
                                "and cannot be listened to.")
    return samples


def exit_when_orphaned(parent_pid: int, every: float = ORPHAN_CHECK_SECONDS) -> None:
    """Leave at once, quietly, when the parent is gone (killed: nobody wants the work)."""
    while os.getppid() == parent_pid:
        time.sleep(every)
    os._exit(0)


class _Sender:
    """The host's end of the pipe, safe to send on from the heartbeat thread too."""

    def __init__(self, conn: Connection):
        self._conn = conn
        self._lock = threading.Lock()
        self.working_on: int | None = None  # the request being answered, for the heartbeat

    def send(self, message: dict) -> None:
        with self._lock:
            self._conn.send(message)

    def send_bytes(self, data: bytes) -> None:
        with self._lock:
            self._conn.send_bytes(data)

    def recv(self) -> object:
        return self._conn.recv()

    def beat(self) -> None:
        """Say "alive" for the request being worked on, every HEARTBEAT_SECONDS."""
        while True:
            time.sleep(protocol.HEARTBEAT_SECONDS)
            request_id = self.working_on
            if request_id is not None:
                try:
                    self.send(protocol.alive(request_id))
                except (OSError, ValueError):  # the pipe is gone: the main loop ends too
                    return


def host_main(conn: Connection) -> None:
    """Entry point of the child process: answer requests until shutdown or a closed pipe."""
    threading.Thread(target=exit_when_orphaned, args=(os.getppid(),), daemon=True,
                     name="grym-orphan-check").start()
    conn = _Sender(conn)
    threading.Thread(target=conn.beat, daemon=True, name="grym-heartbeat").start()
    host = Host(conn)
    if hasattr(signal, "SIGUSR1"):  # the parent's Stop: set a flag, never interrupt a reply
        signal.signal(signal.SIGUSR1,
                      lambda _signum, _frame: setattr(host, "stop_requested", True))
    conn.send(protocol.ready(os.getpid()))
    while True:
        try:
            request_id, op, args = protocol.check_request(conn.recv())
        except (EOFError, OSError):
            return
        except ProtocolError as exc:
            conn.send(protocol.error(None, "ProtocolError", str(exc)))
            continue
        except Exception as exc:  # noqa: BLE001 - bytes that do not unpickle
            conn.send(protocol.error(None, "ProtocolError",
                                     f"The model host got bytes that are not a message "
                                     f"({type(exc).__name__})."))
            continue
        if op == "shutdown":
            conn.send(protocol.ok(request_id))
            return
        handler = getattr(host, op, None) if op in protocol.OPS else None
        conn.working_on = request_id
        try:
            if handler is None:
                raise GrymError(f"The model host does not know the operation {op!r}.")
            conn.send(protocol.ok(request_id, handler(request_id, args)))
        except GrymError as exc:
            conn.send(protocol.error(request_id, type(exc).__name__, str(exc)))
        except MemoryError:
            conn.send(protocol.error(request_id, "MemoryLimitExceededError",
                                     "The model host ran out of memory."))
        except Exception as exc:  # noqa: BLE001 - any failure must reach the parent as a reply
            conn.send(protocol.error(request_id, "GrymError", f"{type(exc).__name__}: {exc}"))
        finally:
            conn.working_on = None
