"""Live memory chart: GUI, host and system use against the limit and the budget."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer

from grym_desktop.memory.sampler import MemorySample, take_sample

MIB = 1024 * 1024
COLUMNS = ("time", "gui_rss", "host_rss", "system_used")
LINES = {  # column -> (legend name, colour)
    "gui_rss": ("GUI RSS", "#2b6cb0"),
    "host_rss": ("host RSS", "#d35400"),
    "system_used": ("system used", "#7f8c8d"),
}
MARKER_COLOURS = {"load": "#27ae60", "unload": "#8e44ad", "start": "#2c3e50", "end": "#16a085"}
# Where along its line each kind's label sits, so the labels of quick events do not overlap.
LABEL_POSITIONS = {"load": 0.95, "unload": 0.95, "start": 0.55, "end": 0.3}
FLOOR_MIB = 16  # the bottom of the chart


class Ring:
    """The last `size` rows of a float table; append is amortised O(1) and reading is a view."""

    def __init__(self, size: int, columns: int) -> None:
        self.size = size
        self.buf = np.zeros((2 * size, columns))
        self.end = 0

    def append(self, row) -> None:
        if self.end == len(self.buf):
            self.buf[: self.size] = self.buf[self.end - self.size : self.end]
            self.end = self.size
        self.buf[self.end] = row
        self.end += 1

    def view(self) -> np.ndarray:
        return self.buf[max(0, self.end - self.size) : self.end]


class MemoryChart(pg.PlotWidget):
    """Plots memory samples over a sliding window, in MiB over seconds, with event markers."""

    def __init__(
        self, parent=None, window_seconds: float = 300.0, interval_ms: int = 250
    ) -> None:
        super().__init__(parent, background="w")
        self.window_seconds = window_seconds
        self.ring = Ring(int(window_seconds * 1000 / interval_ms * 1.5) + 16, len(COLUMNS))
        self.t0: float | None = None
        self.limit = 0
        self.budget = 0
        self.markers: deque[tuple[float, pg.InfiniteLine]] = deque()
        self.pid_source: Callable[[], int | None] = lambda: None

        plot = self.getPlotItem()
        plot.setMenuEnabled(False)
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        plot.showGrid(x=True, y=True, alpha=0.15)
        # A log scale keeps a 200 MiB process and a 16 GiB limit legible in one chart.
        plot.setLogMode(y=True)
        plot.setLabel("left", "memory (MiB, log scale)")
        plot.setLabel("bottom", "time (s)")
        for axis in ("left", "bottom"):
            plot.getAxis(axis).enableAutoSIPrefix(False)
        plot.addLegend(offset=(8, -4), colCount=5, labelTextColor="#333",
                       brush=(255, 255, 255, 200))  # bottom left: the limit line is at the top
        self.curves = {
            key: plot.plot(name=name, pen=pg.mkPen(colour, width=2))
            for key, (name, colour) in LINES.items()
        }
        dash = pg.QtCore.Qt.PenStyle.DashLine
        self.limit_curve = plot.plot(name="limit", pen=pg.mkPen("#c0392b", width=2, style=dash))
        self.budget_curve = plot.plot(name="budget", pen=pg.mkPen("#e67e22", width=1, style=dash))

        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.sample_now)

    def start(self, pid_source: Callable[[], int | None]) -> None:
        """Sample every interval; pid_source names the model host to measure (None: no host)."""
        self.pid_source = pid_source
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def sample_now(self) -> None:
        self.add_sample(take_sample(self.pid_source()))

    def set_limits(self, limit: int, budget: int) -> None:
        """Bytes for the two horizontal lines: the hard limit and the budget for a new model."""
        self.limit, self.budget = limit, budget
        self._redraw()

    def add_sample(self, sample: MemorySample) -> None:
        if self.t0 is None:
            self.t0 = sample.time
        row = (sample.time - self.t0, sample.gui_rss, sample.host_rss, sample.system_used)
        self.ring.append(row)
        self._redraw()

    def add_marker(self, kind: str, text: str) -> None:
        """A labelled vertical line at the latest sample: kind is load, unload, start or end."""
        x = self.now()
        line = pg.InfiniteLine(
            pos=x,
            angle=90,
            movable=False,
            pen=pg.mkPen(MARKER_COLOURS.get(kind, "#555"), width=1),
            label=text,
            labelOpts={"position": LABEL_POSITIONS.get(kind, 0.5), "rotateAxis": (1, 0),
                       "anchors": [(0, 0), (0, 0)], "color": MARKER_COLOURS.get(kind, "#555"),
                       "fill": (255, 255, 255, 210)},
        )
        self.getPlotItem().addItem(line)
        self.markers.append((x, line))

    def now(self) -> float:
        data = self.ring.view()
        return float(data[-1, 0]) if len(data) else 0.0

    def samples(self) -> dict[str, np.ndarray]:
        """The samples in the window, one array per column (bytes; time in seconds)."""
        data = self.ring.view()
        return {name: data[:, i].copy() for i, name in enumerate(COLUMNS)}

    def _redraw(self) -> None:
        data = self.ring.view()
        now = self.now()
        lo = max(0.0, now - self.window_seconds)
        hi = max(now, 30.0)
        shown = data[data[:, 0] >= lo] if len(data) else data
        t = shown[:, 0]
        for i, key in enumerate(COLUMNS[1:], start=1):
            mib = shown[:, i] / MIB
            # No host means no line, not a drop to the floor (log 0 is not a number).
            self.curves[key].setData(t, np.where(mib > 0, mib, np.nan), connect="finite")
        for curve, value in ((self.limit_curve, self.limit), (self.budget_curve, self.budget)):
            if value:
                curve.setData([lo, hi], [value / MIB] * 2)
        while self.markers and self.markers[0][0] < lo:
            self.getPlotItem().removeItem(self.markers.popleft()[1])
        top = max(self.limit, self.budget, float(shown[:, 1:].max()) if len(shown) else 0.0)
        plot = self.getPlotItem()
        plot.setXRange(lo, hi, padding=0)
        top_mib = max(top / MIB, 4 * FLOOR_MIB) * 1.6  # the legend sits at the bottom
        plot.setYRange(np.log10(FLOOR_MIB), np.log10(top_mib), padding=0)
