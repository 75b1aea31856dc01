"""Logistic regression on a Dask cluster, on data that never exists whole anywhere.

Each row block of X (float64, 16 features) and of its 0/1 labels is made on a worker
from a seed and the block's index, so a block is the same whenever and wherever it is
made; the labels come from a fixed true weight vector. Nothing is persisted: each step,
the blocks are made, used and dropped on the workers, and only the 16 weights, the
loss and the gradient travel between the host and the cluster. So the size of X is
bounded by time, not memory:

    python examples/distributed_logistic.py                          # small (CI): seconds
    python examples/distributed_logistic.py --rows 300_000_000 --blocks-per-step 16
    python examples/distributed_logistic.py --scheduler tcp://10.0.0.5:8786

``--rows 300_000_000`` is 38 GB of X, in blocks of at most 1,000,000 rows (128 MB):
a worker holds a few blocks at a time. Without ``--scheduler`` the example starts a
``LocalCluster`` of ``--workers`` processes with one thread each; with it, it uses the
cluster behind that scheduler as it is.

Two ways to train (``--mode``):

* ``helper`` (default): ``arraygrad.distributed.value_and_grad`` runs the loss of each
  row block on its worker and sums values and gradients in a tree; the weights stay
  on the host as a NumPy-backed tensor. ``--blocks-per-step k`` picks k random blocks
  each step: minibatch SGD that moves no data.
* ``lazy``: issue 14's loop as a user writes it (X and y Dask-backed tensors, w
  NumPy-backed, ``loss.backward()``, ``opt.step()``): Dask takes the NumPy-backed
  weights in, and backward computes their gradient and the loss in one pass.

It prints, each step, the loss, rows per second and the peak memory of the busiest
worker process so far (its peak resident set, which Linux keeps for each process; "n/a"
on workers without Linux's /proc).
"""
from __future__ import annotations

import argparse
import contextlib
import functools
import math
import time

import dask.array as da
import numpy as np

import arraygrad as ag
import arraygrad.distributed

FEATURES = 16
SEED = 0
MAX_CHUNK_ROWS = 1_000_000


# -- the data, made on the workers ------------------------------------------------

def true_weights(features: int = FEATURES, seed: int = SEED) -> np.ndarray:
    """The weights the labels are drawn from."""
    return np.random.default_rng([seed, 2**31]).normal(size=features)


def _x_block(block_info=None, *, seed):
    """Row block i of X: standard normal, from the generator seeded by (seed, i)."""
    info = block_info[None]
    rng = np.random.default_rng([seed, info["chunk-location"][0]])
    return rng.standard_normal(info["chunk-shape"])


def _y_block(x, w_true, block_info=None, *, seed):
    """The labels of one row block: 1 with probability sigmoid(x @ w_true)."""
    rng = np.random.default_rng([seed, block_info[0]["chunk-location"][0], 1])
    p = 1.0 / (1.0 + np.exp(-(x @ w_true)))
    return (rng.random(len(x)) < p).astype(np.float64)


def make_data(rows: int, features: int = FEATURES, chunk_rows: int | None = None,
              seed: int = SEED):
    """X (rows x features, float64) and y (rows, 0.0 or 1.0) as lazy Dask arrays whose
    blocks are made where they are used. ``chunk_rows`` defaults to an eighth of the
    rows, at most 1,000,000 (128 MB of X at 16 features)."""
    if chunk_rows is None:
        chunk_rows = min(MAX_CHUNK_ROWS, math.ceil(rows / 8))
    chunks = da.core.normalize_chunks((chunk_rows, features), (rows, features))
    X = da.map_blocks(functools.partial(_x_block, seed=seed), chunks=chunks,
                      dtype=np.float64, meta=np.empty((0, 0)))
    y = X.map_blocks(functools.partial(_y_block, seed=seed), true_weights(features, seed),
                     drop_axis=1, dtype=np.float64, meta=np.empty((0,)))
    return X, y


# -- the loss and the two training loops ------------------------------------------

def block_loss(w, X, y, *, n):
    """The logistic loss of one row block, as its share of the mean over n rows."""
    z = X @ w
    return ag.sum(ag.log1p(ag.exp(-z)) + (1 - y) * z) / n


def train_helper(X, y, steps: int, lr: float = 2.0, blocks_per_step: int | None = None,
                 seed: int = SEED):
    """SGD with ``arraygrad.distributed.value_and_grad``; yields (step, loss, gradient,
    rows used) after each step. With ``blocks_per_step``, each step uses that many row
    blocks drawn at random (without replacement) and the mean over their rows."""
    w = ag.zeros(X.shape[1], requires_grad=True)
    opt = ag.optim.SGD([w], lr=lr)
    row_blocks = X.chunks[0]
    rng = np.random.default_rng([seed, 2**32])
    for step in range(steps):
        blocks = None
        rows = X.shape[0]
        if blocks_per_step is not None:
            blocks = sorted(rng.choice(len(row_blocks), blocks_per_step, replace=False))
            rows = sum(row_blocks[b] for b in blocks)
        loss, (grad,) = ag.distributed.value_and_grad(
            functools.partial(block_loss, n=rows), [w], X, y, blocks=blocks)
        w.grad = grad
        opt.step()
        yield step, loss.item(), grad, rows


