"""Engines: one module per runtime. Imported only inside the model host."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from grym_desktop.engines.engine import Engine


def load_engine(engine: str, model_dir: Path, precision: str, options: dict[str, Any]) -> Engine:
    """Load a model with the named runtime; the runtime is imported only here, in the host,
    so that importing this package costs nothing (the window never loads torch or CTranslate2)."""
    if engine == "ctranslate2":
        from grym_desktop.engines.ctranslate2_engine import CTranslate2Whisper

        return CTranslate2Whisper(model_dir, precision, **options)
    if engine == "transformers":
        from grym_desktop.engines.transformers_engine import (
            checked_architectures,
            load_transformers,
        )

        architectures = checked_architectures(model_dir, precision, **options)
        if "ClapModel" in architectures:
            from grym_desktop.engines.clap_engine import ClapEngine

            return ClapEngine(model_dir, precision)
        if "WavLMForXVector" in architectures:
            from grym_desktop.engines.xvector_engine import WavLMXVectorEngine

            return WavLMXVectorEngine(model_dir, precision)
        from grym_desktop.engines.audio_lm_engine import ARCHITECTURES, AudioLMEngine

        if any(a in ARCHITECTURES for a in architectures):
            return AudioLMEngine(model_dir, precision)
        return load_transformers(model_dir, precision, **options)
    if engine == "ge2e":
        from grym_desktop.engines.speaker_engine import GE2EEngine

        return GE2EEngine(model_dir, precision)
    raise ValueError(f"the engine {engine} is not available in this version")
