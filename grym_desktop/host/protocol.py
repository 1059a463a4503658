"""Messages between the parent and the model host: plain dicts over a multiprocessing pipe.

A request is {"id", "op", "args"}. The host answers each with exactly one final
reply ("ok" with a result, or "error" with a type and message) and may send
"progress" and "segment" events with the same id before it, and an "alive" heartbeat
every HEARTBEAT_SECONDS while it works.
"""

from __future__ import annotations

from typing import Any

from grym_desktop.errors import ProtocolError

OPS = (
    "ping", "status", "load", "unload", "transcribe", "shutdown", "allocate", "live_feed",
    "live_flush", "embed", "send_raw",
)
FINAL_KINDS = ("ok", "error")
HEARTBEAT_SECONDS = 1.0


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
