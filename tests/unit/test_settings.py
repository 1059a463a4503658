"""The core settings file: defaults, a round trip, and a clear error for a broken file."""

from __future__ import annotations

import pytest

from grym_desktop.errors import GrymError
from grym_desktop.models.catalog import DEFAULT_MODEL
from grym_desktop.settings import Settings, load_settings, save_settings, settings_path


def test_missing_file_gives_the_defaults():
    assert not settings_path().exists()
    assert load_settings().fallback_chains == {"transcribe": [DEFAULT_MODEL]}


def test_saved_settings_read_back(tmp_path):
    path = tmp_path / "config" / "settings.json"
    save_settings(Settings({"transcribe": ["whisper-base", DEFAULT_MODEL]}), path)
    assert load_settings(path).fallback_chains == {"transcribe": ["whisper-base", DEFAULT_MODEL]}
    assert [p.name for p in path.parent.iterdir()] == ["settings.json"]  # no temporary file


def test_a_broken_file_is_an_error_sentence(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text("{not json")
    with pytest.raises(GrymError, match="is not valid"):
        load_settings(path)
