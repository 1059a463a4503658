"""Messages between the parent and the model host: plain dicts over a multiprocessing pipe.

A request is {"id", "op", "args"}. The host answers each with exactly one final
reply ("ok" with a result, or "error" with a type and message) and may send
"progress", "segment" and "token" events with the same id before it, and an "alive"
heartbeat every HEARTBEAT_SECONDS while it works.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from grym_desktop.errors import GrymError, InputError, ProtocolError
from grym_desktop.models.footprint import ASK_ANSWER_TOKENS

OPS = (
    "ping", "status", "load", "unload", "transcribe", "shutdown", "allocate", "live_feed",
    "live_flush", "embed", "embed_text", "send_raw", "ask",
)
FINAL_KINDS = ("ok", "error")
HEARTBEAT_SECONDS = 1.0
SAMPLE_RATE = 16000
EMBED_MAX_SECONDS = 30.0  # the audio one embed request may hold (Whisper's window)
MAX_SPANS = 1000  # spans in one embed request
SPAN_TOLERANCE = 0.05  # seconds a span may end past the audio (rounding of its times)
MAX_TEXTS = 256  # texts in one embed_text request
MAX_TEXT_CHARS = 1000
ASK_MAX_SECONDS = 1800.0  # the audio one ask request may hear (30 minutes)
ASK_MAX_QUESTION_CHARS = 2000
ASK_MAX_CONTEXT_CHARS = 200_000  # a transcript of the 30 minutes with times and names
ASK_MAX_NEW_TOKENS = ASK_ANSWER_TOKENS  # the answer length the memory estimate plans for


def ready(pid: int) -> dict[str, Any]:
    return {"kind": "ready", "pid": pid}


def ok(request_id: int, result: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"id": request_id, "kind": "ok", "result": result or {}}


def error(request_id: int | None, type_name: str, message: str) -> dict[str, Any]:
    return {"id": request_id, "kind": "error", "type": type_name, "message": message}


def alive(request_id: int) -> dict[str, Any]:
    """The host's heartbeat while it works on a request: silence means it hangs."""
    return {"id": request_id, "kind": "alive"}


def progress(request_id: int, fraction: float) -> dict[str, Any]:
    return {"id": request_id, "kind": "progress", "fraction": fraction}


def segment(request_id: int, data: dict[str, Any]) -> dict[str, Any]:
    return {"id": request_id, "kind": "segment", "segment": data}


def token(request_id: int, text: str) -> dict[str, Any]:
    """New text of an answer as the model generates it (ask)."""
    return {"id": request_id, "kind": "token", "text": text}


def check_request(message: Any) -> tuple[int, str, dict[str, Any]]:
    """(id, op, args) of a request; ProtocolError for anything else."""
    if not isinstance(message, dict):
        raise ProtocolError(f"The model host got a {type(message).__name__}, not a request.")
    request_id, op, args = message.get("id"), message.get("op"), message.get("args", {})
    if type(request_id) is not int or not isinstance(op, str) or not isinstance(args, dict):
        raise ProtocolError("The model host got a request without a whole-number id, an "
                            "operation name and arguments.")
    return request_id, op, args


_REPLY_FIELDS = {
    "ready": {"pid": int},
    "ok": {"result": dict},
    "error": {"type": str, "message": str},
    "alive": {},
    "progress": {"fraction": (int, float)},
    "segment": {"segment": dict},
    "token": {"text": str},
}


def check_reply(message: Any) -> dict[str, Any]:
    """The message from the host if it is one the protocol allows; ProtocolError otherwise."""
    kind = message.get("kind") if isinstance(message, dict) else None
    fields = _REPLY_FIELDS.get(kind) if isinstance(kind, str) else None
    if fields is None:
        raise ProtocolError("The model host sent a message that is not part of the protocol.")
    if kind != "ready" and (type(message.get("id")) is not int and message.get("id") is not None):
        raise ProtocolError(f"The model host sent a {kind} message without a valid id.")
    for name, types in fields.items():
        if not isinstance(message.get(name), types) or isinstance(message.get(name), bool):
            raise ProtocolError(f"The model host sent a {kind} message without a valid {name}.")
    return message


def check_samples(samples: Any) -> np.ndarray:
    """The audio of an embed request as float32 mono of at most 30 s; InputError otherwise."""
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim != 1 or not 0 < len(samples) <= EMBED_MAX_SECONDS * SAMPLE_RATE:
        raise InputError("An embedding needs between one sample and 30 s of mono audio.")
    if not np.isfinite(samples).all():
        raise InputError("The audio to embed holds values that are not finite numbers.")
    return samples


