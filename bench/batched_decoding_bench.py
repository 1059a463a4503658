"""faster-whisper's batched decoding against sequential decoding, by file length, in one run.

Issue 17 asks to use batched decoding "for long files where it is faster on the machine
(measure it)". This bench builds files of several lengths from the ../shared/eval speech
clips (a short one under 30 s, then about 1, 2, 5 and 20 minutes: the clips in a random
order seeded by the length, pass after pass, with 0.4-1.2 s of silence between them; the
reference is their manifest transcripts in the same order) and transcribes each through
the orchestrator and its model host, as the app does, with whisper-tiny.en and the
engine's threads = 2 (`Orchestrator(..., cpu_threads=2)`):

- sequential: DecodeOptions(batched=False), the app's default path;
- batched-4 / batched-8 / batched-16: DecodeOptions(batched=True, batch_size=N), faster-whisper's
  BatchedInferencePipeline on each of the planner's decoding windows (120 s at most);
- with --diagnostics, also sequential-no-previous-text (condition_on_previous_text=False,
  which the batched pipeline never uses: it tells its gain apart from decoding in
  parallel) and batched-16 with the planner's longest window raised to --wide-window
  seconds (600) for that variant only, in this process (is the 120 s window, not the
  batch size, what limits a batch?).

Each variant has its own orchestrator (own model host, own watchdog), loaded and warmed
up once before anything is timed; the files are then run shortest first, and for each
file every variant in turn (the order rotated between repeats), so the machine's noise
falls on all of them alike. Per file and variant: wall seconds of the transcribe call
(the model is loaded already), real-time factor, the host's CPU seconds, the host's peak
RSS (the watchdog's, sampled every 50 ms) and that peak over the host's RSS with the model
just loaded, and the word error rate against the reference with its substitutions,
deletions and insertions (grym_desktop.scoring.wer: the project's normaliser). Then the
ratios batched / sequential. Prints one JSON object.

    .venv/bin/python bench/batched_decoding_bench.py [--quick] [--precisions int8,float32]
        [--minutes 1,2,5,20] [--repeats-up-to-2-min 3] [--float32-up-to-minutes 20]
        [--diagnostics] [--wide-window 600]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
if "GRYM_DATA_DIR" not in os.environ:  # (the spawned model hosts import this module again)
    os.environ["GRYM_DATA_DIR"] = tempfile.mkdtemp(prefix="grym-batched-bench-")
os.environ.setdefault("GRYM_CONFIG_DIR", os.path.join(os.environ["GRYM_DATA_DIR"], "config"))

import jiwer  # noqa: E402
import numpy as np  # noqa: E402
import psutil  # noqa: E402
import soundfile as sf  # noqa: E402

from grym_desktop.memory.limits import parse_size  # noqa: E402
from grym_desktop.options import DecodeOptions  # noqa: E402
from grym_desktop.orchestrator import planning  # noqa: E402
from grym_desktop.orchestrator.runner import Orchestrator, TranscribeTask  # noqa: E402
from grym_desktop.scoring.wer import NORMALISATION, normalise, word_error_rate  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval"
MANIFEST = EVAL / "manifest.tsv"
MODEL = "whisper-tiny.en"
RATE = 16000
THREADS = 2
LIMIT = "16GiB"
MIB = 2**20
SHORT_SECONDS = 28.0  # the short file stays under one 30 s Whisper window
PAUSE = (0.4, 1.2)  # seconds of silence between two clips


# -- the files -------------------------------------------------------------------------------

def speech_clips() -> list[tuple[Path, str]]:
    rows = [line.split("\t") for line in MANIFEST.read_text().splitlines()]
    head = rows[0]
    at = {name: head.index(name) for name in ("file", "transcript", "type")}
    return [(EVAL / "clips" / r[at["file"]], r[at["transcript"]]) for r in rows[1:]
            if len(r) == len(head) and r[at["type"]].strip() == "speech"]


def load_clips(folder: Path) -> list[tuple[np.ndarray, str]]:
    """Every speech clip as 16 kHz mono float32 (through sox), with its transcript."""
    clips = []
    for n, (clip, text) in enumerate(speech_clips()):
        target = folder / f"clip{n:02d}.wav"
        raw = (["-t", "raw", "-r", "16000", "-e", "signed", "-b", "16", "-c", "1"]
               if clip.suffix == ".raw" else [])  # headerless PCM: say what it holds
        subprocess.run(["sox", *raw, str(clip), "-r", str(RATE), "-c", "1", "-b", "16",
                        str(target)], check=True)
        samples, rate = sf.read(target, dtype="float32")
        assert rate == RATE, (clip, rate)
        clips.append((samples, text))
    return clips


def build(clips: list[tuple[np.ndarray, str]], seconds: float, seed: int,
          shuffle: bool = True) -> tuple[np.ndarray, str]:
    """Clips (in seeded random order, pass after pass) with pauses, up to `seconds`."""
    rng = random.Random(seed)
    pieces: list[np.ndarray] = []
    texts: list[str] = []
    length = 0
    full = False
    while not full:  # a clip that no longer fits ends the file after this pass
        order = list(range(len(clips)))
        if shuffle:
            rng.shuffle(order)
        for i in order:
            samples, text = clips[i]
            pause = np.zeros(int(rng.uniform(*PAUSE) * RATE), np.float32)
            if (length + len(samples) + len(pause)) / RATE > seconds:
                full = True
                continue
            pieces += [samples, pause]
            texts.append(text)
            length += len(samples) + len(pause)
    return np.concatenate(pieces), " ".join(texts)


def make_files(folder: Path, minutes: list[float]) -> list[dict]:
    clips = load_clips(folder)
    files = []
    plan = [("short", SHORT_SECONDS, False)] + [
        (f"{m:g}min", 60.0 * m, True) for m in minutes]
    for name, seconds, shuffle in plan:
        # The seed is the length, so a file of a given length is the same in every run.
        samples, reference = build(clips, seconds, int(seconds), shuffle)
        path = folder / f"{name}.wav"
        sf.write(path, samples, RATE, subtype="PCM_16")
        files.append({"name": name, "path": str(path), "seconds": round(len(samples) / RATE, 2),
                      "reference": reference, "reference_words": len(normalise(reference).split())})
    return files


# -- the variants ----------------------------------------------------------------------------

def variants(batch_sizes: list[int], diagnostics: bool, wide_window: float) -> dict[str, dict]:
    out: dict[str, dict] = {"sequential": {"options": DecodeOptions(batched=False)}}
    for n in batch_sizes:
        out[f"batched-{n}"] = {"options": DecodeOptions(batched=True, batch_size=n)}
    if diagnostics:
        # The batched pipeline decodes each piece on its own, with no previous text:
        # sequential decoding without it tells that apart from decoding in parallel.
        out["sequential-no-previous-text"] = {
            "options": DecodeOptions(batched=False, condition_on_previous_text=False)}
        # Whether the planner's 120 s window, not the batch size, is what limits a batch.
        out[f"batched-16-window-{wide_window:g}s"] = {
            "options": DecodeOptions(batched=True, batch_size=16), "window": wide_window}
    return out


@contextlib.contextmanager
def longest_window(seconds: float | None):
    """The planner's longest decoding window, in this process, while inside."""
    if seconds is None:
        yield
        return
    saved = planning.MAX_WINDOW_SECONDS
    planning.MAX_WINDOW_SECONDS = seconds
    try:
        yield
    finally:
        planning.MAX_WINDOW_SECONDS = saved


