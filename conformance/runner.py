"""Runs the cases over backends and dtypes, and writes the op x backend matrix."""
from __future__ import annotations

import argparse
import html
import multiprocessing
import os
import platform
import sys
import importlib.util
import time
import traceback
import zlib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field


DEFAULT_BACKENDS = ("numpy", "array_api_strict", "torch", "jax", "dask", "cupy")
DEFAULT_DTYPES = ("float64", "complex128")
DEFAULT_EXAMPLES = 3
# Where a run writes its report unless told (--report): an ignored folder, so that a
# test run leaves the clone clean. The committed reports in conformance/reports/ are
# written there on purpose (--report conformance/reports).
REPORT_DIR = os.path.join(os.path.dirname(__file__), "runs")


def _enable_jax_x64():
    try:
        import jax
    except ImportError:
        return
    jax.config.update("jax_enable_x64", True)


@dataclass
class Cell:
    status: str = "pass"       # pass | FAIL | known bug | n/a | not run
    excess: float = 0.0        # the largest error over its tolerance (1 = at the tolerance)
    where: str = ""            # which check, dtype and example gave it
    reason: str = ""
    examples: int = 0
    notes: list = field(default_factory=list)   # dtypes beyond the standard it refused

    def fail(self, excess, where):
        if self.status == "n/a":
            self.status = "pass"
            self.reason = ""
        self.status = "FAIL"
        if excess >= self.excess:
            self.excess, self.where = excess, where

    def known_bug(self, excess, where, why):
        if self.status in ("pass", "n/a"):
            self.status, self.reason = "known bug", why
            self.excess, self.where = excess, where

    def note(self, excess, where):
        if self.status in ("pass",) and excess >= self.excess:
            self.excess, self.where = excess, where

    def text(self) -> str:
        if self.status == "pass":
            return "pass" + (f" ({'; '.join(self.notes)})" if self.notes else "")
        if self.status == "FAIL":
            return f"FAIL ({self.where}; error {self.excess:.3g}x tol)" if self.excess != float("inf") \
                else f"FAIL ({self.where})"
        if self.status == "known bug":
            return f"known bug ({self.where}; error {self.excess:.3g}x tol): {self.reason}"
        return f"{self.status}: {self.reason}"


