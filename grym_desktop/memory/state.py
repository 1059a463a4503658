"""What memory the app may still use: the budget for a new model and the pressure level."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass

import psutil

RESERVE_FRACTION = 0.10
# What an idle model host holds: the figure a load is planned with before the host runs
# (measured 56 MiB: Python, numpy, PyAV and the app's modules, no engine yet).
HOST_BASELINE_BYTES = 60 * 1024**2
LEVELS = ("normal", "elevated", "high", "warning", "critical")
# Lower bounds of each level above "normal", as a share of min(limit, total RAM) in use.
# elevated: prefer reduced precision; high: batch 1, smaller chunks; warning: warn;
# critical: no new loads, forced collection.
_THRESHOLDS = ((0.9, "critical"), (0.8, "warning"), (0.7, "high"), (0.5, "elevated"))


@dataclass
class MemoryState:
    limit: int
    total: int
    available: int
    gui_rss: int
    host_rss: int
    reserve: int
    budget: int
    pressure: float
    level: str

    @property
    def app_used(self) -> int:
        return self.gui_rss + self.host_rss

    def to_dict(self) -> dict:
        return {**asdict(self), "app_used": self.app_used}


def compute_budget(limit: int, total: int, available: int, app_used: int) -> tuple[int, int]:
    """(reserve, budget): min(limit, RAM) less a 10% reserve and the app's use, capped by
    what the system has available now less the reserve; never negative."""
    cap = min(limit, total)
    reserve = int(cap * RESERVE_FRACTION)
    budget = min(cap - reserve - app_used, available - reserve)
    return reserve, max(0, budget)


def pressure_level(fraction: float) -> str:
    """The level name for the share of the limit in use (0.5 -> "elevated", 0.9 -> "critical")."""
    for threshold, level in _THRESHOLDS:
        if fraction >= threshold:
            return level
    return "normal"


def process_rss(pid: int | None) -> int:
    """Resident memory of a process in bytes; 0 when there is no such process."""
    if pid is None:
        return 0
    try:
        return psutil.Process(pid).memory_info().rss
    except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
        return 0


def read_state(
    limit: int,
    host_pid: int | None = None,
    gui_pid: int | None = None,
    host_rss: int | None = None,
) -> MemoryState:
    """Measure the machine and the app's processes now and derive budget and pressure.

    host_rss, when given, stands for a host that is not running yet (its expected baseline).
    """
    vm = psutil.virtual_memory()
    gui_rss = process_rss(os.getpid() if gui_pid is None else gui_pid)
    if host_rss is None:
        host_rss = process_rss(host_pid)
    reserve, budget = compute_budget(limit, vm.total, vm.available, gui_rss + host_rss)
    pressure = (gui_rss + host_rss) / min(limit, vm.total)
    return MemoryState(
        limit=limit,
        total=vm.total,
        available=vm.available,
        gui_rss=gui_rss,
        host_rss=host_rss,
        reserve=reserve,
        budget=budget,
        pressure=pressure,
        level=pressure_level(pressure),
    )
