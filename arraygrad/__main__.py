"""``python -m arraygrad``: replay PyTorch's autograd tutorial on a backend, then list
the backends arraygrad knows with a quick gradient check of each.

Each cell is printed as ``In [n]:``, its code as a user types it with
``import arraygrad as torch``, and the output it gives. Where the tutorial's output is
deterministic it is checked against what PyTorch printed (only ``0x…`` addresses may
differ); a cell that differs is flagged right under its output.

Exit status: 0 when every cell ran and printed what PyTorch printed and the gradient
check of the replayed backend passed; 1 otherwise; 2 when the backend cannot be used.
"""
from __future__ import annotations

import argparse
import ast
import contextlib
import io
import math
import os
import re
import sys
import traceback
import warnings
from dataclasses import dataclass

NON_LEAF_WARNING = "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed"


@dataclass
class Cell:
    number: int
    code: str
    # What PyTorch printed (None where the cell prints nothing); ``...`` where the
    # output is not checked.
    expected: object = None
    heading: str = ""
    # A warning PyTorch raises in this cell (checked, then routed to stderr).
    warns: str = ""
    # How the check differs from the tutorial's own output, where it does.
    caveat: str = ""


def _cells(backend_name: str) -> list[Cell]:
    doubling = "\n".join([
        "tensor([ 0.5029, -0.5284,  2.5617], grad_fn=<MulBackward0>)",
        "tensor([ 1.0058, -1.0568,  5.1234], grad_fn=<MulBackward0>)",
        "tensor([ 2.0117, -2.1137, 10.2468], grad_fn=<MulBackward0>)",
        "tensor([ 4.0234, -4.2274, 20.4935], grad_fn=<MulBackward0>)",
        "tensor([ 8.0467, -8.4547, 40.9870], grad_fn=<MulBackward0>)",
        "tensor([ 16.0935, -16.9094,  81.9741], grad_fn=<MulBackward0>)",
        "tensor([ 32.1869, -33.8188, 163.9482], grad_fn=<MulBackward0>)",
        "tensor([ 64.3739, -67.6377, 327.8964], grad_fn=<MulBackward0>)",
        "tensor([ 128.7477, -135.2754,  655.7928], grad_fn=<MulBackward0>)",
        "tensor([ 257.4955, -270.5508, 1311.5856], grad_fn=<MulBackward0>)",
    ])
    return [
        Cell(1, f'import arraygrad as torch\ntorch.set_backend("{backend_name}")'),
        Cell(2, "x = torch.tensor(-2.0, requires_grad=True)\n"
                "y = torch.tensor(5.0, requires_grad=True)\n"
                "z = torch.tensor(-4.0, requires_grad=True)",
             heading="Following example in Andrej's lecture (5:20 - 12:00)"),
        Cell(3, "x", "tensor(-2., requires_grad=True)"),
        Cell(4, "q=x+y"),
        Cell(5, "f=z*q"),
        Cell(6, "f.backward()"),
        Cell(7, "print(f.grad)\n"
                "print(q.grad) # Why there is no gradient? because they are not tracked \n"
                "## https://discuss.pytorch.org/t/why-cant-i-see-grad-of-an-intermediate-variable/94\n"
                "## (as in PyTorch, reading .grad of a non-leaf warns: use .retain_grad(); "
                "shown on stderr here)",
             "None\nNone", warns=NON_LEAF_WARNING),
        Cell(8, "# d(f)/dx\nx.grad", "tensor(-4.)"),
        Cell(9, "# d(f)/dy\ny.grad", "tensor(-4.)"),
        Cell(10, "# d(f)/dz\nz.grad", "tensor(3.)"),
        Cell(12, "x = torch.ones(2, 2, requires_grad=True)\nprint(x)",
             "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)",
             heading="Following pytorch tutorial"),
        Cell(13, "y=x+2"),
        Cell(14, "print(y)", "tensor([[3., 3.],\n        [3., 3.]], grad_fn=<AddBackward0>)"),
        Cell(15, "# y was created as a result of an operation, so it has a grad_fn\n"
                 "print(y.grad_fn)", "<AddBackward0 object at 0x7f1cbfab5d68>"),
        Cell(16, "print(x.grad_fn)", "None"),
        Cell(17, "z = y * y * 3\nout = z.mean()"),
        Cell(18, "print(z)", "tensor([[27., 27.],\n        [27., 27.]], grad_fn=<MulBackward0>)"),
        Cell(19, "print(out)", "tensor(27., grad_fn=<MeanBackward0>)"),
        Cell(20, "a = torch.randn(2, 2)\na = ((a * 3) / (a - 1))\nprint(a.requires_grad)",
             "False", caveat="random values, unseeded as in the tutorial: only what it "
                             "prints (requires_grad) is checked"),
        Cell(21, "a.requires_grad_(True)\nprint(a.requires_grad)", "True"),
        Cell(22, "b = (a * a).sum()\nprint(b.grad_fn)", "<SumBackward0 object at 0x7f1d3061b208>"),
        Cell(23, "out.backward()"),
        Cell(24, "# Print gradients d(out)/dx\nprint(x.grad)",
             "tensor([[4.5000, 4.5000],\n        [4.5000, 4.5000]])"),
        # The tutorial drew unseeded numbers; seed 0 (the same numbers on every
        # backend) doubles the same number of times, so cells 26 and 27 print exactly
        # what the tutorial printed. These ten lines are what PyTorch 2.13 prints for
        # the same numbers.
        Cell(25, "torch.manual_seed(0)  # added: the tutorial's numbers were unseeded\n"
                 "x = torch.randn(3, requires_grad=True)\n\n"
                 "y = x * 2\n"
                 "# arraygrad: y.data is the raw backend array, so y.data.norm() is "
                 "spelled y.detach().norm()\n"
                 "while y.detach().norm() < 1000:\n"
                 "    y = y * 2\n"
                 "    print(y)",
             doubling, heading="Another example",
             caveat="seeded (torch.manual_seed(0) added); compared with what PyTorch 2.13 "
                    "prints for seed 0, not with the tutorial's unseeded numbers"),
        Cell(26, "# Now in this case y is no longer a scalar. \n"
                 "# torch.autograd could not compute the full Jacobian directly, \n"
                 "# but if we just want the vector-Jacobian product, simply pass the "
                 "vector to backward as argument:\n"
                 "v = torch.tensor([0.1, 1.0, 0.0001], dtype=torch.float)\n"
                 "y.backward(v, retain_graph=True)\n\n"
                 "print(x.grad)",
             "tensor([2.0480e+02, 2.0480e+03, 2.0480e-01])"),
        Cell(27, "y.backward(torch.ones_like(y), retain_graph=True)\n\nprint(x.grad)",
             "tensor([2252.8000, 4096.0000, 2048.2048])"),
        Cell(28, "# using no_grad() block to turn off function tracking\n"
                 "print(x.requires_grad)\n"
                 "print((x ** 2).requires_grad)\n\n"
                 "with torch.no_grad():\n"
                 "    print((x ** 2).requires_grad)",
             "True\nTrue\nFalse"),
        Cell(29, "# or use .detach()\n"
                 "print(x.requires_grad)\n"
                 "y = x.detach()\n"
                 "print(y.requires_grad)\n"
                 "print(x.eq(y).all())",
             "True\nFalse\ntensor(True)"),
    ]


