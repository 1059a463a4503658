"""One row per catalog model: where it is, its size on disk, memory per precision, and whether
it fits the current budget. The `models list` command and the model manager window both show
these rows, so their badges agree."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from grym_desktop.errors import GrymError
from grym_desktop.memory.limits import format_size
from grym_desktop.memory.state import HOST_BASELINE_BYTES, MemoryState, read_state
from grym_desktop.models import sources
from grym_desktop.models.catalog import ModelSpec
from grym_desktop.models.footprint import estimate_for, estimate_from_catalog
from grym_desktop.models.runtimes import INSTALL_EXTRA, missing_runtime


@dataclass
class ModelRow:
    spec: ModelSpec
    status: sources.Status
    estimates: dict[str, int]  # precision -> estimated bytes (weights + working memory)
    fits: dict[str, bool]
    budget: int

    @property
    def fits_any(self) -> bool:
        return any(self.fits.values())

    def badge(self) -> str:
        """'fits: 611 MiB in float32, budget 13.2 GiB' or 'does not fit: needs ...'."""
        budget = format_size(self.budget)
        fitting = [p for p in self.spec.precisions if self.fits.get(p)]
        if fitting:
            p = fitting[0]
            return f"fits: {format_size(self.estimates[p])} in {p}, budget {budget}"
        p = min(self.estimates, key=self.estimates.get)
        return f"does not fit: needs {format_size(self.estimates[p])} in {p}, budget {budget}"

    def runtime_note(self) -> str:
        """'' when this installation runs the model's engine, else the extra that adds it."""
        return f" · needs {INSTALL_EXTRA}" if missing_runtime(self.spec) else ""

    def memory_text(self) -> str:
        return " · ".join(f"{p} {format_size(n)}" for p, n in self.estimates.items())

    def to_dict(self) -> dict[str, Any]:
        spec, st = self.spec, self.status
        return {
            "id": spec.id,
            "name": spec.name,
            "engine": spec.engine,
            "capabilities": list(spec.capabilities),
            "license": spec.license,
            "parameters": spec.parameters,
            "source": spec.source["type"],
            "state": st.state,
            "installed": st.installed,
            "where": st.where,
            "size_on_disk": st.size_on_disk,
            "download_bytes": spec.download_bytes,
            "estimate_bytes": dict(self.estimates),
            "fits": dict(self.fits),
            "fits_any": self.fits_any,
            "runtime_missing": missing_runtime(spec),
        }


def budget_state(limit_bytes: int) -> MemoryState:
    """The memory state a new model load would meet now (model host at its idle baseline)."""
    return read_state(limit_bytes, host_rss=HOST_BASELINE_BYTES)


def model_row(spec: ModelSpec, state: MemoryState) -> ModelRow:
    estimates = {}
    for precision in spec.precisions:
        try:
            estimates[precision] = estimate_for(spec, precision).total_bytes
        except (GrymError, ValueError, OSError):
            # The files cannot be read for an estimate (yet): use the catalog's numbers.
            estimates[precision] = estimate_from_catalog(spec, precision).total_bytes
    can_load = state.level != "critical"
    fits = {p: can_load and n <= state.budget for p, n in estimates.items()}
    return ModelRow(spec, sources.status(spec), estimates, fits, state.budget)


def model_rows(specs: Iterable[ModelSpec], state: MemoryState) -> list[ModelRow]:
    return [model_row(spec, state) for spec in specs]