def host_cpu_seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def start(variant: dict, precision: str, warm_up: str) -> dict:
    """A loaded model host for the variant, warmed up on a short file (VAD, pipeline, caches)."""
    orchestrator = Orchestrator(parse_size(LIMIT), cpu_threads=THREADS)
    loaded = orchestrator.ensure_model(MODEL, precision)
    with longest_window(variant.get("window")):
        orchestrator.run(TranscribeTask(warm_up, model_id=MODEL, precision=precision,
                                        options=variant["options"], allow_fallback=False))
    idle = psutil.Process(orchestrator.host_pid).memory_info().rss
    return {"orchestrator": orchestrator, "load_seconds": round(loaded.load_seconds, 2),
            "rss_loaded": loaded.rss_after, "rss_idle_after_warm_up": idle}


def run_once(host: dict, variant: dict, precision: str, path: str) -> dict:
    orchestrator: Orchestrator = host["orchestrator"]
    pid = orchestrator.host_pid
    cpu_before = host_cpu_seconds(pid)
    started = time.perf_counter()
    with longest_window(variant.get("window")):
        transcript = orchestrator.run(TranscribeTask(
            path, model_id=MODEL, precision=precision, options=variant["options"],
            allow_fallback=False))
    wall = time.perf_counter() - started
    assert orchestrator.host_pid == pid, "the model host was restarted during the run"
    cpu = host_cpu_seconds(pid) - cpu_before
    return {"wall": wall, "transcribe_seconds": transcript.metrics.transcribe_seconds,
            "cpu": cpu, "peak": transcript.metrics.peak_rss_bytes,
            "window": transcript.metrics.window_seconds, "text": transcript.text,
            "segments": len(transcript.segments), "precision": transcript.precision}


