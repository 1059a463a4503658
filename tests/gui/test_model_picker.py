"""The main window's model picker, offscreen: installed models come first and are marked, and
choosing one that is not installed offers a download (from a loopback hub) that ends with the
model installed and selected; declined, the picker stays on the model it had."""

from __future__ import annotations

import pytest
from helpers import HELLO
from hub_server import HubServer
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QProgressBar, QPushButton
from test_model_manager import COMMIT, REPO, hub_tiny_en
from window_helpers import WAIT_MS, drop_files, finished, rows

from grym_desktop.models import catalog, sources
from grym_desktop.models.catalog import get_spec
from grym_desktop.ui.model_picker import OTHERS_HEADING, ModelPicker

pytestmark = pytest.mark.gui

GiB = 1024**3


def lines(picker: ModelPicker) -> list[str]:
    """The picker's list as a person reads it, separators left out."""
    return [picker.itemText(i) for i in range(picker.count()) if picker.itemText(i)]


def choose(qtbot, picker: ModelPicker, model_id: str) -> None:
    """Open the picker's list and click the line of model_id, as a person does."""
    picker.showPopup()
    view = picker.view()
    qtbot.waitUntil(view.isVisible)
    index = picker.model().index(picker.findData(model_id), 0)
    view.scrollTo(index)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton,
                     pos=view.visualRect(index).center())
    qtbot.waitUntil(lambda: not view.isVisible())


def button(box, text: str) -> QPushButton:
    return next(b for b in box.buttons() if b.text().replace("&", "") == text)


def test_installed_models_come_first_and_are_marked(qtbot, hub_cache):
    picker = ModelPicker(16 * GiB)
    qtbot.addWidget(picker)
    picker.show()
    shown = lines(picker)
    heading = shown.index(OTHERS_HEADING)
    installed, others = shown[:heading], shown[heading + 1:]
    assert installed[0] == "✓ whisper-tiny.en · installed"
    assert picker.current_model_id() == "whisper-tiny.en"
    assert picker.currentText() == "✓ whisper-tiny.en · installed"
    assert all(line.startswith("✓ ") and " · installed" in line for line in installed)
    expected = {s.id for s in catalog.transcription_models() if sources.status(s).installed}
    assert {line.split()[1] for line in installed} == expected
    assert not any("✓" in line for line in others) and len(others) > 20
    # Every other line says what it costs: download size, memory, and whether it fits.
    for line in others:
        assert "memory in" in line and ("· fits" in line or "does not fit" in line), line
    assert any(line.startswith("whisper-small · 464 MiB download · ") for line in others)
    assert any(line.startswith("qwen2-audio-7b-instruct · 15.6 GiB download · 17.3 GiB memory")
               and line.endswith(" budget") for line in others)
    # The heading between the two parts cannot be chosen.
    assert not picker.model().item(picker.findText(OTHERS_HEADING)).isEnabled()


def test_a_model_that_cannot_fit_is_explained_not_offered(qtbot, hub_cache):
    picker = ModelPicker(16 * GiB)
    qtbot.addWidget(picker)
    picker.show()
    choose(qtbot, picker, "qwen2-audio-7b-instruct")
    notice = picker.prompt
    assert notice is not None and notice.isVisible()
    assert notice.text().startswith(
        "qwen2-audio-7b-instruct does not fit: needs 17.3 GiB in bfloat16, budget ")
    assert [b.text() for b in notice.buttons()] == ["OK"]
    qtbot.mouseClick(button(notice, "OK"), Qt.MouseButton.LeftButton)
    assert picker.current_model_id() == "whisper-tiny.en" and picker.job is None


