"""Shared fixtures: test data, an isolated user data directory, a long speech file."""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path_factory, monkeypatch):
    """Every test keeps its library and settings in a temporary folder, never the user's."""
    data_dir = tmp_path_factory.mktemp("grym-data")
    monkeypatch.setenv("GRYM_DATA_DIR", str(data_dir))
    monkeypatch.setenv("GRYM_CONFIG_DIR", str(data_dir / "config"))
    return data_dir


@pytest.fixture(scope="session")
def texts() -> dict[str, str]:
    with open(DATA / "texts.tsv", newline="") as f:
        return {row["file"]: row["text"] for row in csv.DictReader(f, delimiter="\t")}


@pytest.fixture(scope="session")
def long_speech(tmp_path_factory) -> Path:
    """About 95 s of speech made by repeating a fixture clip with sox."""
    out = tmp_path_factory.mktemp("long") / "long_speech.wav"
    parts = [str(DATA / "hello_world.wav")] * 30
    subprocess.run(
        ["sox", *parts, "-r", "16000", "-c", "1", "-b", "16", str(out)], check=True
    )
    return out


def pytest_collection_modifyitems(items):
    """The memory governor's unit tests belong to the memory suite (`make test-memory`)."""
    for item in items:
        name = item.path.name
        if name.startswith("test_memory_") or name == "test_planning.py":
            item.add_marker(pytest.mark.memory)
