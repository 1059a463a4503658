"""The model catalog: what each model is, which engine runs it and where its files are."""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from grym_desktop.errors import ModelMissingError

DEFAULT_MODEL = "whisper-tiny.en"


@dataclass(frozen=True)
class ModelSpec:
    id: str
    name: str
    engine: str
    capabilities: tuple[str, ...]
    languages: tuple[str, ...]
    source: dict[str, Any]
    license: str
    precisions: tuple[str, ...]
    working_bytes: dict[str, int] = field(default_factory=dict)


@cache
def load_catalog() -> dict[str, ModelSpec]:
    """Read the catalog shipped in grym_desktop/resources/catalog.json."""
    text = resources.files("grym_desktop.resources").joinpath("catalog.json").read_text()
    data = json.loads(text)
    specs = {}
    for entry in data["models"]:
        specs[entry["id"]] = ModelSpec(
            id=entry["id"],
            name=entry["name"],
            engine=entry["engine"],
            capabilities=tuple(entry["capabilities"]),
            languages=tuple(entry["languages"]),
            source=entry["source"],
            license=entry["license"],
            precisions=tuple(entry["precisions"]),
            working_bytes=dict(entry.get("working_bytes", {})),
        )
    return specs


def get_spec(model_id: str) -> ModelSpec:
    """The catalog entry for model_id, or a ModelMissingError naming the known models."""
    catalog = load_catalog()
    if model_id not in catalog:
        known = ", ".join(sorted(catalog))
        raise ModelMissingError(f"There is no model called {model_id!r}; known models: {known}.")
    return catalog[model_id]


def model_dir(spec: ModelSpec) -> Path:
    """The folder holding the model's files, checked to exist."""
    source = spec.source
    if source["type"] == "python_package":
        try:
            module = importlib.import_module(source["module"])
        except ImportError:
            raise ModelMissingError(
                f"The model {spec.id} is not installed: the Python package "
                f"{source['module'].replace('_', '-')} is missing."
            ) from None
        path = Path(getattr(module, source["function"])())
    elif source["type"] == "local_folder":
        path = Path(source["path"]).expanduser()
    else:
        raise ModelMissingError(f"The model {spec.id} has a source this version cannot use.")
    required = ("model.bin", "config.json") if spec.engine == "ctranslate2" else ("config.json",)
    missing = [name for name in required if not (path / name).is_file()]
    if missing:
        raise ModelMissingError(
            f"The model {spec.id} is incomplete: {', '.join(missing)} missing in {path}."
        )
    return path
