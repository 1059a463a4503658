"""Live sessions on the real model host, from file-backed sources (fast: no timing involved)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import numpy as np
import psutil
import pytest
import soundfile as sf
from helpers import expected_words, speech, words

from grym_desktop.audio.decode import SAMPLE_RATE
from grym_desktop.audio.recording import recordings_dir
from grym_desktop.audio.sources import ArraySource
from grym_desktop.memory.limits import resolve_limit
from grym_desktop.orchestrator import live
from grym_desktop.orchestrator.runner import Orchestrator
from grym_desktop.store.library import Library

pytestmark = pytest.mark.integration


def error_rate(reference: list[str], hypothesis: list[str]) -> float:
    import jiwer

    return jiwer.wer(" ".join(reference), " ".join(hypothesis) or "<empty>")


@pytest.fixture
def orchestrator():
    library = Library()
    orch = Orchestrator(resolve_limit(None), library=library)
    yield orch
    orch.close()
    library.close()


class Burst:
    """A source that delivers all its audio at once: a model far behind a fast talker."""

    realtime = True
    name = "burst"
    t0 = 0.0

    def __init__(self, samples: np.ndarray):
        self.samples: np.ndarray | None = samples

    def start(self) -> None:
        pass

    def read(self) -> np.ndarray | None:
        samples, self.samples = self.samples, None
        return samples

    def stop(self) -> None:
        self.samples = None


def run(orchestrator, source, **kwargs) -> tuple[list, object]:
    events: list = []
    session = live.LiveSession(orchestrator, source, model_id="whisper-tiny.en",
                               on_event=events.append, **kwargs)
    return events, session.run()


def test_finals_follow_the_speech_with_partials_before_them(orchestrator, texts):
    events, transcript = run(orchestrator, ArraySource(speech(), "three sentences",
                                                       realtime=False))
    finals = [e for e in events if isinstance(e, live.LiveFinal)]
    partials = [e for e in events if isinstance(e, live.LivePartial)]
    assert len(finals) == 3
    said = [w for f in finals for w in words(f.segment.text)]
    assert error_rate(expected_words(texts), said) <= 0.2, said
    assert "hello" in said and "fox" in said
    # Every utterance showed grey text before its final, and nothing after it.
    for final in finals:
        before = [e for e in events[: events.index(final)]
                  if isinstance(e, live.LivePartial) and e.utterance == final.utterance]
        after = [e for e in events[events.index(final):]
                 if isinstance(e, live.LivePartial) and e.utterance == final.utterance]
        assert before and not after
    # Timestamps are session times, in order, inside the audio.
    bounds = [t for f in finals for t in (f.segment.start, f.segment.end)]
    assert bounds == sorted(bounds) and 0 < bounds[0] and bounds[-1] <= transcript.duration
    assert transcript.text == " ".join(f.segment.text.strip() for f in finals)
    assert partials[0].start == finals[0].segment.start


def test_finals_are_in_the_library_while_the_session_runs(orchestrator):
    seen_in_library: list[int] = []
    session: live.LiveSession | None = None

    def on_event(event):
        if isinstance(event, live.LiveFinal) and event.segment is not None:
            reader = Library()
            stored = reader.load_transcript(session.transcript_id)
            reader.close()
            seen_in_library.append(len(stored.segments))

    session = live.LiveSession(orchestrator, ArraySource(speech(), realtime=False),
                               model_id="whisper-tiny.en", on_event=on_event)
    transcript = session.run()
    assert seen_in_library == [1, 2, 3]
    stored = orchestrator.library.load_transcript(session.transcript_id)
    assert stored.complete and [s.text for s in stored.segments] == [
        s.text for s in transcript.segments]
    # The session's audio is kept beside its transcript, named after it, sample for sample.
    recording = Path(stored.file)
    assert recording.parent == recordings_dir() and recording.suffix == ".flac"
    assert recording.stem == session.title and session.title.startswith("Live ")
    assert sf.info(recording).frames == session.samples == len(speech())
    assert np.abs(sf.read(recording, dtype="float32")[0] - speech()).max() < 1e-3
    [summary] = orchestrator.library.list_transcripts()
    assert summary.name == session.title


def process_is_gone(pid: int) -> bool:
    """True when no process has this pid any more, or only its unreaped remains."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_a_killed_model_host_is_replaced_and_loses_no_utterance(orchestrator, texts):
    killed_pid: list[int] = []
    host_pid_at_each_final: list[int | None] = []

    def on_event(event):
        if isinstance(event, live.LiveFinal):
            host_pid_at_each_final.append(orchestrator.host_pid)
            if not killed_pid:  # after the first final, as a crash would: SIGKILL
                killed_pid.append(orchestrator.host_pid)
                os.kill(killed_pid[0], signal.SIGKILL)

    session = live.LiveSession(orchestrator, ArraySource(speech(), realtime=False),
                               model_id="whisper-tiny.en", on_event=on_event)
    transcript = session.run()

    assert len(killed_pid) == 1
    old_pid, new_pid = killed_pid[0], orchestrator.host_pid
    assert process_is_gone(old_pid)
    assert new_pid is not None and new_pid != old_pid
    # The finals after the kill were decoded by the new host.
    first, *after_the_kill = host_pid_at_each_final
    assert first == old_pid
    assert after_the_kill and all(pid == new_pid for pid in after_the_kill)
    assert len(transcript.segments) == 3
    said = [w for s in transcript.segments for w in words(s.text)]
    assert error_rate(expected_words(texts), said) <= 0.2, said


