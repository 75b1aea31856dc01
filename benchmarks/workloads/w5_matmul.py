"""W5: ``sum(X @ W1 @ W2 @ W3 @ W4)`` with 1024x1024 float32 matrices (512x512 in
--quick), forward and backward (gradients of the four W; X is constant): 4 + 7 matrix
products, so the time is the BLAS's, and any copy or transpose the autograd layer adds
shows."""
from __future__ import annotations

import numpy as np

from ..compare import run_problems
from ..problem import Problem

KEY = "W5"
SIZE = {"quick": 512, "full": 1024}   # --quick: an eighth of the work


def forward(ops, w1, w2, w3, w4, x):
    return ops.sum(x @ w1 @ w2 @ w3 @ w4)


def reference(xp, w1, w2, w3, w4, x):
    a1 = x @ w1
    a2 = a1 @ w2
    a3 = a2 @ w3
    out = a3 @ w4
    loss = xp.sum(out)
    g = xp.ones_like(out)
    dw4 = a3.T @ g
    g = g @ w4.T
    dw3 = a2.T @ g
    g = g @ w3.T
    dw2 = a1.T @ g
    g = g @ w2.T
    dw1 = x.T @ g
    return loss, [dw1, dw2, dw3, dw4]


def problem(size: int = SIZE["full"]) -> Problem:
    rng = np.random.default_rng(5)
    mats = [(rng.standard_normal((size, size)) / np.sqrt(size)).astype(np.float32)
            for _ in range(5)]
    return Problem(KEY, f"four {size}x{size} float32 matmuls, fwd + bwd",
                   mats[:4], mats[4:], forward, reference)


def problems(quick: bool) -> list:
    return [problem(SIZE["quick" if quick else "full"])]


def run(session) -> dict:
    return run_problems(problems(session.quick), session)
