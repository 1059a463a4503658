"""Live memory chart: the app's memory against its limit and budget, the whole system behind it.

What counts against the limit (the window plus the model host, stacked so the top edge is the
app's total) is drawn in colour; the whole system's use is a pale background, labelled as not
limited. Events (load, unload, start, end, failed...) are unlabelled ticks: their words appear on
hover and in the event strip under the chart, so no text on the plot can overlap or be clipped.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from math import ceil, floor, log2, log10

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QCoreApplication,
    QLineF,
    QPointF,
    QRectF,
    QSize,
    Qt,
    QTimer,
)
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from grym_desktop.memory.limits import format_size
from grym_desktop.memory.sampler import MemorySample, take_sample

MIB = 1024 * 1024
COLUMNS = ("time", "gui_rss", "host_rss", "system_used")
FLOOR_MIB = 16  # the bottom of the chart
HEADROOM = 1.3  # room above the highest line, so the limit line never sits on the frame
HOVER_PIXELS = 6  # how close the pointer must be to a tick or a line to name it

# Series -> (legend words, line colour, fill colour). The app's two areas are stacked: the
# window from the floor, the model host on top of it, so the top edge is the app's total.
SERIES = {  # the words are translated where shown
    "gui_rss": (QT_TRANSLATE_NOOP("MemoryChart", "window"), "#2b6cb0", "#cfe0f5"),
    "app_rss": (QT_TRANSLATE_NOOP("MemoryChart", "model host"), "#d35400", "#fbd3b5"),
    "system_used": (QT_TRANSLATE_NOOP("MemoryChart", "whole system (not limited)"), "#b4bcc2",
                    "#eef1f3"),
}
LIMIT_COLOUR = "#c0392b"
BUDGET_COLOUR = "#b7770e"
MARKER_COLOURS = {
    "load": "#27ae60", "unload": "#8e44ad", "start": "#2c3e50", "end": "#16a085",
    "failed": "#c0392b", "refused": "#c0392b", "cancelled": "#7f8c8d",
}
# A bare status as a marker's text says little on its own; these are the words shown instead.
EVENT_WORDS = {
    "end": QT_TRANSLATE_NOOP("MemoryChart", "task done"),
    "done": QT_TRANSLATE_NOOP("MemoryChart", "task done"),
    "failed": QT_TRANSLATE_NOOP("MemoryChart", "task failed"),
    "refused": QT_TRANSLATE_NOOP("MemoryChart", "task refused"),
    "cancelled": QT_TRANSLATE_NOOP("MemoryChart", "task cancelled"),
}

WINDOW_TIP = QT_TRANSLATE_NOOP("MemoryChart", "The app's window. It counts against the limit.")
HOST_TIP = QT_TRANSLATE_NOOP(
    "MemoryChart", "The model host: the separate process that holds the loaded model. It counts "
    "against the limit. It is drawn on top of the window, so the top edge of the "
    "coloured area is the app's total.")
SYSTEM_TIP = QT_TRANSLATE_NOOP(
    "MemoryChart", "Memory used by the whole computer, every program included. Shown for "
    "context only: the app's limit does not apply to it.")


def limit_tooltip(limit: int) -> str:
    """What the limit line means, with its size."""
    return QCoreApplication.translate(
        "MemoryChart",
        "Limit {limit}: the app's hard memory cap. The watchdog stops the model host if the "
        "window and the model host together use more than this.",
    ).format(limit=format_size(limit))


def budget_tooltip(budget: int) -> str:
    """What the budget line means, with its size."""
    return QCoreApplication.translate(
        "MemoryChart",
        "Budget {budget}: how much a new model may use. It is the limit, less a 10 % reserve and "
        "less what the app already uses (and never more than the system has free).",
    ).format(budget=format_size(budget))


def minutes_seconds(seconds: float) -> str:
    """A time since the chart started, as a person reads it: "0:05", "12:40", "1:02:03"."""
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def event_words(kind: str, text: str) -> str:
    """What the strip and the tooltips say for a marker: its text, a bare status as a phrase."""
    words = EVENT_WORDS.get(text.strip(), text.strip() or EVENT_WORDS.get(kind, kind))
    return QCoreApplication.translate("MemoryChart", words)  # a marker's own text stays as it is


def marker_colour(kind: str, text: str) -> str:
    """A failed, refused or cancelled end gets its status's colour; otherwise the kind's."""
    return MARKER_COLOURS.get(text.strip()) or MARKER_COLOURS.get(kind, "#555555")


def size_ticks(low_mib: float, high_mib: float, room: int) -> list[float]:
    """Powers of two in MiB between low and high, at most `room` of them, keeping 1 GiB in step.

    Powers of two give round labels on a log scale: 64 MiB, 256 MiB, 1 GiB, 4 GiB...
    """
    if low_mib <= 0 or high_mib <= low_mib:
        return []
    exponents = range(ceil(log2(low_mib) - 1e-9), floor(log2(high_mib) + 1e-9) + 1)
    step = max(1, ceil(len(exponents) / max(1, room)))
    return [2.0**k for k in exponents if (k - 10) % step == 0]  # 2**10 MiB is 1 GiB


def time_ticks(start: float, end: float, room: int) -> list[float]:
    """Round times (5 s, 10 s, 30 s, 1 min, 5 min...) between start and end, at most `room`."""
    span = max(end - start, 1e-9)
    for step in (5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400):
        if span / step <= max(1, room):
            break
    first = ceil(start / step) * step
    return [float(t) for t in np.arange(first, end + 1e-9, step)]


class SizeAxis(pg.AxisItem):
    """The memory axis (log scale) labelled in plain sizes, "256 MiB", "1 GiB", never 10³."""

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:
        low, high = sorted((minVal, maxVal))
        sizes = size_ticks(10**low, 10**high, max(2, int(size // 28)))
        return [(1.0, [log10(mib) for mib in sizes])]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        return [format_size(int(round(10**v * MIB))) for v in values]


class TimeAxis(pg.AxisItem):
    """The time axis labelled in minutes and seconds since the chart started: "1:30"."""

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:
        low, high = sorted((minVal, maxVal))
        return [(1.0, time_ticks(low, high, max(2, int(size // 60))))]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        return [minutes_seconds(v) for v in values]


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


class EventLine:
    """An event on the chart: when (seconds on the chart's clock), its kind, words and colour."""

    def __init__(self, x: float, kind: str, text: str) -> None:
        self.x = x
        self.kind = kind
        self.text = text
        self.words = event_words(kind, text)
        self.colour = QColor(marker_colour(kind, text))
        self.faint = QColor(self.colour)  # the line under the triangle
        self.faint.setAlpha(110)

    def value(self) -> float:
        return self.x


class GridAndEvents(pg.GraphicsObject):
    """The grid and every event's tick (a faint line, a small triangle at its top), in one item.

    Drawn in the plot box's pixels, one item for all. An InfiniteLine per event, and
    pyqtgraph's grid (drawn by the axes with their labels), made a redraw 1.8 times as long
    with 30 events and 1.5 times with none (bench/chart_redraw_bench.py).
    """

    TRIANGLE = 9  # pixels across the top of an event's triangle
    GRID = QColor(150, 150, 150, 38)  # as pyqtgraph draws its own grid at alpha 0.15

    def __init__(self, plot: pg.PlotItem, events: deque[tuple[float, EventLine]]) -> None:
        super().__init__()
        self.plot = plot
        self.box = plot.vb
        self.events = events
        self.setParentItem(self.box)
        self.setZValue(5)  # over the curves and the limit line
        self.box.sigResized.connect(self._box_changed)
        self.box.sigTransformChanged.connect(lambda _box: self.update())  # slid or rescaled

    def _box_changed(self) -> None:
        self.prepareGeometryChange()
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt's name
        return self.box.boundingRect()

    def paint(self, painter: QPainter, *_args) -> None:
        area = self.box.boundingRect()
        self._paint_grid(painter, area)
        half = self.TRIANGLE / 2
        for x, event in self.events:
            at = self.box.mapFromView(QPointF(x, 0)).x()
            if not area.left() <= at <= area.right():
                continue
            painter.setPen(QPen(event.faint, 0))
            painter.drawLine(QLineF(at, area.top(), at, area.bottom()))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(event.colour)
            top = area.top() + 0.03 * area.height() - half
            painter.drawPolygon(QPolygonF([QPointF(at - half, top), QPointF(at + half, top),
                                           QPointF(at, top + self.TRIANGLE)]))

    def _paint_grid(self, painter: QPainter, area: QRectF) -> None:
        """A line at each of the axes' labelled values."""
        (x_low, x_high), (y_low, y_high) = self.box.viewRange()
        painter.setPen(QPen(self.GRID, 0))
        for _, values in self.plot.getAxis("bottom").tickValues(x_low, x_high, area.width()):
            for x in values:
                at = self.box.mapFromView(QPointF(x, y_low)).x()
                painter.drawLine(QLineF(at, area.top(), at, area.bottom()))
        for _, values in self.plot.getAxis("left").tickValues(y_low, y_high, area.height()):
            for y in values:
                at = self.box.mapFromView(QPointF(x_low, y)).y()
                painter.drawLine(QLineF(area.left(), at, area.right(), at))


class EventStrip(QListWidget):
    """The events under the chart in one scrolling row, newest at the right: "0:42 load tiny.en"."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(False)
        self.setSpacing(2)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setIconSize(QSize(4, 14))
        self.setFrameShape(QListWidget.Shape.NoFrame)
        bar = self.horizontalScrollBar().sizeHint().height()
        self.setFixedHeight(self.fontMetrics().height() + 12 + bar)
        self.setToolTip(
            self.tr("What happened, oldest on the left; the ticks on the chart mark when.")
        )
        self.items: dict[EventLine, QListWidgetItem] = {}

    def add(self, line: EventLine) -> None:
        """Show one event at the end of the row and scroll to it."""
        item = QListWidgetItem(_swatch(line.colour, 4, 14), f"{minutes_seconds(line.value())} "
                               f"{line.words}")
        item.setToolTip(
            self.tr("At {time}: {words}").format(
                time=minutes_seconds(line.value()), words=line.words
            )
        )
        self.addItem(item)
        self.items[line] = item
        self.scrollToItem(item)

    def remove(self, line: EventLine) -> None:
        """Drop an event that slid out of the chart's window."""
        item = self.items.pop(line, None)
        if item is not None:
            self.takeItem(self.row(item))

    def texts(self) -> list[str]:
        """The row's words, oldest first."""
        return [self.item(i).text() for i in range(self.count())]


class MemoryChart(QWidget):
    """The live chart over a sliding window, its legend and its event strip.

    Sizes are plotted in MiB on a log scale (a 200 MiB app and a 16 GiB limit both stay legible),
    with the axis labelled in plain sizes.
    """

    def __init__(
        self, parent=None, window_seconds: float = 300.0, interval_ms: int = 250
    ) -> None:
        super().__init__(parent)
        self.window_seconds = window_seconds
        self.ring = Ring(int(window_seconds * 1000 / interval_ms * 1.5) + 16, len(COLUMNS))
        self.t0: float | None = None
        self.limit = 0
        self.budget = 0
        self.markers: deque[tuple[float, EventLine]] = deque()
        self.pid_source: Callable[[], int | None] = lambda: None

        self.plot_widget = pg.PlotWidget(
            background="w", axisItems={"left": SizeAxis("left"), "bottom": TimeAxis("bottom")})
        self.plot_widget.setMinimumHeight(120)
        self.setAccessibleName(self.tr("Memory chart"))
        self.plot_widget.setAccessibleName(self.tr("Memory chart"))
        self.plot_widget.setAccessibleDescription(self.tr(
            "Memory of the window and the model host over time, with the limit and the budget"))
        self._build_plot(self.getPlotItem())
        self.marks = GridAndEvents(self.getPlotItem(), self.markers)
        self.legend = self._build_legend()
        self._update_legend()
        self.events = EventStrip()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.plot_widget, 1)
        layout.addWidget(self.legend)
        layout.addWidget(self.events)
        self.plot_widget.scene().sigMouseMoved.connect(self._show_hover)

        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.sample_now)

    def _build_plot(self, plot: pg.PlotItem) -> None:
        """The areas and lines, back to front: system, app total, window, budget, limit."""
        plot.setMenuEnabled(False)
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        plot.setLogMode(y=True)
        plot.setLabel("bottom", self.tr("minutes since the app started"))
        for axis in ("left", "bottom"):
            plot.getAxis(axis).enableAutoSIPrefix(False)
        floor_level = log10(FLOOR_MIB)  # fill levels are in plotted (log) units
        self.curves = {}
        for z, key in enumerate(("system_used", "app_rss", "gui_rss")):
            _, line, fill = SERIES[key]
            width = 1 if key == "system_used" else 2
            curve = plot.plot(pen=pg.mkPen(line, width=width), fillLevel=floor_level,
                              brush=pg.mkBrush(fill))
            curve.setZValue(z)
            self.curves[key] = curve
        self.budget_curve = plot.plot(pen=pg.mkPen(BUDGET_COLOUR, width=2,
                                                   style=Qt.PenStyle.DashLine))
        self.limit_curve = plot.plot(pen=pg.mkPen(LIMIT_COLOUR, width=2))
        self.budget_curve.setZValue(3)
        self.limit_curve.setZValue(4)

    def _build_legend(self) -> QLabel:
        """The line names under the chart: what counts against the limit, then the whole system.

        One wrapping label, so a narrow window wraps the legend instead of widening the chart.
        """
        legend = QLabel()
        legend.setWordWrap(True)
        legend.setTextFormat(Qt.TextFormat.RichText)
        legend.setContentsMargins(4, 0, 4, 0)
        return legend

    def _update_legend(self) -> None:
        """Name the lines, with the limit's and the budget's sizes, and explain them on hover."""
        limit = (
            self.tr("limit {limit}").format(limit=format_size(self.limit))
            if self.limit
            else self.tr("limit")
        )
        budget = (
            self.tr("budget {budget}").format(budget=format_size(self.budget))
            if self.limit
            else self.tr("budget")
        )
        entries = [
            ("■", SERIES["gui_rss"][1], self.tr(SERIES["gui_rss"][0])),
            ("■", SERIES["app_rss"][1], self.tr(SERIES["app_rss"][0])),
            ("━", LIMIT_COLOUR, limit),
            ("╍", BUDGET_COLOUR, budget),
        ]
        app = " &nbsp; ".join(
            f"<span style='color:{colour}'>{sign}</span>&nbsp;{words.replace(' ', '&nbsp;')}"
            for sign, colour, words in entries)
        system_colour, system_words = SERIES["system_used"][1], self.tr(SERIES["system_used"][0])
        self.legend.setText(
            self.tr(
                "This app: {app} &nbsp;&nbsp;&nbsp; <span "
                "style='color:{system_colour}'>■</span>&nbsp;{system}"
            ).format(
                app=app, system_colour=system_colour, system=system_words.replace(" ", "&nbsp;")
            )
        )
        self.legend.setToolTip("\n\n".join((
            self.tr(WINDOW_TIP), self.tr(HOST_TIP), limit_tooltip(self.limit),
            budget_tooltip(self.budget), self.tr(SYSTEM_TIP))))

    # -- the public API the window and the panel use --------------------------------------

    def getPlotItem(self) -> pg.PlotItem:  # as PlotWidget names it
        """The pyqtgraph plot inside the chart."""
        return self.plot_widget.getPlotItem()

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
        if (limit, budget) == (self.limit, self.budget):
            return  # asked every second; a redraw costs the GUI thread 15-25 ms
        self.limit, self.budget = limit, budget
        self._update_legend()
        self.limit_curve.curve.setToolTip(limit_tooltip(limit))
        self.budget_curve.curve.setToolTip(budget_tooltip(budget))
        self._redraw()

    def add_sample(self, sample: MemorySample) -> None:
        self.add_samples([sample])

    def add_samples(self, samples: list[MemorySample]) -> None:
        """Append samples and redraw once."""
        for sample in samples:
            if self.t0 is None:
                self.t0 = sample.time
            self.ring.append((sample.time - self.t0, sample.gui_rss, sample.host_rss,
                              sample.system_used))
        self._redraw()

    def add_marker(self, kind: str, text: str) -> None:
        """A tick at the latest sample: kind is load, unload, start, end (text may be a status).

        The text is shown on hover and in the event strip, never on the plot.
        """
        line = EventLine(self.now(), kind, text)
        self.markers.append((line.value(), line))
        self.marks.update()
        self.events.add(line)

    def now(self) -> float:
        data = self.ring.view()
        return float(data[-1, 0]) if len(data) else 0.0

    def samples(self) -> dict[str, np.ndarray]:
        """The samples in the window, one array per column (bytes; time in seconds)."""
        data = self.ring.view()
        return {name: data[:, i].copy() for i, name in enumerate(COLUMNS)}

    # -- hover -----------------------------------------------------------------------------

    def tooltip_at(self, scene_pos: QPointF) -> str:
        """What the pointer at scene_pos points at: events near it, a limit or budget line, or
        the memory at that moment. Empty outside the plotting area."""
        box = self.getPlotItem().vb
        if not box.sceneBoundingRect().contains(scene_pos):
            return ""
        events = self._events_near(scene_pos.x())
        if events:
            return "\n".join(events) + "\n\n" + self._readout(box.mapSceneToView(scene_pos).x())
        for value, tip in ((self.limit, limit_tooltip), (self.budget, budget_tooltip)):
            if value and abs(self._scene_y(value) - scene_pos.y()) <= HOVER_PIXELS:
                return tip(value)
        return self._readout(box.mapSceneToView(scene_pos).x())

    def _show_hover(self, scene_pos: QPointF) -> None:
        text = self.tooltip_at(scene_pos)
        self.getPlotItem().vb.setToolTip(text)  # so Qt's own tooltip event shows the same words
        if text:
            view = self.plot_widget
            QToolTip.showText(view.mapToGlobal(view.mapFromScene(scene_pos)), text, view)
        else:
            QToolTip.hideText()

    def _events_near(self, scene_x: float) -> list[str]:
        box = self.getPlotItem().vb
        return [
            f"{minutes_seconds(x)}  {line.words}"
            for x, line in self.markers
            if abs(box.mapViewToScene(QPointF(x, 0)).x() - scene_x) <= HOVER_PIXELS
        ]

    def _scene_y(self, size: int) -> float:
        """Where a size in bytes is drawn, in scene pixels."""
        return self.getPlotItem().vb.mapViewToScene(QPointF(0, log10(max(size, 1) / MIB))).y()

    def _readout(self, x: float) -> str:
        """The memory at the sample nearest to time x, in words."""
        data = self.ring.view()
        if not len(data):
            return self.tr("No measurement yet.")
        t, window, host, system = data[int(np.argmin(np.abs(data[:, 0] - x)))]
        app = int(window + host)
        share = (
            self.tr(", {share:.0%} of the {limit} limit").format(
                share=app / self.limit, limit=format_size(self.limit)
            )
            if self.limit
            else ""
        )
        return self.tr(
            "At {time}\nThis app: {app} (window {window} + model host {host}){share}\nWhole "
            "system: {system} used (not limited)"
        ).format(
            time=minutes_seconds(t),
            app=format_size(app),
            window=format_size(int(window)),
            host=format_size(int(host)),
            share=share,
            system=format_size(int(system)),
        )

    # -- drawing ---------------------------------------------------------------------------

    def _redraw(self) -> None:
        data = self.ring.view()
        now = self.now()
        lo = max(0.0, now - self.window_seconds)
        hi = max(now, 30.0)
        shown = data[data[:, 0] >= lo] if len(data) else data
        t = shown[:, 0]
        floor_bytes = FLOOR_MIB * MIB  # nothing drawn below the floor (log 0 is not a number)
        heights = {
            "gui_rss": shown[:, 1],
            "app_rss": shown[:, 1] + shown[:, 2],
            "system_used": shown[:, 3],
        }
        for key, values in heights.items():
            self.curves[key].setData(t, np.maximum(values, floor_bytes) / MIB)
        for curve, value in ((self.limit_curve, self.limit), (self.budget_curve, self.budget)):
            if value:
                curve.setData([lo, hi], [value / MIB] * 2)
        while self.markers and self.markers[0][0] < lo:
            _, line = self.markers.popleft()
            self.events.remove(line)
        top = max(self.limit, self.budget, float(heights["app_rss"].max(initial=0)),
                  float(heights["system_used"].max(initial=0)))
        plot = self.getPlotItem()
        plot.setXRange(lo, hi, padding=0)
        top_mib = max(top / MIB, 4 * FLOOR_MIB) * HEADROOM
        plot.setYRange(log10(FLOOR_MIB), log10(top_mib), padding=0)


def _swatch(colour: QColor, width: int, height: int) -> QPixmap:
    """A small filled rectangle in a marker's colour, for the event strip."""
    pixmap = QPixmap(width, height)
    pixmap.fill(colour)
    return pixmap
