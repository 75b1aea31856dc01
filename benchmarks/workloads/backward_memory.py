"""Peak memory of a forward + backward step, against the hand-written NumPy step's:
W2 (both dtypes), W3 and W5 at their full sizes.

Measured with tracemalloc, which sees NumPy's array buffers (NumPy reports them to it)
and every Python object: the libraries built on NumPy (arraygrad on NumPy, MyGrad, HIPS
autograd) are measured; torch's and XLA's allocators are invisible to it, so torch,
JAX and arraygrad on torch are not (W4 compares every library by peak RSS instead).
Each step runs once untraced first, so caches and first-call allocations are not
counted; the figure is the traced peak during one step over what was traced before it.
"""
from __future__ import annotations

import gc
import tracemalloc

from ..compare import check, reference_values
from . import w2_mlp, w3_elementwise, w5_matmul

KEY = "backward_memory"
TRACED = ("numpy", "arraygrad[numpy]", "mygrad", "autograd")


def peak_bytes(step) -> int:
    step()
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        result = step()
        peak = tracemalloc.get_traced_memory()[1] - base
        del result
    finally:
        tracemalloc.stop()
    return peak


def run(session) -> dict:
    problems = w2_mlp.problems(session.quick) + w3_elementwise.problems(session.quick) \
        + w5_matmul.problems(session.quick)
    out = {}
    for problem in problems:
        want = reference_values(problem)
        rows = {}
        for name, adapter in session.adapters.items():
            if name not in TRACED:
                rows[name] = {"status": "skipped",
                              "note": "allocations not visible to tracemalloc"}
                continue
            step, why = check(adapter, problem, want)
            if step is None:
                rows[name] = {"status": "FAILED", "note": why}
            else:
                rows[name] = {"status": "ok", "peak_bytes": peak_bytes(step)}
        out[problem.key] = {"title": problem.title, "libraries": rows}
    return {KEY: out}
