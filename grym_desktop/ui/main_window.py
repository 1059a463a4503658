"""The main window: drop files, watch the queue, read transcripts, watch memory."""

from __future__ import annotations

import os
import re
import time
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QSettings, Qt, QTimer, QUrl
from PySide6.QtGui import (
    QAction,
    QColor,
    QDesktopServices,
    QKeySequence,
    QShortcut,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from grym_desktop.audio.recording import is_app_recording
from grym_desktop.errors import GrymError
from grym_desktop.memory.limits import format_size
from grym_desktop.memory.state import read_state
from grym_desktop.orchestrator.speakers import is_unnamed, name_speaker
from grym_desktop.settings import Settings, fallback_chain, load_settings, save_settings
from grym_desktop.store.library import Library
from grym_desktop.transcript import Fallback, Segment, Transcript, clock
from grym_desktop.ui.ask_panel import AskPanel
from grym_desktop.ui.ask_runner import AskRunner
from grym_desktop.ui.compare_runner import CompareRunner
from grym_desktop.ui.compare_window import CompareWindow
from grym_desktop.ui.drop_zone import MEDIA_FILTER, DropZone, local_paths
from grym_desktop.ui.fallback_dialog import FallbackDialog
from grym_desktop.ui.features_panel import FeaturesPanel
from grym_desktop.ui.history import FILE_ROLE, LENGTHS, SORTS, HistoryList, first_line
from grym_desktop.ui.live_panel import LivePanel
from grym_desktop.ui.memory_chart import MemoryChart
from grym_desktop.ui.memory_panel import MemoryPanel
from grym_desktop.ui.model_manager import ModelManager
from grym_desktop.ui.model_picker import ModelPicker
from grym_desktop.ui.player_bar import PlayerBar
from grym_desktop.ui.settings_dialog import SettingsDialog, transcribe_choices
from grym_desktop.ui.speakers_bar import SpeakersBar
from grym_desktop.ui.transcript_editor import TranscriptEditor
from grym_desktop.ui.watch_folder import WatchDialog, WatchRunner
from grym_desktop.ui.waveform import WaveformStrip
from grym_desktop.ui.widgets import (
    ElidedLabel,
    ExportRow,
    set_bar_value,
    size_on_screen,
    transcribe_models,
)
from grym_desktop.ui.worker import ModelWorker, Status, TaskRecord, queue_word

STATUS_COLOURS = {
    Status.RUNNING: "#1f5fbf", Status.DONE: "#1e7b34", Status.FAILED: "#b03a2e",
    Status.REFUSED: "#b03a2e", Status.CANCELLED: "#7f6a00",
}


LAYOUT_VERSION = 3  # of the saved panel layout; raise it when the panels change
QUEUE_STRIP_ROWS = 3
PANEL_FEATURES = (QDockWidget.DockWidgetFeature.DockWidgetMovable
                  | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                  | QDockWidget.DockWidgetFeature.DockWidgetClosable)


AUTOSAVE_MS = 1000  # corrections are kept as a draft this long after the last one
AUDIO_DELAY_MS = 400
WAVEFORM_HEIGHT = 64
SEARCH_LIMIT = 100


# What each pressure level makes the planner do, for the status bar (translated when shown).
PRESSURE_EFFECTS = {
    "normal": "",
    "elevated": QT_TRANSLATE_NOOP("MainWindow", " (reduced precision preferred)"),
    "high": QT_TRANSLATE_NOOP("MainWindow", " (batch 1, 30 s windows)"),
    "warning": QT_TRANSLATE_NOOP("MainWindow", " (warning: close to the limit)"),
    "critical": QT_TRANSLATE_NOOP("MainWindow", " (no new loads)"),
}


def short_name(path: str, width: int = 18) -> str:
    """A file name cut in the middle to fit a chart label."""
    name = Path(path).name
    return name if len(name) <= width else name[: width // 2 - 1] + "…" + name[-(width // 2):]


class MainWindow(QMainWindow):
    """Drop zone, queue, transcript, history and memory chart around one ModelWorker."""

    def __init__(self, limit_bytes: int, settings: QSettings | None = None) -> None:
        super().__init__()
        self.setWindowTitle("grym-desktop")
        self.setAcceptDrops(True)
        self.limit_bytes = limit_bytes
        self.settings = settings if settings is not None else QSettings()
        self.library = Library()
        self.tasks: dict[int, TaskRecord] = {}  # the latest record of each task in the queue
        self.rows: dict[int, QTreeWidgetItem] = {}  # the queue row of each task
        self.running_id: int | None = None
        self.shown: Transcript | None = None  # what the transcript view holds
        self.shown_task_id: int | None = None
        # True while the view follows the queue (each new file as it is transcribed); False
        # once the user opens a transcript, which then stays until they choose another.
        self.following = True
        self.running_segments: list[Segment] = []  # of the running task, shown or not
        self.decode_started: tuple[float, float] | None = None  # (time, fraction) of 1st report
        self.stage = "transcribing"  # of the running task, as its queue row says
        self.model_manager: ModelManager | None = None
        self.compare_window: CompareWindow | None = None
        self.host_pid = 0

        self._build()

        self.worker = ModelWorker(limit_bytes)
        w = self.worker
        w.task_queued.connect(self.on_task_queued)
        w.task_started.connect(self.on_task_started)
        w.progress.connect(self.on_progress)
        w.stage_changed.connect(self.on_stage_changed)
        w.segment_added.connect(self.on_segment_added)
        w.task_finished.connect(self.on_task_finished)
        w.task_failed.connect(self.on_task_failed)
        w.model_loading.connect(self.on_model_loading)
        w.model_loaded.connect(self.on_model_loaded)
        w.model_unloaded.connect(self.on_model_unloaded)
        w.fallback_used.connect(self.on_fallback_used)
        w.plan_made.connect(self.on_plan_made)
        w.host_restarted.connect(self.on_host_restarted)
        w.host_pid_changed.connect(self.on_host_pid_changed)
        w.start()

        # Live transcription runs on the same worker (one model host, one model at a time).
        self.live_panel = LivePanel(w, self.settings)
        self.live_dock = QDockWidget(self.tr("Live"), self)
        self.live_dock.setObjectName("live")
        self.live_dock.setWidget(self.live_panel)
        # Closable: View ▸ Live brings it back; closed, it takes no room.
        self.live_dock.setFeatures(PANEL_FEATURES)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.live_dock)
        self.splitDockWidget(self.memory_dock, self.live_dock, Qt.Orientation.Horizontal)
        # Features of the shown recording, a tab beside Memory; computed only while looked at.
        self.features_panel = FeaturesPanel(w, self.settings)
        self.features_dock = QDockWidget(self.tr("Features"), self)
        self.features_dock.setObjectName("features")
        # In a scroll area: the panel's controls never make the window taller than the screen
        # (with a transcript shown they asked for 810 px on a 768 px screen).
        features_scroll = QScrollArea()
        features_scroll.setWidgetResizable(True)
        features_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        features_scroll.setWidget(self.features_panel)
        features_scroll.setAccessibleName(self.tr("Features"))
        self.features_dock.setWidget(features_scroll)
        self.features_dock.setFeatures(PANEL_FEATURES)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.features_dock)
        self.tabifyDockWidget(self.memory_dock, self.features_dock)
        self.memory_dock.raise_()
        self.features_dock.hide()
        self.features_dock.visibilityChanged.connect(self._features_shown)
        self.features_panel.seek_requested.connect(self.play_from)
        self.features_panel.open_requested.connect(self.open_recording)
        self.transcript_view.segment_selected.connect(self.features_panel.show_span)
        # Questions about the shown recording, answered by an audio-language model.
        self.ask_panel = AskPanel()
        self.ask_dock = QDockWidget(self.tr("Ask"), self)
        self.ask_dock.setObjectName("ask")
        self.ask_dock.setWidget(self.ask_panel)
        self.ask_dock.setFeatures(PANEL_FEATURES)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.ask_dock)
        self.ask_dock.hide()
        self.ask_runner = AskRunner(self.ask_panel, w, self.library)
        self.ask_panel.seek_requested.connect(self.play_from)
        self._build_menus()
        self._restore_settings()
        self.live_panel.saved.connect(lambda _transcript: self.refresh_history())
        # A watched folder (File ▸ Watch a folder…): its new files are queued here and their
        # transcripts written to its output folder; a watch on when the window closed resumes.
        self.watch_runner = WatchRunner(w, self.settings, parent=self)
        self.watch_runner.message.connect(self.statusBar().showMessage)
        self.watch_runner.status_changed.connect(self._show_watch_status)
        self.watch_runner.restore()

        self.memory_panel.connect_worker(w)
        self.memory_panel.start(lambda: self.host_pid or None)
        self.state_timer = QTimer(self)
        self.state_timer.setInterval(1000)
        self.state_timer.timeout.connect(self.refresh_memory_state)
        self.state_timer.start()
        self.refresh_memory_state()
        self.refresh_history()

    @property
    def states(self) -> dict[int, Status]:
        """Each queued task's status by id; bench/gui_stall_bench.py reads it."""
        return {task_id: record.status for task_id, record in self.tasks.items()}

    # -- layout --------------------------------------------------------------------------

    def _build(self) -> None:
        self.drop_zone = DropZone()
        self.drop_zone.files_dropped.connect(self.add_files)
        self.model_box = ModelPicker(self.limit_bytes)  # installed first; offers downloads
        self.model_box.setAccessibleName(self.tr("Model"))
        model_row = QHBoxLayout()
        model_row.addWidget(QLabel(self.tr("Model")))
        model_row.addWidget(self.model_box, 1)
        self.models_button = QPushButton(self.tr("Models…"))
        self.models_button.clicked.connect(self.open_model_manager)
        model_row.addWidget(self.models_button)

        self.queue = QTreeWidget()
        self.queue.setAccessibleName(self.tr("Queue"))
        self.queue.setAccessibleDescription(
            self.tr("The files waiting, running and done, with their status")
        )
        self.queue.setHeaderLabels([self.tr("File"), self.tr("Status")])
        self.queue.setRootIsDecorated(False)
        self.queue.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.queue.setUniformRowHeights(True)
        header = self.queue.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(0, 160)
        header.setStretchLastSection(True)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setValue(0)
        self.progress_bar.setFormat(self.tr("idle"))
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_running)
        self.remove_button = QPushButton(self.tr("Remove"))
        self.remove_button.clicked.connect(self.remove_selected)
        buttons = QHBoxLayout()
        self.override_button = QPushButton(self.tr("Load anyway…"))
        self.override_button.setToolTip(
            self.tr("Load a model the memory guard refused, after confirming")
        )
        self.override_button.setEnabled(False)
        self.override_button.clicked.connect(self.load_anyway)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.remove_button)
        buttons.addWidget(self.override_button)

        self.history = HistoryList()
        self.history.setAccessibleName(self.tr("Library"))
        self.history.setAccessibleDescription(
            self.tr("Past transcripts; the context menu renames, stars or deletes one")
        )
        self.history.transcript_chosen.connect(self.open_history_item)
        self.history.again_requested.connect(self.transcribe_again)
        self.history.folder_requested.connect(
            lambda path: QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(path).parent))))
        self.history.delete_requested.connect(self.delete_history_item)
        self.history.rename_requested.connect(self.rename_history_item)
        self.history.star_requested.connect(self.star_history_item)
        self.history_filter = QLineEdit()
        self.history_filter.setAccessibleName(self.tr("Filter the library"))
        self.history_filter.setPlaceholderText(self.tr("Filter by name, file, model or date"))
        self.history_filter.setClearButtonEnabled(True)
        self.history_filter.textChanged.connect(self.history.set_filter)
        # Search through the words of every transcript; a hit opens it there and plays.
        self.search_box = QLineEdit()
        self.search_box.setAccessibleName(self.tr("Search all transcripts"))
        self.search_box.setPlaceholderText(self.tr("Search the words of every transcript"))
        self.search_box.setClearButtonEnabled(True)
        self.search_box.returnPressed.connect(lambda: self.search(self.search_box.text()))
        self.search_box.textChanged.connect(
            lambda text: None if text.strip() else self.search_results.hide())
        self.search_results = QListWidget()
        self.search_results.setAccessibleName(self.tr("Search results"))
        self.search_results.setWordWrap(True)
        self.search_results.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.search_results.itemClicked.connect(self.open_search_hit)
        self.search_results.hide()
        self.starred_only = QToolButton()
        self.starred_only.setAccessibleName(self.tr("Show starred transcripts only"))
        self.starred_only.setText("★")
        self.starred_only.setCheckable(True)
        self.starred_only.setToolTip(self.tr("Show starred transcripts only"))
        self.starred_only.toggled.connect(self.history.set_starred_only)
        self.edited_only = QToolButton()
        self.edited_only.setAccessibleName(self.tr("Show corrected transcripts only"))
        self.edited_only.setText("✎")
        self.edited_only.setCheckable(True)
        self.edited_only.setToolTip(self.tr("Show corrected transcripts only"))
        self.edited_only.toggled.connect(self.history.set_edited_only)
        self.history_sort = QComboBox()
        self.history_sort.setAccessibleName(self.tr("Order of the library"))
        for key in SORTS:  # shown translated; the key goes to the list
            self.history_sort.addItem(QCoreApplication.translate("History", key), key)
        self.history_sort.setToolTip(self.tr("Order of the library"))
        self.history_sort.currentIndexChanged.connect(
            lambda _: self.history.set_sort(self.history_sort.currentData()))
        self.history_length = QComboBox()
        self.history_length.setAccessibleName(self.tr("Length of the transcripts shown"))
        for key in LENGTHS:
            self.history_length.addItem(QCoreApplication.translate("History", key), key)
        self.history_length.setToolTip(self.tr("Only transcripts of this length"))
        self.history_length.currentIndexChanged.connect(
            lambda _: self.history.set_length(self.history_length.currentData()))
        for box in (self.history_length, self.history_sort):  # narrow sidebars cut the text
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(6)
        filter_row = QHBoxLayout()
        filter_row.addWidget(self.history_filter, 1)
        filter_row.addWidget(self.starred_only)
        filter_row.addWidget(self.edited_only)
        order_row = QHBoxLayout()
        order_row.addWidget(self.history_length, 1)
        order_row.addWidget(self.history_sort, 1)
        self.queue.itemClicked.connect(self.open_queue_row)

        # The library sidebar: every past transcript, with its filter at the top.
        sidebar = QWidget()
        sv = QVBoxLayout(sidebar)
        sv.setContentsMargins(8, 8, 4, 8)
        sv.addWidget(_heading(self.tr("Library")))
        sv.addWidget(self.search_box)
        sv.addWidget(self.search_results, 1)
        sv.addLayout(filter_row)
        sv.addLayout(order_row)
        sv.addWidget(self.history, 1)

        self.transcript_title = ElidedLabel(self.tr("No transcript yet"))
        bold = self.transcript_title.font()
        bold.setBold(True)
        self.transcript_title.setFont(bold)
        self.transcript_view = TranscriptEditor()  # segments; corrected in place once done
        self.transcript_view.edited.connect(self.on_transcript_edited)
        # Listening: the original audio, its waveform, and the segment being heard marked.
        self.waveform = WaveformStrip()
        self.waveform.setFixedHeight(WAVEFORM_HEIGHT)
        self.player_bar = PlayerBar()
        self.player_bar.position_changed.connect(self.on_playback_position)
        self.player_bar.locate_requested.connect(self.locate_audio)
        self.waveform.seek_requested.connect(self.play_from)
        self.transcript_view.play_requested.connect(self.play_from)
        # A file the queue just finished gets its audio a moment later, unless the next file
        # has started by then: a fast queue does not open every file's audio on the way.
        self.pending_audio: str | None = None
        self.audio_timer = QTimer(self)
        self.audio_timer.setSingleShot(True)
        self.audio_timer.setInterval(AUDIO_DELAY_MS)
        self.audio_timer.timeout.connect(self._load_pending_audio)
        self.transcript_view.loop_requested.connect(self.player_bar.set_loop)
        self.listening = QWidget()
        listening = QVBoxLayout(self.listening)
        listening.setContentsMargins(0, 0, 0, 0)
        listening.setSpacing(0)
        listening.addWidget(self.waveform)
        listening.addWidget(self.player_bar)
        self.listening.hide()
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setSingleShot(True)
        self.autosave_timer.setInterval(AUTOSAVE_MS)
        self.autosave_timer.timeout.connect(self.save_draft)
        self.export_row = ExportRow(self.settings)
        self.export_row.exported.connect(
            lambda path: self.statusBar().showMessage(
                self.tr("Exported {path}").format(path=path), 8000
            )
        )
        self.export_row.failed.connect(lambda message: self.statusBar().showMessage(
            first_line(message)))
        self.speakers_bar = SpeakersBar()
        self.speakers_bar.rename_requested.connect(self.rename_speaker)
        title_row = QHBoxLayout()
        title_row.addWidget(self.transcript_title, 1)
        title_row.addWidget(self.export_row)
        self.fallback_label = QLabel()
        self.fallback_label.setWordWrap(True)
        self.fallback_label.setStyleSheet("color: #8a5a00;")
        self.fallback_label.hide()

        # The centre: where files come in, the queue as a strip, and the transcript.
        rows_high = QUEUE_STRIP_ROWS * (self.queue.fontMetrics().height() + 6)
        self.queue.setMaximumHeight(rows_high + self.queue.header().sizeHint().height() + 4)
        centre = QWidget()
        cv = QVBoxLayout(centre)
        cv.setContentsMargins(4, 8, 8, 4)
        intake = QHBoxLayout()  # files in and the model that transcribes them: one row
        intake.addWidget(self.drop_zone, 1)
        intake.addLayout(model_row, 1)
        cv.addLayout(intake)
        cv.addWidget(self.queue)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress_bar, 1)
        progress_row.addLayout(buttons)
        cv.addLayout(progress_row)
        cv.addLayout(title_row)
        cv.addWidget(self.speakers_bar)
        cv.addWidget(self.fallback_label)
        cv.addWidget(self.listening)
        cv.addWidget(self.transcript_view, 1)
        play = QShortcut(QKeySequence(Qt.Key.Key_Space), self)
        play.activated.connect(self.toggle_playback)

        self.main_split = QSplitter(Qt.Orientation.Horizontal)
        self.main_split.addWidget(sidebar)
        self.main_split.addWidget(centre)
        self.main_split.setStretchFactor(1, 1)
        self.main_split.setSizes([320, 1000])
        self.setCentralWidget(self.main_split)

        # The memory chart: a panel under the transcript that closes, floats or moves.
        self.chart = MemoryChart()
        self.memory_panel = MemoryPanel(self.chart)  # the chart plus the profiler's report
        self.memory_dock = QDockWidget(self.tr("Memory"), self)
        self.memory_dock.setObjectName("memory")
        self.memory_dock.setWidget(self.memory_panel)
        self.memory_dock.setFeatures(PANEL_FEATURES)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.memory_dock)

        right = Qt.TextElideMode.ElideRight
        self.model_label = ElidedLabel(self.tr("Model: none loaded"), mode=right)
        self.pressure_label = ElidedLabel(self.tr("Memory: –"), mode=right)
        self.watch_label = ElidedLabel("", mode=right)  # "Watching FOLDER → OUTPUT"
        self.watch_label.hide()
        for label in (self.watch_label, self.model_label, self.pressure_label):
            label.setContentsMargins(10, 0, 10, 0)
            self.statusBar().addPermanentWidget(label)

    def _build_menus(self) -> None:
        """File, Edit, View, Models and Help, with the usual shortcuts."""
        bar = self.menuBar()
        file_menu = bar.addMenu(self.tr("&File"))
        self._action(
            file_menu, self.tr("&Open files…"), self.drop_zone.open_files, QKeySequence.Open
        )
        self._action(
            file_menu, self.tr("&Export transcript…"), self.export_row.choose_file, "Ctrl+E"
        )
        file_menu.addSeparator()
        self._action(file_menu, self.tr("&Watch a folder…"), self.open_watch_dialog)
        self.stop_watch_action = self._action(
            file_menu, self.tr("S&top watching"), self.stop_watching
        )
        self.stop_watch_action.setEnabled(False)
        file_menu.addSeparator()
        self._action(file_menu, self.tr("&Quit"), self.close, "Ctrl+Q")
        edit_menu = bar.addMenu(self.tr("&Edit"))
        editor = self.transcript_view.actions_by_name
        edit_menu.addAction(editor["undo"])
        edit_menu.addAction(editor["redo"])
        edit_menu.addSeparator()
        self._action(
            edit_menu, self.tr("&Find in transcript…"), self.find_in_transcript, QKeySequence.Find
        )
        self._action(
            edit_menu, self.tr("Search &all transcripts"), self.focus_search, "Ctrl+Shift+F"
        )
        edit_menu.addAction(editor["replace"])
        self._action(edit_menu, self.tr("&Save corrections"), self.save_edits, QKeySequence.Save)
        edit_menu.addSeparator()
        for name in ("split", "merge", "delete", "start_earlier", "start_later", "end_earlier",
                     "end_later"):
            edit_menu.addAction(editor[name])
        edit_menu.addSeparator()
        self._action(edit_menu, self.tr("&Settings…"), self.open_settings, "Ctrl+,")
        view_menu = bar.addMenu(self.tr("&View"))
        live = self.live_dock.toggleViewAction()
        live.setText(self.tr("&Live microphone"))
        live.setShortcut(QKeySequence("Ctrl+L"))
        view_menu.addAction(live)
        self._action(view_menu, self.tr("Start/stop &recording"), self.toggle_recording, "Ctrl+R")
        memory = self.memory_dock.toggleViewAction()
        memory.setText(self.tr("&Memory chart"))
        memory.setShortcut(QKeySequence("Ctrl+M"))
        view_menu.addAction(memory)
        features = self.features_dock.toggleViewAction()
        features.setText(self.tr("Audio &features"))
        features.setShortcut(QKeySequence("Ctrl+Shift+E"))
        features.triggered.connect(self._features_opened)
        view_menu.addAction(features)
        ask = self.ask_dock.toggleViewAction()
        ask.setText(self.tr("&Ask the recording"))
        ask.setShortcut(QKeySequence("Ctrl+Shift+A"))
        view_menu.addAction(ask)
        models_menu = bar.addMenu(self.tr("&Models"))
        self._action(models_menu, self.tr("&Models…"), self.open_model_manager, "Ctrl+Shift+M")
        self._action(models_menu, self.tr("&Fallback models…"), self.edit_fallback_chain)
        self._action(
            models_menu, self.tr("&Compare two models…"), self.open_compare, "Ctrl+Shift+C"
        )
        help_menu = bar.addMenu(self.tr("&Help"))
        self._action(help_menu, self.tr("&About grym-desktop"), self.show_about)

    def _action(self, menu, text: str, slot, shortcut=None) -> QAction:
        action = menu.addAction(text)
        action.triggered.connect(lambda: slot())
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        return action

    def open_settings(self) -> SettingsDialog:
        """The Settings dialog; a new memory limit applies at once."""
        dialog = SettingsDialog(self.settings, self.live_panel.device_names(), self.limit_bytes,
                                self)
        dialog.accepted.connect(lambda: self.set_limit(dialog.limit_bytes))
        dialog.open()
        return dialog

    def open_watch_dialog(self) -> WatchDialog:
        """File ▸ Watch a folder…: the folder, output folder, format and model; OK watches."""
        dialog = WatchDialog(self.settings, self.model_box.installed_ids(),
                             self.model_box.current_model_id(), self)
        dialog.accepted.connect(lambda: self.watch_runner.start(dialog.choice()))
        dialog.open()
        return dialog

    def stop_watching(self) -> None:
        self.watch_runner.stop()
        self.statusBar().showMessage(
            self.tr("Stopped watching; files already queued still finish."), 8000
        )

    def _show_watch_status(self, text: str) -> None:
        self.watch_label.setText(text)
        self.watch_label.setVisible(bool(text))
        self.stop_watch_action.setEnabled(bool(text))

    def set_limit(self, limit_bytes: int) -> None:
        """Use a new memory limit now: the guard, the watchdog and the memory chart."""
        self.limit_bytes = limit_bytes
        self.worker.set_limit(limit_bytes)
        if self.model_manager is not None:
            self.model_manager.limit_bytes = limit_bytes
        self.refresh_memory_state()

    def toggle_recording(self) -> None:
        """Start or stop the live session, showing the Live dock if it was closed."""
        self.live_dock.show()
        self.live_panel.toggle()

    def find_in_transcript(self) -> None:
        text, ok = QInputDialog.getText(self, self.tr("Find"), self.tr("Find in the transcript:"))
        if ok and text and not self.transcript_view.find_next(text):
            self.statusBar().showMessage(
                self.tr("“{text}” is not in this transcript.").format(text=text), 5000
            )

    # -- corrections ---------------------------------------------------------------------

    def on_transcript_edited(self) -> None:
        """An edit (or undo): exports use the corrected text; a draft is kept soon after."""
        if self.shown is None:
            return
        self.waveform.set_segments([(s.start, s.end) for s in self.transcript_view.segments()])
        self.following = False  # the next file must not replace what is being corrected
        self.shown = replace(self.shown, segments=self.transcript_view.segments(),
                             edited=self.shown.edited or self.transcript_view.modified)
        self.export_row.set_transcript(self.shown)
        self._show_title()
        self.autosave_timer.start()

    def save_draft(self) -> None:
        """Keep unsaved corrections in the library, so a crash loses none of them."""
        transcript_id = self.shown.library_id if self.shown is not None else None
        if transcript_id is None:
            return
        try:
            if self.transcript_view.modified:
                self.library.save_draft(transcript_id, self.transcript_view.segments())
            else:
                self.library.discard_draft(transcript_id)
        except GrymError as exc:
            self.statusBar().showMessage(first_line(str(exc)))

    def save_edits(self) -> bool:
        """Save the corrections as the transcript's text; the model's original is kept."""
        if self.shown is None or self.shown.library_id is None or not self.transcript_view.modified:
            return True
        self.autosave_timer.stop()
        try:
            self.library.save_edit(self.shown.library_id, self.transcript_view.segments())
        except GrymError as exc:
            self.statusBar().showMessage(first_line(str(exc)))
            return False
        self.transcript_view.set_saved()
        self.shown = replace(self.shown, edited=True)
        self._show_title()
        self.statusBar().showMessage(
            self.tr("Saved the corrections; the model's text is kept too."), 8000
        )
        self.refresh_history()
        return True

    def settle_edits(self) -> bool:
        """Before the shown transcript goes away: ask to save unsaved corrections. False when
        the user cancels (the transcript stays)."""
        if self.shown is None or not self.transcript_view.modified:
            return True
        answer = QMessageBox.question(
            self, self.tr("Save corrections?"),
            self.tr("Save your corrections to {name}?").format(name=Path(self.shown.file).name),
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel)
        if answer == QMessageBox.StandardButton.Save:
            return self.save_edits()
        if answer == QMessageBox.StandardButton.Discard:
            self.autosave_timer.stop()
            if self.shown.library_id is not None:
                self.library.discard_draft(self.shown.library_id)
            self.transcript_view.set_saved()
            return True
        return False

    def offer_drafts(self) -> None:
        """At start: corrections a closed or killed window did not save are offered back."""
        try:
            ids = self.library.drafts()
        except GrymError:
            return
        for transcript_id in ids:
            try:
                transcript = self.library.load_transcript(transcript_id)
                draft = self.library.load_draft(transcript_id)
            except GrymError:
                continue
            if draft is None:
                continue
            answer = QMessageBox.question(
                self,
                self.tr("Unsaved corrections"),
                self.tr("Your corrections to {name} were not saved. Open them to go on?").format(
                    name=Path(transcript.file).name
                ),
                QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Discard,
            )
            if answer == QMessageBox.StandardButton.Discard:
                self.library.discard_draft(transcript_id)
                continue
            transcript.library_id = transcript_id
            self.following = False
            self.show_transcript(transcript)
            self.transcript_view.apply(draft, self.tr("Unsaved corrections"))
            return

    def show_about(self) -> None:
        QMessageBox.about(
            self,
            self.tr("About grym-desktop"),
            self.tr(
                "grym-desktop: local audio transcription under a memory governor.\n"
                "Every model runs on this machine; nothing is sent anywhere."
            ),
        )

    def _restore_settings(self) -> None:
        geometry = self.settings.value("window/geometry")
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(size_on_screen(self, 1320, 840, share=0.9))
            self.resizeDocks([self.memory_dock, self.live_dock], [210, 210],
                             Qt.Orientation.Vertical)
        state = self.settings.value("window/state")
        # Where the panels were, docked, floating or closed; a layout saved by an older
        # version of the window is not restored.
        restored = state is not None and self.restoreState(state, LAYOUT_VERSION)
        if not restored and not self.live_panel.device_names():
            self.live_dock.hide()  # no microphone: Live takes no room until View ▸ Live
        model = self.settings.value("model")
        if model and self.model_box.findText(model) >= 0:
            self.model_box.setCurrentText(model)
        self.drop_zone.start_dir = self.settings.value("open_dir", "") or ""

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Files dragged anywhere over the window are taken, as on the drop zone."""
        if local_paths(event.mimeData()):
            event.acceptProposedAction()

    dragMoveEvent = dragEnterEvent

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt's name
        paths = local_paths(event.mimeData())
        if paths:
            event.acceptProposedAction()
            self.add_files(paths)

    def closeEvent(self, event) -> None:
        if not self.settle_edits():
            event.ignore()
            return
        self.player_bar.close()  # frees the sound output
        self.waveform.stop()
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState(LAYOUT_VERSION))
        self.settings.setValue("model", self.model_box.current_model_id())
        self.settings.sync()
        self.memory_panel.stop()
        self.state_timer.stop()
        if self.model_manager is not None:
            self.model_manager.close()  # cancels a running download
        self.live_panel.shutdown()  # frees the worker thread a live session holds
        self.watch_runner.shutdown()  # before the worker: nothing new is queued while it stops
        self.worker.shutdown()
        self.features_panel.close_store()
        self.library.close()
        super().closeEvent(event)

    # -- user actions --------------------------------------------------------------------

    def open_model_manager(self) -> None:
        """The model manager: catalog, sizes, memory fit, download / verify / remove."""
        if self.model_manager is None:
            self.model_manager = ModelManager(self.limit_bytes, parent=self)
        self.model_manager.refresh()
        self.model_manager.show()
        self.model_manager.raise_()

    def open_compare(self) -> CompareWindow:
        """The Compare window: two models on the same files, one in memory at a time."""
        if self.compare_window is None:
            self.compare_window = CompareWindow(parent=self)
            self._compare_runner = CompareRunner(self.compare_window, self.worker)
        self._compare_runner.refresh_choices()
        self.compare_window.show()
        self.compare_window.raise_()
        return self.compare_window

    def add_files(self, paths: list[str]) -> None:
        """Queue files for transcription with the chosen model."""
        if paths:
            self.settings.setValue("open_dir", str(Path(paths[-1]).parent))
            self.drop_zone.start_dir = str(Path(paths[-1]).parent)
        choices = transcribe_choices(self.settings)
        self.worker.enqueue(list(paths), self.model_box.current_model_id(),
                            options=choices.options, precision=choices.precision,
                            speakers=choices.speakers)

    def cancel_running(self) -> None:
        if self.running_id is not None:
            self.statusBar().showMessage(self.tr("Cancelling…"))
            self.worker.cancel()

    def remove_selected(self) -> None:
        """Drop selected tasks that have not started, and clear finished rows."""
        for item in self.queue.selectedItems():
            task_id = item.data(0, Qt.ItemDataRole.UserRole)
            status = self.tasks[task_id].status
            if status == Status.RUNNING:
                self.statusBar().showMessage(
                    self.tr("A running task cannot be removed; use Cancel."), 5000
                )
                continue
            if status == Status.QUEUED and not self.worker.remove(task_id):
                continue  # it has just started; its row stays
            self.queue.takeTopLevelItem(self.queue.indexOfTopLevelItem(item))
            del self.rows[task_id], self.tasks[task_id]

    def open_history_item(self, transcript_id: int) -> None:
        """Show a past transcript; it stays on screen while the queue runs on."""
        if not self.settle_edits():
            return
        try:
            transcript = self.library.load_transcript(transcript_id)
        except GrymError as exc:
            self.statusBar().showMessage(first_line(str(exc)))
            return
        transcript.library_id = transcript_id
        self.following = False
        self.show_transcript(transcript)

    def transcribe_again(self, path: str, model_id: str) -> None:
        """Queue a past file again with another model (the History menu)."""
        choices = transcribe_choices(self.settings)
        self.worker.enqueue([path], model_id, options=choices.options,
                            precision=choices.precision, speakers=choices.speakers)

    def focus_search(self) -> None:
        self.search_box.setFocus()
        self.search_box.selectAll()

    def search(self, query: str) -> None:
        """Show the segments of every transcript that hold `query`, best first."""
        self.search_results.clear()
        self.search_results.show()
        try:
            hits = self.library.search(query, limit=SEARCH_LIMIT)
        except GrymError as exc:
            self.search_results.addItem(first_line(str(exc)))
            return
        if not hits:
            self.search_results.addItem(
                self.tr("No transcript says “{query}”.").format(query=query.strip())
            )
        for hit in hits:
            item = QListWidgetItem(f"{hit.name}  ·  {clock(hit.start)}\n{hit.snippet}")
            item.setData(Qt.ItemDataRole.UserRole, hit)
            item.setToolTip(f"{hit.file}\n{hit.snippet}")
            self.search_results.addItem(item)

    def open_search_hit(self, item: QListWidgetItem) -> None:
        """Open the transcript of a search hit at its segment and play from there."""
        hit = item.data(Qt.ItemDataRole.UserRole)
        if hit is None:
            return
        if self.shown is None or self.shown.library_id != hit.transcript_id:
            self.open_history_item(hit.transcript_id)
            if self.shown is None or self.shown.library_id != hit.transcript_id:
                return
        self.transcript_view.show_segment(hit.segment_index)
        self.play_from(self._hit_time(hit))

    def _hit_time(self, hit) -> float:
        """When the first word the search matched is said, else when its segment starts."""
        marked = re.search(r"«(.+?)»", hit.snippet)
        segments = self.transcript_view.segments()
        if marked is None or not 0 <= hit.segment_index < len(segments):
            return hit.start
        wanted = _letters(marked.group(1))
        return next((w.start for w in segments[hit.segment_index].words
                     if _letters(w.word) == wanted), hit.start)

    def rename_history_item(self, transcript_id: int, name: str) -> None:
        """Ask for a new name; an empty one gives the transcript back its file's name."""
        new, ok = QInputDialog.getText(
            self, self.tr("Rename transcript"), self.tr("Name:"), text=name
        )
        if ok:
            self._change_history_item(self.library.rename_transcript, transcript_id, new)

    def star_history_item(self, transcript_id: int, starred: bool) -> None:
        self._change_history_item(self.library.star_transcript, transcript_id, starred)

    def _change_history_item(self, change, transcript_id: int, value) -> None:
        try:
            change(transcript_id, value)
        except GrymError as exc:
            self.statusBar().showMessage(first_line(str(exc)))
            return
        self.refresh_history()

    def delete_history_item(self, transcript_id: int) -> None:
        """Delete a past transcript after the user confirms; the audio file is not touched."""
        item = next((self.history.item(i) for i in range(self.history.count())
                     if self.history.item(i).data(Qt.ItemDataRole.UserRole) == transcript_id),
                    None)
        name = item.text().splitlines()[0] if item is not None else self.tr("this transcript")
        path = item.data(FILE_ROLE) if item is not None else ""
        recording = bool(path) and is_app_recording(path)  # a live session's, in our folder
        answer = QMessageBox.question(
            self,
            self.tr("Delete transcript?"),
            self.tr("Delete the transcript of {name} and its recording from the library?").format(
                name=name
            )
            if recording
            else self.tr(
                "Delete the transcript of {name} from the library? "
                "The audio file stays where it is."
            ).format(name=name),
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            self.library.delete_transcript(transcript_id)
            if recording:
                Path(path).unlink(missing_ok=True)
        except (GrymError, OSError) as exc:
            self.statusBar().showMessage(first_line(str(exc)))
            return
        self.statusBar().showMessage(
            self.tr("Deleted the transcript of {name}.").format(name=name), 5000
        )
        if self.shown is not None and self.shown.library_id == transcript_id:
            self.autosave_timer.stop()
            self.shown = None
            self.transcript_view.clear()
            self.transcript_title.setText(self.tr("No transcript yet"))
            self.export_row.set_transcript(None)
            self._load_audio(None)
        self.refresh_history()

    def open_queue_row(self, item: QTreeWidgetItem) -> None:
        """One click on a row: a finished file's transcript, or the running file followed live."""
        record = self.tasks.get(item.data(0, Qt.ItemDataRole.UserRole))
        if record is None or record.id == self.shown_task_id and self.shown is not None:
            return
        if not self.settle_edits():
            return
        if record.id == self.running_id:
            self.following = True
            self._show_running(record)
        elif record.transcript is not None:
            self.following = False
            self.show_transcript(self._as_saved(record.transcript), record.id)

    def _as_saved(self, transcript: Transcript) -> Transcript:
        """The library's copy of a finished file's transcript (with any saved corrections)."""
        if transcript.library_id is None:
            return transcript
        try:
            saved = self.library.load_transcript(transcript.library_id)
        except GrymError:
            return transcript
        saved.library_id = transcript.library_id
        return saved

    # -- views ---------------------------------------------------------------------------

    def show_transcript(self, transcript: Transcript, task_id: int | None = None,
                        audio_now: bool = True) -> None:
        """Show a finished transcript, ready to play (its audio opened now, or a moment later
        when the queue showed it); one saved in the library can be corrected."""
        self.shown = transcript
        self.shown_task_id = task_id
        self.transcript_view.set_segments(transcript.segments,
                                          editable=transcript.library_id is not None)
        self.speakers_bar.set_speakers(transcript.speakers,
                                       self.transcript_view.model.speaker_colours)
        self._show_title()
        self.export_row.set_transcript(transcript)
        self.show_fallback(transcript.fallback, transcript.warnings)
        if self.features_dock.isVisible():
            self._show_features()
        self.ask_runner.show_recording(transcript, Path(transcript.file).name)
        if audio_now:
            self._load_audio(transcript.file)
        else:
            self._load_audio(None)
            self.pending_audio = transcript.file
            self.audio_timer.start()

    def _features_opened(self, on: bool) -> None:
        """View ▸ Audio features: the panel in front, with room for its spectrogram."""
        if on:
            self.features_dock.raise_()
            self.resizeDocks([self.features_dock], [max(300, int(self.height() * 0.5))],
                             Qt.Orientation.Vertical)

    def _features_shown(self, visible: bool) -> None:
        if visible and self.shown is not None and self.features_panel.path != self.shown.file:
            self._show_features()

    def _show_features(self) -> None:
        self.features_panel.show_recording(
            self.shown.file, [(s.start, s.end) for s in self.shown.segments])

    def rename_speaker(self, old: str, new: str) -> None:
        """Rename or merge a speaker in the shown transcript, everywhere it speaks; a person's
        name also teaches the voice library their voice."""
        shown = self.shown
        if shown is None or shown.library_id is None or not self.settle_edits():
            return
        try:
            name_speaker(self.library, self.features_panel.store, shown.library_id, old, new)
            transcript = self.library.load_transcript(shown.library_id)
        except GrymError as exc:
            self.statusBar().showMessage(first_line(str(exc)))
            return
        transcript.library_id = shown.library_id
        self.show_transcript(transcript, self.shown_task_id)
        known = "" if is_unnamed(new) else self.tr("; the voice library will recognise them")
        self.statusBar().showMessage(
            self.tr("{old} is now {new}{known}.").format(old=old, new=new, known=known), 8000
        )

    def open_recording(self, path: str, start: float) -> None:
        """Open the newest transcript of another recording (a similar sound, a point of the
        map) and play it from `start`."""
        try:
            transcript_id = self.library.latest_for_file(path)
        except GrymError as exc:
            self.statusBar().showMessage(first_line(str(exc)))
            return
        if transcript_id is None:
            self.statusBar().showMessage(
                self.tr("{name} has no transcript yet; drop it on the window to open it.").format(
                    name=Path(path).name
                ),
                8000,
            )
            return
        self.open_history_item(transcript_id)
        if self.shown is not None and self.shown.library_id == transcript_id:
            self.play_from(start)

    def _load_pending_audio(self) -> None:
        if self.pending_audio is not None:
            self._load_audio(self.pending_audio)

    def play_from(self, seconds: float) -> None:
        """Play the shown transcript's audio from `seconds` (opening it first if it waits)."""
        self._load_pending_audio()
        self.player_bar.play_from(seconds)

    def _load_audio(self, path: str | None) -> None:
        """The player and waveform on `path`; a missing file says so and offers Locate…"""
        self.audio_timer.stop()
        self.pending_audio = None
        self.player_bar.stop()
        self.player_bar.clear_loop()
        if not path:
            self.listening.hide()
            return
        self.listening.show()
        self.waveform.set_segments([(s.start, s.end) for s in self.transcript_view.segments()])
        self.player_bar.load(path)  # when it cannot play, the bar says why in one sentence
        if Path(path).is_file():
            self.waveform.load(path)
        else:
            self.waveform.clear_waveform()

    def toggle_playback(self) -> None:
        self._load_pending_audio()
        if self.listening.isVisible() and self.player_bar.path:
            self.player_bar.toggle()

    def on_playback_position(self, seconds: float) -> None:
        self.transcript_view.set_current_time(seconds)
        self.waveform.set_playhead(seconds)
        row = self.transcript_view.playing_row()
        self.waveform.highlight(row if row >= 0 else None)

    def locate_audio(self, missing: str) -> None:
        """The user points at where the audio file went; it plays from there."""
        path, _ = QFileDialog.getOpenFileName(
            self,
            self.tr("Locate {name}").format(name=Path(missing).name),
            str(Path(missing).parent),
            QCoreApplication.translate("DropZone", MEDIA_FILTER),
        )
        if path:
            self.relocate_audio(path)

    def relocate_audio(self, path: str) -> None:
        """Play the shown transcript from `path` from now on, and remember it in the library."""
        if self.shown is None:
            return
        self.shown = replace(self.shown, file=path)
        if self.shown.library_id is not None:
            try:
                self.library.relocate_transcript(self.shown.library_id, path)
            except GrymError as exc:
                self.statusBar().showMessage(first_line(str(exc)))
            self.refresh_history()
        self.export_row.set_transcript(self.shown)
        self._load_audio(path)

    def _show_title(self) -> None:
        transcript = self.shown
        notes = "" if transcript.complete else self.tr(" · incomplete")
        if self.transcript_view.modified:
            notes += self.tr(" · corrected, not saved (Ctrl+S)")
        elif transcript.edited:
            notes += self.tr(" · corrected")
        self.transcript_title.setText(
            f"{Path(transcript.file).name} · {transcript.model} · {transcript.precision}{notes}")

    def show_fallback(self, fallback: Fallback | None, warnings: list[str] | None = None) -> None:
        """One sentence beside the transcript when another model than the chosen one made it,
        and one per warning (a file cut short)."""
        lines = [first_line(w) for w in warnings or []]
        if fallback is not None:
            lines.insert(
                0,
                self.tr("Transcribed with {to_model} instead of {from_model}: {reason}").format(
                    to_model=fallback.to_model,
                    from_model=fallback.from_model,
                    reason=first_line(fallback.reason),
                ),
            )
        if not lines:
            self.fallback_label.hide()
            return
        self.fallback_label.setText("\n".join(lines))
        self.fallback_label.show()

    def refresh_history(self) -> None:
        if self.library.closed:  # a task's end reported after the window closed
            return
        self.history.models = self.model_box.installed_ids()
        try:
            self.history.refresh(self.library)
        except GrymError as exc:
            self.statusBar().showMessage(first_line(str(exc)))

    def refresh_memory_state(self) -> None:
        state = read_state(self.limit_bytes, self.host_pid or None)
        self.chart.set_limits(state.limit, state.budget)
        self.pressure_label.setText(
            self.tr(
                "Memory: {level}{effect} · {pressure:.0%} of {limit} · budget {budget}"
            ).format(
                level=state.level,
                effect=self.tr(PRESSURE_EFFECTS[state.level]) if state.level != "normal" else "",
                pressure=state.pressure,
                limit=format_size(state.limit),
                budget=format_size(state.budget),
            )
        )

    def _show_record(self, record: TaskRecord, text: str) -> None:
        """Keep the task's latest record and write text in its queue row."""
        self.tasks[record.id] = record
        self._set_row_text(record.id, text)

    def _set_row_text(self, task_id: int, text: str) -> None:
        """The status column of a task's row: text, in the colour of the task's status."""
        item = self.rows.get(task_id)
        if item is not None and item.text(1) != text:  # each change repaints the queue
            item.setText(1, text)
            item.setToolTip(1, text)
            item.setForeground(1, QColor(STATUS_COLOURS.get(self.tasks[task_id].status, "black")))

    def refused_tasks(self) -> list[TaskRecord]:
        """Tasks the memory guard refused that the user has not loaded anyway yet."""
        return [r for r in self.tasks.values() if r.status == Status.REFUSED]

    def load_anyway(self) -> None:
        """Ask, with the guard's numbers, before loading a refused model; then queue it again."""
        refused = self.refused_tasks()
        if not refused:
            return
        selected = {item.data(0, Qt.ItemDataRole.UserRole) for item in self.queue.selectedItems()}
        chosen = [r for r in refused if r.id in selected]
        record = chosen[0] if chosen else refused[-1]
        request = record.request
        answer = QMessageBox.question(
            self,
            self.tr("Load anyway?"),
            self.tr(
                "{error}\n\nLoad {model_id} anyway? The watchdog still stops the model host "
                "if it goes above the limit."
            ).format(error=record.error, model_id=request.model_id),
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        # Its retry is a new task; this one stays in the queue as failed.
        self.tasks[record.id] = replace(record, status=Status.FAILED)
        self.override_button.setEnabled(bool(self.refused_tasks()))
        self.worker.enqueue([request.path], request.model_id, override_memory=True,
                            options=request.options, precision=request.precision)

    def edit_fallback_chain(self) -> None:
        try:
            current = load_settings()
        except GrymError as exc:
            self.statusBar().showMessage(first_line(str(exc)))
            current = Settings()
        dialog = FallbackDialog(current, transcribe_models(), self)
        if dialog.exec() == FallbackDialog.DialogCode.Accepted:
            edited = dialog.edited()
            save_settings(edited)
            self.worker.set_settings(edited)
            model_id = self.model_box.current_model_id()
            chain = " → ".join(fallback_chain("transcribe", model_id, edited))
            self.statusBar().showMessage(
                self.tr("Fallback chain: {chain}.").format(chain=chain), 8000
            )

    # -- worker signals ------------------------------------------------------------------

    def on_task_queued(self, record: TaskRecord) -> None:
        item = QTreeWidgetItem([Path(record.path).name, self.tr("queued")])
        item.setData(0, Qt.ItemDataRole.UserRole, record.id)
        item.setToolTip(0, record.path)
        self.queue.addTopLevelItem(item)
        self.rows[record.id] = item
        self.tasks[record.id] = record

    def on_task_started(self, record: TaskRecord) -> None:
        name = Path(record.path).name
        self.running_id = record.id
        self._show_record(record, self.tr("starting"))
        self.cancel_button.setEnabled(True)
        self.progress_bar.setValue(0)
        self.progress_bar.setFormat(
            self.tr("{queue_position}: %p%").format(queue_position=self._queue_position())
        )
        self.running_segments = []
        self.decode_started = None
        self.stage = "transcribing"
        if self.following:
            self._show_running(record)
        else:
            self.statusBar().showMessage(
                self.tr("Transcribing {name}: click its row to watch it.").format(name=name), 8000
            )
        self.chart.add_marker("start", self.tr("start {path}").format(path=short_name(record.path)))

    def _show_running(self, record: TaskRecord) -> None:
        """The running task in the transcript view, with the segments it has so far."""
        self._load_audio(None)
        self.shown = None
        self.shown_task_id = record.id
        self.export_row.set_transcript(None)
        self.transcript_view.set_segments(self.running_segments, editable=False)
        self.fallback_label.hide()
        self.transcript_title.setText(
            self.tr("{name} · transcribing…").format(name=Path(record.path).name)
        )

    def on_progress(self, task_id: int, fraction: float) -> None:
        if task_id != self.running_id:
            return
        now = time.monotonic()
        if self.decode_started is None:
            self.decode_started = (now, fraction)
        left = time_left(*self.decode_started, now, fraction)
        suffix = f" · {left}" if left else ""
        self._set_row_text(task_id, f"{queue_word(self.stage)} {fraction:.0%}{suffix}")
        set_bar_value(self.progress_bar, int(fraction * 100) * 10)  # whole percents
        text = self.tr("{queue_position}: %p%{suffix}").format(
            queue_position=self._queue_position(), suffix=suffix
        )
        if self.progress_bar.format() != text:
            self.progress_bar.setFormat(text)

    def on_stage_changed(self, task_id: int, stage: str) -> None:
        """Transcription is done and the speakers are being found: progress starts again."""
        if task_id == self.running_id:
            self.stage = stage
            self.decode_started = None

    def _queue_position(self) -> str:
        """'hello.wav, file 3 of 8' for the running task."""
        ids = list(self.rows)
        record = self.tasks[self.running_id]
        return self.tr("{name}, file {number} of {count}").format(
            name=Path(record.path).name, number=ids.index(record.id) + 1, count=len(ids)
        )

    def on_segment_added(self, task_id: int, segment: Segment) -> None:
        if task_id == self.running_id:
            self.running_segments.append(segment)
        if task_id == self.shown_task_id and self.shown is None:
            self.transcript_view.append_segment(segment)

    def on_task_finished(self, record: TaskRecord) -> None:
        transcript = record.transcript
        self._task_ended(record.id)
        count = len(transcript.segments)
        words = (self.tr("{count} segment") if count == 1
                 else self.tr("{count} segments")).format(count=count)
        self._show_record(record, self.tr("done · {words}").format(words=words))
        name = Path(transcript.file).name
        if record.id == self.shown_task_id:
            self.show_transcript(transcript, record.id, audio_now=False)
            self.statusBar().showMessage(self.tr("Transcribed {name}.").format(name=name), 8000)
        else:  # the user is reading another transcript: say so, replace nothing
            self.statusBar().showMessage(
                self.tr("Transcribed {name}: click its row to open it.").format(name=name), 8000
            )
            if self.features_dock.toggleViewAction().isChecked():  # the panel is open
                self.features_panel.remember(transcript.file,
                                             [(s.start, s.end) for s in transcript.segments])
        self.chart.add_marker("end", "end")
        self.refresh_history()

    def on_task_failed(self, record: TaskRecord) -> None:
        """A task ended without a transcript: cancelled, refused by the memory guard, or failed."""
        self._task_ended(record.id)
        sentence = first_line(record.error)
        name = Path(record.path).name
        if record.status == Status.CANCELLED:
            status = self.tr("cancelled")
            self.statusBar().showMessage(self.tr("Cancelled {name}.").format(name=name), 8000)
        else:
            status = f"{queue_word(record.status)}: {sentence}"
            self.statusBar().showMessage(f"{name}: {sentence}")
        self._show_record(record, status)
        self.chart.add_marker("end", str(record.status))  # the chart words it
        if record.status == Status.REFUSED:
            self.override_button.setEnabled(True)
        if record.id == self.shown_task_id and self.shown is None:
            self.transcript_title.setText(f"{name} · {queue_word(record.status)}")
            if record.status != Status.CANCELLED:  # the whole sentence, wrapped, not elided
                self.fallback_label.setText(sentence)
                self.fallback_label.show()
        self.refresh_history()

    def _task_ended(self, task_id: int) -> None:
        if self.running_id == task_id:
            self.running_id = None
            self.cancel_button.setEnabled(False)
            self.progress_bar.setValue(0)
            self.progress_bar.setFormat(self.tr("idle"))

    def on_model_loading(self, model_id: str, precision: str, estimate) -> None:
        if self.running_id is not None:
            self._set_row_text(self.running_id, self.tr("loading model"))
        self.statusBar().showMessage(
            self.tr("Loading {model_id} ({precision}, about {estimate})…").format(
                model_id=model_id, precision=precision, estimate=format_size(int(estimate))
            )
        )

    def on_model_loaded(self, model_id: str, precision: str, seconds: float, measured) -> None:
        if self.running_id is not None:
            self._set_row_text(self.running_id, self.tr("transcribing"))
        self.model_label.setText(
            self.tr("Model: {model_id} · {precision}").format(
                model_id=model_id, precision=precision
            )
        )
        self.chart.add_marker("load", self.tr("load {model_id}").format(model_id=model_id))
        self.statusBar().showMessage(
            self.tr("Loaded {model_id} ({precision}) in {seconds:.1f} s.").format(
                model_id=model_id, precision=precision, seconds=seconds
            ),
            5000,
        )

    def on_model_unloaded(self, model_id: str, *_rss: object) -> None:
        self.model_label.setText(self.tr("Model: none loaded"))
        self.chart.add_marker("unload", self.tr("unload {model_id}").format(model_id=model_id))

    def on_fallback_used(self, task_id: int, fallback: Fallback) -> None:
        if task_id == self.shown_task_id:
            self.show_fallback(fallback)
        self.statusBar().showMessage(
            self.tr("Used {to_model} instead of {from_model}: {reason}").format(
                to_model=fallback.to_model, from_model=fallback.from_model, reason=fallback.reason
            )
        )

    def on_plan_made(self, task_id: int, plan) -> None:
        item = self.rows.get(task_id)
        if item is not None:
            item.setToolTip(
                0,
                self.tr("{tooltip}\n{model_id} · {precision} · batch {batch_size}\n").format(
                    tooltip=item.toolTip(0),
                    model_id=plan.model_id,
                    precision=plan.precision,
                    batch_size=plan.batch_size,
                )
                + "\n".join(plan.reasons),
            )
        if plan.warning:
            self.statusBar().showMessage(first_line(plan.warning))

    def on_host_restarted(self, pid: int, reason: str) -> None:
        text = (
            self.tr("The model host was restarted: {reason}.").format(reason=reason)
            if reason
            else self.tr("The model host restarted.")
        )
        self.statusBar().showMessage(text, 8000)

    def on_host_pid_changed(self, pid: int) -> None:
        self.host_pid = pid
        if not pid:  # a killed host (cancel, watchdog) holds no model any more
            self.model_label.setText(self.tr("Model: none loaded"))


def _letters(word: str) -> str:
    """A word as search compares it: lower case, letters and digits only."""
    return "".join(c for c in word.lower() if c.isalnum())


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label


def time_left(started: float, first: float, now: float, fraction: float) -> str:
    """'1:20 left' from the pace since the first progress report; '' until it means something
    (a few seconds and a few percent in)."""
    done = fraction - first
    if now - started < 3.0 or done < 0.03 or fraction >= 1.0:
        return ""
    seconds = (now - started) * (1.0 - fraction) / done
    return QCoreApplication.translate("MainWindow", "{seconds} left").format(
        seconds=clock(seconds, decimals=0)
    )


def settings_from_env() -> QSettings:
    """Settings file under GRYM_DATA_DIR when set (tests), else the platform's usual place."""
    data_dir = os.environ.get("GRYM_DATA_DIR")
    if data_dir:
        return QSettings(str(Path(data_dir) / "settings.ini"), QSettings.Format.IniFormat)
    return QSettings()
