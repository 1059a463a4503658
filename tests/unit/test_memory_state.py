import json
import subprocess
import sys

import psutil
import pytest

from grym_desktop.memory.sampler import take_sample
from grym_desktop.memory.state import LEVELS, compute_budget, pressure_level, read_state

GiB = 1024**3
MiB = 1024**2

HOLD = (
    "import sys, time; block = b'x' * (int(sys.argv[1]) << 20); "
    "print('ready', flush=True); time.sleep(120)"
)


@pytest.fixture
def host_100mb():
    """A real process holding 100 MiB, standing in for the model host."""
    with subprocess.Popen(
        [sys.executable, "-c", HOLD, "100"], stdout=subprocess.PIPE, text=True
    ) as child:
        try:
            assert child.stdout.readline().strip() == "ready"
            yield child
        finally:
            child.kill()


def test_budget_when_the_limit_is_below_ram():
    reserve, budget = compute_budget(4 * GiB, 16 * GiB, 12 * GiB, 1 * GiB)
    assert reserve == int(0.4 * GiB)
    assert budget == 4 * GiB - reserve - 1 * GiB


def test_budget_when_ram_is_below_the_limit():
    reserve, budget = compute_budget(16 * GiB, 8 * GiB, 7 * GiB + GiB // 2, 1 * GiB)
    assert reserve == int(0.8 * GiB)
    assert budget == 8 * GiB - reserve - 1 * GiB


def test_budget_never_exceeds_what_is_available_now():
    reserve, budget = compute_budget(16 * GiB, 32 * GiB, 3 * GiB, 1 * GiB)
    assert reserve == int(1.6 * GiB)
    assert budget == 3 * GiB - reserve


@pytest.mark.parametrize(
    "limit, total, available, used",
    [(100 * MiB, 16 * GiB, 8 * GiB, 95 * MiB), (16 * GiB, 32 * GiB, 1 * GiB, 0)],
)
def test_budget_is_zero_not_negative_when_nothing_is_left(limit, total, available, used):
    assert compute_budget(limit, total, available, used)[1] == 0


@pytest.mark.parametrize(
    "fraction, level",
    [
        (0.0, "normal"),
        (0.4999, "normal"),
        (0.5, "elevated"),
        (0.6999, "elevated"),
        (0.7, "high"),
        (0.7999, "high"),
        (0.8, "warning"),
        (0.8999, "warning"),
        (0.9, "critical"),
        (1.7, "critical"),
    ],
)
def test_pressure_levels_change_at_the_thresholds(fraction, level):
    assert pressure_level(fraction) == level
    assert level in LEVELS


def test_read_state_counts_the_window_and_the_host(host_100mb):
    state = read_state(8 * GiB, host_pid=host_100mb.pid)
    assert state.host_rss >= 100 * MiB
    assert state.gui_rss == pytest.approx(psutil.Process().memory_info().rss, rel=0.2)
    assert state.app_used == state.gui_rss + state.host_rss
    cap = min(8 * GiB, state.total)
    assert (state.reserve, state.budget) == compute_budget(
        8 * GiB, state.total, state.available, state.app_used
    )
    assert state.pressure == pytest.approx(state.app_used / cap)
    assert state.level == pressure_level(state.pressure)
    assert json.loads(json.dumps(state.to_dict()))["app_used"] == state.app_used


def test_read_state_under_a_tiny_limit_is_critical_with_no_budget(host_100mb):
    state = read_state(100 * MiB, host_pid=host_100mb.pid)
    assert state.level == "critical"
    assert state.budget == 0


def test_a_dead_or_absent_host_counts_zero():
    with subprocess.Popen([sys.executable, "-c", "pass"]) as child:
        pass
    assert read_state(8 * GiB, host_pid=child.pid).host_rss == 0
    assert read_state(8 * GiB, host_pid=None).host_rss == 0
    assert take_sample(child.pid).host_rss == 0


def test_sample_sees_the_host_and_the_system(host_100mb):
    sample = take_sample(host_100mb.pid)
    vm = psutil.virtual_memory()
    assert sample.host_rss >= 100 * MiB
    assert sample.gui_rss > 0
    assert sample.system_used + sample.system_available == pytest.approx(vm.total, rel=0.05)
