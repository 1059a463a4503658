"""The memory profiler: samples and markers, and a report of peak, trend, leaks, GC and estimates.

Samples come from its own thread (start/stop) or from whoever calls sample() (the window's timer);
markers say what happened (load, unload, start, end of a task), with the host's own numbers when
the caller has them.
"""

from __future__ import annotations

import json
import threading
import time
from array import array
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from grym_desktop.memory.limits import format_size
from grym_desktop.memory.sampler import MemorySample, take_sample

LEAK_THRESHOLD = 50 * 1024**2  # retained per load/unload cycle above this is a leak
CLIP_TEXT = "the quick brown fox jumps over the lazy dog"  # what the bundled clip says
COLUMNS = ("time", "gui_rss", "host_rss", "system_used", "system_available")
KINDS = ("load", "unload", "start", "end")


@dataclass
class Marker:
    time: float  # time.monotonic(), like the samples
    kind: str  # load, unload, start, end
    label: str
    values: dict[str, Any] = field(default_factory=dict)  # rss_before, estimate_bytes, ...


@dataclass
class LoadRecord:
    """One load: the estimate next to what the host's RSS did."""

    model: str
    precision: str
    time: float  # seconds since the profile started
    estimate_bytes: int
    weights_bytes: int | None
    load_bytes: int  # RSS growth from before the load to just after it
    peak_bytes: int  # RSS growth from before the load to the highest sample while it was loaded
    ran_task: bool  # a task ran while it was loaded, so the working memory was used
    error_percent: float | None  # (estimate - measured) / measured; measured = peak if ran_task


@dataclass
class Collection:
    """A forced collection at an unload: how much of what the model added came back."""

    model: str
    time: float
    before: int
    after: int
    baseline: int  # host RSS before the model was loaded
    effectiveness: float | None  # (before - after) / (before - baseline)


@dataclass
class Leak:
    cycles: int
    after_unload: list[int]  # host RSS after each unload, cycle 1 first
    first_cycle_bytes: int | None  # what cycle 1 kept: libraries imported by the first load
    retained_per_cycle: float | None  # least-squares slope of after_unload over the cycles
    retained_total: int | None  # after_unload[-1] - after_unload[0]
    threshold: int
    verdict: str  # "no leak", "leak" or "not enough cycles"


@dataclass
class ProfileReport:
    duration: float
    interval: float | None
    samples: np.ndarray  # one row per sample, COLUMNS, time in seconds since the start
    markers: list[Marker]
    peak: dict[str, float]
    mean: dict[str, float]
    trend: dict[str, float | None]  # bytes per minute, least squares
    leak: Leak
    collections: list[Collection]
    loads: list[LoadRecord]
    started: float = 0.0  # time.monotonic() of time zero, to line samples up with other tools

    @property
    def gc_effectiveness(self) -> float | None:
        """Mean effectiveness over the collections that had something to return."""
        values = [c.effectiveness for c in self.collections if c.effectiveness is not None]
        return float(np.mean(values)) if values else None

    def to_dict(self, samples: bool = True) -> dict[str, Any]:
        """Plain JSON types; samples as one list per column (bytes, seconds)."""
        data = {
            "started_monotonic": round(self.started, 3),
            "duration_seconds": round(self.duration, 3),
            "interval_seconds": self.interval,
            "sample_count": len(self.samples),
            "peak": self.peak,
            "mean": self.mean,
            "trend": self.trend,
            "leak": asdict(self.leak),
            "gc": {
                "mean_effectiveness": _round(self.gc_effectiveness, 4),
                "collections": [asdict(c) for c in self.collections],
            },
            "loads": [asdict(load) for load in self.loads],
            "markers": [
                {"time": round(m.time, 3), "kind": m.kind, "label": m.label, **m.values}
                for m in self.markers
            ],
        }
        if samples:
            data["samples"] = {
                name: [round(v, 3) if name == "time" else int(v) for v in self.samples[:, i]]
                for i, name in enumerate(COLUMNS)
            }
        return data

    def to_json(self, samples: bool = True) -> str:
        return json.dumps(self.to_dict(samples=samples))

    def to_text(self) -> str:
        """The report for a person: one line per finding."""
        size, p = format_size, self.peak
        lines = [
            f"Memory profile: {self.duration:.1f} s, {len(self.samples)} samples, "
            f"{self.leak.cycles} load/unload cycles",
            f"peak        host {size(p['host_rss'])}, window {size(p['gui_rss'])}, app "
            f"{size(p['app_rss'])} at {p['app_at_seconds']:.1f} s; system used "
            f"{size(p['system_used'])}",
            f"mean        host {size(self.mean['host_rss'])}, window {size(self.mean['gui_rss'])}",
            "trend       " + ", ".join(
                f"{name} {_per_minute(self.trend[key])}"
                for name, key in (("host", "host_bytes_per_min"), ("app", "app_bytes_per_min"))
            ),
            "leak        " + leak_sentence(self.leak),
            "GC          " + gc_sentence(self.collections, self.gc_effectiveness),
        ]
        for load in self.loads:
            measured = load.peak_bytes if load.ran_task else load.load_bytes
            what = "peak with a task" if load.ran_task else "at load, no task ran"
            error = "" if load.error_percent is None else f" ({load.error_percent:+.0f} %)"
            lines.append(
                f"estimate    {load.model} {load.precision}: estimate "
                f"{size(load.estimate_bytes)}, measured {size(measured)} {what}{error}"
            )
        return "\n".join(lines)


