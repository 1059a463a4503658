"""The Compare models window: pick models A and B, drop files, run them (one model in memory at
a time, on the worker), and read which was more accurate, faster and lighter, file by file.

The window only draws and asks: Run and Stop are signals the main window passes to the worker,
and show_progress / show_comparison / show_error draw what the worker reports. They are cheap,
so a comparison can be shown again after every file.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, Signal
from PySide6.QtGui import QColor, QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from grym_desktop.memory.limits import format_size
from grym_desktop.orchestrator.compare import (
    SIDES,
    CompareProgress,
    Comparison,
    FileRun,
    ModelChoice,
    comparison_csv,
    comparison_json,
)
from grym_desktop.paths import write_atomically
from grym_desktop.scoring.paired import describe
from grym_desktop.ui.compare_chart import CompareChart
from grym_desktop.ui.drop_zone import MEDIA_FILTER, local_paths
from grym_desktop.ui.widgets import ElidedLabel, set_bar_value, size_on_screen
from grym_desktop.ui.word_diff_view import WordDiffView

MIB = 1024 * 1024
# The table's headers, tips and metric names, translated where shown (context "CompareWindow").
COLUMNS = (QT_TRANSLATE_NOOP("CompareWindow", "File"), QT_TRANSLATE_NOOP("CompareWindow", "WER A"),
           QT_TRANSLATE_NOOP("CompareWindow", "WER B"),
           QT_TRANSLATE_NOOP("CompareWindow", "B vs A"),
           QT_TRANSLATE_NOOP("CompareWindow", "RTF A"), QT_TRANSLATE_NOOP("CompareWindow", "RTF B"),
           QT_TRANSLATE_NOOP("CompareWindow", "Peak A"),
           QT_TRANSLATE_NOOP("CompareWindow", "Peak B"),
           QT_TRANSLATE_NOOP("CompareWindow", "Winner"))
FILE, WER_A, WER_B, B_VS_A, RTF_A, RTF_B, PEAK_A, PEAK_B, WINNER = range(len(COLUMNS))
HEADER_TIPS = {
    WER_A: QT_TRANSLATE_NOOP("CompareWindow",
                             "Word error rate of model A against the reference."),
    WER_B: QT_TRANSLATE_NOOP("CompareWindow",
                             "Word error rate of model B against the reference."),
    B_VS_A: QT_TRANSLATE_NOOP("CompareWindow",
                              "B's words scored against A's: how much the two models disagree."),
    RTF_A: QT_TRANSLATE_NOOP("CompareWindow", "Real-time factor of A: seconds of work per "
                             "second of audio (lower is faster)."),
    RTF_B: QT_TRANSLATE_NOOP("CompareWindow", "Real-time factor of B: seconds of work per "
                             "second of audio (lower is faster)."),
    PEAK_A: QT_TRANSLATE_NOOP("CompareWindow", "The model host's highest memory (MiB) while A "
                              "transcribed the file."),
    PEAK_B: QT_TRANSLATE_NOOP("CompareWindow", "The model host's highest memory (MiB) while B "
                              "transcribed the file."),
    WINNER: QT_TRANSLATE_NOOP("CompareWindow", "The lower WER wins; with equal WER (or no "
                              "reference), the faster."),
}
# metric of Comparison.summaries() -> (its name here, unit, scale for describe)
PAIRED = {
    "wer": (QT_TRANSLATE_NOOP("CompareWindow", "WER"), "points", 100.0),
    "rtf": (QT_TRANSLATE_NOOP("CompareWindow", "RTF"), "", 1.0),
    "peak_rss_bytes": (QT_TRANSLATE_NOOP("CompareWindow", "Peak memory"), "MiB", 1.0 / MIB),
    "load_seconds": (QT_TRANSLATE_NOOP("CompareWindow", "Load time"), "s", 1.0),
}  # a metric summaries() does not give is left out
RUN_STATUS = {"refused": QT_TRANSLATE_NOOP("CompareWindow", "refused"),
              "failed": QT_TRANSLATE_NOOP("CompareWindow", "failed")}
REFUSED_COLOUR = "#b03a2e"
WINNER_COLOUR = "#1e7b34"
REFERENCE_FILTER = QT_TRANSLATE_NOOP("CompareWindow", "References (*.tsv *.txt);;All files (*)")


def percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f} %"


def mib(value: int | None) -> str:
    return "–" if value is None else f"{value / MIB:.0f}"


def about(seconds: float | None) -> str:
    """'about 40 s left', 'about 3 min left', 'about 1 h 5 min left'; '' without a rate."""
    if seconds is None:
        return ""
    if seconds < 60:
        return QCoreApplication.translate("CompareWindow", "about {seconds} s left").format(
            seconds=max(5, round(seconds / 5) * 5)
        )
    minutes = round(seconds / 60)
    if minutes < 60:
        return QCoreApplication.translate("CompareWindow", "about {minutes} min left").format(
            minutes=minutes
        )
    return QCoreApplication.translate("CompareWindow", "about {hours} h {minutes} min left").format(
        hours=minutes // 60, minutes=minutes % 60
    )


def progress_text(p: CompareProgress) -> str:
    """'Model B (whisper-tiny.en-transformers) · file 2 of 5 · jfk.wav · 40 % · about 1 min
    left'."""
    parts = [
        QCoreApplication.translate("CompareWindow", "Model {side} ({model})").format(
            side=p.side.upper(), model=p.model
        ),
        QCoreApplication.translate("CompareWindow", "file {number} of {count}").format(
            number=p.file_index + 1, count=p.file_count
        ),
        Path(p.file).name,
        f"{100 * p.fraction:.0f} %",
        about(p.seconds_left),
    ]
    return " · ".join(part for part in parts if part)


