"""A sample of the decode fuzzing of bench/fuzz_decode.py: every mutation on every seed format
decodes or raises the typed input error, in a process of its own, without crashing, hanging
or passing the memory cap."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import fuzz_decode  # noqa: E402

pytestmark = pytest.mark.integration

SAMPLE = len(fuzz_decode.SEEDS) * len(fuzz_decode.MUTATIONS)  # each pair once


def test_mutated_files_decode_or_raise_the_typed_error(tmp_path):
    outcomes = fuzz_decode.fuzz_decode(tmp_path, SAMPLE, seed=1)
    assert len(outcomes) == SAMPLE
    failures = [o for o in outcomes if o.outcome not in ("decoded", "typed error")]
    assert failures == []
    # The sample really exercises the error paths, and the untouched formats still decode.
    assert sum(o.outcome == "typed error" for o in outcomes) >= 5
    assert sum(o.outcome == "decoded" for o in outcomes) >= 5


def test_the_mutations_are_the_same_every_run():
    first = list(fuzz_decode.mutants(10, seed=3))
    assert first == list(fuzz_decode.mutants(10, seed=3))
    assert first != list(fuzz_decode.mutants(10, seed=4))
    originals = {p.read_bytes() for p in fuzz_decode.SEEDS}
    assert not any(data in originals for _, data in first), "every file is mutated"
