"""Core settings shared by the window and the command line, kept as JSON in the config dir.

Window-only preferences (geometry, last folder) live in QSettings; what the core
needs on every path (fallback chains) lives here so the command line sees it too.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import platformdirs

from grym_desktop.errors import GrymError
from grym_desktop.models.catalog import DEFAULT_MODEL
from grym_desktop.paths import write_atomically

CONFIG_ENV = "GRYM_CONFIG_DIR"


def settings_path() -> Path:
    folder = os.environ.get(CONFIG_ENV) or platformdirs.user_config_dir("grym-desktop")
    return Path(folder) / "settings.json"


@dataclass
class Settings:
    # Per capability, the models to try after the user's choice, in order.
    fallback_chains: dict[str, list[str]] = field(
        default_factory=lambda: {"transcribe": [DEFAULT_MODEL]}
    )


def load_settings(path: Path | None = None) -> Settings:
    """Read the settings; a missing file gives the defaults, a broken one an error sentence."""
    path = path or settings_path()
    if not path.exists():
        return Settings()
    try:
        data = json.loads(path.read_text())
        return Settings(fallback_chains={k: list(v) for k, v in data["fallback_chains"].items()})
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise GrymError(f"The settings file {path} is not valid ({exc}).") from None


def save_settings(settings: Settings, path: Path | None = None) -> None:
    path = path or settings_path()
    write_atomically(path, json.dumps(asdict(settings), indent=2))


def fallback_chain(capability: str, first: str, settings: Settings) -> list[str]:
    """The user's choice first, then the configured chain, the bundled default last; no repeats."""
    chain = [first, *settings.fallback_chains.get(capability, []), DEFAULT_MODEL]
    return list(dict.fromkeys(chain))
