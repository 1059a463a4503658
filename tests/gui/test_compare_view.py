"""The Compare models window, offscreen, with comparisons built by hand (no models): the table,
the summary, the bars and the highlighted words; a refused B shows its sentence and no number;
Run asks for the picked models and files; export writes JSON and CSV."""

from __future__ import annotations

import csv
import io
import json
import os

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from grym_desktop.orchestrator.compare import CompareProgress, Comparison, FileRun, ModelChoice
from grym_desktop.ui.compare_window import (
    B_VS_A,
    FILE,
    PEAK_A,
    PEAK_B,
    RTF_A,
    RTF_B,
    WER_A,
    WER_B,
    WINNER,
    CompareWindow,
    progress_text,
)

pytestmark = pytest.mark.gui

MIB = 1024 * 1024
A = ModelChoice("whisper-tiny.en")
B = ModelChoice("whisper-tiny.en-transformers")
INT8 = ModelChoice("whisper-tiny.en", "int8")
REFUSAL = ("whisper-large-v3 needs about 6.2 GiB in float32 but the budget is 3.1 GiB "
           "(limit 4 GiB), so it was not loaded.")


def done(side: str, file: str, text: str, rtf: float, peak_mib: int, **more) -> FileRun:
    return FileRun(side, file, "done", text=text, duration=10.0, rtf=rtf, load_seconds=1.5,
                   transcribe_seconds=10.0 * rtf, peak_rss_bytes=peak_mib * MIB,
                   estimate_bytes=300 * MIB, measured_bytes=(peak_mib - 100) * MIB, **more)


def two_files(b: ModelChoice = B) -> Comparison:
    files = ["/audio/jfk.wav", "/audio/cards.wav"]
    references = {files[0]: "and so my fellow americans ask not",
                  files[1]: "the ten of clubs sat on the table"}
    runs = [
        done("a", files[0], "And so my fellow Americans, ask not.", 0.05, 400),
        done("a", files[1], "The 10 of clubs sat on a table.", 0.06, 410),
        done("b", files[0], "And so, my fellow Americans, ask not.", 0.20, 700),
        # the -> a substituted... by A; B drops "sat" and adds "today"
        done("b", files[1], "The ten of clubs on the table today.", 0.25, 720),
    ]
    c = Comparison(A, b, files, references, runs)
    c.score()
    return c


def refused_b() -> Comparison:
    files = ["/audio/jfk.wav", "/audio/cards.wav"]
    runs = [done("a", f, "and so my fellow americans", 0.05, 400) for f in files]
    runs += [FileRun("b", f, "refused", error=REFUSAL) for f in files]
    c = Comparison(A, ModelChoice("whisper-large-v3"), files,
                   {files[0]: "and so my fellow americans"}, runs)
    c.score()
    return c


@pytest.fixture
def window(qtbot):
    w = CompareWindow([A, B, INT8])
    qtbot.addWidget(w)
    w.resize(1280, 760)
    w.show()
    return w


def test_the_table_summary_chart_and_words_of_a_comparison(window, qtbot, tmp_path):
    c = two_files()
    window.show_comparison(c)
    jfk, cards = c.files

    assert window.cell(jfk, FILE).text() == "jfk.wav"
    assert window.cell(jfk, FILE).toolTip() == jfk
    assert window.cell(jfk, WER_A).text() == "0.0 %" == window.cell(jfk, WER_B).text()
    # A: "a table" for "the table" (1 of 9 words: "ten" reads "1 0"); B: "sat" missing,
    # "today" added (2 of 9).
    assert window.cell(cards, WER_A).text() == "11.1 %"
    assert window.cell(cards, WER_B).text() == "22.2 %"
    assert window.cell(cards, B_VS_A).text() == f"{100 * c.run_for('b', cards).wer_vs_a:.1f} %"
    assert window.cell(cards, RTF_A).text() == "0.060"
    assert window.cell(cards, RTF_B).text() == "0.250"
    assert window.cell(cards, PEAK_A).text() == "410"
    assert window.cell(cards, PEAK_B).text() == "720"
    assert window.cell(jfk, WINNER).text() == "A"  # same WER, A faster
    assert window.cell(cards, WINNER).text() == "A"

    values = window.chart_values()
    assert values["wer"] == pytest.approx((6.25, 12.5))
    assert values["rtf"] == pytest.approx((0.055, 0.225))
    assert values["peak"] == pytest.approx((410, 720))

    summary = window.summary.toPlainText()
    assert "A won 2, B won 0, ties 0" in summary
    assert "B − A = " in summary and "(one file: no interval)" not in summary
    assert "2 files" in summary
    assert window.normalisation_label.text() == c.normalisation

    # The selected file's words: the first row is selected; cards shows all three kinds.
    a_html, b_html = window.diff_html()
    assert "class=\"substitute\"" not in a_html and "class=\"delete\"" not in a_html
    window.select_file(cards)
    a_html, b_html = window.diff_html()
    assert 'class="substitute" style="background-color:#ffd27f">a<' in a_html
    assert 'class="substitute" style="background-color:#ffd27f">the<' in b_html
    assert "line-through\">sat<" in a_html  # only in A: struck through in A's view
    assert 'class="insert" style="background-color:#a8e2b4">today<' in b_html
    assert "sat" not in b_html and "today" not in a_html
    assert "1 0 of clubs" in a_html and "1 0 of clubs" in b_html  # "10" and "ten" read alike
    assert "#ffd27f" in window.a_text.toHtml() and "#a8e2b4" in window.b_text.toHtml()

    # Shown again (a later file finished), the selection stays.
    window.show_comparison(c)
    assert window.selected_file() == cards

    json_path = window.export("json", str(tmp_path / "out" / "c.json"))
    data = json.loads(json_path.read_text())
    assert data["a"] == A.label and len(data["files"]) == 2
    csv_path = window.export("csv", str(tmp_path / "c.csv"))
    rows = list(csv.DictReader(io.StringIO(csv_path.read_text())))
    assert [(r["file"], r["side"]) for r in rows] == [
        (jfk, "a"), (jfk, "b"), (cards, "a"), (cards, "b")]
    assert "Saved the comparison" in window.message.text()

    window.add_files(c.files)
    window.set_reference("/audio/manifest.tsv")
    qtbot.wait(20)  # the layout settles
    window.grab().save("/tmp/compare.png")


