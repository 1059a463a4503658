"""The window's parts on their own: drop zone, memory chart, history list."""

import os

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from grym_desktop.memory.sampler import MemorySample
from grym_desktop.store.library import Library
from grym_desktop.transcript import Segment, Transcript
from grym_desktop.ui.drop_zone import DropZone
from grym_desktop.ui.history import HistoryList
from grym_desktop.ui.memory_chart import MIB, MemoryChart, Ring

pytestmark = pytest.mark.gui


def drop(widget, urls: list[QUrl]) -> tuple[bool, bool]:
    """Drag urls onto widget and drop them, as a file manager would; (enter, drop) accepted."""
    mime = QMimeData()
    mime.setUrls(urls)
    centre = widget.rect().center()
    enter = QDragEnterEvent(
        QPoint(centre), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(widget, enter)
    event = QDropEvent(
        QPointF(centre), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(widget, event)
    return enter.isAccepted(), event.isAccepted()


def test_drop_zone_emits_every_dropped_file(qtbot, tmp_path):
    zone = DropZone()
    qtbot.addWidget(zone)
    zone.show()
    assert "Drop audio or video files here" in zone.label.text()
    files = [tmp_path / "a b.wav", tmp_path / "c.mp3"]
    for f in files:
        f.write_bytes(b"x")
    with qtbot.waitSignal(zone.files_dropped, timeout=5000) as blocker:
        accepted = drop(zone, [QUrl.fromLocalFile(str(f)) for f in files])
    assert accepted == (True, True)
    assert blocker.args == [[str(f) for f in files]]


def test_drop_zone_refuses_remote_urls(qtbot):
    zone = DropZone()
    qtbot.addWidget(zone)
    zone.show()
    with qtbot.assertNotEmitted(zone.files_dropped):
        accepted = drop(zone, [QUrl("https://example.com/talk.mp3")])
    assert accepted == (False, False)


def test_ring_keeps_the_newest_rows_in_order():
    ring = Ring(5, 2)
    for i in range(23):
        ring.append((i, 10 * i))
    assert ring.view()[:, 0].tolist() == [18, 19, 20, 21, 22]
    assert ring.view()[:, 1].tolist() == [180, 190, 200, 210, 220]


def sample(t: float, gui: int, host: int, used: int) -> MemorySample:
    return MemorySample(time=t, gui_rss=gui, host_rss=host, system_used=used, system_available=0)


def test_chart_plots_samples_in_mib_and_slides_its_window(qtbot):
    chart = MemoryChart(window_seconds=60, interval_ms=250)
    qtbot.addWidget(chart)
    chart.set_limits(4096 * MIB, 3000 * MIB)
    chart.add_sample(sample(1000.0, 100 * MIB, 0, 2000 * MIB))
    chart.add_marker("load", "load whisper-tiny.en")
    for i in range(1, 400):
        chart.add_sample(sample(1000.0 + i * 0.25, 100 * MIB, 200 * MIB, 2100 * MIB))
    chart.add_marker("start", "start hello.wav")

    x, y = chart.curves["host_rss"].getData()
    assert x[-1] == pytest.approx(399 * 0.25)
    assert x[0] >= x[-1] - 60  # only the last minute is drawn
    assert np.allclose(10 ** y, 200)  # drawn on a log scale
    _, limit = chart.limit_curve.getData()
    _, budget = chart.budget_curve.getData()
    assert np.allclose(10 ** limit, [4096, 4096]) and np.allclose(10 ** budget, [3000, 3000])
    # The load marker at t=0 slid out of the window; the task start is at the newest sample.
    assert [line.value() for _, line in chart.markers] == [pytest.approx(399 * 0.25)]
    assert chart.markers[0][1].label.toPlainText() == "start hello.wav"
    view_range = chart.getPlotItem().viewRange()
    # Log scale: the limit line and the 100 MiB window are both in view.
    assert 10 ** view_range[1][0] < 100 and 10 ** view_range[1][1] > 4096


def test_chart_timer_samples_the_given_process(qtbot):
    chart = MemoryChart(interval_ms=50)
    qtbot.addWidget(chart)
    chart.start(os.getpid)  # this test process stands in for the model host
    qtbot.waitUntil(lambda: len(chart.samples()["time"]) >= 3, timeout=10000)
    chart.stop()
    data = chart.samples()
    assert np.all(data["host_rss"] > 0)
    assert np.all(data["gui_rss"] > 0)
    assert np.all(np.diff(data["time"]) > 0)


def test_history_lists_library_rows_and_marks_unfinished(qtbot, data_dir):
    library = Library()
    done = library.begin_transcript("/audio/meeting.wav", "whisper-tiny.en", "ctranslate2",
                                    "int8", 3.0)
    t = Transcript("/audio/meeting.wav", "whisper-tiny.en", "ctranslate2", "int8", "en", 3.0,
                   segments=[Segment(0.0, 1.5, " hello there")])
    library.finish_transcript(done, t)
    failed = library.begin_transcript("/audio/broken.wav", "whisper-tiny.en", "ctranslate2",
                                      "int8", 1.0)
    library.fail_transcript(failed, "The file broken.wav is not audio.")
    cut = library.begin_transcript("/audio/long.wav", "whisper-tiny.en", "ctranslate2",
                                   "int8", 60.0)
    library.add_segment(cut, Segment(0.0, 2.0, " first words"))
    assert (data_dir / "library.sqlite3").exists()
    assert Library().recover_interrupted() == 1  # as at the next start after a crash

    history = HistoryList()
    qtbot.addWidget(history)
    history.resize(600, 300)
    history.show()
    history.refresh(Library())
    texts = [history.item(i).text() for i in range(history.count())]
    assert len(texts) == 3
    assert texts[0].startswith("⚠ long.wav") and "incomplete, 1 segments" in texts[0]
    assert texts[1].startswith("✗ broken.wav")
    assert "failed: The file broken.wav is not audio." in texts[1]
    assert texts[2].startswith("meeting.wav") and "✗" not in texts[2] and "⚠" not in texts[2]

    with qtbot.waitSignal(history.transcript_chosen) as blocker:
        centre = history.visualItemRect(history.item(2)).center()
        qtbot.mouseClick(history.viewport(), Qt.MouseButton.LeftButton, pos=centre)
        qtbot.mouseDClick(history.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    assert blocker.args == [done]
    assert Library().load_transcript(done).text == "hello there"