def overall_fraction(p: CompareProgress) -> float:
    """How far the whole comparison is: every file through A, then every file through B."""
    done = SIDES.index(p.side) * p.file_count + p.file_index + min(max(p.fraction, 0.0), 1.0)
    return done / max(1, 2 * p.file_count)


def run_cell(run: FileRun, figure: str) -> tuple[str, str]:
    """A run's cell text and tooltip: the figure when it ran; its status, never a number, when
    it was refused or failed; empty while it waits."""
    if run.status == "done":
        return figure, ""
    if run.status in ("refused", "failed"):
        status = QCoreApplication.translate("CompareWindow", RUN_STATUS[run.status])
        return status, run.error or status
    return "", QCoreApplication.translate("CompareWindow", "Not run yet.")


class FileList(QListWidget):
    """The files to compare; dropping files on the window adds them too."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        # A long path elides in the middle instead of widening the list.
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def files(self) -> list[str]:
        return [self.item(i).text() for i in range(self.count())]

    def add(self, paths: list[str]) -> None:
        have = set(self.files())
        for path in paths:
            if path not in have:
                self.addItem(path)
                self.item(self.count() - 1).setToolTip(path)
                have.add(path)


class CompareWindow(QWidget):
    """Two models on the same files: the pickers, the run, the table, the words, the bars."""

    run_requested = Signal(object, object, list, object)  # ModelChoice A, B, files, reference
    stop_requested = Signal()

    def __init__(self, choices: list[ModelChoice] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle(self.tr("Compare models"))
        self.setAcceptDrops(True)
        self.comparison: Comparison | None = None
        self.reference: str | None = None
        self.running = False
        self.start_dir = ""
        self._build()
        self.set_choices(choices or [])
        self.resize(size_on_screen(self, 1280, 760))

    # -- layout ----------------------------------------------------------------------------

    def _build(self) -> None:
        self.a_box, self.b_box = QComboBox(), QComboBox()
        self.a_box.setAccessibleName(self.tr("Model A"))
        self.b_box.setAccessibleName(self.tr("Model B"))
        for box in (self.a_box, self.b_box):
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(18)
            box.currentIndexChanged.connect(self._update_buttons)
        self.reference_label = ElidedLabel()
        self.reference_label.setSizePolicy(QSizePolicy.Policy.Maximum,
                                           QSizePolicy.Policy.Preferred)
        self.reference_button = QPushButton(self.tr("Reference…"))
        self.reference_button.setToolTip(
            self.tr(
                "A manifest (TSV with file and transcript columns) or, "
                "for one file, its transcript as a text file."
            )
        )
        self.reference_button.clicked.connect(self._choose_reference)
        self.clear_reference_button = QToolButton()
        self.clear_reference_button.setAccessibleName(self.tr("Use no reference file"))
        self.clear_reference_button.setText("×")
        self.clear_reference_button.setToolTip(self.tr("Use no reference file."))
        self.clear_reference_button.clicked.connect(lambda: self.set_reference(None))

        self.file_list = FileList()
        self.file_list.setAccessibleName(self.tr("Files to compare"))
        self.file_list.setMinimumHeight(48)
        self.file_list.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.file_list.itemSelectionChanged.connect(self._update_buttons)
        self.add_button = QPushButton(self.tr("Add files…"))
        self.remove_button = QPushButton(self.tr("Remove"))
        self.clear_button = QPushButton(self.tr("Clear"))
        self.add_button.clicked.connect(self._choose_files)
        self.remove_button.clicked.connect(self.remove_selected_files)
        self.clear_button.clicked.connect(self.clear_files)

        self.run_button = QPushButton(self.tr("Run"))
        self.stop_button = QPushButton(self.tr("Stop"))
        self.run_button.clicked.connect(self.run)
        self.stop_button.clicked.connect(self.stop_requested)
        self.progress_label = ElidedLabel()
        self.progress_label.setSizePolicy(QSizePolicy.Policy.Ignored,
                                          QSizePolicy.Policy.Preferred)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setValue(0)
        self.progress_bar.setMaximumWidth(260)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)
        self.message.hide()

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setAccessibleName(self.tr("Results per file"))
        self.table.setHorizontalHeaderLabels([self.tr(name) for name in COLUMNS])
        for column, tip in HEADER_TIPS.items():
            self.table.horizontalHeaderItem(column).setToolTip(self.tr(tip))
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(FILE, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(48)
        self.table.itemSelectionChanged.connect(self._show_selected)

        self.diff = WordDiffView()
        self.a_text, self.b_text = self.diff.a_text, self.diff.b_text
        self.diff.clear()

        self.summary = QTextBrowser()
        self.summary.setAccessibleName(self.tr("Summary"))
        self.summary.setFrameShape(QTextBrowser.Shape.NoFrame)
        self.summary.setOpenLinks(False)
        self.summary.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Expanding)
        self.summary.viewport().setAutoFillBackground(False)
        self.chart = CompareChart()
        self.normalisation_label = QLabel()
        self.normalisation_label.setWordWrap(True)
        self.normalisation_label.setSizePolicy(QSizePolicy.Policy.Ignored,
                                               QSizePolicy.Policy.Minimum)
        self.normalisation_label.setStyleSheet("color: #5a6570;")
        self.json_button = QPushButton(self.tr("Export JSON…"))
        self.csv_button = QPushButton(self.tr("Export CSV…"))
        self.json_button.clicked.connect(lambda: self._choose_export("json"))
        self.csv_button.clicked.connect(lambda: self._choose_export("csv"))

        pickers = QHBoxLayout()
        pickers.addWidget(QLabel(self.tr("Model A")))
        pickers.addWidget(self.a_box, 1)
        pickers.addSpacing(8)
        pickers.addWidget(QLabel(self.tr("Model B")))
        pickers.addWidget(self.b_box, 1)
        pickers.addSpacing(8)
        pickers.addWidget(self.reference_button)
        pickers.addWidget(self.reference_label)
        pickers.addWidget(self.clear_reference_button)

        files = QGridLayout()
        files.addWidget(self.file_list, 0, 0, 3, 1)
        files.addWidget(self.add_button, 0, 1)
        files.addWidget(self.remove_button, 1, 1)
        files.addWidget(self.clear_button, 2, 1)
        files.setColumnStretch(0, 1)

        run_row = QHBoxLayout()
        run_row.addWidget(self.run_button)
        run_row.addWidget(self.stop_button)
        run_row.addWidget(self.progress_label, 1)
        run_row.addWidget(self.progress_bar, 1)

        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(self.table)
        left.addWidget(self.diff)
        left.setChildrenCollapsible(False)
        left.setStretchFactor(0, 1)
        left.setStretchFactor(1, 1)

        exports = QHBoxLayout()
        exports.addStretch(1)
        exports.addWidget(self.json_button)
        exports.addWidget(self.csv_button)
        right = QWidget()
        side = QVBoxLayout(right)
        side.setContentsMargins(0, 0, 0, 0)
        side.addWidget(self.summary, 1)
        side.addWidget(self.chart)
        side.addWidget(self.normalisation_label)
        side.addLayout(exports)

        self.results = QSplitter(Qt.Orientation.Horizontal)
        self.results.addWidget(left)
        self.results.addWidget(right)
        self.results.setChildrenCollapsible(False)
        self.results.setStretchFactor(0, 3)
        self.results.setStretchFactor(1, 2)
        self.results.setSizes([720, 480])  # kept in proportion as the window is sized

        layout = QVBoxLayout(self)
        layout.addLayout(pickers)
        layout.addLayout(files)
        layout.addLayout(run_row)
        layout.addWidget(self.message)
        layout.addWidget(self.results, 1)
        self.set_reference(None)
        self._set_export_enabled(False)
        self._update_buttons()

    # -- the set-up --------------------------------------------------------------------------

    def set_choices(self, choices: list[ModelChoice]) -> None:
        """The models A and B can be (installed transcription models, with their precisions);
        the current picks stay when they are still offered, else A is the first and B the
        second."""
        old = (self.a_box.currentData(), self.b_box.currentData())
        for box, pick, default in ((self.a_box, old[0], 0), (self.b_box, old[1], 1)):
            box.blockSignals(True)
            box.clear()
            for choice in choices:
                box.addItem(choice.label, choice)
                box.setItemData(box.count() - 1, choice.label, Qt.ItemDataRole.ToolTipRole)
            index = choices.index(pick) if pick in choices else -1
            box.setCurrentIndex(index if index >= 0 else min(default, len(choices) - 1))
            box.blockSignals(False)
        self._update_buttons()

    def choices(self) -> tuple[ModelChoice | None, ModelChoice | None]:
        """The picked A and B."""
        return self.a_box.currentData(), self.b_box.currentData()

    def pick(self, a: ModelChoice, b: ModelChoice) -> None:
        for box, choice in ((self.a_box, a), (self.b_box, b)):
            # findData compares Python objects by identity, not by value
            found = [i for i in range(box.count()) if box.itemData(i) == choice]
            box.setCurrentIndex(found[0] if found else -1)

    def files(self) -> list[str]:
        return self.file_list.files()

    def add_files(self, paths: list[str]) -> None:
        """Add files to compare (in order, each once)."""
        self.file_list.add([str(p) for p in paths])
        self._update_buttons()

    def remove_selected_files(self) -> None:
        for item in self.file_list.selectedItems():
            self.file_list.takeItem(self.file_list.row(item))
        self._update_buttons()

    def clear_files(self) -> None:
        self.file_list.clear()
        self._update_buttons()

    def set_reference(self, path: str | None) -> None:
        """The reference file (a manifest or one transcript); None: a NAME.txt beside each audio
        file is its reference where there is one, else B is scored against A only."""
        self.reference = str(path) if path else None
        if self.reference:
            self.reference_label.setText(
                self.tr("Reference: {reference}").format(reference=self.reference)
            )
        else:
            self.reference_label.setText(self.tr("Reference: a .txt beside each file, if any"))
            self.reference_label.setToolTip(
                self.tr(
                    "Without a reference file, NAME.txt next to NAME.wav is its reference; files "
                    "without one are scored B against A only."
                )
            )
        self.clear_reference_button.setEnabled(self.reference is not None)

    def _choose_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self,
            self.tr("Add files to compare"),
            self.start_dir,
            QCoreApplication.translate("DropZone", MEDIA_FILTER),
        )
        if paths:
            self.start_dir = str(Path(paths[0]).parent)
            self.add_files(paths)

    def _choose_reference(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Reference transcripts"), self.start_dir, self.tr(REFERENCE_FILTER)
        )
        if path:
            self.set_reference(path)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt's name
        if local_paths(event.mimeData()) and not self.running:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802 - Qt's name
        if local_paths(event.mimeData()) and not self.running:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt's name
        paths = local_paths(event.mimeData())
        if not paths or self.running:
            event.ignore()
            return
        event.acceptProposedAction()
        self.add_files(paths)

    # -- run and stop ------------------------------------------------------------------------

    def why_not_run(self) -> str:
        """Why Run is disabled, in a sentence; '' when it can run."""
        a, b = self.choices()
        if self.running:
            return self.tr("A comparison is running.")
        if a is None or b is None:
            return self.tr("There is no installed transcription model to compare.")
        if a == b:
            return self.tr("Pick two different models (or two precisions of one) for A and B.")
        if not self.files():
            return self.tr("Add at least one file to compare (or drop files on this window).")
        return ""

    def run(self) -> None:
        """Ask for the comparison: run_requested(A, B, files, reference or None)."""
        if self.why_not_run():
            return
        a, b = self.choices()
        self.set_running(True)
        self.message.hide()
        self.progress_label.setText(
            self.tr("Starting: {a} against {b}…").format(a=a.label, b=b.label)
        )
        set_bar_value(self.progress_bar, 0)
        self.run_requested.emit(a, b, self.files(), self.reference)

    def set_running(self, running: bool) -> None:
        """A comparison started or ended (done, stopped or failed): Run, Stop and the set-up
        follow."""
        self.running = running
        if not running:
            self.progress_label.setText("")
        self._update_buttons()

    def _update_buttons(self) -> None:
        why = self.why_not_run()
        self.run_button.setEnabled(not why)
        self.run_button.setToolTip(why or self.tr("Run every file through A, then through B."))
        self.stop_button.setEnabled(self.running)
        idle = not self.running
        for widget in (self.a_box, self.b_box, self.reference_button, self.add_button,
                       self.clear_button):
            widget.setEnabled(idle)
        self.clear_reference_button.setEnabled(idle and self.reference is not None)
        self.remove_button.setEnabled(idle and bool(self.file_list.selectedItems()))
        self.progress_bar.setVisible(self.running)

    # -- what the worker reports --------------------------------------------------------------

    def show_progress(self, p: CompareProgress) -> None:
        """Which model, which file, how far and the time left."""
        self.progress_label.setText(progress_text(p))
        set_bar_value(self.progress_bar, int(1000 * overall_fraction(p)))

    def show_error(self, message: str) -> None:
        """One sentence under the run line; it wraps, never widening the window."""
        self.message.setStyleSheet(f"color: {REFUSED_COLOUR};")
        self.message.setText(" ".join(message.split()))
        self.message.show()

    def show_message(self, message: str) -> None:
        self.message.setStyleSheet("")
        self.message.setText(message)
        self.message.show()

    def show_comparison(self, c: Comparison) -> None:
        """The table, the summary, the bars and the selected file's words of c (partial
        results too: runs not tried yet show empty cells)."""
        selected = self.selected_file()
        self.comparison = c
        self._fill_table(c)
        self.summary.setHtml(summary_html(c))
        self.chart.set_values(chart_values(c))
        self.normalisation_label.setText(c.normalisation)
        self._set_export_enabled(True)
        row = c.files.index(selected) if selected in c.files else 0
        if c.files:
            self.table.selectRow(row)
        self._show_selected()

    def _fill_table(self, c: Comparison) -> None:
        self.table.setRowCount(len(c.files))
        for row, file in enumerate(c.files):
            a, b = c.run_for("a", file), c.run_for("b", file)
            winner = c.winner(file)
            cells = {
                FILE: (Path(file).name, file),
                WER_A: run_cell(a, self._wer(c, a)),
                WER_B: run_cell(b, self._wer(c, b)),
                B_VS_A: run_cell(b, percent(b.wer_vs_a))
                if b.status != "done"
                else (
                    percent(b.wer_vs_a),
                    "" if b.wer_vs_a is not None else self.tr("A did not run."),
                ),
                RTF_A: run_cell(a, "–" if a.rtf is None else f"{a.rtf:.3f}"),
                RTF_B: run_cell(b, "–" if b.rtf is None else f"{b.rtf:.3f}"),
                PEAK_A: run_cell(a, mib(a.peak_rss_bytes)),
                PEAK_B: run_cell(b, mib(b.peak_rss_bytes)),
                WINNER: (
                    {"a": "A", "b": "B", "tie": self.tr("tie")}.get(winner or "", ""),
                    "" if winner else self.tr("Only a file both models ran has a winner."),
                ),
            }
            ended_words = {QCoreApplication.translate("CompareWindow", w)
                           for w in RUN_STATUS.values()}
            for column, (text, tip) in cells.items():
                item = QTableWidgetItem(text)
                item.setToolTip(tip)
                if column != FILE:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                if text in ended_words:  # "refused" or "failed", in the interface language
                    item.setForeground(QColor(REFUSED_COLOUR))
                if column == WINNER and winner in ("a", "b"):
                    item.setForeground(QColor(WINNER_COLOUR))
                self.table.setItem(row, column, item)

    @staticmethod
    def _wer(c: Comparison, run: FileRun) -> str:
        return percent(run.wer) if run.file in c.references else "–"

    def cell(self, file: str, column: int) -> QTableWidgetItem:
        """The table's item for file (as given) and column (FILE, WER_A...)."""
        return self.table.item(self.comparison.files.index(file), column)

    def selected_file(self) -> str | None:
        rows = self.table.selectionModel().selectedRows() if self.comparison else []
        if not rows or rows[0].row() >= len(self.comparison.files):
            return None
        return self.comparison.files[rows[0].row()]

    def select_file(self, file: str) -> None:
        self.table.selectRow(self.comparison.files.index(file))

    def _show_selected(self) -> None:
        c, file = self.comparison, self.selected_file()
        if c is None or file is None:
            self.diff.clear()
            return
        texts, notes, titles = [], [], []
        for side in SIDES:
            run = c.run_for(side, file)
            texts.append(run.text if run.ran else None)
            notes.append(f"{run.status.capitalize()}: {run.error}" if run.error
                         else self.tr("Not run yet."))
            wer = f" · WER {percent(run.wer)}" if run.ran and run.wer is not None else ""
            titles.append(f"{side.upper()} · {c.choice(side).label}{wer}")
        self.diff.show_pair(titles[0], texts[0], titles[1], texts[1], notes[0], notes[1])

    def diff_html(self) -> tuple[str, str]:
        """The HTML of A's and B's words for the selected file."""
        return self.diff.diff_html()

    def chart_values(self) -> dict[str, tuple[float | None, float | None]]:
        """The bars drawn: {'wer' (%), 'rtf', 'peak' (MiB)}: (A, B), None without a figure."""
        return self.chart.values()

    # -- export --------------------------------------------------------------------------------

    def _set_export_enabled(self, enabled: bool) -> None:
        self.json_button.setEnabled(enabled)
        self.csv_button.setEnabled(enabled)

    def _choose_export(self, kind: str) -> None:
        c = self.comparison
        if c is None:
            return
        name = f"compare-{c.a.label}-vs-{c.b.label}.{kind}".replace(":", "-")
        path, _ = QFileDialog.getSaveFileName(
            self,
            self.tr("Export the comparison as {kind}").format(kind=kind.upper()),
            str(Path(self.start_dir) / name),
            f"{kind.upper()} (*.{kind})",
        )
        if path:
            self.export(kind, path)

    def export(self, kind: str, path: str) -> Path | None:
        """Write the shown comparison as 'json' or 'csv' to path; the path written, or None
        after showing why not."""
        if self.comparison is None:
            return None
        text = (comparison_json if kind == "json" else comparison_csv)(self.comparison)
        try:
            write_atomically(Path(path), text)
        except (OSError, UnicodeError) as exc:
            self.show_error(
                self.tr("Could not write {path}: {reason}.").format(
                    path=path, reason=exc.strerror or exc
                )
                if isinstance(exc, OSError)
                else self.tr("Could not write {path}: {reason}.").format(path=path, reason=exc)
            )
            return None
        self.show_message(self.tr("Saved the comparison to {path}.").format(path=path))
        return Path(path)


