"""The Ask panel: ask the shown recording a question and watch an audio-language model answer.

A view only: it emits what the user asks for and shows what the window hands it (models, the
model line, streamed tokens, the finished answer, errors, earlier answers). The window runs the
question on the ModelWorker; tokens from that thread arrive through token_arrived, queued.
"""

from __future__ import annotations

import html
import re

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt, QUrl, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from grym_desktop.ui.widgets import ElidedLabel

# Translated where shown (QT_TRANSLATE_NOOP marks them for lupdate).
BEST_THAT_FITS = QT_TRANSLATE_NOOP("AskPanel", "Best that fits")
EXAMPLES = (QT_TRANSLATE_NOOP("AskPanel", "What is happening here?"),
            QT_TRANSLATE_NOOP("AskPanel", "Summarise this recording."),
            QT_TRANSLATE_NOOP("AskPanel", "Is there music?"),
            QT_TRANSLATE_NOOP("AskPanel", "What did they decide?"))
ERROR_STYLE = "color: #b03a2e;"
MUTED_STYLE = "color: #6b6b6b;"
ANSWER_ROLE = Qt.ItemDataRole.UserRole + 1  # (question, answer, model, created) of a history row
# 0:30, 01:05, 1:02:03, 01:05.20 (also "0:30:" ending a part's heading), not inside a longer
# run of digits, dots and colons
TIME = re.compile(r"(?<![\d.])(?<!\d:)(?:(\d+):)?(\d{1,2}):(\d{2})(?:\.(\d+))?(?!\d|:\d)")


def time_seconds(match: re.Match) -> float:
    """Seconds of a TIME match."""
    hours, minutes, secs, fraction = match.groups()
    return (int(hours or 0) * 3600 + int(minutes) * 60 + int(secs)
            + (float(f"0.{fraction}") if fraction else 0.0))


def linked_html(text: str) -> str:
    """Plain answer text as HTML with each time it cites a link (t:SECONDS) to play from."""
    parts, last = [], 0
    for match in TIME.finditer(text):
        parts.append(html.escape(text[last:match.start()]))
        parts.append(f'<a href="t:{time_seconds(match):g}">{html.escape(match.group(0))}</a>')
        last = match.end()
    parts.append(html.escape(text[last:]))
    return "".join(parts).replace("\n", "<br>")


def created_text(created: object) -> str:
    """An ISO date and time as the history list shows it: 2025-01-31 14:05."""
    return str(created).replace("T", " ")[:16]


