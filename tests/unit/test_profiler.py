"""The profiler's report from known samples and markers, and its sampling of a real process."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import psutil
import pytest

from grym_desktop.memory.profiler import (
    LEAK_THRESHOLD,
    Marker,
    Profiler,
    build_report,
)

pytestmark = [pytest.mark.profile, pytest.mark.memory]

MB = 2**20
GUI = 80 * MB
AVAILABLE = 8 * 1024 * MB


def row(t: float, host: float) -> list[float]:
    return [t, GUI, host, 4096 * MB + host, AVAILABLE]


def cycles_session(after_unload: list[float], loaded: float = 300 * MB, baseline: float = 100 * MB):
    """One load/unload cycle per second: the host sits at `loaded` while a model is in and
    comes back to after_unload[i] once it is out; markers carry the host's own numbers."""
    samples, markers = [row(0.0, baseline)], []
    before = baseline
    for i, after in enumerate(after_unload):
        t = 1.0 + i
        markers.append(Marker(t, "load", "load", {
            "model": "m", "precision": "float32", "estimate_bytes": 250 * MB,
            "rss_before": int(before), "rss_after": int(before + loaded)}))
        samples += [row(t + 0.1, before + loaded), row(t + 0.4, before + loaded)]
        markers.append(Marker(t + 0.5, "unload", "unload", {
            "model": "m", "rss_before": int(before + loaded), "rss_after": int(after)}))
        samples += [row(t + 0.6, after), row(t + 0.9, after)]
        before = after
    return np.array(samples), markers


def test_memory_kept_after_every_unload_is_reported_as_a_leak():
    after = [150 * MB + i * 60 * MB for i in range(10)]
    report = build_report(*cycles_session(after))
    assert report.leak.cycles == 10
    assert report.leak.retained_per_cycle == pytest.approx(60 * MB, rel=1e-6)
    assert report.leak.retained_total == 9 * 60 * MB
    assert report.leak.verdict == "leak"
    assert "leak: +60 MiB retained per cycle over 10 cycles" in report.to_text()


def test_memory_that_comes_back_each_cycle_is_no_leak():
    rng = np.random.default_rng(1)
    after = list(150 * MB + rng.integers(-2 * MB, 2 * MB, size=20))
    report = build_report(*cycles_session(after))
    assert report.leak.verdict == "no leak"
    assert abs(report.leak.retained_per_cycle) < 1 * MB
    # The first cycle keeps what its load imported; that is not a per-cycle leak.
    assert report.leak.first_cycle_bytes == after[0] - 100 * MB


def test_a_leak_just_under_the_threshold_is_not_flagged():
    after = [150 * MB + i * (LEAK_THRESHOLD - MB) for i in range(5)]
    assert build_report(*cycles_session(after)).leak.verdict == "no leak"


def test_one_cycle_is_not_enough_to_tell():
    report = build_report(*cycles_session([150 * MB]))
    assert report.leak.verdict == "not enough cycles"
    assert report.leak.retained_per_cycle is None
    assert "not enough cycles" in report.to_text()


def test_gc_effectiveness_is_the_share_of_the_models_memory_that_came_back():
    # Cycle 1: 100 -> 400 loaded, 175 after: (400 - 175) / (400 - 100) = 0.75.
    # Cycle 2: 175 -> 475 loaded, 175 after: everything the model added came back.
    report = build_report(*cycles_session([175 * MB, 175 * MB]))
    assert [c.effectiveness for c in report.collections] == [0.75, 1.0]
    assert report.gc_effectiveness == pytest.approx(0.875)
    assert [c.baseline for c in report.collections] == [100 * MB, 175 * MB]


def test_estimate_is_compared_with_the_peak_of_a_task_that_ran():
    samples = [row(0.0, 100 * MB), row(1.5, 300 * MB), row(2.5, 450 * MB), row(3.5, 320 * MB),
               row(4.5, 110 * MB)]
    markers = [
        Marker(1.0, "load", "load", {"model": "tiny", "precision": "int8",
                                      "estimate_bytes": 400 * MB, "weights_bytes": 100 * MB,
                                      "rss_before": 100 * MB, "rss_after": 300 * MB}),
        Marker(2.0, "start", "start"),
        Marker(3.0, "end", "end"),
        Marker(4.0, "unload", "unload", {"rss_before": 320 * MB, "rss_after": 110 * MB}),
        Marker(5.0, "load", "load", {"model": "tiny", "precision": "int8",
                                      "estimate_bytes": 400 * MB, "rss_before": 110 * MB,
                                      "rss_after": 310 * MB}),
    ]
    first, second = build_report(np.array(samples), markers).loads
    assert (first.load_bytes, first.peak_bytes, first.ran_task) == (200 * MB, 350 * MB, True)
    assert first.error_percent == pytest.approx(100 * (400 - 350) / 350, abs=0.1)
    # No task ran: the working memory was never used, so no error is claimed.
    assert (second.load_bytes, second.ran_task, second.error_percent) == (200 * MB, False, None)


