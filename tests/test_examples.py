"""The training examples run on the NumPy backend and reach the accuracy they state."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sklearn")

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("script,required", [("logistic_regression.py", 0.95),
                                             ("mlp.py", 0.97)])
def test_example_trains_to_stated_accuracy(script, required):
    env = dict(os.environ, ARRAYGRAD_BACKEND="numpy")
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / script)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "backend numpy" in proc.stdout
    match = re.search(r"^test accuracy: (\d\.\d+) \(required >= ([\d.]+)\)", proc.stdout,
                      re.MULTILINE)
    assert match, proc.stdout
    assert float(match.group(2)) == required
    assert float(match.group(1)) >= required


def test_offloading_saved_tensors_keeps_gradients():
    env = dict(os.environ, ARRAYGRAD_BACKEND="numpy")
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / "offload_saved_tensors.py")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"offloaded to host: \d+ \([\d.]+ MiB\), brought back: \d+", proc.stdout)
    assert "with and without offloading: 0\n" in proc.stdout


def test_newton_cg_converges_as_stated():
    env = dict(os.environ, ARRAYGRAD_BACKEND="numpy")
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / "newton_cg.py")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "backend numpy" in proc.stdout
    match = re.search(r"^converged: \|g\| ([\d.e+-]+) \(required < ([\d.e+-]+)\) after "
                      r"(\d+) Newton iterations \(at most (\d+)\)", proc.stdout, re.MULTILINE)
    assert match, proc.stdout
    assert float(match.group(1)) < float(match.group(2)) == 1e-8
    assert int(match.group(3)) <= int(match.group(4)) == 12