class AskPanel(QWidget):
    """Question box, example questions, model choice, Ask / Stop, the streaming answer and the
    recording's earlier answers."""

    # question, model id (None: best that fits), include the transcript
    ask_requested = Signal(str, object, bool)
    stop_requested = Signal()
    seek_requested = Signal(float)  # a time cited in an answer was clicked: play from there
    token_arrived = Signal(str)  # emit from any thread: the text reaches append_token, queued

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path: str | None = None
        self.transcript_id: int | None = None
        self.running = False
        self.asked = ""  # the question whose answer is shown or streaming
        self._build()
        self.token_arrived.connect(self.append_token)
        self._update_buttons()

    # -- layout --------------------------------------------------------------------------

    def _build(self) -> None:
        self.title = ElidedLabel(self.tr("No recording selected"))
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)

        self.model_box = QComboBox()
        self.model_box.setAccessibleName(self.tr("Model that answers"))
        self.model_box.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model_box.setMinimumContentsLength(14)
        self.model_box.addItem(self.tr(BEST_THAT_FITS), None)
        self.model_box.setToolTip(
            self.tr(
                "The model that answers; “Best that fits” takes the largest "
                "one that fits in the memory limit."
            )
        )
        model_row = QHBoxLayout()
        model_row.addWidget(QLabel(self.tr("Model")))
        model_row.addWidget(self.model_box, 1)
        self.model_line = ElidedLabel(
            self.tr("No model loaded yet."), mode=Qt.TextElideMode.ElideRight
        )
        self.model_line.setStyleSheet(MUTED_STYLE)

        self.question_box = QPlainTextEdit()
        self.question_box.setAccessibleName(self.tr("Question"))
        self.question_box.setPlaceholderText(self.tr("Ask about this recording…"))
        self.question_box.setTabChangesFocus(True)
        lines = self.question_box.fontMetrics().lineSpacing() * 3
        self.question_box.setFixedHeight(lines + 2 * self.question_box.frameWidth() + 10)
        self.question_box.textChanged.connect(self._update_buttons)
        QShortcut(QKeySequence("Ctrl+Return"), self.question_box, self.ask,
                  context=Qt.ShortcutContext.WidgetShortcut)

        self.chips: list[QToolButton] = []
        chips = QGridLayout()
        chips.setSpacing(4)
        for i, source in enumerate(EXAMPLES):
            example = self.tr(source)
            chip = QToolButton()
            chip.setText(example)
            chip.setToolTip(self.tr("Ask “{example}”").format(example=example))
            chip.setAutoRaise(False)
            chip.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
            chip.clicked.connect(lambda _=False, text=example: self.use_example(text))
            chips.addWidget(chip, i // 2, i % 2)
            self.chips.append(chip)

        self.include_check = QCheckBox(self.tr("Include the transcript"))
        self.include_check.setChecked(True)
        self._include_wanted = True  # the user's choice, kept while a recording has no transcript
        self.include_check.toggled.connect(self._include_toggled)
        self.ask_button = QPushButton(self.tr("Ask"))
        self.ask_button.setDefault(True)
        self.ask_button.clicked.connect(self.ask)
        self.stop_button = QPushButton(self.tr("Stop"))
        self.stop_button.setToolTip(self.tr("Stop the answer where it is"))
        self.stop_button.clicked.connect(self.stop)
        actions = QHBoxLayout()
        actions.addWidget(self.include_check)
        actions.addStretch(1)
        actions.addWidget(self.ask_button)
        actions.addWidget(self.stop_button)

        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)
        self.status.hide()

        self.answer_view = QTextBrowser()
        self.answer_view.setAccessibleName(self.tr("Answer"))
        self.answer_view.setOpenLinks(False)
        self.answer_view.setPlaceholderText(
            self.tr("Ask a question: the answer appears here as the model writes it."))
        self.answer_view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.answer_view.anchorClicked.connect(self._link_clicked)

        self.history_label = QLabel(self.tr("No earlier answers for this recording."))
        self.history_label.setStyleSheet(MUTED_STYLE)
        self.history_list = QListWidget()
        self.history_list.setAccessibleName(self.tr("Earlier answers"))
        self.history_list.setWordWrap(True)
        self.history_list.setSpacing(3)
        self.history_list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.history_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.history_list.itemClicked.connect(self.show_history_item)
        self.history_list.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addWidget(self.title)
        layout.addLayout(model_row)
        layout.addWidget(self.model_line)
        layout.addWidget(self.question_box)
        layout.addLayout(chips)
        layout.addLayout(actions)
        layout.addWidget(self.status)
        layout.addWidget(self.answer_view, 3)
        layout.addWidget(self.history_label)
        layout.addWidget(self.history_list, 1)

    # -- what the window sets ------------------------------------------------------------

    def set_recording(self, path: str | None, title: str, transcript_id: int | None) -> None:
        """The recording questions are about; a new one clears the answer and the history
        (the window then hands its earlier answers to set_history)."""
        changed = path != self.path
        self.path, self.transcript_id = path, transcript_id
        self.title.setText(title if path is not None else self.tr("No recording selected"))
        has_transcript = path is not None and transcript_id is not None
        self.include_check.setEnabled(has_transcript)
        self.include_check.blockSignals(True)
        self.include_check.setChecked(has_transcript and self._include_wanted)
        self.include_check.blockSignals(False)
        self.include_check.setToolTip(
            self.tr("Give the model the transcript, with times and speakers, next to the audio, so "
            "answers can cite times.") if has_transcript
            else self.tr("This recording has no transcript yet."))
        if changed:
            self.set_history([])
            if not self.running:
                self.answer_view.clear()
                self.asked = ""
                self._set_status("")
        self._update_buttons()

    def set_models(self, models: list[tuple[str, str]]) -> None:
        """The models that can answer, as (model id, label); "Best that fits" stays first and
        the chosen model stays chosen while it is offered."""
        chosen = self.model_id
        self.model_box.blockSignals(True)
        self.model_box.clear()
        self.model_box.addItem(self.tr(BEST_THAT_FITS), None)
        for model_id, label in models:
            self.model_box.addItem(label, model_id)
            self.model_box.setItemData(self.model_box.count() - 1, f"{label} ({model_id})",
                                       Qt.ItemDataRole.ToolTipRole)
        self.model_box.blockSignals(False)
        self.select_model(chosen)

    def select_model(self, model_id: str | None) -> None:
        """Choose model_id in the picker (None or one not offered: "Best that fits")."""
        self.model_box.setCurrentIndex(max(0, self.model_box.findData(model_id)))

    def set_model_line(self, text: str) -> None:
        """The model answering, its precision and memory, e.g. "Voxtral Mini 3B · bfloat16 ·
        9.1 GB of 16 GB"."""
        self.model_line.setText(text)

    def set_running(self, running: bool) -> None:
        """While an answer is written Ask is off and Stop on; earlier answers wait."""
        self.running = running
        self.history_list.setEnabled(not running)
        self.model_box.setEnabled(not running)
        self._update_buttons()

    def append_token(self, text: str) -> None:
        """Add streamed text at the end of the answer (no re-render); kept in view when the
        reader is at the bottom. Ignored unless an answer is running."""
        if not self.running or not text:
            return
        bar = self.answer_view.verticalScrollBar()
        at_bottom = bar.value() >= bar.maximum() - 4
        cursor = QTextCursor(self.answer_view.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(text, QTextCharFormat())
        if at_bottom:
            bar.setValue(bar.maximum())

    def finish(self, answer_text: str, note: str | None) -> None:
        """The whole answer (times cited become links to play from), and a note such as
        "Asked per 30 s part." or "Stopped."; Ask is on again."""
        self._show_answer(self.asked, answer_text, None)
        self._set_status(note or "")
        self.set_running(False)

    def show_error(self, sentence: str) -> None:
        """Why the question could not be answered, in one sentence; what streamed stays."""
        self._set_status(sentence, error=True)
        self.set_running(False)

    def set_history(self, answers: list[tuple[str, str, str, object]]) -> None:
        """Earlier answers for this recording as (question, answer, model, created), newest
        first; clicking one shows it."""
        self.history_list.clear()
        for question, answer, model, created in answers:
            item = QListWidgetItem(f"{' '.join(question.split())}\n{model}  ·  "
                                   f"{created_text(created)}")
            item.setData(ANSWER_ROLE, (question, answer, model, created))
            item.setToolTip(question)
            self.history_list.addItem(item)
        count = len(answers)
        self.history_label.setText(
            self.tr("Earlier answers ({count})").format(count=count)
            if count
            else self.tr("No earlier answers for this recording.")
        )
        self.history_list.setVisible(bool(count))

    # -- what the user does --------------------------------------------------------------

    @property
    def question(self) -> str:
        return self.question_box.toPlainText().strip()

    @property
    def model_id(self) -> str | None:
        """The chosen model's id; None for "Best that fits"."""
        return self.model_box.currentData()

    @property
    def include_transcript(self) -> bool:
        return self.include_check.isEnabled() and self.include_check.isChecked()

    def use_example(self, text: str) -> None:
        """An example question into the box, ready to ask or edit."""
        self.question_box.setPlainText(text)
        self.question_box.setFocus()
        self.question_box.moveCursor(QTextCursor.MoveOperation.End)

    def ask(self) -> None:
        """Start a fresh answer and emit ask_requested (when Ask is possible)."""
        if not self.ask_button.isEnabled():
            return
        self.asked = self.question
        self.history_list.clearSelection()
        self.answer_view.clear()
        self._write_question(self.asked)
        self._set_status("")
        self.set_running(True)
        self.ask_requested.emit(self.asked, self.model_id, self.include_transcript)

    def stop(self) -> None:
        """Ask for the answer to stop (once); it is running until finish or show_error."""
        if not self.running or not self.stop_button.isEnabled():
            return
        self.stop_button.setEnabled(False)
        self._set_status(self.tr("Stopping…"))
        self.stop_requested.emit()

    def show_history_item(self, item: QListWidgetItem) -> None:
        """An earlier answer in the answer view."""
        if self.running:
            return
        question, answer, model, created = item.data(ANSWER_ROLE)
        self._show_answer(question, answer, f"{model}  ·  {created_text(created)}")
        self._set_status("")

    # -- inside --------------------------------------------------------------------------

    def _update_buttons(self) -> None:
        if self.running:
            reason = self.tr("An answer is being written; Stop ends it.")
        elif self.path is None:
            reason = self.tr("Select a recording first.")
        elif not self.question:
            reason = self.tr("Type a question or pick an example first.")
        else:
            reason = ""
        self.ask_button.setEnabled(not reason)
        self.ask_button.setToolTip(
            reason or self.tr("Ask the model about this recording (Ctrl+Enter)")
        )
        self.stop_button.setEnabled(self.running)

    def _write_question(self, question: str) -> None:
        self.answer_view.setHtml(f"<p><b>{html.escape(question)}</b></p>")
        cursor = QTextCursor(self.answer_view.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertBlock()

    def _show_answer(self, question: str, answer: str, footer: str | None) -> None:
        body = linked_html(answer.strip()) if answer.strip() else self.tr("<i>(no answer)</i>")
        parts = [f"<p><b>{html.escape(question)}</b></p>" if question else "", f"<p>{body}</p>"]
        if footer:
            parts.append(f'<p style="{MUTED_STYLE}">{html.escape(footer)}</p>')
        self.answer_view.setHtml("".join(parts))

    def _set_status(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(ERROR_STYLE if error else MUTED_STYLE)
        self.status.setVisible(bool(text))

    def _include_toggled(self, checked: bool) -> None:
        if self.include_check.isEnabled():
            self._include_wanted = checked

    def _link_clicked(self, url: QUrl) -> None:
        if url.scheme() == "t":
            self.seek_requested.emit(float(url.path()))
