"""``python -m arraygrad``: the tutorial replay prints what PyTorch printed, on every
usable backend, and exits 0."""
from __future__ import annotations

import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from conftest import BACKENDS  # tests/conftest.py: backend name -> None or why unusable

ROOT = Path(__file__).resolve().parent.parent

# Lines PyTorch printed in the tutorial (cells 3, 12, 24, 26, 27, 29), and the last of
# the ten doubling lines seed 0 gives.
KEY_LINES = [
    "tensor(-2., requires_grad=True)",
    "tensor([[1., 1.],",
    "        [1., 1.]], requires_grad=True)",
    "tensor([[3., 3.],",
    "        [3., 3.]], grad_fn=<AddBackward0>)",
    "tensor(27., grad_fn=<MeanBackward0>)",
    "tensor([[4.5000, 4.5000],",
    "        [4.5000, 4.5000]])",
    "tensor([ 257.4955, -270.5508, 1311.5856], grad_fn=<MulBackward0>)",
    "tensor([2.0480e+02, 2.0480e+03, 2.0480e-01])",
    "tensor([2252.8000, 4096.0000, 2048.2048])",
    "tensor(True)",
]


def _run(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("ARRAYGRAD_BACKEND", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-m", "arraygrad", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("name", list(BACKENDS))
def test_replay(name):
    if BACKENDS[name] is not None:
        pytest.skip(f"backend {name} unavailable: {BACKENDS[name]}")
    proc = _run("--backend", name)
    out = proc.stdout
    lines = out.splitlines()
    assert proc.returncode == 0, out[-4000:] + proc.stderr[-2000:]
    for line in KEY_LINES:
        assert line in lines, f"missing {line!r} in:\n{out}"
    assert sum(line.endswith("grad_fn=<MulBackward0>)") and line.startswith("tensor([")
               for line in lines) == 10  # cell 25 doubles ten times, as in the tutorial
    assert f"Replay on {name}: every checked cell printed what PyTorch printed" in out
    assert "!!" not in out
    assert "Traceback" not in out
    # The non-leaf .grad warning is raised, as in PyTorch, and kept off stdout.
    assert "UserWarning" not in out
    assert "not a leaf Tensor" in proc.stderr
    # The table: every known backend is listed, this one with a passing gradient check.
    row = next(line for line in lines if line.startswith("*"))
    assert row.split()[1] == name and "usable, ok (" in row
    for other, why in BACKENDS.items():
        expect = "usable, ok (" if why is None else "not usable: "
        assert any(line[2:].startswith(other + " ") and expect in line for line in lines), other


def test_env_var_chooses_backend():
    env = dict(os.environ, ARRAYGRAD_BACKEND="numpy",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    proc = subprocess.run([sys.executable, "-m", "arraygrad", "--no-table"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "on the 'numpy' backend" in proc.stdout
    assert "Backends arraygrad knows" not in proc.stdout


def test_unknown_backend_exits_2():
    proc = _run("--backend", "no_such_backend", "--no-table")
    assert proc.returncode == 2
    assert "unknown arraygrad backend 'no_such_backend'" in proc.stderr


def test_unusable_backend_exits_2_with_install_hint():
    unusable = [name for name, why in BACKENDS.items() if why is not None]
    if not unusable:
        pytest.skip("every backend is usable here")
    proc = _run("--backend", unusable[0], "--no-table")
    assert proc.returncode == 2
    assert "install" in proc.stderr


def test_expected_outputs_are_pytorchs():
    """The outputs the replay checks against are what PyTorch itself prints for the
    same cells (run here on real PyTorch, with seed 0 drawing the same numbers)."""
    torch = pytest.importorskip("torch")
    import numpy as np

    from arraygrad.__main__ import _cells, normalize, run_cell

    rng = {"gen": np.random.default_rng()}

    def manual_seed(seed):
        rng["gen"] = np.random.default_rng(seed)

    def randn(*size, requires_grad=False):
        values = torch.tensor(rng["gen"].standard_normal(size), dtype=torch.float32)
        return values.requires_grad_(requires_grad)

    shim = types.SimpleNamespace(**{k: getattr(torch, k) for k in dir(torch)
                                    if not k.startswith("__")})
    shim.manual_seed, shim.randn = manual_seed, randn
    namespace = {"torch": shim}
    for cell in _cells("numpy")[1:]:  # cell 1 imports arraygrad
        namespace["__cell__"] = cell.number
        printed, caught, error = run_cell(cell.code, namespace)
        assert error is None, error
        if cell.expected is not ...:
            assert normalize(printed) == normalize(cell.expected or ""), cell.number
        if cell.warns:
            assert any(cell.warns in str(w.message) for w in caught), cell.number


def test_readme_example_prints_what_it_says():
    """The README's first example prints the outputs written beside it."""
    import contextlib
    import io
    import re

    text = (ROOT / "README.md").read_text()
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    promised = [m.group(1).strip() for m in re.finditer(r"^print\(.*?#\s*(.*)$", code, re.M)]
    assert promised
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {"__name__": "__readme__"})
    assert out.getvalue().splitlines() == promised