def test_a_refused_b_shows_its_sentence_and_no_number(window):
    c = refused_b()
    window.show_comparison(c)
    jfk, cards = c.files
    for file in c.files:
        for column in (WER_B, B_VS_A, RTF_B, PEAK_B):
            assert window.cell(file, column).text() == "refused"
            assert window.cell(file, column).toolTip() == REFUSAL
        assert window.cell(file, WINNER).text() == ""
    assert window.cell(jfk, WER_A).text() == "0.0 %"
    assert window.cell(cards, WER_A).text() == "–"  # no reference for it
    assert window.chart_values() == {"wer": (0.0, None), "rtf": (pytest.approx(0.05), None),
                                     "peak": (pytest.approx(400), None)}
    summary = window.summary.toPlainText()
    assert f"B was refused: {REFUSAL}" in " ".join(summary.split())
    assert "no file that both models ran" in summary
    assert "A won 0, B won 0, ties 0" in summary
    a_html, b_html = window.diff_html()
    assert "and so my fellow americans" in a_html
    assert "Refused: whisper-large-v3 needs about 6.2 GiB" in b_html


def test_partial_results_leave_b_empty_until_it_runs(window):
    files = ["/audio/one.wav"]
    c = Comparison(A, B, files, {}, [done("a", files[0], "hello there", 0.1, 400),
                                     FileRun("b", files[0])])
    c.score()
    window.show_comparison(c)
    assert window.cell(files[0], WER_A).text() == "–"
    assert window.cell(files[0], RTF_A).text() == "0.100"
    assert window.cell(files[0], RTF_B).text() == ""
    assert window.cell(files[0], RTF_B).toolTip() == "Not run yet."
    assert window.chart_values()["rtf"] == (pytest.approx(0.1), None)
    assert "Not run yet." in window.diff_html()[1]


def test_run_asks_for_the_picked_models_and_files(window, qtbot):
    assert not window.run_button.isEnabled()
    assert "Add at least one file" in window.run_button.toolTip()
    window.add_files(["/audio/jfk.wav", "/audio/cards.wav", "/audio/jfk.wav"])
    assert window.files() == ["/audio/jfk.wav", "/audio/cards.wav"]
    assert window.choices() == (A, B)
    assert window.run_button.isEnabled()

    window.pick(INT8, INT8)
    assert not window.run_button.isEnabled()
    assert "two different models" in window.run_button.toolTip()
    window.pick(INT8, A)
    window.set_reference("/audio/manifest.tsv")
    with qtbot.waitSignal(window.run_requested) as blocker:
        qtbot.mouseClick(window.run_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [INT8, A, ["/audio/jfk.wav", "/audio/cards.wav"],
                            "/audio/manifest.tsv"]
    assert not window.run_button.isEnabled() and window.stop_button.isEnabled()
    assert not window.a_box.isEnabled()
    with qtbot.waitSignal(window.stop_requested):
        qtbot.mouseClick(window.stop_button, Qt.MouseButton.LeftButton)

    progress = CompareProgress("b", A.label, 1, 2, "/audio/cards.wav", 0.4, 70.0)
    window.show_progress(progress)
    assert window.progress_label.full_text() == (
        "Model B (whisper-tiny.en) · file 2 of 2 · cards.wav · 40 % · about 1 min left")
    assert window.progress_bar.value() == 850  # A's two files and 1.4 of B's
    window.show_error("The model host stopped: " + "a very long reason " * 40)
    assert window.message.isVisible() and window.width() <= 1280

    window.set_running(False)
    assert window.run_button.isEnabled() and not window.stop_button.isEnabled()
    window.set_reference(None)
    assert window.reference is None
    window.set_choices([A, B])  # INT8 is gone: A falls back to the first choice
    assert window.choices() == (A, A)
    assert not window.run_button.isEnabled()


def test_files_dropped_on_the_window_are_added(window, tmp_path):
    paths = [tmp_path / "x.wav", tmp_path / "y.flac"]
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    assert window.files() == [str(p) for p in paths]


def test_progress_text_without_a_rate_says_no_time():
    text = progress_text(CompareProgress("a", "m", 0, 3, os.path.join("x", "a.wav"), 0.0, None))
    assert text == "Model A (m) · file 1 of 3 · a.wav · 0 %"


def test_the_window_fits_a_small_laptop_screen(window):
    window.show_comparison(two_files())
    window.resize(900, 600)
    assert window.minimumSizeHint().width() <= 900
    assert window.width() == 900
