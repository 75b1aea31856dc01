"""``python -m conformance.clients``: the drop-in reach of arraygrad (and PyTorch) on
SciPy and scikit-learn array-API calls. A report, not a test: the exit status is 0
whenever the sweep ran."""
from __future__ import annotations

import argparse
import os
import sys
import time

os.environ["SCIPY_ARRAY_API"] = "1"   # before anything imports SciPy

from . import libraries, population, report, sweep  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m conformance.clients", description=__doc__)
    p.add_argument("--library", choices=("arraygrad", "torch", "both"), default="both",
                   help="which library to run the calls on (both: torch only if installed)")
    p.add_argument("--backend", default=None,
                   help="arraygrad's backend (default: numpy)")
    p.add_argument("--only", default=None,
                   help="comma-separated substrings of call names")
    p.add_argument("--json", default=None, metavar="PATH", help="write per-call results")
    p.add_argument("--timeout", type=float, default=20.0,
                   help="seconds per library step of a call (the NumPy reference with "
                        f"its finite differences gets {sweep.REFERENCE_FACTOR}x)")
    p.add_argument("--jobs", type=int, default=1, help="worker processes")
    p.add_argument("--list", action="store_true", help="list the calls and exit")
    p.add_argument("--verbose", action="store_true", help="one line per call")
    args = p.parse_args(argv)

    calls = population.population(args.only)
    if args.list:
        for c in calls:
            print(f"{c.group:20s} {c.name}" + (f"   [harness: {c.harness}]" if c.harness else ""))
        print(f"{len(calls)} calls", file=sys.stderr)
        return 0
    if not calls:
        print("no call matches --only", file=sys.stderr)
        return 2
    libs = (["arraygrad", "torch"] if args.library == "both" else [args.library])
    if "torch" in libs and not libraries.torch_installed():
        if args.library == "torch":
            print("torch is not installed", file=sys.stderr)
            return 2
        libs.remove("torch")

    done = [0]

    def progress(name, entry):
        done[0] += 1
        if args.verbose:
            states = "  ".join(f"{l}: {entry.get(l, {}).get('status', '?')}" for l in libs)
            ref = entry.get("reference", {})
            if ref.get("status") not in (None, "ok"):
                states = f"reference {ref.get('status')}: {ref.get('detail', '')}"
            print(f"[{done[0]}/{len(calls)}] {name}: {states}", file=sys.stderr, flush=True)
        elif done[0] % 25 == 0 or done[0] == len(calls):
            print(f"  {done[0]}/{len(calls)} calls", file=sys.stderr, flush=True)

    t0 = time.perf_counter()
    results = sweep.run(calls, libs, backend=args.backend, jobs=args.jobs,
                        timeout=args.timeout, progress=progress)
    seconds = time.perf_counter() - t0
    labels = {"arraygrad": f"arraygrad ({args.backend or 'numpy'} backend)"}
    if "torch" in libs:
        import torch
        labels["torch"] = f"PyTorch {torch.__version__} (requires_grad=True)"
    print(report.render(calls, results, libs, labels, seconds))
    if args.json:
        import numpy, scipy, sklearn
        meta = {"libraries": libs, "backend": args.backend or "numpy",
                "seconds": round(seconds, 1), "scipy": scipy.__version__,
                "sklearn": sklearn.__version__, "numpy": numpy.__version__,
                "only": args.only, "timeout": args.timeout}
        if "torch" in libs:
            meta["torch"] = labels["torch"]
        report.write_json(args.json, calls, results, meta)
    return 0


if __name__ == "__main__":
    sys.exit(main())
