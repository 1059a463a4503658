"""A/B comparison on every speech clip of ../shared/eval, through the orchestrator and host.

Two comparisons, as `grym-desktop compare` runs them: the bundled tiny.en in CTranslate2
against the same weights converted for transformers, and tiny.en in int8 against float32.
For each: per-model WER (one normalisation, stated), RTF, load time, host peak RSS, the paired
differences with bootstrap 95 % intervals, and who won per file. The comparison's host peak
(profiled) is set beside the peak of the larger model run alone on the same clips, in the same
run, to show the comparison never holds both models. Prints JSON.

    .venv/bin/python bench/compare_bench.py [--clips N]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GRYM_DATA_DIR", tempfile.mkdtemp(prefix="grym-compare-bench-"))
os.environ.setdefault("GRYM_CONFIG_DIR", os.path.join(os.environ["GRYM_DATA_DIR"], "config"))

from grym_desktop.memory.limits import parse_size  # noqa: E402
from grym_desktop.memory.profiler import Profiler  # noqa: E402
from grym_desktop.orchestrator.compare import (  # noqa: E402
    ModelChoice,
    new_comparison,
    resume_or_save,
    run_comparison,
)
from grym_desktop.orchestrator.runner import (  # noqa: E402
    Orchestrator,
    TranscribeTask,
    open_orchestrator,
)
from grym_desktop.scoring.references import load_references  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval"
MANIFEST = EVAL / "manifest.tsv"
PAIRS = [("whisper-tiny.en", "whisper-tiny.en-transformers"),
         ("whisper-tiny.en:int8", "whisper-tiny.en:float32")]
MIB = 2**20


def speech_files(limit: int | None) -> list[str]:
    rows = [line.split("\t") for line in MANIFEST.read_text().splitlines()[1:] if line.strip()]
    files = [str(EVAL / "clips" / r[0]) for r in rows if r[-1].strip() == "speech"]
    return files[:limit] if limit else files


def peak_alone(choice: ModelChoice, files: list[str]) -> int:
    """The host's peak RSS running the files with this model alone, profiled."""
    orchestrator = Orchestrator(parse_size("16GiB"))
    profiler = Profiler(lambda: orchestrator.host_pid, interval=0.02)
    profiler.start()
    try:
        for file in files:
            orchestrator.run(TranscribeTask(file, model_id=choice.model_id,
                                            precision=choice.precision, allow_fallback=False))
    finally:
        profiler.stop()
        orchestrator.close()
    return profiler.report().peak["host_rss"]


def compare(a: str, b: str, files: list[str]) -> dict:
    choices = ModelChoice.parse(a), ModelChoice.parse(b)
    orchestrator = open_orchestrator(parse_size("16GiB"))
    profiler = Profiler(lambda: orchestrator.host_pid, interval=0.02)
    started = time.perf_counter()
    try:
        comparison = new_comparison(*choices, files, load_references(MANIFEST, files))
        comparison, _ = resume_or_save(comparison, orchestrator.library)
        profiler.start()
        run_comparison(orchestrator, comparison)
    finally:
        profiler.stop()
        orchestrator.close()
    wall = time.perf_counter() - started
    run_peak = profiler.report().peak["host_rss"]
    alone = {side: peak_alone(choice, files) for side, choice in zip("ab", choices, strict=True)}
    larger = max(alone.values())
    models = {side: comparison.side_summary(side) for side in "ab"}
    winners = [comparison.winner(f) for f in comparison.files]
    return {
        "a": a, "b": b, "files": len(files),
        "audio_seconds": round(sum(r.duration for r in comparison.side_runs("a")), 1),
        "wall_seconds": round(wall, 1),
        "models": {side: {
            "wer_percent": round(100 * m["wer"], 2) if m["wer"] is not None else None,
            "rtf": round(m["rtf"], 4) if m["rtf"] else None,
            "load_seconds": m["load_seconds"],
            "peak_rss_mib": round(m["peak_rss_bytes"] / MIB, 1),
            "estimate_mib": round(m["estimate_bytes"] / MIB, 1),
            "measured_mib": round(m["measured_bytes"] / MIB, 1),
            "alone_host_peak_mib": round(alone[side] / MIB, 1),
        } for side, m in models.items()},
        "wer_points_apart": round(100 * abs(models["a"]["wer"] - models["b"]["wer"]), 2),
        "paired_b_minus_a": {metric: asdict(d) for metric, d in comparison.summaries().items()},
        "winners": {"a": winners.count("a"), "b": winners.count("b"),
                    "tie": winners.count("tie")},
        "comparison_host_peak_mib": round(run_peak / MIB, 1),
        "larger_model_alone_peak_mib": round(larger / MIB, 1),
        "peak_ratio_to_larger_alone": round(run_peak / larger, 3),
        "sum_of_both_alone_mib": round(sum(alone.values()) / MIB, 1),
        "normalisation": comparison.normalisation,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=None, help="only the first N speech clips")
    args = parser.parse_args()
    if not MANIFEST.exists():
        sys.exit(f"the eval clips are not at {EVAL}")
    files = speech_files(args.clips)
    print(json.dumps({"bench": "compare", "cpu_count": os.cpu_count(),
                      "comparisons": [compare(a, b, files) for a, b in PAIRS]}, indent=2))


if __name__ == "__main__":
    main()
