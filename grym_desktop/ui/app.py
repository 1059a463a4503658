"""Start the window: what `grym-desktop` does with no arguments."""

from __future__ import annotations

import gc
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from grym_desktop.memory.limits import resolve_limit
from grym_desktop.store.library import Library
from grym_desktop.ui.main_window import MainWindow, settings_from_env


def main(argv: list[str] | None = None, memory_limit: str | None = None) -> int:
    """Open the main window and run the Qt event loop; returns its exit code.

    The command line checks the X11 libraries first (ui/platform_check.py)."""
    app = QApplication.instance() or QApplication(list(argv) if argv is not None else sys.argv[:1])
    app.setApplicationName("grym-desktop")
    app.setOrganizationName("grym")
    settings = settings_from_env()
    limit = resolve_limit(memory_limit, settings.value("memory_limit"))
    library = Library()
    try:
        library.recover_interrupted()  # rows a crash left "running" become "incomplete"
    finally:
        library.close()
    window = MainWindow(limit, settings)
    window.show()
    gc.freeze()  # what the window is made of lives as long as it: no collection walks it again
    QTimer.singleShot(0, window.offer_drafts)  # corrections a crash left unsaved
    return app.exec()
