"""``arraygrad.distributed.value_and_grad`` on a real ``LocalCluster`` of two worker
processes (issue 14, items 2 to 5): the same value and gradients as the NumPy backend
on the same rows, for all blocks and for picked ones; clear errors; the example at its
small default; the benchmark's harness; and a worker killed in the middle of a call.
"""
from __future__ import annotations

import functools
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

distributed = pytest.importorskip(
    "distributed", reason="the tests of arraygrad.distributed start a dask.distributed "
                          "LocalCluster: pip install distributed")
da = pytest.importorskip("dask.array", reason="arraygrad.distributed needs dask[array]")

import arraygrad as ag  # noqa: E402
import arraygrad.distributed  # noqa: E402
from arraygrad.distributed import value_and_grad  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the example and the benchmark, imported as packages
from benchmarks import distributed as bench  # noqa: E402
from examples.distributed_logistic import make_data, train_lazy  # noqa: E402

# One xdist worker runs this whole file (--dist loadgroup, pyproject.toml): one cluster.
pytestmark = pytest.mark.xdist_group("local_cluster")

ROWS, FEATURES, BLOCK_ROWS = 1000, 5, 125  # 8 row blocks
RTOL = 1e-12


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  dashboard_address=None, memory_limit="512MiB") as cluster, \
            distributed.Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(ROWS, FEATURES))
    y = (rng.random(ROWS) < 0.5).astype(np.float64)
    return X, y


def host_params():
    rng = np.random.default_rng(1)
    return [ag.asarray(rng.normal(size=FEATURES)), ag.asarray(0.25),
            ag.zeros(2, dtype=ag.float32)]  # the last one unused by the loss


def logistic(w, b, unused, X, y, *, n, client_pid=None):
    """A block's share of the mean logistic loss over n rows; refuses to run in the
    test's own process when told its pid, so a pass proves it ran on a worker."""
    if os.getpid() == client_pid:
        raise RuntimeError("fn ran in the client's process, not on a worker")
    z = X @ w + b + ag.zeros(())  # a tensor fn makes: on the block's backend
    return ag.sum(ag.log1p(ag.exp(-z)) + (1 - y) * z) / n


def reference(X, y, picked, n):
    """The NumPy backend's value and gradients: the sum of the loss over the picked
    blocks' rows (a repeated block counts twice)."""
    params = [ag.asarray(p.numpy(), requires_grad=True) for p in host_params()]
    total = None
    for blk in picked:
        rows = slice(blk * BLOCK_ROWS, (blk + 1) * BLOCK_ROWS)
        loss = logistic(*params, ag.asarray(X[rows]), ag.asarray(y[rows]), n=n)
        total = loss if total is None else total + loss
    total.backward()
    return total.item(), [p.grad.numpy() if p.grad is not None else np.zeros(p.shape)
                          for p in params]


def assert_matches(value, grads, expected):
    ref_value, ref_grads = expected
    assert value.item() == pytest.approx(ref_value, rel=RTOL)
    for g, p, ref in zip(grads, host_params(), ref_grads):
        assert g._backend.name == "numpy" and not g.requires_grad
        assert g.shape == p.shape and g.dtype == p.dtype
        np.testing.assert_allclose(g.numpy(), ref, rtol=RTOL, atol=1e-15)


@pytest.mark.parametrize("blocks, split_every", [
    (None, None), (None, 2), ([6, 1, -1], 2), ([2, 2], None), ([3], None)])
def test_value_and_grad_equals_the_numpy_backend(client, data, blocks, split_every):
    X, y = data
    # Two column chunks: a block reaches fn whole all the same.
    dX, dy = da.from_array(X, chunks=(BLOCK_ROWS, 3)), da.from_array(y, chunks=BLOCK_ROWS)
    picked = range(8) if blocks is None else [b % 8 for b in blocks]
    n = BLOCK_ROWS * len(picked)
    fn = functools.partial(logistic, n=n, client_pid=os.getpid())
    value, grads = value_and_grad(fn, host_params(), dX, ag.asarray(dy), blocks=blocks,
                                  split_every=split_every)
    assert value._backend.name == "numpy" and value.ndim == 0
    assert_matches(value, grads, reference(X, y, picked, n))
    assert not np.any(grads[2].numpy())  # unused by the loss: zero, not missing


