"""A model host whose parent is killed leaves at once instead of decoding on for nobody;
a host that hangs is found by its silence and killed."""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import psutil
import pytest
import soundfile as sf
from helpers import DATA

from grym_desktop.audio.decode import SAMPLE_RATE, load_audio

pytestmark = pytest.mark.integration


def busy_host(cli: subprocess.Popen) -> psutil.Process:
    """The CLI's model host once it has loaded its model and is decoding."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        children = [c for c in psutil.Process(cli.pid).children()
                    if "spawn_main" in " ".join(c.cmdline())]
        if children and children[0].cpu_times().user > 2.0:
            return children[0]
        time.sleep(0.1)
    raise AssertionError("the host never started decoding")


def running(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def transcribing(tmp_path) -> subprocess.Popen:
    """`grym-desktop transcribe` started on 40 spoken sentences (a minute and a half)."""
    sentence = load_audio(DATA / "sentence.ogg")
    pause = np.zeros(SAMPLE_RATE, np.float32)
    path = tmp_path / "long.wav"
    sf.write(path, np.concatenate([sentence, pause] * 40), SAMPLE_RATE, subtype="PCM_16")
    return subprocess.Popen([sys.executable, "-m", "grym_desktop", "transcribe", str(path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def test_the_host_exits_within_a_second_of_its_cli_being_killed(tmp_path):
    cli = transcribing(tmp_path)
    try:
        host = busy_host(cli)
        cli.kill()
        killed = time.monotonic()
        while time.monotonic() - killed < 5 and running(host):
            time.sleep(0.02)
        assert not running(host), "the host outlived its parent"
        assert time.monotonic() - killed < 1.0
    finally:
        cli.kill()
        cli.wait()


def test_a_stopped_host_is_killed_and_reported_within_ten_seconds(tmp_path):
    cli = transcribing(tmp_path)
    try:
        host = busy_host(cli)
        host.suspend()  # SIGSTOP: alive but silent
        stopped = time.monotonic()
        _, stderr = cli.communicate(timeout=60)
        took = time.monotonic() - stopped
    finally:
        cli.kill()
        cli.wait()
    assert took < 10.0
    assert cli.returncode != 0
    [line] = stderr.strip().splitlines()
    assert "stopped responding" in line
    assert not running(host), "the stopped host was killed"


def test_a_host_that_dies_is_one_sentence_on_stderr(tmp_path):
    # Nothing may follow the sentence: no leaked-semaphore warning from multiprocessing's
    # resource tracker, no traceback of the dead host.
    cli = transcribing(tmp_path)
    try:
        host = busy_host(cli)
        host.kill()
        _, stderr = cli.communicate(timeout=60)
    finally:
        cli.kill()
        cli.wait()
    assert cli.returncode != 0
    [line] = stderr.strip().splitlines()
    assert line.startswith("grym-desktop: ") and "model host" in line, line
