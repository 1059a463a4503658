"""Speakers in the real window: a two-speaker conversation comes back with two speakers, and
renaming one changes every segment, the export and the voice library."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from window_helpers import WAIT_MS, answer_next_dialog, drop_files, finished, open_editing_window

from grym_desktop.ui.transcript_editor import SPEAKER

pytestmark = [pytest.mark.gui, pytest.mark.integration]

CLIPS = Path(__file__).resolve().parents[3] / "shared" / "eval" / "clips"
TURNS = ["pocketsphinx__sense_and_sensibility_01_austen_64kb-0870.wav",
         "pocketsphinx__cards_005.wav",
         "pocketsphinx__sense_and_sensibility_01_austen_64kb-0890.wav",
         "pocketsphinx__cards_002.wav"]


def test_two_speakers_shown_and_a_rename_reaches_every_segment_and_the_srt(qtbot, tmp_path):
    if not CLIPS.is_dir():
        pytest.skip("the eval clips (../shared/eval) are not beside the repository")
    talk = tmp_path / "talk.wav"
    subprocess.run(["sox", *[str(CLIPS / name) for name in TURNS], "-r", "16000", "-c", "1",
                    str(talk)], check=True)
    window = open_editing_window(qtbot)
    window.settings.setValue("transcribe/speakers", "auto")  # Settings ▸ Speakers
    drop_files(window.drop_zone, [talk])
    qtbot.waitUntil(lambda: finished(window, 1), timeout=WAIT_MS)

    segments = window.transcript_view.segments()
    assert [s.speaker for s in segments if s.speaker][:2] == ["Speaker 1", "Speaker 2"]
    assert {s.speaker for s in segments} == {"Speaker 1", "Speaker 2"}
    assert not window.transcript_view.table.isColumnHidden(SPEAKER)
    assert list(window.speakers_bar.buttons) == ["Speaker 1", "Speaker 2"]
    assert window.speakers_bar.isVisible()

    button = window.speakers_bar.buttons["Speaker 2"]
    rename = next(a for a in button.menu().actions() if a.text() == "Rename…")
    answer = answer_next_dialog("OK", type_text="Cards")
    rename.trigger()
    assert answer.clicked == "OK"
    qtbot.waitUntil(lambda: "Cards" in window.speakers_bar.buttons)
    segments = window.transcript_view.segments()
    assert {s.speaker for s in segments} == {"Speaker 1", "Cards"}
    assert all(w.speaker in ("Speaker 1", "Cards") for s in segments for w in s.words)
    srt = window.export_row.export_to(str(tmp_path), "srt").read_text()
    assert "[Cards] Eight of spades" in srt and "[Speaker 2]" not in srt
    assert [v.name for v in window.features_panel.store.voices()] == ["Cards"]
