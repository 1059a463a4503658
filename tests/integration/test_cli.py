"""The command line as a user runs it: a real process, real files, exit codes and output."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import wave
from pathlib import Path

import pytest
from helpers import DATA

pytestmark = pytest.mark.integration


def grym(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "grym_desktop", *args],
        capture_output=True, text=True, timeout=timeout,
    )


def test_transcribe_json_has_the_contract_fields():
    result = grym("transcribe", str(DATA / "hello_world.wav"), "--format", "json")
    assert result.returncode == 0, result.stderr
    [line] = result.stdout.strip().splitlines()
    obj = json.loads(line)
    assert obj["file"].endswith("hello_world.wav")
    assert (obj["model"], obj["engine"]) == ("whisper-tiny.en", "ctranslate2")
    assert obj["language"] == "en"
    assert obj["precision"] in ("float32", "int8")
    assert obj["duration"] == pytest.approx(3.2, abs=1.0)
    assert obj["fallback"] is None
    text = " ".join(s["text"] for s in obj["segments"]).lower()
    assert "hello world" in text
    word = obj["segments"][0]["words"][0]
    assert set(word) >= {"start", "end", "word"}
    assert set(obj["metrics"]) >= {
        "load_seconds", "transcribe_seconds", "rtf", "peak_rss_bytes", "estimate_bytes"
    }
    assert obj["metrics"]["peak_rss_bytes"] > 0


def test_transcribe_writes_files_in_the_output_folder(tmp_path):
    files = [str(DATA / "hello_world.wav"), str(DATA / "sentence.mp3")]
    result = grym("transcribe", *files, "--format", "srt", "--output", str(tmp_path))
    assert result.returncode == 0, result.stderr
    srt = (tmp_path / "sentence.srt").read_text()
    assert "-->" in srt and "fox" in srt.lower()
    assert (tmp_path / "hello_world.srt").exists()


def test_memory_limit_too_small_is_refused_with_numbers():
    result = grym("transcribe", "--memory-limit", "100MB", str(DATA / "hello_world.wav"))
    assert result.returncode == 4
    assert result.stdout == ""
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1
    assert "whisper-tiny.en" in message and "needs about" in message and "budget" in message


def _zero_length_wav(path: Path) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)


def _video_without_audio(path: Path) -> None:
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
         "color=c=black:s=32x32:r=5", "-t", "1", "-c:v", "libx264", "-pix_fmt", "yuv420p",
         str(path)],
        check=True,
    )


BAD_INPUTS = {
    "missing.wav": None,
    "empty.wav": lambda p: p.write_bytes(b""),
    "notes.wav": lambda p: p.write_text("these are meeting notes, not audio\n" * 20),
    "truncated.wav": lambda p: p.write_bytes((DATA / "hello_world.wav").read_bytes()[:30]),
    "silence_zero.wav": _zero_length_wav,
    "picture.mp4": _video_without_audio,
    # random bytes: libmpg123 used to print its own notes before the sentence
    "noise.mp3": lambda p: p.write_bytes(random.Random(3).randbytes(20_000)),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_exits_3_with_one_sentence(tmp_path, name):
    path = tmp_path / name
    make = BAD_INPUTS[name]
    if make is not None:
        make(path)
    result = grym("transcribe", str(path))
    assert result.returncode == 3, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and name in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_one_bad_file_does_not_stop_the_others(tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"\x00" * 10)
    result = grym("transcribe", str(bad), str(DATA / "hello_world.wav"))
    assert result.returncode == 3
    assert "hello world" in result.stdout.lower()


def test_unknown_model_exits_5():
    wav = str(DATA / "hello_world.wav")
    result = grym("transcribe", "--model", "whisper-huge-nonexistent", wav)
    assert result.returncode == 5
    assert "whisper-huge-nonexistent" in result.stderr


def test_memory_json_reports_budget_and_pressure():
    result = grym("memory", "--json", "--memory-limit", "8GiB")
    assert result.returncode == 0, result.stderr
    state = json.loads(result.stdout)
    assert state["limit"] == 8 * 1024**3
    assert 0 < state["budget"] < state["limit"]
    assert state["level"] in ("normal", "elevated", "high", "warning", "critical")


def test_bad_memory_limit_is_a_usage_error():
    result = grym("memory", "--memory-limit", "lots")
    assert result.returncode == 2
    assert "lots" in result.stderr


@pytest.mark.parametrize("args, words", [
    (["--beam-size", "0"], "beam size"),
    (["--beam-size", "-1"], "beam size"),
    (["--precision", "bogus"], "cannot run in bogus"),
])
def test_usage_mistakes_exit_2_with_one_sentence(args, words):
    result = grym("transcribe", *args, str(DATA / "hello_world.wav"))
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert words in line and result.stdout == ""


def test_an_output_that_is_a_file_or_cannot_be_made_exits_2_before_any_work(tmp_path):
    a_file = tmp_path / "taken"
    a_file.write_text("mine")
    for output, words in [(a_file, "is a file"), (a_file / "sub", "cannot be created")]:
        result = grym("transcribe", "--output", str(output), str(DATA / "hello_world.wav"))
        assert result.returncode == 2, result.stderr
        [line] = result.stderr.strip().splitlines()
        assert words in line
    assert a_file.read_text() == "mine"


def test_a_file_whose_tag_breaks_the_decoder_does_not_stop_the_others(tmp_path):
    def syncsafe(n: int) -> bytes:
        return bytes([(n >> 21) & 0x7F, (n >> 14) & 0x7F, (n >> 7) & 0x7F, n & 0x7F])

    body = b"\x03\xff\xfe\xc3\x28"  # a UTF-8 title that is not UTF-8
    frame = b"TIT2" + syncsafe(len(body)) + b"\x00\x00" + body
    bad = tmp_path / "tagged.mp3"
    bad.write_bytes(b"ID3\x04\x00\x00" + syncsafe(len(frame)) + frame
                    + (DATA / "sentence.mp3").read_bytes())
    result = grym("transcribe", str(bad), str(DATA / "hello_world.wav"))
    assert result.returncode == 3
    assert "tagged.mp3 is damaged" in result.stderr
    assert "hello world" in result.stdout.lower()
