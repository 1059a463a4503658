"""The memory chart and the Memory panel as a user reads them: plain sizes on the axis, event
ticks without text on the plot, lines that explain themselves, the system apart from the app,
and a report in plain sentences with its figures behind "Details"."""

import re

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QTextDocument
from PySide6.QtWidgets import QGraphicsTextItem

from grym_desktop.memory.profiler import COLUMNS, Marker, build_report
from grym_desktop.memory.sampler import MemorySample
from grym_desktop.ui.memory_chart import MIB, MemoryChart
from grym_desktop.ui.memory_panel import MemoryPanel

GIB = 1024 * MIB


def sample(t: float, gui: int, host: int, used: int) -> MemorySample:
    return MemorySample(time=t, gui_rss=gui, host_rss=host, system_used=used, system_available=0)


@pytest.fixture
def chart(qtbot):
    chart = MemoryChart(window_seconds=120, interval_ms=250)
    qtbot.addWidget(chart)
    chart.resize(700, 320)
    chart.show()
    qtbot.waitExposed(chart)
    return chart


def drawn_tick_strings(chart: MemoryChart, axis: str) -> list[str]:
    """The labels the axis paints, as pyqtgraph lays them out for its current size."""
    item = chart.getPlotItem().getAxis(axis)
    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        _, _, texts = item.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [text for _, _, text in texts]


def legend_words(chart: MemoryChart) -> str:
    """The legend under the chart as it reads on screen."""
    document = QTextDocument()
    document.setHtml(chart.legend.text())
    return document.toPlainText().replace("\xa0", " ")


def scene_point(chart: MemoryChart, seconds: float, size: float) -> QPointF:
    """Where time `seconds` and `size` bytes are drawn, in scene pixels (the y axis is log)."""
    box = chart.getPlotItem().vb
    return box.mapViewToScene(QPointF(seconds, np.log10(size / MIB)))


def test_memory_axis_reads_in_plain_sizes_without_exponents(qtbot, chart):
    chart.set_limits(16 * GIB, 12 * GIB)
    for i in range(20):
        chart.add_sample(sample(100.0 + i, 150 * MIB, 400 * MIB, 6 * GIB))
    qtbot.wait(50)

    labels = drawn_tick_strings(chart, "left")
    assert len(labels) >= 3
    assert all(re.fullmatch(r"\d+ (MiB|GiB)", label) for label in labels), labels
    assert "1 GiB" in labels and any(label.endswith("MiB") for label in labels)
    assert not any(sign in "".join(labels) for sign in "⁰¹²³⁴⁵⁶⁷⁸⁹^e")
    assert set(drawn_tick_strings(chart, "bottom")) >= {"0:05", "0:10"}  # minutes:seconds


def test_thirty_quick_events_leave_no_text_on_the_plot_and_each_is_reachable(qtbot, chart):
    chart.set_limits(300 * MIB, 120 * MIB)
    kinds = ("load", "start", "end", "unload", "end")
    texts = ("load whisper-tiny.en", "start a_very_long_meeting_recording_name.wav", "end",
             "unload whisper-tiny.en", "failed")
    for i in range(30):
        chart.add_sample(sample(10.0 + i * 0.25, 120 * MIB, 150 * MIB, 9 * GIB))
        chart.add_marker(kinds[i % 5], texts[i % 5])
    qtbot.wait(50)

    # No text item of any kind sits on the plotting area, and every text fits the widget.
    scene = chart.plot_widget.scene()
    plot_area = chart.getPlotItem().vb.sceneBoundingRect()
    view = chart.plot_widget.mapToScene(chart.plot_widget.viewport().rect()).boundingRect()
    words = [item for item in scene.items() if isinstance(item, QGraphicsTextItem)
             and item.isVisible() and item.toPlainText()]
    for item in words:
        margin = item.document().documentMargin()  # blank space around the letters
        rect = item.sceneBoundingRect().adjusted(margin, margin, -margin, -margin)
        assert not rect.intersects(plot_area), item.toPlainText()
        assert view.contains(rect), item.toPlainText()
    assert len(chart.markers) == 30

    # Every event can still be read: in the strip under the chart and on hover over its tick.
    strip = chart.events.texts()
    assert len(strip) == 30
    assert sum("task failed" in text for text in strip) == 6
    assert sum(text.endswith(" load whisper-tiny.en") for text in strip) == 6
    for x, line in chart.markers:
        tip = chart.tooltip_at(scene_point(chart, x, 200 * MIB))
        assert line.words in tip
        assert chart.events.visualItemRect(chart.events.items[line]).height() > 0


