import contextlib
import signal
import subprocess
import sys
import time

import psutil
import pytest

from grym_desktop.memory.watchdog import Watchdog

MiB = 1024**2


def own_rss() -> int:
    return psutil.Process().memory_info().rss

HOLD = (
    "import sys, time; block = b'x' * (int(sys.argv[1]) << 20); "
    "print('ready', flush=True); time.sleep(120)"
)


@contextlib.contextmanager
def holding(mib: int):
    """A real process that allocates and touches `mib` MiB, then waits."""
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(mib)], stdout=subprocess.PIPE, text=True
    )
    with child:
        try:
            yield child
        finally:
            child.kill()


@pytest.fixture
def watchdog():
    kills = []
    # The limit is the whole app's: this process (standing for the window) and the host.
    dog = Watchdog(own_rss() + 300 * MiB, on_kill=lambda pid, rss: kills.append((pid, rss)))
    dog.kills = kills
    yield dog
    dog.stop()


def _wait_for(condition, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.01)


def test_a_host_above_the_limit_is_killed(watchdog):
    with holding(400) as child:
        watchdog.watch(child.pid)
        assert child.wait(timeout=60) == -signal.SIGKILL
    pid, app_rss, host_rss = watchdog.killed
    assert pid == child.pid and host_rss > 300 * MiB and app_rss > watchdog.limit
    assert watchdog.kills == [(child.pid, app_rss)]
    assert watchdog.peak_rss >= host_rss and watchdog.peak_app_rss >= app_rss


def test_a_host_under_the_limit_is_left_alone_until_the_limit_drops(watchdog):
    with holding(100) as child:
        assert child.stdout.readline().strip() == "ready"
        watchdog.watch(child.pid)
        _wait_for(lambda: watchdog.peak_rss >= 100 * MiB)
        assert child.poll() is None
        assert watchdog.killed is None and watchdog.kills == []

        watchdog.set_limit(own_rss() + 50 * MiB)
        assert child.wait(timeout=60) == -signal.SIGKILL
        assert watchdog.killed[2] > 50 * MiB


def test_watch_moves_to_the_next_host_and_forgets_the_last_kill(watchdog):
    with holding(400) as first:
        watchdog.watch(first.pid)
        first.wait(timeout=60)
    assert watchdog.killed is not None
    with holding(10) as second:
        assert second.stdout.readline().strip() == "ready"
        watchdog.watch(second.pid)
        assert watchdog.killed is None
        watchdog.reset_peak()
        _wait_for(lambda: watchdog.peak_rss > 0)
        assert watchdog.peak_rss < 300 * MiB
        assert second.poll() is None


def test_the_parents_own_growth_counts_against_the_limit(watchdog):
    # The host alone stays under the limit; the window (this process) growing takes the app
    # over it, and the host is what is stopped.
    with holding(100) as child:
        assert child.stdout.readline().strip() == "ready"
        watchdog.set_limit(own_rss() + 200 * MiB)
        watchdog.watch(child.pid)
        _wait_for(lambda: watchdog.peak_rss >= 100 * MiB)
        assert child.poll() is None
        grown = b"y" * (150 * MiB)
        assert child.wait(timeout=60) == -signal.SIGKILL
        pid, app_rss, host_rss = watchdog.killed
        assert pid == child.pid and host_rss < 200 * MiB and app_rss > watchdog.limit
        del grown
