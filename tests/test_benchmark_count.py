"""``python -m benchmarks --count`` (benchmarks/count.py): the counter on tiny steps."""
from __future__ import annotations

import json

import array_api_compat.numpy as compat_np
import numpy as np

from benchmarks import count, runner
from benchmarks.problem import Problem
from benchmarks.session import Session


def _x_times_w_sum(ops, w, x):
    return ops.sum(x * w)


def _reference(xp, w, x):
    return xp.sum(x * w), [xp.sum(x, axis=0)]


def _tiny_problem() -> Problem:
    rng = np.random.default_rng(0)
    return Problem("tiny", "sum(x * w), x 4x3, w 3", [rng.standard_normal(3)],
                   [rng.standard_normal((4, 3))], _x_times_w_sum, _reference)


def test_hand_written_multiply_then_sum():
    x, w = count.counted(np.ones((4, 3))), count.counted(np.arange(3.0))
    with count.patched(), count.recording() as calls:
        np.sum(x * w)
    assert [c.name for c in calls] == ["multiply", "sum"]  # not also sum's add.reduce
    mul, total = calls
    assert mul.inputs == ["f64[4,3]", "f64[3]"] and mul.output == "f64[4,3]"
    assert (mul.read, mul.written, mul.note) == (96 + 24, 96, "")
    assert (total.read, total.written) == (96, 8)


def test_views_broadcasts_and_in_place_writes():
    x, w = count.counted(np.ones((4, 3))), count.counted(np.arange(3.0))
    with count.patched(), count.recording() as calls:
        x.T
        x[:, 0]
        b = np.broadcast_to(w, (4, 3))
        b + 1.0
        x -= w
        x[0] = 2.0
        compat_np.ones_like(x)
    assert [(c.name, c.note, c.read, c.written) for c in calls] == [
        ("T", "view", 0, 0),
        ("getitem", "view", 0, 0),
        ("broadcast_to", "view", 0, 0),
        ("add", "", 24, 96),               # the broadcast operand reads its 3 elements
        ("subtract", "in-place", 96 + 24, 96),
        ("setitem", "in-place", 0, 24),    # writes the row it selects
        ("ones_like", "", 0, 96)]          # caught on array_api_compat's namespace
    assert calls[3].inputs == ["f64[4,3]~", "scalar"]


def test_patches_are_put_back_and_nothing_is_recorded_outside():
    before = (np.asarray, np.sum, compat_np.asarray, compat_np.sum)
    with count.patched():
        assert np.sum is not before[1]
    assert (np.asarray, np.sum, compat_np.asarray, compat_np.sum) == before
    x = count.counted(np.ones(3))
    with count.recording() as calls:
        pass
    x * x
    assert calls == []


def test_arraygrad_step_is_counted_with_its_backward():
    session = Session.load(["numpy", "arraygrad[numpy]"], quick=True)
    result = count.count_problem(_tiny_problem(), session)
    hand, ag = result["libraries"]["numpy"], result["libraries"]["arraygrad[numpy]"]
    assert hand["status"] == ag["status"] == "ok"
    assert hand["escaped"] == ag["escaped"] == []
    names = [c["name"] for c in hand["calls"]]
    assert names == ["multiply", "sum", "sum"]  # forward, then the gradient
    calls = ag["calls"]
    assert ag["totals"]["calls"] == len(calls) > 2
    # forward: the product and the sum; backward: the product's rule passes x on
    # (the sum's seed of 1 is not multiplied in: RuleNamespace.times), and
    # unbroadcasting sums it back to w's shape
    assert [c["name"] for c in calls[:2]] == ["multiply", "sum"]
    backward = calls[2:]
    assert not any(c["name"] == "multiply" for c in backward)
    assert any(c["name"] == "sum" and c["output"] == "f64[3]" for c in backward)
    assert all(c["site"].startswith("arraygrad/") for c in calls)
    cmp = result["comparison"]["arraygrad[numpy]"]
    assert cmp["calls"] == len(calls) - 3
    assert count.count_problem(_tiny_problem(), session) == result  # deterministic


def test_count_mode_writes_markdown_and_json(tmp_path, capsys):
    assert runner.main(["--count", "--out", str(tmp_path), "--libs", "numpy"]) == 0
    written = json.loads((tmp_path / "count-W2.json").read_text())
    assert set(written["problems"]) == {"W2-f32", "W2-f64"}
    hand = written["problems"]["W2-f32"]["libraries"]["numpy"]
    assert hand["totals"]["by_kind"]["matmul"]["calls"] == 5  # 2 forward, 3 backward
    assert "### W2-f32 calls: numpy" in (tmp_path / "count-W2.md").read_text()
    assert "count-W2.md" in capsys.readouterr().out