def word_errors(reference: str, hypothesis: str) -> dict[str, int]:
    """Substituted, deleted (reference words not heard) and inserted words, normalised."""
    ref, hyp = normalise(reference), normalise(hypothesis)
    if not ref or not hyp:
        return {"substitutions": 0, "deletions": len(ref.split()),
                "insertions": len(hyp.split())}
    counts = jiwer.process_words(ref, hyp)
    return {"substitutions": counts.substitutions, "deletions": counts.deletions,
            "insertions": counts.insertions}


def summarise(runs: list[dict], file: dict, host: dict) -> dict:
    seconds = statistics.median(r["transcribe_seconds"] for r in runs)
    peak = max(r["peak"] for r in runs)
    texts = {r["text"] for r in runs}
    text = runs[0]["text"]
    return {
        "transcribe_seconds": round(seconds, 2),
        "transcribe_seconds_all": [round(r["transcribe_seconds"], 2) for r in runs],
        "rtf": round(seconds / file["seconds"], 4),
        "audio_seconds_per_wall_second": round(file["seconds"] / seconds, 1),
        "host_cpu_seconds": round(statistics.median(r["cpu"] for r in runs), 2),
        "cores_busy": round(statistics.median(r["cpu"] / r["transcribe_seconds"]
                                              for r in runs), 2),
        "peak_host_rss_mib": round(peak / MIB, 1),
        "peak_over_loaded_mib": round((peak - host["rss_loaded"]) / MIB, 1),
        "wer_percent": round(100 * word_error_rate(file["reference"], text), 2),
        "word_errors": word_errors(file["reference"], text),
        "words_out": len(normalise(text).split()),
        "segments": runs[0]["segments"],
        "window_seconds": runs[0]["window"],
        "same_text_every_run": len(texts) == 1,
    }


def ratios(result: dict, base: dict) -> dict:
    return {
        "wall_batched_over_sequential": round(result["transcribe_seconds"]
                                              / base["transcribe_seconds"], 3),
        "speed_up": round(base["transcribe_seconds"] / result["transcribe_seconds"], 2),
        "cpu_batched_over_sequential": round(result["host_cpu_seconds"]
                                             / base["host_cpu_seconds"], 3),
        "peak_rss_batched_over_sequential": round(result["peak_host_rss_mib"]
                                                  / base["peak_host_rss_mib"], 3),
        "peak_rss_extra_mib": round(result["peak_host_rss_mib"] - base["peak_host_rss_mib"], 1),
        "wer_points_batched_minus_sequential": round(result["wer_percent"]
                                                     - base["wer_percent"], 2),
    }


