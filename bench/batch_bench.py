"""Batches on one machine: 1 worker against `auto` workers on the same archive, in one run.

The archive is every speech clip of ../shared/eval twice (the second copy with 0.1 s of
silence added, so its content differs), 50 files in nested folders. Each run writes into a
fresh output folder through `grym-desktop batch` as a user runs it; throughput is audio
seconds per wall second, whole command included (start-up, hashing, model loads). Prints
JSON.

    cd bench && ../.venv/bin/python batch_bench.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import EVAL, ROOT, emit, speech_clips

PYTHON = str(ROOT / ".venv" / "bin" / "python")


def make_archive(folder: Path) -> Path:
    for i, (clip, _text) in enumerate(speech_clips()):
        for copy in (0, 1):
            target = folder / f"set{copy}" / f"group{i % 4}" / f"{clip.stem}.wav"
            target.parent.mkdir(parents=True, exist_ok=True)
            pad = ["pad", "0", "0.1"] if copy else []
            raw = (["-t", "raw", "-r", "16000", "-e", "signed", "-b", "16", "-c", "1"]
                   if clip.suffix == ".raw" else [])  # headerless PCM: say what it holds
            subprocess.run(["sox", *raw, str(clip), "-r", "16000", "-c", "1", str(target),
                            *pad], check=True)
    return folder


def run(archive: Path, workers: str, output: Path) -> dict:
    started = time.perf_counter()
    done = subprocess.run([PYTHON, "-m", "grym_desktop", "batch", str(archive), "--output",
                           str(output), "--workers", workers, "--json"],
                          capture_output=True, text=True, timeout=3600)
    wall = time.perf_counter() - started
    events = [json.loads(line) for line in done.stdout.splitlines()]
    summary = events[-1]
    return {"workers_asked": workers, "workers": events[0]["workers"], "why": events[0]["why"],
            "exit": done.returncode, "files_done": summary["done"],
            "audio_seconds": summary["audio_seconds"], "wall_seconds": round(wall, 1),
            "audio_seconds_per_wall_second": round(summary["audio_seconds"] / wall, 2)}


def main() -> None:
    if not (EVAL / "manifest.tsv").exists():
        sys.exit(f"the eval clips are not at {EVAL}")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["GRYM_DATA_DIR"] = str(Path(tmp) / "data")
        os.environ["GRYM_CONFIG_DIR"] = str(Path(tmp) / "data" / "config")
        archive = make_archive(Path(tmp) / "archive")
        one = run(archive, "1", Path(tmp) / "out-1")
        auto = run(archive, "auto", Path(tmp) / "out-auto")
    emit({"bench": "batch", "cpu_count": os.cpu_count(), "files": 50, "one_worker": one,
          "auto": auto, "auto_over_one": round(auto["audio_seconds_per_wall_second"]
                                               / one["audio_seconds_per_wall_second"], 2)})


if __name__ == "__main__":
    main()
