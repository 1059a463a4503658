"""The interface in German: with the German translator the menus and labels read German,
without it English; the German translation is complete and compiled; Settings keeps the
interface language for the next start."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialogButtonBox

from grym_desktop.ui.main_window import MainWindow, settings_from_env
from grym_desktop.ui.translation import install_translator, remove_translator, saved_language

pytestmark = [pytest.mark.gui]

ROOT = Path(__file__).resolve().parents[2]
TS = ROOT / "resources" / "translations" / "grym_desktop_de.ts"
BIN = Path(sys.executable).parent


def open_window(qtbot) -> MainWindow:
    window = MainWindow(16 * 1024**3, settings_from_env())
    qtbot.addWidget(window)
    window.show()
    return window


def menu_titles(window: MainWindow) -> list[str]:
    return [action.text() for action in window.menuBar().actions()]


@pytest.fixture
def german(qapp):
    translator = install_translator(qapp, "de")
    assert translator is not None, "the German .qm did not load"
    yield translator
    remove_translator(qapp, translator)


def test_with_the_german_translator_the_window_reads_german(german, qtbot):
    window = open_window(qtbot)
    assert menu_titles(window) == ["&Datei", "&Bearbeiten", "&Ansicht", "&Modelle", "&Hilfe"]
    file_menu = window.menuBar().actions()[0].menu()
    assert "Dateien ö&ffnen…" in [a.text() for a in file_menu.actions()]
    assert window.cancel_button.text() == "Abbrechen"
    assert window.transcript_title.full_text() == "Noch kein Transkript"
    assert window.model_label.full_text() == "Modell: keines geladen"
    assert window.history_sort.currentText() == "Neueste zuerst"
    dialog = window.open_settings()  # Qt's own buttons come from Qt's German words
    assert dialog.findChild(QDialogButtonBox).button(
        QDialogButtonBox.StandardButton.Cancel).text() == "Abbrechen"
    dialog.reject()
    assert window.memory_dock.windowTitle() == "Speicher"
    window.close()


def test_the_library_order_works_by_key_whatever_the_language(german, qtbot):
    """The order and length lists show German words but pass their English keys on."""
    window = open_window(qtbot)
    window.history_sort.setCurrentIndex(window.history_sort.findData("Name"))
    assert window.history_sort.currentText() == "Name"
    window.history_length.setCurrentIndex(window.history_length.findData("Over 1 hour"))
    assert window.history_length.currentText() == "Über 1 Stunde"
    window.close()


def test_without_a_translator_the_window_reads_english(qtbot):
    window = open_window(qtbot)
    assert menu_titles(window) == ["&File", "&Edit", "&View", "&Models", "&Help"]
    assert window.cancel_button.text() == "Cancel"
    assert window.transcript_title.full_text() == "No transcript yet"
    window.close()


def test_english_needs_no_translator(qapp):
    assert install_translator(qapp, "en") is None


def test_the_german_translation_is_complete_and_keeps_every_placeholder():
    messages = ET.parse(TS).getroot().iter("message")
    for message in messages:
        source = message.findtext("source")
        translation = message.find("translation")
        assert translation.get("type") is None, f"unfinished: {source!r}"
        assert translation.text, f"empty: {source!r}"
        assert (sorted(re.findall(r"\{[^}]*\}", source))
                == sorted(re.findall(r"\{[^}]*\}", translation.text))), source


@pytest.mark.skipif(not (BIN / "pyside6-lupdate").exists(), reason="pyside6-lupdate missing")
def test_the_translation_covers_every_string_of_the_code(tmp_path):
    """lupdate finds nothing new in the code: packaging/update_translations.sh was run."""
    ts = tmp_path / TS.name
    shutil.copy(TS, ts)
    sources = sorted(str(p) for p in (ROOT / "grym_desktop" / "ui").glob("*.py"))
    subprocess.run([str(BIN / "pyside6-lupdate"), "-no-obsolete", "-locations", "none",
                    *sources, "-ts", str(ts)], check=True, capture_output=True)
    unfinished = [m.findtext("source") for m in ET.parse(ts).getroot().iter("message")
                  if m.find("translation").get("type") == "unfinished"]
    assert unfinished == []


def test_settings_keeps_the_interface_language_for_the_next_start(qtbot):
    window = open_window(qtbot)
    dialog = window.open_settings()
    assert dialog.interface_box.currentData() == "system"
    dialog.interface_box.setCurrentIndex(dialog.interface_box.findData("de"))
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()
    assert saved_language(window.settings) == "de"
    again = window.open_settings()
    assert again.interface_box.currentText() == "Deutsch"
    again.reject()
    window.close()
