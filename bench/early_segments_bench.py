"""Files under one Whisper window: decoded whole vs piece by piece (early segments), side by side.

Builds --files recordings of 15-29 s from the ../shared/eval speech clips (seeded order, 0.3-2 s
of silence after each clip), adds the JFK clip, and transcribes each file both ways through the
orchestrator and model host the window uses (tiny.en, float32, beam 5, speech filter on),
alternating the order per file. Reports corpus WER, the seconds until the first segment reached
the caller, the seconds until the file was done, and the ratios.

    .venv/bin/python bench/early_segments_bench.py [--files 12] [--seed 0]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
from common import NORMALISATION, emit, load_raw_or_decode, median, speech_clips, wer

from grym_desktop.options import DecodeOptions
from grym_desktop.orchestrator import events as ev
from grym_desktop.orchestrator.runner import TranscribeTask, open_orchestrator

RATE = 16000
GiB = 1024**3


def build_files(count: int, seed: int, folder: Path) -> list[tuple[Path, str]]:
    """(path, reference) of `count` recordings of 15-29 s, plus the JFK clip as it is."""
    rng = random.Random(seed)
    clips = speech_clips()
    files = []
    for i in range(count):
        target = rng.uniform(15, 29)
        order = clips[:]
        rng.shuffle(order)
        parts, texts, seconds = [], [], 0.0
        for path, text in order:
            audio = load_raw_or_decode(path)
            pause = np.zeros(int(rng.uniform(0.3, 2.0) * RATE), np.float32)
            if seconds + (len(audio) + len(pause)) / RATE > target:
                continue
            parts += [audio, pause]
            texts.append(text)
            seconds += (len(audio) + len(pause)) / RATE
        out = folder / f"short_{i:02d}.wav"
        sf.write(out, np.concatenate(parts), RATE)
        files.append((out, " ".join(texts)))
    files.append(next((p, t) for p, t in clips if "jfk" in p.name))
    return files


def transcribe(orchestrator, path: Path, early: bool, first: dict) -> tuple[str, float, float]:
    """(text, seconds to the first segment, seconds in all) of one file."""
    task = TranscribeTask(str(path), precision="float32",
                          options=DecodeOptions(early_segments=early))
    first.clear()
    started = time.perf_counter()
    transcript = orchestrator.run(task)
    total = time.perf_counter() - started
    return transcript.text, first.get("at", started + total) - started, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    first: dict = {}

    def on_event(event: ev.Event) -> None:
        if isinstance(event, ev.SegmentAdded) and "at" not in first:
            first["at"] = time.perf_counter()

    with tempfile.TemporaryDirectory() as tmp:
        files = build_files(args.files, args.seed, Path(tmp))
        orchestrator = open_orchestrator(16 * GiB, on_event)
        results = {True: [], False: []}
        try:
            orchestrator.run(TranscribeTask(str(files[-1][0]), precision="float32"))  # warm up
            for n, (path, _reference) in enumerate(files):
                for early in ((True, False) if n % 2 == 0 else (False, True)):
                    results[early].append(transcribe(orchestrator, path, early, first))
        finally:
            orchestrator.close()
        references = [reference for _path, reference in files]
        durations = [sf.info(path).duration for path, _ in files]

    def summary(rows: list[tuple[str, float, float]]) -> dict:
        return {
            "wer_percent": round(wer(references, [text for text, _, _ in rows]), 2),
            "first_segment_seconds_median": round(median([f for _, f, _ in rows]), 3),
            "first_segment_at_fraction_of_time_to_done_median": round(
                median([f / t for _, f, t in rows]), 3),
            "done_seconds_total": round(sum(t for _, _, t in rows), 2),
        }

    whole, early = summary(results[False]), summary(results[True])
    emit({
        "files": len(files),
        "audio_seconds": round(sum(durations), 1),
        "model": "whisper-tiny.en float32, beam 5",
        "normalisation": NORMALISATION,
        "whole": whole,
        "early_segments": early,
        "ratios": {
            "first_segment_early_vs_whole": round(
                early["first_segment_seconds_median"] / whole["first_segment_seconds_median"], 3),
            "done_early_vs_whole": round(
                early["done_seconds_total"] / whole["done_seconds_total"], 3),
        },
    })


if __name__ == "__main__":
    main()
