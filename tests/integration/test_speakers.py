"""Who spoke when, after transcription in the same task, and the voice library that names a
voice once and recognises it in later recordings (real speakers from ../shared/eval)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from grym_desktop.memory.limits import parse_size
from grym_desktop.orchestrator.runner import Orchestrator, TranscribeTask
from grym_desktop.orchestrator.speakers import VOICE_THRESHOLD, SpeakerCount, name_speaker
from grym_desktop.store.library import Library

pytestmark = pytest.mark.integration

CLIPS = Path(__file__).resolve().parents[3] / "shared" / "eval" / "clips"
AUSTEN = "pocketsphinx__sense_and_sensibility_01_austen_64kb-0{}.wav"
CARDS = "pocketsphinx__cards_00{}.wav"
SPK1 = "speechbrain__ASR_spk1_snt{}.wav"


def conversation(path: Path, names: list[str]) -> Path:
    """The clips one after another with 0.4 s pauses, at 16 kHz mono."""
    if not CLIPS.is_dir():
        pytest.skip("the eval clips (../shared/eval) are not beside the repository")
    pause = ["-n", "-r", "16000", "-c", "1"]
    parts: list[str] = []
    for i, name in enumerate(names):
        gap = path.parent / f"gap{i}.wav"
        subprocess.run(["sox", *pause, str(gap), "trim", "0", "0.4"], check=True)
        parts += [str(CLIPS / name), str(gap)]
    subprocess.run(["sox", *parts, "-r", "16000", "-c", "1", str(path)], check=True)
    return path


def speakers_of(transcript) -> list[str]:
    """Speakers in order of the segments, one entry per change of speaker."""
    order: list[str] = []
    for s in transcript.segments:
        if not order or order[-1] != s.speaker:
            order.append(s.speaker)
    return order


def test_a_named_voice_is_recognised_in_another_conversation_and_no_one_else(tmp_path):
    first = conversation(tmp_path / "first.wav", [AUSTEN.format(870), CARDS.format(1),
                                                  AUSTEN.format(880), CARDS.format(5)])
    second = conversation(tmp_path / "second.wav", [SPK1.format(1), CARDS.format(2),
                                                    SPK1.format(3), CARDS.format(3)])
    third = conversation(tmp_path / "third.wav", [SPK1.format(4), AUSTEN.format(890),
                                                  SPK1.format(5), AUSTEN.format(920)])
    library = Library()
    orchestrator = Orchestrator(parse_size("16GiB"), library=library)
    try:
        done = orchestrator.run(TranscribeTask(str(first), speakers=SpeakerCount()))
        assert speakers_of(done) == ["Speaker 1", "Speaker 2", "Speaker 1", "Speaker 2"]
        assert [s.name for s in done.speakers] == ["Speaker 1", "Speaker 2"]
        name_speaker(library, orchestrator.feature_store(), done.library_id, "Speaker 2",
                     "Cards")
        renamed = library.load_transcript(done.library_id)
        assert speakers_of(renamed) == ["Speaker 1", "Cards", "Speaker 1", "Cards"]
        assert [v.name for v in orchestrator.feature_store().voices()] == ["Cards"]

        again = orchestrator.run(TranscribeTask(str(second), speakers=SpeakerCount()))
        assert speakers_of(again) == ["Speaker 1", "Speaker 2", "Speaker 1", "Speaker 2"]
        offered = {s.name: (s.voice, s.confidence) for s in again.speakers}
        assert offered["Speaker 2"][0] == "Cards"
        assert offered["Speaker 2"][1] >= VOICE_THRESHOLD
        assert offered["Speaker 1"][0] is None  # spk1 is not the cards speaker

        others = orchestrator.run(TranscribeTask(str(third), speakers=SpeakerCount()))
        assert len(others.speakers) == 2
        assert all(s.voice is None for s in others.speakers)  # no false suggestion
    finally:
        orchestrator.close()


def test_the_command_line_writes_speakers_in_every_format(tmp_path):
    path = conversation(tmp_path / "talk.wav", [AUSTEN.format(870), CARDS.format(5),
                                                AUSTEN.format(890)])
    for fmt, marks in (("txt", "Speaker 2: Eight"), ("srt", "[Speaker 2] Eight"),
                       ("vtt", "<v Speaker 2>Eight")):
        done = subprocess.run([sys.executable, "-m", "grym_desktop", "transcribe", str(path),
                               "--speakers", "2", "--format", fmt], capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        assert marks in done.stdout
    done = subprocess.run([sys.executable, "-m", "grym_desktop", "transcribe", str(path),
                           "--speakers", "auto", "--format", "json"], capture_output=True,
                          text=True, timeout=300)
    result = json.loads(done.stdout)
    assert [s["speaker"] for s in result["segments"]][0] == "Speaker 1"
    assert {w["speaker"] for s in result["segments"] for w in s["words"]} == {
        "Speaker 1", "Speaker 2"}
    assert [s["name"] for s in result["speakers"]] == ["Speaker 1", "Speaker 2"]


@pytest.mark.parametrize("value", ["0", "many", "5-2", "40"])
def test_a_speaker_count_that_cannot_be_is_a_usage_error(value):
    done = subprocess.run([sys.executable, "-m", "grym_desktop", "transcribe", "x.wav",
                           "--speakers", value], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stderr.count("\n") == 1
