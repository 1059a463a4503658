"""One window per user and data folder: a second `grym-desktop FILE...` hands its files over.

The running window listens on a QLocalServer; a later start connects with a QLocalSocket,
sends the files as one JSON line and waits for "ok", then exits. A socket file left by a
window that crashed answers no connection, so the new window removes it and listens.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from grym_desktop.paths import data_dir

CONNECT_MS = 500  # a live window accepts at once; a stale socket file refuses at once
REPLY_MS = 5_000  # the window answers once the files are queued
MAX_MESSAGE = 1 << 20  # bytes: a hand-over names files, it never needs more


def server_name() -> str:
    """The socket's name: per user and per data folder, so tests and users never meet."""
    folder = str(data_dir().expanduser().resolve())
    digest = hashlib.sha256(folder.encode()).hexdigest()[:12]
    user = os.getuid() if hasattr(os, "getuid") else getpass.getuser()
    return f"grym-desktop-{user}-{digest}"


def send_to_running(paths: list[str], name: str | None = None) -> bool:
    """Give the files to a running window; True when it took them, False when none runs."""
    socket = QLocalSocket()
    socket.connectToServer(name or server_name())
    if not socket.waitForConnected(CONNECT_MS):
        return False
    message = json.dumps({"files": [str(Path(p).resolve()) for p in paths]}) + "\n"
    socket.write(message.encode())
    socket.flush()
    taken = False
    while socket.waitForReadyRead(REPLY_MS):
        if socket.canReadLine():
            taken = bytes(socket.readLine().data()).strip() == b"ok"
            break
    socket.disconnectFromServer()
    return taken


def hand_over(paths: list[str]) -> bool:
    """What a start does first: give the files to the open window, saying so; True when
    there was one (this process then exits)."""
    if not send_to_running(paths):
        return False
    if paths:
        print(QCoreApplication.translate(
            "SingleInstance", "grym-desktop is already open: the files went to its window."))
    else:
        print(QCoreApplication.translate(
            "SingleInstance", "grym-desktop is already open: its window was brought to the front."))
    return True


class InstanceServer(QObject):
    """The running window's end: emits files_received(paths) for every later start."""

    files_received = Signal(list)

    def __init__(self, name: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name or server_name()
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._accept)

    def listen(self) -> bool:
        """Listen, unless another window answers on the name (False). A socket file that
        nobody answers on, left by a window that crashed, is removed first."""
        probe = QLocalSocket()
        probe.connectToServer(self.name)
        if probe.waitForConnected(CONNECT_MS):  # a window started at the same moment
            probe.disconnectFromServer()
            return False
        QLocalServer.removeServer(self.name)
        return self.server.listen(self.name)

    def close(self) -> None:
        self.server.close()

    def _accept(self) -> None:
        while self.server.hasPendingConnections():
            socket = self.server.nextPendingConnection()
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(socket.deleteLater)

    def _read(self, socket: QLocalSocket) -> None:
        if socket.bytesAvailable() > MAX_MESSAGE and not socket.canReadLine():
            socket.abort()  # whatever this is, it is not a start handing over files
            return
        while socket.canReadLine():
            line = bytes(socket.readLine(MAX_MESSAGE).data())
            try:
                files = json.loads(line)["files"]
                if not isinstance(files, list) or not all(isinstance(p, str) for p in files):
                    raise TypeError("files must be a list of paths")
            except (ValueError, KeyError, TypeError):
                socket.write(b"error\n")
                continue
            self.files_received.emit(files)
            socket.write(b"ok\n")
            socket.flush()
