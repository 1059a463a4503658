"""The model catalog: what each model is, which engine runs it and where its files come from.

The data lives in resources/catalog.json; folders the user adds are kept in
<data dir>/models/local.json and join the catalog as local_folder entries. This module is data
only: whether a model's files are on this machine is models/sources.py's question.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from grym_desktop.errors import InputError, ModelMissingError
from grym_desktop.paths import data_dir, file_digest, write_atomically

DEFAULT_MODEL = "whisper-tiny.en"
CLAP_MODEL = "clap-htsat-unfused"  # the catalog's audio-text embedding model (text queries)
CT2_PRECISIONS = ("float32", "int8")
TRANSFORMERS_PRECISIONS = ("float32", "bfloat16")
# model_type in a transformers config.json -> what such a model can do
_CAPABILITIES = {
    "whisper": ("transcribe", "translate", "detect_language", "word_timestamps"),
    "wav2vec2": ("transcribe",),
    "moonshine": ("transcribe",),
    "clap": ("embed", "embed_text"),
    "qwen2_audio": ("transcribe", "translate", "ask"),
    "voxtral": ("transcribe", "translate", "ask"),
    "granite_speech": ("transcribe", "translate", "ask"),
}


@dataclass(frozen=True)
class FileSpec:
    path: str
    size: int | None = None  # exact bytes, when known
    sha256: str | None = None  # None: checked against the hub's own ETag instead
    approx_size: int | None = None  # the hub listing's rounded size, for display only
    optional: bool = False

    @property
    def display_size(self) -> int:
        return self.size or self.approx_size or 0


@dataclass(frozen=True)
class ModelSpec:
    id: str
    name: str
    engine: str
    capabilities: tuple[str, ...]
    languages: tuple[str, ...]
    source: dict[str, Any]  # the preferred source; sources lists all in order of preference
    license: str
    precisions: tuple[str, ...]
    working_bytes: dict[str, int] = field(default_factory=dict)
    sources: tuple[dict[str, Any], ...] = ()
    files: tuple[FileSpec, ...] = ()
    parameters: int | None = None
    stored_dtype: str | None = None
    shards_index: str | None = None  # weight shards are the files this index names
    notes: str = ""

    @property
    def download_bytes(self) -> int:
        """The catalog's size of all files (rounded where the hub listing is)."""
        return sum(f.display_size for f in self.files)


def spec_from_entry(entry: dict[str, Any]) -> ModelSpec:
    sources = tuple(entry.get("sources") or [entry["source"]])
    files = tuple(
        FileSpec(
            path=f["path"],
            size=f.get("size"),
            sha256=f.get("sha256"),
            approx_size=f.get("approx_size"),
            optional=bool(f.get("optional", False)),
        )
        for f in entry.get("files", [])
    )
    return ModelSpec(
        id=entry["id"],
        name=entry["name"],
        engine=entry["engine"],
        capabilities=tuple(entry["capabilities"]),
        languages=tuple(entry["languages"]),
        source=sources[0],
        license=entry["license"],
        precisions=tuple(entry["precisions"]),
        working_bytes={k: int(v) for k, v in entry.get("working_bytes", {}).items()},
        sources=sources,
        files=files,
        parameters=entry.get("parameters"),
        stored_dtype=entry.get("stored_dtype"),
        shards_index=entry.get("shards_index"),
        notes=entry.get("notes", ""),
    )


@cache
def builtin_catalog() -> dict[str, ModelSpec]:
    """The catalog shipped in resources/catalog.json."""
    text = resources.files("grym_desktop.resources").joinpath("catalog.json").read_text()
    return {e["id"]: spec_from_entry(e) for e in json.loads(text)["models"]}


def load_catalog() -> dict[str, ModelSpec]:
    """The shipped catalog plus the local model folders the user added."""
    specs = dict(builtin_catalog())
    for entry in _read_local_entries():
        specs.setdefault(entry["id"], spec_from_entry(entry))
    return specs


def get_spec(model_id: str) -> ModelSpec:
    """The catalog entry for model_id, or a ModelMissingError naming the known models."""
    catalog = load_catalog()
    if model_id not in catalog:
        known = ", ".join(sorted(catalog))
        raise ModelMissingError(f"There is no model called {model_id!r}; known models: {known}.")
    return catalog[model_id]


def transcription_models() -> list[ModelSpec]:
    """The models that can transcribe: the bundled default first, then the others by id."""
    specs = [s for s in load_catalog().values() if "transcribe" in s.capabilities]
    return sorted(specs, key=lambda s: (s.id != DEFAULT_MODEL, s.id))


