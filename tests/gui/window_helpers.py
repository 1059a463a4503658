"""Driving the real window as a user does: drop files, read the queue, answer its dialogs.

Only what a user sees and does is used (the queue's rows, the dialog's text and buttons),
never the window's own bookkeeping, so these keep working while the window's insides change.
Import as `from window_helpers import ...` (pytest puts tests/gui/ on sys.path).
"""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QLineEdit

# A real model loads and transcribes in the tests: allow it two minutes on a busy machine.
WAIT_MS = 120_000

# How a queue row's status begins once its task is over (running rows say "starting",
# "loading model" or "transcribing N%", waiting ones "queued").
ENDED_STATUSES = ("done", "failed", "refused", "cancelled")


def drop_files(widget, paths) -> None:
    """Drag files onto widget and drop them, the way a file manager does."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    centre = widget.rect().center()
    buttons, mods = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(QPoint(centre), Qt.DropAction.CopyAction, mime, buttons, mods)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(
        widget, QDropEvent(QPointF(centre), Qt.DropAction.CopyAction, mime, buttons, mods)
    )


def rows(window) -> list[tuple[str, str]]:
    """The queue as the user reads it: (file name, status) per row, top to bottom."""
    q = window.queue
    return [(q.topLevelItem(i).text(0), q.topLevelItem(i).text(1))
            for i in range(q.topLevelItemCount())]


def finished(window, count: int) -> bool:
    """True when the queue shows `count` rows and every one of them has ended."""
    statuses = [status for _name, status in rows(window)]
    return len(statuses) == count and all(s.startswith(ENDED_STATUSES) for s in statuses)


class DialogAnswer:
    """What a user read in a modal dialog before clicking one of its buttons."""

    def __init__(self) -> None:
        self.title: str | None = None
        self.text = ""
        self.clicked: str | None = None


def answer_next_dialog(button: str, wait_ms: int = 10_000, type_text: str | None = None
                       ) -> DialogAnswer:
    """Click `button` (its label, e.g. "Yes") in the next modal dialog the app opens, after
    typing type_text into its text field if given.

    Call it just before the action that opens the dialog: the action blocks in the dialog's
    own event loop, where a timer finds the dialog, records its title and text, and clicks.
    A dialog without that button is closed unanswered (Escape), so the test fails on its
    assertions instead of hanging.
    """
    answer = DialogAnswer()
    tries_left = [max(1, wait_ms // 50)]

    def look() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            tries_left[0] -= 1
            if tries_left[0] > 0:
                QTimer.singleShot(50, look)
            return
        answer.title = dialog.windowTitle()
        answer.text = "\n".join(label.text() for label in dialog.findChildren(QLabel)
                                if label.text())
        if type_text is not None:
            dialog.findChild(QLineEdit).setText(type_text)
        for candidate in dialog.findChildren(QAbstractButton):
            if candidate.isVisible() and candidate.text().replace("&", "") == button:
                answer.clicked = button
                candidate.click()
                return
        dialog.reject()

    QTimer.singleShot(0, look)
    return answer


def open_editing_window(qtbot, width: int = 1366):
    """The real window at `width` x 740, closed at teardown without asking about corrections
    (a failed test must not wait on that question)."""
    from grym_desktop.memory.limits import parse_size
    from grym_desktop.ui.main_window import MainWindow, settings_from_env

    window = MainWindow(parse_size("16GiB"), settings_from_env())
    qtbot.addWidget(window, before_close_func=lambda w: w.transcript_view.set_saved())
    window.show()
    window.resize(width, 740)
    return window
