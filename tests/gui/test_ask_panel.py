"""The Ask panel on its own, offscreen, without models: what it emits and what it shows."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QPoint, Qt, QUrl

from grym_desktop.ui.ask_panel import BEST_THAT_FITS, EXAMPLES, AskPanel, linked_html

pytestmark = pytest.mark.gui

MODELS = [("qwen2-audio-7b-instruct", "Qwen2-Audio 7B Instruct"),
          ("voxtral-mini-3b", "Voxtral Mini 3B"),
          ("granite-speech-3.3-2b", "Granite Speech 3.3 2B")]
HISTORY = [("What did they decide?", "At 12:30 they cut the travel budget.", "voxtral-mini-3b",
            "2025-01-31T14:05:22"),
           ("Is there music?", "No music; two people talk.", "granite-speech-3.3-2b",
            "2025-01-30T09:01:00")]


@pytest.fixture
def panel(qtbot):
    p = AskPanel()
    qtbot.addWidget(p)
    p.resize(420, 700)
    p.set_models(MODELS)
    p.show()
    return p


def ready(panel: AskPanel, question: str = "What is happening here?") -> None:
    panel.set_recording("/audio/meeting.wav", "meeting.wav", 7)
    panel.question_box.setPlainText(question)


def within(panel, *children) -> None:
    """Each child is shown whole inside the panel, none clipped by its edges."""
    for child in children:
        assert child.isVisible(), child
        top_left = child.mapTo(panel, QPoint(0, 0))
        assert top_left.x() >= 0 and top_left.y() >= 0, child
        assert top_left.x() + child.width() <= panel.width(), child
        assert top_left.y() + child.height() <= panel.height(), child


def test_ask_waits_for_a_recording_and_a_question(qtbot, panel):
    assert panel.model_box.itemText(0) == BEST_THAT_FITS and panel.model_id is None
    assert not panel.ask_button.isEnabled() and not panel.stop_button.isEnabled()
    assert "recording" in panel.ask_button.toolTip()
    panel.set_recording("/audio/meeting.wav", "meeting.wav", 7)
    assert not panel.ask_button.isEnabled() and "question" in panel.ask_button.toolTip()
    with qtbot.assertNotEmitted(panel.ask_requested):
        panel.ask()
    panel.question_box.setPlainText("   ")
    assert not panel.ask_button.isEnabled()
    qtbot.mouseClick(panel.chips[1], Qt.MouseButton.LeftButton)
    assert panel.question == EXAMPLES[1] and panel.ask_button.isEnabled()
    panel.set_recording(None, "", None)
    assert not panel.ask_button.isEnabled() and "recording" in panel.ask_button.toolTip()


def test_ask_emits_question_model_and_transcript_flag(qtbot, panel):
    ready(panel, "  What did they decide?\n")
    with qtbot.waitSignal(panel.ask_requested) as asked:
        qtbot.mouseClick(panel.ask_button, Qt.MouseButton.LeftButton)
    assert asked.args == ["What did they decide?", None, True]
    assert panel.running and not panel.ask_button.isEnabled() and panel.stop_button.isEnabled()
    assert "Stop" in panel.ask_button.toolTip()
    panel.finish("They did not decide.", None)

    panel.select_model("voxtral-mini-3b")
    panel.include_check.setChecked(False)
    with qtbot.waitSignal(panel.ask_requested) as asked:
        panel.ask()
    assert asked.args == ["What did they decide?", "voxtral-mini-3b", False]
    panel.finish("", None)
    panel.question_box.setFocus()
    with qtbot.waitSignal(panel.ask_requested, timeout=2000):  # Ctrl+Enter asks too
        qtbot.keyClick(panel.question_box, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    panel.finish("", None)

    panel.set_models(MODELS[1:])  # the chosen model stays chosen while it is offered
    assert panel.model_id == "voxtral-mini-3b"
    panel.set_models(MODELS[2:])
    assert panel.model_id is None

    # A recording with no transcript cannot include one; the user's choice comes back after.
    panel.include_check.setChecked(True)
    panel.set_recording("/audio/birds.wav", "birds.wav", None)
    assert not panel.include_check.isEnabled() and not panel.include_check.isChecked()
    assert "no transcript" in panel.include_check.toolTip()
    panel.question_box.setPlainText("Is there music?")
    with qtbot.waitSignal(panel.ask_requested) as asked:
        panel.ask()
    assert asked.args == ["Is there music?", None, False]
    panel.finish("Birdsong.", None)
    panel.set_recording("/audio/meeting.wav", "meeting.wav", 7)
    assert panel.include_check.isChecked() and panel.include_transcript


def test_tokens_stream_into_the_answer_from_another_thread(qtbot, panel):
    ready(panel)
    panel.ask()
    tokens = ["A", " door", " opens", " at", " 0:30", ",", " then", " rain", "."]
    sender = threading.Thread(target=lambda: [panel.token_arrived.emit(t) for t in tokens])
    sender.start()
    sender.join()
    qtbot.waitUntil(lambda: panel.answer_view.toPlainText().endswith("then rain."), timeout=5000)
    text = panel.answer_view.toPlainText()
    assert text.startswith("What is happening here?")  # the question heads its answer
    assert "A door opens at 0:30, then rain." in text
    blocks = panel.answer_view.document().blockCount()
    panel.append_token(" More")
    assert panel.answer_view.toPlainText().endswith("rain. More")
    assert panel.answer_view.document().blockCount() == blocks  # added in place

    panel.finish("A door opens at 0:30, then rain.", "Asked per 30 s part.")
    assert not panel.running and panel.ask_button.isEnabled() and not panel.stop_button.isEnabled()
    assert panel.status.text() == "Asked per 30 s part." and panel.status.isVisible()
    assert "then rain." in panel.answer_view.toPlainText()
    panel.append_token(" late")  # a token after the end is not shown
    assert not panel.answer_view.toPlainText().endswith("late")
    with qtbot.waitSignal(panel.seek_requested) as seek:
        panel.answer_view.anchorClicked.emit(QUrl("t:30"))
    assert seek.args == [30.0]


def test_stop_emits_once_and_an_error_keeps_what_streamed(qtbot, panel):
    ready(panel)
    panel.ask()
    panel.append_token("Someone speaks")
    with qtbot.waitSignal(panel.stop_requested):
        qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    assert not panel.stop_button.isEnabled() and panel.status.text() == "Stopping…"
    with qtbot.assertNotEmitted(panel.stop_requested):
        panel.stop()
    panel.finish("Someone speaks", "Stopped.")
    assert panel.ask_button.isEnabled() and panel.status.text() == "Stopped."

    panel.ask()
    panel.append_token("Half an")
    sentence = ("Qwen2-Audio 7B Instruct in bfloat16 needs about 17.9 GB but the limit leaves "
                "15.2 GB; Voxtral Mini 3B fits.")
    panel.show_error(sentence)
    assert panel.status.text() == sentence and "Half an" in panel.answer_view.toPlainText()
    assert not panel.running and panel.ask_button.isEnabled()


def test_history_click_shows_an_earlier_answer(qtbot, panel):
    ready(panel)
    assert not panel.history_list.isVisible() and "No earlier" in panel.history_label.text()
    panel.set_history(HISTORY)
    assert panel.history_list.count() == 2 and panel.history_list.isVisible()
    assert panel.history_label.text() == "Earlier answers (2)"
    assert panel.history_list.item(0).text() == \
        "What did they decide?\nvoxtral-mini-3b  ·  2025-01-31 14:05"
    item = panel.history_list.item(1)
    qtbot.mouseClick(panel.history_list.viewport(), Qt.MouseButton.LeftButton,
                     pos=panel.history_list.visualItemRect(item).center())
    text = panel.answer_view.toPlainText()
    assert "Is there music?" in text and "No music; two people talk." in text
    assert "granite-speech-3.3-2b" in text
    panel.history_list.itemClicked.emit(panel.history_list.item(0))
    assert "they cut the travel budget" in panel.answer_view.toPlainText()
    assert '<a href="t:750">12:30</a>' in linked_html(HISTORY[0][1])

    panel.ask()  # while an answer streams the history waits
    assert not panel.history_list.isEnabled()
    panel.show_history_item(panel.history_list.item(1))
    assert "No music" not in panel.answer_view.toPlainText()
    panel.finish("Talk.", None)
    panel.set_recording("/audio/other.wav", "other.wav", 8)  # another recording: history cleared
    assert panel.history_list.count() == 0 and panel.answer_view.toPlainText() == ""


def test_linked_html_links_each_cited_time():
    assert linked_html("0:00–0:30: rain\n1:02:03.5 & 12:30") == (
        '<a href="t:0">0:00</a>–<a href="t:30">0:30</a>: rain<br>'
        '<a href="t:3723.5">1:02:03.5</a> &amp; <a href="t:750">12:30</a>')
    assert linked_html("ratio 3:1, version 1.2:345") == "ratio 3:1, version 1.2:345"


def test_fits_a_dock_and_screenshot(qtbot, panel):
    ready(panel, "What did they decide?")
    long_name = "the quarterly budget meeting of the regional committee, full recording " * 3
    panel.set_recording("/audio/long.wav", long_name, 7)
    panel.set_model_line("Voxtral Mini 3B · bfloat16 · 9.4 GB estimated of 16.0 GB limit · "
                         "loaded in 12.3 s")
    panel.set_history(HISTORY)
    panel.ask()
    for word in ("At 0:30 the chair proposes cutting the travel budget by a fifth; at 1:02 "
                 "everyone agrees and the treasurer will write it up. ").split(" "):
        panel.append_token(word + " ")
    panel.finish(panel.answer_view.toPlainText().split("\n", 1)[1],
                 "Asked per 30 s part: 0:00–0:30, 0:30–1:00, answers merged.")
    qtbot.wait(50)
    assert panel.minimumSizeHint().width() <= 350  # a long title or line never widens it
    within(panel, panel.title, panel.model_box, panel.model_line, panel.question_box,
           *panel.chips, panel.include_check, panel.ask_button, panel.stop_button, panel.status,
           panel.answer_view, panel.history_list)
    assert panel.answer_view.height() >= 150
    panel.grab().save("/tmp/ask_panel.png")
    panel.resize(350, 700)
    qtbot.wait(50)
    within(panel, *panel.chips, panel.ask_button, panel.stop_button, panel.answer_view)
