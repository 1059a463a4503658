"""An installation without the torch extra: models that need torch are refused in one sentence
naming the extra, and the file is still transcribed by the bundled CTranslate2 model."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from helpers import DATA

pytestmark = pytest.mark.integration

# The command line with torch and transformers made unfindable, as on a default install.
WITHOUT_TORCH = (
    "import sys; sys.modules['torch'] = None; sys.modules['transformers'] = None; "
    "from grym_desktop.cli import main; sys.exit(main(sys.argv[1:]))"
)


def grym_without_torch(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", WITHOUT_TORCH, *args],
                          capture_output=True, text=True, timeout=300)


def test_a_torch_model_falls_back_and_names_the_extra():
    result = grym_without_torch("transcribe", str(DATA / "hello_world.wav"), "--format", "json",
                                "--model", "whisper-tiny.en-transformers")
    assert result.returncode == 0, result.stderr
    transcript = json.loads(result.stdout)
    assert transcript["model"] == "whisper-tiny.en"
    assert "hello world" in " ".join(s["text"] for s in transcript["segments"]).lower()
    reason = transcript["fallback"]["reason"]
    assert "pip install 'grym-desktop[transformers]'" in reason
    assert "used whisper-tiny.en instead of whisper-tiny.en-transformers" in result.stderr


def test_models_list_marks_the_models_that_need_the_extra():
    result = grym_without_torch("models", "list", "--json")
    assert result.returncode == 0, result.stderr
    rows = {row["id"]: row for row in json.loads(result.stdout)["models"]}
    assert rows["whisper-tiny.en"]["runtime_missing"] is None
    assert "grym-desktop[transformers]" in rows["whisper-tiny.en-transformers"]["runtime_missing"]
    text = grym_without_torch("models", "list").stdout
    [line] = [line for line in text.splitlines() if line.startswith("whisper-tiny.en-transformers")]
    assert line.endswith("needs pip install 'grym-desktop[transformers]'")


def test_with_torch_installed_nothing_is_missing():
    result = subprocess.run([sys.executable, "-m", "grym_desktop", "models", "list", "--json"],
                            capture_output=True, text=True, timeout=120)
    assert all(row["runtime_missing"] is None for row in json.loads(result.stdout)["models"])
