"""The Features view of one recording: its spectrogram and summary, sounds like a span across the
library, labels and suggested labels, sounds that recur in it, and a map of the whole library.

It shows plain data it is given (Spectrogram, FeatureSummary, Match, Suggestion, RecurringPattern
or anything with the same attributes) and says what the user asked for through its signals; it
never computes features nor opens the feature store.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from grym_desktop.ui.feature_map import FeatureMap
from grym_desktop.ui.spectrogram_plot import SpectrogramPlot
from grym_desktop.ui.widgets import ElidedLabel

if TYPE_CHECKING:
    from grym_desktop.features.signal import FeatureSummary, Spectrogram

# The hints, translated where HintStack shows them (context "FeaturesView").
NO_RECORDING = QT_TRANSLATE_NOOP("FeaturesView", "Select a recording to see its features.")
NO_SPECTROGRAM = QT_TRANSLATE_NOOP("FeaturesView", "No spectrogram yet for this recording.")
NO_SIMILAR = QT_TRANSLATE_NOOP(
    "FeaturesView", "Drag across the spectrogram to select a span (or use the whole recording), "
    "then press Find similar.")
NO_SIMILAR_YET = QT_TRANSLATE_NOOP(
    "FeaturesView", "Sounds like a span of the selected recording, found across your library, "
    "show here.")
NO_SIMILAR_FOUND = QT_TRANSLATE_NOOP(
    "FeaturesView",
    "Nothing similar in the library yet: add more recordings to the feature memory.")
NO_SUGGESTIONS = QT_TRANSLATE_NOOP(
    "FeaturesView", "No suggested labels. Name a span above; recordings added later get "
    "suggestions from the labels you give.")
NO_PATTERNS = QT_TRANSLATE_NOOP("FeaturesView", "No sound recurs in this recording.")
NO_PATTERNS_YET = QT_TRANSLATE_NOOP(
    "FeaturesView", "Sounds that come back within the recording show here once its features "
    "are computed.")
NO_MAP = QT_TRANSLATE_NOOP(
    "FeaturesView",
    "No stored sounds yet: add recordings to the feature memory to see the library's map.")
MAX_TIMES_IN_ROW = 6  # a pattern's row lists this many occurrence times, then "…"
PATH_ROLE = Qt.ItemDataRole.UserRole
START_ROLE = Qt.ItemDataRole.UserRole + 1
SPAN_ROLE = Qt.ItemDataRole.UserRole + 2


def seconds_text(seconds: float) -> str:
    """A time in a recording: "4.0 s" below a minute, "1:04.5" above."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(seconds, 60)
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours}:{minutes:02d}:{rest:04.1f}" if hours else f"{minutes}:{rest:04.1f}"


def span_text(start: float, end: float) -> str:
    """A span: "12.0–14.0 s" (or "1:02.0–1:04.0")."""
    if end < 60:
        return f"{start:.1f}–{end:.1f} s"
    return f"{seconds_text(start)}–{seconds_text(end)}"


def dbfs(amplitude: float) -> str:
    """A linear amplitude as "-23.1 dBFS" ("-inf dBFS" for silence)."""
    if amplitude <= 0 or not math.isfinite(amplitude):
        return "−∞ dBFS"
    return f"{20 * math.log10(amplitude):.1f} dBFS".replace("-", "−")


def summary_text(summary: FeatureSummary) -> str:
    """One line from a FeatureSummary: duration, loudness, brightness and noisiness."""
    parts = []
    duration = getattr(summary, "duration", None)
    if duration is not None:
        parts.append(seconds_text(float(duration)))
    if getattr(summary, "rms_mean", None) is not None:
        rms = f"RMS {dbfs(float(summary.rms_mean))}"
        if getattr(summary, "rms_max", None) is not None:
            rms += QCoreApplication.translate("FeaturesView", " (max {level})").format(
                level=dbfs(float(summary.rms_max)).removesuffix(" dBFS")
            )
        parts.append(rms)
    if getattr(summary, "peak", None) is not None:
        parts.append(
            QCoreApplication.translate("FeaturesView", "peak {level}").format(
                level=dbfs(float(summary.peak))
            )
        )
    for attr, words in (("centroid_hz_mean", QT_TRANSLATE_NOOP("FeaturesView", "centroid")),
                        ("bandwidth_hz_mean", QT_TRANSLATE_NOOP("FeaturesView", "bandwidth")),
                        ("rolloff_hz_mean", QT_TRANSLATE_NOOP("FeaturesView", "roll-off"))):
        value = getattr(summary, attr, None)
        if value is not None:
            words = QCoreApplication.translate("FeaturesView", words)
            parts.append(f"{words} {float(value):,.0f} Hz")
    if getattr(summary, "zcr_mean", None) is not None:
        parts.append(f"ZCR {float(summary.zcr_mean):.3f}")
    return " · ".join(parts)


