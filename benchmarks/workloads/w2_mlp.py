"""W2: one SGD step of an MLP 784-256-10 (tanh, softmax cross-entropy), batch 128, in
float32 and in float64: forward, backward, and ``p -= lr * grad`` on every parameter.

Every library computes the same formula: the cross-entropy as a log-sum-exp shifted
by the row maximum, the shift held constant (its gradient is zero in exact
arithmetic), and the label picked by a one-hot product.
"""
from __future__ import annotations

import numpy as np

from ..compare import run_problems
from ..problem import Problem

KEY = "W2"
BATCH, IN, HIDDEN, OUT = 128, 784, 256, 10
LR = 0.1


def forward(ops, w1, b1, w2, b2, x, onehot):
    h = ops.tanh(x @ w1 + b1)
    z = h @ w2 + b2
    s = z - ops.max_const(z, 1)
    per_row = ops.log(ops.sum(ops.exp(s), axis=1)) - ops.sum(onehot * s, axis=1)
    return ops.sum(per_row) / x.shape[0]


def reference(xp, w1, b1, w2, b2, x, onehot):
    n = x.shape[0]
    h = xp.tanh(x @ w1 + b1)
    z = h @ w2 + b2
    s = z - xp.max(z, axis=1, keepdims=True)
    e = xp.exp(s)
    total = xp.sum(e, axis=1, keepdims=True)
    loss = xp.sum(xp.log(total[:, 0]) - xp.sum(onehot * s, axis=1)) / n
    dz = (e / total - onehot) / n
    dw2 = h.T @ dz
    db2 = xp.sum(dz, axis=0)
    da = (dz @ w2.T) * (1 - h * h)
    dw1 = x.T @ da
    db1 = xp.sum(da, axis=0)
    return loss, [dw1, db1, dw2, db2]


def problem(dtype, batch: int = BATCH, sizes=(IN, HIDDEN, OUT)) -> Problem:
    n_in, n_hidden, n_out = sizes
    rng = np.random.default_rng(2)
    x = rng.standard_normal((batch, n_in))
    onehot = np.eye(n_out)[rng.integers(0, n_out, batch)]
    w1 = rng.standard_normal((n_in, n_hidden)) / np.sqrt(n_in)
    b1 = 0.1 * rng.standard_normal(n_hidden)
    w2 = rng.standard_normal((n_hidden, n_out)) / np.sqrt(n_hidden)
    b2 = 0.1 * rng.standard_normal(n_out)
    name = np.dtype(dtype).name
    return Problem(f"{KEY}-{name.replace('float', 'f')}",
                   f"MLP {n_in}-{n_hidden}-{n_out} SGD step, batch {batch}, {name}",
                   [a.astype(dtype) for a in (w1, b1, w2, b2)],
                   [a.astype(dtype) for a in (x, onehot)], forward, reference, sgd_lr=LR)


def problems(quick: bool) -> list:
    return [problem(np.float32), problem(np.float64)]


def run(session) -> dict:
    return run_problems(problems(session.quick), session)