def _last_frame(exc):
    """The innermost frame in arraygrad or conformance (else the innermost)."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/arraygrad/" in f.filename or "/conformance/" in f.filename]
    return (ours or frames)[-1]


def _backend_state(name):
    """None if usable, else the reason it is not run."""
    import arraygrad as ag
    profile = ag.backend.profiles()[name] if hasattr(ag.backend, "profiles") else {}
    try:
        ag.backend.get_backend(name)
    except Exception as exc:  # BackendUnavailable, a missing GPU, …
        if profile.get("needs_gpu") and isinstance(exc.__cause__, ImportError):
            return f"{name} not installed"
        if profile.get("needs_gpu"):
            return "no NVIDIA GPU / CUDA here"
        return f"{type(exc).__name__}: {exc}"[:80]
    return None


def run(backends, dtypes, examples, *, registry=None, only=None, seed=0, progress=True,
        out=sys.stdout, jobs=1, torch_device="", every_backend=False, first_order=False):
    """The matrix: {function: {backend: Cell}}, the functions without a case, and the
    not-run reasons per backend. With ``jobs`` > 1 the functions are shared among that
    many worker processes (each function's row is independent of the others). A
    backend whose profile sets ``conformance_examples`` runs at most that many of the
    ``examples`` unless ``every_backend``; ``first_order`` leaves out every
    second-derivative check."""
    # Also without the jax backend: jax.vjp is a reference, and it computes in float32
    # unless asked for float64 first.
    _enable_jax_x64()
    from arraygrad.ops.registry import differentiable_functions
    from .cases import CASES

    registry = differentiable_functions() if registry is None else registry
    missing = sorted(set(registry) - set(CASES))
    names = [n for n in registry if n in CASES and (not only or n in only)]
    not_run = {b: _backend_state(b) for b in backends}
    task = (backends, not_run, dtypes, examples, seed, every_backend, first_order)
    if jobs > 1 and len(names) > jobs:
        # Spawned, not forked: JAX and torch run threads that a fork would copy mid-flight.
        pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_worker_setup, initargs=(torch_device,))
        rows = pool.map(_row, names, [task] * len(names))
    else:
        pool = None
        rows = (_row(name, task) for name in names)
    matrix = {}
    try:
        for idx, (name, (row, seconds)) in enumerate(zip(names, rows), 1):
            matrix[name] = row
            if progress:
                cells = " ".join(f"{b}={row[b].status}" for b in backends)
                print(f"[{idx:3d}/{len(names)}] {name:18s} {seconds:5.1f}s  {cells}",
                      file=out, flush=True)
    finally:
        if pool is not None:
            pool.shutdown()
    return matrix, missing, not_run


def _worker_setup(torch_device):
    _enable_jax_x64()
    if torch_device:
        import torch
        torch.set_default_device(torch_device)


def _row(name, task):
    """One function's row of the matrix, and the seconds it took."""
    import arraygrad as ag
    from . import check, draws
    from .cases import CASES, JAX_SKIPPED, KNOWN_BUGS

    backends, not_run, dtypes, examples, seed, every_backend, first_order = task
    live = [b for b in backends if not_run[b] is None]
    profiles = {b: ag.backend.get_backend(b).profile for b in live}
    # The examples each backend runs: all, or for a capped backend a rotating choice (by
    # the function's name), so that across functions it meets every edge shape too.
    offset = zlib.crc32(name.encode()) % max(examples, 1)
    runs_on = {b: {(offset + j) % examples for j in range(
        examples if every_backend else examples_on(profiles[b], examples))} for b in live}
    # Second derivatives everywhere, but by default not where the profile says they cost
    # too much (JAX: compiling the create_graph backward's operations; Dask: graphs of graphs).
    second_order = {b: not first_order and (
        every_backend or profiles[b].get("conformance_second_order", True)) for b in live}
    have_torch = importlib.util.find_spec("torch") is not None
    have_jax = importlib.util.find_spec("jax") is not None
    case = CASES[name]
    row = {b: Cell(status="not run", reason=not_run[b]) for b in backends if b not in live}
    row.update({b: Cell() for b in live})
    gaps = {b: profiles[b].get("known_gaps", {}).get(name) for b in live}
    for b, why in gaps.items():
        if why:
            row[b] = Cell(status="n/a", reason=why)
    active = [b for b in live if not gaps[b]]
    ran_any = {b: False for b in active}
    t0 = time.perf_counter()
    for dtype in dtypes:
        cplx = dtype.startswith("complex")
        if (cplx and not case.complex) or (not cplx and not case.real):
            continue
        drawn = draws.examples(lambda draw, k: case.gen(draw, k, cplx), examples,
                               seed=zlib.crc32(f"{seed} {name} {dtype}".encode()))
        for k, args in enumerate(drawn):
            where0 = f"{dtype} ex{k}"
            try:
                if isinstance(args, Exception):
                    raise args
                ref = check.Reference(case, args, dtype, seed=[seed, k, zlib.crc32(name.encode()) + 1],
                                      want_hvp=not case.linear)
            except Exception as exc:
                for b in active:
                    row[b].fail(float("inf"), f"{where0} reference on numpy: "
                                f"{type(exc).__name__}: {exc}"[:160])
                continue
            torch_grads = None
            if case.torch and have_torch:
                try:
                    torch_grads, _ = check.torch_vjp(case, ref, dtype)
                except Exception:
                    torch_grads = None
            jax_grads = None
            # jax.vjp compiles as JAX does: by default it is asked on the rotating example.
            if case.torch and have_jax and name not in JAX_SKIPPED and (
                    every_backend or k == offset):
                try:
                    jax_grads, _ = check.jax_vjp(case, ref, dtype)
                except Exception:
                    jax_grads = None
            # A reference that disagrees with finite differences is wrong itself there
            # (JAX's boxcox gradient at lambda = 1e-38, NaN in its boxcox1p and expn
            # gradients): it is noted and not compared, rather than failing arraygrad.
            for label, grads in (("torch.autograd", torch_grads), ("jax.vjp", jax_grads)):
                if grads is not None and not check.fd_excess(grads, ref, dtype) <= 1.0:
                    note = f"{label} disagrees with finite differences at {where0}; not compared"
                    for b in active:
                        row[b].notes.append(note)
                    if label == "torch.autograd":
                        torch_grads = None
                    else:
                        jax_grads = None
            numpy_grads = None
            order = sorted(active, key=lambda b: b != "numpy")
            for b in order:
                if k not in runs_on[b]:
                    continue
                try:
                    results, grads = check.check_example(
                        case, b, dtype, ref, None if b == "numpy" else numpy_grads,
                        torch_grads, profiles[b], jax_grads, second_order=second_order[b])
                except (NotImplementedError, TypeError) as exc:
                    kind = "complex" if cplx else "real"
                    if not isinstance(exc, NotImplementedError) and kind not in case.beyond:
                        row[b].fail(float("inf"), f"{where0}: TypeError: {str(exc)[:120]}")
                        continue
                    if kind in case.beyond:
                        note = f"{dtype} n/a: {str(exc).splitlines()[0][:100]}"
                        if note not in row[b].notes:
                            row[b].notes.append(note)
                        continue
                    if row[b].status != "FAIL":
                        row[b].status, row[b].reason = "n/a", str(exc).split("\n")[0][:140]
                    continue
                except Exception as exc:
                    if os.environ.get("CONFORMANCE_TRACEBACK"):
                        traceback.print_exc()
                    tb = _last_frame(exc)
                    row[b].fail(float("inf"), f"{where0}: {type(exc).__name__}: "
                                f"{str(exc)[:120]} at {os.path.basename(tb.filename)}:{tb.lineno}")
                    continue
                ran_any[b] = True
                if b == "numpy":
                    numpy_grads = grads
                row[b].examples += 1
                for what, excess, _ in results:
                    known = KNOWN_BUGS.get((name, dtype, what))
                    if not excess <= 1.0 and known:
                        row[b].known_bug(excess, f"{what}, {where0}", known)
                    elif not excess <= 1.0:
                        row[b].fail(excess, f"{what}, {where0}")
                    else:
                        row[b].note(excess, f"{what}, {where0}")
    for b in active:  # n/a only if no example ran at all
        if row[b].status == "n/a" and ran_any[b]:
            row[b].status = "pass"
    return row, time.perf_counter() - t0


def examples_on(profile, examples: int) -> int:
    """How many of ``examples`` a backend runs by default: its profile's
    ``conformance_examples`` caps it (a JAX or Dask call costs a compilation or a graph,
    so the default run checks one example there, which one rotating with the function;
    ``--examples N`` checks N on all)."""
    return min(examples, profile.get("conformance_examples", examples))


def summary(matrix, backends):
    counts = {b: {"pass": 0, "FAIL": 0, "known bug": 0, "n/a": 0, "not run": 0}
              for b in backends}
    for row in matrix.values():
        for b in backends:
            counts[b][row[b].status] += 1
    return counts


def _examples_text(backends, not_run, examples, every_backend) -> str:
    """How many examples each backend ran, and where second derivatives were left out."""
    if every_backend:
        return f"{examples} examples per function and dtype"
    import arraygrad as ag
    capped = {}
    for b in backends:
        if not_run[b] is None:
            n = examples_on(ag.backend.get_backend(b).profile, examples)
            if n != examples:
                capped.setdefault(n, []).append(b)
    first_order = [b for b in backends if not_run[b] is None and not ag.backend.get_backend(
        b).profile.get("conformance_second_order", True)]
    notes = [f"{n} on {', '.join(bs)}" for n, bs in capped.items()]
    if first_order:
        notes.append(f"no second derivatives on {', '.join(first_order)}")
    return f"{examples} examples per function and dtype" + (
        f" ({'; '.join(notes)})" if notes else "")


def to_markdown(matrix, missing, backends, dtypes, examples, elapsed, title):
    counts = summary(matrix, backends)
    lines = [f"# arraygrad gradient conformance: {title}", "",
             f"{len(matrix)} differentiable functions x {len(backends)} backends; dtypes "
             f"{', '.join(dtypes)}; {examples}; "
             f"{elapsed:.0f} s on {platform.node() or 'this machine'} "
             f"({os.cpu_count()} CPUs, Python {platform.python_version()}).", "",
             "Each cell: the VJP against central finite differences (float64), against the "
             "NumPy backend (the profile's `[tolerance]`), against `torch.autograd` and "
             "`jax.vjp` where they have the function, and a Hessian-vector product against "
             "finite differences of gradients for functions that are not linear. A FAIL "
             "names the check, dtype and example with the largest error, as a multiple of "
             "its tolerance.", ""]
    from .cases import JAX_SKIPPED
    lines += ["Not compared with `jax.vjp`: " + "; ".join(
        f"`{n}` ({why})" for n, why in JAX_SKIPPED.items()) + ".", ""]
    if missing:
        lines += ["**Functions with a gradient rule but no conformance case (FAIL):** "
                  + ", ".join(f"`{m}`" for m in missing), ""]
    lines += ["| backend | pass | FAIL | known bug | n/a | not run |", "|---|---|---|---|---|---|"]
    for b in backends:
        c = counts[b]
        lines.append(f"| {b} | {c['pass']} | {c['FAIL']} | {c['known bug']} | {c['n/a']} "
                     f"| {c['not run']} |")
    lines += ["", "| function | " + " | ".join(backends) + " |",
              "|---|" + "---|" * len(backends)]
    for name, row in matrix.items():
        lines.append(f"| `{name}` | " + " | ".join(row[b].text().replace("|", "\\|")
                                                    for b in backends) + " |")
    return "\n".join(lines) + "\n"


def to_html(matrix, missing, backends, markdown_head):
    colour = {"pass": "#d8f5d0", "FAIL": "#f9c0c0", "known bug": "#f9dcc0", "n/a": "#eeeeee",
              "not run": "#fff3c4"}
    rows = []
    for name, row in matrix.items():
        cells = "".join(f'<td style="background:{colour[row[b].status]}">'
                        f"{html.escape(row[b].text())}</td>" for b in backends)
        rows.append(f"<tr><th>{html.escape(name)}</th>{cells}</tr>")
    head = "".join(f"<th>{html.escape(b)}</th>" for b in backends)
    miss = (f"<p><b>Functions without a case (FAIL):</b> {html.escape(', '.join(missing))}</p>"
            if missing else "")
    intro = "".join(f"<p>{html.escape(l)}</p>" for l in markdown_head if l and not l.startswith("|"))
    return ("<!doctype html><meta charset=utf-8><title>arraygrad conformance</title>"
            "<style>body{font-family:sans-serif}td,th{border:1px solid #ccc;padding:2px 6px;"
            "font-size:13px}table{border-collapse:collapse}</style>"
            f"{intro}{miss}<table><tr><th>function</th>{head}</tr>{''.join(rows)}</table>\n")


def main(argv=None, *, registry=None):
    p = argparse.ArgumentParser(prog="python -m conformance", description=__doc__)
    p.add_argument("--backends", default=",".join(DEFAULT_BACKENDS))
    p.add_argument("--dtypes", default=",".join(DEFAULT_DTYPES),
                   help="complex dtypes run only the functions defined on complex inputs")
    p.add_argument("--examples", type=int, default=None,
                   help="examples per function and dtype on every backend (default: 3, "
                        "capped by a profile's conformance_examples: 1 on JAX and Dask)")
    p.add_argument("--only", default="", help="comma-separated function names")
    p.add_argument("--first-order", action="store_true",
                   help="leave out the second-derivative checks (the test run's single-"
                        "precision pass: its finite differences of gradients are coarse)")
    p.add_argument("--report", default=REPORT_DIR, help="directory for the Markdown and HTML")
    p.add_argument("--name", default="cpu", help="report file name, without extension")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--torch-device", default="",
                   help="torch's default device (cuda: the torch backend and the "
                        "torch.autograd reference run on the GPU)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                   help="worker processes, each taking whole functions (default: one per "
                        "CPU; 1 runs in this process)")
    p.add_argument("--allow-known-bugs", action="store_true",
                   help="exit 0 despite the known bugs listed in cases.KNOWN_BUGS")
    a = p.parse_args(argv)
    backends = [b for b in a.backends.split(",") if b]
    dtypes = [d for d in a.dtypes.split(",") if d]
    only = set(filter(None, a.only.split(",")))
    if a.torch_device:
        import torch
        torch.set_default_device(a.torch_device)
    t0 = time.perf_counter()
    examples = DEFAULT_EXAMPLES if a.examples is None else a.examples
    matrix, missing, not_run = run(backends, dtypes, examples, registry=registry,
                                   only=only, seed=a.seed, progress=not a.quiet, jobs=a.jobs,
                                   torch_device=a.torch_device,
                                   every_backend=a.examples is not None,
                                   first_order=a.first_order)
    elapsed = time.perf_counter() - t0
    md = to_markdown(matrix, missing, backends, dtypes,
                     _examples_text(backends, not_run, examples, a.examples is not None)
                     + ("; first derivatives only" if a.first_order else ""),
                     elapsed, a.name)
    os.makedirs(a.report, exist_ok=True)
    with open(os.path.join(a.report, f"{a.name}.md"), "w") as f:
        f.write(md)
    with open(os.path.join(a.report, f"{a.name}.html"), "w") as f:
        f.write(to_html(matrix, missing, backends, md.split("\n")[:6]))
    print()
    lines = md.split("\n")
    start = lines.index("| backend | pass | FAIL | known bug | n/a | not run |")
    print("\n".join(lines[start:start + 2 + len(backends)]))  # the summary table
    failures = [(n, b, row[b]) for n, row in matrix.items() for b in backends
                if row[b].status == "FAIL"]
    for n, b, cell in failures:
        print(f"FAIL {n} on {b}: {cell.text()}")
    known = [(n, b, row[b]) for n, row in matrix.items() for b in backends
             if row[b].status == "known bug"]
    for n, b, cell in known:
        print(f"KNOWN BUG {n} on {b}: {cell.text()}")
    for m in missing:
        print(f"FAIL {m}: a differentiable function without a conformance case")
    print(f"{len(matrix)} functions, {elapsed:.1f} s; report in "
          f"{os.path.join(a.report, a.name)}.md/.html")
    return 1 if failures or missing or (known and not a.allow_known_bugs) else 0
