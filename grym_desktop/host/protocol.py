"""Messages between the parent and the model host: plain dicts over a multiprocessing pipe.

A request is {"id", "op", "args"}. The host answers each with exactly one final
reply ("ok" with a result, or "error" with a type and message) and may send
"progress" and "segment" events with the same id before it.
"""

from __future__ import annotations

from typing import Any

OPS = (
    "ping", "status", "load", "unload", "transcribe", "shutdown", "allocate", "live_feed",
    "live_flush", "embed",
)
FINAL_KINDS = ("ok", "error")


def ready(pid: int) -> dict[str, Any]:
    return {"kind": "ready", "pid": pid}


def ok(request_id: int, result: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"id": request_id, "kind": "ok", "result": result or {}}


def error(request_id: int, type_name: str, message: str) -> dict[str, Any]:
    return {"id": request_id, "kind": "error", "type": type_name, "message": message}


def progress(request_id: int, fraction: float) -> dict[str, Any]:
    return {"id": request_id, "kind": "progress", "fraction": fraction}


def segment(request_id: int, data: dict[str, Any]) -> dict[str, Any]:
    return {"id": request_id, "kind": "segment", "segment": data}
