"""The transcript editor with a long transcript: how fast it opens, and whether the window
stays responsive while it plays and the user scrolls through it.

Builds, in a temporary folder (its own GRYM_DATA_DIR and GRYM_CONFIG_DIR), a library holding a
3,000-segment transcript with word times (8-16 made-up words a segment, seeded RNG; segments of
0.6-1.0 s back to back, about 40 minutes) over a generated 16 kHz mono FLAC of that length
(tones: the content does not matter), and a 20-segment one over a 16-second file. Each run is a
child process with the real window (MainWindow, shown at 1366 x 740) in one Qt display mode,
`offscreen` or `xcb` on an Xvfb of its own, first without and then (unless --no-burn) with one
busy-loop process per core. PortAudio plays into a private PulseAudio null sink
(tests/pulse_sink.py) started here, so playback is real on a headless machine.

1. Opening (target: under 300 ms in all). MainWindow.open_history_item on the long transcript,
   timed until the table's viewport has been painted (events processed until its first paint
   event after the call has been handled); --repeats times, each after opening the short one so
   the view really changes. Split, from inside the same call, into the library's load
   (Library.load_transcript), the editor (TranscriptEditor.set_segments), the player and
   waveform (MainWindow._load_audio: PlayerBar.load, WaveformStrip.set_segments, .load), the
   rest of the call, and the painting after it. Median, max and the first (cold) open.
2. Playing and scrolling (target: no event-loop gap over 100 ms). A 10 ms heartbeat timer
   records the gaps between beats in three phases: the transcript open and idle (3 s); just
   reopened and playing while the waveform is measured (5 s); playing while the table is
   scrolled like a user (--seconds, 15 s: a few rows every 30-50 ms, now and then a page,
   the direction turning at the ends or at random) and segments are clicked every 1-2 s (by
   turns a real mouse click through QTest on a visible row, on its text or its time, and
   TranscriptEditor.play_requested emitted as the window's own click handler does). Longest gap,
   99th percentile, gaps over 100 and 50 ms; the GUI thread's busy share, the window
   process's CPU seconds, the machine's busy and steal shares (/proc/stat: a shared virtual
   machine loses CPU to its neighbours), the audio heard (from the player bar's position
   reports) and how often the editor moved the view itself to follow playback while it was
   being scrolled. The long gaps are explained as bench/gui_stall_bench.py does (its helpers
   are imported): the GUI thread's time split into running, waiting for a CPU and blocked, and
   its Python stack sampled while the heartbeat is late. --py-spy also takes `py-spy dump
   --native` of the window's process during gaps over 80 ms (C++ frames of stalls inside Qt;
   a dump pauses the process, so those gaps grow).

Prints JSON: the data, per run the opening split and the phases, and a side-by-side table of
the runs against the targets. No assertions.

    .venv/bin/python bench/editor_bench.py [--modes offscreen,xcb] [--no-burn]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import soundfile as sf
from gui_stall_bench import (
    Heartbeat,
    StallSampler,
    Timeline,
    exec_loop,
    explain_longest,
    rank_culprits,
    start_burners,
    start_xvfb,
    stop_processes,
    total_split,
)
from search_bench import vocabulary

from grym_desktop.store.library import Library
from grym_desktop.transcript import Segment, Transcript, Word

ROOT = Path(__file__).resolve().parent.parent
RATE = 16_000
LONG_SEGMENTS, SHORT_SEGMENTS = 3000, 20
SEGMENT_SECONDS = (0.6, 1.0)
SEGMENT_WORDS = (8, 16)
WINDOW_SIZE = (1366, 740)
TARGET_OPEN_MS, TARGET_LONGEST_MS = 300.0, 100.0
BEAT_MS = 10
SCROLL_EVERY_MS = (30, 50)
SCROLL_ROWS = (1, 4)
PAGE_JUMP_CHANCE, TURN_CHANCE = 0.07, 0.04
CLICK_EVERY_MS = (1000, 2000)
NATIVE_DUMP_AFTER_S, NATIVE_DUMPS = 0.08, 4
CHILD_TIMEOUT_S = 300
RESULT_PREFIX = "RESULT "


# -- the data (parent) -------------------------------------------------------------------

def make_segments(count: int, words: list[str], rng: random.Random) -> list[Segment]:
    """`count` segments back to back, each 0.6-1.0 s of 8-16 words with times (Zipf-like)."""
    weights = [1.0 / (rank + 2.7) for rank in range(len(words))]
    segments, at = [], 0.0
    for _ in range(count):
        length = rng.uniform(*SEGMENT_SECONDS)
        tokens = rng.choices(words, weights, k=rng.randint(*SEGMENT_WORDS))
        step = length / len(tokens)
        timed = [Word(round(at + k * step, 3), round(at + (k + 1) * step, 3), " " + w,
                      round(rng.uniform(0.5, 1.0), 3)) for k, w in enumerate(tokens)]
        segments.append(Segment(round(at, 3), round(at + length, 3), " " + " ".join(tokens),
                                timed))
        at += length
    return segments


def write_tones(path: Path, seconds: float) -> Path:
    """A 16 kHz mono 16-bit FLAC of `seconds`: a tone changing pitch every second."""
    block = 30 * RATE
    total = int(seconds * RATE)
    with sf.SoundFile(path, "w", RATE, 1, subtype="PCM_16", format="FLAC") as f:
        for first in range(0, total, block):
            t = np.arange(first, min(total, first + block)) / RATE
            pitch = 180.0 + 40.0 * (np.floor(t) % 9)
            f.write((0.3 * np.sin(2 * np.pi * pitch * t)).astype(np.float32))
    return path


def save(library: Library, audio: Path, segments: list[Segment], seconds: float) -> int:
    tid = library.begin_transcript(str(audio), "whisper-tiny.en", "ctranslate2", "int8", seconds)
    library.finish_transcript(tid, Transcript(str(audio), "whisper-tiny.en", "ctranslate2",
                                              "int8", "en", seconds, segments))
    return tid


def build_data(folder: Path, seed: int) -> dict:
    """The library (folder/data) with the long and the short transcript, and their audio."""
    rng = random.Random(seed)
    words = vocabulary(3000, rng)
    long_segments = make_segments(LONG_SEGMENTS, words, rng)
    short_segments = make_segments(SHORT_SEGMENTS, words, rng)
    long_seconds = long_segments[-1].end + 0.5
    short_seconds = short_segments[-1].end + 0.5
    audio = folder / "audio"
    audio.mkdir()
    started = time.perf_counter()
    long_audio = write_tones(audio / "long_recording.flac", long_seconds)
    short_audio = write_tones(audio / "short_recording.flac", short_seconds)
    audio_s = time.perf_counter() - started
    (folder / "data").mkdir()
    library = Library(folder / "data" / "library.sqlite3")
    try:
        long_id = save(library, long_audio, long_segments, long_seconds)
        short_id = save(library, short_audio, short_segments, short_seconds)
    finally:
        library.close()
    return {"long_id": long_id, "short_id": short_id,
            "long_segments": len(long_segments),
            "long_words": sum(len(s.words) for s in long_segments),
            "long_text_chars": sum(len(s.text) for s in long_segments),
            "long_audio": str(long_audio), "long_audio_minutes": round(long_seconds / 60, 1),
            "long_audio_mib": round(long_audio.stat().st_size / 2**20, 1),
            "short_segments": len(short_segments),
            "short_audio_seconds": round(short_seconds, 1),
            "audio_written_s": round(audio_s, 1), "seed": seed}


# -- the runs (parent) -------------------------------------------------------------------

def start_sink(folder: Path):
    """tests/pulse_sink.py's private PulseAudio null sink; (sink, None) or (None, why not)."""
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        from pulse_sink import PulseSink, available
    finally:
        sys.path.pop(0)
    if not available():
        return None, "pulseaudio, pactl or parec is missing: nothing plays"
    try:
        return PulseSink(folder).start(), None
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        return None, f"the PulseAudio sink did not start: {exc}"


