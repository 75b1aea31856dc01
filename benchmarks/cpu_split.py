"""``python -m benchmarks.cpu_split``: where one MLP step's CPU time goes, by the shared
object that spends it: OpenBLAS, NumPy's C core, the Python interpreter, libc.

Times (``python -m benchmarks``) say that arraygrad's W2 step is slower than the
hand-written NumPy one; ``--count`` says that both move the same bytes. This says in
which code the difference is spent. Each library's step runs in a loop in a process of
its own; once the loop is warm, Linux ``perf record`` samples that process for a fixed
window, and the samples, summed by shared object, become microseconds per step:
samples ÷ sampling rate ÷ steps taken in the window.

One BLAS thread by default: with more, OpenBLAS's idle threads spin while the main
thread runs Python, and perf counts the spinning as BLAS time. Needs ``perf`` and the
right to sample one's own processes (``kernel.perf_event_paranoid`` at most 2).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import threads

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_LIBS = ("numpy", "arraygrad[numpy]")
RATE = 4000  # samples per second
# Shared objects grouped by what they are, first match wins (names differ between
# builds: scipy-openblas, libopenblas, MKL; a static Python has no libpython).
GROUPS = (("BLAS", ("blas", "mkl", "blis")),
          ("NumPy's C core", ("_multiarray_umath",)),
          ("Python interpreter", ("libpython", "python3")),
          ("libc (malloc, memcpy)", ("libc.so", "libc-")),
          ("kernel", ("[kernel",)))
_REPORT_LINE = re.compile(r"^\s*[\d.]+%\s+(\d+)\s+(.+?)\s*$")


def _group(dso: str) -> str:
    return next((label for label, parts in GROUPS if any(p in dso for p in parts)), "other")


def _child(lib: str, dtype: str, seconds: float, pid_file: str) -> None:
    """Warm the step up, say the pid, run it for ``seconds``; print the steps' pace."""
    import numpy as np

    from .libraries import load
    from .workloads.w2_mlp import problem
    threads.limit_runtime()
    step = load(lib).program(problem(np.dtype(dtype).type))
    for _ in range(100):
        step()
    Path(pid_file).write_text(str(os.getpid()))
    start, n = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        step()
        n += 1
    print(json.dumps({"us_per_step": (time.perf_counter() - start) / n * 1e6, "steps": n}))


def _sample(lib: str, dtype: str, seconds: float, perf: str) -> dict:
    """One library's µs per step by group, from a ``seconds`` window of perf samples."""
    with tempfile.TemporaryDirectory() as tmp:
        pid_file, data = Path(tmp) / "pid", Path(tmp) / "perf.data"
        child = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.cpu_split", "--child", lib, "--dtype", dtype,
             "--seconds", str(seconds + 2), "--pid-file", str(pid_file)],
            stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[1])
        while not pid_file.exists() or not pid_file.read_text():
            if child.poll() is not None:
                raise SystemExit(f"{lib}: the step's process ended before it was warm")
            time.sleep(0.05)
        time.sleep(0.5)
        subprocess.run([perf, "record", "-q", "-F", str(RATE), "-p", pid_file.read_text(),
                        "-o", str(data), "--", "sleep", str(seconds)],
                       check=True, capture_output=True)
        pace = json.loads(child.communicate()[0].strip().splitlines()[-1])
        report = subprocess.run([perf, "report", "-i", str(data), "--no-children",
                                 "--sort", "dso", "-n", "-q", "-g", "none", "--stdio"],
                                check=True, capture_output=True, text=True).stdout
    steps = seconds * 1e6 / pace["us_per_step"]
    by_group: dict = {}
    for line in report.splitlines():
        match = _REPORT_LINE.match(line)
        if match:
            label = _group(match.group(2))
            by_group[label] = by_group.get(label, 0.0) + int(match.group(1)) / RATE * 1e6 / steps
    return {"us_per_step": pace["us_per_step"], "by_group": by_group}


def markdown(split: dict) -> str:
    libs = list(split["libraries"])
    labels = [label for label, _ in GROUPS] + ["other"]
    head = ["# CPU time of one W2 step, by where it is spent", "",
            f"`{split['command']}` — {split['cpu']}, {split['threads']} BLAS thread(s), "
            f"{split['dtype']}, perf sampling at {RATE} Hz for {split['seconds']} s per "
            f"library, arraygrad commit {split['commit']}. µs of CPU per step; see "
            "`benchmarks/cpu_split.py`.", "",
            "| spent in | " + " | ".join(libs) + (" | difference |" if len(libs) == 2 else " |"),
            "|---|" + "---:|" * (len(libs) + (len(libs) == 2))]
    rows = []
    for label in labels + ["total sampled", "step time (wall)"]:
        if label == "total sampled":
            values = [sum(split["libraries"][lib]["by_group"].values()) for lib in libs]
        elif label == "step time (wall)":
            values = [split["libraries"][lib]["us_per_step"] for lib in libs]
        else:
            values = [split["libraries"][lib]["by_group"].get(label, 0.0) for lib in libs]
        if label == "other" and max(values) < 1:
            continue
        cells = [f"{v:,.0f}" for v in values]
        if len(libs) == 2:
            cells.append(f"{values[1] - values[0]:+,.0f}")
        rows.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(head + rows) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.cpu_split", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--libs", default=",".join(DEFAULT_LIBS))
    p.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seconds", type=float, default=6.0, help="sampling window per library")
    p.add_argument("--out", type=Path, default=RESULTS)
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--pid-file", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        _child(args.child, args.dtype, args.seconds, args.pid_file)
        return 0
    perf = shutil.which("perf")
    if perf is None:
        raise SystemExit("benchmarks.cpu_split needs Linux perf (not found on PATH)")
    threads.apply_environment(args.threads)  # the children inherit it
    from .environment import _commit, _cpu_model
    libs = [n.strip() for n in args.libs.split(",") if n.strip()]
    split = {"command": "python -m benchmarks.cpu_split " + " ".join(
                 sys.argv[1:] if argv is None else argv),
             "cpu": _cpu_model(), "threads": args.threads, "dtype": args.dtype,
             "seconds": args.seconds, "commit": _commit(),
             "libraries": {lib: _sample(lib, args.dtype, args.seconds, perf) for lib in libs}}
    text = markdown(split)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = f"cpu-split-W2-{args.dtype.replace('float', 'f')}"
    (args.out / f"{stem}.md").write_text(text)
    (args.out / f"{stem}.json").write_text(json.dumps(split, indent=1) + "\n")
    print(f"wrote {args.out / (stem + '.md')}, {args.out / (stem + '.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
