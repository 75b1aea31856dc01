"""Memory and time of activation checkpointing: one training step (forward, backward,
SGD update) of a deep tanh MLP on the NumPy backend in float32, without and with
``arraygrad.utils.checkpoint.checkpoint_sequential``.

    python -m benchmarks.checkpoint_memory [--layers 64] [--width 256] [--batch 1024]
                                           [--repeats 5] [--threads 2]

Peak memory is the most that tracemalloc saw allocated during the step (NumPy reports
its array buffers to it), above what existed before the step (parameters, input and
the gradients of a previous step). Time is the median wall-clock time of a few steps
run without tracemalloc, with the BLAS pools at ``--threads`` (as in ``python -m
benchmarks``). The default batch is larger than the width, so that the
activations (batch x width per layer) outweigh the weights (width x width): the
regime where checkpointing pays. With n layers, sqrt(n) segments keep about
2 sqrt(n) activations instead of n, for one more forward.
"""
from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
import tracemalloc

from . import threads

# The BLAS pools read their thread count once, when NumPy is imported.
threads.apply_environment(threads.from_argv(sys.argv[1:]))

import numpy as np  # noqa: E402

import arraygrad as ag  # noqa: E402
from arraygrad.utils.checkpoint import checkpoint_sequential  # noqa: E402


class Layer:
    """tanh(x @ w + b)."""

    def __init__(self, rng, width):
        scale = 1.0 / math.sqrt(width)
        self.w = ag.tensor(rng.standard_normal((width, width), dtype=np.float32) * scale,
                           requires_grad=True)
        self.b = ag.zeros(width, dtype=ag.float32, requires_grad=True)

    def __call__(self, x):
        return ag.tanh(x @ self.w + self.b)


def make_step(layers, x, segments):
    """One training step; ``segments=None`` runs the layers without checkpoints."""
    params = [p for layer in layers for p in (layer.w, layer.b)]
    optimizer = ag.optim.SGD(params, lr=1e-3)

    def step():
        if segments is None:
            h = x
            for layer in layers:
                h = layer(h)
        else:
            h = checkpoint_sequential(layers, segments, x)
        loss = ag.mean(h * h)
        loss.backward()
        optimizer.step()
        return float(loss)
    return step


def peak_bytes(step) -> int:
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    step()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak - base


def seconds(step, repeats) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--layers", type=int, default=64)
    p.add_argument("--width", type=int, default=256)
    p.add_argument("--batch", type=int, default=1024)
    p.add_argument("--repeats", type=int, default=5, help="timed steps per configuration")
    p.add_argument("--threads", type=int, default=2, help="BLAS threads")
    args = p.parse_args(argv)
    ag.set_backend("numpy")
    rng = np.random.default_rng(0)
    layers = [Layer(rng, args.width) for _ in range(args.layers)]
    x = ag.tensor(rng.standard_normal((args.batch, args.width), dtype=np.float32))
    root = math.isqrt(args.layers)
    configs = {"no checkpoint": None, f"{root} segments (sqrt n)": root,
               f"{max(root // 2, 1)} segments": max(root // 2, 1),
               f"{root * 2} segments": min(root * 2, args.layers)}
    activation_mb = args.batch * args.width * 4 / 2**20
    print(f"{args.layers} layers tanh(x @ W + b), width {args.width}, batch {args.batch}, "
          f"float32, NumPy backend, BLAS threads: {args.threads}; one activation is "
          f"{activation_mb:.1f} MB, the weights {args.layers * args.width**2 * 4 / 2**20:.1f} MB")
    rows = []
    for name, segments in configs.items():
        step = make_step(layers, x, segments)
        step()  # the gradients exist from here on, as in training
        rows.append((name, peak_bytes(step) / 2**20, seconds(step, args.repeats)))
    _, base_mb, base_s = rows[0]
    print(f"\n| {'configuration':<22} | peak MB | x peak | time s | x time |")
    print(f"|{'-' * 24}|--------:|-------:|-------:|-------:|")
    for name, mb, s in rows:
        print(f"| {name:<22} | {mb:7.1f} | {mb / base_mb:6.2f} | {s:6.2f} | {s / base_s:6.2f} |")


if __name__ == "__main__":
    main()
