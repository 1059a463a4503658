"""Footprint estimates of catalog models, read from their files before any load."""

from __future__ import annotations

from grym_desktop.memory.estimate import Estimate, estimate_ctranslate2
from grym_desktop.models.catalog import ModelSpec, model_dir


def estimate_for(spec: ModelSpec, precision: str) -> Estimate:
    """Weights at this precision plus the engine's working memory, as the catalog gives it."""
    working = spec.working_bytes.get(precision, 0)
    if spec.engine == "ctranslate2":
        return estimate_ctranslate2(spec.id, model_dir(spec), precision, working)
    raise ValueError(f"no footprint estimate for the {spec.engine} engine")
