"""A screen reader can name every control: each focusable widget of the main window, Settings,
Models and Compare windows has an accessible name (its own, or its visible text)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QAbstractScrollArea, QAbstractSpinBox, QComboBox, QWidget

from grym_desktop.ui.main_window import MainWindow, settings_from_env

pytestmark = [pytest.mark.gui]


def spoken_name(widget: QWidget) -> str:
    """What a screen reader says for widget: its accessible interface's name."""
    interface = QAccessible.queryAccessibleInterface(widget)
    return interface.text(QAccessible.Text.Name).strip() if interface is not None else ""


def unnamed(top: QWidget) -> list[str]:
    """The focusable controls under top (top included) that a screen reader cannot name.

    The line edit inside a combo box or spin box and a view's viewport are parts of a control
    that is checked itself.
    """
    missing = []
    for widget in [top, *top.findChildren(QWidget)]:
        if widget.focusPolicy() == Qt.FocusPolicy.NoFocus or widget.window() is not top.window():
            continue  # not focusable, or a popup of its own (a combo box's list)
        parent = widget.parent()
        if isinstance(parent, (QComboBox, QAbstractSpinBox)) or (
                isinstance(parent, QAbstractScrollArea) and parent.viewport() is widget):
            continue  # part of a control that is checked itself
        if widget.focusPolicy() & Qt.FocusPolicy.TabFocus and not spoken_name(widget):
            missing.append(f"{type(widget).__name__} {widget.objectName()!r} "
                           f"under {type(widget.parent()).__name__}")
    return missing


@pytest.fixture
def window(qtbot):
    window = MainWindow(16 * 1024**3, settings_from_env())
    qtbot.addWidget(window)
    window.show()
    yield window
    window.close()


def test_every_control_of_the_main_window_has_a_name(window):
    assert unnamed(window) == []


def test_every_control_of_settings_has_a_name(window):
    dialog = window.open_settings()
    assert unnamed(dialog) == []
    dialog.reject()


def test_every_control_of_the_models_window_has_a_name(window):
    window.open_model_manager()
    assert unnamed(window.model_manager) == []


def test_every_control_of_the_compare_window_has_a_name(window):
    assert unnamed(window.open_compare()) == []


def test_the_chart_and_icon_buttons_are_named_in_words(window):
    """Icon-only buttons and pictures say what they do, not their symbol."""
    assert spoken_name(window.starred_only) == "Show starred transcripts only"
    assert spoken_name(window.chart)
    assert spoken_name(window.waveform)
    assert spoken_name(window.player_bar.play_button)
