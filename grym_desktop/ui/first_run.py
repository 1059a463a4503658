"""The first-run screen: what is installed, the memory limit and why, where files go.

Shown once per settings (the QSettings key FIRST_RUN_KEY), from ui/app.py, never from
MainWindow itself, so the tests' windows open without it.
"""

from __future__ import annotations

import html
import os

from PySide6.QtCore import QCoreApplication, QSettings, Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from grym_desktop.memory.limits import DEFAULT_LIMIT, ENV_VAR, format_size
from grym_desktop.memory.state import read_state
from grym_desktop.models import sources
from grym_desktop.models.catalog import models_dir, transcription_models
from grym_desktop.paths import data_dir
from grym_desktop.settings import settings_path

FIRST_RUN_KEY = "first_run/shown"


def needs_first_run(settings: QSettings) -> bool:
    """True until the first-run screen has been shown with these settings."""
    return str(settings.value(FIRST_RUN_KEY, "")).lower() not in ("true", "1")


def limit_source(cli_value: str | None, setting: object) -> str:
    """Where the limit came from, in the order resolve_limit reads them."""
    if cli_value:
        return QCoreApplication.translate(
            "FirstRunDialog", "set with --memory-limit when the app was started")
    if os.environ.get(ENV_VAR, "").strip():
        return QCoreApplication.translate(
            "FirstRunDialog", "set by the environment variable {name}").format(name=ENV_VAR)
    if setting not in (None, ""):
        return QCoreApplication.translate("FirstRunDialog", "set in Settings")
    return QCoreApplication.translate("FirstRunDialog", "the default of {size}").format(
        size=format_size(DEFAULT_LIMIT))


def installed_models() -> list[tuple[str, str]]:
    """(name, where) of every installed model that can transcribe, the bundled one first."""
    statuses = [(spec, sources.status(spec)) for spec in transcription_models()]
    return [(spec.name, status.where) for spec, status in statuses if status.installed]


def bullets(items: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>"


class FirstRunDialog(QDialog):
    """One screen of facts about this installation, closed with one button."""

    def __init__(self, settings: QSettings, limit: int, source: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Welcome to grym-desktop"))
        self.setObjectName("first_run")
        welcome = self.tr("Welcome to grym-desktop")
        drop = self.tr("Drop audio or video files on the window to transcribe them.")
        text = QLabel(f"<h2>{welcome}</h2>" + self.models_html()
                      + self.memory_html(limit, source) + self.folders_html(settings)
                      + f"<p>{drop}</p>")
        text.setTextFormat(Qt.TextFormat.RichText)
        text.setWordWrap(True)
        text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        text.setAccessibleName(self.tr("About this installation"))
        self.text = text
        buttons = QDialogButtonBox()
        start = buttons.addButton(self.tr("Start"), QDialogButtonBox.ButtonRole.AcceptRole)
        start.setDefault(True)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(buttons)
        self.setMinimumWidth(560)
        self.setMaximumWidth(720)

    def models_html(self) -> str:
        """The installed models, and that the bundled one needs no network."""
        models = [f"{html.escape(name)} <i>({html.escape(where)})</i>"
                  for name, where in installed_models()]
        title = self.tr("What is installed")
        return (f"<h3>{title}</h3>" + bullets(models) + "<p>"
                + self.tr("Whisper tiny.en (English) comes with the app and works offline: "
                          "nothing you transcribe leaves this computer. Larger and "
                          "multilingual models can be downloaded from Models ▸ Models…")
                + "</p>")

    def memory_html(self, limit: int, source: str) -> str:
        """The limit, where it came from, and why there is one."""
        title = self.tr("Memory limit: {size}").format(size=format_size(limit))
        where = self.tr("The limit is {source}; this computer has {total} of memory.").format(
            source=html.escape(source), total=format_size(read_state(limit).total))
        why = self.tr("Speech models can take gigabytes. The app loads one model at a time, "
                      "refuses a model that would not fit before reading any of it (and says "
                      "what would fit), and stops a model that grows above the limit, so the "
                      "rest of the computer keeps working. Change the limit in Edit ▸ "
                      "Settings…")
        return f"<h3>{title}</h3><p>{where} {why}</p>"

    def folders_html(self, settings: QSettings) -> str:
        """Where the library, the models and the settings are kept."""
        items = (
            (self.tr("Library (transcripts, recordings)"), data_dir()),
            (self.tr("Models the app downloads or assembles"), models_dir()),
            (self.tr("Models from Hugging Face"), sources.hub_cache_dir()),
            (self.tr("Settings"), f"{settings.fileName()}, {settings_path()}"),
        )
        rows = [f"{html.escape(what)}: <tt>{html.escape(str(where))}</tt>"
                for what, where in items]
        title = self.tr("Where your files go")
        return f"<h3>{title}</h3>" + bullets(rows)


def show_first_run(settings: QSettings, limit: int, source: str,
                   parent: QWidget | None = None) -> FirstRunDialog | None:
    """Open the first-run screen over parent unless it was shown before; it is remembered
    as shown at once, so a crash while it is open does not bring it back."""
    if not needs_first_run(settings):
        return None
    settings.setValue(FIRST_RUN_KEY, True)
    settings.sync()
    dialog = FirstRunDialog(settings, limit, source, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()  # window-modal over the main window; the event loop keeps running
    return dialog