def chart_values(c: Comparison) -> dict[str, tuple[float | None, float | None]]:
    """WER over all reference words (%), real-time factor and peak memory (MiB) of A and B."""
    a, b = c.side_summary("a"), c.side_summary("b")

    def pair(key: str, scale: float) -> tuple[float | None, float | None]:
        return tuple(None if f[key] is None else f[key] * scale for f in (a, b))

    return {"wer": pair("wer", 100.0), "rtf": pair("rtf", 1.0),
            "peak": pair("peak_rss_bytes", 1.0 / MIB)}


def summary_html(c: Comparison) -> str:
    """Each model's figures, refusals and failures, the paired differences with their
    intervals and who won how many files."""
    figures = {side: c.side_summary(side) for side in SIDES}

    def size(n: int | None) -> str:
        return "–" if not n else format_size(n)

    def row(name: str, cells: list[str]) -> str:
        return (f"<tr><td>{name}</td>"
                + "".join(f"<td align='right'>&nbsp;&nbsp;{x}</td>" for x in cells) + "</tr>")

    lines = [f"<b>A</b> {escape(c.a.label)}<br><b>B</b> {escape(c.b.label)}",
             "<table cellspacing='0' cellpadding='1'>",
             "<tr><td></td><td align='right'><b>A</b></td><td align='right'><b>B</b></td></tr>"]

    def done(f: dict) -> str:
        return QCoreApplication.translate("CompareWindow", "{done} of {count}").format(
            done=f["files_done"], count=len(c.files))

    shown = [  # (name, how one model's figure is shown)
        (QCoreApplication.translate("CompareWindow", "Files done"), done),
        (QCoreApplication.translate("CompareWindow", "WER, all words"),
         lambda f: percent(f["wer"])),
        (QCoreApplication.translate("CompareWindow", "Real-time factor"),
         lambda f: "–" if f["rtf"] is None else f"{f['rtf']:.3f}"),
        (QCoreApplication.translate("CompareWindow", "Peak memory"),
         lambda f: size(f["peak_rss_bytes"])),
        (QCoreApplication.translate("CompareWindow", "Load time"),
         lambda f: "–" if f["load_seconds"] is None else f"{f['load_seconds']:.1f} s"),
        (QCoreApplication.translate("CompareWindow", "Estimate"),
         lambda f: size(f["estimate_bytes"])),
        (QCoreApplication.translate("CompareWindow", "Measured"),
         lambda f: size(f["measured_bytes"])),
    ]
    lines += [row(name, [show(figures[side]) for side in "ab"]) for name, show in shown]
    lines.append("</table>")
    for side in SIDES:
        f = figures[side]
        if f["refused"]:
            said = QCoreApplication.translate("CompareWindow", "{side} was refused:").format(
                side=side.upper())
            lines.append(f"<p style='color:{REFUSED_COLOUR}'><b>{said}</b> "
                         f"{escape(f['refused'])}</p>")
        for failure in f["failed"]:
            said = QCoreApplication.translate("CompareWindow", "{side} failed on {file}:").format(
                side=side.upper(), file=escape(Path(failure["file"]).name))
            lines.append(f"<p style='color:{REFUSED_COLOUR}'><b>{said}</b> "
                         f"{escape(failure['error'] or '')}</p>")
    paired = c.summaries()
    lines.append("<p>")
    for metric, (name, unit, scale) in PAIRED.items():
        if metric in paired:
            name = QCoreApplication.translate("CompareWindow", name)
            lines.append(f"<b>{name}</b>: {escape(describe(paired[metric], unit, scale))}<br>")
    winners = [c.winner(f) for f in c.files]
    lines.append(QCoreApplication.translate("CompareWindow", "A won {a}, B won {b}, ties {ties}")
                 .format(a=winners.count("a"), b=winners.count("b"), ties=winners.count("tie"))
                 + "</p>")
    return "\n".join(lines)
