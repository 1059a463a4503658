"""The real window with the real orchestrator, model host and tiny.en model, driven offscreen."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from helpers import HELLO, as_if_its_writer_died, speech
from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtWidgets import QApplication
from window_helpers import WAIT_MS, drop_files, finished, rows

from grym_desktop.store.library import Library
from grym_desktop.ui.main_window import MainWindow, settings_from_env

pytestmark = [pytest.mark.gui, pytest.mark.integration]


@pytest.fixture
def window(qtbot):
    w = MainWindow(16 * 1024**3, settings_from_env())
    qtbot.addWidget(w)  # closed at teardown, which shuts the worker and its host down
    w.show()
    return w


def test_dropped_file_is_transcribed_live_with_memory_chart(qtbot, window, tmp_path):
    drop_files(window.drop_zone, [HELLO])
    assert rows(window) == [("hello_world.wav", "queued")]
    qtbot.waitUntil(lambda: finished(window, 1), timeout=WAIT_MS)

    assert rows(window)[0][1].startswith("done")
    text = window.transcript_view.toPlainText()
    assert text.startswith("[00:00.00 → ")
    for word in ("hello", "world", "test"):
        assert word in text.lower()
    assert "whisper-tiny.en" in window.model_label.full_text()
    assert window.pressure_label.full_text().startswith("Memory: normal")
    # The chart sampled the live model host, which holds the model.
    qtbot.waitUntil(lambda: window.chart.samples()["host_rss"].max() > 50 * 1024**2,
                    timeout=10_000)
    labels = [line.text for _, line in window.chart.markers]
    assert "load whisper-tiny.en" in labels and "start hello_world.wav" in labels

    # It is in the history; the export writes it out.
    assert window.history.count() == 1 and "hello_world.wav" in window.history.item(0).text()
    assert window.export_row.button.isEnabled()
    srt = window.export_row.export_to(str(tmp_path / "out"), "srt")
    assert srt == tmp_path / "out" / "hello_world.srt"
    assert "00:00:00,000 --> " in srt.read_text() and "world" in srt.read_text().lower()


def test_corrupt_file_fails_in_its_row_and_the_queue_goes_on(qtbot, window, tmp_path):
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(np.random.default_rng(0).bytes(20_000))
    drop_files(window.drop_zone, [corrupt, HELLO])
    qtbot.waitUntil(lambda: finished(window, 2), timeout=WAIT_MS)

    (bad_name, bad_status), (good_name, good_status) = rows(window)
    assert bad_name == "corrupt.wav" and good_name == "hello_world.wav"
    assert bad_status.startswith("failed: ") and "corrupt.wav" in bad_status
    assert "\n" not in bad_status and "Traceback" not in bad_status
    assert good_status.startswith("done")
    assert "hello world" in window.transcript_view.toPlainText().lower().replace(",", "")
    assert QApplication.activeModalWidget() is None
    history = [window.history.item(i).text() for i in range(window.history.count())]
    assert history[0].startswith("hello_world.wav")


def test_cancel_stops_a_long_file_and_the_next_one_still_runs(qtbot, window, tmp_path):
    audio, rate = sf.read(HELLO, dtype="float32")
    spoken = np.concatenate([audio, np.zeros(12 * rate, dtype="float32")])
    long = tmp_path / "long.wav"
    sf.write(long, np.tile(spoken, 20), rate)  # five minutes: a phrase every 15 seconds
    window.add_files([str(long), str(HELLO)])
    qtbot.waitUntil(lambda: window.transcript_view.toPlainText().strip() != "", timeout=WAIT_MS)
    assert window.cancel_button.isEnabled()
    qtbot.mouseClick(window.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: finished(window, 2), timeout=WAIT_MS)

    assert rows(window) == [("long.wav", "cancelled"), ("hello_world.wav", "done · 1 segment")]
    assert "world" in window.transcript_view.toPlainText().lower()
    history = [window.history.item(i).text() for i in range(window.history.count())]
    assert history[1].startswith("⚠ long.wav") and "cancelled" in history[1]


def test_remove_drops_a_queued_file_before_it_starts(qtbot, window, tmp_path):
    first = tmp_path / "first.wav"
    first.write_bytes(HELLO.read_bytes())
    window.add_files([str(first), str(HELLO)])  # the first keeps the worker busy for a while
    window.queue.topLevelItem(1).setSelected(True)
    qtbot.mouseClick(window.remove_button, Qt.MouseButton.LeftButton)
    assert [name for name, _ in rows(window)] == ["first.wav"]
    qtbot.waitUntil(lambda: finished(window, 1), timeout=WAIT_MS)
    assert rows(window)[0][1].startswith("done")
    assert [Path(r.file).name for r in Library().list_transcripts()] == ["first.wav"]


def test_history_click_shows_a_past_transcript(qtbot, window):
    drop_files(window.drop_zone, [HELLO])
    qtbot.waitUntil(lambda: finished(window, 1), timeout=WAIT_MS)
    window.transcript_view.clear()
    item = window.history.item(0)
    centre = window.history.visualItemRect(item).center()
    qtbot.mouseClick(window.history.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    assert "world" in window.transcript_view.toPlainText().lower()
    assert "hello_world.wav" in window.transcript_title.full_text()


def test_window_remembers_geometry_model_and_export_folder(qtbot, tmp_path):
    first = MainWindow(16 * 1024**3, settings_from_env())
    qtbot.addWidget(first)
    first.show()
    # Within the offscreen screen (800 x 800) and not the default size (nine tenths of it).
    target = QSize(first.minimumSizeHint().width(), 660)
    first.resize(target)
    first.settings.setValue("export_dir", str(tmp_path))
    first.close()
    second = MainWindow(16 * 1024**3, settings_from_env())
    qtbot.addWidget(second)
    assert second.size() == target
    assert second.model_box.current_model_id() == "whisper-tiny.en"
    assert second.settings.value("export_dir") == str(tmp_path)


def test_app_main_recovers_interrupted_rows_and_applies_the_limit(qtbot, data_dir):
    from grym_desktop.ui import app

    library = Library()
    stuck = library.begin_transcript("/audio/crash.wav", "whisper-tiny.en", "ctranslate2",
                                     "int8", 9.0)
    as_if_its_writer_died(library.path, stuck)
    seen = {}

    def close_window():
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, MainWindow) and widget.isVisible():
                seen["limit"] = widget.limit_bytes
                seen["history"] = widget.history.item(0).text()
                widget.close()
        QApplication.instance().quit()

    # Quit only by the explicit quit(): the quit Qt posts when the last window closes would be
    # delivered after exec() returned and make every later test's event loop return at once.
    qapp = QApplication.instance()
    qapp.setQuitOnLastWindowClosed(False)
    QTimer.singleShot(500, close_window)
    try:
        assert app.main([], memory_limit="3GiB") == 0
    finally:
        qapp.setQuitOnLastWindowClosed(True)
    assert seen["limit"] == 3 * 1024**3
    assert seen["history"].startswith("⚠ crash.wav") and "incomplete" in seen["history"]
    assert Library().list_transcripts()[0].id == stuck
    assert Library().list_transcripts()[0].status == "incomplete"


def test_window_process_never_imports_model_runtimes():
    code = (
        "import sys; from PySide6.QtWidgets import QApplication; app = QApplication([]);"
        "from grym_desktop.ui.main_window import MainWindow; import grym_desktop.ui.app;"
        "from grym_desktop.ui.main_window import settings_from_env;"
        "w = MainWindow(2**33, settings_from_env()); w.close();"
        "print(sorted(m for m in ('torch', 'transformers', 'ctranslate2', 'faster_whisper')"
        " if m in sys.modules))"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=120, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_broken_settings_file_fails_each_file_with_its_sentence(qtbot, tmp_path):
    config = Path(os.environ["GRYM_CONFIG_DIR"])
    config.mkdir(parents=True)
    (config / "settings.json").write_text("{ not json")
    window = MainWindow(16 * 1024**3, settings_from_env())
    qtbot.addWidget(window)
    window.show()
    drop_files(window.drop_zone, [HELLO])
    qtbot.waitUntil(lambda: finished(window, 1), timeout=WAIT_MS)
    status = rows(window)[0][1]
    assert status.startswith("failed: The settings file ") and "is not valid" in status
    assert "settings.json" in window.statusBar().currentMessage()


def test_a_file_cut_short_shows_its_text_and_says_it_was_cut_short(qtbot, window, tmp_path):
    speech, rate = sf.read(HELLO, dtype="float32")
    path = tmp_path / "cut.wav"
    sf.write(path, np.concatenate([speech, np.zeros(rate * 4, np.float32), speech]), rate,
             subtype="PCM_16")
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * 0.5)])  # the header still promises all of it

    drop_files(window.drop_zone, [path])
    qtbot.waitUntil(lambda: finished(window, 1), timeout=WAIT_MS)
    assert "hello" in window.transcript_view.toPlainText().lower()
    assert "incomplete" in window.transcript_title.full_text()
    assert window.fallback_label.isVisible()
    assert "cut short" in window.fallback_label.text()


def test_a_short_files_first_sentence_shows_before_the_file_is_done(qtbot, window, tmp_path):
    path = tmp_path / "three_sentences.wav"
    sf.write(path, speech(), 16000)  # about 15 s: one Whisper window
    seen = []  # (queue status, transcript view text) as each segment arrived
    options = []

    def on_segment(task_id, _segment):
        seen.append((rows(window)[0][1], window.transcript_view.toPlainText()))
        options.append(window.tasks[task_id].request.options)

    window.worker.segment_added.connect(on_segment)
    drop_files(window.drop_zone, [path])
    qtbot.waitUntil(lambda: finished(window, 1), timeout=WAIT_MS)

    assert rows(window)[0][1].startswith("done")
    assert len(seen) >= 2
    status, text = seen[0]
    assert not status.startswith("done") and "hello world" in text.lower()
    assert "fox" not in text.lower()  # the last sentence was still to come
    # The window asks for the file piece by piece (the engine test shows what that does).
    assert options[0].early_segments
    assert "fox" in window.transcript_view.toPlainText().lower()
