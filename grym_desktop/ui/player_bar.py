"""The transport bar under a transcript: play the original audio and follow it.

It wraps a playback.Player: play/pause, 5 s back and forward, a position slider between the
current time and the duration, speed, volume and a loop toggle. While playing, a 50 ms timer
reads Player.position and emits position_changed; that read is all the bar does on the GUI
thread. load() runs on the GUI thread because it is quick: it reads the file's headers and
first frame and opens the output stream (a few ms; decoding happens on the player's thread).
A file that is missing or cannot be played leaves one sentence in the bar and a "Locate
file…" button; the bar stays usable for the next file.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from grym_desktop.audio.playback import Player, warm_up
from grym_desktop.errors import GrymError
from grym_desktop.transcript import clock
from grym_desktop.ui.widgets import ElidedLabel

SPEEDS = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0)
SKIP_SECONDS = 5.0
TICK_MS = 50  # position_changed about 20 times a second while playing
SLIDER_STEPS_PER_SECOND = 10


class PlayerBar(QWidget):
    """Transport controls for one audio file, over a Player of its own."""

    position_changed = Signal(float)
    locate_requested = Signal(str)  # the path that could not be played
    state_changed = Signal(bool)  # playing or not

    def __init__(self, parent: QWidget | None = None, player: Player | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("playerBar")
        self.player = player or Player()
        self.path: str | None = None
        self._loop: tuple[float, float] | None = None
        self._was_playing = False
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)
        # PortAudio starts (its devices are listed) on a thread now, not in the first load().
        threading.Thread(target=warm_up, name="grym-portaudio", daemon=True).start()

        style = self.style()
        self.play_button = QToolButton()
        self.play_button.setAccessibleName(self.tr("Play"))
        self.play_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay))
        self.play_button.setToolTip(self.tr("Play (Space)"))
        self.back_button = QToolButton()
        self.back_button.setAccessibleName(
            self.tr("Back {seconds:g} s").format(seconds=SKIP_SECONDS)
        )
        self.back_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaSeekBackward))
        self.back_button.setToolTip(
            self.tr("Back {seconds:g} s").format(seconds=SKIP_SECONDS)
        )
        self.forward_button = QToolButton()
        self.forward_button.setAccessibleName(
            self.tr("Forward {seconds:g} s").format(seconds=SKIP_SECONDS)
        )
        self.forward_button.setIcon(
            style.standardIcon(QStyle.StandardPixmap.SP_MediaSeekForward))
        self.forward_button.setToolTip(
            self.tr("Forward {seconds:g} s").format(seconds=SKIP_SECONDS)
        )
        self.time_label = QLabel(clock(0, 0))
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setAccessibleName(self.tr("Position in the file"))
        self.slider.setToolTip(self.tr("Position in the file"))
        self.duration_label = QLabel(clock(0, 0))
        self.speed_box = QComboBox()
        self.speed_box.setAccessibleName(self.tr("Speed"))
        self.speed_box.setToolTip(self.tr("Speed (the pitch is kept)"))
        for speed in SPEEDS:
            self.speed_box.addItem(self.tr("{speed:g}x").format(speed=speed), speed)
        self.speed_box.setCurrentIndex(SPEEDS.index(1.0))
        self.volume_slider = QSlider(Qt.Orientation.Horizontal)
        self.volume_slider.setAccessibleName(self.tr("Volume"))
        self.volume_slider.setRange(0, 100)
        self.volume_slider.setValue(100)
        self.volume_slider.setMaximumWidth(90)
        self.volume_slider.setToolTip(self.tr("Volume"))
        self.loop_button = QToolButton()
        self.loop_button.setAccessibleName(self.tr("Loop"))
        self.loop_button.setText(self.tr("Loop"))
        self.loop_button.setCheckable(True)
        self.loop_button.setToolTip(
            self.tr("Play the span over and over (the whole file without one)")
        )
        self.message = ElidedLabel()
        self.message.setObjectName("playerMessage")
        self.locate_button = QPushButton(self.tr("Locate file…"))

        transport = QHBoxLayout()
        transport.setContentsMargins(0, 0, 0, 0)
        for widget in (self.back_button, self.play_button, self.forward_button, self.time_label):
            transport.addWidget(widget)
        transport.addWidget(self.slider, 1)
        for widget in (self.duration_label, self.speed_box, QLabel(self.tr("Volume")),
                       self.volume_slider, self.loop_button):
            transport.addWidget(widget)
        problem = QHBoxLayout()
        problem.setContentsMargins(0, 0, 0, 0)
        problem.addWidget(self.message, 1)
        problem.addWidget(self.locate_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.setSpacing(2)
        layout.addLayout(transport)
        layout.addLayout(problem)

        self.play_button.clicked.connect(self.toggle)
        self.back_button.clicked.connect(lambda: self._skip(-SKIP_SECONDS))
        self.forward_button.clicked.connect(lambda: self._skip(SKIP_SECONDS))
        self.slider.valueChanged.connect(self._slider_moved)
        self.slider.sliderReleased.connect(self._slider_released)
        self.speed_box.currentIndexChanged.connect(self._speed_chosen)
        self.volume_slider.valueChanged.connect(self._volume_chosen)
        self.loop_button.toggled.connect(self._loop_toggled)
        self.locate_button.clicked.connect(lambda: self.locate_requested.emit(self.path or ""))
        self._show_problem(None)
        self._enable(False)

    # --- what the window calls ---

    def load(self, path: str) -> bool:
        """Open `path` for playing, paused at its start; False (with the reason in the bar and
        a Locate file… button) when it is missing or cannot be played."""
        self.stop()
        self.path = path
        self._loop = None
        self._set_checked(self.loop_button, False)
        try:
            self.player.open(path)
        except GrymError as exc:
            self._show_problem(str(exc))
            self._enable(False)
            self._show_position(0.0, 0.0)
            return False
        self.player.speed = self.speed_box.currentData()
        self.player.volume = self.volume_slider.value() / 100
        self._show_problem(None)
        self._enable(True)
        self._show_position(0.0, self.player.duration)
        return True

    @Slot()
    def toggle(self) -> None:
        """Play or pause (the window binds the space bar here)."""
        if not self.player.playing:
            self.player.play()
        else:
            self.player.pause()
        self._tick()

    def play_from(self, seconds: float) -> None:
        """Play from `seconds` of the file."""
        self.player.seek(seconds)
        self.player.play()
        self._tick()

    def set_loop(self, start: float, end: float) -> None:
        """Loop start..end (seconds) and show the loop toggle on."""
        self._loop = (start, end)
        self.player.set_loop(start, end)
        self._set_checked(self.loop_button, True)
        self._tick()

    def clear_loop(self) -> None:
        """Play on past the loop's end; the loop toggle shows off."""
        self._loop = None
        self.player.clear_loop()
        self._set_checked(self.loop_button, False)

    def position(self) -> float:
        """The second of the file being heard now."""
        return self.player.position

    def stop(self) -> None:
        """Stop playing; the file stays loaded where it was."""
        self.player.pause()
        self._tick()

    def close(self) -> bool:
        """Stop and release the output device, then close the widget."""
        self._timer.stop()
        self.player.close()
        return super().close()

    # --- inside ---

    def _tick(self) -> None:
        """Show where playback is and tell the window; start or stop polling with it."""
        playing = self.player.playing
        seconds = self.player.position
        self._show_position(seconds, self.player.duration)
        self.position_changed.emit(seconds)
        if playing != self._was_playing:
            self._was_playing = playing
            icon = QStyle.StandardPixmap.SP_MediaPause if playing else \
                QStyle.StandardPixmap.SP_MediaPlay
            self.play_button.setIcon(self.style().standardIcon(icon))
            self.play_button.setToolTip(
                self.tr("Pause (Space)") if playing else self.tr("Play (Space)")
            )
            if playing:
                self._timer.start()
            else:
                self._timer.stop()
            self.state_changed.emit(playing)

    def _show_position(self, seconds: float, duration: float) -> None:
        if not self.slider.isSliderDown():
            self.slider.blockSignals(True)
            self.slider.setRange(0, round(duration * SLIDER_STEPS_PER_SECOND))
            self.slider.setValue(round(seconds * SLIDER_STEPS_PER_SECOND))
            self.slider.blockSignals(False)
            self._set_text(self.time_label, clock(seconds, 0))
        self._set_text(self.duration_label, clock(duration, 0))

    @staticmethod
    def _set_text(label: QLabel, text: str) -> None:
        if label.text() != text:  # a label repaints on every setText
            label.setText(text)

    @staticmethod
    def _set_checked(button: QToolButton, checked: bool) -> None:
        button.blockSignals(True)
        button.setChecked(checked)
        button.blockSignals(False)

    def _skip(self, seconds: float) -> None:
        self.player.seek(self.player.position + seconds)
        self._tick()

    def _slider_moved(self, value: int) -> None:
        seconds = value / SLIDER_STEPS_PER_SECOND
        self._set_text(self.time_label, clock(seconds, 0))
        if not self.slider.isSliderDown():  # a click on the groove or a key: go there now
            self.player.seek(seconds)
            self._tick()

    def _slider_released(self) -> None:
        self.player.seek(self.slider.value() / SLIDER_STEPS_PER_SECOND)
        self._tick()

    def _speed_chosen(self, _index: int) -> None:
        self.player.speed = self.speed_box.currentData()

    def _volume_chosen(self, value: int) -> None:
        self.player.volume = value / 100

    def _loop_toggled(self, on: bool) -> None:
        if not on:
            self.player.clear_loop()
            return
        start, end = self._loop or (0.0, self.player.duration)
        if end > start:
            self.player.set_loop(start, end)
        self._tick()

    def _show_problem(self, sentence: str | None) -> None:
        self.message.setText(sentence or "")
        self.message.setVisible(sentence is not None)
        self.locate_button.setVisible(sentence is not None)

    def _enable(self, on: bool) -> None:
        for widget in (self.play_button, self.back_button, self.forward_button, self.slider,
                       self.loop_button):
            widget.setEnabled(on)
