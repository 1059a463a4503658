"""Two transcripts side by side, with the words that differ highlighted: substitutions in both
(amber), words only in A red and struck through in A, words only in B green in B.

The words shown are the scored ones (normalised by scoring.wer), so what is highlighted is
exactly what the word error rate counts.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QTextBrowser, QWidget

from grym_desktop.scoring.wer import DiffPart, word_diff, words
from grym_desktop.ui.widgets import ElidedLabel

SUBSTITUTE = "#ffd27f"  # amber
DELETE = "#f4a6a0"  # red: only in A
INSERT = "#a8e2b4"  # green: only in B
STYLES = {
    "substitute": f"background-color:{SUBSTITUTE}",
    "delete": f"background-color:{DELETE}; text-decoration:line-through",
    "insert": f"background-color:{INSERT}",
}


def _span(kind: str, words_: list[str]) -> str:
    text = escape(" ".join(words_))
    return f'<span class="{kind}" style="{STYLES[kind]}">{text}</span>' if kind in STYLES \
        else text


def diff_html(parts: list[DiffPart]) -> tuple[str, str]:
    """A's and B's words as HTML, the differing ones in coloured spans (class = the kind)."""
    a_out: list[str] = []
    b_out: list[str] = []
    for part in parts:
        if part.kind == "equal":
            a_out.append(_span("equal", part.a_words))
            b_out.append(_span("equal", part.b_words))
        elif part.kind == "substitute":
            a_out.append(_span("substitute", part.a_words))
            b_out.append(_span("substitute", part.b_words))
        elif part.kind == "delete":
            a_out.append(_span("delete", part.a_words))
        elif part.kind == "insert":
            b_out.append(_span("insert", part.b_words))
    return " ".join(a_out), " ".join(b_out)


def note_html(sentence: str) -> str:
    """A side with no words to show: why, in grey."""
    return f'<span style="color:#6b7580"><i>{escape(sentence)}</i></span>'


def legend_html() -> str:
    return " &nbsp; ".join(
        f'<span style="{STYLES[kind]}">&nbsp;{name}&nbsp;</span>'
        for kind, name in (
            ("substitute", QCoreApplication.translate("WordDiffView", "different word")),
            ("delete", QCoreApplication.translate("WordDiffView", "only in A")),
            ("insert", QCoreApplication.translate("WordDiffView", "only in B")),
        )
    )


class WordDiffView(QWidget):
    """A's and B's transcripts of one file, side by side, the differences highlighted."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.a_title = ElidedLabel(self.tr("Model A"))
        self.b_title = ElidedLabel(self.tr("Model B"))
        self.a_text = QTextBrowser()
        self.a_text.setAccessibleName(self.tr("Words of model A"))
        self.b_text = QTextBrowser()
        self.b_text.setAccessibleName(self.tr("Words of model B"))
        for view in (self.a_text, self.b_text):
            view.setOpenLinks(False)
            view.setMinimumHeight(60)
            view.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Expanding)
        self.legend = QLabel(legend_html())
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setToolTip(
            self.tr(
                "The words as they are scored: lower case, without punctuation, "
                "numbers written as words."
            )
        )
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setVerticalSpacing(2)
        layout.addWidget(self.a_title, 0, 0)
        layout.addWidget(self.b_title, 0, 1)
        layout.addWidget(self.a_text, 1, 0)
        layout.addWidget(self.b_text, 1, 1)
        layout.addWidget(self.legend, 2, 0, 1, 2)
        layout.setRowStretch(1, 1)
        self._html = ("", "")

    def show_pair(self, a_title: str, a_text: str | None, b_title: str, b_text: str | None,
                  a_note: str = "", b_note: str = "") -> None:
        """The two transcripts; a side whose text is None shows its note instead (refused,
        failed, not run yet), the other its words unhighlighted."""
        self.a_title.setText(a_title)
        self.b_title.setText(b_title)
        if a_text is not None and b_text is not None:
            a_html, b_html = diff_html(word_diff(a_text, b_text))
        else:
            a_html = escape(" ".join(words(a_text))) if a_text is not None else note_html(a_note)
            b_html = escape(" ".join(words(b_text))) if b_text is not None else note_html(b_note)
        self._html = (a_html, b_html)
        self.a_text.setHtml(a_html)
        self.b_text.setHtml(b_html)

    def clear(self) -> None:
        self.show_pair(
            self.tr("Model A"),
            None,
            self.tr("Model B"),
            None,
            self.tr("Select a file to see its words."),
            "",
        )

    def diff_html(self) -> tuple[str, str]:
        """The HTML last shown in A's and B's views."""
        return self._html
