"""Bars of A against B for word error rate, real-time factor and peak memory: three small plots
in a row, each with its own scale. A side without a figure (refused, no reference) has no bar."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QT_TRANSLATE_NOOP, QSize
from PySide6.QtWidgets import QHBoxLayout, QWidget

COLOURS = {"a": "#2b6cb0", "b": "#d35400"}
# metric -> (the plot's title, short so that a narrow plot keeps its bars; its tooltip)
METRICS = {"wer": (QT_TRANSLATE_NOOP("CompareChart", "WER %"),
                   QT_TRANSLATE_NOOP("CompareChart", "Mean word error rate (%)")),
           "rtf": (QT_TRANSLATE_NOOP("CompareChart", "RTF"),
                   QT_TRANSLATE_NOOP("CompareChart", "Real-time factor: seconds of work per "
                                                     "second of audio")),
           "peak": (QT_TRANSLATE_NOOP("CompareChart", "Peak MiB"),
                    QT_TRANSLATE_NOOP("CompareChart", "Peak memory of the model host (MiB)"))}
HEADROOM = 1.15


class CompareChart(QWidget):
    """set_values({metric: (a, b)}) redraws the bars; values() gives back what is drawn."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plots: dict[str, pg.PlotWidget] = {}
        self.bars: dict[str, pg.BarGraphItem] = {}
        self.missing: dict[str, list[pg.TextItem]] = {}
        self._values: dict[str, tuple[float | None, float | None]] = {}
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        for metric, (title, _) in METRICS.items():
            widget = pg.PlotWidget(background="w")
            widget.setAccessibleName(self.tr(title))
            widget.setAccessibleDescription(self.tr("Bars of model A and model B"))
            widget.setMinimumSize(90, 120)
            plot = widget.getPlotItem()
            plot.hideButtons()
            plot.setMenuEnabled(False)
            plot.setMouseEnabled(x=False, y=False)
            plot.setTitle(self.tr(title), size="9pt", color="#333")
            plot.getAxis("bottom").setTicks([[(0, "A"), (1, "B")]])
            plot.getAxis("left").setWidth(38)
            plot.setXRange(-0.6, 1.6, padding=0)
            bars = pg.BarGraphItem(x=[0, 1], height=[0, 0], width=0.6,
                                   brushes=[COLOURS["a"], COLOURS["b"]], pen=pg.mkPen(None))
            plot.addItem(bars)
            # "n/a" where a side has no figure, so a missing bar never reads as zero.
            self.missing[metric] = []
            for x in (0, 1):
                text = pg.TextItem("", color="#6b7580", anchor=(0.5, 1.0))
                text.setPos(x, 0)
                plot.addItem(text)
                self.missing[metric].append(text)
            self.plots[metric] = widget
            self.bars[metric] = bars
            layout.addWidget(widget)
        self.set_values({})

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(420, 180)

    def set_values(self, values: dict[str, tuple[float | None, float | None]]) -> None:
        """Each metric's A and B; a missing metric or a None side draws no bar."""
        self._values = {m: values.get(m, (None, None)) for m in METRICS}
        for metric, (a, b) in self._values.items():
            heights = [a or 0.0, b or 0.0]
            self.bars[metric].setOpts(height=heights)
            for text, value in zip(self.missing[metric], (a, b), strict=True):
                text.setText(self.tr("n/a") if value is None else "")
            plot = self.plots[metric].getPlotItem()
            plot.setYRange(0, max(heights) * HEADROOM or 1.0, padding=0)
            self.plots[metric].setToolTip(
                f"{self.tr(METRICS[metric][1])}\nA: {_figure(a)}\nB: {_figure(b)}")

    def values(self) -> dict[str, tuple[float | None, float | None]]:
        """The bars drawn, per metric: (A, B), None where a side has no figure."""
        return dict(self._values)


def _figure(value: float | None) -> str:
    return "–" if value is None else f"{value:.3g}"
