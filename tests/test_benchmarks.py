"""The benchmark harness (``python -m benchmarks``) kept from rotting: every workload's
gradient check at a tiny size on hand-written NumPy and arraygrad, a wrong gradient
reported rather than timed, and one quick end-to-end run that writes its reports.
Nothing here times anything against a limit."""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import libraries, targets  # noqa: E402
from benchmarks.compare import check, reference_values, run_problem  # noqa: E402
from benchmarks.problem import Problem  # noqa: E402
from benchmarks.session import Session  # noqa: E402
from benchmarks.timing import interleaved  # noqa: E402
from benchmarks.workloads import (w1_chain, w2_mlp, w3_elementwise,  # noqa: E402
                                  w4_deep_chain, w5_matmul)

TINY = {
    "W1": w1_chain.problems(quick=True, size=3)[0],
    "W2-f32": w2_mlp.problem(np.float32, batch=4, sizes=(6, 5, 3)),
    "W2-f64": w2_mlp.problem(np.float64, batch=4, sizes=(6, 5, 3)),
    "W3": w3_elementwise.problem(size=10),
    "W4": w4_deep_chain.problem(50),
    "W5": w5_matmul.problem(size=8),
}
LIBRARIES = ["numpy", "arraygrad[numpy]", "arraygrad[torch]"]


def _adapter(name):
    try:
        return libraries.load(name)
    except libraries.Unavailable as exc:
        pytest.skip(str(exc))


@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize("key", list(TINY))
def test_library_matches_the_hand_written_gradients(key, library):
    problem = TINY[key]
    step, why = check(_adapter(library), problem, reference_values(problem))
    assert why is None
    step()  # a second step runs too (W2's SGD update has changed the parameters)


@pytest.mark.parametrize("key", ["W2-f64", "W3", "W4", "W5"])
def test_references_are_written_against_the_standard_namespace(key):
    """The references that the GPU run shares with CuPy use only Array API functions:
    array-api-strict, which has nothing else, gives NumPy's values."""
    xp = pytest.importorskip("array_api_strict")
    problem = TINY[key]
    loss, grads = problem.reference(xp, *[xp.asarray(a) for a in problem.params + problem.consts])
    want_loss, want_grads = reference_values(problem)
    np.testing.assert_allclose(float(loss), want_loss, rtol=1e-12)
    for got, want in zip(grads, want_grads):
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-12)


def _wrong_problem():
    """A forward whose gradient is not the reference's (cos x, not 2 cos x)."""
    def forward(ops, x):
        return ops.sum(ops.sin(x))

    def reference(xp, x):
        return xp.sum(xp.sin(x)), [2.0 * xp.cos(x)]
    return Problem("bad", "wrong reference", [np.linspace(0.0, 1.0, 5)], [], forward,
                   reference)


def test_a_wrong_gradient_is_reported_failed_and_not_timed():
    session = Session.load(["numpy", "arraygrad[numpy]"], quick=True)
    rows = run_problem(_wrong_problem(), session)["libraries"]
    assert rows["arraygrad[numpy]"]["status"] == "FAILED"
    assert "gradient 0: max abs difference" in rows["arraygrad[numpy]"]["note"]
    assert "time" not in rows["arraygrad[numpy]"]
    assert rows["numpy"]["status"] == "ok" and len(rows["numpy"]["time"]["samples"]) == 5


def test_unknown_library_names_the_known_ones():
    with pytest.raises(ValueError, match="unknown library 'pytorch'.*arraygrad\\[numpy\\]"):
        libraries.load("pytorch")


def test_interleaved_takes_one_sample_per_repeat_from_each():
    calls = []

    def contender(name):
        def run(number):
            calls.append(name)
            return 1e-3 * number
        return run
    stats = interleaved({"a": contender("a"), "b": contender("b")}, repeats=4, warmup=1,
                        min_sample_s=0.0)
    assert [s.samples for s in stats.values()] == [[1e-3] * 4, [1e-3] * 4]
    assert calls[2:] == ["a", "b", "b", "a", "a", "b", "b", "a"]  # rotated each repeat


def test_deep_chain_child_checks_gradient_and_frees_the_graph():
    result = w4_deep_chain.measure("arraygrad[numpy]", 500, traced=True)
    assert "mismatch" not in result
    assert result["traced_peak"] > 500 * 50          # the graph was there
    assert result["traced_left"] < w4_deep_chain.RELEASED_BYTES


def test_targets_without_measurements_are_not_judged():
    judged = targets.evaluate({})
    assert judged and all(t["met"] is None for t in judged)


def test_quick_run_writes_json_markdown_and_plot(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--only", "W1,no_grad",
         "--libs", "numpy,arraygrad[numpy]", "--out", str(tmp_path), "--name", "smoke"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = json.loads((tmp_path / "smoke.json").read_text())
    assert results["mode"] == "quick"
    assert results["environment"]["threads"]["requested"] == 2
    assert results["workloads"]["W1"]["libraries"]["arraygrad[numpy]"]["status"] == "ok"
    report = (tmp_path / "smoke.md").read_text()
    assert "| W1: chain of 1000 element-wise ops" in report
    assert "W1 per-op time ≤ 0.8× torch eager's" in report   # not run: judged "—"
    if importlib.util.find_spec("matplotlib") is None:
        assert "no plot: matplotlib is not installed" in proc.stdout
    else:
        assert (tmp_path / "smoke.png").stat().st_size > 0
