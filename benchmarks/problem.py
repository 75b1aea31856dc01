"""A forward + backward computation, written once for every library.

A workload describes its computation as a ``Problem``: the inputs (NumPy arrays), a
forward written against a small ops namespace that every library provides
(``benchmarks.libraries``), and the hand-written reference: the same forward plus a
backward derived by hand, written against a NumPy-like namespace ``xp`` so that NumPy
and CuPy share it. Every library's gradients are checked against the reference's
before it is timed.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass
class Problem:
    key: str                 # the row's name: "W2-f32"
    title: str               # one line for the tables
    params: list             # NumPy arrays whose gradients are taken and compared
    consts: list             # NumPy arrays held constant
    forward: Callable        # forward(ops, *params, *consts) -> scalar loss
    reference: Callable      # reference(xp, *params, *consts) -> (loss, [gradients])
    sgd_lr: float | None = None  # set: each step ends with p -= sgd_lr * grad (SGD)
    ops_per_call: int = 1    # operations per forward, for per-op figures

    @property
    def dtype(self) -> np.dtype:
        return self.params[0].dtype


# How close a gradient must be to the hand-written one: relative, plus an absolute
# floor scaled to the gradient's largest entry (orders of summation differ between
# BLAS libraries and kernels).
TOLERANCE = {np.dtype("float64"): (1e-7, 1e-9), np.dtype("float32"): (1e-3, 1e-4)}


def compare(got, want) -> str | None:
    """Why ``got`` (a NumPy array) is not ``want``'s gradient, or None if it is."""
    got, want = np.asarray(got), np.asarray(want)
    if got.shape != want.shape:
        return f"shape {got.shape}, expected {want.shape}"
    if got.dtype != want.dtype:
        return f"dtype {got.dtype}, expected {want.dtype}"
    rtol, atol = TOLERANCE[want.dtype]
    scale = float(np.max(np.abs(want))) if want.size else 0.0
    if not np.allclose(got, want, rtol=rtol, atol=atol * max(scale, 1.0)):
        worst = float(np.max(np.abs(got - want)))
        return f"max abs difference {worst:.3g} (largest entry {scale:.3g})"
    return None