def leak_sentence(leak: Leak) -> str:
    if leak.retained_per_cycle is None:
        return f"not enough cycles to tell: {leak.cycles} load/unload so far, 2 needed"
    first = (
        f"; the first cycle kept {format_size(leak.first_cycle_bytes)}"
        if leak.first_cycle_bytes is not None else ""
    )
    return (
        f"{leak.verdict}: {_signed_size(leak.retained_per_cycle)} retained per cycle over "
        f"{leak.cycles} cycles (flagged above {format_size(leak.threshold)}){first}"
    )


def gc_sentence(collections: list[Collection], mean: float | None) -> str:
    if mean is None:
        return "no forced collection measured"
    counted = [c for c in collections if c.effectiveness is not None]
    first = counted[0].effectiveness
    return (
        f"{mean:.0%} of what each model added came back, mean over {len(counted)} "
        f"collections (first {first:.0%})"
    )


class Profiler:
    """Collects samples and markers for one session and reports on them.

    host_pid names the model host to measure (None: no host now). start() samples every
    `interval` seconds on a daemon thread; without it, call sample() yourself.
    """

    def __init__(
        self,
        host_pid: Callable[[], int | None] = lambda: None,
        interval: float = 0.1,
        gui_pid: int | None = None,
        leak_threshold: int = LEAK_THRESHOLD,
    ):
        self.host_pid = host_pid
        self.interval = interval
        self.gui_pid = gui_pid
        self.leak_threshold = leak_threshold
        self._columns = [array("d") for _ in COLUMNS]
        self._markers: list[Marker] = []
        self._pids: list[int | None] = []  # the host pid of each marker
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.started = time.monotonic()

    def start(self) -> None:
        """Sample on a daemon thread until stop()."""
        if self._thread is not None:
            return
        self.started = time.monotonic()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="memory-profiler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the sampling thread and take a last sample."""
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None
        self.sample()

    def sample(self) -> MemorySample:
        """Measure now and keep the sample."""
        sample = take_sample(self.host_pid(), self.gui_pid)
        self.add_sample(sample)
        return sample

    def add_sample(self, sample: MemorySample) -> None:
        with self._lock:
            for column, name in zip(self._columns, COLUMNS, strict=True):
                column.append(getattr(sample, name))

    def mark(self, kind: str, label: str = "", at: float | None = None, **values: Any) -> Marker:
        """Record that something happened (kind: load, unload, start, end), then sample.

        `at` is when it began (time.monotonic(); default now). A load's values: model, precision,
        estimate_bytes, weights_bytes, rss_before, rss_after (or measured_bytes); an unload's:
        model, rss_before, rss_after, the host's own readings around its forced collection.
        """
        if kind not in KINDS:
            raise ValueError(f"Unknown marker kind {kind!r}; use one of {', '.join(KINDS)}.")
        marker = Marker(time.monotonic() if at is None else at, kind, label or kind, values)
        pid = self.host_pid()
        with self._lock:
            self._markers.append(marker)
            self._pids.append(pid)
        self.sample()
        return marker

    def report(self) -> ProfileReport:
        with self._lock:
            data = np.array([np.frombuffer(c, dtype=np.float64) for c in self._columns]).T.copy()
            markers = list(self._markers)
            pids = list(self._pids)
        return build_report(data.reshape(-1, len(COLUMNS)), markers, pids, self.leak_threshold,
                            interval=self.interval, started=self.started)

    def _run(self) -> None:
        while True:
            self.sample()
            if self._stop.wait(self.interval):
                return


