"""The gradient conformance suite (``python -m conformance``) on the CPU backends that
are always installed, with few examples, and its refusal of a differentiable function
that has no case."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytest.importorskip("array_api_strict")


def test_conformance_numpy_and_strict(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "conformance", "--backends", "numpy,array_api_strict",
         "--examples", "2", "--allow-known-bugs", "--quiet", "--report", str(tmp_path),
         "--name", "quick"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    report = (tmp_path / "quick.md").read_text()
    assert "| numpy |" in report and "| array_api_strict |" in report
    assert (tmp_path / "quick.html").exists()


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