def run_environment(mode: str, data: Path, config: Path, display: str | None,
                    sink_env: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["QT_QPA_PLATFORM"] = mode
    if display:
        env["DISPLAY"] = display
    env["GRYM_DATA_DIR"], env["GRYM_CONFIG_DIR"] = str(data), str(config)
    if sink_env:
        # HOME moves to the sink's folder (its .asoundrc); keep the font cache where it is.
        env.setdefault("XDG_CACHE_HOME", str(Path.home() / ".cache"))
        env.update(sink_env)
    return env


def run_child(mode: str, burn: bool, workdir: Path, spec: Path, sink_env: dict[str, str],
              args: argparse.Namespace) -> dict:
    """One run: the window in a child process (its own copy of the library)."""
    name = f"{mode}{'+burn' if burn else ''}"
    data, config = workdir / f"data-{name}", workdir / f"config-{name}"
    shutil.copytree(workdir / "data", data)
    config.mkdir()
    try:
        xvfb, display = start_xvfb() if mode == "xcb" else (None, None)
    except (OSError, RuntimeError) as exc:
        return {"error": f"no X server for the xcb mode: {exc}"}
    burners = start_burners() if burn else []
    log = workdir / f"child-{name}.log"
    command = [sys.executable, __file__, "--child", mode, "--spec", str(spec)]
    if args.py_spy:
        command.append("--py-spy")
    started = time.perf_counter()
    try:
        with open(log, "w") as err:
            child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=err, text=True,
                                     env=run_environment(mode, data, config, display, sink_env),
                                     start_new_session=True)
            try:
                out, _ = child.communicate(timeout=CHILD_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)  # the window and its model host
                out, _ = child.communicate()
    finally:
        stop_processes(burners + ([xvfb] if xvfb else []))
    for line in reversed(out.splitlines()):
        if line.startswith(RESULT_PREFIX):
            report = json.loads(line[len(RESULT_PREFIX):])
            report["run_seconds"] = round(time.perf_counter() - started, 1)
            return report
    return {"error": f"the child ended with {child.returncode} and no result",
            "log_tail": log.read_text()[-3000:]}


