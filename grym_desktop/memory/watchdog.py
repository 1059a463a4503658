"""The watchdog: a daemon thread in the parent that kills the model host when the app (the
parent itself plus the host) is above the limit."""

from __future__ import annotations

import threading
from collections.abc import Callable

import psutil


class Watchdog:
    """Every `interval` seconds, samples the RSS of the watched process (the model host) and of
    the process the watchdog runs in (the window or the CLI), and SIGKILLs the watched one when
    their sum is above the limit: the limit is the whole app's.

    on_kill(pid, app_rss) runs on the watchdog thread, once per kill; after a kill nothing is
    watched until the next watch().
    """

    def __init__(
        self,
        limit_bytes: int,
        interval: float = 0.05,
        on_kill: Callable[[int, int], None] | None = None,
    ):
        self._limit = limit_bytes
        self._interval = interval
        self._on_kill = on_kill
        self._lock = threading.Lock()
        self._owner = psutil.Process()
        self._process: psutil.Process | None = None
        self._peak = 0
        self._peak_app = 0
        self._killed: tuple[int, int, int] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def watch(self, pid: int | None) -> None:
        """Watch this pid from now on (None: nothing); clears the last kill."""
        try:
            process = None if pid is None else psutil.Process(pid)
        except psutil.NoSuchProcess:
            process = None
        with self._lock:
            self._process = process
            self._killed = None
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="memory-watchdog", daemon=True
                )
                self._thread.start()

    @property
    def watched_pid(self) -> int | None:
        """The pid being watched; None before the first watch() and after a kill."""
        process = self._process
        return None if process is None else process.pid

    def reset_peak(self) -> None:
        with self._lock:
            self._peak = self._peak_app = 0

    @property
    def peak_rss(self) -> int:
        """Highest RSS seen of the watched process since reset_peak()."""
        return self._peak

    @property
    def peak_app_rss(self) -> int:
        """Highest RSS seen of the app (the watched process and this one) since reset_peak()."""
        return self._peak_app

    @property
    def killed(self) -> tuple[int, int, int] | None:
        """(pid, app RSS, watched process's RSS) of the last kill, or None."""
        with self._lock:  # a kill in progress has finished saying why
            return self._killed

    @property
    def limit(self) -> int:
        return self._limit

    def set_limit(self, limit_bytes: int) -> None:
        self._limit = limit_bytes

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            with self._lock:
                process = self._process
                if process is None:
                    continue
                try:
                    rss = process.memory_info().rss
                except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
                    continue
                app_rss = rss + self._owner.memory_info().rss
                self._peak = max(self._peak, rss)
                self._peak_app = max(self._peak_app, app_rss)
                if app_rss <= self._limit:
                    continue
                # Said before the kill: whoever sees the host die must find why.
                self._killed = (process.pid, app_rss, rss)
                try:
                    process.kill()  # psutil refuses if the pid now belongs to another process
                except psutil.NoSuchProcess:
                    self._killed = None
                    continue
                self._process = None
            if self._on_kill is not None:
                self._on_kill(process.pid, app_rss)
