"""The model manager window, offscreen: badges agree with `models list --json`, every column
shows at 1366 px, and a download started from the window shows progress and ends verified
(from a loopback hub)."""

from __future__ import annotations

import hashlib
import json

import pytest
from hub_server import HubServer
from PySide6.QtCore import Qt

from grym_desktop import cli
from grym_desktop.models import sources
from grym_desktop.models.catalog import ModelSpec, get_spec, load_catalog, spec_from_entry
from grym_desktop.ui.model_manager import FITS, NAME, SIZE, ModelManager

pytestmark = pytest.mark.gui

GiB = 1024**3
REPO = "Systran/faster-whisper-tiny.en"
COMMIT = "89abcdef0123456789abcdef0123456789abcdef"


def hub_tiny_en() -> tuple[ModelSpec, dict[str, bytes]]:
    """A catalog entry for the bundled tiny.en's files served by a loopback hub, and the files."""
    files = {p.name: p.read_bytes() for p in sources.resolve(get_spec("whisper-tiny.en")).iterdir()
             if p.is_file()}
    spec = spec_from_entry({
        "id": "hub-tiny.en", "name": "Whisper tiny.en from the hub", "engine": "ctranslate2",
        "capabilities": ["transcribe"], "languages": ["en"], "license": "MIT",
        "precisions": ["float32", "int8"], "parameters": 37764864,
        "sources": [{"type": "hf_hub", "repo": REPO, "revision": COMMIT}],
        "files": [{"path": n, "size": len(d), "sha256": hashlib.sha256(d).hexdigest()}
                  for n, d in files.items()],
    })
    return spec, files


def test_window_lists_the_catalog_with_the_badges_of_models_list(qtbot, hub_cache, capsys):
    assert cli.main(["--memory-limit", "8GiB", "models", "list", "--json"]) == 0
    listed = {m["id"]: m for m in json.loads(capsys.readouterr().out)["models"]}

    window = ModelManager(8 * GiB)
    qtbot.addWidget(window)
    window.show()
    assert set(window.items) == set(load_catalog()) == set(listed)
    for model_id, row in listed.items():
        badge = window.badge(model_id)
        assert badge.startswith("fits" if row["fits_any"] else "does not fit"), model_id
        assert window.state(model_id) == row["state"]
        assert window.rows[model_id].estimates == row["estimate_bytes"]
    # The cell leaves the budget to the line above the table; its tooltip repeats it.
    assert window.badge("qwen2-audio-7b-instruct") == "does not fit: needs 17.3 GiB in bfloat16"
    assert window.items["qwen2-audio-7b-instruct"].toolTip(FITS).startswith(
        "does not fit: needs 17.3 GiB in bfloat16, budget ")
    assert window.badge("whisper-tiny.en").startswith("fits: ")
    assert "Budget for a model now" in window.budget_label.text()
    # An installed bundled model can be verified but not downloaded again.
    window.select("whisper-tiny.en")
    assert not window.download_button.isEnabled() and window.verify_button.isEnabled()
    window.select("whisper-small")
    assert window.download_button.isEnabled() and not window.remove_button.isEnabled()


def test_download_from_the_window_shows_progress_and_ends_verified(qtbot, hub_cache,
                                                                     monkeypatch):
    spec, files = hub_tiny_en()
    window = ModelManager(16 * GiB, specs=[get_spec("whisper-tiny.en"), spec])
    qtbot.addWidget(window)
    window.show()
    assert window.state("hub-tiny.en") == "not installed"
    assert window.items["hub-tiny.en"].text(SIZE) == "74.5 MiB to download"
    progress_values, texts = [], []

    def seen(value: int) -> None:
        progress_values.append(value)
        texts.append(window.progress_label.text())

    window.progress_bar.valueChanged.connect(seen)
    with HubServer({REPO: files}, commit=COMMIT) as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        window.select("hub-tiny.en")
        qtbot.mouseClick(window.download_button, Qt.MouseButton.LeftButton)
        assert window.busy and window.progress_bar.isVisible()
        qtbot.waitUntil(lambda: not window.busy, timeout=60_000)
    assert "installed and verified" in window.status_label.text(), window.status_label.text()
    assert window.state("hub-tiny.en") == "installed"
    assert any(0 < v < 1000 for v in progress_values) and progress_values[-1] == 1000
    assert any(" of 74.5 MiB" in t and "/s" in t for t in texts)
    assert window.items["hub-tiny.en"].text(SIZE) == "74.5 MiB"
    assert not window.progress_bar.isVisible()


def test_every_column_shows_at_1366_px_without_a_horizontal_scrollbar(qtbot, hub_cache):
    window = ModelManager(16 * GiB)
    qtbot.addWidget(window)
    window.resize(1366, 700)
    window.show()
    qtbot.waitExposed(window)
    table, header = window.table, window.table.header()
    assert not table.horizontalScrollBar().isVisible()
    widths = [header.sectionSize(i) for i in range(header.count())]
    assert sum(widths) <= table.viewport().width(), widths
    # The Fits column ends inside the view, its text whole; only a long name may be elided.
    fits_right = header.sectionViewportPosition(FITS) + header.sectionSize(FITS)
    assert fits_right <= table.viewport().width()
    longest = max(window.items.values(), key=lambda item: len(item.text(FITS)))
    assert table.fontMetrics().horizontalAdvance(longest.text(FITS)) < header.sectionSize(FITS)
    assert header.sectionSize(NAME) > 200
    # The default size fits the screen (a 1366 x 768 laptop gets at most 1240 x 640).
    screen = window.screen().availableGeometry()
    default = ModelManager(16 * GiB)
    qtbot.addWidget(default)
    assert default.width() <= min(1240, screen.width()) and default.height() <= min(
        640, screen.height())


def test_a_model_assembled_on_first_use_shows_the_size_it_will_take(qtbot, hub_cache):
    spec = get_spec("whisper-base")
    st = sources.status(spec)
    if not (st.installed and st.path is None):
        pytest.skip("the whisper-base part packages are not installed, or it is assembled")
    window = ModelManager(16 * GiB, specs=[spec])
    qtbot.addWidget(window)
    item = window.items["whisper-base"]
    assert window.state("whisper-base") == "installed"
    assert item.text(SIZE) == "141 MiB once assembled"
    assert "assembled on first use" in item.toolTip(SIZE)


def test_main_window_opens_the_model_manager(qtbot, hub_cache):
    from grym_desktop.ui.main_window import MainWindow, settings_from_env

    main = MainWindow(16 * GiB, settings_from_env())
    qtbot.addWidget(main)
    main.show()
    qtbot.mouseClick(main.models_button, Qt.MouseButton.LeftButton)
    manager = main.model_manager
    assert manager.isVisible() and manager.windowTitle() == "Models"
    assert set(manager.items) == set(load_catalog())
