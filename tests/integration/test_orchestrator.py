"""The orchestrator with a real model in a real host process."""

from __future__ import annotations

import os
import signal
import threading

import pytest
from helpers import DATA

from grym_desktop.errors import (
    HostDiedError,
    InputError,
    MemoryLimitExceededError,
    MemoryRefusedError,
    TaskCancelledError,
)
from grym_desktop.memory.limits import parse_size
from grym_desktop.orchestrator import events as ev
from grym_desktop.orchestrator.runner import Orchestrator, TranscribeTask
from grym_desktop.store.library import Library

pytestmark = [pytest.mark.integration, pytest.mark.sequential]


@pytest.fixture
def run_env(tmp_path):
    events: list = []
    library = Library(tmp_path / "library.sqlite3")
    orchestrator = Orchestrator(parse_size("16GiB"), library=library, on_event=events.append)
    yield orchestrator, library, events
    orchestrator.close()
    library.close()


def test_transcribes_a_file_and_saves_it(run_env, texts):
    orchestrator, library, events = run_env
    transcript = orchestrator.run(TranscribeTask(str(DATA / "hello_world.wav")))

    assert "hello world" in transcript.text.lower()
    assert "transcription" in transcript.text.lower()
    assert transcript.model == "whisper-tiny.en" and transcript.engine == "ctranslate2"
    assert transcript.language == "en"
    assert transcript.segments[0].words, "word timestamps are given"
    assert transcript.metrics.peak_rss_bytes > 0 and transcript.metrics.estimate_bytes > 0
    kinds = [type(e).__name__ for e in events]
    assert kinds[0] == "TaskStarted" and kinds[-1] == "TaskFinished"
    assert "ModelLoaded" in kinds and "SegmentAdded" in kinds and "Progress" in kinds

    [summary] = library.list_transcripts()
    assert summary.status == "complete"
    saved = library.load_transcript(summary.id)
    assert saved.text == transcript.text


def test_one_model_stays_loaded_between_files(run_env):
    orchestrator, _library, events = run_env
    orchestrator.run(TranscribeTask(str(DATA / "hello_world.wav")))
    pid = orchestrator.host_pid
    orchestrator.run(TranscribeTask(str(DATA / "sentence.ogg")))
    assert orchestrator.host_pid == pid
    assert sum(isinstance(e, ev.ModelLoaded) for e in events) == 1


def test_bad_input_fails_before_any_model_loads(run_env, tmp_path):
    orchestrator, library, events = run_env
    bad = tmp_path / "notes.wav"
    bad.write_text("this is not audio")
    with pytest.raises(InputError):
        orchestrator.run(TranscribeTask(str(bad)))
    assert orchestrator.host_pid is None
    assert isinstance(events[-1], ev.TaskFailed) and "notes.wav" in events[-1].message


def test_refused_load_reads_no_model(tmp_path):
    orchestrator = Orchestrator(parse_size("100MB"))
    try:
        with pytest.raises(MemoryRefusedError) as info:
            orchestrator.run(TranscribeTask(str(DATA / "hello_world.wav")))
        assert "whisper-tiny.en" in str(info.value) and "budget" in str(info.value)
        assert orchestrator.host_pid is None, "no host was started, no byte of the model read"
    finally:
        orchestrator.close()


def _run_in_thread(orchestrator, task):
    outcome: dict = {}

    def target():
        try:
            outcome["transcript"] = orchestrator.run(task)
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            outcome["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    return thread, outcome


def _wait_for_segment(events, timeout=120.0):
    done = threading.Event()

    def check():
        return any(isinstance(e, ev.SegmentAdded) for e in events)

    for _ in range(int(timeout * 10)):
        if check():
            return
        done.wait(0.1)
    raise AssertionError("no segment arrived")


def test_killed_host_keeps_segments_and_next_task_runs_on_fresh_host(run_env, long_speech):
    orchestrator, library, events = run_env
    thread, outcome = _run_in_thread(orchestrator, TranscribeTask(str(long_speech)))
    _wait_for_segment(events)
    first_pid = orchestrator.host_pid
    os.kill(first_pid, signal.SIGKILL)
    thread.join(120)

    assert isinstance(outcome["error"], HostDiedError)
    failed = [e for e in events if isinstance(e, ev.TaskFailed)]
    assert failed and "model host stopped" in failed[0].message
    [summary] = library.list_transcripts()
    assert summary.status == "failed" and summary.segment_count >= 1
    assert library.load_transcript(summary.id).segments[0].text.strip()

    transcript = orchestrator.run(TranscribeTask(str(DATA / "hello_world.wav")))
    assert "hello world" in transcript.text.lower()
    assert orchestrator.host_pid != first_pid
    assert any(isinstance(e, ev.HostRestarted) for e in events)


def test_cancel_kills_the_host_mid_file(run_env, long_speech):
    orchestrator, library, events = run_env
    thread, outcome = _run_in_thread(orchestrator, TranscribeTask(str(long_speech)))
    _wait_for_segment(events)
    orchestrator.cancel()
    thread.join(120)
    assert isinstance(outcome["error"], TaskCancelledError)
    assert library.list_transcripts()[0].status == "cancelled"


def test_watchdog_kills_a_host_above_the_limit(run_env, long_speech):
    orchestrator, _library, events = run_env
    thread, outcome = _run_in_thread(orchestrator, TranscribeTask(str(long_speech)))
    _wait_for_segment(events)
    orchestrator.watchdog.set_limit(parse_size("100MiB"))
    thread.join(120)
    error = outcome["error"]
    assert isinstance(error, MemoryLimitExceededError)
    assert "limit" in str(error) and "stopped" in str(error)


def test_queue_runs_tasks_in_order_and_continues_after_a_failure(run_env, tmp_path):
    orchestrator, _library, events = run_env
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    ids = [
        orchestrator.submit(TranscribeTask(str(empty))),
        orchestrator.submit(TranscribeTask(str(DATA / "hello_world.wav"))),
    ]
    assert isinstance(orchestrator.run_next(), InputError), "the empty file fails"
    assert "hello" in orchestrator.run_next().text.lower()
    assert orchestrator.run_next() is None, "the queue is empty"
    started = [e.task_id for e in events if isinstance(e, ev.TaskStarted)]
    assert started == ids