def test_each_event_is_drawn_as_a_tick_at_its_time_in_its_colour(qtbot, chart):
    """The ticks and the grid are painted by one item: a load's tick is green at its time, a
    failed task's red at its own, nothing between them, and the grid has a line at 1 GiB."""
    chart.set_limits(2 * GIB, 1536 * MIB)  # lines well below the ticks' triangles
    for i in range(40):
        chart.add_sample(sample(10.0 + i * 0.25, 120 * MIB, 150 * MIB, 3 * GIB))
        if i == 8:
            chart.add_marker("load", "load whisper-tiny.en")
        if i == 30:
            chart.add_marker("end", "failed")
    qtbot.wait(50)
    image = chart.plot_widget.grab().toImage()

    def drawn(seconds: float, size: float, down: int = 0) -> QColor:
        point = chart.plot_widget.mapFromScene(scene_point(chart, seconds, size))
        return image.pixelColor(point.x(), point.y() + down)

    low, high = chart.getPlotItem().viewRange()[1]
    triangles = 10 ** (high - 0.03 * (high - low)) * MIB  # the height of the ticks' triangles
    load_at, failed_at = (x for x, _ in chart.markers)
    assert drawn(load_at, triangles).name() == "#27ae60"
    assert drawn(failed_at, triangles).name() == "#c0392b"
    assert drawn(load_at + 1.0, triangles).name() == "#ffffff"  # no tick between them
    # Inside the pale whole-system area: the grid line at 1 GiB is darker than the area near it.
    on_line = min(drawn(load_at + 1.0, GIB, down).lightness() for down in (-2, -1, 0, 1, 2))
    assert on_line < drawn(load_at + 1.0, 1.2 * GIB).lightness()


def test_limit_and_budget_lines_say_what_they_mean(qtbot, chart):
    chart.set_limits(300 * MIB, 120 * MIB)
    for i in range(10):
        chart.add_sample(sample(5.0 + i, 100 * MIB, 50 * MIB, 4 * GIB))
    qtbot.wait(50)

    on_limit = chart.tooltip_at(scene_point(chart, 15.0, 300 * MIB))
    assert on_limit.startswith("Limit 300 MiB")
    assert "watchdog" in on_limit and "window and the model host" in on_limit
    on_budget = chart.tooltip_at(scene_point(chart, 15.0, 120 * MIB))
    assert on_budget.startswith("Budget 120 MiB")
    assert "new model" in on_budget and "10 % reserve" in on_budget
    assert chart.limit_curve.curve.toolTip() == on_limit  # Qt's own tooltip on the line
    assert "limit 300 MiB" in legend_words(chart) and "budget 120 MiB" in legend_words(chart)

    # Moving the pointer over the line shows the same words.
    chart.plot_widget.scene().sigMouseMoved.emit(scene_point(chart, 15.0, 300 * MIB))
    assert chart.getPlotItem().vb.toolTip() == on_limit


