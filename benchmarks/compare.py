"""Run one ``Problem`` on every library of a session: check each library's loss and
gradients against the hand-written NumPy reference, then time, interleaved, those that
passed. A library whose gradients differ is marked FAILED with the difference, and is
not timed."""
from __future__ import annotations

import numpy as np

from .problem import compare
from .timing import interleaved, loop


def reference_values(problem):
    """The hand-written reference's loss and gradients, on NumPy."""
    arrays = [np.array(a, copy=True) for a in problem.params + problem.consts]
    loss, grads = problem.reference(np, *arrays)
    return np.asarray(loss), [np.asarray(g) for g in grads]


def check(adapter, problem, want) -> tuple:
    """(step, None) if the library's first step matches ``want``, else (None, why)."""
    want_loss, want_grads = want
    try:
        step = adapter.program(problem)
        loss, grads = step()
    except Exception as exc:  # a library that cannot run the problem is reported
        return None, f"{type(exc).__name__}: {exc}"
    loss = np.asarray(adapter.to_numpy(loss))
    why = compare(loss.astype(want_loss.dtype), want_loss)
    if why:
        return None, f"loss: {why}"
    if len(grads) != len(want_grads):
        return None, f"{len(grads)} gradients, expected {len(want_grads)}"
    for i, (got, expected) in enumerate(zip(grads, want_grads)):
        why = compare(adapter.to_numpy(got), expected)
        if why:
            return None, f"gradient {i}: {why}"
    return step, None


def run_problem(problem, session) -> dict:
    """Checked and timed results of every library on ``problem``."""
    want = reference_values(problem)
    rows, steps = {}, {}
    for name, adapter in session.adapters.items():
        step, why = check(adapter, problem, want)
        if step is None:
            rows[name] = {"status": "FAILED", "note": why}
        else:
            rows[name] = {"status": "ok"}
            steps[name] = loop(step)
    for name, why in session.skipped.items():
        rows[name] = {"status": "skipped", "note": why}
    if steps:
        for name, stats in interleaved(steps, **session.settings).items():
            rows[name]["time"] = stats.as_dict()
    return {"title": problem.title, "dtype": str(problem.dtype),
            "ops_per_call": problem.ops_per_call, "libraries": rows}


def run_problems(problems, session) -> dict:
    return {p.key: run_problem(p, session) for p in problems}
