"""How long the window's event loop stalls while it transcribes, where users are.

Opens the real window and runs a 10 ms heartbeat timer in its event loop; the gaps
between beats are the pauses a user feels. Each display mode runs in a child process:
`xcb` on a real X server (Xvfb, started here) and `offscreen`. The workload, queued at
once: eight short speech clips, a 3-minute file, and (unless --no-live) the Live dock
recording from the virtual microphone (../shared/tools/virtual-mic) while speech is
played into it. With --burn (the default) one busy-loop process per core loads the CPU.

While the heartbeat is late, a helper thread samples the GUI thread's Python stack, and
every beat reads the thread's scheduler counters, so each long gap is split into time the
GUI thread ran, waited for a CPU, or was blocked (the GIL, the X server, a lock). Stalls
"inside Qt" have no Python frame to show; `py-spy dump --native --pid PID` of the child
shows their C++ stack (on xcb: QBackingStore::beginPaint waiting in QXcbConnection::sync).

Prints JSON per mode: longest gap, 99th percentile, gaps over 100 and 50 ms, seconds,
the issue's targets (longest <= 100 ms, p99 <= 50 ms), the longest gaps with their
split and stacks, and the callbacks found running during stalls.

    .venv/bin/python bench/gui_stall_bench.py [--modes xcb,offscreen] [--no-burn] [--no-live]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

from grym_desktop.audio.decode import SAMPLE_RATE, load_audio

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT.parent / "shared" / "eval"
VIRTUAL_MIC = ROOT.parent / "shared" / "tools" / "virtual-mic"
FALLBACK_CLIPS = [ROOT / "tests" / "data" / "hello_world.wav"]
TARGET_LONGEST_MS, TARGET_P99_MS = 100.0, 50.0
BEAT_MS = 10
STALL_MS = 50  # gaps longer than this are explained (split, stacks)
SAMPLE_AFTER_S, SAMPLE_EVERY_S = 0.03, 0.005  # the stack sampler's trigger and period
CHILD_TIMEOUT_S = 2400
RESULT_PREFIX = "RESULT "


# -- the workload (parent) ---------------------------------------------------------------

def speech_clips() -> list[Path]:
    """The eval set's speech clips that decode as files (not the headerless .raw)."""
    manifest = EVAL / "manifest.tsv"
    if not manifest.exists():
        return [p for p in FALLBACK_CLIPS if p.exists()]
    with open(manifest, newline="") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if r["type"] == "speech"]
    return [EVAL / "clips" / r["file"] for r in rows if not r["file"].endswith(".raw")]


def concatenate(clips: list[Path], seconds: float, out: Path, gap: float = 0.5) -> Path:
    """A 16 kHz WAV of the clips in a row (silence between), repeated and cut to seconds."""
    silence = np.zeros(int(gap * SAMPLE_RATE), np.float32)
    parts, total = [], 0
    while total < seconds * SAMPLE_RATE:
        for clip in clips:
            parts += [load_audio(clip), silence]
            total += len(parts[-2]) + len(silence)
    sf.write(out, np.concatenate(parts)[: int(seconds * SAMPLE_RATE)], SAMPLE_RATE,
             subtype="PCM_16")
    return out


@dataclass
class Workload:
    files: list[Path]  # queued for transcription, all at once
    live_audio: Path  # played into the virtual microphone

    def describe(self) -> dict:
        return {"files": [f.name for f in self.files],
                "file_seconds": [round(sf.info(f).duration, 1) for f in self.files],
                "live_audio_seconds": round(sf.info(self.live_audio).duration, 1)}


def make_workload(folder: Path, short_files: int, long_seconds: float) -> Workload:
    """Eight short clips plus one long file made of clips; the Live dock's speech."""
    clips = speech_clips()
    long_file = concatenate(clips, long_seconds, folder / f"speech_{int(long_seconds)}s.wav")
    live = concatenate(clips[:4], 30, folder / "live_speech.wav", gap=1.5)
    return Workload(files=clips[:short_files] + [long_file], live_audio=live)


