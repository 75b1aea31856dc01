"""W4: a chain of N operations ``y = y * c`` on a float64 scalar, forward and backward
(N = 100,000; 10,000 in --quick). Measures what a library costs per recorded
operation, how much memory its graph takes, whether time stays linear in N (arraygrad:
N = 1e4, 1e5, 1e6 in full mode) and whether the graph's memory is all given back.

Every measurement runs in a fresh child process (``python -m
benchmarks.workloads.w4_deep_chain LIBRARY N [--traced]``), so that no run inherits
another's heap or allocator caches. The child first times one step and takes the peak
RSS growth over the RSS before it (``benchmarks.memory``; every library's allocations
count), then the RSS once the step's results are dropped. With ``--traced`` (libraries
whose allocations tracemalloc sees: NumPy, arraygrad on NumPy, MyGrad, HIPS autograd) it
then runs a second, untimed step under tracemalloc: its peak, and what is still
allocated once its results are dropped. tracemalloc counts allocations whatever the
allocator reuses, so the first step does not skew it.

Python's cycle collector stays on, as in ordinary use.
"""
from __future__ import annotations

import gc
import json
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

from ..problem import Problem, compare
from ..timing import Stats

KEY = "W4"
C = 1.0000001
LENGTH = {"quick": 10_000, "full": 100_000}
SCALING = (10_000, 100_000, 1_000_000)    # arraygrad[numpy], full mode only
SCALING_LIBRARY = "arraygrad[numpy]"
TRACED = ("numpy", "arraygrad[numpy]", "mygrad", "autograd")
RELEASED_BYTES = 64 * 1024   # what may stay allocated after the step ("released")
SLOW_S = 5.0                 # a library slower than this runs once, not per repeat
REPEATS = {"quick": 1, "full": 3}
ROOT = Path(__file__).resolve().parents[2]   # where ``-m benchmarks...`` imports from


def chain(n: int):
    def forward(ops, x):
        y = x
        for _ in range(n):
            y = y * C
        return y
    return forward


def chain_reference(n: int):
    def reference(xp, x):
        y = x
        for _ in range(n):
            y = y * C
        g = xp.ones_like(x)
        for _ in range(n):
            g = g * C
        return y, [g]
    return reference


def problem(n: int) -> Problem:
    return Problem(KEY, f"chain of {n:,} scalar ops y = y * c, float64, fwd + bwd",
                   [np.array(1.0)], [], chain(n), chain_reference(n), ops_per_call=n)


# -- in the child process -----------------------------------------------------------

def _checked(adapter, n: int, loss, grads) -> str | None:
    """Why the step's results are not the hand-written ones, or None."""
    want_loss, (want_grad,) = problem(n).reference(np, np.array(1.0))
    return compare(np.asarray(adapter.to_numpy(loss)), np.asarray(want_loss)) \
        or compare(np.asarray(adapter.to_numpy(grads[0])), np.asarray(want_grad))


def measure(library: str, n: int, traced: bool) -> dict:
    from .. import libraries, memory, threads
    adapter = libraries.load(library)
    threads.limit_runtime()
    adapter.program(problem(100))()  # imports, caches and first-call costs
    step = adapter.program(problem(n))
    gc.collect()
    rss0 = memory.rss_bytes()
    memory.reset_peak()
    t0 = time.perf_counter()
    loss, grads = step()
    seconds = time.perf_counter() - t0
    result = {"seconds": seconds, "peak_rss_growth": memory.peak_rss_bytes() - rss0}
    why = _checked(adapter, n, loss, grads)
    if why:
        return {"mismatch": why}
    del loss, grads
    gc.collect()
    result["rss_left"] = memory.rss_bytes() - rss0
    if traced:
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        loss, grads = step()
        result["traced_peak"] = tracemalloc.get_traced_memory()[1] - base
        del loss, grads
        gc.collect()
        result["traced_left"] = tracemalloc.get_traced_memory()[0] - base
        tracemalloc.stop()
    return result


# -- in the harness -----------------------------------------------------------------