def train_lazy(X, y, steps: int, lr: float = 2.0):
    """Issue 14's loop (item 1), as a user writes it, on Dask arrays X and y; yields
    (step, loss, gradient, rows used) where the issue prints. The parameters are made
    on the current backend: NumPy unless told otherwise."""
    X, y = ag.asarray(X), ag.asarray(y)                              # dask backend
    w = ag.zeros(X.shape[1], requires_grad=True)                     # numpy backend
    opt = ag.optim.SGD([w], lr=lr)
    for step in range(steps):
        opt.zero_grad()
        z = X @ w
        loss = ag.mean(ag.log1p(ag.exp(-z)) + (1 - y) * z)
        loss.backward()  # the Dask work runs on the cluster; w.grad is a NumPy-backed tensor
        opt.step()
        yield step, loss.item(), w.grad, X.shape[0]   # the issue: print(step, loss.item())


# -- the cluster and its memory ---------------------------------------------------

@contextlib.contextmanager
def connect(scheduler: str | None = None, workers: int = 2, memory_limit="auto"):
    """A ``distributed.Client``: of the cluster at ``scheduler``, or of a new
    ``LocalCluster`` of ``workers`` processes with one thread each (closed on exit)."""
    from distributed import Client, LocalCluster
    if scheduler is not None:
        with Client(scheduler) as client:
            yield client
        return
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=None, memory_limit=memory_limit) as cluster, \
            Client(cluster) as client:
        yield client


def _reset_peak_rss() -> None:
    """Linux: writing 5 to /proc/self/clear_refs resets the process's peak RSS."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:  # not Linux, or not allowed: the peak then counts from the start
        pass


def _peak_rss() -> int | None:
    """The process's peak resident set in bytes (Linux's VmHWM), None without /proc."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


class WorkerMemory:
    """The peak resident memory of each worker process since ``reset()``.

    The kernel tracks each process's peak itself, so no sampling can miss a short
    spike; ``peak()`` asks every worker for its own. A worker that restarted since
    counts from its restart."""

    def __init__(self, client):
        self.client = client

    def reset(self) -> None:
        self.client.run(_reset_peak_rss)

    def peak(self) -> dict:
        return self.client.run(_peak_rss)

    def max_mib(self) -> str:
        """The busiest worker's peak, for printing."""
        peaks = [p for p in self.peak().values() if p is not None]
        return f"{max(peaks) / 2**20:.0f} MiB" if peaks else "n/a"


# -- the command line ---------------------------------------------------------------

def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=200_000)
    p.add_argument("--chunk-rows", type=int, default=None,
                   help="rows per block (default: rows/8, at most 1,000,000)")
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--lr", type=float, default=2.0)
    p.add_argument("--blocks-per-step", type=int, default=None,
                   help="random row blocks per step (default: all, full-batch)")
    p.add_argument("--mode", choices=("helper", "lazy"), default="helper")
    p.add_argument("--workers", type=int, default=2, help="LocalCluster worker processes")
    p.add_argument("--scheduler", default=None,
                   help="address of a running scheduler, instead of a LocalCluster")
    args = p.parse_args(argv)
    X, y = make_data(args.rows, chunk_rows=args.chunk_rows)
    if args.blocks_per_step is not None:
        if args.mode == "lazy":
            p.error("--blocks-per-step needs --mode helper")
        if not 1 <= args.blocks_per_step <= X.numblocks[0]:
            p.error(f"--blocks-per-step must be between 1 and the {X.numblocks[0]} blocks")

    with connect(args.scheduler, args.workers) as client:
        memory = WorkerMemory(client)
        workers = len(client.scheduler_info()["workers"])
        print(f"cluster: {workers} workers at {client.scheduler.address}"
              + ("" if args.scheduler else " (LocalCluster, processes, 1 thread each)"))
        print(f"X: {args.rows:,} x {FEATURES} float64 ({X.nbytes / 1e9:.2f} GB) in "
              f"{X.numblocks[0]} blocks of up to {X.chunks[0][0]:,} rows, made on the "
              f"workers; mode {args.mode}")
        memory.reset()
        steps = (train_helper(X, y, args.steps, args.lr, args.blocks_per_step)
                 if args.mode == "helper" else train_lazy(X, y, args.steps, args.lr))
        rows_total, seconds = 0, 0.0
        start = time.perf_counter()
        for step, loss, _, rows in steps:
            step_seconds = time.perf_counter() - start
            rows_total += rows
            seconds += step_seconds
            print(f"step {step + 1:3d}  loss {loss:.6f}  {rows / step_seconds:12,.0f} rows/s"
                  f"  peak worker memory {memory.max_mib()}")
            start = time.perf_counter()  # the memory query is not the next step's time
        print(f"done: {rows_total:,} rows in {seconds:.1f} s of steps "
              f"({rows_total / seconds:,.0f} rows/s); peak worker memory "
              f"{memory.max_mib()} (the busiest of {workers} workers)")


if __name__ == "__main__":  # the LocalCluster's worker processes import this file too
    main()
