"""`grym-desktop profile` as a user runs it: real host, real tiny.en, checked against psutil."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import psutil
import pytest

pytestmark = [pytest.mark.integration, pytest.mark.profile, pytest.mark.memory]

MB = 2**20


def grym(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grym_desktop", *args],
                          capture_output=True, text=True, timeout=timeout)


class HostSampler(threading.Thread):
    """Independent of the profiler: polls the RSS of the CLI's child processes with psutil."""

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
                rss = [c.memory_info().rss for c in children]
            except psutil.NoSuchProcess:
                rss = []
            if rss:
                self.values.append((time.monotonic(), max(rss)))
            time.sleep(self.interval)


@pytest.fixture(scope="module")
def profiled():
    """One `profile --cycles 3 --json` run with psutil sampling the model host beside it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "grym_desktop", "profile", "--cycles", "3", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    sampler = HostSampler(process.pid)
    sampler.start()
    stdout, stderr = process.communicate(timeout=300)
    sampler.done.set()
    sampler.join()
    return process.returncode, stdout, stderr, sampler.values


def test_profile_json_reports_cycles_transcription_and_findings(profiled):
    returncode, stdout, stderr, _ = profiled
    assert returncode == 0, stderr
    report = json.loads(stdout)  # stdout holds the JSON and nothing else
    assert report["model"] == "whisper-tiny.en"
    assert "fox" in report["transcription"]["text"].lower()
    leak = report["leak"]
    assert leak["cycles"] == 3 and len(leak["after_unload"]) == 3
    assert leak["verdict"] == "no leak"
    assert abs(leak["retained_per_cycle"]) < 50 * MB
    collections = report["gc"]["collections"]
    assert len(collections) == 3
    # From the second cycle on, what the model added comes back to the host's baseline.
    assert all(c["effectiveness"] > 0.8 for c in collections[1:])
    first, *rest = report["loads"]
    assert first["ran_task"] and first["error_percent"] is not None
    assert first["estimate_bytes"] > first["weights_bytes"] > 30 * MB
    assert all(not load["ran_task"] and load["load_bytes"] > 30 * MB for load in rest)
    kinds = [m["kind"] for m in report["markers"]]
    assert kinds == ["load", "start", "end", "unload", "load", "unload", "load", "unload"]
    assert report["peak"]["host_rss"] >= max(c["before"] for c in collections)
    assert len(report["samples"]["host_rss"]) == report["sample_count"] > 20


def test_profile_numbers_agree_with_independent_psutil_sampling(profiled):
    returncode, stdout, stderr, independent = profiled
    assert returncode == 0, stderr
    report = json.loads(stdout)
    # The same stretch of time: the profiler starts once the host is up and stops before it ends.
    start = report["started_monotonic"]
    rss = [r for t, r in independent if start <= t <= start + report["duration_seconds"]]
    assert len(rss) > 50
    assert report["peak"]["host_rss"] == pytest.approx(max(rss), rel=0.05)
    assert report["mean"]["host_rss"] == pytest.approx(sum(rss) / len(rss), rel=0.05)


def test_profile_prints_a_readable_report():
    result = grym("profile", "--cycles", "2")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "whisper-tiny.en" in out and "2 cycles" in out
    for line_start in ("peak", "trend", "leak", "GC", "estimate"):
        assert any(line.startswith(line_start) for line in out.splitlines()), out
    assert "no leak:" in out and "retained per cycle over 2 cycles" in out


def test_profile_is_refused_when_the_model_does_not_fit():
    result = grym("profile", "--memory-limit", "100MB", "--json")
    assert result.returncode == 4
    assert result.stdout == ""
    assert "needs about" in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(("args", "code", "words"), [
    (("--cycles", "0"), 2, "at least 1"),
    (("--model", "no-such-model"), 5, "no model called"),
])
def test_profile_bad_arguments_get_one_sentence(args, code, words):
    result = grym("profile", *args)
    assert result.returncode == code
    assert words in result.stderr and "Traceback" not in result.stderr
