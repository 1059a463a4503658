"""The shown transcript's speakers: each with its colour and speaking time, and a menu to
rename it, merge it into another, or accept the voice the voice library recognised."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QInputDialog, QLabel, QMenu, QToolButton, QWidget

from grym_desktop.transcript import SpeakerInfo


def minutes(seconds: float) -> str:
    """Speaking time as m:ss."""
    whole = int(round(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


class SpeakersBar(QWidget):
    """One button per speaker; rename_requested(old, new) asks the window to rename (or,
    onto an existing name, merge) a speaker in every segment and word."""

    rename_requested = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layout_ = QHBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.layout_.setSpacing(4)
        self.layout_.addWidget(QLabel(self.tr("Speakers:")))
        self.buttons: dict[str, QToolButton] = {}
        self.layout_.addStretch(1)
        self.hide()

    def set_speakers(self, speakers: list[SpeakerInfo], colours: dict[str, QColor]) -> None:
        """Show these speakers (hidden when there are none)."""
        for button in self.buttons.values():
            self.layout_.removeWidget(button)
            button.deleteLater()
        self.buttons = {}
        names = [s.name for s in speakers]
        for info in speakers:
            button = QToolButton()
            button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
            text = f"● {info.name} · {minutes(info.seconds)}"
            if info.voice and info.voice != info.name:
                text += f" · {info.voice}? {round(100 * (info.confidence or 0))} %"
            button.setText(text)
            colour = colours.get(info.name)
            if colour is not None:
                button.setStyleSheet(f"QToolButton {{ color: {colour.name()}; }}")
            button.setToolTip(
                self.tr(
                    "{name} speaks for {minutes}; click to rename, merge or confirm a recognised "
                    "voice."
                ).format(name=info.name, minutes=minutes(info.seconds))
            )
            button.setMenu(self._menu(info, [n for n in names if n != info.name]))
            self.layout_.insertWidget(self.layout_.count() - 1, button)
            self.buttons[info.name] = button
        self.setVisible(bool(speakers))

    def _menu(self, info: SpeakerInfo, others: list[str]) -> QMenu:
        menu = QMenu(self)
        if info.voice and info.voice != info.name:
            confirm = menu.addAction(
                self.tr("This is {voice} ({percent} % alike)").format(
                    voice=info.voice, percent=round(100 * (info.confidence or 0))
                )
            )
            confirm.triggered.connect(lambda: self.rename_requested.emit(info.name, info.voice))
        rename = menu.addAction(self.tr("Rename…"))
        rename.triggered.connect(lambda: self._ask_name(info.name))
        if others:
            merge = menu.addMenu(self.tr("Merge into"))
            for other in others:
                action = merge.addAction(other)
                action.triggered.connect(
                    lambda _checked=False, o=other: self.rename_requested.emit(info.name, o))
        return menu

    def _ask_name(self, old: str) -> None:
        new, ok = QInputDialog.getText(
            self,
            self.tr("Rename speaker"),
            self.tr("Who is {old}? (the voice library remembers the name)").format(old=old),
            text=old,
        )
        if ok and new.strip() and new.strip() != old:
            self.rename_requested.emit(old, new.strip())