_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")


def normalize(text: str) -> str:
    """Output as compared with PyTorch's: addresses and trailing blanks removed."""
    return "\n".join(_ADDRESS.sub("0x…", line).rstrip() for line in text.strip("\n").split("\n"))


def run_cell(code: str, namespace: dict) -> tuple[str, list, str | None]:
    """Run ``code`` as IPython would (the value of a final expression is shown).
    Returns (printed output, warnings raised, traceback text or None)."""
    out = io.StringIO()
    error = None
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(out):
        warnings.simplefilter("always")
        try:
            tree = ast.parse(code)
            last = None
            if tree.body and isinstance(tree.body[-1], ast.Expr):
                last = ast.Expression(tree.body.pop().value)
            exec(compile(tree, f"<In [{namespace['__cell__']}]>", "exec"), namespace)
            if last is not None:
                value = eval(compile(last, f"<In [{namespace['__cell__']}]>", "eval"), namespace)
                if value is not None:
                    print(repr(value))
        except Exception:
            error = traceback.format_exc(limit=-3)
    return out.getvalue(), list(caught), error


def replay(backend_name: str, out=sys.stdout, err=sys.stderr) -> list[str]:
    """Replay the tutorial on ``backend_name``; return the problems found (empty: the
    replay printed what PyTorch printed)."""
    problems = []
    namespace = {"__name__": "__tutorial__"}
    previous = 0
    for cell in _cells(backend_name):
        namespace["__cell__"] = cell.number
        if cell.number > previous + 1:  # the tutorial's own numbering skips it too
            print(f"(the tutorial has no In [{previous + 1}])\n", file=out)
        previous = cell.number
        if cell.heading:
            print(f"### {cell.heading}\n", file=out)
        print(f"In [{cell.number}]:\n{cell.code}\n", file=out)
        printed, caught, error = run_cell(cell.code, namespace)
        if printed:
            print(printed, file=out)
        if caught:
            out.flush()
        for w in caught:
            print(f"(In [{cell.number}] {w.category.__name__}: {w.message})", file=err)
        if error is not None:
            print(error, file=out)
            problems.append(f"In [{cell.number}] raised {error.strip().splitlines()[-1]}")
            continue
        if cell.expected is not ...:
            want = normalize(cell.expected or "")
            got = normalize(printed)
            if got != want:
                print(f"!! In [{cell.number}] differs from PyTorch, which printed:\n"
                      f"{cell.expected}\n", file=out)
                problems.append(f"In [{cell.number}] printed {got!r}, PyTorch {want!r}")
        if cell.warns and not any(cell.warns in str(w.message) for w in caught):
            print(f"!! In [{cell.number}] did not warn as PyTorch does: {cell.warns}\n", file=out)
            problems.append(f"In [{cell.number}] gave no warning {cell.warns!r}")
    return problems


