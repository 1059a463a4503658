"""Paired B - A differences with a bootstrap interval over files."""

from __future__ import annotations

import numpy as np
import pytest

from grym_desktop.scoring.paired import PairedDifference, describe, paired_difference


def _shifted(n: int, shift: float, seed: int = 7) -> tuple[list[float], list[float]]:
    """Per-file values that vary a lot between files, and B = A + shift + small noise."""
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.05, 0.6, n)
    b = a + shift + rng.normal(0.0, 0.02, n)
    return list(a), list(b)


def test_interval_contains_the_true_difference_and_narrows_with_more_files():
    few = paired_difference(*_shifted(8, -0.03))
    many = paired_difference(*_shifted(200, -0.03))
    for d in (few, many):
        assert d.ci_low < -0.03 < d.ci_high
        assert d.ci_low <= d.mean_difference <= d.ci_high
    assert many.ci_high - many.ci_low < (few.ci_high - few.ci_low) / 2
    assert many.ci_high < 0  # a real improvement is seen as one


def test_means_and_difference():
    d = paired_difference([0.2, 0.4], [0.1, 0.5])
    assert (d.n, d.mean_a, d.mean_b) == (2, pytest.approx(0.3), pytest.approx(0.3))
    assert d.mean_difference == pytest.approx(0.0)


def test_same_numbers_give_the_same_interval():
    a, b = _shifted(30, 0.01)
    assert paired_difference(a, b) == paired_difference(a, b)
    assert paired_difference(a, b, seed=1) != paired_difference(a, b, seed=2)


def test_no_file_and_one_file():
    assert paired_difference([], []) == PairedDifference(0, None, None, None, None, None)
    one = paired_difference([0.5], [0.25])
    assert (one.n, one.mean_difference, one.ci_low, one.ci_high) == (1, -0.25, None, None)


def test_non_finite_pairs_are_left_out():
    d = paired_difference([0.1, float("nan"), 0.3], [0.2, 0.5, float("inf")])
    assert d.n == 1 and d.mean_difference == pytest.approx(0.1)


def test_lengths_must_match():
    with pytest.raises(ValueError, match="1 and 2"):
        paired_difference([0.1], [0.1, 0.2])
    with pytest.raises(ValueError):
        paired_difference([0.1], [0.1], resamples=0)


def test_many_files_stay_cheap():
    a, b = _shifted(5_000, 0.0)
    d = paired_difference(a, b, resamples=2_000)
    assert d.n == 5_000 and d.ci_low < d.ci_high


def test_describe():
    d = PairedDifference(12, 0.3, 0.279, -0.021, -0.040, -0.003)
    assert describe(d, "points", 100) == "B − A = −2.1 points (95 % CI −4.0 to −0.3, 12 files)"
    assert describe(PairedDifference(1, 0.5, 0.25, -0.25, None, None)) == \
        "B − A = −0.25 (one file: no interval)"
    assert describe(PairedDifference(0, None, None, None, None, None)) == \
        "B − A: no file that both models ran"
    mib = describe(PairedDifference(3, 0, 0, 150 * 2**20, 10 * 2**20, 300 * 2**20), "MiB", 2**-20)
    assert mib == "B − A = 150 MiB (95 % CI 10 to 300, 3 files)"
    assert describe(PairedDifference(2, 0.2, 0.2, -0.0012, -0.0031, 0.0004), "s") == \
        "B − A = −0.0012 s (95 % CI −0.0031 to 0.0004, 2 files)"
    # a difference that rounds to zero has no minus sign
    assert describe(PairedDifference(2, 1.0, 1.0, -0.001, -0.3, 0.3)) == \
        "B − A = 0.00 (95 % CI −0.30 to 0.30, 2 files)"
