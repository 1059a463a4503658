"""The planner's decisions at each pressure level, on numbers a user could meet."""

from __future__ import annotations

from grym_desktop.memory.estimate import Estimate
from grym_desktop.memory.state import MemoryState, compute_budget, pressure_level
from grym_desktop.orchestrator.planning import (
    MAX_WINDOW_SECONDS,
    MIN_WINDOW_SECONDS,
    batch_size,
    plan,
)

MiB = 1024**2
GiB = 1024**3


def state(limit: int, app_used: int, total: int = 24 * GiB) -> MemoryState:
    reserve, budget = compute_budget(limit, total, total - 2 * GiB, app_used)
    pressure = app_used / min(limit, total)
    return MemoryState(limit, total, total - 2 * GiB, app_used, 0, reserve, budget, pressure,
                       pressure_level(pressure))


ESTIMATES = {
    "float32": Estimate("whisper-tiny.en", "float32", 37_764_864, 151 * MiB, 300 * MiB),
    "int8": Estimate("whisper-tiny.en", "int8", 37_764_864, 40 * MiB, 250 * MiB),
}


def test_plenty_of_memory_gives_full_precision_long_windows_and_big_batches():
    p = plan(ESTIMATES, state(16 * GiB, 200 * MiB))
    assert p.precision == "float32" and p.reasons == []
    assert p.window_seconds == MAX_WINDOW_SECONDS
    assert p.batch_size == 16
    assert p.warning is None


def test_tight_limit_loads_int8_and_says_why():
    p = plan(ESTIMATES, state(800 * MiB, 200 * MiB))
    assert p.precision == "int8"
    assert "int8 instead of float32" in p.reasons[0]
    assert "% of the limit" in p.reasons[0]


def test_float32_over_budget_names_the_budget():
    p = plan(ESTIMATES, state(600 * MiB, 200 * MiB))
    assert p.precision == "int8"
    assert "budget" in p.reasons[0]


def test_high_pressure_means_batch_one_and_short_windows():
    p = plan(ESTIMATES, state(1000 * MiB, 450 * MiB))
    assert p.batch_size == 1 and p.window_seconds == MIN_WINDOW_SECONDS
    assert any("batch size 1" in r for r in p.reasons)


def test_warning_from_80_percent():
    p = plan(ESTIMATES, state(800 * MiB, 360 * MiB), requested_precision="int8")
    assert p.warning is not None and "limit" in p.warning


def test_requested_precision_is_kept():
    p = plan(ESTIMATES, state(800 * MiB, 200 * MiB), requested_precision="float32")
    assert p.precision == "float32"


def test_batch_size_formula_clamps_between_1_and_16():
    assert batch_size(0) == 1
    assert batch_size(10 * 40_000_000) == 6  # floor(10 / 1.5)
    assert batch_size(100 * GiB) == 16