def side_by_side(runs: dict[str, dict]) -> list[dict]:
    """One row per run: the opening and the playing-and-scrolling figures, against targets."""
    rows = []
    for name, run in runs.items():
        if "error" in run:
            rows.append({"run": name, "error": run["error"]})
            continue
        total = run["open"]["total_ms"]
        scroll = run["phases"]["playing_scrolling"]
        rows.append({"run": name, "open_median_ms": total["median"], "open_max_ms": total["max"],
                     "open_first_ms": total["first"],
                     "open_meets_300ms": run["open"]["meets_target"],
                     "scroll_longest_ms": scroll.get("longest_ms"),
                     "scroll_p99_ms": scroll.get("p99_ms"),
                     "scroll_over_100ms": scroll.get("over_100ms"),
                     "scroll_over_50ms": scroll.get("over_50ms"),
                     "scroll_meets_100ms": scroll.get("meets_target"),
                     "all_phases_longest_ms": max(p.get("longest_ms", 0.0)
                                                  for p in run["phases"].values()),
                     "scroll_gui_thread_busy_pct": scroll.get("gui_thread_busy_pct"),
                     "scroll_audio_heard_s": scroll.get("audio_heard_s")})
    return rows


def parent_main(args: argparse.Namespace) -> None:
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    workdir = Path(tempfile.mkdtemp(prefix="editor-bench-"))
    sink = None
    try:
        data = build_data(workdir, args.seed)
        spec = workdir / "spec.json"
        spec.write_text(json.dumps({**data, "repeats": args.repeats, "seconds": args.seconds,
                                    "seed": args.seed}))
        sink, sink_problem = start_sink(workdir / "pulse")
        report: dict = {
            "bench": "editor", "data": data, "cores": os.cpu_count(),
            "burners_when_burning": os.cpu_count() or 1, "heartbeat_ms": BEAT_MS,
            "window": "x".join(map(str, WINDOW_SIZE)),
            "audio_output": sink_problem or "private PulseAudio null sink (tests/pulse_sink.py)",
            "targets": {"open_ms": TARGET_OPEN_MS, "longest_gap_ms": TARGET_LONGEST_MS},
            "runs": {}}
        for mode in modes:
            for burn in ([False, True] if args.burn else [False]):
                name = f"{mode}{'+burn' if burn else ''}"
                print(f"run {name}", file=sys.stderr, flush=True)
                report["runs"][name] = run_child(mode, burn, workdir, spec,
                                                 sink.env if sink else {}, args)
        report["side_by_side"] = side_by_side(report["runs"])
    finally:
        if sink is not None:
            sink.stop()
        if args.keep:
            print(f"kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(report, indent=2))


# -- inside the window's process (child) -------------------------------------------------

def stats(values: list[float]) -> dict:
    if not values:
        return {}
    return {"median": round(statistics.median(values), 1), "max": round(max(values), 1),
            "first": round(values[0], 1)}


def gap_summary(times: list[float]) -> dict:
    """The heartbeat's gaps in one phase, against the 100 ms target."""
    gaps = np.diff(np.array(times)) * 1000
    if len(gaps) == 0:
        return {"beats": 0}
    longest = float(gaps.max())
    return {"beats": int(len(gaps)), "seconds": round(times[-1] - times[0], 1),
            "longest_ms": round(longest, 1), "p99_ms": round(float(np.percentile(gaps, 99)), 1),
            "over_100ms": int((gaps > 100).sum()), "over_50ms": int((gaps > 50).sum()),
            "meets_target": longest <= TARGET_LONGEST_MS}


class Split:
    """Times methods of the window's parts from inside a real call (instance attributes
    that shadow the methods, so the window's own calls go through them)."""

    def __init__(self) -> None:
        self.ms: dict[str, float] = {}

    def wrap(self, owner, name: str, label: str) -> None:
        original = getattr(owner, name)

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.ms[label] = self.ms.get(label, 0.0) + (time.perf_counter() - started) * 1000

        setattr(owner, name, timed)


def paint_watch(widget):
    """An event filter counting `widget`'s paint events (the filter sees them first)."""
    from PySide6.QtCore import QEvent, QObject

    class PaintWatch(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.count = 0

        def eventFilter(self, _watched, event) -> bool:  # noqa: N802 - Qt's name
            if event.type() == QEvent.Type.Paint:
                self.count += 1
            return False

    watch = PaintWatch()
    widget.installEventFilter(watch)
    return watch


class Opener:
    """Opens a transcript in the window and times it until the table has been painted."""

    def __init__(self, app, window) -> None:
        self.app, self.window = app, window
        self.paints = paint_watch(window.transcript_view.table.viewport())
        self.split = Split()
        self.split.wrap(window.library, "load_transcript", "library_ms")
        self.split.wrap(window.transcript_view, "set_segments", "editor_ms")
        self.split.wrap(window, "_load_audio", "audio_ms")
        self.split.wrap(window.player_bar, "load", "player_load_ms")
        self.split.wrap(window.waveform, "set_segments", "waveform_segments_ms")
        self.split.wrap(window.waveform, "load", "waveform_load_ms")
        self.envelopes = 0
        window.waveform.envelope_ready.connect(self._envelope_ready)

    def _envelope_ready(self) -> None:
        self.envelopes += 1

    def open(self, transcript_id: int, timeout_s: float = 10.0) -> dict:
        from PySide6.QtCore import QEventLoop

        self.split.ms.clear()
        seen = self.paints.count
        started = time.perf_counter()
        self.window.open_history_item(transcript_id)
        returned = time.perf_counter()
        while self.paints.count == seen and time.perf_counter() - started < timeout_s:
            self.app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 20)
        painted = time.perf_counter()
        ms = dict(self.split.ms)
        call_ms = (returned - started) * 1000
        ms["other_in_call_ms"] = call_ms - ms.get("library_ms", 0) - ms.get("editor_ms", 0) \
            - ms.get("audio_ms", 0)
        ms["paint_ms"] = (painted - returned) * 1000
        ms["total_ms"] = (painted - started) * 1000
        ms["painted"] = self.paints.count > seen
        ms["rows"] = self.window.transcript_view.model.rowCount()
        return ms

    def wait_for_envelope(self, before: int, timeout_s: float = 20.0) -> bool:
        return exec_loop(lambda: self.envelopes > before, timeout_s)


def measure_opening(opener: Opener, spec: dict, timeline: Timeline) -> dict:
    """The long transcript opened --repeats times, each after the short one."""
    opens, shorts, envelope_ms = [], [], []
    for i in range(spec["repeats"]):
        before = opener.envelopes
        shorts.append(opener.open(spec["short_id"]))
        opener.wait_for_envelope(before)
        exec_loop(lambda: False, 0.3)
        before = opener.envelopes
        timeline.mark(f"open {i + 1}")
        started = time.perf_counter()
        opens.append(opener.open(spec["long_id"]))
        if opener.wait_for_envelope(before):
            envelope_ms.append((time.perf_counter() - started) * 1000)
        exec_loop(lambda: False, 0.3)
    keys = ["total_ms", "library_ms", "editor_ms", "audio_ms", "player_load_ms",
            "waveform_segments_ms", "waveform_load_ms", "other_in_call_ms", "paint_ms"]
    totals = [o["total_ms"] for o in opens]
    return {"repetitions": len(opens),
            **{key: stats([o.get(key, 0.0) for o in opens]) for key in keys},
            "meets_target": max(totals[1:] or totals) < TARGET_OPEN_MS,
            "all_painted": all(o["painted"] for o in opens),
            "rows_shown": opens[-1]["rows"] if opens else 0,
            "short_transcript_total_ms": stats([s["total_ms"] for s in shorts]),
            "waveform_drawn_after_ms": stats(envelope_ms),
            "note": "first = the first (cold) open; meets_target: every open after the first "
                    "under the target; paint_ms: from the call's return until the events in "
                    "which the viewport's first paint was handled"}


class UserScroll:
    """Scrolls the table as a user does: a few rows every 30-50 ms, now and then a page,
    turning at the ends or at random."""

    def __init__(self, window, rng: random.Random, timeline: Timeline) -> None:
        from PySide6.QtCore import Qt, QTimer
        from PySide6.QtWidgets import QAbstractItemView

        self.table = window.transcript_view.table
        self.rng, self.timeline = rng, timeline
        self.per_item = (self.table.verticalScrollMode()
                         == QAbstractItemView.ScrollMode.ScrollPerItem)
        self.direction = 1
        self.steps = self.pages = self.turns = 0
        self.step_ms: list[float] = []
        self.stepping = False
        self.followed = 0  # moves of the view not made here: the editor following playback
        self.table.verticalScrollBar().valueChanged.connect(self._moved)
        self.timer = QTimer()
        self.timer.setSingleShot(True)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self.step)

    def _moved(self, _value: int) -> None:
        if not self.stepping and self.timer.isActive():
            self.followed += 1
            self.timeline.mark("view follows playback")

    def start(self) -> None:
        self.timer.start(self.rng.randint(*SCROLL_EVERY_MS))

    def stop(self) -> None:
        self.timer.stop()

    def step(self) -> None:
        from PySide6.QtWidgets import QAbstractSlider

        bar = self.table.verticalScrollBar()
        if bar.value() >= bar.maximum() or bar.value() <= bar.minimum() \
                or self.rng.random() < TURN_CHANCE:
            self.direction = -1 if bar.value() >= bar.maximum() else (
                1 if bar.value() <= bar.minimum() else -self.direction)
            self.turns += 1
        started = time.perf_counter()
        self.stepping = True
        if self.rng.random() < PAGE_JUMP_CHANCE:
            action = QAbstractSlider.SliderAction
            bar.triggerAction(action.SliderPageStepAdd if self.direction > 0
                              else action.SliderPageStepSub)
            self.pages += 1
            self.timeline.mark("page " + ("down" if self.direction > 0 else "up"))
        else:
            rows = self.rng.randint(*SCROLL_ROWS)
            unit = 1 if self.per_item else self.table.rowHeight(max(0, self.table.rowAt(0)))
            bar.setValue(bar.value() + self.direction * rows * unit)
            self.timeline.mark(f"scroll {self.direction * rows:+d} rows")
        self.stepping = False
        self.step_ms.append((time.perf_counter() - started) * 1000)
        self.steps += 1
        self.start()

    def report(self) -> dict:
        return {"steps": self.steps, "page_jumps": self.pages, "turns": self.turns,
                "view_moved_by_the_editor": self.followed,
                "scroll_mode": "per item" if self.per_item else "per pixel",
                "step_call_ms": {"median": round(statistics.median(self.step_ms), 2),
                                 "max": round(max(self.step_ms), 1)} if self.step_ms else {}}


