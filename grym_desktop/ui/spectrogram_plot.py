"""A recording's log-mel spectrogram: seconds across, mel bands up (labelled in Hz), a dB colour
bar, a shaded span; click to seek, drag to select a span, wheel to zoom and right-drag to pan.

Only the time axis moves: the bands always fill the height, so zooming never loses the picture.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication, QRectF, QSize, Qt, Signal
from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from grym_desktop.features.signal import Spectrogram

COLOUR_MAP = "viridis"
DYNAMIC_RANGE_DB = 80.0  # the colour scale spans the loudest column down to this much quieter
SPAN_BRUSH = (255, 255, 255, 60)
SPAN_PEN = (255, 255, 255, 220)
HZ_TICKS = (50, 100, 200, 300, 500, 1000, 2000, 3000, 4000, 6000, 8000, 12000, 16000)
TICK_PIXELS = 16  # at least this many pixels between two frequency labels
MIN_SECONDS_SHOWN = 0.2  # zooming in stops at this much time across the plot


def hz_text(hz: float) -> str:
    """A frequency as a tick label: "500", "1k", "2.5k"."""
    if hz >= 1000:
        return f"{hz / 1000:g}k"
    return f"{hz:g}"


def span_margin(start: float, end: float) -> float:
    """The room shown either side of a span so its edges are not on the frame."""
    return max(0.1 * (end - start), 0.25)


class MelAxis(pg.AxisItem):
    """The band axis labelled with the bands' frequencies in Hz (band i is drawn from i to i+1)."""

    def __init__(self, orientation: str = "left") -> None:
        super().__init__(orientation)
        self.mel_hz = np.zeros(0)

    def position(self, hz: float) -> float:
        """Where frequency hz lies on the band axis."""
        return float(np.interp(hz, self.mel_hz, np.arange(len(self.mel_hz)) + 0.5))

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:  # noqa: N802, N803
        if len(self.mel_hz) < 2:
            return []
        low, high = sorted((minVal, maxVal))
        pixels_per_band = size / max(high - low, 1e-9)
        chosen: list[float] = []
        for hz in HZ_TICKS:
            if not self.mel_hz[0] <= hz <= self.mel_hz[-1]:
                continue
            y = self.position(hz)
            room = not chosen or (y - chosen[-1]) * pixels_per_band >= TICK_PIXELS
            if low <= y <= high and room:
                chosen.append(y)
        return [(1.0, chosen)]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:  # noqa: N802
        bands = np.arange(len(self.mel_hz)) + 0.5
        out = []
        for v in values:
            hz = float(np.interp(v, bands, self.mel_hz)) if len(self.mel_hz) else 0.0
            out.append(hz_text(min(HZ_TICKS, key=lambda t: abs(t - hz))))
        return out


class SpanViewBox(pg.ViewBox):
    """Left-drag selects a time span, right- or middle-drag pans, the wheel zooms time."""

    span_dragged = Signal(float, float, bool)  # start, end, finished

    def mouseDragEvent(self, ev: Any, axis: Any = None) -> None:  # noqa: N802 - Qt's name
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            a = self.mapSceneToView(ev.buttonDownScenePos()).x()
            b = self.mapSceneToView(ev.scenePos()).x()
            self.span_dragged.emit(min(a, b), max(a, b), ev.isFinish())
        elif ev.button() in (Qt.MouseButton.RightButton, Qt.MouseButton.MiddleButton):
            ev.accept()
            self.translateBy(x=self.mapToView(ev.lastPos()).x() - self.mapToView(ev.pos()).x())
        else:
            ev.ignore()


