"""Helpers shared by the benchmarks: the eval clips, text normalisation, WER, timing."""

from __future__ import annotations

import csv
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import jiwer
import numpy as np

from grym_desktop.scoring.wer import NORMALISATION as SCORING_NORMALISATION
from grym_desktop.scoring.wer import normalise

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT.parent / "shared" / "eval"


def speech_clips() -> list[tuple[Path, str]]:
    """(path, reference text) of every speech clip in ../shared/eval/manifest.tsv."""
    with open(EVAL / "manifest.tsv", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return [(EVAL / "clips" / r["file"], r["transcript"]) for r in rows if r["type"] == "speech"]


NORMALISATION = SCORING_NORMALISATION  # the app's own (grym_desktop/scoring/wer.py)


def wer(references: list[str], hypotheses: list[str]) -> float:
    """Corpus word error rate in percent."""
    return 100.0 * jiwer.wer([normalise(r) for r in references],
                             [normalise(h) or "<empty>" for h in hypotheses])


def load_raw_or_decode(path: Path) -> np.ndarray:
    """16 kHz mono float32 as faster-whisper's own decoder gives it (raw s16le read directly)."""
    if path.suffix == ".raw":
        return np.fromfile(path, dtype="<i2").astype(np.float32) / 32768.0
    from faster_whisper.audio import decode_audio

    return decode_audio(str(path))


def run_cli(*args: str) -> tuple[float, subprocess.CompletedProcess]:
    """Run `grym-desktop ARGS` as a user would; (wall seconds, result)."""
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "grym_desktop", *args],
                            capture_output=True, text=True)
    return time.perf_counter() - started, result


def run_python(code: str) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return time.perf_counter() - started, result


def median(values: list[float]) -> float:
    return statistics.median(values)


def emit(report: dict) -> None:
    print(json.dumps(report, indent=2))
