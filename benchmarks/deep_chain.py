"""Forward and backward through a chain of N tiny operations on a scalar.

    python benchmarks/deep_chain.py                # N = 1,000,000
    python benchmarks/deep_chain.py --n 100000
    python benchmarks/deep_chain.py --sizes        # 1e4, 1e5, 1e6: time per op
    python benchmarks/deep_chain.py --op alt       # alternate y + 0.5 and y * c
    python benchmarks/deep_chain.py --no-gc        # Python's cycle collector off

A scalar leaf x goes through ``y = y * c`` (c = 1.0000001) N times, then
``y.backward()``; the gradient is checked against the closed form c**N (c**(N/2) for
``--op alt``). This measures what arraygrad adds per operation (one node recorded, one
rule run) and shows that the engine is iterative: no recursion limit, time and memory
linear in N, and the whole graph freed once the last reference to it is dropped.

Every measurement runs in a fresh child process, so no run inherits another's heap:
* time run: forward and backward seconds, and peak RSS growth (getrusage ru_maxrss)
  over the process's RSS before the chain; then the RSS once the graph is dropped;
* memory run (arraygrad only, since tracemalloc sees Python allocations, not torch's):
  tracemalloc's peak during the chain and what stays allocated after the graph is
  dropped. tracemalloc slows everything down, so its run is timed by nobody.
PyTorch eager runs the same chain in the same invocation, when torch is installed.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import time

C = 1.0000001
ADD = 0.5
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _rss_bytes() -> int:
    """The resident set size now (Linux /proc; else the peak, as a stand-in)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return _peak_rss_bytes()


def _peak_rss_bytes() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def _library(impl: str, backend: str):
    if impl == "torch":
        import torch
        torch.set_grad_enabled(True)
        return torch
    sys.path.insert(0, ROOT)
    import arraygrad
    arraygrad.set_backend(backend)
    return arraygrad


def _chain(lib, n: int, op: str):
    x = lib.tensor(1.0, dtype=lib.float64, requires_grad=True)
    y = x
    if op == "mul":
        for _ in range(n):
            y = y * C
    else:
        for i in range(n):
            y = y * C if i % 2 else y + ADD
    return x, y


