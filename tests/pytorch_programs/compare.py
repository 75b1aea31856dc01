"""Comparing what a program returns under PyTorch and under arraygrad."""
from __future__ import annotations

import math

RTOL, ATOL = 1e-7, 1e-10


def numbers(value):
    """What a program returned, as Python values: tensors (of either library) as
    nested lists, tuples (named ones included) as tuples, lists as lists."""
    if hasattr(value, "detach") and hasattr(value, "tolist"):
        return value.detach().tolist()
    if isinstance(value, dict):
        return {k: numbers(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return (list if isinstance(value, list) else tuple)(numbers(v) for v in value)
    return value


def assert_same(got, want, where="result"):
    """Equal structure, equal flags, ints and strings, floats to RTOL/ATOL."""
    if isinstance(want, float) and not isinstance(got, bool) and isinstance(got, (int, float)):
        assert math.isclose(got, want, rel_tol=RTOL, abs_tol=ATOL) or got == want, \
            f"{where}: {got!r} != {want!r}"
        return
    assert type(got) is type(want), f"{where}: {type(got).__name__} {got!r} != " \
                                    f"{type(want).__name__} {want!r}"
    if isinstance(want, dict):
        assert got.keys() == want.keys(), f"{where}: keys {list(got)} != {list(want)}"
        for k in want:
            assert_same(got[k], want[k], f"{where}[{k!r}]")
    elif isinstance(want, (list, tuple)):
        assert len(got) == len(want), f"{where}: length {len(got)} != {len(want)}"
        for i, (g, w) in enumerate(zip(got, want)):
            assert_same(g, w, f"{where}[{i}]")
    else:
        assert got == want, f"{where}: {got!r} != {want!r}"
