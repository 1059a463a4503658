"""Planning a task from the memory state: precision, decoding window and batch size.

The pressure levels of the architecture page decide: from 50 % of the limit in
use (counting the model about to load) prefer reduced precision; from 70 %
batch size 1 and smaller windows; from 80 % warn; from 90 % no new loads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from grym_desktop.memory.estimate import Estimate
from grym_desktop.memory.limits import format_size
from grym_desktop.memory.state import MemoryState, pressure_level

# Extra host memory per second of audio in one decoding window (features, STFT
# buffers), measured on tiny.en; windows are sized so this fits what is free.
WINDOW_BYTES_PER_SECOND = 1_000_000
MAX_WINDOW_SECONDS = 120.0
MIN_WINDOW_SECONDS = 30.0
# Extra memory per item of a batched decode (one 30 s window through the encoder and decoder).
BATCH_ITEM_BYTES = 40_000_000
MAX_BATCH = 16


@dataclass
class Plan:
    precision: str
    estimate: Estimate
    window_seconds: float
    batch_size: int
    reasons: list[str] = field(default_factory=list)
    warning: str | None = None


def projected_pressure(state: MemoryState, estimate: Estimate) -> float:
    """Share of the limit in use once this model is loaded."""
    return (state.app_used + estimate.total_bytes) / min(state.limit, state.total)


def choose_precision(
    estimates: dict[str, Estimate], state: MemoryState, requested: str | None
) -> tuple[str, list[str]]:
    """The precision to load, and why; `estimates` maps each offered precision, best first."""
    precisions = list(estimates)
    if requested:
        return requested, []
    best = precisions[0]
    if len(precisions) == 1:
        return best, []
    full = projected_pressure(state, estimates[best])
    if full < 0.5 and estimates[best].total_bytes <= state.budget:
        return best, []
    reduced = precisions[-1]
    if estimates[best].total_bytes > state.budget:
        why = (f"{best} would need {format_size(estimates[best].total_bytes)}, more than the "
               f"{format_size(state.budget)} budget")
    else:
        why = f"{best} would bring memory use to {full:.0%} of the limit"
    return reduced, [f"{reduced} instead of {best}: {why}"]


def batch_size(free_bytes: int, per_item_bytes: int = BATCH_ITEM_BYTES) -> int:
    """clamp(floor(free / (per-item bytes x 1.5)), 1, 16), the architecture page's formula."""
    return max(1, min(MAX_BATCH, int(free_bytes // (per_item_bytes * 1.5))))


def window_seconds(free_bytes: int) -> float:
    """The longest decoding window whose buffers fit in what stays free after the load."""
    seconds = free_bytes / WINDOW_BYTES_PER_SECOND
    return max(MIN_WINDOW_SECONDS, min(MAX_WINDOW_SECONDS, seconds))


def plan(
    estimates: dict[str, Estimate], state: MemoryState, requested_precision: str | None = None
) -> Plan:
    """Decide precision, window and batch size for a task from the state at planning time."""
    precision, reasons = choose_precision(estimates, state, requested_precision)
    estimate = estimates[precision]
    free_after = max(0, state.budget - estimate.total_bytes)
    level = pressure_level(projected_pressure(state, estimate))
    window, batch = window_seconds(free_after), batch_size(free_after)
    warning = None
    if level in ("high", "warning", "critical"):
        if batch > 1 or window > MIN_WINDOW_SECONDS:
            reasons.append(f"batch size 1 and {MIN_WINDOW_SECONDS:g} s windows at {level} "
                           "memory pressure")
        window, batch = MIN_WINDOW_SECONDS, 1
    if level in ("warning", "critical"):
        warning = (f"Memory is at {projected_pressure(state, estimate):.0%} of the "
                   f"{format_size(state.limit)} limit with {estimate.model_id} loaded.")
    return Plan(precision, estimate, window, batch, reasons, warning)