def _expected(n: int, op: str) -> float:
    return C ** n if op == "mul" else C ** (n // 2)


def child(impl: str, mode: str, n: int, op: str, backend: str, no_gc: bool) -> dict:
    lib = _library(impl, backend)
    _chain(lib, 10, op)[1].backward()  # warm up imports and caches
    gc.collect()
    result = {"impl": impl, "n": n, "op": op}
    if mode == "memory":
        import tracemalloc
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        x, y = _chain(lib, n, op)
        y.backward()
        peak = tracemalloc.get_traced_memory()[1]
        del y
        gc.collect()
        left = tracemalloc.get_traced_memory()[0] - base
        tracemalloc.stop()
        result.update(traced_peak=peak - base, traced_left=left)
        return result
    # The cycle collector stays on, as in ordinary use, unless --no-gc: arraygrad's
    # graph is Python objects that its full collections traverse, PyTorch's is C++.
    if no_gc:
        gc.disable()
    rss0 = _rss_bytes()
    t0 = time.perf_counter()
    x, y = _chain(lib, n, op)
    t1 = time.perf_counter()
    y.backward()
    t2 = time.perf_counter()
    peak = _peak_rss_bytes()
    grad = float(x.grad.item())
    t3 = time.perf_counter()
    del y
    t4 = time.perf_counter()
    gc.enable()
    gc.collect()
    rss_after = _rss_bytes()
    want = _expected(n, op)
    result.update(forward_s=t1 - t0, backward_s=t2 - t1, free_s=t4 - t3,
                  rss_before=rss0, peak_growth=peak - rss0, rss_left=rss_after - rss0,
                  grad=grad, expected=want, rel_error=abs(grad - want) / want)
    return result


def run_child(impl, mode, n, op, backend, no_gc=False) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--child", mode, "--impl", impl,
           "--n", str(n), "--op", op, "--backend", backend] + (["--no-gc"] if no_gc else [])
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        return {"impl": impl, "n": n, "error": (proc.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _mb(b: float) -> str:
    return f"{b / 2**20:8.1f} MB"


def _have_torch() -> bool:
    try:
        import importlib.util
        return importlib.util.find_spec("torch") is not None
    except Exception:
        return False


def report(n: int, op: str, backend: str, with_torch: bool, no_gc: bool) -> bool:
    ok = True
    impls = ["arraygrad"] + (["torch"] if with_torch else [])
    print(f"Chain of {n:,} ops ({'y = y * c' if op == 'mul' else 'y + 0.5, y * c alternately'}) "
          f"on a float64 scalar; arraygrad backend: {backend}; cycle collector "
          f"{'off' if no_gc else 'on'}")
    print(f"{'':14}{'forward s':>10}{'backward s':>11}{'µs/op':>8}{'peak RSS growth':>17}"
          f"{'bytes/op':>9}{'del y s':>8}{'RSS kept after del':>20}  gradient")
    for impl in impls:
        r = run_child(impl, "time", n, op, backend, no_gc)
        label = "arraygrad" if impl == "arraygrad" else "torch eager"
        if "error" in r:
            print(f"{label:14}FAILED: {r['error']}")
            ok = False
            continue
        total = r["forward_s"] + r["backward_s"]
        good = r["rel_error"] < 1e-6
        ok &= good or impl != "arraygrad"
        print(f"{label:14}{r['forward_s']:10.3f}{r['backward_s']:11.3f}{total / n * 1e6:8.2f}"
              f"{_mb(r['peak_growth']):>17}{r['peak_growth'] / n:9.0f}{r['free_s']:8.3f}"
              f"{_mb(r['rss_left']):>20}"
              f"  {r['grad']:.10g} vs c**N {r['expected']:.10g} "
              f"({'ok' if good else 'WRONG'}, rel. error {r['rel_error']:.1e})")
    m = run_child("arraygrad", "memory", n, op, backend)
    if "error" in m:
        print(f"tracemalloc run FAILED: {m['error']}")
        return False
    released = m["traced_left"] < 64 * 1024
    ok &= released
    print(f"arraygrad, tracemalloc run: peak {_mb(m['traced_peak']).strip()} traced "
          f"({m['traced_peak'] / n:.0f} B/op); after `del y`: {m['traced_left']:,} B still "
          f"allocated -> graph {'released' if released else 'NOT released'}")
    return ok


def sweep(op: str, backend: str, with_torch: bool, no_gc: bool) -> bool:
    sizes = [10_000, 100_000, 1_000_000]
    impls = ["arraygrad"] + (["torch"] if with_torch else [])
    print(f"Time per op (forward + backward) as N grows; arraygrad backend: {backend}; "
          f"cycle collector {'off' if no_gc else 'on'}")
    print(f"{'N':>10}" + "".join(f"{i + ' µs/op':>18}{'B/op':>8}" for i in impls))
    ok = True
    for n in sizes:
        row = f"{n:>10,}"
        for impl in impls:
            r = run_child(impl, "time", n, op, backend, no_gc)
            if "error" in r:
                row += f"{'FAILED':>26}"
                ok = False
                continue
            ok &= r["rel_error"] < 1e-6 or impl != "arraygrad"
            row += f"{(r['forward_s'] + r['backward_s']) / n * 1e6:18.2f}{r['peak_growth'] / n:8.0f}"
        print(row)
    return ok


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=1_000_000, help="chain length (default 1,000,000)")
    p.add_argument("--sizes", action="store_true", help="sweep N = 1e4, 1e5, 1e6")
    p.add_argument("--op", choices=("mul", "alt"), default="mul",
                   help="mul: y * c every step; alt: y + 0.5 and y * c alternately")
    p.add_argument("--backend", default=os.environ.get("ARRAYGRAD_BACKEND") or "numpy",
                   help="arraygrad backend (default: $ARRAYGRAD_BACKEND or numpy)")
    p.add_argument("--no-gc", action="store_true",
                   help="switch Python's cycle collector off while timing (default: on)")
    p.add_argument("--no-torch", action="store_true", help="skip the PyTorch eager comparison")
    p.add_argument("--child", choices=("time", "memory"), help=argparse.SUPPRESS)
    p.add_argument("--impl", default="arraygrad", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.impl, args.child, args.n, args.op, args.backend,
                               args.no_gc)))
        return 0
    with_torch = not args.no_torch and _have_torch()
    if not args.no_torch and not with_torch:
        print("(torch is not installed: no PyTorch comparison)")
    ok = sweep(args.op, args.backend, with_torch, args.no_gc) if args.sizes else \
        report(args.n, args.op, args.backend, with_torch, args.no_gc)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
