"""The memory governor with a real model: planning, forced cleanup, chunking, fallback."""

from __future__ import annotations

import re
import subprocess

import pytest

from grym_desktop.memory.limits import parse_size
from grym_desktop.memory.state import read_state
from grym_desktop.models.catalog import get_spec
from grym_desktop.models.footprint import estimate_for
from grym_desktop.orchestrator import events as ev
from grym_desktop.orchestrator.planning import MIN_WINDOW_SECONDS
from grym_desktop.orchestrator.runner import HOST_BASELINE_BYTES, Orchestrator, TranscribeTask
from tests.conftest import DATA

pytestmark = [pytest.mark.integration, pytest.mark.memory, pytest.mark.sequential]

HELLO = str(DATA / "hello_world.wav")


def app_used_now() -> int:
    return read_state(parse_size("16GiB")).gui_rss + HOST_BASELINE_BYTES


def test_tight_limit_loads_int8_and_says_why():
    float32 = estimate_for(get_spec("whisper-tiny.en"), "float32").total_bytes
    # float32 alone fits the budget, but would bring memory use to about 60 % of the limit.
    limit = int((app_used_now() + float32) / 0.6)
    events: list = []
    orchestrator = Orchestrator(limit, on_event=events.append)
    try:
        transcript = orchestrator.run(TranscribeTask(HELLO))
    finally:
        orchestrator.close()
    assert transcript.precision == "int8"
    [made] = [e for e in events if isinstance(e, ev.PlanMade)]
    assert made.precision == "int8"
    expected = r"int8 instead of float32: float32 would bring memory use to \d+% of the limit"
    assert re.search(expected, made.reasons[0])
    assert "hello world" in transcript.text.lower()


def test_switching_models_unloads_and_memory_comes_back():
    events: list = []
    orchestrator = Orchestrator(parse_size("16GiB"), on_event=events.append)
    try:
        orchestrator.run(TranscribeTask(HELLO, precision="float32"))
        orchestrator.run(TranscribeTask(HELLO, precision="int8"))
        orchestrator.run(TranscribeTask(HELLO, precision="float32"))
    finally:
        orchestrator.close()
    unloads = [e for e in events if isinstance(e, ev.ModelUnloaded)]
    assert len(unloads) == 2
    # float32 tiny.en holds ~150 MiB of weights: unloading gives most of it back.
    assert unloads[0].rss_before - unloads[0].rss_after > 100 * 1024**2
    loads = [e for e in events if isinstance(e, ev.ModelLoaded)]
    assert [e.precision for e in loads] == ["float32", "int8", "float32"]


@pytest.fixture(scope="module")
def thirty_minutes(tmp_path_factory):
    out = tmp_path_factory.mktemp("thirty") / "thirty_minutes.wav"
    clip_seconds = float(subprocess.check_output(["soxi", "-D", HELLO]))
    repeats = int(30 * 60 / clip_seconds)
    subprocess.run(["sox", HELLO, str(out), "repeat", str(repeats)], check=True)
    return out, repeats + 1


@pytest.mark.timeout(1800)
def test_thirty_minute_file_under_a_chunking_limit_is_complete(thirty_minutes):
    path, spoken = thirty_minutes
    int8 = estimate_for(get_spec("whisper-tiny.en"), "int8").total_bytes
    # Room for int8 and little more: windows shrink to the minimum.
    limit = int((app_used_now() + int8 + 20 * 1024**2) / 0.9)
    events: list = []
    orchestrator = Orchestrator(limit, on_event=events.append)
    orchestrator.watchdog.set_limit(parse_size("16GiB"))
    try:
        # Greedy decoding without word timings keeps this 30-minute run to a few minutes.
        options = {"beam_size": 1, "word_timestamps": False}
        transcript = orchestrator.run(TranscribeTask(str(path), precision="int8", options=options))
    finally:
        orchestrator.close()
    assert transcript.metrics.window_seconds == MIN_WINDOW_SECONDS
    starts = [s.start for s in transcript.segments]
    assert starts == sorted(starts), "timestamps only go forward"
    ends = [s.end for s in transcript.segments]
    gaps = [b - a for a, b in zip(ends, starts[1:], strict=False)]
    assert max(gaps) < 10.0, "no missing window"
    assert transcript.segments[-1].end > transcript.duration - 10.0
    said = transcript.text.lower().count("hello world")
    assert said >= spoken * 0.9, f"{said} of {spoken} repetitions transcribed"