def match_text(match: Any) -> str:
    """A similar window as a row: "rain.wav · 12.0–14.0 s · 0.93 · thunderstorm"."""
    parts = [Path(match.path).name, span_text(match.start, match.end), f"{match.score:.2f}"]
    if getattr(match, "label", None):
        parts.append(match.label)
    return " · ".join(parts)


def suggestion_text(suggestion: Any) -> str:
    """A suggested label: "thunderstorm — 87 %"."""
    return f"{suggestion.label} — {round(100 * float(suggestion.confidence))} %"


def pattern_text(pattern: Any) -> str:
    """A recurring sound: "3× · 4.0 s, 12.0 s, 20.0 s · 0.95"."""
    starts = [seconds_text(start) for start, _ in pattern.occurrences]
    times = ", ".join(starts[:MAX_TIMES_IN_ROW]) + (", …" if len(starts) > MAX_TIMES_IN_ROW else "")
    return f"{len(starts)}× · {times} · {float(pattern.similarity):.2f}"


def mute(widget: QWidget) -> None:
    """Draw a widget's text in a softer tone of the theme's own text colour (light or dark)."""
    palette = widget.palette()
    text, back = palette.color(QPalette.ColorRole.WindowText), palette.color(
        QPalette.ColorRole.Window)
    mixed = QColor(*(round(0.6 * a + 0.4 * b) for a, b in
                     zip(text.getRgb()[:3], back.getRgb()[:3], strict=True)))
    palette.setColor(QPalette.ColorRole.WindowText, mixed)
    widget.setPalette(palette)


class HintStack(QStackedWidget):
    """A widget, or in its place a sentence saying why it is empty and what to do."""

    def __init__(self, widget: QWidget, hint: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.widget = widget
        self.hint = QLabel(QCoreApplication.translate("FeaturesView", hint))
        self.hint.setWordWrap(True)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setContentsMargins(12, 8, 12, 8)
        mute(self.hint)
        self.hint.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.addWidget(self.hint)
        self.addWidget(widget)

    def show_hint(self, text: str) -> None:
        self.hint.setText(QCoreApplication.translate("FeaturesView", text))
        self.setCurrentWidget(self.hint)

    def show_widget(self) -> None:
        self.setCurrentWidget(self.widget)

    def hint_shown(self) -> str:
        """The hint's words when it is shown, else ""."""
        return self.hint.text() if self.currentWidget() is self.hint else ""

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(120, 60)


class SuggestionRow(QWidget):
    """A suggested label with Accept and Reject; answering replaces the buttons by the answer."""

    answered = Signal(int, bool)

    def __init__(self, label_id: int, suggestion: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label_id = label_id
        self.text = QLabel(suggestion_text(suggestion))
        self.text.setToolTip(_suggestion_tooltip(suggestion))
        self.accept_button = QPushButton(self.tr("Accept"))
        self.reject_button = QPushButton(self.tr("Reject"))
        self.accept_button.setToolTip(self.tr(
            "This sound is a {label}: keep the label and learn from it.").format(
                label=suggestion.label))
        self.reject_button.setToolTip(self.tr("Not a {label}: drop the suggestion.").format(
            label=suggestion.label))
        self.outcome = QLabel()
        self.outcome.hide()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 1, 4, 1)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.outcome)
        layout.addWidget(self.accept_button)
        layout.addWidget(self.reject_button)
        self.accept_button.clicked.connect(lambda: self._answer(True))
        self.reject_button.clicked.connect(lambda: self._answer(False))

    def _answer(self, accepted: bool) -> None:
        self.accept_button.hide()
        self.reject_button.hide()
        self.outcome.setText(self.tr("accepted ✓") if accepted else self.tr("rejected"))
        self.outcome.show()
        self.answered.emit(self.label_id, accepted)


