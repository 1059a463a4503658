"""Exporters: exact text, subtitles that parse back, the JSON contract, atomic writes."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
import textwrap

import pytest

from grym_desktop.errors import GrymError, UsageError
from grym_desktop.export.writers import FORMATS, render, to_json, to_srt, to_txt, to_vtt, write
from grym_desktop.transcript import (
    Fallback,
    Metrics,
    Segment,
    SpeakerInfo,
    Transcript,
    Word,
    rename_speaker,
    speaking_time,
)


def _transcript(**kw) -> Transcript:
    base = dict(
        file="/audio/talk.wav",
        model="whisper-tiny.en",
        engine="ctranslate2",
        precision="int8",
        language="en",
        duration=3726.0,
        segments=[
            Segment(
                0.0,
                2.5,
                " Hello there.",
                [Word(0.0, 1.0, " Hello", 0.9), Word(1.0, 2.5, " there.")],
            ),
            Segment(2.5, 4.0, " Ça va <très> bien & merci."),
            Segment(4.0, 4.2, "  "),
            Segment(3725.0, 3725.5, " A long\nway in."),
        ],
        metrics=Metrics(1.5, 20.0, 0.0054, 512_000_000, 480_000_000),
    )
    base.update(kw)
    return Transcript(**base)


def test_txt_is_one_line_per_segment():
    assert to_txt(_transcript()) == "Hello there.\nÇa va <très> bien & merci.\nA long way in.\n"


def test_srt_exact():
    assert to_srt(_transcript()) == (
        "1\n00:00:00,000 --> 00:00:02,500\nHello there.\n"
        "\n"
        "2\n00:00:02,500 --> 00:00:04,000\nÇa va <très> bien & merci.\n"
        "\n"
        "3\n01:02:05,000 --> 01:02:05,500\nA long way in.\n"
    )


def test_vtt_exact():
    assert to_vtt(_transcript()) == (
        "WEBVTT\n"
        "\n"
        "00:00:00.000 --> 00:00:02.500\nHello there.\n"
        "\n"
        "00:00:02.500 --> 00:00:04.000\nÇa va &lt;très&gt; bien &amp; merci.\n"
        "\n"
        "01:02:05.000 --> 01:02:05.500\nA long way in.\n"
    )


def test_timestamps_round_to_the_millisecond_and_carry():
    t = _transcript(segments=[Segment(59.9996, 3725.5, "x"), Segment(36_000.0, 360_061.25, "y")])
    assert "00:01:00,000 --> 01:02:05,500" in to_srt(t)
    assert "10:00:00.000 --> 100:01:01.250" in to_vtt(t)


_TIMING = re.compile(r"^(\d+):(\d\d):(\d\d)[,.](\d{3}) --> (\d+):(\d\d):(\d\d)[,.](\d{3})$")


def _seconds(h: str, m: str, s: str, ms: str) -> float:
    return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000


def _parse_cues(blocks: list[str], numbered: bool) -> list[tuple[float, float, str]]:
    cues = []
    for number, block in enumerate(blocks, start=1):
        lines = block.split("\n")
        if numbered:
            assert lines.pop(0) == str(number)
        timing = _TIMING.match(lines[0])
        assert timing, lines[0]
        g = timing.groups()
        cues.append((_seconds(*g[:4]), _seconds(*g[4:]), "\n".join(lines[1:])))
    return cues


def parse_srt(text: str) -> list[tuple[float, float, str]]:
    return _parse_cues(text.strip("\n").split("\n\n"), numbered=True)


def parse_vtt(text: str) -> list[tuple[float, float, str]]:
    header, *blocks = text.strip("\n").split("\n\n")
    assert header == "WEBVTT"
    return [(s, e, html.unescape(t)) for s, e, t in _parse_cues(blocks, numbered=False)]


@pytest.mark.parametrize("parse, fmt", [(parse_srt, "srt"), (parse_vtt, "vtt")])
def test_subtitles_parse_back_to_the_segments(parse, fmt):
    t = _transcript()
    expected = [(s.start, s.end, " ".join(s.text.split())) for s in t.segments if s.text.strip()]
    assert parse(render(t, fmt)) == expected


def test_json_has_every_field_of_the_contract():
    fallback = Fallback("whisper-base", "whisper-tiny.en", "not enough memory for base")
    data = json.loads(to_json(_transcript(fallback=fallback)))
    for key in ("file", "model", "engine", "precision", "language", "duration"):
        assert data[key] == getattr(_transcript(), key)
    assert [s["text"] for s in data["segments"]][0] == " Hello there."
    for seg in data["segments"]:
        assert {"start", "end", "text", "words"} <= seg.keys()
    assert data["segments"][0]["words"][1] == {
        "start": 1.0,
        "end": 2.5,
        "word": " there.",
        "probability": None,
    }
    assert data["fallback"] == {
        "from": "whisper-base",
        "to": "whisper-tiny.en",
        "reason": "not enough memory for base",
    }
    assert data["metrics"] == {
        "load_seconds": 1.5,
        "transcribe_seconds": 20.0,
        "rtf": 0.0054,
        "peak_rss_bytes": 512_000_000,
        "estimate_bytes": 480_000_000,
        "batch_size": 1,  # beyond the contract: what the planner chose
        "window_seconds": 0.0,
    }


def test_json_without_fallback_says_null_and_keeps_unicode():
    text = to_json(_transcript())
    assert json.loads(text)["fallback"] is None
    assert "Ça va" in text


def _conversation() -> Transcript:
    return _transcript(
        segments=[
            Segment(0.0, 2.5, " Hello there.",
                    [Word(0.0, 1.0, " Hello", 0.9, "Alice"), Word(1.0, 2.5, " there.", None,
                                                                 "Alice")], "Alice"),
            Segment(2.5, 4.0, " Ça va <très> bien & merci.", speaker="Speaker 2"),
            Segment(4.0, 4.2, "  ", speaker="Speaker 2"),
            Segment(3725.0, 3725.5, " A long\nway in."),  # nobody was found speaking here
        ],
        speakers=[SpeakerInfo("Alice", 2.5, "Alice", 0.91), SpeakerInfo("Speaker 2", 1.7)],
    )


def test_txt_with_speakers_names_them():
    assert to_txt(_conversation()) == (
        "Alice: Hello there.\nSpeaker 2: Ça va <très> bien & merci.\nA long way in.\n")


def test_srt_with_speakers_brackets_them():
    assert to_srt(_conversation()) == (
        "1\n00:00:00,000 --> 00:00:02,500\n[Alice] Hello there.\n"
        "\n"
        "2\n00:00:02,500 --> 00:00:04,000\n[Speaker 2] Ça va <très> bien & merci.\n"
        "\n"
        "3\n01:02:05,000 --> 01:02:05,500\nA long way in.\n"
    )


def test_vtt_with_speakers_uses_voice_spans():
    t = _conversation()
    t.segments[0].speaker = "Dr <A&B>"
    assert to_vtt(t) == (
        "WEBVTT\n"
        "\n"
        "00:00:00.000 --> 00:00:02.500\n<v Dr &lt;A&amp;B&gt;>Hello there.\n"
        "\n"
        "00:00:02.500 --> 00:00:04.000\n<v Speaker 2>Ça va &lt;très&gt; bien &amp; merci.\n"
        "\n"
        "01:02:05.000 --> 01:02:05.500\nA long way in.\n"
    )


def test_json_with_speakers_has_a_speaker_per_segment_and_word_and_round_trips():
    t = _conversation()
    data = json.loads(to_json(t))
    assert [s.get("speaker") for s in data["segments"]] == ["Alice", "Speaker 2", "Speaker 2",
                                                           None]
    assert "speaker" not in data["segments"][3]  # present only when known
    assert data["segments"][0]["words"][1] == {"start": 1.0, "end": 2.5, "word": " there.",
                                               "probability": None, "speaker": "Alice"}
    assert data["speakers"] == [
        {"name": "Alice", "seconds": 2.5, "voice": "Alice", "confidence": 0.91},
        {"name": "Speaker 2", "seconds": 1.7, "voice": None, "confidence": None}]
    assert Transcript.from_dict(data) == t
    plain = json.loads(to_json(_transcript()))
    assert "speakers" not in plain and Transcript.from_dict(plain) == _transcript()


def test_a_segment_from_an_older_host_without_speakers_reads():
    assert Segment.from_dict({"start": 0, "end": 1, "text": "x",
                              "words": [{"start": 0, "end": 1, "word": "x",
                                         "probability": 0.5}]}).speaker is None


def test_speaking_time_adds_up_each_speakers_segments_in_order_of_appearance():
    assert speaking_time(_conversation().segments) == {"Alice": 2.5, "Speaker 2": 1.7}
    assert speaking_time(_transcript().segments) == {}


def test_rename_speaker_changes_segments_words_and_the_list_and_leaves_the_input():
    t = _conversation()
    renamed = rename_speaker(t, "Speaker 2", " Bob ")
    assert [s.speaker for s in renamed.segments] == ["Alice", "Bob", "Bob", None]
    assert renamed.speakers == [SpeakerInfo("Alice", 2.5, "Alice", 0.91),
                                SpeakerInfo("Bob", 1.7)]
    assert t == _conversation()  # a copy: the input is as it was
    assert "[Bob] Ça va" in to_srt(renamed)
    segments = rename_speaker(t.segments, "Alice", "Carol")
    assert [w.speaker for w in segments[0].words] == ["Carol", "Carol"]
    with pytest.raises(ValueError, match="needs a name"):
        rename_speaker(t, "Alice", "  ")


def test_renaming_onto_an_existing_speaker_merges_them():
    t = _conversation()
    merged = rename_speaker(t, "Speaker 2", "Alice")
    assert {s.speaker for s in merged.segments} == {"Alice", None}
    assert merged.speakers == [SpeakerInfo("Alice", 4.2, "Alice", 0.91)]  # seconds add up
    assert speaking_time(merged.segments) == {"Alice": 4.2}
    # The merged speaker keeps its own voice, or takes the other's when it had none.
    other = rename_speaker(t, "Alice", "Speaker 2")
    assert other.speakers == [SpeakerInfo("Speaker 2", 4.2, "Alice", 0.91)]
    assert rename_speaker(t, "Nobody", "Alice") == t


def test_unknown_format_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="Unknown export format 'docx'; choose one of txt, srt"):
        write(_transcript(), "docx", tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_write_names_file_after_the_audio_and_replaces_old_export(tmp_path, fmt):
    out = tmp_path / "exports" / "new"
    (out).mkdir(parents=True)
    (out / f"talk.{fmt}").write_text("old export")
    path = write(_transcript(), fmt, out)
    assert path == out / f"talk.{fmt}"
    assert path.read_text(encoding="utf-8") == render(_transcript(), fmt)
    assert sorted(p.name for p in out.iterdir()) == [f"talk.{fmt}"]


def test_write_creates_a_missing_folder(tmp_path):
    path = write(_transcript(), "txt", tmp_path / "a" / "b")
    assert path.read_text(encoding="utf-8").startswith("Hello there.")


def test_write_into_a_file_is_a_clear_error(tmp_path):
    (tmp_path / "blocker").write_text("x")
    with pytest.raises(GrymError) as err:
        write(_transcript(), "srt", tmp_path / "blocker")
    target = tmp_path / "blocker" / "talk.srt"
    assert str(err.value) == f"Could not write {target}: part of its folder path is a file."


_FILL_DISK = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from grym_desktop.errors import GrymError
    from grym_desktop.export.writers import write
    from grym_desktop.transcript import Segment, Transcript

    out = Path(sys.argv[1])
    small = Transcript("talk.wav", "m", "e", "p", "en", 1.0, [Segment(0, 1, "first export")])
    write(small, "txt", out)
    big = Transcript("talk.wav", "m", "e", "p", "en", 1.0, [Segment(0, 1, "x" * 200_000)])
    try:
        write(big, "txt", out)
    except GrymError as exc:
        print(exc)
    print(sorted(p.name for p in out.iterdir()))
    print((out / "talk.txt").read_text(), end="")
    """
)


def test_full_disk_keeps_the_previous_export_whole(tmp_path):
    if shutil.which("unshare") is None or subprocess.run(["unshare", "-rm", "true"]).returncode:
        pytest.skip("unshare -rm (user and mount namespaces) is not available here")
    out = tmp_path / "small-disk"
    out.mkdir()
    command = f'mount -t tmpfs -o size=64k tmpfs \'{out}\' && exec "$0" -c "$@"'
    result = subprocess.run(
        ["unshare", "-rm", "sh", "-c", command, sys.executable, _FILL_DISK, str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"Could not write {out / 'talk.txt'}: disk is full.",
        "['talk.txt']",
        "first export",
    ]