def test_numbers_missing_from_markers_come_from_the_samples():
    """The window's events may lack the host's readings; the samples stand in for them."""
    samples = [row(0.0, 100 * MB), row(0.5, 100 * MB), row(1.5, 380 * MB), row(2.5, 400 * MB),
               row(3.2, 150 * MB), row(4.0, 150 * MB)]
    markers = [
        Marker(1.0, "load", "load", {"model": "tiny", "measured_bytes": 280 * MB}),
        Marker(3.0, "unload", "unload", {"model": "tiny"}),
    ]
    report = build_report(np.array(samples), markers)
    [load] = report.loads
    assert (load.load_bytes, load.peak_bytes) == (280 * MB, 300 * MB)
    [collection] = report.collections
    assert (collection.before, collection.after, collection.baseline) == (
        400 * MB, 150 * MB, 100 * MB)


def test_trend_is_the_least_squares_slope_in_bytes_per_minute():
    t = np.arange(0, 120, 0.5)
    samples = np.array([row(x, 200 * MB + 10 * MB * x / 60 + (5 * MB if i % 2 else 0))
                        for i, x in enumerate(t)])
    report = build_report(samples, [])
    assert report.trend["host_bytes_per_min"] == pytest.approx(10 * MB, rel=0.01)
    assert report.peak["host_rss"] == int(samples[:, 2].max())
    assert "trend       host +10 MiB/min" in report.to_text()


def test_a_dead_host_does_not_drag_the_host_mean_down():
    samples = np.array([row(0, 0), row(1, 200 * MB), row(2, 200 * MB), row(3, 0)])
    report = build_report(samples, [])
    assert report.mean["host_rss"] == 200 * MB
    assert report.mean["gui_rss"] == GUI


def test_report_json_has_samples_markers_and_findings():
    report = build_report(*cycles_session([150 * MB, 151 * MB, 150 * MB]))
    data = json.loads(report.to_json())
    assert set(data) >= {"peak", "mean", "trend", "leak", "gc", "loads", "markers", "samples"}
    assert data["leak"]["verdict"] == "no leak"
    assert len(data["samples"]["host_rss"]) == data["sample_count"] == len(report.samples)
    assert [m["kind"] for m in data["markers"]][:2] == ["load", "unload"]
    assert data["markers"][0]["rss_before"] == 100 * MB


def test_unknown_marker_kind_is_refused():
    with pytest.raises(ValueError, match="load, unload, start, end"):
        Profiler().mark("reload")


HOLD = """
import sys, time
block = bytearray(b"\\x01" * (150 * 1024 * 1024))
print("ready", flush=True)
sys.stdin.readline()
del block
print("freed", flush=True)
sys.stdin.readline()
"""


def test_profiler_sees_a_real_process_grow_and_shrink():
    child = subprocess.Popen([sys.executable, "-c", HOLD], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        held = psutil.Process(child.pid).memory_info().rss
        profiler = Profiler(lambda: child.pid, interval=0.01)
        profiler.start()
        profiler.mark("start", "holding")
        child.stdin.write("\n")
        child.stdin.flush()
        assert child.stdout.readline().strip() == "freed"
        profiler.mark("end", "freed")
        profiler.stop()
        freed = psutil.Process(child.pid).memory_info().rss
    finally:
        child.kill()
        child.wait()
    report = profiler.report()
    assert held > 150 * MB and freed < held - 100 * MB
    assert report.peak["host_rss"] == pytest.approx(held, rel=0.05)
    assert report.samples[-1, 2] == pytest.approx(freed, rel=0.05)
    assert report.peak["gui_rss"] == pytest.approx(psutil.Process().memory_info().rss, rel=0.2)
    assert [m.kind for m in report.markers] == ["start", "end"]


@pytest.mark.gui
def test_memory_panel_plots_the_profilers_samples_and_exports_its_report(qtbot, tmp_path):
    from grym_desktop.ui.memory_panel import MemoryPanel

    child = subprocess.Popen([sys.executable, "-c", HOLD], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        panel = MemoryPanel(interval_ms=20, report_ms=60_000)
        qtbot.addWidget(panel)
        panel.start(lambda: child.pid)
        for cycle in range(2):  # what the worker's signals say about two load/unload cycles
            panel.on_model_loading("whisper-tiny.en", "int8", 280 * MB)
            panel.on_model_loaded("whisper-tiny.en", "int8", 0.4, 60 * MB)
            panel.on_task_started(cycle + 1, "/audio/talk.wav")
            panel.on_task_ended(cycle + 1, "done")
            panel.on_model_unloaded("whisper-tiny.en", 260 * MB, 200 * MB)
        qtbot.waitUntil(lambda: len(panel.profiler.report().samples) > 20, timeout=10_000)
        panel.stop()
        path = panel.export_json(tmp_path / "memory.json")
    finally:
        child.kill()
        child.wait()
    data = json.loads(path.read_text())
    # The chart shows exactly the samples the report is made of.
    assert data["samples"]["host_rss"][-len(panel.chart.samples()["host_rss"]):] == [
        int(v) for v in panel.chart.samples()["host_rss"]]
    assert data["peak"]["host_rss"] > 150 * MB
    assert data["leak"]["cycles"] == 2 and data["leak"]["verdict"] == "no leak"
    assert [m["kind"] for m in data["markers"]].count("unload") == 2
    assert [load["load_bytes"] for load in data["loads"]] == [60 * MB, 60 * MB]
    assert panel.summary.text().startswith("No leak found over 2 loads.")
    assert panel.values["Leak"].text().startswith("no leak: ")
    assert "came back" in panel.values["GC"].text()
    assert "whisper-tiny.en int8" in panel.values["Estimate"].text()
    assert "MiB" in panel.values["Peak"].text()
