"""Finding speakers in a 3-hour file: memory stays what it is for 5 minutes.

Makes two conversations from the eval clips of two speakers (the LibriVox Austen reader and
the `cards` speaker, alternating with 0.4 s pauses, repeated): about 5 minutes and about 3
hours, 16 kHz WAV in a temporary folder. Each goes through the app's own path
(orchestrator.speakers.find_speakers: Silero VAD a chunk at a time, 1.5 s windows embedded a
30 s block at a time by resemblyzer-ge2e in the host, clustering, turns) while the app's
memory profiler samples this process and the host every 0.25 s. Target: the host's peak on
the 3-hour file within 200 MB of its peak on the 5-minute file.

    cd bench && ../.venv/bin/python diarize_memory_bench.py [--hours 3]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
from common import EVAL, emit

from grym_desktop.audio.decode import load_audio
from grym_desktop.memory.limits import resolve_limit
from grym_desktop.memory.profiler import Profiler
from grym_desktop.orchestrator.runner import Orchestrator
from grym_desktop.orchestrator.speakers import SPEAKER_MODEL, SpeakerCount, find_speakers
from grym_desktop.transcript import Transcript

MIB = 2**20
TURNS = ["pocketsphinx__sense_and_sensibility_01_austen_64kb-0870.wav",
         "pocketsphinx__cards_005.wav",
         "pocketsphinx__sense_and_sensibility_01_austen_64kb-0890.wav",
         "pocketsphinx__cards_002.wav",
         "pocketsphinx__sense_and_sensibility_01_austen_64kb-0920.wav",
         "pocketsphinx__cards_003.wav"]


def write_conversation(path: Path, seconds: float) -> float:
    """Repeat the two speakers' turns until `seconds`, written block by block."""
    pause = np.zeros(int(0.4 * 16000), np.float32)
    round_ = np.concatenate([part for name in TURNS
                             for part in (load_audio(EVAL / "clips" / name), pause)])
    written = 0
    with sf.SoundFile(path, "w", 16000, 1, "PCM_16") as out:
        while written < seconds * 16000:
            out.write(round_)
            written += len(round_)
    return written / 16000


def measure(orchestrator: Orchestrator, path: Path, duration: float) -> dict:
    profiler = Profiler(lambda: orchestrator.host_pid, interval=0.25, gui_pid=os.getpid())
    profiler.start()
    started = time.perf_counter()
    transcript = Transcript(str(path), "none", "none", "none", "en", duration)
    _, diarization = find_speakers(orchestrator, transcript, SpeakerCount())
    seconds = time.perf_counter() - started
    profiler.stop()
    report = profiler.report()
    return {
        "audio_minutes": round(duration / 60, 1),
        "speakers_found": diarization.speakers,
        "windows": int(len(diarization.labels)),
        "seconds": round(seconds, 1),
        "seconds_per_audio_minute": round(seconds / (duration / 60), 2),
        "host_peak_mib": round(report.peak["host_rss"] / MIB, 1),
        "process_peak_mib": round(report.peak["gui_rss"] / MIB, 1),
        "host_trend_mib_per_minute": round((report.trend["host_bytes_per_min"] or 0) / MIB, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=3.0)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="grym-diarize-memory-"))
    short, long = folder / "five_minutes.wav", folder / "long.wav"
    short_seconds = write_conversation(short, 300)
    long_seconds = write_conversation(long, args.hours * 3600)
    orchestrator = Orchestrator(resolve_limit(None))
    try:
        orchestrator.ensure_model(SPEAKER_MODEL)
        five = measure(orchestrator, short, short_seconds)
        hours = measure(orchestrator, long, long_seconds)
    finally:
        orchestrator.close()
        short.unlink()
        long.unlink()
        folder.rmdir()
    emit({
        "model": SPEAKER_MODEL,
        "five_minutes": five,
        "long": hours,
        "host_peak_difference_mib": round(hours["host_peak_mib"] - five["host_peak_mib"], 1),
        "process_peak_difference_mib": round(hours["process_peak_mib"]
                                             - five["process_peak_mib"], 1),
        "target": "host peak on the long file within 200 MB of the 5-minute file's",
    })


if __name__ == "__main__":
    main()
