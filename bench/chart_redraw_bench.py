"""What one redraw of the memory chart costs the GUI thread, as drawn now and as drawn before.

The chart is redrawn once a second while the app runs; under CPU load a long redraw is
preempted and becomes a pause the user feels (see gui_stall_bench.py). Both charts get the
same samples and events, then each adds a sample and lets Qt repaint, many times, in turns:

- "one item": the chart as it is, the grid and every event's tick drawn by GridAndEvents;
- "per-event lines": as before, a pyqtgraph InfiniteLine per event and pyqtgraph's own grid
  (which belongs to the axes, so every redraw repainted both axes too).

Prints JSON: median and p90 milliseconds per redraw for each, with 0, 30 and 100 events, and
the ratio.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/chart_redraw_bench.py [--repeats 200]
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QApplication

from grym_desktop.memory.sampler import MemorySample
from grym_desktop.ui.memory_chart import MIB, MemoryChart, marker_colour

SAMPLES = 300  # the chart's sliding window holds minutes of samples
KINDS = ("load", "start", "end", "unload", "end")


def per_event_lines(chart: MemoryChart) -> MemoryChart:
    """Draw this chart's events and grid the way it did before GridAndEvents."""
    chart.marks.setVisible(False)
    chart.getPlotItem().showGrid(x=True, y=True, alpha=0.15)
    add_marker = chart.add_marker

    def add_marker_as_line(kind: str, text: str) -> None:
        add_marker(kind, text)
        pen = pg.mkPen(marker_colour(kind, text), width=1)
        chart.getPlotItem().addItem(pg.InfiniteLine(pos=chart.now(), angle=90, movable=False,
                                                    pen=pen, markers=[("v", 0.97, 9)]))

    chart.add_marker = add_marker_as_line
    return chart


def sample(t: float) -> MemorySample:
    return MemorySample(time=t, gui_rss=300 * MIB + int(t) * 4096, host_rss=400 * MIB,
                        system_used=3 * 1024 * MIB, system_available=0)


def filled(chart: MemoryChart, events: int) -> MemoryChart:
    chart.resize(960, 260)
    chart.show()
    chart.set_limits(16 * 1024 * MIB, 10 * 1024 * MIB)
    every = max(1, SAMPLES // events) if events else SAMPLES + 1
    for i in range(SAMPLES):
        chart.add_sample(sample(i * 0.25))
        if i % every == 0 and i // every < events:
            chart.add_marker(KINDS[i % len(KINDS)], "done")
    return chart


def redraw_ms(app: QApplication, chart: MemoryChart, t: float) -> float:
    """Add a sample and let Qt repaint; the scene's update reaches the view a pass later, so
    three passes, or one chart's paint would be counted in the other's turn."""
    start = time.perf_counter()
    chart.add_sample(sample(t))
    for _ in range(3):
        app.processEvents()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=200, help="redraws per chart (200)")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QApplication([])
    report: dict = {"samples": SAMPLES, "repeats": args.repeats, "events": {}}
    for events in (0, 30, 100):
        charts = {"one item": filled(MemoryChart(), events),
                  "per-event lines": filled(per_event_lines(MemoryChart()), events)}
        app.processEvents()
        times: dict[str, list[float]] = {name: [] for name in charts}
        t = SAMPLES * 0.25
        for _ in range(args.repeats):  # in turns, so both see the same machine
            t += 0.25
            for name, chart in charts.items():
                times[name].append(redraw_ms(app, chart, t))
        row = {name: {"median_ms": round(float(np.median(v)), 2),
                      "p90_ms": round(float(np.percentile(v, 90)), 2)}
               for name, v in times.items()}
        row["per_event_lines_over_one_item"] = round(
            row["per-event lines"]["median_ms"] / row["one item"]["median_ms"], 2)
        report["events"][str(events)] = row
        for chart in charts.values():
            chart.close()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
