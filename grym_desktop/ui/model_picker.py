"""The main window's model picker: installed models first and marked, the others with their
download size, memory estimate and fit; choosing one that is not installed offers to get it.

The download runs as the Models window's ModelJob, with a progress dialog; when it ends the
picker refreshes and selects the model. Declined or failed, the picker stays on the model it
had, so what the window shows is always a model the next file can use.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QEvent, QObject, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QStyle,
    QWidget,
)

from grym_desktop.memory.limits import format_size
from grym_desktop.models import overview, sources
from grym_desktop.models.catalog import DEFAULT_MODEL, ModelSpec, transcription_models
from grym_desktop.models.download import Progress
from grym_desktop.ui.model_manager import FITS_COLOURS, ModelJob, download_job

INSTALLED_MARK = "✓"
OTHERS_HEADING = QT_TRANSLATE_NOOP("ModelPicker", "Not installed: choose one to download it")


def chosen_precision(row: overview.ModelRow) -> str:
    """The precision a load would use: the first that fits the budget, else the smallest."""
    fitting = [p for p in row.spec.precisions if row.fits.get(p)]
    return fitting[0] if fitting else min(row.estimates, key=row.estimates.get)


def memory_text(row: overview.ModelRow) -> str:
    """'1.5 GiB memory in float32' for the precision a load would use."""
    precision = chosen_precision(row)
    return QCoreApplication.translate("ModelPicker", "{size} memory in {precision}").format(
        size=format_size(row.estimates[precision]), precision=precision
    )


def downloadable(row: overview.ModelRow) -> bool:
    """True when the model comes from the hub (else it is assembled or converted here)."""
    return sources.source_of(row.spec, sources.HUB) is not None


def download_size_text(row: overview.ModelRow) -> str:
    """'464 MiB' or 'size not listed' when the catalog does not give the files' sizes."""
    size = row.spec.download_bytes
    return (
        format_size(size) if size else QCoreApplication.translate("ModelPicker", "size not listed")
    )


def item_text(row: overview.ModelRow) -> str:
    """The line a person reads in the picker for one model."""
    model_id = row.spec.id
    if row.status.installed:
        text = QCoreApplication.translate("ModelPicker", "{mark} {model} · installed").format(
            mark=INSTALLED_MARK, model=model_id
        )
        return (
            text
            if row.fits_any
            else text + QCoreApplication.translate("ModelPicker", " · does not fit the budget now")
        )
    fit = (
        QCoreApplication.translate("ModelPicker", "fits")
        if row.fits_any
        else QCoreApplication.translate("ModelPicker", "does not fit the {budget} budget").format(
            budget=format_size(row.budget)
        )
    )
    if downloadable(row):
        size = row.spec.download_bytes
        get = (
            QCoreApplication.translate("ModelPicker", "{size} download").format(
                size=format_size(size)
            )
            if size
            else QCoreApplication.translate("ModelPicker", "download size not listed")
        )
    else:
        get = QCoreApplication.translate("ModelPicker", "not installed ({where})").format(
            where=row.status.where
        )
    return f"{model_id} · {get} · {memory_text(row)} · {fit}"