def test_any_active_scheduler_and_grad_mode_off(data):
    """Without the cluster (Dask's synchronous scheduler, in this process), under
    no_grad and another current backend: fn still records its graph, and the tensors
    it makes live on its blocks' backend."""
    import dask
    pytest.importorskip("array_api_strict", reason="the other backend of this test")
    X, y = data
    dX, dy = da.from_array(X, chunks=BLOCK_ROWS), da.from_array(y, chunks=BLOCK_ROWS)
    params = host_params()
    with dask.config.set(scheduler="sync"), ag.no_grad(), ag.use_backend("array_api_strict"):
        value, grads = value_and_grad(functools.partial(logistic, n=ROWS), params, dX, dy)
    assert_matches(value, grads, reference(X, y, range(8), ROWS))


def test_bad_input_is_refused_with_a_clear_error(data):
    X, y = data
    dX, dy = da.from_array(X, chunks=BLOCK_ROWS), da.from_array(y, chunks=BLOCK_ROWS)
    fn = functools.partial(logistic, n=ROWS)
    params = host_params()
    cases = [
        (TypeError, "data argument 1 is a numpy array, not a Dask array", (params, dX, y)),
        (TypeError, "data argument 0 is a Tensor on the numpy backend",
         (params, ag.asarray(X), dy)),
        (TypeError, "data argument 0 is a list", (params, X.tolist(), dy)),
        (TypeError, "at least one Dask array", (params,)),
        (ValueError, r"different row blocks \(8 blocks of 125 rows against 10 blocks of "
                     "100 rows\\)", (params, dX, da.from_array(y, chunks=100))),
        (ValueError, "0-d", (params, dX, da.from_array(np.float64(1.0)))),
        (ValueError, "unknown size", (params, dX[dX[:, 0] > 0], dy)),
        (TypeError, "iterable of Tensors, e.g. \\[w, b\\], not Tensor", (params[0], dX, dy)),
        (ValueError, "params is empty", ([], dX, dy)),
        (TypeError, r"params\[1\] must be an arraygrad Tensor", ([params[0], 0.25], dX, dy)),
        (TypeError, r"params\[0\] is on the dask backend",
         ([ag.asarray(da.zeros(FEATURES))], dX, dy)),
        (TypeError, r"params\[0\] has dtype int64", ([ag.asarray([1, 2])], dX, dy)),
    ]
    for error, message, args in cases:
        with pytest.raises(error, match=message):
            value_and_grad(fn, *args)
    for blocks, error, message in [([8], IndexError, "block index 8 is out of range"),
                                   ([], ValueError, "blocks is empty"),
                                   ("0", TypeError, "iterable of block indices")]:
        with pytest.raises(error, match=message):
            value_and_grad(fn, params, dX, dy, blocks=blocks)


def _vector_loss(w, b, unused, X, y):
    return X @ w


def _float_loss(w, b, unused, X, y):
    return 1.0


def _constant_loss(w, b, unused, X, y):
    return ag.sum(y)


@pytest.mark.parametrize("fn, error, message", [
    (_vector_loss, ValueError, r"scalar \(0-d\) floating-point loss per block, not a tensor "
                               r"of shape \(125,\)"),
    (_float_loss, TypeError, "as an arraygrad Tensor, not float"),
    (_constant_loss, ValueError, "does not depend on any of the parameters"),
])
def test_a_bad_loss_is_reported_from_the_workers(client, data, fn, error, message):
    X, y = data
    dX, dy = da.from_array(X, chunks=BLOCK_ROWS), da.from_array(y, chunks=BLOCK_ROWS)
    with pytest.raises(error, match=message):
        value_and_grad(fn, host_params(), dX, dy)


def _run_example(*args):
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / "distributed_logistic.py"),
                           *args], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    steps = re.findall(r"^step +(\d+)  loss ([\d.]+) +([\d,]+) rows/s  peak worker memory "
                       r"(\d+) MiB$", proc.stdout, re.MULTILINE)
    losses = [float(loss) for _, loss, _, _ in steps]
    assert losses == sorted(losses, reverse=True) and losses[-1] < losses[0], proc.stdout
    assert re.search(r"^done: [\d,]+ rows in [\d.]+ s of steps \([\d,]+ rows/s\); peak "
                     r"worker memory \d+ MiB \(the busiest of 2 workers\)$", proc.stdout,
                     re.MULTILINE), proc.stdout
    return proc.stdout, steps


def test_example_trains_at_its_small_default():
    out, steps = _run_example()
    assert "(LocalCluster, processes, 1 thread each)" in out
    assert "X: 200,000 x 16 float64 (0.03 GB) in 8 blocks of up to 25,000 rows" in out
    assert len(steps) == 5
    assert float(steps[0][1]) == pytest.approx(np.log(2), abs=1e-6)  # w = 0 at step 1