def _suggestion_tooltip(suggestion: Any) -> str:
    votes = getattr(suggestion, "votes", None)
    neighbours = list(getattr(suggestion, "neighbours", []) or [])
    lines = []
    if votes is not None:
        lines.append(
            QCoreApplication.translate(
                "FeaturesView", "{votes} of the nearest labelled sounds say {label}."
            ).format(votes=votes, label=suggestion.label)
        )
    lines += [match_text(m) for m in neighbours[:5]]
    return "\n".join(lines)


class FeaturesView(QWidget):
    """The Features view: spectrogram above, Similar / Labels / Patterns / Map tabs below."""

    seek_requested = Signal(float)
    span_selected = Signal(float, float)
    similar_requested = Signal(float, float)
    open_requested = Signal(str, float)  # path, start in seconds
    label_requested = Signal(float, float, str)
    suggestion_answered = Signal(int, bool)  # label id, accepted
    map_point_clicked = Signal(int)  # window id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("featuresView")
        self.duration = 0.0
        self._span: tuple[float, float] | None = None
        self._asked_similar = False  # the next similar list answers the user's Find similar

        self.title = ElidedLabel()
        bold = QFont(self.title.font())
        bold.setBold(True)
        self.title.setFont(bold)
        self.span_label = QLabel()
        self.find_button = QPushButton(self.tr("Find similar"))
        self.find_button.setToolTip(
            self.tr(
                "Look through the library for sounds like the selected span "
                "(the whole recording when none is selected)."
            )
        )
        self.find_button.clicked.connect(self._find_similar)
        self.summary = ElidedLabel(mode=Qt.TextElideMode.ElideRight)
        self.status = ElidedLabel(mode=Qt.TextElideMode.ElideRight)
        mute(self.status)

        self.plot = SpectrogramPlot()
        self.plot.seek_requested.connect(self.seek_requested)
        self.plot.span_selected.connect(self._span_dragged)
        self.plot_stack = HintStack(self.plot, NO_RECORDING)

        self.tabs = QTabWidget()
        self.tabs.setAccessibleName(self.tr("Feature views"))
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self._build_similar(), self.tr("Similar"))
        self.tabs.addTab(self._build_labels(), self.tr("Labels"))
        self.tabs.addTab(self._build_patterns(), self.tr("Patterns"))
        self.map = FeatureMap()
        self.map.point_clicked.connect(self.map_point_clicked)
        self.map_stack = HintStack(self.map, NO_MAP)
        self.tabs.addTab(self.map_stack, self.tr("Map"))

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.plot_stack)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)

        top = QHBoxLayout()
        top.setSpacing(8)
        top.addWidget(self.title, 1)
        top.addWidget(self.span_label)
        top.addWidget(self.find_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.status)
        self.set_status("")
        self.clear()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(900, 500)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Wide and low (a panel under the transcript): the lists beside the spectrogram, so
        it keeps its height; otherwise below it."""
        super().resizeEvent(event)
        wide = event.size().width() >= 2 * event.size().height()
        orientation = Qt.Orientation.Horizontal if wide else Qt.Orientation.Vertical
        if self.splitter.orientation() != orientation:
            self.splitter.setOrientation(orientation)
            total = sum(self.splitter.sizes())
            first = total * (2 if wide else 3) // (3 if wide else 5)
            self.splitter.setSizes([first, total - first])

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(360, 300)

    # --- the tabs ---

    def _build_similar(self) -> QWidget:
        self.similar_list = QListWidget()
        self.similar_list.setAccessibleName(self.tr("Similar sounds"))
        self.similar_list.setToolTip(
            self.tr("Double-click or press Enter to open the recording there.")
        )
        self.similar_list.itemActivated.connect(self._open_match)
        self.similar_list.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.similar_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.similar_stack = HintStack(self.similar_list, NO_SIMILAR)
        return self.similar_stack

    def _build_labels(self) -> QWidget:
        page = QWidget()
        self.label_edit = QLineEdit()
        self.label_edit.setAccessibleName(self.tr("Label for the selected span"))
        self.label_edit.setPlaceholderText(self.tr("Name the selected sound, e.g. door slam"))
        self.label_edit.setClearButtonEnabled(True)
        self.label_edit.textChanged.connect(self._update_buttons)
        self.label_edit.returnPressed.connect(self._label_span)
        self.label_button = QPushButton(self.tr("Label this span"))
        self.label_button.clicked.connect(self._label_span)
        row = QHBoxLayout()
        row.addWidget(self.label_edit, 1)
        row.addWidget(self.label_button)
        self.suggestion_list = QListWidget()
        self.suggestion_list.setAccessibleName(self.tr("Suggested labels"))
        self.suggestion_list.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.suggestion_stack = HintStack(self.suggestion_list, NO_SUGGESTIONS)
        heading = QLabel(self.tr("Suggested labels"))
        layout = QVBoxLayout(page)
        layout.setContentsMargins(4, 4, 4, 0)
        layout.setSpacing(4)
        layout.addLayout(row)
        layout.addWidget(heading)
        layout.addWidget(self.suggestion_stack, 1)
        return page

    def _build_patterns(self) -> QWidget:
        self.pattern_tree = QTreeWidget()
        self.pattern_tree.setAccessibleName(self.tr("Recurring sounds"))
        self.pattern_tree.setHeaderHidden(True)
        self.pattern_tree.setToolTip(self.tr("Click an occurrence to see and hear it."))
        self.pattern_tree.itemClicked.connect(self._pattern_clicked)
        self.pattern_stack = HintStack(self.pattern_tree, NO_PATTERNS)
        return self.pattern_stack

    # --- what the window calls ---

    def clear(self) -> None:
        """No recording: every part says what to do."""
        self.duration = 0.0
        self._span = None
        self.title.setText(self.tr("Features"))
        self.summary.setText("")
        self.plot.clear_spectrogram()
        self.plot_stack.show_hint(NO_RECORDING)
        self._reset_lists()

    def set_recording(self, title: str, spectrogram: Spectrogram | None,
                      summary: FeatureSummary | None) -> None:
        """Show a recording: its title, Spectrogram (None while it is computed) and summary."""
        self._span = None
        self.title.setText(title)
        self.summary.setText(summary_text(summary) if summary is not None else "")
        if spectrogram is None:
            self.plot.clear_spectrogram()
            self.duration = float(getattr(summary, "duration", 0.0) or 0.0)
            self.plot_stack.show_hint(NO_SPECTROGRAM)
        else:
            self.plot.set_spectrogram(spectrogram)
            self.duration = self.plot.duration
            self.plot_stack.show_widget()
        self._reset_lists()

    def show_span(self, start: float, end: float) -> None:
        """Bring start..end into view and shade it; it becomes the span Find and Label use."""
        start, end = sorted((max(0.0, start), max(0.0, end)))
        if self.duration > 0:
            start, end = min(start, self.duration), min(end, self.duration)
        self._span = (start, end)
        self.plot.show_span(start, end)
        self._update_buttons()

    def set_similar(self, matches: list[Any] | None) -> None:
        """The windows most like the span (Match rows, best first); None: not asked yet.

        The Similar tab comes to the front only when this answers the user's Find similar.
        """
        self.similar_list.clear()
        if matches is not None and self._asked_similar:
            self._asked_similar = False
            self.tabs.setCurrentWidget(self.similar_stack)
        if matches is None:
            self.similar_stack.show_hint(NO_SIMILAR if self.duration else NO_SIMILAR_YET)
            return
        if not matches:
            self.similar_stack.show_hint(NO_SIMILAR_FOUND)
            return
        for match in matches:
            item = QListWidgetItem(match_text(match))
            item.setToolTip(
                self.tr(
                    "{path}\n{span}, similarity {score:.2f}\nDouble-click to open it there."
                ).format(path=match.path, span=span_text(match.start, match.end), score=match.score)
            )
            item.setData(PATH_ROLE, str(match.path))
            item.setData(START_ROLE, float(match.start))
            self.similar_list.addItem(item)
        self.similar_stack.show_widget()

    def set_suggestions(self, suggestions: list[tuple[int, Any]]) -> None:
        """Suggested labels, each (label id, Suggestion), the user accepts or rejects."""
        self.suggestion_list.clear()
        for label_id, suggestion in suggestions:
            row = SuggestionRow(int(label_id), suggestion)
            row.answered.connect(self.suggestion_answered)
            item = QListWidgetItem()
            item.setSizeHint(row.sizeHint())
            self.suggestion_list.addItem(item)
            self.suggestion_list.setItemWidget(item, row)
        if suggestions:
            self.suggestion_stack.show_widget()
        else:
            self.suggestion_stack.show_hint(NO_SUGGESTIONS)

    def set_patterns(self, patterns: list[Any]) -> None:
        """Sounds that recur in the recording (RecurringPattern: occurrences, similarity)."""
        self.pattern_tree.clear()
        for pattern in patterns:
            top = QTreeWidgetItem([pattern_text(pattern)])
            occurrences = [(float(s), float(e)) for s, e in pattern.occurrences]
            if occurrences:
                top.setData(0, SPAN_ROLE, occurrences[0])
            for start, end in occurrences:
                child = QTreeWidgetItem([span_text(start, end)])
                child.setData(0, SPAN_ROLE, (start, end))
                top.addChild(child)
            self.pattern_tree.addTopLevelItem(top)
        if patterns:
            self.pattern_stack.show_widget()
        else:
            self.pattern_stack.show_hint(NO_PATTERNS)

    def set_map(self, points: Any, labels: list[str | None], ids: list[int]) -> None:
        """The library's windows on a plane ((n, 2)), coloured by label; a click names one."""
        self.map.set_points(points, labels, ids)
        if len(ids):
            self.map_stack.show_widget()
        else:
            self.map_stack.show_hint(NO_MAP)

    def set_status(self, text: str) -> None:
        """One line under the view: what is under way, or an error's sentence ("" hides it)."""
        self.status.setText(text)
        self.status.setVisible(bool(text))

    def span(self) -> tuple[float, float] | None:
        """The span Find similar and Label use, or None."""
        return self._span

    # --- inside ---

    def _reset_lists(self) -> None:
        """Similar, suggestions and patterns of the last recording go; each says what comes."""
        self._asked_similar = False
        self.set_similar(None)
        self.set_suggestions([])
        self.set_patterns([])
        self.pattern_stack.show_hint(NO_PATTERNS_YET)
        self._update_buttons()

    def _span_dragged(self, start: float, end: float) -> None:
        self._span = (start, end)
        self._update_buttons()
        self.span_selected.emit(start, end)

    def _update_buttons(self) -> None:
        has_span = self._span is not None and self._span[1] > self._span[0]
        self.span_label.setText(
            self.tr("Span {span}").format(span=span_text(*self._span)) if has_span else ""
        )
        self.span_label.setVisible(has_span)
        self.find_button.setEnabled(self.duration > 0)
        named = bool(self.label_edit.text().strip())
        self.label_button.setEnabled(has_span and named)
        self.label_button.setToolTip(self.tr("Give the selected span this name.") if has_span else
                                     self.tr("Drag across the spectrogram to select a span first."))

    def _find_similar(self) -> None:
        if self.duration <= 0:
            return
        start, end = self._span if self._span else (0.0, self.duration)
        self._asked_similar = True
        self.similar_requested.emit(start, end)

    def _label_span(self) -> None:
        name = " ".join(self.label_edit.text().split())
        if not self.label_button.isEnabled() or not name or self._span is None:
            return
        self.label_requested.emit(self._span[0], self._span[1], name)

    def _open_match(self, item: QListWidgetItem) -> None:
        self.open_requested.emit(str(item.data(PATH_ROLE)), float(item.data(START_ROLE)))

    def _pattern_clicked(self, item: QTreeWidgetItem, column: int = 0) -> None:
        span = item.data(0, SPAN_ROLE)
        if not span:
            return
        start, end = span
        self.show_span(start, end)
        self.seek_requested.emit(start)
