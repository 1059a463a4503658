"""Start the window: what `grym-desktop` and `grym-desktop FILE...` do.

One window per user and data folder: the window listens (ui/single_instance.py) for later
starts, which hand their files over and exit. Also the application's name, icon and appearance, the
first-run screen, and `--reset-settings`.
"""

from __future__ import annotations

import gc
import sys
from importlib import resources
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QSettings, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from grym_desktop.memory.limits import resolve_limit
from grym_desktop.settings import settings_path
from grym_desktop.store.library import Library
from grym_desktop.ui.appearance import follow_system
from grym_desktop.ui.first_run import limit_source, show_first_run
from grym_desktop.ui.main_window import MainWindow, settings_from_env
from grym_desktop.ui.single_instance import InstanceServer
from grym_desktop.ui.translation import install_translator, saved_language

APP_ID = "io.github.grym.Desktop"  # the desktop file's, the icon's and AppStream's id
ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)


def app_icon() -> QIcon:
    """The app's icon from the PNG sizes shipped in grym_desktop.resources/icons."""
    icon = QIcon()
    hicolor = resources.files("grym_desktop.resources") / "icons" / "hicolor"
    for size in ICON_SIZES:
        png = hicolor / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        if png.is_file():
            icon.addFile(str(png))
    return icon


def window_settings() -> QSettings:
    """The window's QSettings (the platform's place, or GRYM_DATA_DIR's), usable before
    any QApplication exists."""
    QCoreApplication.setOrganizationName("grym")
    QCoreApplication.setApplicationName("grym-desktop")
    return settings_from_env()


def prepare_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication with the app's names, icon and the system's light or dark look."""
    app = QApplication.instance() or QApplication(list(argv) if argv is not None
                                                  else sys.argv[:1])
    window_settings()
    QApplication.setDesktopFileName(APP_ID)
    app.setWindowIcon(app_icon())
    follow_system(app)
    return app


def bring_to_front(window: MainWindow) -> None:
    """Show the window on top, and above it a dialog that waits for an answer."""
    if window.isMinimized():
        window.showNormal()
    window.show()
    window.raise_()
    window.activateWindow()
    dialog = QApplication.activeModalWidget()
    if dialog is not None and dialog is not window:
        dialog.raise_()
        dialog.activateWindow()


def start_window(memory_limit: str | None = None, files: list[str] | None = None,
                 server_name: str | None = None) -> tuple[MainWindow, InstanceServer]:
    """Open the main window with files queued, listen for later starts, and show the
    first-run screen if it was never shown. Needs a QApplication."""
    settings = settings_from_env()
    limit = resolve_limit(memory_limit, settings.value("memory_limit"))
    library = Library()
    try:
        library.recover_interrupted()  # rows a crash left "running" become "incomplete"
    finally:
        library.close()
    window = MainWindow(limit, settings)
    window.show()
    server = InstanceServer(server_name, parent=window)

    def received(paths: list[str]) -> None:
        if paths:
            window.add_files(paths)
        bring_to_front(window)

    server.files_received.connect(received)
    server.listen()
    if files:  # as the library will name them, whatever the folder the app started in
        window.add_files([str(Path(f).resolve()) for f in files])
    QTimer.singleShot(0, window.offer_drafts)  # corrections a crash left unsaved
    source = limit_source(memory_limit, settings.value("memory_limit"))
    QTimer.singleShot(0, lambda: show_first_run(settings, limit, source, window))
    return window, server


def main(argv: list[str] | None = None, memory_limit: str | None = None,
         files: list[str] | None = None) -> int:
    """Open the main window with files queued and run the event loop; its exit code.

    The command line first gives the files to a window already open
    (single_instance.hand_over) and checks the X11 libraries (ui/platform_check.py)."""
    app = prepare_application(argv)
    # Here and not in prepare_application: tests build the app without switching language.
    install_translator(app, saved_language(window_settings()))
    window, _server = start_window(memory_limit, list(files or []))
    gc.freeze()  # what the window is made of lives as long as it: no collection walks it again
    return app.exec()


def reset_settings() -> list[str]:
    """Clear the window's QSettings and remove the core settings.json; the library and the
    models stay. Returns one sentence per thing done, for the command line."""
    settings = window_settings()
    settings.clear()
    settings.sync()
    done = [QCoreApplication.translate("App", "Cleared the window's settings in {path}.")
            .format(path=settings.fileName())]
    core = settings_path()
    if core.exists():
        core.unlink()
        done.append(QCoreApplication.translate(
            "App", "Removed the core settings (fallback models) {path}.").format(path=core))
    else:
        done.append(QCoreApplication.translate(
            "App", "There were no core settings at {path}.").format(path=core))
    done.append(QCoreApplication.translate(
        "App", "The library and the models are kept; the welcome screen shows again at the "
        "next start."))
    return done