def run_child(library: str, n: int, traced: bool = False) -> dict:
    cmd = [sys.executable, "-m", __name__, library, str(n)] + (["--traced"] if traced else [])
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"]
        return {"error": lines[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _failure(result: dict) -> str | None:
    if "error" in result:
        return result["error"]
    if "mismatch" in result:
        return f"gradient: {result['mismatch']}"
    return None


def _median(values):
    return float(np.median(values)) if values else None


def _runs(names: list, n: int, repeats: int, trace: bool = True) -> tuple:
    """Interleaved runs, one child each, the first of each library traced (where
    tracemalloc sees it, if ``trace``); a library whose first run takes longer than
    SLOW_S is not repeated. Returns (runs by library, why each failed library failed)."""
    runs = {name: [] for name in names}
    failed = {}
    for r in range(repeats):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            if name in failed or (runs[name] and runs[name][0]["seconds"] > SLOW_S):
                continue
            traced = trace and name in TRACED and not runs[name]
            result = run_child(name, n, traced=traced)
            why = _failure(result)
            if why:
                failed[name] = why
            else:
                runs[name].append(result)
    return runs, failed


def _scaling(session, at_length: list) -> dict:
    """arraygrad[numpy]'s time per op at each of SCALING (the W4 runs reused at their
    length), and what stays allocated after the largest."""
    if session.quick:
        return {"library": SCALING_LIBRARY, "note": "not measured in --quick"}
    if SCALING_LIBRARY not in session.adapters:
        return {"library": SCALING_LIBRARY, "note": "not among the libraries run"}
    times, failures = [], []
    for n in SCALING:
        if n == LENGTH["full"] and at_length:
            runs = at_length
        else:
            by_name, failed = _runs([SCALING_LIBRARY], n, REPEATS["full"],
                                    trace=n == SCALING[-1])
            if failed:
                failures.append(f"N={n}: {failed[SCALING_LIBRARY]}")
                continue
            runs = by_name[SCALING_LIBRARY]
        times.append(Stats.of([r["seconds"] for r in runs], 1).as_dict())
    if failures:
        return {"library": SCALING_LIBRARY, "note": "; ".join(failures)}
    largest = runs[0]   # the largest size's first run, the traced one
    return {"library": SCALING_LIBRARY, "sizes": list(SCALING), "time": times,
            "traced_left_at_largest": largest["traced_left"],
            "traced_peak_at_largest": largest["traced_peak"]}


def run(session) -> dict:
    mode = "quick" if session.quick else "full"
    n = LENGTH[mode]
    names = list(session.adapters)
    runs, failed = _runs(names, n, REPEATS[mode])
    rows = {}
    for name in names:
        if name in failed:
            rows[name] = {"status": "FAILED", "note": failed[name]}
            continue
        seconds = [r["seconds"] for r in runs[name]]
        rows[name] = {"status": "ok", "time": Stats.of(seconds, 1).as_dict(),
                      "peak_rss_growth": _median([r["peak_rss_growth"] for r in runs[name]]),
                      "rss_left": _median([r["rss_left"] for r in runs[name]])}
        if "traced_peak" in runs[name][0]:
            rows[name].update(traced_peak=runs[name][0]["traced_peak"],
                              traced_left=runs[name][0]["traced_left"])
    for name, why in session.skipped.items():
        rows[name] = {"status": "skipped", "note": why}
    at_length = runs.get(SCALING_LIBRARY, [])
    return {KEY: {"title": problem(n).title, "dtype": "float64", "ops_per_call": n,
                  "libraries": rows, "scaling": _scaling(session, at_length),
                  "released_bytes": RELEASED_BYTES}}


def main(argv: list) -> int:
    import argparse
    p = argparse.ArgumentParser(prog=f"python -m {__name__}")
    p.add_argument("library")
    p.add_argument("n", type=int)
    p.add_argument("--traced", action="store_true", help="also a tracemalloc run")
    args = p.parse_args(argv)
    print(json.dumps(measure(args.library, args.n, args.traced)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
