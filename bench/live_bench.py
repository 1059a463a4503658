"""Live transcription at real time: latency of finals, cadence of partials, live vs file WER.

Plays the speech clips of ../shared/eval one after another (with a gap of silence
between them) through the live path at real time: a file-backed source paced like a
microphone, Silero VAD, the model host. Per utterance it reports the seconds from the
end of speech (the last speech frame, at the moment that audio was "spoken") to its
final text, and the intervals between partial updates while it was spoken. Live WER
is set next to the WER of transcribing each clip file with the same model.

--long plays a 10-minute session and reports the model host's and this process's
RSS over time, and the largest backlog.

    .venv/bin/python bench/live_bench.py [--model ID] [--gap 1.5] [--long] [--minutes 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import psutil
import soundfile as sf
from common import NORMALISATION, emit, normalise, speech_clips, wer

from grym_desktop.audio.decode import SAMPLE_RATE, load_audio
from grym_desktop.audio.sources import ArraySource, FileSource
from grym_desktop.memory.limits import resolve_limit
from grym_desktop.orchestrator import live
from grym_desktop.orchestrator.runner import Orchestrator, TranscribeTask
from grym_desktop.store.library import Library


def stats(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {"n": len(values), "median": round(statistics.median(values), 3),
            "p95": round(p95, 3), "max": round(ordered[-1], 3)}


def session_audio(clips: list[tuple[Path, str]], gap: float) -> tuple[np.ndarray, list[tuple]]:
    """The clips in a row with `gap` seconds of silence before each; spans in samples."""
    silence = np.zeros(int(gap * SAMPLE_RATE), np.float32)
    parts, spans, at = [], [], 0
    for path, text in clips:
        audio = load_audio(path)
        parts += [silence, audio]
        at += len(silence)
        spans.append((at, at + len(audio), text, path.name))
        at += len(audio)
    parts.append(silence)
    return np.concatenate(parts), spans


def file_texts(orchestrator: Orchestrator, model: str, clips) -> list[str]:
    texts = []
    for path, _ in clips:
        transcript = orchestrator.run(TranscribeTask(str(path), model_id=model,
                                                     allow_fallback=False))
        texts.append(transcript.text)
    return texts


class Recorder:
    """Keeps what the report needs (not every status), so a long run measures the app."""

    def __init__(self):
        self.events: list[tuple[float, object]] = []  # partials and finals
        self.max_backlog = 0.0

    def __call__(self, event) -> None:
        if isinstance(event, live.LiveStatus):
            self.max_backlog = max(self.max_backlog, event.backlog)
        elif isinstance(event, live.LivePartial):
            self.events.append((time.monotonic(), live.LivePartial(event.utterance, 0.0, "", "")))
        elif isinstance(event, live.LiveFinal):
            self.events.append((time.monotonic(), event))


def run_session(orchestrator: Orchestrator, source, model: str, sampler=None) -> dict:
    recorder = Recorder()
    session = live.LiveSession(orchestrator, source, model_id=model, on_event=recorder)
    stop = threading.Event()
    samples: list[tuple[float, int, int]] = []
    if sampler is not None:
        thread = threading.Thread(target=sampler, args=(session, stop, samples), daemon=True)
        thread.start()
    started = time.monotonic()
    transcript = session.run()
    stop.set()
    return {"events": recorder.events, "max_backlog": recorder.max_backlog,
            "transcript": transcript, "wall": time.monotonic() - started,
            "t0": source.t0, "rss": samples, "precision": session.precision}


def analyse(run: dict, spans: list[tuple]) -> dict:
    t0 = run["t0"]
    finals = [(t, e) for t, e in run["events"] if isinstance(e, live.LiveFinal)]
    partials: dict[int, list[float]] = {}
    for t, e in run["events"]:
        if isinstance(e, live.LivePartial):
            partials.setdefault(e.utterance, []).append(t)
    latencies, gaps, utterances = [], [], []
    for t, e in finals:
        latency = None
        if e.latency is not None:  # cut at the length limit: no end of speech to measure from
            latency = t - (t0 + e.speech_end)
            latencies.append(latency)
        times = partials.get(e.utterance, [])
        mine = [b - a for a, b in zip(times, times[1:], strict=False)]
        gaps += mine
        utterances.append({
            "utterance": e.utterance,
            "start": e.segment.start if e.segment else None,
            "speech_end": e.speech_end,
            "final_latency": round(latency, 3) if latency is not None else None,
            "partials": len(times),
            "longest_partial_gap": round(max(mine), 3) if mine else None,
            "text": e.segment.text.strip() if e.segment else "",
        })
    return {"latencies": latencies, "gaps": gaps, "utterances": utterances,
            "max_backlog": round(run["max_backlog"], 2)}


def live_texts(transcript, spans: list[tuple]) -> list[str]:
    """Each clip's text: the finals whose middle lies in the clip's span (with its gap)."""
    texts = [[] for _ in spans]
    for s in transcript.segments:
        middle = (s.start + s.end) / 2 * SAMPLE_RATE
        best = min(range(len(spans)), key=lambda i: 0 if spans[i][0] <= middle < spans[i][1]
                   else min(abs(middle - spans[i][0]), abs(middle - spans[i][1])))
        texts[best].append(s.text.strip())
    return [" ".join(t) for t in texts]


def rss_sampler(session, stop: threading.Event, out: list) -> None:
    me = psutil.Process()
    while not stop.wait(1.0):
        host = session.orchestrator.host.pid
        host_rss = psutil.Process(host).memory_info().rss if host else 0
        out.append((session.samples / SAMPLE_RATE, me.memory_info().rss, host_rss))


def long_session(orchestrator, model: str, clips, gap: float, minutes: float) -> dict:
    audio, _spans = session_audio(clips, gap)
    repeats = int(minutes * 60 * SAMPLE_RATE / len(audio)) + 1
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "long.wav"
        with sf.SoundFile(path, "w", SAMPLE_RATE, 1, "PCM_16") as f:
            for _ in range(repeats):
                f.write(audio)
        del audio
        source = FileSource(path, realtime=True)
        run = run_session(orchestrator, source, model, sampler=rss_sampler)
    samples = run["rss"]
    mb = 2**20
    minutes: dict[int, list[tuple[int, int]]] = {}
    for t, app, host in samples:
        minutes.setdefault(int(t // 60), []).append((app, host))
    full = [m for m in sorted(minutes) if len(minutes[m]) >= 30]

    def growth(column: int) -> dict:
        """RSS swings with each decode; per-minute medians show the trend."""
        medians = [statistics.median(v[column] for v in minutes[m]) / mb for m in full]
        warm = medians[1:] or medians  # the first minute is warm-up
        slope = np.polyfit(range(len(warm)), warm, 1)[0] if len(warm) > 1 else 0.0
        return {"median_by_minute_mb": [round(x, 1) for x in medians],
                "growth_mb": round(warm[-1] - warm[0], 1),
                "slope_mb_per_min": round(float(slope), 2),
                "peak_mb": round(max(v[column] for m in full for v in minutes[m]) / mb, 1)}

    result = analyse(run, [])
    return {
        "minutes": round(samples[-1][0] / 60, 2) if samples else 0,
        "finals": len(run["transcript"].segments),
        "model_host_rss": growth(1),
        "app_rss": growth(0),
        "max_backlog_seconds": result["max_backlog"],
        "final_latency_seconds": stats(result["latencies"]),
        "partial_interval_seconds": stats(result["gaps"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=None, help="default: the fastest installed model")
    parser.add_argument("--gap", type=float, default=1.5, help="seconds of silence between clips")
    parser.add_argument("--long", action="store_true", help="also a long session for memory")
    parser.add_argument("--long-only", action="store_true")
    parser.add_argument("--minutes", type=float, default=10.0)
    args = parser.parse_args()
    os.environ.setdefault("GRYM_DATA_DIR", tempfile.mkdtemp(prefix="grym-live-bench-"))

    model = args.model or live.fastest_installed_model()
    clips = speech_clips()
    library = Library()
    orchestrator = Orchestrator(resolve_limit(None), library=library)
    report: dict = {"model": model, "wer_normalisation": NORMALISATION, "cpu_count": os.cpu_count(),
                    "load_average_before": [round(x, 2) for x in os.getloadavg()]}
    try:
        if not args.long_only:
            file_hyps = file_texts(orchestrator, model, clips)  # also loads the model
            audio, spans = session_audio(clips, args.gap)
            run = run_session(orchestrator, ArraySource(audio, "eval clips"), model)
            result = analyse(run, spans)
            references = [text for _, _, text, _ in spans]
            hyps = live_texts(run["transcript"], spans)
            live_wer, file_wer = wer(references, hyps), wer(references, file_hyps)
            report.update({
                "precision": run["precision"],
                "clips": len(clips),
                "session_seconds": round(len(audio) / SAMPLE_RATE, 1),
                "wall_seconds": round(run["wall"], 1),
                "final_latency_seconds": stats(result["latencies"]),
                "partial_interval_seconds": stats(result["gaps"]),
                "max_backlog_seconds": result["max_backlog"],
                "wer_percent": {"live": round(live_wer, 2), "file": round(file_wer, 2),
                                "ratio": round(live_wer / file_wer, 3) if file_wer else None},
                "utterances": result["utterances"],
                "clip_texts": [{"clip": name, "reference": normalise(ref),
                                "live": normalise(h), "file": normalise(f)}
                               for (_, _, ref, name), h, f in zip(spans, hyps, file_hyps,
                                                                 strict=True)],
            })
        if args.long or args.long_only:
            report["long"] = long_session(orchestrator, model, clips, args.gap, args.minutes)
    finally:
        orchestrator.close()
        library.close()
    report["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    emit(report)


if __name__ == "__main__":
    main()
