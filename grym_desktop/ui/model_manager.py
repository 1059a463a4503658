"""The model manager window: every catalog model with its size on disk, memory per precision,
a fits / does-not-fit badge against the current budget, and download / verify / remove."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from PySide6.QtCore import Qt, Signal
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

COLUMNS = ("Model", "Engine", "State", "Size on disk", "Memory per precision", "Fits")
FITS_COLOURS = {True: "#1e7b34", False: "#b03a2e"}


class ModelManager(QWidget):
    """Lists the catalog; downloads run on a thread of their own with progress and cancel."""

    # Sent from the job's thread; Qt delivers them on the GUI thread.
    _job_progress = Signal(object)  # Progress
    _job_done = Signal(str)  # what a person reads
    _job_failed = Signal(str)

    def __init__(self, limit_bytes: int, specs: Iterable[ModelSpec] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("Models")
        self.resize(1100, 560)
        self.limit_bytes = limit_bytes
        self._fixed_specs = list(specs) if specs is not None else None
        self.rows: dict[str, overview.ModelRow] = {}
        self.items: dict[str, QTreeWidgetItem] = {}
        self._jobs: JobThread | None = None  # while a download or verification runs
        self._cancel = threading.Event()
        self._job_progress.connect(self._on_progress)
        self._job_done.connect(self._on_done)
        self._job_failed.connect(self._on_failed)
        self._build()
        self.refresh()

    # -- layout ----------------------------------------------------------------------------

    def _build(self) -> None:
        self.table = QTreeWidget()
        self.table.setColumnCount(len(COLUMNS))
        self.table.setHeaderLabels(list(COLUMNS))
        self.table.setRootIsDecorated(False)
        self.table.setAlternatingRowColors(True)
        header = self.table.header()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._update_buttons)

        self.budget_label = QLabel()
        self.download_button = QPushButton("Download")
        self.verify_button = QPushButton("Verify")
        self.remove_button = QPushButton("Remove")
        self.add_button = QPushButton("Add a local model folder…")
        self.cancel_button = QPushButton("Cancel")
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
            f"Budget for a model now: {format_size(state.budget)} "
            f"(limit {format_size(state.limit)}, pressure {state.level})"
        )
        self.table.clear()
        self.items.clear()
        self.rows = {r.spec.id: r for r in overview.model_rows(self.specs(), state)}
        for model_id, row in self.rows.items():
            item = QTreeWidgetItem([
                f"{row.spec.name}  [{model_id}]",
                row.spec.engine,
                row.status.state,
                format_size(row.status.size_on_disk) if row.status.size_on_disk else "–",
                row.memory_text(),
                row.badge(),
            ])
            item.setData(0, Qt.ItemDataRole.UserRole, model_id)
            item.setForeground(5, QColor(FITS_COLOURS[row.fits_any]))
            item.setToolTip(0, row.spec.notes or row.status.where)
            item.setToolTip(2, row.status.where)
            self.table.addTopLevelItem(item)
            self.items[model_id] = item
        if selected in self.items:
            self.select(selected)
        self._update_buttons()

    def select(self, model_id: str) -> None:
        self.table.setCurrentItem(self.items[model_id])

    def selected_id(self) -> str | None:
        item = self.table.currentItem()
        return item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None

    def badge(self, model_id: str) -> str:
        return self.items[model_id].text(5)

    def state(self, model_id: str) -> str:
        return self.items[model_id].text(2)

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
        return self._jobs is not None

    def download_selected(self) -> None:
        row = self.rows.get(self.selected_id() or "")
        if row is None or self.busy:
            return
        spec, cancel = row.spec, threading.Event()

        def call(report: Callable[[Progress], None]) -> str:
            path = download_model(spec, report, cancel, limit_bytes=self.limit_bytes)
            return f"{spec.id} is installed and verified ({path})."

        self._cancel = cancel
        self._start(call, f"Downloading {spec.id}")

    def verify_selected(self) -> None:
        row = self.rows.get(self.selected_id() or "")
        if row is None or self.busy:
            return
        spec = row.spec

        def call(report: Callable[[Progress], None]) -> str:
            problems = sources.verify(spec)
            if problems:
                raise GrymError(f"{spec.id} failed verification: " + "; ".join(problems) + ".")
            return f"{spec.id} is verified."

        self._start(call, f"Verifying {spec.id}")

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
        self.status_label.setText(f"Added {spec.id} from {folder}.")
        self.refresh()
        self.select(spec.id)
        return spec.id

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a local model folder")
        if folder:
            self.add_folder(folder)

    def cancel(self) -> None:
        self._cancel.set()
        self.progress_label.setText("Cancelling…")

    # -- the job thread ----------------------------------------------------------------------

    def _start(self, call: Callable[[Callable[[Progress], None]], str], doing: str) -> None:
        """Run call(report) off the GUI thread; doing says what it does ("Downloading x")."""
        self.status_label.setText(f"{doing}…")
        self.progress_bar.setValue(0)
        self.progress_label.setText("")
        self._show_progress(True)
        self._jobs = JobThread("grym-model-manager")
        self._jobs.submit(lambda: self._run(call, doing))
        self._jobs.start()
        self._update_buttons()

    def _run(self, call: Callable[[Callable[[Progress], None]], str], doing: str) -> None:
        try:
            message = call(self._job_progress.emit)
        except Exception as exc:  # a thread must report, never die silently
            self._job_failed.emit(failure_sentence(exc, doing))
        else:
            self._job_done.emit(message)

    def _on_progress(self, progress: Progress) -> None:
        self.progress_label.setText(progress.describe())
        if progress.total:
            self.progress_bar.setValue(int(1000 * progress.done / progress.total))

    def _on_done(self, message: str) -> None:
        self._finish()
        self.progress_bar.setValue(1000)
        self.status_label.setText(message)

    def _on_failed(self, message: str) -> None:
        self._finish()
        self.status_label.setText(message)

    def _finish(self) -> None:
        jobs, self._jobs = self._jobs, None
        if jobs is not None:
            jobs.stop()
        self._show_progress(False)
        self.refresh()

    def _show_progress(self, visible: bool) -> None:
        for widget in (self.progress_bar, self.progress_label, self.cancel_button):
            widget.setVisible(visible)

    def closeEvent(self, event) -> None:
        if self._jobs is not None:
            self._cancel.set()
            self._jobs.stop()
        super().closeEvent(event)
