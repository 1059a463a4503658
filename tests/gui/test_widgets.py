"""The window's parts on their own: drop zone, memory chart, history list, export row, the
task record and the job thread."""

import os
import threading

import numpy as np
import pytest
from helpers import as_if_its_writer_died
from PySide6.QtCore import QMimeData, QPoint, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from grym_desktop.errors import (
    GrymError,
    MemoryRefusedError,
    ModelMissingError,
    TaskCancelledError,
)
from grym_desktop.memory.sampler import MemorySample
from grym_desktop.orchestrator import events as ev
from grym_desktop.orchestrator.runner import TranscribeTask
from grym_desktop.store.library import Library
from grym_desktop.transcript import Segment, Transcript, clock
from grym_desktop.ui.drop_zone import DropZone
from grym_desktop.ui.history import HistoryList
from grym_desktop.ui.jobs import JobThread
from grym_desktop.ui.memory_chart import MIB, MemoryChart, Ring
from grym_desktop.ui.transcript_editor import segment_line
from grym_desktop.ui.widgets import ExportRow
from grym_desktop.ui.worker import Status, TaskRecord

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
    assert zone.label.full_text() == "Drop audio or video files here"
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

    x, y = chart.curves["app_rss"].getData()
    assert x[-1] == pytest.approx(399 * 0.25)
    assert x[0] >= x[-1] - 60  # only the last minute is drawn
    # The host is stacked on the window: the top edge is what counts against the limit.
    assert np.allclose(10 ** y, 300)  # drawn on a log scale
    _, window = chart.curves["gui_rss"].getData()
    assert np.allclose(10 ** window, 100)
    _, limit = chart.limit_curve.getData()
    _, budget = chart.budget_curve.getData()
    assert np.allclose(10 ** limit, [4096, 4096]) and np.allclose(10 ** budget, [3000, 3000])
    # The load marker at t=0 slid out of the window; the task start is at the newest sample.
    assert [line.value() for _, line in chart.markers] == [pytest.approx(399 * 0.25)]
    assert chart.markers[0][1].text == "start hello.wav"
    assert chart.events.texts() == ["1:40 start hello.wav"]  # the strip under the chart too
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
    as_if_its_writer_died(data_dir / "library.sqlite3", cut)
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


def test_a_task_record_takes_its_status_from_the_error_class():
    record = TaskRecord(TranscribeTask("/audio/a.wav"))
    assert record.status == Status.QUEUED and not record.ended
    assert record.with_error("Cancelled.", TaskCancelledError).status == Status.CANCELLED
    refused = record.with_error("Refused to load.", MemoryRefusedError)
    assert refused.status == Status.REFUSED and refused.ended
    assert refused.error == "Refused to load." and record.status == Status.QUEUED
    assert record.with_error("Missing.", ModelMissingError).status == Status.FAILED
    assert record.with_error("A bug.", ValueError).status == Status.FAILED
    # The orchestrator reports the error's name; the event gives back its class.
    failed = ev.TaskFailed(record.id, record.path, "Refused.", "MemoryRefusedError")
    assert failed.error_class is MemoryRefusedError
    assert ev.TaskFailed(1, "x", "?", "NoSuchError").error_class is GrymError


def test_segment_lines_read_as_a_clock_with_hours_only_past_an_hour():
    assert segment_line(Segment(1.2, 65.204, " hello ")) == "[00:01.20 → 01:05.20] hello"
    assert segment_line(Segment(3661.5, 3662, "late")) == "[1:01:01.50 → 1:01:02.00] late"
    assert clock(59.6, decimals=0) == "01:00" and clock(-0.01) == "00:00.00"


def test_job_thread_runs_calls_in_order_off_the_gui_thread():
    jobs = JobThread("grym-test-jobs")
    seen = []
    jobs.submit(lambda: seen.append(("first", threading.get_ident())))
    jobs.submit(lambda: seen.append(("second", threading.get_ident())))
    jobs.start()
    jobs.stop()
    assert [name for name, _ in seen] == ["first", "second"]
    assert {ident for _, ident in seen} != {threading.get_ident()}
    assert not jobs.qthread.isRunning()


def test_export_row_writes_the_transcript_and_remembers_folder_and_format(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    row = ExportRow(settings)
    qtbot.addWidget(row)
    assert not row.button.isEnabled() and row.export_to(str(tmp_path), "txt") is None
    row.set_transcript(Transcript("/audio/talk.wav", "whisper-tiny.en", "ctranslate2", "int8",
                                  "en", 2.0, segments=[Segment(0.0, 2.0, " hello there")]))
    assert row.button.isEnabled()
    row.format_box.setCurrentText("vtt")
    with qtbot.waitSignal(row.exported) as exported:
        path = row.export_to(str(tmp_path / "out"), row.format_box.currentText())
    assert path == exported.args[0] == tmp_path / "out" / "talk.vtt"
    assert "hello there" in path.read_text()
    assert settings.value("export_dir") == str(tmp_path / "out")
    assert ExportRow(settings).format_box.currentText() == "vtt"
    with qtbot.waitSignal(row.failed) as failed:
        assert row.export_to(str(tmp_path / "out"), "docx") is None
    assert failed.args[0]
