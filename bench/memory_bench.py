"""Memory profiler benchmark: leaks over load/unload cycles, and the footprint estimate's error.

1. `grym-desktop profile --cycles N --json` as a user runs it, once per precision, while this
   process samples the model host with psutil on its own: the leak verdict, memory retained per
   cycle, GC effectiveness, and how far the profiler's peak and mean are from the independent ones.
2. Per precision, in a fresh host: load + transcription of the bundled clip + unload, twice. The
   first (cold) load also pays for importing the engine's libraries; the second (warm) shows the
   model's own footprint. Estimate error = (estimate - measured peak growth) / measured.
3. Watchdog reaction: a real process grows its memory past the limit, 4 MiB every 4 ms or so
   (as a model does while it loads or a decode runs away); the seconds from the moment its RSS
   crossed the limit (it notes the time itself) to the kill, and how far past the limit it got.

    .venv/bin/python bench/memory_bench.py [--cycles 20] [--precisions float32,int8] [--kills 10]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time

import psutil
from common import ROOT, emit

sys.path.insert(0, str(ROOT))

from grym_desktop.memory.profiler import Profiler  # noqa: E402
from grym_desktop.memory.watchdog import Watchdog  # noqa: E402
from grym_desktop.orchestrator.profile import bundled_clip  # noqa: E402

MODEL = "whisper-tiny.en"
MIB = 2**20


class ChildSampler(threading.Thread):
    """Samples the RSS of every child of a process with psutil every `interval` seconds."""

    def __init__(self, parent_pid: int, interval: float = 0.02):
        super().__init__(daemon=True)
        self.parent = psutil.Process(parent_pid)
        self.interval = interval
        self.values: list[tuple[float, int]] = []  # (time.monotonic(), RSS)
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            try:
                children = self.parent.children()
            except psutil.NoSuchProcess:
                return
            rss = []
            for child in children:
                try:
                    rss.append(child.memory_info().rss)
                except psutil.NoSuchProcess:
                    pass
            if rss:
                self.values.append((time.monotonic(), max(rss)))
            time.sleep(self.interval)


def leak_run(cycles: int, precision: str) -> dict:
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "grym_desktop", "profile", "--model", MODEL, "--cycles",
         str(cycles), "--precision", precision, "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )
    sampler = ChildSampler(process.pid)
    sampler.start()
    stdout, stderr = process.communicate()
    sampler.done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"grym-desktop profile failed: {stderr}")
    report = json.loads(stdout)
    leak, gc = report["leak"], report["gc"]
    start = report["started_monotonic"]
    end = start + report["duration_seconds"]
    independent = [rss for t, rss in sampler.values if start <= t <= end]  # the same stretch
    independent_peak = max(independent)
    independent_mean = sum(independent) / len(independent)
    return {
        "precision": precision,
        "cycles": leak["cycles"],
        "seconds": round(time.perf_counter() - started, 1),
        "leak_verdict": leak["verdict"],
        "retained_per_cycle_mb": round(leak["retained_per_cycle"] / MIB, 2),
        "retained_total_mb": round(leak["retained_total"] / MIB, 2),
        "first_cycle_kept_mb": round(leak["first_cycle_bytes"] / MIB, 1),
        "after_unload_mb": [round(v / MIB, 1) for v in leak["after_unload"]],
        "gc_mean_effectiveness": gc["mean_effectiveness"],
        "gc_first_effectiveness": gc["collections"][0]["effectiveness"],
        "host_peak_mb": round(report["peak"]["host_rss"] / MIB, 1),
        "host_mean_mb": round(report["mean"]["host_rss"] / MIB, 1),
        "independent_psutil": {
            "samples": len(independent),
            "host_peak_mb": round(independent_peak / MIB, 1),
            "host_mean_mb": round(independent_mean / MIB, 1),
            "peak_difference_percent": round(
                100 * (report["peak"]["host_rss"] - independent_peak) / independent_peak, 2),
            "mean_difference_percent": round(
                100 * (report["mean"]["host_rss"] - independent_mean) / independent_mean, 2),
        },
        "transcription": report["transcription"]["text"],
    }


def estimate_run(precision: str) -> dict:
    """Two load + transcribe + unload rounds in one fresh host, profiled."""
    from grym_desktop.host.client import HostClient
    from grym_desktop.models import sources
    from grym_desktop.models.catalog import get_spec
    from grym_desktop.models.footprint import estimate_for

    spec = get_spec(MODEL)
    estimate = estimate_for(spec, precision)
    host = HostClient()
    host.start()
    profiler = Profiler(lambda: host.pid, interval=0.02)
    profiler.start()
    args = {"engine": spec.engine, "model_id": spec.id, "model_dir": str(sources.resolve(spec)),
            "precision": precision}
    try:
        for _ in range(2):
            at = time.monotonic()
            loaded = host.call("load", args, timeout=300)
            profiler.mark("load", at=at, model=spec.id, precision=precision,
                          estimate_bytes=estimate.total_bytes,
                          weights_bytes=estimate.weights_bytes,
                          rss_before=loaded["rss_before"], rss_after=loaded["rss_after"])
            profiler.mark("start")
            host.call("transcribe", {"path": str(bundled_clip()), "options": {}}, timeout=300)
            profiler.mark("end")
            at = time.monotonic()
            unloaded = host.call("unload", timeout=60)
            profiler.mark("unload", at=at, model=spec.id, rss_before=unloaded["rss_before"],
                          rss_after=unloaded["rss_after"])
    finally:
        profiler.stop()
        host.shutdown()
    cold, warm = profiler.report().loads

    def figures(load) -> dict:
        return {"load_growth_mb": round(load.load_bytes / MIB, 1),
                "peak_growth_mb": round(load.peak_bytes / MIB, 1),
                "error_percent": load.error_percent}

    return {
        "precision": precision,
        "estimate_mb": {"weights": round(estimate.weights_bytes / MIB, 1),
                        "working": round(estimate.working_bytes / MIB, 1),
                        "total": round(estimate.total_bytes / MIB, 1)},
        "warm": figures(warm),
        "cold": figures(cold),
        "within_25_percent": {"warm": abs(warm.error_percent) <= 25,
                              "cold": abs(cold.error_percent) <= 25},
    }


GROWER = """
import os, sys, time
page = os.sysconf("SC_PAGE_SIZE")
print("ready", flush=True)
sys.stdin.readline()
held = []
while True:
    held.append(bytearray(4 << 20))  # zero-filled: every page touched
    print(time.monotonic(), int(open("/proc/self/statm").read().split()[1]) * page, flush=True)
    time.sleep(1 if len(held) > 1024 else 0.004)
