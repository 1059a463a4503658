"""`grym-desktop batch` on an archive made from the eval clips: 40 files in nested folders, 3 of
them corrupt; killed half way and resumed; a new model redoes everything; a worker count the
memory budget cannot hold is refused with its numbers, and auto says why it chose one."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from grym_desktop.memory.state import HOST_BASELINE_BYTES
from grym_desktop.models.catalog import get_spec
from grym_desktop.models.footprint import estimate_for

pytestmark = pytest.mark.integration

CLIPS = Path(__file__).resolve().parents[3] / "shared" / "eval" / "clips"
SHORT = ["pocketsphinx__cards_001.wav", "pocketsphinx__cards_002.wav",
         "pocketsphinx__cards_003.wav", "pocketsphinx__cards_004.wav",
         "speechbrain__ASR_spk2_snt2.wav", "speechrecognition__english.wav"]


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    """37 distinct short recordings (each clip with its own length of silence after it) in a
    nested tree, and 3 corrupt files among them."""
    if not CLIPS.is_dir():
        pytest.skip("the eval clips (../shared/eval) are not beside the repository")
    root = tmp_path_factory.mktemp("archive")
    for i in range(37):
        folder = root / f"year{i % 3}" / (f"month{i % 4}" if i % 2 else "")
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(["sox", str(CLIPS / SHORT[i % len(SHORT)]), str(folder / f"talk{i:02}.wav"),
                        "pad", "0", f"{0.01 * (i + 1):.2f}"], check=True)
    (root / "year0" / "truncated.wav").write_bytes((CLIPS / SHORT[0]).read_bytes()[:44])
    (root / "year1" / "noise.mp3").write_bytes(b"\xff\xfb" + bytes(range(256)) * 8)
    (root / "year2" / "month1" / "empty.flac").write_bytes(b"")
    return root


def batch(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "grym_desktop", "batch", *args, "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def events(process: subprocess.Popen) -> list[dict]:
    out, _err = process.communicate(timeout=900)
    return [json.loads(line) for line in out.splitlines()]


def outputs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.txt"))


def test_a_killed_batch_resumes_and_a_new_model_redoes_everything(archive, tmp_path):
    out = tmp_path / "out"
    first = batch(str(archive), "--output", str(out), "--workers", "1")
    finished = 0
    for line in first.stdout:
        event = json.loads(line)
        if event["event"] == "file" and event["status"] == "done":
            finished += 1
            if finished == 15:
                first.send_signal(signal.SIGKILL)
                break
    first.wait(timeout=60)
    assert first.returncode == -signal.SIGKILL
    done_before = outputs(out)
    assert len(done_before) >= 15
    assert all(p.read_text().strip() for p in done_before)  # whole files only

    second = batch(str(archive), "--output", str(out), "--workers", "2")
    seen = events(second)
    assert second.returncode == 3
    start, summary = seen[0], seen[-1]
    assert start["event"] == "start" and start["skipped"] == len(done_before)
    assert start["todo"] == 40 - len(done_before)
    transcribed = [e for e in seen if e["event"] == "file" and e["status"] == "done"]
    assert len(transcribed) == 37 - len(done_before)  # nothing twice
    assert summary["done"] == len(transcribed) and len(summary["failed"]) == 3
    for failure in summary["failed"]:
        assert failure["error"].endswith(".") and Path(failure["file"]).name in failure["error"]
    assert len(outputs(out)) == 37
    assert not list(out.rglob("*.tmp"))
    assert (out / "year0" / "talk00.txt").read_text().strip()  # the tree is kept

    third = batch(str(archive), "--output", str(out), "--model", "whisper-base")
    for line in third.stdout:
        event = json.loads(line)
        assert event["event"] == "start"
        assert event["todo"] == 40 and event["skipped"] == 0  # another model: all again
        third.send_signal(signal.SIGKILL)
        break
    third.wait(timeout=60)


def test_workers_that_do_not_fit_are_refused_and_auto_says_why(archive, tmp_path):
    spec = get_spec("whisper-tiny.en")
    each = min(estimate_for(spec, p).total_bytes for p in spec.precisions) + HOST_BASELINE_BYTES
    # The budget (nine tenths of the limit, less the command's own ~100 MiB) holds one host.
    limit = str(int((1.5 * each + 100 * 2**20) / 0.9))
    refused = subprocess.run(
        [sys.executable, "-m", "grym_desktop", "batch", str(archive / "year0"), "--output",
         str(tmp_path / "a"), "--workers", "2", "--memory-limit", limit],
        capture_output=True, text=True, timeout=300)
    assert refused.returncode == 4, refused.stderr
    assert "2 workers need about" in refused.stderr and "but the budget is" in refused.stderr
    assert "1 fits" in refused.stderr
    auto = batch(str(archive / "year0" / "month1"), "--output", str(tmp_path / "b"),
                 "--workers", "auto", "--memory-limit", limit)
    seen = events(auto)
    assert auto.returncode == 0
    assert seen[0]["workers"] == 1 and "holds 1 host" in seen[0]["why"]
