"""W3: ``sum(sin(x) * x + exp(-x**2))`` on 1e6 float64, forward and backward. Large
arrays: the time is the kernels', so this shows what a library's own kernels are worth
against NumPy's (torch's are faster) and whether the autograd layer adds any passes
over memory."""
from __future__ import annotations

import numpy as np

from ..compare import run_problems
from ..problem import Problem

KEY = "W3"
SIZE = 1_000_000


def forward(ops, x):
    return ops.sum(ops.sin(x) * x + ops.exp(-x**2))


def reference(xp, x):
    s = xp.sin(x)
    e = xp.exp(-x**2)
    loss = xp.sum(s * x + e)
    return loss, [xp.cos(x) * x + s - 2.0 * x * e]


def problem(size: int = SIZE) -> Problem:
    x = np.random.default_rng(3).standard_normal(size)
    return Problem(KEY, f"sum(sin(x)*x + exp(-x**2)), {size:.0e} float64, fwd + bwd",
                   [x], [], forward, reference)


def problems(quick: bool) -> list:
    return [problem()]


def run(session) -> dict:
    return run_problems(problems(session.quick), session)