# -- the backend table -------------------------------------------------------------

_POINTS = (-2.5, -1.2, -0.3, 0.4, 1.1, 2.7)


def gradient_check(name: str) -> tuple[bool, str]:
    """d/dx sum(sin(x) * x) on backend ``name`` against central differences: in
    float64 where the backend has it (JAX only with ``jax_enable_x64``), else float32
    with a looser tolerance."""
    import arraygrad as ag
    from arraygrad import backend as _b

    b = _b.get_backend(name)
    try:
        b.native(ag.float64)
        dtype, h, tol = ag.float64, 1e-6, 1e-6
    except TypeError:
        dtype, h, tol = ag.float32, 1e-2, 2e-3

    def f(values):
        with ag.no_grad():
            t = ag.tensor(list(values), dtype=dtype)
            return float((ag.sin(t) * t).sum().item())

    with ag.use_backend(name):
        x = ag.tensor(list(_POINTS), dtype=dtype, requires_grad=True)
        (ag.sin(x) * x).sum().backward()
        grad = x.grad.tolist()
        error = 0.0
        for i, value in enumerate(_POINTS):
            up, down = list(_POINTS), list(_POINTS)
            up[i], down[i] = value + h, value - h
            fd = (f(up) - f(down)) / (2 * h)
            error = max(error, abs(grad[i] - fd))
    verdict = "ok" if error <= tol and math.isfinite(error) else "WRONG"
    return verdict == "ok", (f"{verdict} ({dtype.name}, max error {error:.1e}, "
                             f"tolerance {tol:.0e})")


def backend_table(replayed: str, out=sys.stdout) -> bool:
    """Print each known backend, whether it can be used here and its gradient check;
    return whether the replayed backend's check passed."""
    from arraygrad.backend import BackendUnavailable, available_names, get_backend

    names = available_names()
    width = max(len(n) for n in names) + 2
    print("Backends arraygrad knows (gradient check: d/dx sum(sin(x) * x) against central "
          "differences):", file=out)
    replayed_ok = False
    for name in names:
        mark = "*" if name == replayed else " "
        try:
            get_backend(name)
        except BackendUnavailable as exc:
            print(f"{mark} {name:<{width}}not usable: {exc}", file=out)
            continue
        try:
            ok, text = gradient_check(name)
        except Exception as exc:  # report, never hide, a backend that breaks
            ok, text = False, f"FAILED: {type(exc).__name__}: {exc}"
        if name == replayed:
            replayed_ok = ok
        print(f"{mark} {name:<{width}}usable, {text}", file=out)
    print("(* the backend replayed above)", file=out)
    return replayed_ok


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m arraygrad",
        description="Replay PyTorch's autograd tutorial on an arraygrad backend and list "
                    "the backends with a gradient check of each.")
    parser.add_argument("--backend", help="backend to replay on (default: $ARRAYGRAD_BACKEND, "
                                          "else numpy)")
    parser.add_argument("--no-table", action="store_true", help="skip the backend table")
    args = parser.parse_args(argv)

    import arraygrad
    from arraygrad.backend import BackendUnavailable

    name = args.backend or os.environ.get("ARRAYGRAD_BACKEND") or "numpy"
    try:
        arraygrad.set_backend(name)
    except (BackendUnavailable, ValueError) as exc:
        print(f"python -m arraygrad: {exc}", file=sys.stderr)
        return 2

    print(f"Replaying PyTorch's autograd tutorial with arraygrad {_version()} on the "
          f"{name!r} backend\n")
    sys.stdout.flush()
    problems = replay(name)
    sys.stderr.flush()
    if problems:
        print(f"Replay on {name}: {len(problems)} cell(s) differ from PyTorch:")
        for p in problems:
            print(f"  {p}")
    else:
        print(f"Replay on {name}: every checked cell printed what PyTorch printed "
              "(0x… addresses aside).")
    for cell in _cells(name):
        if cell.caveat:
            print(f"  In [{cell.number}]: {cell.caveat}.")
    print()
    table_ok = True
    if not args.no_table:
        table_ok = backend_table(name)
    return 0 if not problems and table_ok else 1


def _version() -> str:
    try:
        from importlib.metadata import version
        return version("arraygrad")
    except Exception:
        return "(source tree)"


if __name__ == "__main__":
    sys.exit(main())