# -- machinery the parent starts and stops -----------------------------------------------

def start_burners() -> list[subprocess.Popen]:
    """One busy loop per core, so the window competes for the CPU as on a loaded machine."""
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"])
            for _ in range(os.cpu_count() or 1)]


def stop_processes(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.kill()
        process.wait()


def start_xvfb(own_session: bool) -> tuple[subprocess.Popen, str]:
    """A private X server on a free display number; returns (process, DISPLAY).

    With own_session it runs in a session of its own, as a display manager starts an X
    server. Otherwise it shares the burners' session, and so (with the kernel's autogroup
    scheduling) their share of the CPU: then it waits 100-230 ms for a turn while the
    window waits on it, which no desktop does.
    """
    read_end, write_end = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write_end), "-screen", "0",
                             "1366x768x24", "-nolisten", "tcp"], pass_fds=(write_end,),
                            stderr=subprocess.DEVNULL, start_new_session=own_session)
    os.close(write_end)
    with os.fdopen(read_end) as f:
        number = f.readline().strip()
    if not number:
        xvfb.kill()
        raise RuntimeError("Xvfb did not start")
    return xvfb, f":{number}"


def start_virtual_mic(folder: Path) -> dict[str, str]:
    """Start the virtual microphone; the environment that makes it the default input."""
    out = subprocess.run([str(VIRTUAL_MIC), "start", str(folder)], capture_output=True,
                         text=True, check=True, timeout=30).stdout
    env = {}
    for assignment in out.replace("export", "").split():
        name, _, value = assignment.partition("=")
        env[name] = value.strip("'\"")
    return env


def stop_virtual_mic(folder: Path) -> None:
    subprocess.run([str(VIRTUAL_MIC), "stop", str(folder)], capture_output=True, timeout=30)


# -- one mode (parent side) --------------------------------------------------------------

