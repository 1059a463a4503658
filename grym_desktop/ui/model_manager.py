"""The model manager window: every catalog model with its size, memory per precision, a fits /
does-not-fit badge against the current budget, and download / verify / remove.

Downloads run as a ModelJob, which the main window's model picker uses too."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QObject, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from grym_desktop.errors import GrymError
from grym_desktop.memory.limits import format_size
from grym_desktop.models import overview, sources
from grym_desktop.models.catalog import ModelSpec, add_local_model, load_catalog
from grym_desktop.models.download import Progress, download_model
from grym_desktop.ui.jobs import JobThread, failure_sentence
from grym_desktop.ui.widgets import set_bar_value, size_on_screen

COLUMNS = (  # the table's headers, translated where shown
    QT_TRANSLATE_NOOP("ModelManager", "Model"), QT_TRANSLATE_NOOP("ModelManager", "Engine"),
    QT_TRANSLATE_NOOP("ModelManager", "State"), QT_TRANSLATE_NOOP("ModelManager", "Size"),
    QT_TRANSLATE_NOOP("ModelManager", "Memory per precision"),
    QT_TRANSLATE_NOOP("ModelManager", "Fits"))
NAME, ENGINE, STATE, SIZE, MEMORY, FITS = range(len(COLUMNS))
FITS_COLOURS = {True: "#1e7b34", False: "#b03a2e"}


def size_text(row: overview.ModelRow) -> str:
    """The Size cell: bytes on disk; for a model not on disk yet, what it will take.

    A model installed as bundled parts has nothing of its own on disk until its first use
    assembles it, so it shows the assembled size and says so instead of a bare dash.
    """
    on_disk, expected = row.status.size_on_disk, row.spec.download_bytes
    if on_disk:
        return format_size(on_disk)
    if not expected:
        return "–"
    if row.status.installed:
        return QCoreApplication.translate("ModelManager", "{size} once assembled").format(
            size=format_size(expected)
        )
    return QCoreApplication.translate("ModelManager", "{size} to download").format(
        size=format_size(expected)
    )


def fit_text(row: overview.ModelRow) -> str:
    """The badge without its budget, which the window says once above the table:
    'fits: 611 MiB in float32' or 'does not fit: needs 17.1 GiB in bfloat16'."""
    return row.badge().rsplit(", budget ", 1)[0]


def size_tooltip(row: overview.ModelRow) -> str:
    """Where the Size cell's number comes from, in a sentence."""
    if row.status.size_on_disk:
        return QCoreApplication.translate("ModelManager", "On disk now ({where}).").format(
            where=row.status.where
        )
    if not row.spec.download_bytes:
        return QCoreApplication.translate(
            "ModelManager", "The catalog does not list this model's size."
        )
    if row.status.installed:
        return QCoreApplication.translate(
            "ModelManager",
            "Installed as {where}: the first use joins the parts into one copy of this size in "
            "the app's data folder.",
        ).format(where=row.status.where)
    return QCoreApplication.translate(
        "ModelManager", "The catalog's size of its files (rounded where the hub listing is)."
    )


