"""The Memory panel: the live chart and the profiler's report of this session, exportable as JSON.

The panel's timer takes each sample once, keeps it in the session's Profiler and plots it, so the
chart and the report see the same samples. The report reads in plain sentences first (leak,
steadiness, peak against the limit); the profiler's figures sit behind a "Details" toggle.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, QTimer
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from grym_desktop.memory.limits import format_size
from grym_desktop.memory.profiler import (
    Leak,
    Profiler,
    ProfileReport,
    gc_sentence,
    leak_sentence,
)
from grym_desktop.memory.sampler import MemorySample
from grym_desktop.ui.memory_chart import MemoryChart

if TYPE_CHECKING:  # only for the hints: the panel works without the orchestrator loaded
    from grym_desktop.ui.worker import ModelWorker, TaskRecord

DRAW_MS = 1000  # how often new samples are drawn
ROWS = ("Peak", "Trend", "Leak", "GC", "Estimate")  # keys of the details' values
ROW_WORDS = {  # what each detail row is called on screen (translated there)
    "Peak": QT_TRANSLATE_NOOP("MemoryPanel", "Peak by process"),
    "Trend": QT_TRANSLATE_NOOP("MemoryPanel", "Trend"),
    "Leak": QT_TRANSLATE_NOOP("MemoryPanel", "Leak cycles"),
    "GC": QT_TRANSLATE_NOOP("MemoryPanel", "Returned at unload (GC)"),
    "Estimate": QT_TRANSLATE_NOOP("MemoryPanel", "Estimate error"),
}
STEADY_BYTES_PER_MIN = 8 * 1024**2  # a trend smaller than this reads as steady


def leak_words(leak: Leak) -> str:
    """The leak verdict in a plain sentence."""
    loads = (QCoreApplication.translate("MemoryPanel", "{count} load") if leak.cycles == 1
             else QCoreApplication.translate("MemoryPanel", "{count} loads")).format(
                 count=leak.cycles)
    if leak.verdict == "leak":
        kept = format_size(int(leak.retained_per_cycle or 0))
        return QCoreApplication.translate(
            "MemoryPanel",
            "Leak found: about {kept} stays in memory after each unload, over {loads}.",
        ).format(kept=kept, loads=loads)
    if leak.verdict == "no leak":
        return QCoreApplication.translate("MemoryPanel", "No leak found over {loads}.").format(
            loads=loads
        )
    return QCoreApplication.translate(
        "MemoryPanel", "Too early to check for leaks: a model has to be loaded and unloaded twice."
    )


def trend_words(report: ProfileReport) -> str:
    """Whether memory is steady, worded to alarm only when the leak check found a leak.

    A rise right after a model load is normal, so without a leak verdict it is told neutrally.
    """
    trend = report.trend["app_bytes_per_min"]
    if report.leak.verdict == "leak" and trend and trend > 0:
        return QCoreApplication.translate(
            "MemoryPanel", "Memory keeps growing, about {trend} a minute."
        ).format(trend=format_size(int(trend)))
    if trend is None or abs(trend) < STEADY_BYTES_PER_MIN:
        return QCoreApplication.translate("MemoryPanel", "Memory is steady.")
    kinds = {marker.kind for marker in report.markers}
    if trend > 0:
        if kinds & {"load", "start"}:
            return QCoreApplication.translate(
                "MemoryPanel", "Memory went up as a model loaded and work ran; that is expected."
            )
        return QCoreApplication.translate("MemoryPanel", "Memory went up during this session.")
    if "unload" in kinds:
        return QCoreApplication.translate(
            "MemoryPanel", "Memory went down as a model was unloaded."
        )
    return QCoreApplication.translate("MemoryPanel", "Memory went down during this session.")


def peak_words(report: ProfileReport, limit: int) -> str:
    """The app's highest use, and its share of the limit when the limit is known."""
    peak = int(report.peak["app_rss"])
    if not peak:
        return QCoreApplication.translate("MemoryPanel", "No measurement yet.")
    share = (
        QCoreApplication.translate("MemoryPanel", ", {share:.0%} of the {limit} limit").format(
            share=peak / limit, limit=format_size(limit)
        )
        if limit
        else ""
    )
    return QCoreApplication.translate("MemoryPanel", "Peak {peak}{share}.").format(
        peak=format_size(peak), share=share
    )