def bench_precision(precision: str, files: list[dict], the_variants: dict[str, dict],
                    repeats_short: int, warm_up: str) -> dict:
    hosts: dict[str, dict] = {}
    try:
        for name, variant in the_variants.items():
            print(f"[{precision}] loading and warming up {name}", file=sys.stderr, flush=True)
            hosts[name] = start(variant, precision, warm_up)
        per_file: dict[str, dict] = {}
        for file in files:
            repeats = repeats_short if file["seconds"] <= 125 else 1
            runs: dict[str, list[dict]] = {name: [] for name in the_variants}
            names = list(the_variants)
            for r in range(repeats):
                order = names[r % len(names):] + names[:r % len(names)]
                for name in order:
                    one = run_once(hosts[name], the_variants[name], precision, file["path"])
                    runs[name].append(one)
                    print(f"[{precision}] {file['name']} {name} run {r + 1}/{repeats}: "
                          f"{one['transcribe_seconds']:.1f} s, peak {one['peak'] / MIB:.0f} MiB",
                          file=sys.stderr, flush=True)
            results = {name: summarise(runs[name], file, hosts[name]) for name in names}
            base = results["sequential"]
            per_file[file["name"]] = {
                "audio_seconds": file["seconds"], "repeats": repeats, "variants": results,
                "ratios_to_sequential": {name: ratios(res, base) for name, res in results.items()
                                         if name != "sequential"},
            }
        return {
            "hosts": {name: {"load_seconds": h["load_seconds"],
                             "rss_loaded_mib": round(h["rss_loaded"] / MIB, 1),
                             "rss_idle_after_warm_up_mib": round(h["rss_idle_after_warm_up"]
                                                                 / MIB, 1)}
                      for name, h in hosts.items()},
            "files": per_file,
        }
    finally:
        for host in hosts.values():
            host["orchestrator"].close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="a small run: the short file and a 1-minute one, int8, once each")
    parser.add_argument("--precisions", default="int8,float32")
    parser.add_argument("--minutes", default="1,2,5,20",
                        help="lengths of the long files, besides the short one")
    parser.add_argument("--batch-sizes", default="4,8,16")
    parser.add_argument("--repeats-up-to-2-min", type=int, default=3,
                        help="runs of each variant on files up to 2 minutes (median kept)")
    parser.add_argument("--float32-up-to-minutes", type=float, default=20.0,
                        help="float32 only on files up to this length")
    parser.add_argument("--diagnostics", action="store_true",
                        help="also sequential without previous text, and batched-16 with the "
                             "planner's longest window at --wide-window seconds")
    parser.add_argument("--wide-window", type=float, default=600.0)
    args = parser.parse_args()
    if not MANIFEST.exists():
        sys.exit(f"the eval clips are not at {EVAL}")
    precisions = args.precisions.split(",")
    minutes = [float(m) for m in args.minutes.split(",") if m]
    repeats_short = args.repeats_up_to_2_min
    if args.quick:
        precisions, minutes, repeats_short = ["int8"], [1.0], 1
    the_variants = variants([int(n) for n in args.batch_sizes.split(",")], args.diagnostics,
                            args.wide_window)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="grym-batched-files-") as tmp:
        files = make_files(Path(tmp), minutes)
        warm_up = str(Path(tmp) / "clip00.wav")
        by_precision = {}
        for precision in precisions:
            chosen = [f for f in files
                      if precision != "float32"
                      or f["seconds"] <= 60 * args.float32_up_to_minutes + 30]
            by_precision[precision] = bench_precision(precision, chosen, the_variants,
                                                      repeats_short, warm_up)
    report = {
        "bench": "batched_decoding",
        "cpu_count": os.cpu_count(),
        "engine_cpu_threads": THREADS,
        "model": MODEL,
        "memory_limit": LIMIT,
        "quick": args.quick,
        "files": [{k: f[k] for k in ("name", "seconds", "reference_words")} for f in files],
        "file_recipe": ("speech clips of ../shared/eval in seeded random order, pass after pass, "
                        f"{PAUSE[0]}-{PAUSE[1]} s of silence between clips; 'short' is the "
                        "clips in manifest order up to 28 s"),
        "variants": {name: {k: v for k, v in v["options"].to_dict().items()
                            if k in ("batched", "batch_size")}
                     | ({"longest_window_seconds": v["window"]} if "window" in v else {})
                     for name, v in the_variants.items()},
        "decode_options": "DecodeOptions defaults otherwise (beam 5, word timestamps, "
                          "speech filter on, condition on previous text)",
        "timing": "transcribe call with the model loaded (orchestrator metrics); median of "
                  "the repeats; peak RSS is the model host's (watchdog, 50 ms), max of repeats",
        "wer_normalisation": NORMALISATION,
        "precisions": by_precision,
        "bench_wall_seconds": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
