"""`grym-desktop profile`: load and unload a model a few times under the profiler.

The run goes through the orchestrator like any other use of a model (the memory guard
before every load, the watchdog on the host); memory/profiler.py analyses what it saw.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from grym_desktop.memory.profiler import Profiler, ProfileReport
from grym_desktop.options import DecodeOptions
from grym_desktop.orchestrator.runner import Orchestrator


@dataclass
class ProfileRun:
    """What `grym-desktop profile` did: the model, its precision, the clip's text, the report."""

    model: str
    precision: str
    cycles: int
    clip: str
    text: str
    report: ProfileReport

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "precision": self.precision, "cycles": self.cycles,
                "transcription": {"clip": self.clip, "text": self.text},
                **self.report.to_dict()}


def bundled_clip() -> Path:
    """A 3.4 s spoken sentence shipped with the package (CLIP_TEXT)."""
    return Path(str(resources.files("grym_desktop.resources").joinpath("profile_clip.ogg")))


def run_profile(
    limit: int,
    model_id: str,
    cycles: int = 5,
    precision: str | None = None,
    interval: float = 0.02,  # fine enough to catch a decode's short peak
    clip: Path | None = None,
) -> ProfileRun:
    """Load and unload the model `cycles` times in a fresh host, transcribing the clip in the
    first cycle, while profiling; every load asks the memory guard first and the watchdog
    keeps the host under the limit."""
    clip = Path(clip) if clip is not None else bundled_clip()
    orchestrator = Orchestrator(limit)
    profiler = Profiler(lambda: orchestrator.host_pid, interval=interval)
    text: list[str] = []

    def on_event(message: dict) -> None:
        if message.get("kind") == "segment":
            text.append(message["segment"]["text"].strip())

    try:
        orchestrator.start_host()  # the profile starts with the host up, as the report says
        profiler.start()
        for cycle in range(cycles):
            started = time.monotonic()
            loaded = orchestrator.ensure_model(model_id, precision)
            precision = loaded.plan.precision
            estimate = loaded.plan.estimate
            profiler.mark("load", f"load {loaded.spec.id} {precision}", at=started,
                          model=loaded.spec.id, precision=precision,
                          estimate_bytes=estimate.total_bytes,
                          weights_bytes=estimate.weights_bytes,
                          rss_before=loaded.rss_before, rss_after=loaded.rss_after)
            if cycle == 0:
                profiler.mark("start", f"transcribe {clip.name}")
                orchestrator.call("transcribe", {"path": str(clip),
                                                 "options": DecodeOptions().to_dict()},
                                  on_event=on_event, timeout=300)
                profiler.mark("end", f"transcribed {clip.name}")
            started = time.monotonic()
            unloaded = orchestrator.unload()
            profiler.mark("unload", f"unload {loaded.spec.id}", at=started, model=loaded.spec.id,
                          rss_before=unloaded["rss_before"], rss_after=unloaded["rss_after"])
    finally:
        profiler.stop()
        orchestrator.close()
    return ProfileRun(loaded.spec.id, precision, cycles, clip.name, " ".join(text),
                      profiler.report())
