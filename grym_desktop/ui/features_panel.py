"""The Features panel: the shown recording's features, and the feature memory behind them.

Computing features runs on the ModelWorker's thread (the encoder is a model in the host, one
model at a time); each recording shown is remembered in the feature memory, compared with the
rest of the library and offered the labels its neighbours vote for. Labels, answers to
suggestions and lookups of similar sounds are quick SQLite calls made here on the GUI thread.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QSettings, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from grym_desktop.features.patterns import RecurringPattern
from grym_desktop.features.signal import SIGNAL_MODEL
from grym_desktop.features.store import FeatureStore, Match
from grym_desktop.models.catalog import DEFAULT_MODEL, get_spec, text_embedding_models
from grym_desktop.models.sources import installed_dir
from grym_desktop.orchestrator import features as fx
from grym_desktop.ui.features_view import FeaturesView
from grym_desktop.ui.history import first_line
from grym_desktop.ui.jobs import failure_sentence
from grym_desktop.ui.worker import ModelWorker

SIMILAR = 10
_jobs = itertools.count(1)


@dataclass
class _Failure:
    sentence: str


@dataclass
class FeaturesResult:
    """What the worker found for one recording, handed to the GUI thread in one piece."""

    features: fx.FileFeatures
    similar: list[Match]
    pending: list[fx.PendingLabel]
    patterns: list[RecurringPattern]
    library_map: fx.LibraryMap


def compute(orchestrator, store: FeatureStore, path: str, segments: list[tuple[float, float]],
            model_id: str) -> FeaturesResult:
    """On the worker thread: features of path, remembered, compared and labelled by vote."""
    features = fx.analyse(path, orchestrator, model_id, segments)
    fx.remember(store, features)
    return FeaturesResult(features, fx.similar_recordings(store, features, SIMILAR),
                          fx.offer_labels(store, features), fx.patterns_of(features),
                          fx.library_map(store, model_id))


def embedding_models() -> list[tuple[str, str]]:
    """(model id, name) of what can make feature vectors here: the signal features, the
    bundled Whisper encoder, and CLAP models that are installed."""
    models = [(DEFAULT_MODEL, "Whisper tiny.en encoder"), (SIGNAL_MODEL, "Signal features")]
    for spec in text_embedding_models():
        if installed_dir(spec) is not None:
            models.append((spec.id, spec.name))
    return models


class FeaturesPanel(QWidget):
    """FeaturesView over the worker and the feature memory, for the recording shown."""

    seek_requested = Signal(float)  # seconds in the shown recording
    open_requested = Signal(str, float)  # another recording, from where
    _answered = Signal(object, object)  # a store call's done callback and its result

    def __init__(self, worker: ModelWorker, settings: QSettings, store: FeatureStore | None = None):
        super().__init__()
        self.worker = worker
        self.settings = settings
        self.store = store if store is not None else FeatureStore()
        self.result: FeaturesResult | None = None
        self.wanted: str | None = None  # the tag of the job whose answer is shown
        self.path: str | None = None
        self.segments: list[tuple[float, float]] = []
        self.queries = ThreadPoolExecutor(max_workers=1, thread_name_prefix="grym-features")
        self._answered.connect(self._deliver)

        self.model_box = QComboBox()
        self.model_box.setAccessibleName(self.tr("Compare sounds by"))
        for model_id, name in embedding_models():
            self.model_box.addItem(name, model_id)
        saved = settings.value("features/model")
        if saved and self.model_box.findData(saved) >= 0:
            self.model_box.setCurrentIndex(self.model_box.findData(saved))
        self.model_box.currentIndexChanged.connect(self._model_changed)
        self.view = FeaturesView()
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Compare sounds by")))
        top.addWidget(self.model_box)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)

        v = self.view
        v.seek_requested.connect(self.seek_requested)
        v.similar_requested.connect(self.find_similar)
        v.open_requested.connect(self.open_requested)
        v.label_requested.connect(self.label_span)
        v.suggestion_answered.connect(self.answer_suggestion)
        v.map_point_clicked.connect(self.open_window)
        worker.job_done.connect(self._job_done)
        worker.job_failed.connect(self._job_failed)

    @property
    def model_id(self) -> str:
        return self.model_box.currentData()

    def show_recording(self, path: str | None, segments: list[tuple[float, float]]) -> None:
        """Compute (on the worker) and show the features of path; None clears the view."""
        self.path, self.segments = path, list(segments)
        if path is None:
            self.wanted = None
            self.view.clear()
            return
        tag = f"features:{next(_jobs)}"
        self.wanted = tag
        self.result = None
        self.view.set_recording(Path(path).name, None, None)
        self.view.set_status(self.tr("Computing features…"))
        store, model_id = self.store, self.model_id
        self.worker.run_job(tag, lambda orchestrator: compute(orchestrator, store, path,
                                                              segments, model_id))

    def remember(self, path: str, segments: list[tuple[float, float]]) -> None:
        """Put a recording that is not shown in the feature memory (on the worker)."""
        store, model_id = self.store, self.model_id
        self.worker.run_job(f"remember:{next(_jobs)}", lambda orchestrator: fx.remember(
            store, fx.analyse(path, orchestrator, model_id, segments)))

    def show_span(self, start: float, end: float) -> None:
        """The transcript's selected segment, on the spectrogram."""
        if self.result is not None:
            self.view.show_span(start, end)

    def find_similar(self, start: float, end: float) -> None:
        if self.result is None:
            return
        features = self.result.features
        self._in_background(
            lambda: fx.similar_to_span(self.store, features, start, end, SIMILAR),
            self.view.set_similar)

    def label_span(self, start: float, end: float, name: str) -> None:
        """Name a stretch of the shown recording; later recordings get it suggested."""
        name = name.strip()
        if self.result is None or not name:
            return
        features, model_id = self.result.features, self.model_id

        def label() -> tuple[int, fx.LibraryMap]:
            ids = self.store.label_span(features.clip_id, features.model_id, start, end, name)
            return len(ids), fx.library_map(self.store, model_id)

        def done(result: tuple[int, fx.LibraryMap]) -> None:
            count, library_map = result
            self.view.set_status(
                self.tr(
                    "Labelled {start:.1f}–{end:.1f} s as “{name}” ({count} windows); recordings "
                    "like it will have it suggested."
                ).format(start=start, end=end, name=name, count=count)
            )
            self.view.label_edit.clear()
            self._show_map(library_map)

        self._in_background(label, done)

    def answer_suggestion(self, label_id: int, accepted: bool) -> None:
        pending = next((p for p in self.result.pending if p.label_id == label_id), None) \
            if self.result is not None else None
        if pending is None:
            return
        model_id = self.model_id

        def answer() -> fx.LibraryMap:
            fx.answer_label(self.store, pending, accepted)
            return fx.library_map(self.store, model_id)

        def done(library_map: fx.LibraryMap) -> None:
            name = pending.suggestion.label
            self.view.set_status(
                self.tr("Labelled {count} windows “{name}”.").format(
                    count=len(pending.window_ids), name=name
                )
                if accepted
                else self.tr("“{name}” will not be suggested for this recording again.").format(
                    name=name
                )
            )
            self._show_map(library_map)

        self._in_background(answer, done)

    def open_window(self, window_id: int) -> None:
        """A point of the map: open its recording where that window starts."""
        def opened(info) -> None:
            if info:
                self.open_requested.emit(info[0].path, info[0].start)

        self._in_background(lambda: self.store.window_info([window_id]), opened)

    def close_store(self) -> None:
        """Wait for the store call in progress, then close the store."""
        self.queries.shutdown(wait=True)
        self.store.close()

    def _model_changed(self) -> None:
        self.settings.setValue("features/model", self.model_id)
        if self.path is not None:
            self.show_recording(self.path, self.segments)

    def _show_map(self, m: fx.LibraryMap) -> None:
        self.view.set_map(m.points, m.labels, m.window_ids)

    def _in_background(self, call: Callable[[], object], done: Callable[[object], None]) -> None:
        """Run a store call off the GUI thread (a search may first build the index of a
        large library); done(result) runs back on the GUI thread, an error becomes status."""
        def run() -> None:
            try:
                result = call()
            except Exception as exc:  # noqa: BLE001 - a sentence on screen, never a traceback
                result = _Failure(failure_sentence(exc, QT_TRANSLATE_NOOP("Jobs", "This")))
            self._answered.emit(done, result)

        self.queries.submit(run)

    def _deliver(self, done: Callable[[object], None], result: object) -> None:
        if isinstance(result, _Failure):
            self.view.set_status(first_line(result.sentence))
        elif not self.store.closed:
            done(result)

    def _job_done(self, tag: str, result: object) -> None:
        if tag.startswith("remember:") and self.result is not None:  # one more on the map
            model_id = self.model_id
            self._in_background(lambda: fx.library_map(self.store, model_id), self._show_map)
            return
        if tag != self.wanted or not isinstance(result, FeaturesResult):
            return
        self.result = result
        f = result.features
        self.view.set_recording(Path(f.path).name, f.spectrogram, f.summary)
        self.view.set_similar(result.similar)
        self.view.set_suggestions([(p.label_id, p.suggestion) for p in result.pending])
        self.view.set_patterns(result.patterns)
        m = result.library_map
        self._show_map(m)
        name = get_spec(f.model_id).name if f.model_id != SIGNAL_MODEL else "signal features"
        self.view.set_status(
            self.tr("{count} windows remembered ({name}).").format(count=len(f.windows), name=name)
        )

    def _job_failed(self, tag: str, message: str) -> None:
        if tag == self.wanted or tag.startswith("remember:"):
            self.view.set_status(message)
