"""The load guard: refuse a model that would not fit, before any byte of it is read."""

from __future__ import annotations

from collections.abc import Sequence

from grym_desktop.errors import MemoryRefusedError
from grym_desktop.memory.estimate import Estimate
from grym_desktop.memory.limits import format_size
from grym_desktop.memory.state import MemoryState


def check_load(
    estimate: Estimate, state: MemoryState, alternatives: Sequence[Estimate] = ()
) -> None:
    """Raise MemoryRefusedError when the estimate exceeds the budget or pressure is critical.

    At critical pressure (90% of the limit in use) the budget is already about zero.
    """
    if estimate.total_bytes > state.budget or state.level == "critical":
        raise MemoryRefusedError(refusal_message(estimate, state, alternatives))


def refusal_message(
    estimate: Estimate, state: MemoryState, alternatives: Sequence[Estimate] = ()
) -> str:
    """One line naming the model, its estimate, the budget, what uses memory now and what fits."""
    size = format_size
    head = f"Refused to load {estimate.model_id} ({estimate.precision}): "
    in_use = f"window {size(state.gui_rss)}, model host {size(state.host_rss)}"
    cap = min(state.limit, state.total)
    if state.available - state.reserve < cap - state.reserve - state.app_used:
        why = (
            f"only {size(state.available)} is available on this system now, less a "
            f"{size(state.reserve)} reserve; the app uses {size(state.app_used)}: {in_use}"
        )
    else:
        source = (
            f"limit {size(state.limit)}"
            if state.limit <= state.total
            else f"{size(state.total)} of RAM, below the {size(state.limit)} limit"
        )
        why = (
            f"{source}, less a {size(state.reserve)} reserve and {size(state.app_used)} "
            f"the app already uses: {in_use}"
        )
    message = (
        f"{head}it needs about {size(estimate.total_bytes)} but the budget is "
        f"{size(state.budget)} ({why})"
    )
    if estimate.cache_bytes:
        message += (f"; that is {size(estimate.weights_bytes)} of weights, "
                     f"{size(estimate.cache_bytes)} of key/value cache for "
                     f"{estimate.cache_tokens:,} tokens and "
                     f"{size(estimate.working_bytes - estimate.cache_bytes)} to run them")
    if alternatives:
        fits = [a for a in alternatives if a.total_bytes <= state.budget]
        named = " or ".join(
            f"{a.model_id} in {a.precision} ({size(a.total_bytes)})" for a in fits or alternatives
        )
        message += f"; {named} would fit" if fits else f"; {named} would not fit either"
    return message + "."