def test_declining_the_download_keeps_the_model_it_had(qtbot, hub_cache):
    spec, _files = hub_tiny_en()
    picker = ModelPicker(16 * GiB, specs=[get_spec("whisper-tiny.en"), spec])
    qtbot.addWidget(picker)
    picker.show()
    choose(qtbot, picker, "hub-tiny.en")
    prompt = picker.prompt
    assert prompt is not None and prompt.isVisible()
    assert prompt.text() == "Download hub-tiny.en (74.5 MiB)?"
    assert "within the current budget" in prompt.informativeText()
    qtbot.mouseClick(button(prompt, "Cancel"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not prompt.isVisible())
    assert picker.current_model_id() == "whisper-tiny.en"
    assert picker.currentText() == "✓ whisper-tiny.en · installed"
    assert picker.job is None and picker.progress_dialog is None


def test_a_model_not_installed_is_downloaded_and_selected(qtbot, hub_cache, monkeypatch):
    spec, files = hub_tiny_en()
    picker = ModelPicker(16 * GiB, specs=[get_spec("whisper-tiny.en"), spec])
    qtbot.addWidget(picker)
    picker.show()
    assert picker.itemText(picker.findData("hub-tiny.en")).startswith(
        "hub-tiny.en · 74.5 MiB download · ")

    with HubServer({REPO: files}, commit=COMMIT) as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        choose(qtbot, picker, "hub-tiny.en")
        prompt = picker.prompt
        assert prompt.text() == "Download hub-tiny.en (74.5 MiB)?"
        # While the person decides, the picker still shows the model the next file would use.
        assert picker.current_model_id() == "whisper-tiny.en"
        with qtbot.waitSignal(picker.model_ready, timeout=60_000) as ready:
            qtbot.mouseClick(button(prompt, "Download"), Qt.MouseButton.LeftButton)
            dialog = picker.progress_dialog
            assert dialog is not None and dialog.isVisible()
            values: list[int] = []
            dialog.findChild(QProgressBar).valueChanged.connect(values.append)
    assert ready.args == ["hub-tiny.en"]
    assert any(0 < v <= 1000 for v in values)
    assert picker.progress_dialog is None and picker.job is None
    assert picker.current_model_id() == "hub-tiny.en"
    assert picker.currentText() == "✓ hub-tiny.en · installed"
    assert lines(picker)[:2] == ["✓ whisper-tiny.en · installed", "✓ hub-tiny.en · installed"]
    assert sources.status(spec).installed


@pytest.mark.integration
def test_main_window_downloads_from_its_picker_transcribes_and_remembers_the_model(
        qtbot, hub_cache, monkeypatch):
    from grym_desktop.ui.main_window import MainWindow, settings_from_env

    spec, files = hub_tiny_en()
    builtin = catalog.builtin_catalog()
    monkeypatch.setattr(catalog, "builtin_catalog", lambda: {**builtin, spec.id: spec})
    window = MainWindow(16 * GiB, settings_from_env())
    qtbot.addWidget(window)  # closed at teardown, which shuts the worker and its host down
    window.show()
    picker = window.model_box
    assert isinstance(picker, ModelPicker) and picker.current_model_id() == "whisper-tiny.en"

    with HubServer({REPO: files}, commit=COMMIT) as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        choose(qtbot, picker, "hub-tiny.en")
        with qtbot.waitSignal(picker.model_ready, timeout=60_000):
            qtbot.mouseClick(button(picker.prompt, "Download"), Qt.MouseButton.LeftButton)
    assert picker.currentText() == "✓ hub-tiny.en · installed"

    drop_files(window.drop_zone, [HELLO])
    qtbot.waitUntil(lambda: finished(window, 1), timeout=WAIT_MS)
    assert rows(window)[0][1].startswith("done")
    assert " · hub-tiny.en · " in window.transcript_title.full_text()
    assert not window.fallback_label.isVisible()
    assert "world" in window.transcript_view.toPlainText().lower()

    # The next start shows the same model (the setting keeps its plain id).
    window.close()
    again = MainWindow(16 * GiB, settings_from_env())
    qtbot.addWidget(again)
    assert again.model_box.current_model_id() == "hub-tiny.en"
    assert again.model_box.currentText() == "✓ hub-tiny.en · installed"