def test_example_on_a_running_scheduler_with_minibatches_of_blocks(client):
    out, steps = _run_example("--scheduler", client.scheduler.address, "--steps", "3",
                              "--blocks-per-step", "2")
    assert f"cluster: 2 workers at {client.scheduler.address}\n" in out
    # 2 blocks of 25,000 rows a step: the rate is of the rows used.
    assert len(steps) == 3


def test_benchmark_checks_then_times_every_method(client):
    X, y = client.persist(list(make_data(8000, chunk_rows=1000)))
    distributed.wait([X, y])

    def wrong_gradient(X, y, steps):
        for step, loss, grad, rows in bench.hand_written(X, y, steps):
            yield step, loss, grad * 1.001, rows

    methods = {"a": bench.METHODS["a"], "b": bench.METHODS["b"], "c": bench.METHODS["c"],
               "w": ("wrong", wrong_gradient)}
    results = bench.run(client, X, y, steps=2, methods=methods)
    for key in "abc":
        r = results[key]
        assert r["verdict"] is None and r["loss_rel_diff"] < 1e-10, r
        assert r["median_s"] > 0 and r["ratio"] > 0 and r["peak_mib"] > 0
    assert results["w"]["verdict"].startswith("FAILED at step 1: relative difference")
    assert "median_s" not in results["w"]  # not timed
    table = bench.report(results, "header")
    assert re.search(r"^\| \(b\) arraygrad value_and_grad \(item 2\) \| [\d.]+ \| [\d.]+-[\d.]+ "
                     r"\| [\d.]+ \| <= 1\.1 (met|NOT met) \| \d+ \| \de[+-]\d+ \|$", table,
                     re.MULTILINE), table
    assert "| (w) wrong | — | — | — | — | — | FAILED at step 1" in table


def test_the_issue_loop_with_numpy_parameters(client):
    X, y = make_data(4000, chunk_rows=1000)
    ref_X, ref_y = X.compute(), y.compute()
    (_, loss, grad, _), = train_lazy(X, y, 1)
    z = ref_X @ np.zeros(ref_X.shape[1])
    assert grad._backend.name == "numpy"
    assert loss == pytest.approx(np.mean(np.log1p(np.exp(-z)) + (1 - ref_y) * z), rel=RTOL)
    np.testing.assert_allclose(grad.numpy(), ref_X.T @ (0.5 - ref_y) / len(ref_y), rtol=RTOL)


def _kill_own_worker_once(w, b, unused, X, y, *, n, client_pid, marker, victim):
    """The loss, but the first block whose first value is ``victim`` kills the worker
    process computing it (SIGKILL: no clean-up, as a crashed machine)."""
    if float(X[0, 0]) == victim and not os.path.exists(marker) and os.getpid() != client_pid:
        Path(marker).touch()
        os.kill(os.getpid(), signal.SIGKILL)
    return logistic(w, b, unused, X, y, n=n, client_pid=client_pid)


def test_a_worker_killed_mid_call_changes_nothing(client, data, tmp_path):
    """Last in this file: it leaves the cluster with a restarted worker."""
    X, y = data
    dX, dy = client.persist([da.from_array(X, chunks=BLOCK_ROWS),
                             da.from_array(y, chunks=BLOCK_ROWS)])
    distributed.wait([dX, dy])
    pids = set(client.run(os.getpid).values())
    fn = functools.partial(logistic, n=ROWS, client_pid=os.getpid())
    expected_value, expected_grads = value_and_grad(fn, host_params(), dX, dy, split_every=2)

    marker = tmp_path / "killed"
    killer = functools.partial(_kill_own_worker_once, n=ROWS, client_pid=os.getpid(),
                               marker=str(marker), victim=X[5 * BLOCK_ROWS, 0])
    value, grads = value_and_grad(killer, host_params(), dX, dy, split_every=2)
    assert marker.exists()  # a worker did die, in the middle of the call
    client.wait_for_workers(2, timeout=60)
    assert set(client.run(os.getpid).values()) != pids  # the nanny started a new one
    # The same numbers, bit for bit: the lost blocks and partial sums were recomputed,
    # and the tree adds them in the same order wherever they ran.
    assert value.item() == expected_value.item()
    for g, expected in zip(grads, expected_grads):
        np.testing.assert_array_equal(g.numpy(), expected.numpy())
    assert_matches(value, grads, reference(X, y, range(8), ROWS))