"""


def kill_run(trials: int, limit: int = 300 * MIB) -> dict:
    """Seconds from crossing the limit to the watchdog's kill, per trial.

    The growing process notes (time, RSS) after each step; the crossing is taken as the last
    note still under the limit, so a figure is never smaller than the real reaction time.
    """
    latencies, overshoot = [], []
    for _ in range(trials):
        kills: list[tuple[float, int]] = []
        dog = Watchdog(limit, on_kill=lambda _pid, rss, kills=kills: kills.append(
            (time.monotonic(), rss)))
        child = subprocess.Popen([sys.executable, "-c", GROWER], text=True,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        try:
            assert child.stdout.readline().strip() == "ready"
            dog.watch(child.pid)
            child.stdin.write("go\n")
            child.stdin.flush()
            notes = [tuple(map(float, line.split())) for line in child.stdout
                     if len(line.split()) == 2]  # the last may be cut by the kill
            child.wait(timeout=60)
        finally:
            child.kill()
            dog.stop()
        under = [t for t, rss in notes if rss <= limit]
        if not kills or not under:
            raise SystemExit("the watchdog did not kill the growing process")
        latencies.append(kills[0][0] - under[-1])
        overshoot.append((kills[0][1] - limit) / MIB)
    ordered = sorted(latencies)
    return {"limit_mb": limit // MIB, "trials": trials, "growth": "4 MiB every 4 ms",
            "sample_interval_seconds": 0.05,
            "kill_after_crossing_seconds": {"median": round(ordered[len(ordered) // 2], 3),
                                            "max": round(ordered[-1], 3)},
            "rss_past_limit_at_kill_mb": {"median": round(sorted(overshoot)[trials // 2], 1),
                                          "max": round(max(overshoot), 1)},
            "all_within_half_a_second": ordered[-1] <= 0.5}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--precisions", default="float32,int8")
    parser.add_argument("--kills", type=int, default=10)
    args = parser.parse_args()
    precisions = args.precisions.split(",")
    emit({
        "model": MODEL,
        "leak": [leak_run(args.cycles, p) for p in precisions],
        "estimate": [estimate_run(p) for p in precisions],
        "watchdog": kill_run(args.kills),
    })


if __name__ == "__main__":
    main()