class UserClicks:
    """Clicks a visible segment every 1-2 s: by turns a real mouse click (QTest) on its text
    or its start time, and play_requested emitted with its start."""

    def __init__(self, window, rng: random.Random, timeline: Timeline) -> None:
        from PySide6.QtCore import QTimer

        self.window, self.rng, self.timeline = window, rng, timeline
        self.editor = window.transcript_view
        self.count = 0
        self.call_ms: list[float] = []
        self.timer = QTimer()
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.click)

    def start(self) -> None:
        self.timer.start(self.rng.randint(*CLICK_EVERY_MS))

    def stop(self) -> None:
        self.timer.stop()

    def visible_row(self) -> int:
        table = self.editor.table
        top = max(0, table.rowAt(0))
        bottom = table.rowAt(table.viewport().height() - 1)
        bottom = bottom if bottom >= 0 else self.editor.model.rowCount() - 1
        return self.rng.randint(top, max(top, bottom))

    def click(self) -> None:
        from PySide6.QtCore import QPoint, Qt
        from PySide6.QtTest import QTest

        from grym_desktop.ui.transcript_editor import START, TEXT

        row = self.visible_row()
        kind = ("mouse on text", "mouse on time", "play_requested")[self.count % 3]
        started = time.perf_counter()
        if kind == "play_requested":
            self.editor.play_requested.emit(self.editor.model.segments[row].start)
        else:
            table = self.editor.table
            rect = table.visualRect(self.editor.model.index(row, TEXT if "text" in kind
                                                            else START))
            at = QPoint(rect.left() + min(rect.width() - 2, self.rng.randint(4, 300)),
                        rect.top() + rect.height() // 2)
            QTest.mouseClick(table.viewport(), Qt.MouseButton.LeftButton,
                             Qt.KeyboardModifier.NoModifier, at)
        self.call_ms.append((time.perf_counter() - started) * 1000)
        self.timeline.mark(f"click row {row} ({kind})")
        self.count += 1
        self.start()

    def report(self) -> dict:
        return {"clicks": self.count,
                "call_ms": {"median": round(statistics.median(self.call_ms), 1),
                            "max": round(max(self.call_ms), 1)} if self.call_ms else {}}


class NativeDumper(threading.Thread):
    """`py-spy dump --native` of this process while the heartbeat is over 80 ms late (at most
    NATIVE_DUMPS times, once a gap): the GUI thread's C++ frames of a stall inside Qt."""

    def __init__(self, heartbeat: Heartbeat) -> None:
        super().__init__(name="native-dumper", daemon=True)
        self.heartbeat = heartbeat
        self.armed = threading.Event()
        self.stopped = threading.Event()
        self.dumps: list[dict] = []
        self.py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")

    def run(self) -> None:
        dumped_for = None
        while not self.stopped.wait(0.01):
            late = time.perf_counter() - self.heartbeat.last
            if (not self.armed.is_set() or late < NATIVE_DUMP_AFTER_S
                    or dumped_for == self.heartbeat.last or len(self.dumps) >= NATIVE_DUMPS):
                continue
            dumped_for = self.heartbeat.last
            try:
                out = subprocess.run([self.py_spy, "dump", "--native", "--pid", str(os.getpid())],
                                     capture_output=True, text=True, timeout=20).stdout
            except (OSError, subprocess.SubprocessError) as exc:
                out = f"py-spy failed: {exc}"
            self.dumps.append({"late_ms_when_dumped": round(late * 1000, 1),
                               "main_thread": main_thread_stack(out)})


def main_thread_stack(dump: str, frames: int = 30) -> list[str]:
    """The innermost frames of the main thread in a py-spy dump."""
    lines, inside = [], False
    for line in dump.splitlines():
        if line.startswith("Thread "):
            inside = "MainThread" in line or f"Thread {os.getpid()} " in line
            continue
        if inside and line.strip():
            lines.append(line.strip())
    return lines[:frames] or dump.splitlines()[:frames]


def explain(heartbeat: Heartbeat, sampler: StallSampler, timeline: Timeline) -> dict:
    """Why the heartbeat was late over 50 ms in the phase just measured (gui_stall_bench)."""
    return {"stall_time_split_ms": total_split(heartbeat, 0),
            "longest_gaps": explain_longest(heartbeat, sampler.samples, timeline, 0, count=6),
            "culprits": rank_culprits(heartbeat, sampler.samples, 0)[:5]}


def machine_cpu() -> tuple[int, int, int]:
    """(busy, steal, total) jiffies of all CPUs, from /proc/stat; zeros when absent."""
    try:
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return 0, 0, 0
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    steal = values[7] if len(values) > 7 else 0
    return sum(values[:8]) - idle - steal, steal, sum(values[:8])


class Heard:
    """The player bar's position reports (every 50 ms while playing): seconds of audio heard,
    counting steps forward under a second (a click's jump is not heard)."""

    def __init__(self, window) -> None:
        self.last: float | None = None
        self.seconds, self.reports = 0.0, 0
        window.player_bar.position_changed.connect(self.report)

    def report(self, seconds: float) -> None:
        if self.last is not None and 0.0 < seconds - self.last < 1.0:
            self.seconds += seconds - self.last
        self.last = seconds
        self.reports += 1

    def reset(self) -> None:
        self.seconds, self.reports = 0.0, 0


def phase(heartbeat: Heartbeat, sampler: StallSampler, timeline: Timeline, seconds: float,
          heard: Heard, start=None, stop=None) -> dict:
    """Measure the heartbeat for `seconds`; start() and stop() bracket what runs meanwhile."""
    heartbeat.clear()
    heard.reset()
    cpu_before, process_before = machine_cpu(), time.process_time()
    if start is not None:
        start()
    exec_loop(lambda: False, seconds)
    if stop is not None:
        stop()
    cpu_after, process_s = machine_cpu(), time.process_time() - process_before
    summary = gap_summary(heartbeat.times)
    total = max(1, cpu_after[2] - cpu_before[2])
    wall = heartbeat.times[-1] - heartbeat.times[0] if len(heartbeat.times) > 1 else seconds
    summary.update(
        gui_thread_busy_pct=round((heartbeat.ran_ns[-1] - heartbeat.ran_ns[0]) / 1e7 / wall, 1)
        if len(heartbeat.ran_ns) > 1 else None,
        window_process_cpu_s=round(process_s, 2),
        machine_busy_pct=round(100 * (cpu_after[0] - cpu_before[0]) / total, 1),
        machine_steal_pct=round(100 * (cpu_after[1] - cpu_before[1]) / total, 1),
        audio_heard_s=round(heard.seconds, 2), position_reports=heard.reports)
    if summary.get("over_50ms"):
        summary.update(explain(heartbeat, sampler, timeline))
    return summary


def playback_state(window) -> dict:
    player = window.player_bar.player
    return {"position_s": round(player.position, 2), "playing": player.playing,
            "error": player.error, "bar_message": window.player_bar.message.text()}


def child_main(mode: str, spec: dict, py_spy: bool) -> dict:
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from grym_desktop.ui.main_window import MainWindow, settings_from_env

    app = QApplication([])
    window = MainWindow(16 * 1024**3, settings_from_env())
    window.resize(*WINDOW_SIZE)
    window.show()
    timeline = Timeline()
    heartbeat = Heartbeat()
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(BEAT_MS)
    timer.timeout.connect(heartbeat.beat)
    timer.start()
    sampler = StallSampler(heartbeat)
    sampler.start()
    dumper = NativeDumper(heartbeat) if py_spy else None
    if dumper:
        dumper.start()
    exec_loop(lambda: False, 2.0)  # settle: first paint, devices, history
    window.resize(*WINDOW_SIZE)

    opener = Opener(app, window)
    opening = measure_opening(opener, spec, timeline)
    table = window.transcript_view.table
    layout = {"window": [window.width(), window.height()],
              "table_viewport": [table.viewport().width(), table.viewport().height()],
              "visible_rows": table.rowAt(table.viewport().height() - 1) - table.rowAt(0) + 1}

    heard = Heard(window)
    phases = {"idle_open": phase(heartbeat, sampler, timeline, 3.0, heard)}

    # Reopened (short, then long) and playing at once, while the waveform is measured.
    opener.open(spec["short_id"])
    exec_loop(lambda: False, 0.5)
    opener.open(spec["long_id"])
    timeline.mark("reopened; play from 0")
    phases["opened_playing"] = phase(heartbeat, sampler, timeline, 5.0, heard,
                                     start=lambda: window.player_bar.play_from(0.0))

    rng = random.Random(spec["seed"])
    scroll = UserScroll(window, rng, timeline)
    clicks = UserClicks(window, rng, timeline)
    if dumper:
        dumper.armed.set()
    timeline.mark("scrolling and clicking")
    phases["playing_scrolling"] = phase(
        heartbeat, sampler, timeline, spec["seconds"], heard,
        start=lambda: (scroll.start(), clicks.start()),
        stop=lambda: (scroll.stop(), clicks.stop()))
    if dumper:
        dumper.armed.clear()
    phases["playing_scrolling"].update(scroll=scroll.report(), clicks=clicks.report(),
                                       player=playback_state(window))
    window.player_bar.stop()
    timer.stop()
    sampler.stopped.set()
    report = {"platform": app.platformName(), "layout": layout, "open": opening,
              "phases": phases}
    if dumper:
        dumper.stopped.set()
        report["native_dumps"] = dumper.dumps
    window.close()
    return report


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modes", default="offscreen,xcb",
                        help="comma-separated Qt platforms: offscreen, xcb (on Xvfb)")
    parser.add_argument("--burn", action=argparse.BooleanOptionalAction, default=True,
                        help="also run each mode with a busy loop per core (default on)")
    parser.add_argument("--repeats", type=int, default=7, help="opens of the long transcript")
    parser.add_argument("--seconds", type=float, default=15.0,
                        help="seconds of playing and scrolling (default 15)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--py-spy", action="store_true",
                        help="py-spy dump --native during gaps over 80 ms (lengthens them)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder and logs")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--spec", default=None, help=argparse.SUPPRESS)
    return parser


def main() -> None:
    args = build_parser().parse_args()
    if args.child:
        report = child_main(args.child, json.loads(Path(args.spec).read_text()), args.py_spy)
        print(RESULT_PREFIX + json.dumps(report), flush=True)
    else:
        parent_main(args)


if __name__ == "__main__":
    main()
