import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    """Keep the library and settings of every GUI test in tmp_path, away from the user's."""
    path = tmp_path / "data"
    path.mkdir()
    monkeypatch.setenv("GRYM_DATA_DIR", str(path))
    monkeypatch.setenv("GRYM_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("GRYM_MEMORY_LIMIT", raising=False)
    return path


@pytest.fixture
def hub_cache(tmp_path, monkeypatch):
    """An empty Hugging Face cache of the test's own, with downloads allowed."""
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.delenv("GRYM_OFFLINE", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    return tmp_path / "hf-cache"
