"""The parent's side of the model host: start it, talk to it, kill it, start it again."""

from __future__ import annotations

import itertools
import multiprocessing as mp
import threading
import time
from collections.abc import Callable
from typing import Any

from grym_desktop.errors import (
    HostDiedError,
    HostTimeoutError,
    ProtocolError,
    error_from_reply,
)
from grym_desktop.host import protocol
from grym_desktop.host.main import host_main

READY_TIMEOUT = 60.0
POLL_SECONDS = 0.05
# A host that says nothing about the current request for this long (it sends a heartbeat
# every second while it works) is hung: stopped, deadlocked or starved; it is killed.
SILENCE_SECONDS = 8.0


class HostClient:
    """One model host process at a time; `call` starts a fresh one when none is alive."""

    def __init__(self, ready_timeout: float = READY_TIMEOUT):
        self.ready_timeout = ready_timeout
        self._ids = itertools.count(1)
        self._process: mp.process.BaseProcess | None = None
        self._conn = None
        self._lock = threading.Lock()
        self.starts = 0

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None and process.is_alive() else None

    @property
    def alive(self) -> bool:
        return self.pid is not None

    def start(self) -> int:
        """Spawn a host and wait for its ready handshake; returns its pid."""
        ctx = mp.get_context("spawn")
        parent_conn, child_conn = ctx.Pipe()
        process = ctx.Process(target=host_main, args=(child_conn,), name="grym-model-host",
                              daemon=True)
        process.start()
        child_conn.close()
        deadline = time.monotonic() + self.ready_timeout
        while not parent_conn.poll(POLL_SECONDS):
            if not process.is_alive() or time.monotonic() > deadline:
                process.kill()
                raise HostDiedError("The model host could not be started.")
        try:
            message = parent_conn.recv()
        except (EOFError, OSError):
            process.kill()
            raise HostDiedError("The model host stopped while starting.") from None
        if message.get("kind") != "ready":
            process.kill()
            raise HostDiedError("The model host started but did not say it was ready.")
        with self._lock:
            self._process, self._conn = process, parent_conn
        self.starts += 1
        return process.pid

    def ensure_started(self) -> int:
        pid = self.pid
        return pid if pid is not None else self.start()

    def call(
        self,
        op: str,
        args: dict[str, Any] | None = None,
        on_event: Callable[[dict[str, Any]], None] | None = None,
        timeout: float | None = None,
        silence: float = SILENCE_SECONDS,
    ) -> dict[str, Any]:
        """Send one request and wait for its final reply, passing events to on_event.

        Raises the typed error the host replied with, HostDiedError when the host exits
        before replying, HostTimeoutError when it says nothing about this request for
        `silence` seconds (hung) or has not finished after `timeout` seconds (None: no limit).
        """
        self.ensure_started()
        process, conn = self._process, self._conn
        request_id = next(self._ids)
        try:
            conn.send({"id": request_id, "op": op, "args": args or {}})
        except (BrokenPipeError, OSError):
            raise HostDiedError("The model host stopped before it got the request.") from None
        started = last_heard = time.monotonic()
        while True:
            try:
                has_message = conn.poll(POLL_SECONDS)
                message = protocol.check_reply(conn.recv()) if has_message else None
            except (EOFError, OSError):
                message, has_message = None, False
                process.join(timeout=1.0)
            except Exception as exc:  # noqa: BLE001 - garbage from the host: it is not trusted
                self.kill()
                if isinstance(exc, ProtocolError):
                    raise
                raise ProtocolError(f"The model host sent bytes that are not a message "
                                    f"({type(exc).__name__}); it was stopped.") from None
            if message is not None and message.get("id") == request_id:
                last_heard = time.monotonic()
                kind = message["kind"]
                if kind == "ok":
                    return message["result"]
                if kind == "error":
                    raise error_from_reply(message["type"], message["message"])
                if kind != "alive" and on_event is not None:
                    on_event(message)
                continue
            if message is None and not process.is_alive():
                self._forget(process)
                raise HostDiedError(f"The model host stopped (exit code {process.exitcode}).")
            now = time.monotonic()
            if now - last_heard > silence:
                self.kill()
                raise HostTimeoutError(f"The model host stopped responding for {silence:g} s "
                                       "and was stopped.")
            if timeout is not None and now - started > timeout:
                self.kill()
                raise HostTimeoutError(f"The model host did not finish within {timeout:g} s "
                                       "and was stopped.")

    def kill(self) -> None:
        """Kill the host at once (cancel, watchdog); the next call starts a new one."""
        process = self._process
        if process is not None and process.is_alive():
            process.kill()
            process.join(timeout=5.0)

    def shutdown(self, timeout: float = 5.0) -> None:
        """Ask the host to exit; kill it if it does not."""
        process = self._process
        if process is None:
            return
        if process.is_alive():
            try:
                self.call("shutdown", timeout=timeout)
            except Exception:  # noqa: BLE001 - shutting down whatever state it is in
                pass
            process.join(timeout=timeout)
        self.kill()
        self._forget(process)

    def _forget(self, process: mp.process.BaseProcess) -> None:
        with self._lock:
            if self._process is process:
                if self._conn is not None:
                    self._conn.close()
                self._process, self._conn = None, None