def mode_environment(mode: str, workdir: Path, display: str | None,
                     mic_env: dict[str, str] | None,
                     xserver_pid: int | None = None) -> dict[str, str]:
    """The child's environment: display platform, a fresh library, the microphone."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["QT_QPA_PLATFORM"] = mode
    if display:
        env["DISPLAY"] = display
    if xserver_pid:
        env["GRYM_BENCH_XSERVER_PID"] = str(xserver_pid)
    env["GRYM_DATA_DIR"] = str(workdir / f"data-{mode}")
    env["GRYM_CONFIG_DIR"] = str(workdir / f"config-{mode}")
    if mic_env:
        # HOME moves to the microphone's folder; keep the font cache where it is.
        env.setdefault("XDG_CACHE_HOME", str(Path.home() / ".cache"))
        env.update(mic_env)
    return env


def run_mode(mode: str, workload: Workload, args: argparse.Namespace, workdir: Path,
             mic_env: dict[str, str] | None) -> dict:
    """Run the window in a child process for one mode (with burners if asked)."""
    try:
        xvfb, display = start_xvfb(args.xserver_session == "own") if mode == "xcb" \
            else (None, None)
    except (OSError, RuntimeError) as exc:
        return {"error": f"no X server for the xcb mode: {exc}"}
    burners = start_burners() if args.burn else []
    log = workdir / f"child-{mode}.log"
    command = [sys.executable, __file__, "--child", mode,
               "--live-audio", str(workload.live_audio) if mic_env else "",
               *map(str, workload.files)]
    env = mode_environment(mode, workdir, display, mic_env, xvfb.pid if xvfb else None)
    try:
        with open(log, "w") as err:
            child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=err, text=True,
                                     env=env, start_new_session=True)
            try:
                out, _ = child.communicate(timeout=CHILD_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)  # the child and its model host
                out, _ = child.communicate()
    finally:
        stop_processes(burners + ([xvfb] if xvfb else []))
    for line in reversed(out.splitlines()):
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX):])
    return {"error": f"the child ended with {child.returncode} and no result",
            "log_tail": log.read_text()[-3000:]}


def parent_main(args: argparse.Namespace) -> None:
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    workdir = Path(tempfile.mkdtemp(prefix="gui-stall-"))
    workload = make_workload(workdir, args.short_files, args.long_seconds)
    report: dict = {"workload": workload.describe(), "cores": os.cpu_count(),
                    "burners": (os.cpu_count() or 1) if args.burn else 0, "heartbeat_ms": BEAT_MS,
                    "xserver_session": args.xserver_session,
                    "targets": {"longest_ms": TARGET_LONGEST_MS, "p99_ms": TARGET_P99_MS},
                    "modes": {}}
    mic_env, mic_dir = None, workdir / "mic"
    if args.live:
        try:
            mic_env = start_virtual_mic(mic_dir)
        except (OSError, subprocess.SubprocessError) as exc:
            report["live_note"] = f"Live skipped: the virtual microphone did not start ({exc})"
    else:
        report["live_note"] = "Live skipped (--no-live)"
    try:
        for mode in modes:
            report["modes"][mode] = run_mode(mode, workload, args, workdir, mic_env)
    finally:
        if mic_env:
            stop_virtual_mic(mic_dir)
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(report, indent=2))


# -- measuring inside the window's process (child) ---------------------------------------

def read_schedstat(path: str) -> tuple[int, int]:
    """(ns on a CPU, ns waiting for a CPU) of one thread, from /proc; zeros when absent."""
    try:
        with open(path) as f:
            run, wait, _ = f.read().split()
        return int(run), int(wait)
    except (OSError, ValueError):
        return 0, 0


def kernel_state(task: str) -> str:
    """What the kernel says a thread is doing: "R" (running or waiting for a CPU), or
    "S"/"D" with the kernel function it sleeps in (futex: the GIL or a lock; poll or
    socket reads: waiting for the X server or an event)."""
    try:
        with open(f"{task}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        with open(f"{task}/wchan") as f:
            where = f.read().strip()
    except (OSError, IndexError):
        return "?"
    return state if state == "R" or where in ("", "0") else f"{state} {where}"


class Heartbeat:
    """The 10 ms timer's beats: time, and the GUI thread's CPU and run-queue counters."""

    def __init__(self) -> None:
        self.task = f"/proc/self/task/{threading.get_native_id()}"  # the GUI thread's
        self.stat_path = f"{self.task}/schedstat"
        self.times: list[float] = []
        self.ran_ns: list[int] = []
        self.queued_ns: list[int] = []
        xserver = os.environ.get("GRYM_BENCH_XSERVER_PID")
        self.xserver_tasks = sorted(Path(f"/proc/{xserver}/task").glob("*/schedstat")) \
            if xserver else []
        self.xserver_ran_ns: list[int] = []  # the X server's threads, summed
        self.xserver_queued_ns: list[int] = []
        self.last = time.perf_counter()

    def beat(self) -> None:
        self.last = time.perf_counter()
        run, wait = read_schedstat(self.stat_path)
        self.times.append(self.last)
        self.ran_ns.append(run)
        self.queued_ns.append(wait)
        x_run = x_wait = 0
        for path in self.xserver_tasks:
            r, w = read_schedstat(str(path))
            x_run, x_wait = x_run + r, x_wait + w
        self.xserver_ran_ns.append(x_run)
        self.xserver_queued_ns.append(x_wait)

    def clear(self) -> None:
        for series in (self.times, self.ran_ns, self.queued_ns, self.xserver_ran_ns,
                       self.xserver_queued_ns):
            series.clear()


IDLE_FRAMES = {"Condition.wait", "Event.wait", "_PollLikeSelector.select"}


def frame_name(frame) -> str:
    """file:qualified function:line, the file shortened to the project, package or stdlib."""
    path = frame.f_code.co_filename
    if "site-packages/" in path:
        path = path.split("site-packages/")[-1]
    elif path.startswith(str(ROOT)):
        path = path[len(str(ROOT)) + 1:]
    else:
        path = Path(path).name
    return f"{path}:{frame.f_code.co_qualname}:{frame.f_lineno}"


def is_idle(frame) -> bool:
    """A thread parked in a wait (it holds no GIL and wants no CPU)."""
    return frame.f_code.co_qualname in IDLE_FRAMES


def callback_chain(frame) -> list[str]:
    """The GUI thread's frames below the event loop (outermost first); [] when it is in Qt."""
    chain = []
    while frame is not None and frame.f_code.co_name != "exec_loop":
        chain.append(frame_name(frame))
        frame = frame.f_back
    return list(reversed(chain)) if frame is not None else []


