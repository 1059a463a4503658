"""The library on a 2-D map: one dot per stored window, coloured by its label (unlabelled grey),
a legend under the plot, the label on hover, and a click that names the window.

The map only draws the points it is given; projecting the embeddings is the caller's work.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QT_TRANSLATE_NOOP, QSize, Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

UNLABELLED = QT_TRANSLATE_NOOP("FeatureMap", "unlabelled")  # translated where shown
UNLABELLED_COLOUR = "#b8bec4"
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#bcbd22", "#17becf", "#393b79", "#637939", "#ad494a")
POINT_SIZE = 9


def label_colours(labels: list[str | None]) -> dict[str | None, str]:
    """A colour per label, the most common first in the palette; None is grey."""
    counts = Counter(label for label in labels if label is not None)
    ordered = sorted(counts, key=lambda name: (-counts[name], name))
    colours: dict[str | None, str] = {None: UNLABELLED_COLOUR}
    for i, name in enumerate(ordered):
        if i < len(PALETTE):
            colours[name] = PALETTE[i]
        else:
            colours[name] = pg.intColor(i, hues=max(len(ordered), 13)).name()
    return colours


class FeatureMap(QWidget):
    """The scatter plot of the library's windows and its legend."""

    point_clicked = Signal(int)  # the window id of the dot clicked

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.colours: dict[str | None, str] = {}
        self.plot_widget = pg.PlotWidget(background="w")
        self.plot_widget.setAccessibleName(self.tr("Map of the library's sounds"))
        self.plot_widget.setAccessibleDescription(
            self.tr("Each point is a stored sound; click one to open its recording")
        )
        self.plot_widget.setMinimumHeight(80)
        plot = self.plot_widget.getPlotItem()
        plot.hideButtons()
        plot.setMenuEnabled(False)
        plot.hideAxis("left")
        plot.hideAxis("bottom")
        plot.setAspectLocked(False)
        self.scatter = pg.ScatterPlotItem(size=POINT_SIZE, pen=pg.mkPen("w", width=0.8),
                                          hoverable=True, tip=self._tip,
                                          hoverPen=pg.mkPen("k", width=1.5))
        plot.addItem(self.scatter)
        self.scatter.sigClicked.connect(self._clicked)
        self.legend = QLabel()
        self.legend.setWordWrap(True)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setContentsMargins(4, 0, 4, 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.plot_widget, 1)
        layout.addWidget(self.legend)
        self.set_points(np.zeros((0, 2)), [], [])

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(500, 260)

    def set_points(self, points: Any, labels: list[str | None], ids: list[int]) -> None:
        """Draw n points ((n, 2) coordinates) with their labels and window ids."""
        xy = np.asarray(points, dtype=float).reshape(-1, 2)
        if not len(xy) == len(labels) == len(ids):
            raise ValueError("points, labels and ids must have the same length")
        self.colours = label_colours(list(labels))
        # Unlabelled dots first, so labelled ones are drawn on top of them.
        order = sorted(range(len(xy)), key=lambda i: labels[i] is not None)
        spots = [{"pos": (float(xy[i, 0]), float(xy[i, 1])),
                  "data": (int(ids[i]), labels[i]),
                  "brush": pg.mkBrush(self.colours[labels[i]])} for i in order]
        self.scatter.setData(spots)
        if len(xy):
            self.plot_widget.getPlotItem().autoRange(padding=0.08)
        self._update_legend(labels)

    def count(self) -> int:
        return len(self.scatter.data)

    def point_colours(self) -> dict[int, str]:
        """Each drawn window id's colour, "#rrggbb"."""
        return {int(spot.data()[0]): spot.brush().color().name() for spot in self.scatter.points()}

    # --- inside ---

    def _update_legend(self, labels: list[str | None]) -> None:
        if not labels:
            self.legend.setText("")
            return
        counts = Counter(labels)
        names = [name for name in self.colours if name is not None and counts[name]]
        if counts[None]:
            names.append(None)
        self.legend.setText(" &nbsp; ".join(
            f"<span style='color:{self.colours[name]}'>●</span>&nbsp;"
            f"{_html(name or self.tr(UNLABELLED)).replace(' ', '&nbsp;')}&nbsp;({counts[name]})"
            for name in names))

    def _tip(self, x: float, y: float, data: Any) -> str:
        window_id, label = data
        return self.tr("{label} (window {window_id})\nClick to open it.").format(
            label=label or self.tr(UNLABELLED), window_id=window_id
        )

    def _clicked(self, item: Any, points: Any, event: Any = None) -> None:
        if len(points):
            self.point_clicked.emit(int(points[0].data()[0]))


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

