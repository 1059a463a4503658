"""Shared fixtures: test data, an isolated user data directory, a long speech file.

Plain helper functions and constants are in helpers.py (the window's in gui/window_helpers.py).
"""

from __future__ import annotations

import csv
import os
import subprocess
from pathlib import Path

import pytest
from audio_checks import write_tones
from helpers import DATA
from pulse_sink import PulseSink


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


# Harvard sentences: varied speech, so Whisper's repetition safeguards see no loops.
SENTENCES = (
    "the birch canoe slid on the smooth planks",
    "glue the sheet to the dark blue background",
    "it is easy to tell the depth of a well",
    "these days a chicken leg is a rare dish",
    "rice is often served in round bowls",
    "the juice of lemons makes fine punch",
    "the box was thrown beside the parked truck",
    "the hogs were fed chopped corn and garbage",
    "four hours of steady work faced us",
    "a large size in stockings is hard to sell",
    "the boy was there when the sun rose",
    "a rod is used to catch pink salmon",
)


@pytest.fixture(scope="session")
def spoken_sentences(tmp_path_factory) -> list[tuple[Path, str]]:
    """(16 kHz mono WAV, text) of twelve different sentences spoken by espeak-ng."""
    folder = tmp_path_factory.mktemp("sentences")
    out = []
    for i, text in enumerate(SENTENCES):
        raw, path = folder / f"{i}.raw.wav", folder / f"{i}.wav"
        subprocess.run(["espeak-ng", "-v", "en-us", "-s", str(140 + 10 * (i % 3)), "-w", str(raw),
                        text], check=True)
        subprocess.run(["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(path)],
                       check=True)
        out.append((path, text))
    return out


@pytest.fixture(scope="session")
def pulse_server(tmp_path_factory) -> PulseSink:
    """A private PulseAudio server whose null sink records what is played (tests/pulse_sink.py)."""
    sink = PulseSink(tmp_path_factory.mktemp("pulse")).start()
    yield sink
    sink.stop()


@pytest.fixture
def audio_output(pulse_server) -> PulseSink:
    """PortAudio's default output is the private sink for this test, and what it was after."""
    import sounddevice

    saved = {name: os.environ.get(name) for name in pulse_server.env}
    os.environ.update(pulse_server.env)
    sounddevice._terminate()  # PortAudio reads ALSA's configuration (HOME's .asoundrc) anew
    sounddevice._initialize()
    yield pulse_server
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    sounddevice._terminate()
    sounddevice._initialize()


@pytest.fixture(scope="session")
def tones(tmp_path_factory) -> Path:
    """8 s of 0.25 s tones of different pitches (tests/audio_checks.py)."""
    return write_tones(tmp_path_factory.mktemp("tones") / "tones.wav")


def pytest_collection_modifyitems(items):
    """The memory governor's unit tests belong to the memory suite (`make test-memory`)."""
    for item in items:
        name = item.path.name
        if name.startswith("test_memory_") or name == "test_planning.py":
            item.add_marker(pytest.mark.memory)
