"""The model host's side of live transcription: the audio of one utterance at a time.

The parent cuts the microphone stream into utterances with VAD and feeds each one
here as it grows. Partial decodes are quick (greedy) and kept from flickering by
local agreement: a word is shown as stable once two hypotheses in a row agree on
it, and stable words never change until the final. The final decode is the careful
one (beam search); it runs speculatively when the speaker pauses (its text is then
the newest partial) and is kept, so an utterance that ends there costs nothing more
when the parent flushes it.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, replace
from typing import Any

import numpy as np

from grym_desktop.engines.engine import Engine
from grym_desktop.errors import GrymError
from grym_desktop.memory.heap import trim_heap
from grym_desktop.options import DecodeOptions

SAMPLE_RATE = 16000
PARTIAL_BEAM = 1  # partial text is shown and replaced: speed over accuracy
FINAL_BEAM = 5


def _key(word: str) -> str:
    """A word as local agreement compares it: case and punctuation do not count."""
    return re.sub(r"[^\w']", "", word.lower())


def agreed_prefix(previous: list[str], current: list[str]) -> int:
    """How many leading words two hypotheses share."""
    n = 0
    for a, b in zip(previous, current, strict=False):
        if _key(a) != _key(b):
            break
        n += 1
    return n


def agree(
    stable: list[str], previous: list[str], current: list[str]
) -> tuple[list[str], list[str]]:
    """Local agreement: the stable words after hypothesis `current`, and the words to show.

    Words two hypotheses in a row agree on join the stable prefix, which only grows.
    A hypothesis that contradicts a stable word is not shown: stable words never move.
    """
    n = len(stable)
    agreed = agreed_prefix(previous, current)
    if agreed > n and agreed_prefix(stable, previous) == n:
        stable = stable + previous[n:agreed]
    follows = agreed_prefix(stable, current) == len(stable)
    return stable, stable + (current[len(stable):] if follows else [])


class LiveDecoder:
    """One utterance's audio, its last partial hypothesis, its stable words and cached final."""

    def __init__(self, capacity_seconds: float = 32.0):
        self._buffer = np.zeros(int(capacity_seconds * SAMPLE_RATE), dtype=np.float32)
        self.reset(None)

    def reset(self, utterance: int | None) -> None:
        self.utterance = utterance
        self.length = 0
        self.hypothesis: list[str] = []
        self.stable: list[str] = []
        self.final: tuple[int, dict[str, Any]] | None = None

    @property
    def audio(self) -> np.ndarray:
        return self._buffer[: self.length]

    def append(self, utterance: int, offset: int, samples: np.ndarray) -> None:
        """Add samples at `offset` of the utterance; offset 0 of a new utterance starts afresh."""
        if utterance != self.utterance or offset == 0:
            self.reset(utterance)
        if offset != self.length:
            raise GrymError("Live audio reached the model host out of order.")
        end = self.length + len(samples)
        if end > len(self._buffer):
            grown = np.zeros(max(end, 2 * len(self._buffer)), dtype=np.float32)
            grown[: self.length] = self._buffer[: self.length]
            self._buffer = grown
        self._buffer[self.length:end] = samples
        self.length = end

    def partial(self, engine: Engine, options: DecodeOptions) -> dict[str, Any]:
        """A quick hypothesis of the utterance so far, with its stable prefix."""
        started = time.perf_counter()
        segments, _language = engine.transcribe_array(
            self.audio, replace(options, beam_size=PARTIAL_BEAM, quick=True))
        words = " ".join(s.text.strip() for s in segments).split()
        self.stable, shown = agree(self.stable, self.hypothesis, words)
        self.hypothesis = words
        return {
            "text": " ".join(shown),
            "stable": " ".join(self.stable),
            "length": self.length,
            "seconds": time.perf_counter() - started,
        }

    def speculate(self, engine: Engine, options: DecodeOptions) -> dict[str, Any]:
        """The final decode at a pause, also shown as the newest partial hypothesis."""
        result = self.decode_final(engine, options)
        words = " ".join(s["text"].strip() for s in result["segments"]).split()
        self.stable, shown = agree(self.stable, self.hypothesis, words)
        self.hypothesis = words
        return {**result, "text": " ".join(shown), "stable": " ".join(self.stable)}

    def decode_final(self, engine: Engine, options: DecodeOptions) -> dict[str, Any]:
        """The careful decode of the utterance so far, kept for a flush at this length."""
        if self.final is not None and self.final[0] == self.length:
            return {**self.final[1], "cached": True, "seconds": 0.0}
        started = time.perf_counter()
        final_options = replace(options, beam_size=FINAL_BEAM)
        segments, language = engine.transcribe_array(self.audio, final_options)
        result = {
            "segments": [asdict(s) for s in segments],
            "language": language,
            "length": self.length,
        }
        self.final = (self.length, result)
        return {**result, "cached": False, "seconds": time.perf_counter() - started}


_decoder: LiveDecoder | None = None


def decoder() -> LiveDecoder:
    """The host's one live decoder, made on first use."""
    global _decoder
    if _decoder is None:
        _decoder = LiveDecoder()
    return _decoder


def feed(engine: Engine, args: dict[str, Any]) -> dict[str, Any]:
    """live_feed: append audio to the utterance; decode a partial or a speculative final.

    args: utterance (int), offset (samples already sent for it), samples (float32 array),
    decode (None, "partial" or "final"), options (language, task, initial_prompt), and
    optionally length (where the utterance stops for now; audio sent past it is dropped).
    """
    live = decoder()
    live.append(args["utterance"], args.get("offset", 0), np.asarray(args["samples"], np.float32))
    if args.get("length") is not None:
        live.length = min(live.length, int(args["length"]))
    mode = args.get("decode")
    if mode is None:
        return {"length": live.length}
    options = DecodeOptions.from_dict(args.get("options", {}))
    if mode == "partial":
        return live.partial(engine, options)
    if mode == "final":
        return live.speculate(engine, options)
    raise GrymError(f"Unknown live decode mode {mode!r}.")


def flush(engine: Engine, args: dict[str, Any]) -> dict[str, Any]:
    """live_flush: end the utterance at `length` samples and return its final segments.

    args: as for feed, plus length (the utterance's samples; audio sent past it is dropped).
    """
    live = decoder()
    samples = np.asarray(args.get("samples", np.zeros(0, np.float32)), np.float32)
    live.append(args["utterance"], args.get("offset", 0), samples)
    live.length = min(live.length, int(args["length"]))
    options = DecodeOptions.from_dict(args.get("options", {}))
    result = live.decode_final(engine, options)
    live.reset(None)
    trim_heap()  # a session of hours must not keep every decode's freed pages
    return result
