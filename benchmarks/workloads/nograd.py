"""Per-operation cost with gradients off: an arraygrad operation under ``no_grad``
against the bare backend call it wraps (``a + b``, ``a * b``, ``sin(a)`` on 3
elements, and ``sin`` on 1e5 where the kernel dominates), on the NumPy backend and on
the torch backend. A third figure, the same operation on a tensor that requires grad,
shows what recording a node costs on top.

Each figure comes from ``timeit`` (statements compiled into its loop, so no Python
call of the harness's own is counted; timeit switches the cycle collector off while it
runs, for every contender alike), sampled in the interleaved rounds of
``benchmarks.timing``.
"""
from __future__ import annotations

import timeit

import numpy as np

from ..timing import interleaved

KEY = "no_grad"
CASES = (("add", "a + b", 3), ("mul", "a * b", 3), ("sin", "sin(a)", 3),
         ("sin", "sin(a)", 100_000))
BACKENDS = {"numpy": "arraygrad[numpy]", "torch": "arraygrad[torch]"}


def _arrays(size: int):
    rng = np.random.default_rng(7)
    return rng.standard_normal(size), rng.standard_normal(size)


def _bare(backend: str, size: int):
    a, b = _arrays(size)
    if backend == "torch":
        import torch
        return {"a": torch.from_numpy(a), "b": torch.from_numpy(b), "sin": torch.sin}
    return {"a": a, "b": b, "sin": np.sin}


def _tensors(bare: dict, requires_grad: bool) -> dict:
    import arraygrad as ag
    a = ag.asarray(bare["a"])
    if requires_grad:
        a = a.detach().requires_grad_(True)
    return {"a": a, "b": ag.asarray(bare["b"]), "sin": ag.sin}


def _contender(stmt: str, names: dict, context=None):
    timer = timeit.Timer(stmt, globals=names)
    if context is None:
        return timer.timeit

    def run(number: int) -> float:
        with context():
            return timer.timeit(number)
    return run


def run(session) -> dict:
    import arraygrad as ag
    rows = {}
    for backend, library in BACKENDS.items():
        if library not in session.adapters:
            rows[backend] = {"status": "skipped",
                             "note": session.skipped.get(library, "not among the libraries run")}
            continue
        cases = {}
        for op, stmt, size in CASES:
            bare = _bare(backend, size)
            contenders = {
                "bare": _contender(stmt, bare),
                "no_grad": _contender(stmt, _tensors(bare, False), ag.no_grad),
                "recording": _contender(stmt, _tensors(bare, True)),
            }
            stats = interleaved(contenders, **session.settings)
            cases[f"{op}, {size:,} elements"] = {
                "op": op, "size": size, **{k: s.as_dict() for k, s in stats.items()}}
        rows[backend] = {"status": "ok", "cases": cases}
    return {KEY: {"title": "one op under no_grad vs the bare backend call",
                  "backends": rows}}