@dataclass
class Sample:
    at: float
    gui: tuple[str, ...]  # the GUI thread's callback chain; () while inside Qt's C++
    kernel: str  # the GUI thread's kernel state, see kernel_state()
    others: tuple[str, ...]  # the innermost frame of each other busy Python thread


class StallSampler(threading.Thread):
    """Samples the GUI thread's stack every 5 ms while the heartbeat is over 30 ms late."""

    def __init__(self, heartbeat: Heartbeat) -> None:
        super().__init__(name="stall-sampler", daemon=True)
        self.heartbeat = heartbeat
        self.gui_ident = threading.get_ident()
        self.samples: list[Sample] = []
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(SAMPLE_EVERY_S):
            now = time.perf_counter()
            if now - self.heartbeat.last > SAMPLE_AFTER_S:
                self.samples.append(self.take(now))

    def take(self, now: float) -> Sample:
        frames = sys._current_frames()
        gui = frames.pop(self.gui_ident, None)
        frames.pop(threading.get_ident(), None)
        others = tuple(sorted(frame_name(f) for f in frames.values() if not is_idle(f)))
        return Sample(now, tuple(callback_chain(gui)), kernel_state(self.heartbeat.task),
                      others)


@dataclass
class Timeline:
    """What happened when: scenario steps and the worker's signals, for labelling gaps."""

    events: list[tuple[float, str]] = field(default_factory=list)

    def mark(self, label: str) -> None:
        self.events.append((time.perf_counter(), label))

    def before(self, at: float) -> str:
        labels = [label for t, label in self.events if t <= at]
        return labels[-1] if labels else "start"


def summarise(gaps_ms: np.ndarray, seconds: float) -> dict:
    """The issue's figures for one stretch of beats."""
    if len(gaps_ms) == 0:
        return {"beats": 0}
    longest, p99 = float(gaps_ms.max()), float(np.percentile(gaps_ms, 99))
    return {"beats": int(len(gaps_ms)), "longest_ms": round(longest, 1),
            "p99_ms": round(p99, 1), "over_100ms": int((gaps_ms > 100).sum()),
            "over_50ms": int((gaps_ms > 50).sum()), "total_s": round(seconds, 1),
            "meets_targets": longest <= TARGET_LONGEST_MS and p99 <= TARGET_P99_MS}


