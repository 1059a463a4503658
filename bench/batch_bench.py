"""Batches side by side on one archive, in one run: 1 local worker, `auto` local workers,
batched decoding on and off, and a two-node Ray cluster on the same cores.

The archive is every speech clip of ../shared/eval twice (the second copy with 0.1 s of
silence added, so its content differs), 50 files in nested folders, plus LONG_FILES long
recordings made by joining every speech clip (where batched decoding can pay off). Each run
writes into a fresh output folder through `grym-desktop batch` as a user runs it; throughput
is audio seconds per wall second, whole command included (start-up, hashing, model loads,
and on the cluster joining it and starting its actors). The Ray cluster is two nodes started
with `ray start` on this machine, one CPU each, so it has the cores `auto` uses locally; its
overhead is local auto's throughput over the cluster's, less one. Prints JSON.

    cd bench && ../.venv/bin/python batch_bench.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import EVAL, ROOT, emit, speech_clips

PYTHON = str(ROOT / ".venv" / "bin" / "python")
RAY = str(ROOT / ".venv" / "bin" / "ray")
RAY_PORT = "6391"
NODE_MEMORY = str(3 * 2**30)  # each node's Ray memory resource: room for two actors
LONG_FILES = 2


def to_wav(clip: Path, target: Path, *effects: str) -> None:
    raw = (["-t", "raw", "-r", "16000", "-e", "signed", "-b", "16", "-c", "1"]
           if clip.suffix == ".raw" else [])  # headerless PCM: say what it holds
    subprocess.run(["sox", *raw, str(clip), "-r", "16000", "-c", "1", str(target), *effects],
                   check=True)


def make_archive(folder: Path, quick: bool) -> Path:
    clips = speech_clips()[: 6 if quick else None]
    for i, (clip, _text) in enumerate(clips):
        for copy in (0, 1):
            target = folder / f"set{copy}" / f"group{i % 4}" / f"{clip.stem}.wav"
            target.parent.mkdir(parents=True, exist_ok=True)
            to_wav(clip, target, *(["pad", "0", "0.1"] if copy else []))
    parts = sorted((folder / "set0").rglob("*.wav"))
    for n in range(LONG_FILES):
        joined = folder / "long" / f"joined{n}.wav"
        joined.parent.mkdir(exist_ok=True)
        subprocess.run(["sox", *map(str, parts[n:] + parts[:n]), str(joined)], check=True)
    return folder


def run(archive: Path, output: Path, *options: str) -> dict:
    started = time.perf_counter()
    done = subprocess.run([PYTHON, "-m", "grym_desktop", "batch", str(archive), "--output",
                           str(output), "--json", *options],
                          capture_output=True, text=True, timeout=7200)
    wall = time.perf_counter() - started
    events = [json.loads(line) for line in done.stdout.splitlines()]
    if done.returncode != 0 or not events:
        raise SystemExit(f"batch {' '.join(options)} failed ({done.returncode}): "
                         f"{done.stderr[-2000:]}")
    summary = events[-1]
    return {"options": " ".join(options), "workers": events[0]["workers"],
            "why": events[0]["why"], "files_done": summary["done"],
            "audio_seconds": summary["audio_seconds"], "wall_seconds": round(wall, 1),
            "audio_seconds_per_wall_second": round(summary["audio_seconds"] / wall, 2)}


def texts(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): p.read_text() for p in folder.rglob("*.txt")}


def start_ray(tmp: Path) -> str:
    """Two nodes on this machine, one CPU each; the head's address."""
    address = f"127.0.0.1:{RAY_PORT}"
    common = ["--num-cpus", "1", "--memory", NODE_MEMORY, "--node-ip-address", "127.0.0.1",
              "--disable-usage-stats"]
    subprocess.run([RAY, "start", "--head", "--port", RAY_PORT, "--include-dashboard=false",
                    "--temp-dir", str(tmp / "ray"), *common], check=True, capture_output=True)
    subprocess.run([RAY, "start", "--address", address, *common], check=True,
                   capture_output=True)
    return address


def stop_ray() -> None:
    subprocess.run([RAY, "stop", "--force"], capture_output=True)


def ratio(a: dict, b: dict) -> float:
    return round(a["audio_seconds_per_wall_second"] / b["audio_seconds_per_wall_second"], 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="12 short files and 2 long")
    parser.add_argument("--no-ray", action="store_true", help="skip the Ray cluster")
    args = parser.parse_args()
    if not (EVAL / "manifest.tsv").exists():
        sys.exit(f"the eval clips are not at {EVAL}")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        os.environ["GRYM_DATA_DIR"] = str(tmp / "data")
        os.environ["GRYM_CONFIG_DIR"] = str(tmp / "data" / "config")
        archive = make_archive(tmp / "archive", args.quick)
        files = len(list(archive.rglob("*.wav")))
        runs = {
            "one_worker": run(archive, tmp / "one", "--workers", "1", "--batched", "off"),
            "auto": run(archive, tmp / "auto", "--workers", "auto", "--batched", "off"),
            "auto_batched": run(archive, tmp / "batched", "--workers", "auto",
                                "--batched", "on"),
        }
        if not args.no_ray:
            try:
                address = start_ray(tmp)
                runs["ray_two_nodes"] = run(archive, tmp / "ray", "--cluster", address,
                                            "--batched", "off")
            finally:
                stop_ray()
            ray_texts, local_texts = texts(tmp / "ray"), texts(tmp / "auto")
            differing = sorted(k for k in local_texts if ray_texts.get(k) != local_texts[k])
    result = {"bench": "batch", "cpu_count": os.cpu_count(), "files": files,
              "long_files": LONG_FILES, **runs,
              "auto_over_one": ratio(runs["auto"], runs["one_worker"]),
              "batched_over_unbatched": ratio(runs["auto_batched"], runs["auto"])}
    if "ray_two_nodes" in runs:
        result["ray_overhead_vs_local_auto"] = round(ratio(runs["auto"],
                                                           runs["ray_two_nodes"]) - 1, 3)
        result["ray_transcripts_differing_from_local"] = differing
    emit(result)


if __name__ == "__main__":
    main()
