"""A strip with the file's waveform, the transcript's segments as spans, the current segment
highlighted and a play head; a click asks to seek there.

The envelope is measured on a thread of its own (playback.envelope: a few thousand min/max
buckets, bounded memory) and drawn once, as one item of vertical lines. The segments are one
bar item, the highlight another and the play head one line, so following playback moves a
single line and repaints nothing else.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QWidget

from grym_desktop.audio.playback import Envelope, envelope
from grym_desktop.errors import GrymError

WAVE_COLOUR = "#5b7a99"
SPAN_COLOURS = ("#dfe9f3", "#eef3f8")  # neighbouring segments alternate
HIGHLIGHT_COLOUR = (241, 196, 15, 110)
PLAYHEAD_COLOUR = "#c0392b"


_measurer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="grym-waveform")


class WaveformStrip(pg.PlotWidget):
    """The file's waveform over time, with its segments, the current one and a play head."""

    seek_requested = Signal(float)
    envelope_ready = Signal()  # the waveform of the file last loaded is drawn
    _measured = Signal(int, object)  # (load number, Envelope or the error's sentence)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, background="w")
        self.setObjectName("waveformStrip")
        self.setAccessibleName(self.tr("Waveform"))
        self.setAccessibleDescription(self.tr("The recording's loudness over time; click to play "
                                              "from there"))
        self.error: str | None = None
        self.duration = 0.0
        self._spans: list[tuple[float, float]] = []
        self._loads = 0
        self._stop = threading.Event()
        item = self.getPlotItem()
        item.hideAxis("left")
        item.hideButtons()
        item.setMenuEnabled(False)
        item.setMouseEnabled(x=False, y=False)
        item.getAxis("bottom").setStyle(tickTextOffset=2)
        item.setYRange(-1.0, 1.0, padding=0.02)
        item.disableAutoRange()
        # Every other segment in one item with one brush: pyqtgraph then draws all of its bars
        # in one call (a brush per bar repainted 3,000 bars one by one, 10 ms a play-head move).
        self._segments = [pg.BarGraphItem(x0=[], x1=[], y0=[], y1=[], pen=pg.mkPen(None),
                                          brush=pg.mkBrush(colour)) for colour in SPAN_COLOURS]
        self._highlight = pg.BarGraphItem(x0=[], x1=[], y0=[], y1=[], pen=pg.mkPen(None),
                                          brush=pg.mkBrush(HIGHLIGHT_COLOUR))
        self._wave = pg.PlotDataItem(pen=pg.mkPen(WAVE_COLOUR, width=1), connect="pairs")
        self._playhead = pg.InfiniteLine(0.0, angle=90, movable=False,
                                         pen=pg.mkPen(PLAYHEAD_COLOUR, width=2))
        for layer, z in ((self._segments[0], 0), (self._segments[1], 0), (self._highlight, 1),
                         (self._wave, 2), (self._playhead, 3)):
            layer.setZValue(z)
            item.addItem(layer)
        self.scene().sigMouseClicked.connect(self._clicked)
        self._measured.connect(self._show_envelope)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(600, 80)

    # --- what the window calls ---

    def load(self, path: str) -> None:
        """Measure and draw the waveform of `path`, off the GUI thread (envelope_ready then)."""
        self.clear_waveform()
        self._loads += 1
        self._stop = stop = threading.Event()
        number = self._loads

        def measure() -> None:
            try:
                result: Envelope | str = envelope(path, stop=stop.is_set)
            except GrymError as exc:
                result = str(exc)
            if not stop.is_set():
                try:
                    self._measured.emit(number, result)
                except RuntimeError:  # the strip was deleted meanwhile
                    pass

        # One long-lived thread: starting a thread waits until it runs, and on a busy machine
        # that wait stalled the window for up to 150 ms at each file shown.
        _measurer.submit(measure)

    def clear_waveform(self) -> None:
        """No waveform (a measurement under way is abandoned)."""
        self._stop.set()
        self._wave.setData([], [])
        self.error, self.duration = None, 0.0

    def set_segments(self, spans: list[tuple[float, float]]) -> None:
        """The transcript's segments, (start, end) seconds each, drawn as spans."""
        self._spans = list(spans)
        starts = np.array([s for s, _ in self._spans], float)
        ends = np.array([e for _, e in self._spans], float)
        for parity, item in enumerate(self._segments):
            x0, x1 = starts[parity::2], ends[parity::2]
            item.setOpts(x0=x0, x1=x1, y0=np.full(len(x0), -1.0), y1=np.full(len(x0), 1.0))
        self.highlight(None)
        if self.duration == 0.0 and len(ends):
            self._set_range(float(ends.max()))

    def highlight(self, index: int | None) -> None:
        """Mark segment `index` as the current one (None: none)."""
        if index is None or not 0 <= index < len(self._spans):
            self._highlight.setOpts(x0=[], x1=[], y0=[], y1=[])
            return
        start, end = self._spans[index]
        self._highlight.setOpts(x0=[start], x1=[end], y0=[-1.0], y1=[1.0])

    def set_playhead(self, seconds: float) -> None:
        """Move the play head (only that line is repainted)."""
        self._playhead.setValue(seconds)

    def playhead(self) -> float:
        return float(self._playhead.value())

    def stop(self) -> None:
        """Abandon a measurement under way (when the window closes)."""
        self._stop.set()

    # --- inside ---

    def _show_envelope(self, number: int, result: Envelope | str) -> None:
        if number != self._loads:  # a file loaded since
            return
        if isinstance(result, str):
            self.error = result
            return
        x = np.repeat(result.times, 2)
        y = np.empty(len(x), np.float32)
        y[0::2], y[1::2] = result.lows, result.highs
        self._wave.setData(x, y)
        self._set_range(result.duration)
        self.envelope_ready.emit()

    def _set_range(self, duration: float) -> None:
        self.duration = duration
        self.getPlotItem().setXRange(0.0, max(duration, 0.1), padding=0.0)

    def _clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self.duration <= 0:
            return
        x = self.getPlotItem().vb.mapSceneToView(event.scenePos()).x()
        self.seek_requested.emit(min(max(0.0, float(x)), self.duration))
