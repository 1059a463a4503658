"""One cheap memory sample (well under a millisecond) for the profiler and the live chart."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import psutil

from grym_desktop.memory.state import process_rss


@dataclass
class MemorySample:
    time: float  # time.monotonic()
    gui_rss: int
    host_rss: int
    system_used: int  # total - available: what the system cannot hand out now
    system_available: int


def take_sample(host_pid: int | None, gui_pid: int | None = None) -> MemorySample:
    """Sample the window's and the host's RSS and the system's use; a dead host counts 0."""
    vm = psutil.virtual_memory()
    return MemorySample(
        time=time.monotonic(),
        gui_rss=process_rss(os.getpid() if gui_pid is None else gui_pid),
        host_rss=process_rss(host_pid),
        system_used=vm.total - vm.available,
        system_available=vm.available,
    )
