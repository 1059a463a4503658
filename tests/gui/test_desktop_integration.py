"""The window as a desktop application: the first-run screen shows once, a second
`grym-desktop FILE` gives FILE to the window already open, --reset-settings forgets the
settings and keeps the library, and the light and dark appearances."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest
from helpers import HELLO
from PySide6.QtCore import QDir, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QLabel, QPushButton
from window_helpers import WAIT_MS, finished, rows

from grym_desktop.settings import Settings, save_settings, settings_path
from grym_desktop.store.library import Library
from grym_desktop.ui.app import start_window, window_settings
from grym_desktop.ui.appearance import apply_appearance
from grym_desktop.ui.first_run import FirstRunDialog
from grym_desktop.ui.single_instance import InstanceServer, send_to_running, server_name

pytestmark = pytest.mark.gui


def open_app(qtbot):
    """start_window as `grym-desktop` runs it; the window closes (and stops listening) at
    the end of the test."""
    window, server = start_window()
    qtbot.addWidget(window)
    return window, server


def first_run_dialog() -> FirstRunDialog | None:
    shown = [w for w in QApplication.topLevelWidgets()
             if isinstance(w, FirstRunDialog) and w.isVisible()]
    return shown[0] if shown else None


def test_first_run_screen_shows_once(qtbot, data_dir):
    window, server = open_app(qtbot)
    qtbot.waitUntil(lambda: first_run_dialog() is not None, timeout=10_000)
    dialog = first_run_dialog()
    text = "\n".join(label.text() for label in dialog.findChildren(QLabel))
    assert "Whisper tiny.en" in text and "works offline" in text
    assert "Memory limit: 16 GiB" in text and "the default of 16 GiB" in text
    assert str(data_dir) in text  # where the library goes
    start = next(b for b in dialog.findChildren(QPushButton) if b.text() == "Start")
    qtbot.mouseClick(start, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: first_run_dialog() is None)
    window.close()
    server.close()

    second, second_server = open_app(qtbot)
    qtbot.wait(500)  # the first run's screen would have opened by now
    assert first_run_dialog() is None
    assert second.isVisible()
    second_server.close()


def test_files_named_at_start_are_queued(qtbot, monkeypatch):
    monkeypatch.chdir(HELLO.parent)
    window, server = start_window(files=[HELLO.name])  # `grym-desktop hello_world.wav`
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: finished(window, 1), timeout=WAIT_MS)
    assert rows(window)[0][0] == HELLO.name and rows(window)[0][1].startswith("done")
    server.close()


def start_again(qtbot, *args: str, cwd=None) -> str:
    """Run `grym-desktop ARGS` as a file manager does, while the test's window runs; its
    output. It must hand over and exit 0, not open a second window."""
    second = subprocess.Popen(
        [sys.executable, "-m", "grym_desktop", *args], cwd=cwd, env=dict(os.environ),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        qtbot.waitUntil(lambda: second.poll() is not None, timeout=60_000)
    finally:
        if second.poll() is None:  # it opened a window of its own instead
            second.kill()
    out, err = second.communicate()
    assert second.returncode == 0, err
    return out


def test_a_second_start_gives_its_file_to_the_open_window(qtbot, data_dir):
    window, _server = open_app(qtbot)
    qtbot.waitUntil(lambda: first_run_dialog() is not None)
    first_run_dialog().accept()
    # The desktop file's "grym-desktop %F", with a path relative to another folder.
    out = start_again(qtbot, HELLO.name, cwd=HELLO.parent)

    assert "already open: the files went to its window" in out
    qtbot.waitUntil(lambda: finished(window, 1), timeout=WAIT_MS)
    assert rows(window)[0][0] == HELLO.name and rows(window)[0][1].startswith("done")
    assert "world" in window.transcript_view.toPlainText().lower()


def test_a_socket_left_by_a_crashed_window_does_not_block_the_next(qtbot):
    # A window killed without closing leaves its socket file; nothing answers on it.
    path = os.path.join(QDir.tempPath(), server_name())
    crashed = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    crashed.bind(path)
    crashed.close()
    assert os.path.exists(path)
    try:
        assert not send_to_running([str(HELLO)])
        server = InstanceServer()
        assert server.listen()
        received = []
        server.files_received.connect(received.append)
        assert "the files went to its window" in start_again(qtbot, str(HELLO))
        qtbot.waitUntil(lambda: received == [[str(HELLO)]])
        server.close()
    finally:
        if os.path.exists(path):
            os.unlink(path)


def test_a_window_starting_at_the_same_moment_does_not_take_over_the_socket(qtbot):
    first, second = InstanceServer(), InstanceServer()
    try:
        assert first.listen()
        assert not second.listen()  # the first answers: its socket is left alone
        received = []
        first.files_received.connect(received.append)
        start_again(qtbot, str(HELLO))
        qtbot.waitUntil(lambda: received == [[str(HELLO)]])
    finally:
        first.close()
        second.close()


def test_reset_settings_forgets_the_settings_and_keeps_the_library(data_dir):
    settings = window_settings()
    settings.setValue("model", "whisper-base")
    settings.setValue("first_run/shown", True)
    settings.sync()
    save_settings(Settings(fallback_chains={"transcribe": ["whisper-base"]}))
    Library().close()
    library = data_dir / "library.sqlite3"
    assert library.exists() and settings_path().exists()

    done = subprocess.run([sys.executable, "-m", "grym_desktop", "--reset-settings"],
                          env=dict(os.environ), capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr
    assert settings.fileName() in done.stdout and str(settings_path()) in done.stdout
    assert "kept" in done.stdout
    settings.sync()  # read the file again
    assert settings.allKeys() == []
    assert not settings_path().exists()
    assert library.exists()


def test_dark_and_light_appearance(qtbot, qapp):
    style, palette = qapp.style().name(), qapp.palette()
    window, server = open_app(qtbot)
    try:
        apply_appearance(qapp, "dark")
        qapp.processEvents()  # the palette reaches the widgets through events
        assert window.palette().color(QPalette.ColorRole.Window).lightness() < 80
        assert window.palette().color(QPalette.ColorRole.WindowText).lightness() > 180
        # The drop zone has a style sheet: it follows the change too.
        label = window.drop_zone.label
        assert label.palette().color(QPalette.ColorRole.WindowText).lightness() > 180
        apply_appearance(qapp, "light")
        qapp.processEvents()
        assert window.palette().color(QPalette.ColorRole.Window).lightness() > 180
        assert label.palette().color(QPalette.ColorRole.WindowText).lightness() < 80
    finally:
        qapp.setStyle(style)
        qapp.setPalette(palette)
        server.close()


def test_a_message_that_is_not_a_list_of_files_is_refused_and_the_window_still_listens(qtbot):
    from PySide6.QtNetwork import QLocalSocket

    server = InstanceServer()
    received = []
    server.files_received.connect(received.append)
    try:
        assert server.listen()
        for message in (b'{"files": "/etc/passwd"}\n', b'{"files": [1, 2]}\n', b"not json\n"):
            client = QLocalSocket()
            client.connectToServer(server.name)
            assert client.waitForConnected(1000)
            client.write(message)
            client.flush()
            qtbot.waitUntil(lambda c=client: c.canReadLine(), timeout=5000)
            assert bytes(client.readLine().data()).strip() == b"error"
            client.disconnectFromServer()
        assert received == []
        start_again(qtbot, str(HELLO))  # a real hand-over still works
        qtbot.waitUntil(lambda: received == [[str(HELLO)]])
    finally:
        server.close()