def split_gap(heartbeat: Heartbeat, i: int) -> dict:
    """Gap i (between beats i-1 and i) as GUI-thread time running, waiting for a CPU,
    and blocked or asleep (the GIL, the X server, a lock, or simply no event)."""
    wall = (heartbeat.times[i] - heartbeat.times[i - 1]) * 1000
    ran = (heartbeat.ran_ns[i] - heartbeat.ran_ns[i - 1]) / 1e6
    queued = (heartbeat.queued_ns[i] - heartbeat.queued_ns[i - 1]) / 1e6
    split = {"gap_ms": round(wall, 1), "gui_ran_ms": round(ran, 1),
             "gui_waited_for_cpu_ms": round(queued, 1),
             "gui_blocked_ms": round(max(0.0, wall - ran - queued), 1)}
    if heartbeat.xserver_tasks:
        x_ran = heartbeat.xserver_ran_ns[i] - heartbeat.xserver_ran_ns[i - 1]
        x_queued = heartbeat.xserver_queued_ns[i] - heartbeat.xserver_queued_ns[i - 1]
        split |= {"xserver_ran_ms": round(x_ran / 1e6, 1),
                  "xserver_waited_for_cpu_ms": round(x_queued / 1e6, 1)}
    return split


def samples_in(samples: list[Sample], start: float, end: float) -> list[Sample]:
    return [s for s in samples if start < s.at <= end]


IN_QT = "inside Qt (no Python callback running)"


def describe_stack(samples: list[Sample]) -> dict:
    """The commonest GUI-thread callback chains and kernel states, and the other threads'
    busy frames, in the samples of one gap."""
    gui = Counter(" > ".join(s.gui[-4:]) or IN_QT for s in samples)
    kernel = Counter(s.kernel for s in samples)
    others = Counter(frame for s in samples for frame in s.others)
    return {"samples": len(samples), "gui_thread": gui.most_common(2),
            "gui_kernel_state": kernel.most_common(2), "other_threads": others.most_common(3)}


def stall_indices(times: list[float], start: int) -> list[int]:
    """Beats that came more than STALL_MS after the one before (from beat start on)."""
    return [i for i in range(start + 1, len(times)) if (times[i] - times[i - 1]) * 1000 > STALL_MS]


def explain_longest(heartbeat: Heartbeat, samples: list[Sample], timeline: Timeline,
                    start: int, count: int = 10) -> list[dict]:
    """The longest gaps: when, the GUI thread's time split, what ran before, the stacks."""
    times = heartbeat.times
    longest = sorted(stall_indices(times, start), key=lambda i: times[i - 1] - times[i])
    return [{"at_s": round(times[i - 1] - times[start], 1), **split_gap(heartbeat, i),
             "after": timeline.before(times[i - 1]),
             **describe_stack(samples_in(samples, times[i - 1], times[i]))}
            for i in longest[:count]]


def rank_culprits(heartbeat: Heartbeat, samples: list[Sample], start: int) -> list[dict]:
    """Stalls grouped by the callback the GUI thread was in (the first frame below the
    event loop, most sampled), worst total first, with their innermost frames."""
    times = heartbeat.times
    culprits: dict[str, dict] = {}
    for i in stall_indices(times, start):
        split = split_gap(heartbeat, i)
        found = samples_in(samples, times[i - 1], times[i])
        entry = Counter(s.gui[0] if s.gui else IN_QT for s in found).most_common(1)
        key = entry[0][0] if entry else "not sampled (the sampler thread got no turn)"
        c = culprits.setdefault(key, {"callback": key, "stalls": 0, "stall_ms": 0.0,
                                      "gui_ran_ms": 0.0, "longest_ms": 0.0,
                                      "innermost": Counter(), "kernel": Counter()})
        c["stalls"] += 1
        c["stall_ms"] = round(c["stall_ms"] + split["gap_ms"], 1)
        c["gui_ran_ms"] = round(c["gui_ran_ms"] + split["gui_ran_ms"], 1)
        c["longest_ms"] = max(c["longest_ms"], split["gap_ms"])
        c["innermost"].update(s.gui[-1] for s in found if s.gui)
        c["kernel"].update(s.kernel for s in found)
    ranked = sorted(culprits.values(), key=lambda c: -c["stall_ms"])
    for c in ranked:
        c["innermost"], c["kernel"] = c["innermost"].most_common(3), c["kernel"].most_common(3)
    return ranked


