"""Which engines this installation can run. torch and transformers are an optional extra
(`pip install 'grym-desktop[transformers]'`): the default install runs the CTranslate2 engine
only, and a model that needs the extra is refused in one sentence that names it."""

from __future__ import annotations

import sys
from importlib.util import find_spec

from grym_desktop.errors import ModelMissingError
from grym_desktop.models.catalog import ModelSpec

EXTRA = "transformers"
INSTALL_EXTRA = f"pip install 'grym-desktop[{EXTRA}]'"

# The Python packages each engine imports in the model host.
ENGINE_PACKAGES = {
    "ctranslate2": ("ctranslate2", "faster_whisper"),
    "transformers": ("torch", "transformers"),
    "ge2e": ("torch",),
}


def missing_packages(engine: str) -> list[str]:
    """The packages the engine needs that are not installed (found without importing them)."""
    return [name for name in ENGINE_PACKAGES.get(engine, ()) if find_spec(name) is None]


def missing_runtime(spec: ModelSpec) -> str | None:
    """One sentence when this installation cannot run the model's engine, else None."""
    missing = missing_packages(spec.engine)
    if not missing:
        return None
    if "torch" not in ENGINE_PACKAGES[spec.engine]:
        return f"{spec.id} needs {', '.join(missing)}, which this installation does not include."
    if getattr(sys, "frozen", False):  # the packaged app has no pip to add the extra with
        return (f"{spec.id} runs on torch, which the packaged app does not include; it runs "
                f"in the pip install with the extra: {INSTALL_EXTRA}.")
    return (f"{spec.id} runs on torch, which this installation does not include "
            f"({', '.join(missing)} missing); install it with {INSTALL_EXTRA}.")


def check_runtime(spec: ModelSpec) -> None:
    """Raise ModelMissingError, so the fallback chain moves on, when the engine is absent."""
    problem = missing_runtime(spec)
    if problem:
        raise ModelMissingError(problem)