class ModelJob(QObject):
    """One download or verification on a thread of its own, reporting through Qt signals.

    The Models window and the main window's model picker both download through it, so
    progress, cancel and the sentences a person reads are the same in both.
    """

    # Emitted on the job's thread; Qt delivers them on the GUI thread to QObject receivers.
    progress = Signal(object)  # Progress
    succeeded = Signal(str)  # what a person reads
    failed = Signal(str)

    def __init__(self, doing: str, call: Callable[[Callable[[Progress], None]], str],
                 cancel: threading.Event | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doing = doing  # "Downloading whisper-small"
        self._call = call
        self._cancel = cancel or threading.Event()
        self._thread: JobThread | None = None
        # Connected before any receiver, so the thread has ended when they hear of it.
        self.succeeded.connect(self._end)
        self.failed.connect(self._end)

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self) -> None:
        self._thread = JobThread("grym-model-job")
        self._thread.submit(self._run)
        self._thread.start()

    def cancel(self) -> None:
        """Ask the job to stop; a download stops at its next chunk and reports failed."""
        self._cancel.set()

    def stop(self) -> None:
        """Cancel and wait for the thread (a window closing)."""
        self.cancel()
        self._end()

    def _run(self) -> None:
        try:
            message = self._call(self.progress.emit)
        except Exception as exc:  # a thread must report, never die silently
            self.failed.emit(failure_sentence(exc, self.doing))
        else:
            self.succeeded.emit(message)

    def _end(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.stop()


def download_job(spec: ModelSpec, limit_bytes: int, parent: QObject | None = None) -> ModelJob:
    """A job that makes the model installed and verified: downloaded, assembled or converted.

    A model that could never fit the memory limit is refused before any byte is fetched.
    """
    cancel = threading.Event()

    def call(report: Callable[[Progress], None]) -> str:
        path = download_model(spec, report, cancel, limit_bytes=limit_bytes)
        return QCoreApplication.translate(
            "ModelManager", "{id} is installed and verified ({path})."
        ).format(id=spec.id, path=path)

    return ModelJob(
        QCoreApplication.translate("ModelManager", "Downloading {id}").format(id=spec.id),
        call,
        cancel,
        parent,
    )


def verify_job(spec: ModelSpec, parent: QObject | None = None) -> ModelJob:
    """A job that checks the model's files against the catalog (or the hub's digests)."""

    def call(report: Callable[[Progress], None]) -> str:
        problems = sources.verify(spec)
        if problems:
            raise GrymError(f"{spec.id} failed verification: " + "; ".join(problems) + ".")
        return QCoreApplication.translate("ModelManager", "{id} is verified.").format(id=spec.id)

    return ModelJob(
        QCoreApplication.translate("ModelManager", "Verifying {id}").format(id=spec.id),
        call,
        parent=parent,
    )


class ModelManager(QWidget):
    """Lists the catalog; downloads run on a thread of their own with progress and cancel."""

    def __init__(self, limit_bytes: int, specs: Iterable[ModelSpec] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle(self.tr("Models"))
        self.limit_bytes = limit_bytes
        self._fixed_specs = list(specs) if specs is not None else None
        self.rows: dict[str, overview.ModelRow] = {}
        self.items: dict[str, QTreeWidgetItem] = {}
        self.job: ModelJob | None = None  # while a download or verification runs
        self._build()
        self.resize(size_on_screen(self, 1240, 640))
        self.refresh()

    # -- layout ----------------------------------------------------------------------------

    def _build(self) -> None:
        self.table = QTreeWidget()
        self.table.setAccessibleName(self.tr("Models"))
        self.table.setAccessibleDescription(
            self.tr("The catalog: each model's state, size, memory and whether it fits")
        )
        self.table.setColumnCount(len(COLUMNS))
        self.table.setHeaderLabels([self.tr(column) for column in COLUMNS])
        self.table.setRootIsDecorated(False)
        self.table.setAlternatingRowColors(True)
        self.table.setUniformRowHeights(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        # The name takes what is left and elides; every other column is as wide as its text,
        # so all of them show at 1366 px without a horizontal scrollbar.
        header = self.table.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(60)
        self.table.itemSelectionChanged.connect(self._update_buttons)

        self.budget_label = QLabel()
        self.download_button = QPushButton(self.tr("Download"))
        self.verify_button = QPushButton(self.tr("Verify"))
        self.remove_button = QPushButton(self.tr("Remove"))
        self.add_button = QPushButton(self.tr("Add a local model folder…"))
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.download_button.clicked.connect(self.download_selected)
        self.verify_button.clicked.connect(self.verify_selected)
        self.remove_button.clicked.connect(self.remove_selected)
        self.add_button.clicked.connect(self._choose_folder)
        self.cancel_button.clicked.connect(self.cancel)

        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_label = QLabel()
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)

        buttons = QHBoxLayout()
        for button in (self.download_button, self.verify_button, self.remove_button,
                       self.add_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        progress = QHBoxLayout()
        progress.addWidget(self.progress_bar, 1)
        progress.addWidget(self.progress_label, 2)
        progress.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.budget_label)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addLayout(progress)
        layout.addWidget(self.status_label)
        self._show_progress(False)
        self._update_buttons()

    # -- rows ------------------------------------------------------------------------------

    def specs(self) -> list[ModelSpec]:
        return self._fixed_specs if self._fixed_specs is not None else list(
            load_catalog().values())

    def refresh(self) -> None:
        """Re-read states and the memory budget and redraw every row."""
        selected = self.selected_id()
        state = overview.budget_state(self.limit_bytes)
        self.budget_label.setText(
            self.tr("Budget for a model now: {budget} (limit {limit}, pressure {level})").format(
                budget=format_size(state.budget), limit=format_size(state.limit), level=state.level
            )
        )
        self.table.clear()
        self.items.clear()
        self.rows = {r.spec.id: r for r in overview.model_rows(self.specs(), state)}
        for model_id, row in self.rows.items():
            item = self._item(model_id, row)
            self.table.addTopLevelItem(item)
            self.items[model_id] = item
        if selected in self.items:
            self.select(selected)
        self._update_buttons()

    @staticmethod
    def _item(model_id: str, row: overview.ModelRow) -> QTreeWidgetItem:
        """One table row; tooltips carry what the cells leave out or elide."""
        item = QTreeWidgetItem([
            f"{row.spec.name}  [{model_id}]",
            row.spec.engine,
            row.status.state,
            size_text(row),
            row.memory_text(),
            fit_text(row),
        ])
        item.setData(NAME, Qt.ItemDataRole.UserRole, model_id)
        item.setForeground(FITS, QColor(FITS_COLOURS[row.fits_any]))
        item.setToolTip(NAME, f"{item.text(NAME)}\n{row.spec.notes or row.status.where}")
        item.setToolTip(STATE, row.status.where)
        item.setToolTip(SIZE, size_tooltip(row))
        item.setToolTip(FITS, row.badge())
        return item

    def select(self, model_id: str) -> None:
        self.table.setCurrentItem(self.items[model_id])

    def selected_id(self) -> str | None:
        item = self.table.currentItem()
        return item.data(NAME, Qt.ItemDataRole.UserRole) if item is not None else None

    def badge(self, model_id: str) -> str:
        return self.items[model_id].text(FITS)

    def state(self, model_id: str) -> str:
        return self.items[model_id].text(STATE)

    def _update_buttons(self) -> None:
        row = self.rows.get(self.selected_id() or "")
        free = row is not None and not self.busy
        on_disk = free and row.status.state != "not installed"
        self.download_button.setEnabled(free and not row.status.installed)
        self.verify_button.setEnabled(on_disk)
        self.remove_button.setEnabled(on_disk)
        self.add_button.setEnabled(not self.busy)

    # -- actions ---------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self.job is not None

    def download_selected(self) -> None:
        row = self.rows.get(self.selected_id() or "")
        if row is not None and not self.busy:
            self._start(download_job(row.spec, self.limit_bytes, self))

    def verify_selected(self) -> None:
        row = self.rows.get(self.selected_id() or "")
        if row is not None and not self.busy:
            self._start(verify_job(row.spec, self))

    def remove_selected(self) -> None:
        row = self.rows.get(self.selected_id() or "")
        if row is None or self.busy:
            return
        try:
            self.status_label.setText(sources.remove(row.spec))
        except GrymError as exc:
            self.status_label.setText(str(exc))
        self.refresh()

    def add_folder(self, folder: str) -> str | None:
        """Register a local model folder; returns its id, or None after showing why not."""
        try:
            spec = add_local_model(folder)
        except GrymError as exc:
            self.status_label.setText(str(exc))
            return None
        if self._fixed_specs is not None:
            self._fixed_specs.append(spec)
        self.status_label.setText(
            self.tr("Added {id} from {folder}.").format(id=spec.id, folder=folder)
        )
        self.refresh()
        self.select(spec.id)
        return spec.id

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Add a local model folder"))
        if folder:
            self.add_folder(folder)

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.progress_label.setText(self.tr("Cancelling…"))

    # -- the running job ---------------------------------------------------------------------

    def _start(self, job: ModelJob) -> None:
        """Show the job's progress here and run it off the GUI thread."""
        self.status_label.setText(f"{job.doing}…")
        self.progress_bar.setValue(0)
        self.progress_label.setText("")
        self._show_progress(True)
        self.job = job
        job.progress.connect(self._on_progress)
        job.succeeded.connect(self._on_done)
        job.failed.connect(self._on_failed)
        job.start()
        self._update_buttons()

    def _on_progress(self, progress: Progress) -> None:
        self.progress_label.setText(progress.describe())
        if progress.total:
            set_bar_value(self.progress_bar, int(1000 * progress.done / progress.total))

    def _on_done(self, message: str) -> None:
        self._finish()
        self.progress_bar.setValue(1000)
        self.status_label.setText(message)

    def _on_failed(self, message: str) -> None:
        self._finish()
        self.status_label.setText(message)

    def _finish(self) -> None:
        job, self.job = self.job, None
        if job is not None:
            job.deleteLater()
        self._show_progress(False)
        self.refresh()

    def _show_progress(self, visible: bool) -> None:
        for widget in (self.progress_bar, self.progress_label, self.cancel_button):
            widget.setVisible(visible)

    def closeEvent(self, event) -> None:
        if self.job is not None:
            self.job.stop()
        super().closeEvent(event)
