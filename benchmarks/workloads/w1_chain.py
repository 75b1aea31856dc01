"""W1: a chain of 1,000 element-wise operations on a 3-element float64 array, forward
and backward. With arrays this small, the time is what each library adds per
operation (recording a node, running its rule), not arithmetic.

The chain repeats eight operations whose composition is the identity (sin, asin, exp,
log, square, sqrt, times 2, times 0.5), so values and gradients stay near 1 however
long it gets, and every rule still counts: a wrong one changes the gradient.
"""
from __future__ import annotations

import numpy as np

from ..compare import run_problems
from ..problem import Problem

KEY = "W1"
OPS = 1000
CYCLE = 8


def forward(ops, x):
    y = x
    for _ in range(OPS // CYCLE):
        y = ops.sin(y)
        y = ops.asin(y)
        y = ops.exp(y)
        y = ops.log(y)
        y = y * y
        y = ops.sqrt(y)
        y = y * 2.0
        y = y * 0.5
    return ops.sum(y)


def reference(xp, x):
    """The chain by hand: each forward keeps what its derivative needs."""
    saved = []
    y = x
    for _ in range(OPS // CYCLE):
        s = xp.sin(y)
        e = xp.exp(xp.arcsin(s))
        ln = xp.log(e)
        r = xp.sqrt(ln * ln)
        saved.append((y, s, e, ln, r))
        y = r * 2.0 * 0.5
    loss = xp.sum(y)
    g = xp.ones_like(y)
    for y0, s, e, ln, r in reversed(saved):
        g = g * 0.5 * 2.0
        g = g / (2.0 * r)
        g = g * (2.0 * ln)
        g = g / e
        g = g * e
        g = g / xp.sqrt(1.0 - s * s)
        g = g * xp.cos(y0)
    return loss, [g]


def problems(quick: bool, size: int = 3) -> list:
    x = np.random.default_rng(1).uniform(0.5, 1.5, size)
    return [Problem(KEY, f"chain of {OPS} element-wise ops on {size} float64, fwd + bwd",
                    [x], [], forward, reference, ops_per_call=OPS)]


def run(session) -> dict:
    return run_problems(problems(session.quick), session)
