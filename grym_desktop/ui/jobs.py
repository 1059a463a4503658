"""Work off the GUI thread: a JobThread runs calls one after another on a QThread of its own.

The model worker (files and live sessions) and the model manager (downloads, verification)
both use it. A call reports back by emitting Qt signals, which Qt delivers on the GUI thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot

from grym_desktop.errors import GrymError

log = logging.getLogger(__name__)


class JobThread(QObject):
    """A named QThread that runs the calls submitted to it, in order, one at a time."""

    _submitted = Signal(object)

    def __init__(self, name: str) -> None:
        super().__init__()
        self.qthread = QThread()
        self.qthread.setObjectName(name)
        self.moveToThread(self.qthread)
        self._submitted.connect(self._run)

    def start(self) -> None:
        """Start the thread; calls submitted before wait until then."""
        self.qthread.start()

    def submit(self, call: Callable[[], object]) -> None:
        """Run call on this thread after the calls submitted before it (from any thread)."""
        self._submitted.emit(call)

    def stop(self, timeout_ms: int = 15_000) -> None:
        """End the thread once the calls submitted before have run; kill it after timeout_ms."""
        if not self.qthread.isRunning():
            return
        self.submit(self.qthread.quit)
        if not self.qthread.wait(timeout_ms):
            log.error("%s did not stop within %d ms; terminating it",
                      self.qthread.objectName(), timeout_ms)
            self.qthread.terminate()
            self.qthread.wait()

    @Slot(object)
    def _run(self, call: Callable[[], object]) -> None:
        call()


def failure_sentence(exc: Exception, what: str) -> str:
    """The sentence a person sees when `what` raised exc: a GrymError's own, else a short one.

    An unexpected error is a bug: its traceback goes to the log, never to the window.
    A GrymError's sentence comes from the core and stays English; `what` is marked with
    QT_TRANSLATE_NOOP("Jobs", …) by callers and translated here.
    """
    if isinstance(exc, GrymError):
        return str(exc)
    log.error("%s stopped unexpectedly", what, exc_info=exc)
    return QCoreApplication.translate(
        "Jobs", "{what} stopped unexpectedly ({error}); see the log."
    ).format(what=QCoreApplication.translate("Jobs", what), error=type(exc).__name__)