def build_report(
    samples: np.ndarray,
    markers: list[Marker],
    pids: list[int | None] | None = None,
    leak_threshold: int = LEAK_THRESHOLD,
    interval: float | None = None,
    started: float | None = None,
) -> ProfileReport:
    """The report of samples (rows of COLUMNS, monotonic time) and markers, times made relative.

    Where a marker lacks the host's own numbers they come from the samples: an unload's RSS
    before is the highest host sample since the previous marker, its RSS after the first sample
    after it; a load's RSS before is the last host sample before it.
    """
    order = np.argsort(samples[:, 0], kind="stable") if len(samples) else []
    samples = samples[order] if len(samples) else samples.reshape(0, len(COLUMNS))
    pids = pids if pids is not None else [None] * len(markers)
    pairs = sorted(zip(markers, pids, strict=True), key=lambda mp: mp[0].time)
    t0 = started if started is not None else (samples[0, 0] if len(samples) else 0.0)
    if len(samples):
        t0 = min(t0, samples[0, 0])
    if pairs:
        t0 = min(t0, pairs[0][0].time)
    rel = samples.copy()
    rel[:, 0] -= t0
    rel_markers = [Marker(m.time - t0, m.kind, m.label, dict(m.values)) for m, _ in pairs]
    marker_pids = [pid for _, pid in pairs]

    t, gui, host, used = rel[:, 0], rel[:, 1], rel[:, 2], rel[:, 3]
    app = gui + host
    alive = host > 0
    peak_at = float(t[int(np.argmax(app))]) if len(t) else 0.0
    peak = {
        "host_rss": int(host.max(initial=0)),
        "gui_rss": int(gui.max(initial=0)),
        "app_rss": int(app.max(initial=0)),
        "app_at_seconds": round(peak_at, 3),
        "system_used": int(used.max(initial=0)),
    }
    mean = {
        "host_rss": int(_time_mean(t[alive], host[alive])),
        "gui_rss": int(_time_mean(t, gui)),
    }
    trend = {
        "host_bytes_per_min": _slope(t[alive] / 60.0, host[alive]),
        "app_bytes_per_min": _slope(t / 60.0, app),
    }
    loads, collections, leak = _cycles(rel, rel_markers, marker_pids, leak_threshold)
    duration = float(max(t.max(initial=0.0), max((m.time for m in rel_markers), default=0.0)))
    return ProfileReport(duration, interval, rel, rel_markers, peak, mean, trend, leak,
                         collections, loads, started=float(t0))