def test_system_memory_is_a_background_labelled_not_limited(qtbot, chart):
    chart.set_limits(300 * MIB, 120 * MIB)
    for i in range(10):
        chart.add_sample(sample(5.0 + i, 100 * MIB, 150 * MIB, 9 * GIB))
    qtbot.wait(50)

    system, app, window = (chart.curves[key] for key in ("system_used", "app_rss", "gui_rss"))
    assert system.zValue() < app.zValue() < window.zValue() < chart.limit_curve.zValue()
    pale = pg.mkBrush(system.opts["fillBrush"]).color().lightness() > 220
    assert pale  # a pale area behind the app, not a line to compare with the limit
    assert "whole system (not limited)" in legend_words(chart)
    # The coloured area's top edge is what counts against the limit: window plus model host.
    assert np.allclose(10 ** app.getData()[1], 250)

    readout = chart.tooltip_at(scene_point(chart, 10.0, 2 * GIB))
    assert "This app: 250 MiB (window 100 MiB + model host 150 MiB)" in readout
    assert "83% of the 300 MiB limit" in readout
    assert "Whole system: 9 GiB used (not limited)" in readout


def report_with(cycles: int, kept_per_cycle: int, climb_per_min: float):
    """A profile of `cycles` load/unload cycles whose host keeps `kept_per_cycle` after each,
    while the app's memory climbs `climb_per_min` bytes a minute overall."""
    rows, markers = [], []
    for i in range(120):
        t = float(i)
        rows.append((t, 100 * MIB, 200 * MIB + climb_per_min * t / 60, 4 * GIB, 4 * GIB))
    for c in range(cycles):
        base = 200 * MIB + c * kept_per_cycle
        markers.append(Marker(10.0 + 20 * c, "load", "load", {
            "model": "whisper-tiny.en", "precision": "int8", "rss_before": base,
            "rss_after": base + 150 * MIB}))
        markers.append(Marker(20.0 + 20 * c, "unload", "unload", {
            "model": "whisper-tiny.en", "rss_before": base + 150 * MIB,
            "rss_after": base + kept_per_cycle}))
    samples = np.array(rows, dtype=float).reshape(-1, len(COLUMNS))
    return build_report(samples, markers)


@pytest.fixture
def panel(qtbot):
    panel = MemoryPanel(report_ms=60_000)
    qtbot.addWidget(panel)
    panel.resize(1000, 320)
    panel.chart.set_limits(1 * GIB, 600 * MIB)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def test_panel_says_plain_sentences_first_and_hides_the_figures(qtbot, panel, monkeypatch):
    report = report_with(cycles=20, kept_per_cycle=0, climb_per_min=0)
    monkeypatch.setattr(panel.profiler, "report", lambda: report)
    panel.refresh_report()

    assert panel.summary.text().splitlines() == [
        "No leak found over 20 loads.",
        "Memory is steady.",
        f"Peak {report.peak['app_rss'] // MIB} MiB, 29% of the 1 GiB limit.",
    ]
    assert panel.summary.isVisible() and not panel.details.isVisible()
    assert panel.values["Trend"].text().endswith("/min")  # the figure is there, behind the toggle

    qtbot.mouseClick(panel.details_button, Qt.MouseButton.LeftButton)
    assert panel.details.isVisible()
    assert panel.values["Trend"].isVisible() and panel.values["GC"].isVisible()
    qtbot.mouseClick(panel.details_button, Qt.MouseButton.LeftButton)
    assert not panel.details.isVisible()


def test_a_rise_after_a_load_is_told_calmly_and_a_leak_plainly(panel, monkeypatch):
    rising = report_with(cycles=1, kept_per_cycle=0, climb_per_min=678 * MIB)
    monkeypatch.setattr(panel.profiler, "report", lambda: rising)
    panel.refresh_report()
    summary = panel.summary.text()
    assert "expected" in summary and "/min" not in summary and "leak found" not in summary.lower()
    assert summary.startswith("Too early to check for leaks")

    leaking = report_with(cycles=5, kept_per_cycle=100 * MIB, climb_per_min=60 * MIB)
    monkeypatch.setattr(panel.profiler, "report", lambda: leaking)
    panel.refresh_report()
    first, second, _ = panel.summary.text().splitlines()
    assert first == "Leak found: about 100 MiB stays in memory after each unload, over 5 loads."
    assert second.startswith("Memory keeps growing")