def total_split(heartbeat: Heartbeat, start: int) -> dict:
    """The GUI thread's time split summed over all stalls."""
    totals = Counter()
    for i in stall_indices(heartbeat.times, start):
        totals.update(split_gap(heartbeat, i))
    return {k: round(v, 1) for k, v in totals.items()}


class Scenario:
    """Press Record, queue the files, play speech into the microphone once it listens,
    press Stop when the speech ends; done when every file ended and Live saved."""

    def __init__(self, window, files: list[str], live_audio: str | None,
                 timeline: Timeline) -> None:
        self.window, self.files, self.live_audio = window, files, live_audio
        self.timeline = timeline
        self.step = self.start
        self.player: subprocess.Popen | None = None
        self.live_note = "" if live_audio else "Live skipped (no virtual microphone)"
        self.started = time.perf_counter()

    def start(self) -> None:
        panel = self.window.live_panel
        if self.live_audio:
            panel.start()
            self.timeline.mark(f"Record pressed ({panel.device_box.currentText()})")
        self.window.add_files(self.files)
        self.timeline.mark(f"{len(self.files)} files queued")
        self.step = self.wait_for_listening if self.live_audio else self.wait_for_end

    def wait_for_listening(self) -> None:
        panel = self.window.live_panel
        if panel.state_label.text().startswith("Listening"):
            self.player = subprocess.Popen([str(VIRTUAL_MIC), "play", self.live_audio,
                                            os.environ["HOME"]])
            self.timeline.mark("speech plays into the microphone")
            self.step = self.wait_for_speech_end
        elif not panel.running:
            self.live_note = f"Live failed: {panel.message.text() or panel.state_label.text()}"
            self.step = self.wait_for_end
        elif time.perf_counter() - self.started > 300:
            self.live_note = "Live never started listening within 300 s; stopped"
            panel.stop()
            self.step = self.wait_for_end

    def wait_for_speech_end(self) -> None:
        if self.player.poll() is not None:
            self.window.live_panel.stop()
            self.timeline.mark("Stop pressed")
            self.step = self.wait_for_end

    def wait_for_end(self) -> None:
        if self.done():
            self.step = None

    def done(self) -> bool:
        states = list(self.window.states.values())
        files_ended = len(states) == len(self.files) and all(
            s in ("done", "failed", "refused", "cancelled") for s in states)
        return files_ended and not self.window.live_panel.running


def phase_summaries(times: list[float], start: int, timeline: Timeline) -> dict:
    """The figures of the Live recording (until it was saved) and of the files after it."""
    ends = [t for t, label in timeline.events if label.startswith("Live ")]
    if not ends:
        return {}
    beats = np.array(times[start:])
    gaps = np.diff(beats) * 1000
    live = beats[1:] <= ends[0]
    return {"live_recording": summarise(gaps[live], ends[0] - beats[0]),
            "files_after_live": summarise(gaps[~live], beats[-1] - ends[0])}


def exec_loop(tick: Callable[[], bool], timeout_s: float) -> bool:
    """Run a Qt event loop until tick() says done (checked every 100 ms) or the timeout;
    True when done. Its name marks the event loop in sampled stacks. (A QEventLoop, as
    app.quit() would also close the window.)"""
    from PySide6.QtCore import QEventLoop, QTimer

    deadline = time.perf_counter() + timeout_s
    loop = QEventLoop()
    finished = []

    def check() -> None:
        if tick():
            finished.append(True)
            loop.quit()
        elif time.perf_counter() > deadline:
            loop.quit()

    poll = QTimer()
    poll.setInterval(100)
    poll.timeout.connect(check)
    poll.start()
    loop.exec()
    poll.stop()
    return bool(finished)