def text_embedding_models() -> list[ModelSpec]:
    """The models that embed text and audio in one space (CLAP): the catalog's first, then the
    folders the user added."""
    specs = [s for s in load_catalog().values() if "embed_text" in s.capabilities]
    return sorted(specs, key=lambda s: (s.id != CLAP_MODEL, s.id))


def models_dir() -> Path:
    """Where the app keeps model files it makes or assembles, and its records about models."""
    return data_dir() / "models"


GE2E_ENGINE = "ge2e"  # the bundled speaker encoder's engine: Resemblyzer's weights in torch
SPEAKER_EMBEDDING = "speaker-embedding"  # the capability of the speaker encoders
GE2E_MODEL = "resemblyzer-ge2e"  # the bundled speaker encoder


def required_files(engine: str) -> tuple[str, ...]:
    if engine == GE2E_ENGINE:
        return ("pretrained.pt",)
    return ("model.bin", "config.json") if engine == "ctranslate2" else ("config.json",)


def speaker_models() -> list[ModelSpec]:
    """The models that make speaker embeddings: the bundled GE2E first, then the others by id."""
    specs = [s for s in load_catalog().values() if SPEAKER_EMBEDDING in s.capabilities]
    return sorted(specs, key=lambda s: (s.id != GE2E_MODEL, s.id))


# -- local model folders -------------------------------------------------------------------


def _local_path() -> Path:
    return models_dir() / "local.json"


def _read_local_entries() -> list[dict[str, Any]]:
    try:
        return json.loads(_local_path().read_text())["models"]
    except FileNotFoundError:
        return []
    except (ValueError, KeyError, TypeError):
        return []  # a damaged file must not take the catalog down; adding rewrites it


def _write_local_entries(entries: list[dict[str, Any]]) -> None:
    write_atomically(_local_path(), json.dumps({"models": entries}, indent=1))


def add_local_model(folder: str | Path, model_id: str | None = None) -> ModelSpec:
    """Register a model folder (CTranslate2 or transformers safetensors) under an id.

    The files' sizes and SHA-256 are recorded now, so `verify` notices later changes.
    """
    path = Path(folder).expanduser().resolve()
    if not path.is_dir():
        raise InputError(f"{path} is not a folder.")
    config = _read_config(path)
    if (path / "model.bin").is_file():
        engine, precisions, model_type = "ctranslate2", CT2_PRECISIONS, "whisper"
    elif any(path.glob("*.safetensors")):
        engine, precisions = "transformers", TRANSFORMERS_PRECISIONS
        model_type = str(config.get("model_type", ""))
    else:
        raise InputError(
            f"{path} holds no model this app can load: it needs a CTranslate2 model.bin or "
            "safetensors weights next to a config.json."
        )
    model_id = model_id or "local-" + re.sub(r"[^a-z0-9._-]+", "-", path.name.lower()).strip("-")
    if model_id in builtin_catalog():
        raise InputError(f"{model_id} is a catalog model; choose another id for this folder.")
    files = [
        {"path": p.name, "size": p.stat().st_size, "sha256": file_digest(p)}
        for p in sorted(path.iterdir())
        if p.is_file()
    ]
    entry = {
        "id": model_id,
        "name": f"{path.name} (local folder)",
        "engine": engine,
        "capabilities": list(_CAPABILITIES.get(model_type, ())),
        "languages": ["multilingual"],
        "license": "see the folder",
        "precisions": list(precisions),
        "sources": [{"type": "local_folder", "path": str(path)}],
        "files": files,
        "stored_dtype": config.get("torch_dtype"),
    }
    spec = spec_from_entry(entry)
    missing = [n for n in required_files(engine) if not (path / n).is_file()]
    if missing:
        raise InputError(f"{path} is missing {', '.join(missing)}.")
    entries = [e for e in _read_local_entries() if e["id"] != model_id] + [entry]
    _write_local_entries(entries)
    return spec


def remove_local_model(model_id: str) -> bool:
    """Forget a local folder entry (the folder itself is left alone)."""
    entries = _read_local_entries()
    kept = [e for e in entries if e["id"] != model_id]
    if len(kept) == len(entries):
        return False
    _write_local_entries(kept)
    return True


def _read_config(path: Path) -> dict[str, Any]:
    try:
        data = json.loads((path / "config.json").read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
