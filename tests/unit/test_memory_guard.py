import pytest

from grym_desktop.errors import MemoryRefusedError
from grym_desktop.memory.estimate import Estimate
from grym_desktop.memory.guard import check_load, refusal_message
from grym_desktop.memory.state import MemoryState, compute_budget, pressure_level

MiB = 1024**2
GiB = 1024**3


def _state(limit, gui_rss, host_rss, total=32 * GiB, available=24 * GiB) -> MemoryState:
    used = gui_rss + host_rss
    reserve, budget = compute_budget(limit, total, available, used)
    pressure = used / min(limit, total)
    return MemoryState(
        limit,
        total,
        available,
        gui_rss,
        host_rss,
        reserve,
        budget,
        pressure,
        pressure_level(pressure),
    )


def _tiny(precision, weights_mib, working_mib=0) -> Estimate:
    return Estimate("whisper-tiny.en", precision, 37_764_864, weights_mib * MiB, working_mib * MiB)


def test_refusal_names_model_estimate_budget_use_and_what_would_not_fit():
    state = _state(100 * MiB, 60 * MiB, 18 * MiB)
    assert state.budget == 12 * MiB
    with pytest.raises(MemoryRefusedError) as info:
        check_load(_tiny("float32", 180, 30), state, [_tiny("int8", 65, 30)])
    assert info.value.exit_code == 4
    assert str(info.value) == (
        "Refused to load whisper-tiny.en (float32): it needs about 210 MiB but the budget is "
        "12 MiB (limit 100 MiB, less a 10 MiB reserve and 78 MiB the app already uses: "
        "window 60 MiB, model host 18 MiB); whisper-tiny.en in int8 (95 MiB) would not fit either."
    )


def test_refusal_says_which_alternative_would_fit():
    state = _state(400 * MiB, 150 * MiB, 100 * MiB)
    with pytest.raises(MemoryRefusedError) as info:
        check_load(
            _tiny("float32", 180, 30), state, [_tiny("int16", 110, 30), _tiny("int8", 65, 30)]
        )
    message = str(info.value)
    assert "it needs about 210 MiB but the budget is 110 MiB" in message
    assert message.endswith("; whisper-tiny.en in int8 (95 MiB) would fit.")
    assert "int16" not in message


def test_a_model_that_fits_is_allowed():
    check_load(_tiny("int8", 65, 30), _state(16 * GiB, 200 * MiB, 0))


def test_refusal_blames_available_memory_when_that_is_the_bound():
    state = _state(16 * GiB, 100 * MiB, 0, total=16 * GiB, available=3 * GiB)
    message = refusal_message(_tiny("float32", 2048), state)
    assert "budget is 1.4 GiB (only 3 GiB is available on this system now" in message


def test_refusal_names_ram_when_it_is_below_the_limit():
    state = _state(16 * GiB, 100 * MiB, 0, total=8 * GiB, available=8 * GiB)
    message = refusal_message(_tiny("float32", 9 * 1024), state)
    assert "8 GiB of RAM, below the 16 GiB limit" in message


def test_critical_pressure_refuses_even_a_model_within_the_budget():
    state = _state(16 * GiB, 1 * GiB, 1 * GiB)
    state.level = "critical"
    with pytest.raises(MemoryRefusedError):
        check_load(_tiny("int8", 65, 30), state)