def test_when_decoding_falls_behind_partials_are_skipped_never_audio(orchestrator, texts):
    events, transcript = run(orchestrator, Burst(speech(pause=1.0, repeat=3)))
    finals = [e for e in events if isinstance(e, live.LiveFinal)]
    partials = [e for e in events if isinstance(e, live.LivePartial)]
    # All nine sentences arrived at once: each still gets its final, in order...
    said = [w for f in finals if f.segment for w in words(f.segment.text)]
    assert error_rate(expected_words(texts, 3), said) <= 0.2, said
    assert [f.utterance for f in finals] == sorted(f.utterance for f in finals)
    # ...but no partial text is spent on an utterance that had already ended.
    assert len(partials) == 0
    backlog = max(e.backlog for e in events if isinstance(e, live.LiveStatus))
    assert backlog > live.BACKLOG_WARNING
    warnings = [e.message for e in events if isinstance(e, live.LiveWarning)]
    assert len(warnings) == 1 and "behind" in warnings[0]
    assert transcript.complete


def test_stopping_keeps_what_was_said_and_ends_the_session(orchestrator):
    session: live.LiveSession | None = None

    def on_event(event):
        if isinstance(event, live.LiveFinal):
            session.stop()

    session = live.LiveSession(orchestrator, ArraySource(speech(), realtime=False),
                               model_id="whisper-tiny.en", on_event=on_event)
    transcript = session.run()
    assert 1 <= len(transcript.segments) <= 2  # the first, and the one in flight at most
    assert transcript.duration < len(speech()) / SAMPLE_RATE
    stored = orchestrator.library.load_transcript(session.transcript_id)
    assert stored.complete and len(stored.segments) == len(transcript.segments)


def test_max_seconds_stops_the_session_at_that_much_audio(orchestrator):
    _, transcript = run(orchestrator, ArraySource(speech(), realtime=False), max_seconds=5.0)
    assert transcript.duration == 5.0
    assert transcript.segments and transcript.segments[-1].end <= 5.0


def test_speech_longer_than_the_limit_is_cut_without_losing_or_repeating_words(
        orchestrator, texts):
    from grym_desktop.audio.vad import VadConfig

    audio = speech(pause=0.15)  # the numbers run on for 4 s without a pause long enough
    _, whole = run(orchestrator, ArraySource(audio, realtime=False))
    events, cut = run(orchestrator, ArraySource(audio, realtime=False),
                      vad_config=VadConfig(max_utterance=3.0))
    finals = [e for e in events if isinstance(e, live.LiveFinal)]
    assert any(e.latency is None for e in finals)  # some utterances were cut
    assert len(cut.segments) > len(whole.segments)
    starts = [s.start for s in cut.segments]
    assert starts == sorted(starts)
    reference = expected_words(texts)
    whole_words = [w for s in whole.segments for w in words(s.text)]
    cut_words = [w for s in cut.segments for w in words(s.text)]
    assert error_rate(reference, cut_words) <= error_rate(reference, whole_words) + 0.1, (
        whole_words, cut_words)
