"""The gradient conformance suite (``python -m conformance``) in single precision on
numpy, and its refusal of a differentiable function that has no case."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_conformance_in_single_precision_on_numpy(tmp_path):
    """float32 and complex64 on the numpy backend: the README's ``python -m conformance``
    runs every backend in float64 and complex128, so the test run adds single precision
    (first derivatives, checked against float64 finite differences and torch at
    ``LOW_RTOL``; second derivatives are checked in double precision)."""
    proc = subprocess.run(
        [sys.executable, "-m", "conformance", "--backends", "numpy",
         "--dtypes", "float32,complex64", "--examples", "1", "--first-order", "--jobs", "1",
         "--quiet",
         "--report", str(tmp_path), "--name", "single"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    report = (tmp_path / "single.md").read_text()
    assert "dtypes float32, complex64" in report and "| numpy |" in report
    assert (tmp_path / "single.html").exists()


def test_every_registered_function_has_a_case():
    from arraygrad.ops.registry import differentiable_functions
    from conformance.cases import CASES
    assert set(differentiable_functions()) <= set(CASES)


def test_registry_excludes_functions_without_rules():
    from arraygrad.ops.registry import differentiable_functions
    found = differentiable_functions()
    for name in ("equal", "argmax", "floor", "isnan", "zeros", "arange", "matrix_rank"):
        assert name not in found
    for name in ("pow", "sum", "mean", "matmul", "getitem", "take", "squeeze",
                 "matrix_norm", "outer", "unstack", "fft.fft"):
        assert name in found


def test_a_function_without_a_case_fails_the_suite(tmp_path, capsys):
    sys.path.insert(0, str(ROOT))
    from arraygrad.ops.elementwise import exp
    from arraygrad.ops.registry import differentiable_functions
    from conformance.runner import main

    registry = {**differentiable_functions(), "frobnicate": exp}
    rc = main(["--backends", "numpy", "--only", "exp", "--examples", "1", "--quiet",
               "--report", str(tmp_path)], registry=registry)
    out = capsys.readouterr().out
    assert rc != 0
    assert "frobnicate" in out
    assert "frobnicate" in (tmp_path / "cpu.md").read_text()


def test_lazy_backends_run_one_example_unless_every_backend_is_asked():
    """The default run caps JAX and Dask at their profile's ``conformance_examples``;
    ``--examples N`` (``every_backend``) runs N everywhere."""
    from conformance.runner import run
    pytest.importorskip("dask")
    backends = ["numpy", "dask"]
    capped, _, _ = run(backends, ["float64"], 3, only={"sin"}, progress=False)
    assert (capped["sin"]["numpy"].examples, capped["sin"]["dask"].examples) == (3, 1)
    full, _, _ = run(backends, ["float64"], 3, only={"sin"}, progress=False,
                     every_backend=True)
    assert (full["sin"]["numpy"].examples, full["sin"]["dask"].examples) == (3, 3)
    assert all(row[b].status == "pass" for row in (capped["sin"], full["sin"]) for b in backends)