class SpectrogramPlot(pg.PlotWidget):
    """The spectrogram with its colour bar and the selected span."""

    seek_requested = Signal(float)
    span_selected = Signal(float, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        self.box = SpanViewBox()
        self.mel_axis = MelAxis("left")
        super().__init__(parent, background="w", viewBox=self.box,
                         axisItems={"left": self.mel_axis})
        self.setObjectName("spectrogramPlot")
        self.setAccessibleName(self.tr("Spectrogram"))
        self.setAccessibleDescription(self.tr("Frequencies of the recording over time; drag to "
                                              "select a span, click to play from there"))
        self.duration = 0.0
        self._setting_span = False
        plot = self.getPlotItem()
        plot.hideButtons()
        plot.setMenuEnabled(False)
        plot.setLabel("bottom", self.tr("seconds"))
        plot.setLabel("left", "Hz")
        plot.getAxis("bottom").enableAutoSIPrefix(False)
        self.box.setMouseEnabled(x=True, y=False)
        self.image = pg.ImageItem(axisOrder="col-major")
        plot.addItem(self.image)
        self.colour_bar = pg.ColorBarItem(values=(-DYNAMIC_RANGE_DB, 0.0), colorMap=COLOUR_MAP,
                                          label="dB", interactive=False, colorMapMenu=False,
                                          width=14)
        self.colour_bar.setImageItem(self.image, insert_in=plot)
        self.region = pg.LinearRegionItem((0.0, 0.0), movable=True, brush=pg.mkBrush(SPAN_BRUSH),
                                          pen=pg.mkPen(SPAN_PEN, width=2), swapMode="sort")
        self.region.setZValue(10)
        self.region.hide()
        plot.addItem(self.region, ignoreBounds=True)
        self.region.sigRegionChangeFinished.connect(self._region_moved)
        self.box.span_dragged.connect(self._dragged)
        self.scene().sigMouseClicked.connect(self._clicked)
        self.setToolTip(
            QCoreApplication.translate(
                "SpectrogramPlot",
                "Click to seek · drag to select a span · wheel to zoom · right-drag to pan",
            )
        )

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(700, 240)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(200, 110)

    # --- what the view calls ---

    def set_spectrogram(self, spectrogram: Spectrogram) -> None:
        """Draw a Spectrogram (db (n_mels, columns), seconds_per_column, mel_hz, duration)."""
        db = np.asarray(spectrogram.db, dtype=np.float32)
        n_mels, columns = db.shape if db.ndim == 2 else (0, 0)
        width = columns * float(spectrogram.seconds_per_column)
        self.duration = max(float(spectrogram.duration), width)
        self.mel_axis.mel_hz = np.asarray(spectrogram.mel_hz, dtype=float)
        self.mel_axis.picture = None  # the tick labels depend on the bands
        self.hide_span()
        if columns == 0 or n_mels == 0:
            self.image.clear()
            return
        finite = db[np.isfinite(db)]
        top = float(finite.max()) if finite.size else 0.0
        bottom = max(float(finite.min()) if finite.size else top - 1.0, top - DYNAMIC_RANGE_DB)
        self.image.setImage(np.nan_to_num(db.T, nan=bottom, neginf=bottom, posinf=top),
                            autoLevels=False)
        self.image.setRect(QRectF(0.0, 0.0, width, float(n_mels)))
        self.colour_bar.setLevels((bottom, max(top, bottom + 1.0)))
        shown = max(self.duration, MIN_SECONDS_SHOWN)
        self.box.setLimits(xMin=0.0, xMax=shown, yMin=0.0, yMax=float(n_mels),
                           minXRange=min(MIN_SECONDS_SHOWN, shown))
        self.box.setYRange(0.0, float(n_mels), padding=0.0)
        self.region.setBounds((0.0, shown))
        self.box.setXRange(0.0, shown, padding=0.0)
        self.mel_axis.update()

    def clear_spectrogram(self) -> None:
        """Nothing drawn."""
        self.image.clear()
        self.duration = 0.0
        self.hide_span()

    def show_span(self, start: float, end: float) -> None:
        """Shade start..end and bring it into view with a little room either side."""
        start, end = sorted((max(0.0, start), max(0.0, end)))
        self._set_region(start, end)
        margin = span_margin(start, end)
        low, high = start - margin, end + margin
        if self.duration > 0:
            low, high = max(0.0, low), min(self.duration, high)
        self.box.setXRange(low, high, padding=0.0)

    def hide_span(self) -> None:
        self.region.hide()

    def span(self) -> tuple[float, float] | None:
        """The shaded span, or None."""
        if not self.region.isVisible():
            return None
        start, end = self.region.getRegion()
        return float(start), float(end)

    def x_range(self) -> tuple[float, float]:
        """The seconds shown, left and right."""
        low, high = self.box.viewRange()[0]
        return float(low), float(high)

    # --- inside ---

    def _set_region(self, start: float, end: float) -> None:
        self._setting_span = True
        try:
            self.region.setRegion((start, end))
            self.region.show()
        finally:
            self._setting_span = False

    def _clamp(self, seconds: float) -> float:
        return min(max(0.0, seconds), self.duration)

    def _dragged(self, start: float, end: float, finished: bool) -> None:
        if self.duration <= 0:
            return
        start, end = self._clamp(start), self._clamp(end)
        self._set_region(start, end)
        if finished and end > start:
            self.span_selected.emit(start, end)

    def _region_moved(self) -> None:
        if self._setting_span or not self.region.isVisible():
            return
        start, end = (self._clamp(v) for v in self.region.getRegion())
        if end > start:
            self.span_selected.emit(start, end)

    def _clicked(self, event: Any) -> None:
        if event.button() != Qt.MouseButton.LeftButton or event.double() or self.duration <= 0:
            return
        if not self.box.sceneBoundingRect().contains(event.scenePos()):
            return
        x = self.box.mapSceneToView(event.scenePos()).x()
        self.seek_requested.emit(self._clamp(float(x)))
