"""Light or dark, as the system says: Qt 6's colour scheme, the Fusion style, a dark palette.

On Linux the Fusion style is used so both palettes draw the same widgets; the palette
follows QStyleHints.colorScheme() and changes when the system's scheme changes. The
charts keep their white plot area in both (their colours are chosen for it).
"""

from __future__ import annotations

import sys

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

SCHEMES = ("system", "light", "dark")

_DARK = {  # role -> colour, for the Active and Inactive groups
    QPalette.ColorRole.Window: "#2b2d30",
    QPalette.ColorRole.WindowText: "#e8e8e8",
    QPalette.ColorRole.Base: "#1f2023",
    QPalette.ColorRole.AlternateBase: "#2f3134",
    QPalette.ColorRole.ToolTipBase: "#3a3d41",
    QPalette.ColorRole.ToolTipText: "#f0f0f0",
    QPalette.ColorRole.PlaceholderText: "#8c8f94",
    QPalette.ColorRole.Text: "#e8e8e8",
    QPalette.ColorRole.Button: "#35373b",
    QPalette.ColorRole.ButtonText: "#e8e8e8",
    QPalette.ColorRole.BrightText: "#ff6b6b",
    QPalette.ColorRole.Light: "#4a4d52",
    QPalette.ColorRole.Midlight: "#3f4246",
    QPalette.ColorRole.Mid: "#2a2c2f",
    QPalette.ColorRole.Dark: "#1a1b1d",
    QPalette.ColorRole.Shadow: "#0d0d0e",
    QPalette.ColorRole.Highlight: "#3d7cc9",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.Link: "#7fb2f0",
    QPalette.ColorRole.LinkVisited: "#b596e8",
}
_DARK_DISABLED = {
    QPalette.ColorRole.WindowText: "#7d8085",
    QPalette.ColorRole.Text: "#7d8085",
    QPalette.ColorRole.ButtonText: "#7d8085",
    QPalette.ColorRole.Highlight: "#4a4d52",
    QPalette.ColorRole.HighlightedText: "#a0a0a0",
}


def dark_palette() -> QPalette:
    """A dark palette for the Fusion style: light text on dark grey, a blue highlight."""
    palette = QPalette()
    for role, colour in _DARK.items():
        palette.setColor(role, QColor(colour))
    for role, colour in _DARK_DISABLED.items():
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(colour))
    return palette


def system_is_dark() -> bool:
    """True when the system asks for a dark appearance (Qt 6.5+ colour scheme)."""
    return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark


def apply_appearance(app: QApplication, scheme: str = "system") -> bool:
    """Set the style and the palette for scheme ("system", "light" or "dark"); True if dark."""
    if sys.platform.startswith("linux"):
        app.setStyle("Fusion")
    dark = scheme == "dark" or (scheme == "system" and system_is_dark())
    app.setPalette(dark_palette() if dark else app.style().standardPalette())
    for widget in app.allWidgets():  # a style sheet keeps the palette it was first drawn with
        if widget.styleSheet():
            widget.setStyleSheet(widget.styleSheet())
    return dark


def follow_system(app: QApplication) -> None:
    """Apply the system's scheme now and again whenever it changes."""
    apply_appearance(app)
    app.styleHints().colorSchemeChanged.connect(lambda _scheme: apply_appearance(app))
