"""``python -m benchmarks``: run the workloads, check, time, and write the results.

    python -m benchmarks                        # full run (about 10 minutes, 2 cores)
    python -m benchmarks --quick                # about a minute: results-quick.*
    python -m benchmarks --only W1,W3 --libs numpy,arraygrad[numpy],torch
    python -m benchmarks --count                # W2's array work, call by call: count-W2.*
"""
from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from . import count, environment, report, targets, threads
from .libraries import CPU_LIBRARIES, GPU_LIBRARIES
from .session import SETTINGS, Session
from .targets import STATISTICS
from .workloads import WORKLOADS

DEFAULT_OUT = Path(__file__).resolve().parent / "results"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="few repeats, W4 at 1e4 ops, no 1e6 scaling; writes results-quick.*")
    p.add_argument("--only", help="comma-separated workloads: " + ",".join(WORKLOADS))
    p.add_argument("--libs",
                   help="comma-separated libraries (default: " + ",".join(CPU_LIBRARIES)
                        + "; on a GPU: " + ",".join(GPU_LIBRARIES) + "; with --count: "
                        + ",".join(count.DEFAULT_LIBS) + ")")
    p.add_argument("--baseline", default="numpy", choices=("numpy", "cupy"),
                   help="hand-written library the ratios divide by (default: numpy)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    p.add_argument("--name", help="output file stem (default: results, or results-quick)")
    p.add_argument("--statistic", default="median", choices=STATISTICS,
                   help="what the targets compare: the median (default), or the fastest "
                        "sample, for a machine that other work shares")
    p.add_argument("--threads", type=int, default=2,
                   help="threads for every library (default: 2; set before the imports)")
    p.add_argument("--count", action="store_true",
                   help="count the array work of one step, call by call (bytes read and "
                        "written), instead of timing; --only defaults to "
                        + ",".join(count.DEFAULT_WORKLOADS) + "; writes count-<workload>.*")
    return p


def _split(text: str) -> list:
    return [part.strip() for part in text.split(",") if part.strip()]


def _workloads(only: str | None) -> list:
    if not only:
        return list(WORKLOADS)
    by_lower = {k.lower(): k for k in WORKLOADS}
    unknown = [w for w in _split(only) if w.lower() not in by_lower]
    if unknown:
        raise SystemExit(f"unknown workload(s) {', '.join(unknown)}; "
                         f"known: {', '.join(WORKLOADS)}")
    return [by_lower[w.lower()] for w in _split(only)]


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    if args.count:
        return count.main(args, argv, _workloads(args.only or ",".join(count.DEFAULT_WORKLOADS)))
    keys = _workloads(args.only)
    names = _split(args.libs or ",".join(CPU_LIBRARIES))
    if args.baseline not in names:
        names.insert(0, args.baseline)
    try:
        session = Session.load(names, quick=args.quick, baseline=args.baseline)
    except ValueError as exc:
        raise SystemExit(str(exc)) from None
    threads.limit_runtime()
    if args.baseline not in session.adapters:
        raise SystemExit(f"the baseline {args.baseline} cannot run here: "
                         f"{session.skipped[args.baseline]}")
    for name, why in session.skipped.items():
        print(f"skipped {name}: {why}")
    started, load_start, t0 = datetime.now(timezone.utc), environment.load_average(), \
        time.perf_counter()
    results, durations = {}, {}
    for key in keys:
        t = time.perf_counter()
        print(f"{key} ...", end=" ", flush=True)
        results.update(WORKLOADS[key].run(session))
        durations[key] = round(time.perf_counter() - t, 1)
        print(f"{durations[key]:.0f} s", flush=True)
    mode = "quick" if args.quick else "full"
    everything = {
        "mode": mode, "command": " ".join(["python -m benchmarks"] + (argv or sys.argv[1:])),
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "duration_s": round(time.perf_counter() - t0, 1), "durations_s": durations,
        "load_start": load_start, "load_end": environment.load_average(),
        "baseline": args.baseline, "statistic": args.statistic, "settings": SETTINGS[mode],
        "environment": environment.describe(),
        "libraries": {"run": list(session.adapters), "skipped": session.skipped},
        "workloads": results, "targets": targets.evaluate(results, args.baseline, args.statistic)}
    name = args.name or ("results-quick" if args.quick else "results")
    paths = report.write(everything, args.out, name)
    print(report.markdown(everything))
    print("wrote " + ", ".join(str(p) for p in paths))
    return 0