def plain_summary(report: ProfileReport, limit: int) -> str:
    """Three short sentences a person reads first: leak, steadiness, peak."""
    return "\n".join((leak_words(report.leak), trend_words(report), peak_words(report, limit)))


class MemoryPanel(QWidget):
    """Live chart plus a plain summary of the profiler's report; its figures under "Details"."""

    def __init__(
        self, chart: MemoryChart | None = None, parent=None, interval_ms: int = 250,
        report_ms: int = 2000,
    ) -> None:
        super().__init__(parent)
        self.chart = chart if chart is not None else MemoryChart(interval_ms=interval_ms)
        self.pid_source: Callable[[], int | None] = lambda: None
        self.profiler = Profiler(lambda: self.pid_source(), interval=interval_ms / 1000)
        self.last_report: ProfileReport | None = None
        self._loading: tuple[float, int] | None = None  # when the load began, its estimate

        self.summary = QLabel(self.tr("Measuring…"))
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details_button = QToolButton()
        self.details_button.setText(self.tr("Details"))
        self.details_button.setCheckable(True)
        self.details_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.details_button.setArrowType(Qt.ArrowType.RightArrow)
        self.details_button.setAutoRaise(True)
        self.details_button.setToolTip(
            self.tr("The profiler's figures: trend, leak cycles, GC, estimates")
        )
        self.details_button.toggled.connect(self.show_details)
        self.values = {name: QLabel("–") for name in ROWS}
        self.details = self._build_details()
        self.details.hide()
        self.export_button = QPushButton(self.tr("Export report…"))
        self.export_button.setToolTip(self.tr("Save the profiler's report of this session as JSON"))
        self.export_button.clicked.connect(self.export_clicked)

        side = QVBoxLayout()
        side.setContentsMargins(0, 0, 0, 0)
        side.addWidget(self.summary)
        side.addWidget(self.details_button, 0, Qt.AlignmentFlag.AlignLeft)
        side.addWidget(self.details)
        side.addStretch(1)
        side.addWidget(self.export_button, 0, Qt.AlignmentFlag.AlignRight)
        report = QWidget()
        report.setLayout(side)
        scroll = QScrollArea()  # the opened details may be taller than the panel
        scroll.setAccessibleName(self.tr("Profiler details"))
        scroll.setWidget(report)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(180)
        scroll.setMaximumWidth(400)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.chart, 3)
        layout.addWidget(scroll, 2)

        # psutil reads /proc, which can block on a loaded machine: samples are taken on a
        # thread of their own and drawn once a second (a redraw costs the GUI thread 15-25 ms).
        self.interval = interval_ms / 1000
        self._taken: deque[MemorySample] = deque()
        self._stop_sampling = threading.Event()
        self._sampler: threading.Thread | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(DRAW_MS)
        self.timer.timeout.connect(self.draw_taken)
        self.report_timer = QTimer(self)
        self.report_timer.setInterval(report_ms)
        self.report_timer.timeout.connect(self.refresh_report)

    def _build_details(self) -> QWidget:
        """The technical figures, one row each, hidden until the user asks for them."""
        form = QFormLayout()
        form.setContentsMargins(12, 0, 0, 0)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)  # the value under its name
        for name, label in self.values.items():
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(f"{self.tr(ROW_WORDS[name])}:", label)
        details = QWidget()
        details.setLayout(form)
        return details

    def show_details(self, shown: bool) -> None:
        """Open or close the technical figures."""
        self.details.setVisible(shown)
        self.details_button.setArrowType(
            Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)

    def start(self, pid_source: Callable[[], int | None]) -> None:
        """Sample every interval; pid_source names the model host to measure (None: no host)."""
        self.pid_source = pid_source
        self.chart.pid_source = pid_source
        self._stop_sampling.clear()
        if self._sampler is None or not self._sampler.is_alive():
            self._sampler = threading.Thread(target=self._sample_loop, name="memory-sampler",
                                             daemon=True)
            self._sampler.start()
        self.timer.start()
        self.report_timer.start()

    def stop(self) -> None:
        self.timer.stop()
        self.report_timer.stop()
        self._stop_sampling.set()
        if self._sampler is not None:
            self._sampler.join(timeout=2)
        self.draw_taken()

    def sample_now(self) -> None:
        """Take one sample now and draw it (tests and one-off readings)."""
        self.chart.add_sample(self.profiler.sample())

    def draw_taken(self) -> None:
        """Draw the samples the sampler thread took since the last call, in one redraw."""
        taken = []
        while self._taken:
            taken.append(self._taken.popleft())
        if taken:
            self.chart.add_samples(taken)

    def _sample_loop(self) -> None:
        while not self._stop_sampling.wait(self.interval):
            self._taken.append(self.profiler.sample())

    def connect_worker(self, worker: ModelWorker) -> None:
        """Mark loads, unloads and task starts and ends from a ModelWorker's signals."""
        worker.model_loading.connect(self.on_model_loading)
        worker.model_loaded.connect(self.on_model_loaded)
        worker.model_unloaded.connect(self.on_model_unloaded)
        worker.task_started.connect(self.on_record_started)
        worker.task_finished.connect(self.on_record_ended)
        worker.task_failed.connect(self.on_record_ended)

    # -- markers -------------------------------------------------------------------------

    def on_model_loading(self, model_id: str, precision: str, estimate) -> None:
        self._loading = (time.monotonic(), int(estimate or 0))

    def on_model_loaded(self, model_id: str, precision: str, seconds: float, measured) -> None:
        at, estimate = self._loading or (time.monotonic() - seconds, 0)
        self._loading = None
        after = self.profiler.sample().host_rss  # the model is in and idle now
        self.profiler.mark("load", f"load {model_id}", at=at, model=model_id, precision=precision,
                           estimate_bytes=estimate, rss_before=after - int(measured),
                           rss_after=after)

    def on_model_unloaded(self, model_id: str, rss_before: int = 0, rss_after: int = 0) -> None:
        """The host's readings around its collection when the signal carries them."""
        numbers = {"rss_before": rss_before, "rss_after": rss_after} if rss_after else {}
        self.profiler.mark("unload", f"unload {model_id}", model=model_id, **numbers)

    def on_task_started(self, task_id: int, path: str = "") -> None:
        self.profiler.mark("start", f"start {Path(path).name}".strip())

    def on_task_ended(self, task_id: int, *_details) -> None:
        self.profiler.mark("end", "end")

    def on_record_started(self, record: TaskRecord) -> None:
        self.on_task_started(record.id, record.path)

    def on_record_ended(self, record: TaskRecord) -> None:
        self.on_task_ended(record.id)

    # -- report --------------------------------------------------------------------------

    def refresh_report(self) -> ProfileReport:
        """Read the profiler's report: plain sentences first, the figures in the details."""
        report = self.profiler.report()
        self.last_report = report
        self.summary.setText(plain_summary(report, self.chart.limit))
        peak, size = report.peak, format_size
        self.values["Peak"].setText(
            self.tr("app {app} (model host {host}, window {window})").format(
                app=size(peak["app_rss"]), host=size(peak["host_rss"]), window=size(peak["gui_rss"])
            )
        )
        trend = report.trend["app_bytes_per_min"]
        self.values["Trend"].setText(
            "–" if trend is None else f"{'+' if trend >= 0 else '-'}{size(abs(trend))}/min")
        self.values["Leak"].setText(leak_sentence(report.leak))
        self.values["GC"].setText(gc_sentence(report.collections, report.gc_effectiveness))
        self.values["Estimate"].setText(
            "\n".join(
                self.tr("{model} {precision}: {estimate} estimated, {measured} measured").format(
                    model=load.model,
                    precision=load.precision,
                    estimate=size(load.estimate_bytes),
                    measured=size(load.peak_bytes if load.ran_task else load.load_bytes),
                )
                + ("" if load.error_percent is None else f" ({load.error_percent:+.0f} %)")
                for load in report.loads[-3:]
            )
            or self.tr("no model loaded yet")
        )
        return report

    def export_json(self, path: str | Path) -> Path:
        """Write the session's report, samples included, as JSON."""
        path = Path(path)
        path.write_text(self.refresh_report().to_json())
        return path

    def export_clicked(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self, self.tr("Export memory report"), "grym-memory-report.json",
            self.tr("JSON (*.json)"))
        if name:
            self.export_json(name)