class ModelPicker(QComboBox):
    """A combo box of the transcription models whose item data is the plain model id."""

    model_ready = Signal(str)  # a model the picker got (downloaded) and selected

    def __init__(self, limit_bytes: int, specs: Iterable[ModelSpec] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.limit_bytes = limit_bytes
        self._fixed_specs = list(specs) if specs is not None else None
        self.rows: dict[str, overview.ModelRow] = {}
        self.job: ModelJob | None = None  # while a download runs
        self.job_model: str | None = None
        self.prompt: QMessageBox | None = None  # the open question or notice, if any
        self.progress_dialog: QProgressDialog | None = None
        # Long lines belong in the popup; the closed box must not widen the window.
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(20)
        self.activated.connect(self._on_activated)
        self.refresh()
        self._shown = self.current_model_id()  # the model to return to when a choice is declined

    # -- what the window reads and sets ---------------------------------------------------

    def current_model_id(self) -> str:
        """The chosen model's plain id ("whisper-tiny.en"), whatever the line shows."""
        model_id = self.currentData()
        return model_id if isinstance(model_id, str) else self.currentText()

    def select_model(self, model_id: str) -> bool:
        """Show model_id as the choice; False when the picker does not list it."""
        index = self.findData(model_id)
        if index < 0:
            return False
        self.setCurrentIndex(index)
        self._shown = model_id
        return True

    def findText(self, text: str, flags=Qt.MatchFlag.MatchExactly | Qt.MatchFlag.MatchCaseSensitive
                 ) -> int:
        """The index of a model id, else of a displayed line.

        By id, because the window restores the remembered model (a plain id) through
        findText and setCurrentText."""
        index = self.findData(text)
        return index if index >= 0 else super().findText(text, flags)

    def setCurrentText(self, text: str) -> None:
        """Select by model id (what settings store), else by displayed line."""
        if not self.select_model(text):
            super().setCurrentText(text)
            self._shown = self.current_model_id()

    # -- the list --------------------------------------------------------------------------

    def installed_ids(self) -> list[str]:
        """The ids of the models listed as installed, in the picker's order."""
        return [row.spec.id for row in self.rows.values() if row.status.installed]

    def specs(self) -> list[ModelSpec]:
        return self._fixed_specs if self._fixed_specs is not None else transcription_models()

    def refresh(self) -> None:
        """Re-read which models are installed and what fits now; keeps the current choice."""
        current = self.current_model_id() if self.count() else DEFAULT_MODEL
        state = overview.budget_state(self.limit_bytes)
        rows = overview.model_rows(self.specs(), state)
        self.rows = {row.spec.id: row for row in rows}
        installed = [row for row in rows if row.status.installed]
        others = [row for row in rows if not row.status.installed]
        self.blockSignals(True)  # a rebuild is not a choice
        try:
            self.clear()
            for row in installed:
                self._add(row)
            if others:
                self._add_heading()
            for row in others:
                self._add(row)
            self.setCurrentIndex(self._index_or_first(current))
        finally:
            self.blockSignals(False)

    def _index_or_first(self, model_id: str) -> int:
        """The index of model_id, else of the first model listed (never the heading)."""
        ids = [self.itemData(i) for i in range(self.count())]
        if model_id in ids:
            return ids.index(model_id)
        return next((i for i, data in enumerate(ids) if isinstance(data, str)), -1)

    def _add(self, row: overview.ModelRow) -> None:
        self.addItem(item_text(row), row.spec.id)
        index = self.count() - 1
        self.setItemData(index, row.badge(), Qt.ItemDataRole.ToolTipRole)
        if not row.fits_any:
            self.setItemData(index, QColor(FITS_COLOURS[False]), Qt.ItemDataRole.ForegroundRole)

    def _add_heading(self) -> None:
        """A separator and a line that cannot be chosen, above the models not installed."""
        if self.count():
            self.insertSeparator(self.count())
        self.addItem(self.tr(OTHERS_HEADING))
        self.model().item(self.count() - 1).setEnabled(False)

    def showPopup(self) -> None:
        """Refresh first (a download elsewhere, the memory now), and show whole lines."""
        self.refresh()
        view = self.view()
        scrollbar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        wanted = view.sizeHintForColumn(0) + scrollbar + 2 * view.frameWidth() + 8
        screen = self.screen().availableGeometry().width() if self.screen() else wanted
        view.setMinimumWidth(min(wanted, int(screen * 0.9)))
        super().showPopup()

    # -- choosing a model that is not installed -------------------------------------------

    def _on_activated(self, index: int) -> None:
        model_id = self.itemData(index)
        row = self.rows.get(model_id)
        if row is None or row.status.installed:
            self._shown = self.current_model_id()
            return
        self.select_model(self._shown)  # the choice holds only once the model is here
        self.offer(model_id)

    def offer(self, model_id: str) -> None:
        """Ask whether to download (or assemble / convert) a model that is not installed."""
        row = self.rows[model_id]
        if self.job is not None:
            self._notice(
                self.tr("Download running"),
                self.tr("{running} is downloading; choose {model} again when it is done.").format(
                    running=self.job_model, model=model_id
                ),
            )
            return
        if not row.fits_any:
            self._notice(
                self.tr("Model too large"),
                self.tr(
                    "{model} {badge}. Raise the memory limit or choose a smaller model."
                ).format(model=model_id, badge=row.badge()),
                QMessageBox.Icon.Warning,
            )
            return
        if downloadable(row):
            action, title = self.tr("Download"), self.tr("Download model")
            question = self.tr("Download {model} ({size})?").format(
                model=model_id, size=download_size_text(row))
            detail = self.tr("It is not on this machine yet.")
        else:
            action, title = self.tr("Prepare"), self.tr("Prepare model")
            question = self.tr("Prepare {model}?").format(model=model_id)
            detail = self.tr("It is not installed: {where}. Nothing is downloaded.").format(
                where=row.status.where)
        box = QMessageBox(QMessageBox.Icon.Question, title, question,
                          QMessageBox.StandardButton.Cancel, self)
        precision = chosen_precision(row)
        box.setInformativeText(
            self.tr(
                "{detail} Loaded, it needs about {size} of memory ({precision}), within the "
                "current budget of {budget}. The picker selects it when it is ready."
            ).format(
                detail=detail,
                size=format_size(row.estimates[precision]),
                precision=precision,
                budget=format_size(row.budget),
            )
        )
        accept = box.addButton(action, QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(accept)
        box.finished.connect(lambda _result: self._answered(box, accept, model_id))
        self._open(box)

    def _answered(self, box: QMessageBox, accept: QPushButton, model_id: str) -> None:
        if self.prompt is box:
            self.prompt = None
        box.deleteLater()
        if box.clickedButton() is accept:
            self.download(model_id)

    def download(self, model_id: str) -> None:
        """Get the model through the Models window's download job, with a progress dialog."""
        row = self.rows[model_id]
        self.job, self.job_model = download_job(row.spec, self.limit_bytes, self), model_id
        title = (self.tr("Downloading {model}") if downloadable(row)
                 else self.tr("Preparing {model}")).format(model=model_id)
        dialog = QProgressDialog(f"{title}…", self.tr("Cancel"), 0, 0, self)  # busy till sized
        dialog.setWindowTitle(title)
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.setMinimumWidth(420)
        dialog.canceled.connect(self.job.cancel)
        self.progress_dialog = dialog
        self.job.progress.connect(self._on_progress)
        self.job.succeeded.connect(self._on_downloaded)
        self.job.failed.connect(self._on_download_failed)
        self.window().installEventFilter(self)  # a closing window cancels the download
        self.job.start()
        dialog.show()

    def _on_progress(self, progress: Progress) -> None:
        if self.progress_dialog is None:
            return
        doing = (self.tr("Verifying {model}") if progress.phase == "verify"
                 else self.tr("Downloading {model}")).format(model=progress.model_id)
        self.progress_dialog.setLabelText(f"{doing}: {progress.describe()}")
        if progress.total:
            self.progress_dialog.setMaximum(1000)
            self.progress_dialog.setValue(int(1000 * progress.done / progress.total))

    def _on_downloaded(self, _message: str) -> None:
        model_id = self._end_job()
        self.refresh()
        self.select_model(model_id)
        self.model_ready.emit(model_id)

    def _on_download_failed(self, message: str) -> None:
        cancelled = self.job is not None and self.job.cancelled
        self._end_job()
        self.refresh()
        if not cancelled:  # the person who cancelled knows why it stopped
            self._notice(self.tr("Download failed"), message, QMessageBox.Icon.Warning)

    def _end_job(self) -> str:
        """Close the progress dialog and forget the job; returns the model it was for."""
        model_id, job = self.job_model or "", self.job
        self.job, self.job_model = None, None
        self.window().removeEventFilter(self)
        if job is not None:
            job.deleteLater()
        if self.progress_dialog is not None:
            self.progress_dialog.close()
            self.progress_dialog.deleteLater()
            self.progress_dialog = None
        return model_id

    def shutdown(self) -> None:
        """Cancel a running download and wait for its thread (the window is closing)."""
        if self.job is not None:
            self.job.stop()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Watches the window while a download runs: closing it cancels the download."""
        if event.type() == QEvent.Type.Close and watched is self.window():
            self.shutdown()
        return False

    # -- dialogs ---------------------------------------------------------------------------

    def _notice(self, title: str, text: str,
                icon: QMessageBox.Icon = QMessageBox.Icon.Information) -> None:
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, self)
        box.finished.connect(lambda _result: self._closed(box))
        self._open(box)

    def _closed(self, box: QMessageBox) -> None:
        if self.prompt is box:
            self.prompt = None
        box.deleteLater()

    def _open(self, box: QMessageBox) -> None:
        """Show box window-modal without blocking: the answer arrives through finished."""
        self.prompt = box
        box.open()