def check_spans(spans: Any, samples: int) -> np.ndarray:
    """(start, end) seconds inside `samples` of 16 kHz audio as an (n, 2) float64 array.

    Each span must be finite with 0 <= start < end <= the audio's length (a little past it
    is allowed and clipped); between 1 and MAX_SPANS of them. InputError otherwise.
    """
    duration = samples / SAMPLE_RATE
    try:
        if len(spans) > MAX_SPANS:
            raise InputError(f"At most {MAX_SPANS} spans can be embedded at once, "
                             f"not {len(spans)}.")
        pairs = [(float(a), float(b)) for a, b in spans]
    except (TypeError, ValueError):
        raise InputError("Spans to embed must be (start, end) pairs of seconds.") from None
    if not pairs:
        raise InputError("At least one span is needed to embed.")
    for start, end in pairs:
        if not (math.isfinite(start) and math.isfinite(end)
                and 0 <= start < end <= duration + SPAN_TOLERANCE):
            raise InputError(f"The span {start:g}-{end:g} s is not inside the "
                             f"{duration:.2f} s of audio to embed.")
    out = np.array(pairs, dtype=np.float64)
    out[:, 1] = np.minimum(out[:, 1], duration)
    if not (out[:, 0] < out[:, 1]).all():
        raise InputError("A span to embed starts at the very end of the audio.")
    return out


def check_texts(texts: Any) -> list[str]:
    """The texts of an embed_text request: 1 to MAX_TEXTS non-empty strings, none too long."""
    if not isinstance(texts, (list, tuple)) or not 0 < len(texts) <= MAX_TEXTS:
        raise InputError(f"Text embeddings need between 1 and {MAX_TEXTS} texts.")
    if not all(isinstance(t, str) and t.strip() and len(t) <= MAX_TEXT_CHARS for t in texts):
        raise InputError(f"Each text to embed must be a non-empty string of at most "
                         f"{MAX_TEXT_CHARS} characters.")
    return list(texts)


def check_vectors(vectors: Any, rows: int, model_id: str) -> np.ndarray:
    """A host's embedding reply (untrusted) as finite (rows, dim) float32; GrymError if not."""
    if not isinstance(vectors, np.ndarray) or vectors.ndim != 2 or vectors.shape[0] != rows \
            or not 0 < vectors.shape[1] <= 65536 or vectors.dtype.kind != "f" \
            or not np.isfinite(vectors).all():
        raise GrymError(f"The model {model_id} gave no usable embeddings (expected {rows} "
                        f"finite vectors of one dimension).")
    return vectors.astype(np.float32)


def check_ask(args: dict[str, Any]) -> dict[str, Any]:
    """The arguments of an ask request with defaults filled in; InputError in one sentence for
    a missing path or question, a question or context too long, a bad token count or times."""
    path, question = args.get("path"), args.get("question")
    context, max_new_tokens = args.get("context"), args.get("max_new_tokens", 256)
    if not isinstance(path, str) or not path:
        raise InputError("A question about audio needs the path of the recording.")
    if not isinstance(question, str) or not question.strip() \
            or len(question) > ASK_MAX_QUESTION_CHARS:
        raise InputError(f"The question must be non-empty text of at most "
                         f"{ASK_MAX_QUESTION_CHARS} characters.")
    if context is not None and (not isinstance(context, str)
                                or len(context) > ASK_MAX_CONTEXT_CHARS):
        raise InputError(f"The context must be text of at most {ASK_MAX_CONTEXT_CHARS} "
                         "characters.")
    if type(max_new_tokens) is not int or not 1 <= max_new_tokens <= ASK_MAX_NEW_TOKENS:
        raise InputError(f"An answer may be 1 to {ASK_MAX_NEW_TOKENS} tokens long.")
    start, end = args.get("start"), args.get("end")
    for name, value in (("start", start), ("end", end)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                  or not math.isfinite(value) or value < 0):
            raise InputError(f"The {name} of the audio to ask about must be seconds >= 0.")
    if start is not None and end is not None and end <= start:
        raise InputError("The audio to ask about must end after it starts.")
    return {"path": path, "question": question.strip(), "context": context or None,
            "max_new_tokens": max_new_tokens, "start": float(start or 0.0),
            "end": None if end is None else float(end)}