def follow_worker(window, timeline: Timeline) -> None:
    """Put the worker's milestones on the timeline."""
    w = window.worker
    w.model_loading.connect(lambda model, *_: timeline.mark(f"loading {model}"))
    w.model_loaded.connect(lambda model, *_: timeline.mark(f"loaded {model}"))
    w.task_started.connect(lambda r: timeline.mark(f"transcribing {Path(r.path).name}"))
    w.task_finished.connect(lambda r: timeline.mark(f"done {Path(r.path).name}"))
    w.task_failed.connect(lambda r: timeline.mark(f"failed {Path(r.path).name}"))
    w.live_finished.connect(lambda _t: timeline.mark("Live saved"))
    w.live_failed.connect(lambda _m: timeline.mark("Live failed"))


def child_main(mode: str, files: list[str], live_audio: str | None) -> dict:
    """Open the window, measure 3 s idle, then the workload; the report of this mode."""
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from grym_desktop.ui.main_window import MainWindow, settings_from_env

    app = QApplication([])
    window = MainWindow(16 * 1024**3, settings_from_env())
    window.show()
    timeline = Timeline()
    follow_worker(window, timeline)
    heartbeat = Heartbeat()
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(BEAT_MS)
    timer.timeout.connect(heartbeat.beat)
    timer.start()
    sampler = StallSampler(heartbeat)
    sampler.start()

    exec_loop(lambda: False, 2.0)  # settle: first paint, devices, history
    heartbeat.clear()
    exec_loop(lambda: False, 3.0)
    idle = np.diff(heartbeat.times) * 1000
    idle_s = heartbeat.times[-1] - heartbeat.times[0]
    busy_from = len(heartbeat.times) - 1
    scenario = Scenario(window, files, live_audio, timeline)

    def tick() -> bool:
        if scenario.step is not None:
            scenario.step()
        return scenario.step is None

    finished = exec_loop(tick, CHILD_TIMEOUT_S - 300)
    timer.stop()
    sampler.stopped.set()
    times = heartbeat.times
    busy = np.diff(times[busy_from:]) * 1000
    report = {"platform": app.platformName(), "finished": finished,
              "states": [str(s) for s in window.states.values()],
              "live": scenario.live_note or "recorded from the virtual microphone",
              "live_transcript": window.live_panel.view.toPlainText()[:200],
              "idle": summarise(idle, idle_s),
              "workload": summarise(busy, times[-1] - times[busy_from]),
              **phase_summaries(times, busy_from, timeline),
              "stall_time_split_ms": total_split(heartbeat, busy_from),
              "longest_gaps": explain_longest(heartbeat, sampler.samples, timeline, busy_from),
              "culprits": rank_culprits(heartbeat, sampler.samples, busy_from),
              "timeline": [(round(t - times[busy_from], 1), label)
                           for t, label in timeline.events]}
    window.close()
    return report


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modes", default="xcb,offscreen",
                        help="comma-separated Qt platforms: xcb (on Xvfb), offscreen")
    parser.add_argument("--burn", action=argparse.BooleanOptionalAction, default=True,
                        help="load every core with a busy loop while measuring (default on)")
    parser.add_argument("--live", action=argparse.BooleanOptionalAction, default=True,
                        help="record in the Live dock from the virtual microphone (default on)")
    parser.add_argument("--xserver-session", choices=("own", "burners"), default="own",
                        help="run Xvfb in a session of its own (default, as on a desktop) or "
                             "in the burners' session, sharing their CPU share")
    parser.add_argument("--short-files", type=int, default=8, help="short clips (default 8)")
    parser.add_argument("--long-seconds", type=float, default=180.0,
                        help="length of the long file made of clips (default 180)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder and logs")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--live-audio", default="", help=argparse.SUPPRESS)
    parser.add_argument("files", nargs="*", help=argparse.SUPPRESS)
    return parser


def main() -> None:
    args = build_parser().parse_args()
    if args.child:
        report = child_main(args.child, args.files, args.live_audio or None)
        print(RESULT_PREFIX + json.dumps(report), flush=True)
    else:
        parent_main(args)


if __name__ == "__main__":
    main()