def _cycles(
    samples: np.ndarray, markers: list[Marker], pids: list[int | None], threshold: int
) -> tuple[list[LoadRecord], list[Collection], Leak]:
    """Pair each load with the next unload of the same host: loads, collections and the leak."""
    t, host = samples[:, 0], samples[:, 2]
    loads: list[LoadRecord] = []
    collections: list[Collection] = []
    after_unload: dict[int | None, list[tuple[int, int | None]]] = {}  # pid -> (after, first kept)
    open_load: dict[int | None, tuple[Marker, int]] = {}  # pid -> (load marker, RSS before it)
    previous_time = 0.0
    for i, (marker, pid) in enumerate(zip(markers, pids, strict=True)):
        v = marker.values
        if marker.kind == "load":
            before = v.get("rss_before")
            if before is None:
                before = _last_before(t, host, marker.time)
            open_load[pid] = (marker, int(before))
            loads.append(_load_record(marker, int(before), t, host, markers[i + 1:], pids[i + 1:],
                                      pid))
        elif marker.kind == "unload":
            before, after = v.get("rss_before"), v.get("rss_after")
            if before is None:
                window = host[(t > previous_time) & (t <= marker.time)]
                before = int(window.max()) if len(window) else None
            if after is None:
                later = host[t >= marker.time]
                after = int(later[0]) if len(later) else None
            opened = open_load.pop(pid, None)
            if opened is not None and before is not None and after is not None:
                load_marker, baseline = opened
                gained = before - baseline
                collections.append(Collection(
                    model=v.get("model") or load_marker.values.get("model", ""),
                    time=round(marker.time, 3), before=int(before), after=int(after),
                    baseline=baseline,
                    effectiveness=round((before - after) / gained, 4) if gained > 0 else None,
                ))
                kept_first = int(after) - baseline if not after_unload.get(pid) else None
                after_unload.setdefault(pid, []).append((int(after), kept_first))
        previous_time = marker.time
    series = max(after_unload.values(), key=len, default=[])
    values = [a for a, _ in series]
    per_cycle = _slope(np.arange(len(values), dtype=float), np.array(values, dtype=float))
    if per_cycle is None:
        verdict = "not enough cycles"
    else:
        verdict = "leak" if per_cycle > threshold else "no leak"
    leak = Leak(
        cycles=len(values),
        after_unload=values,
        first_cycle_bytes=series[0][1] if series else None,
        retained_per_cycle=None if per_cycle is None else round(per_cycle, 1),
        retained_total=values[-1] - values[0] if len(values) >= 2 else None,
        threshold=threshold,
        verdict=verdict,
    )
    return loads, collections, leak


def _load_record(
    marker: Marker, before: int, t: np.ndarray, host: np.ndarray,
    later: list[Marker], later_pids: list[int | None], pid: int | None,
) -> LoadRecord:
    """Measured growth of one load: at the load, and at the highest sample while loaded."""
    v = marker.values
    end = next((m.time for m, p in zip(later, later_pids, strict=True)
                if p == pid and m.kind in ("unload", "load")), np.inf)
    if "rss_after" in v:
        load_bytes = int(v["rss_after"]) - before
    elif "measured_bytes" in v:
        load_bytes = int(v["measured_bytes"])
    else:
        load_bytes = _first_after(t, host, marker.time) - before
    lifetime = host[(t >= marker.time) & (t <= end)]
    peak_bytes = max(int(lifetime.max()) - before if len(lifetime) else 0, load_bytes)
    ran_task = any(m.kind == "start" and marker.time <= m.time <= end for m in later)
    estimate = int(v.get("estimate_bytes") or 0)
    measured = peak_bytes if ran_task else load_bytes
    error = None
    if estimate and ran_task and measured > 0:
        error = round(100.0 * (estimate - measured) / measured, 1)
    weights = v.get("weights_bytes")
    return LoadRecord(
        model=v.get("model", ""), precision=v.get("precision", ""), time=round(marker.time, 3),
        estimate_bytes=estimate, weights_bytes=None if weights is None else int(weights),
        load_bytes=load_bytes, peak_bytes=peak_bytes, ran_task=ran_task, error_percent=error,
    )


def _last_before(t: np.ndarray, host: np.ndarray, when: float) -> int:
    earlier = host[(t <= when) & (host > 0)]
    return int(earlier[-1]) if len(earlier) else 0


def _first_after(t: np.ndarray, host: np.ndarray, when: float) -> int:
    later = host[t >= when]
    return int(later[0]) if len(later) else 0


def _slope(x: np.ndarray, y: np.ndarray) -> float | None:
    """Least-squares slope of y over x; None with fewer than two distinct x."""
    if len(x) < 2 or np.ptp(x) == 0:
        return None
    xc = x - x.mean()
    return round(float(np.dot(xc, y - y.mean()) / np.dot(xc, xc)), 1)


def _time_mean(t: np.ndarray, y: np.ndarray) -> float:
    """Mean over time (trapezoids), so uneven sampling does not weigh any moment more."""
    if len(y) == 0:
        return 0.0
    if len(y) == 1 or np.ptp(t) == 0:
        return float(y.mean())
    return float(np.sum((y[1:] + y[:-1]) * np.diff(t)) / 2 / (t[-1] - t[0]))


def _per_minute(value: float | None) -> str:
    return "unknown" if value is None else f"{_signed_size(value)}/min"


def _signed_size(value: float) -> str:
    return ("-" if value < 0 else "+") + format_size(int(abs(value)))


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
