"""Small parameters on the host, big data on Dask: a NumPy-backed tensor that meets a
Dask-backed one is taken in as a Dask constant or leaf, the result is Dask, and backward
evaluates the gradients that land in NumPy leaves, with the loss, in one pass."""
from __future__ import annotations

import numpy as np
import pytest

import arraygrad as ag

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")

ROWS, COLS, CHUNK = 600, 5, 150


class Reads:
    """Counts how often each block of the data is computed."""

    def __init__(self):
        self.count = 0

    def block(self, x):
        self.count += 1
        return x


def _data(reads=None):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(ROWS, COLS))
    y = (rng.random(ROWS) < 1 / (1 + np.exp(-X @ np.arange(1.0, COLS + 1) / 4))).astype(float)
    dX = da.from_array(X, chunks=(CHUNK, COLS))
    if reads is not None:
        dX = dX.map_blocks(reads.block, meta=np.empty((0, 0)))
    return X, y, ag.asarray(dX), ag.asarray(da.from_array(y, chunks=CHUNK))


def _loss(X, y, w):
    z = X @ w
    return ag.mean(ag.log1p(ag.exp(-z)) + (1 - y) * z)


def _numpy_steps(X, y, steps, lr):
    """The same training on the NumPy backend alone: the reference."""
    w = ag.zeros(COLS, requires_grad=True)
    Xt, yt = ag.asarray(X), ag.asarray(y)
    losses = []
    for _ in range(steps):
        w.grad = None
        loss = _loss(Xt, yt, w)
        loss.backward()
        losses.append(loss.item())
        with ag.no_grad():
            w -= lr * w.grad
    return losses, w.detach().numpy()


@pytest.fixture
def sync_scheduler():
    with dask.config.set(scheduler="synchronous"):
        yield


def test_the_issue_loop_trains_numpy_parameters_on_dask_data(sync_scheduler):
    X, y, dX, dy = _data()
    w = ag.zeros(COLS, requires_grad=True)              # numpy backend
    opt = ag.optim.SGD([w], lr=2.0)
    losses = []
    for _ in range(4):
        opt.zero_grad()
        loss = _loss(dX, dy, w)
        assert loss.grad_fn is not None and isinstance(loss.data, da.Array)
        loss.backward()
        assert isinstance(w.grad.data, np.ndarray)
        opt.step()
        losses.append(loss.item())
    want_losses, want_w = _numpy_steps(X, y, 4, 2.0)
    np.testing.assert_allclose(losses, want_losses, rtol=1e-12)
    np.testing.assert_allclose(w.detach().numpy(), want_w, rtol=1e-12, atol=1e-15)


def test_one_pass_over_the_data_per_step_loss_included(sync_scheduler):
    reads = Reads()
    _, _, dX, dy = _data(reads)
    w = ag.zeros(COLS, requires_grad=True)
    blocks = ROWS // CHUNK
    for step in range(1, 3):
        w.grad = None
        loss = _loss(dX, dy, w)
        assert reads.count == blocks * (step - 1)        # the forward is lazy
        loss.backward()
        loss.item()
        float(loss)
        assert reads.count == blocks * step             # loss and gradient: one pass


def test_the_task_graph_does_not_grow_across_steps(sync_scheduler):
    _, _, dX, dy = _data()
    w = ag.zeros(COLS, requires_grad=True)
    opt = ag.optim.SGD([w], lr=1.0)
    sizes = []
    for _ in range(4):
        opt.zero_grad()
        loss = _loss(dX, dy, w)
        sizes.append(len(dict(loss.data.__dask_graph__())))
        loss.backward()
        opt.step()
    assert len(set(sizes)) == 1, sizes


@pytest.mark.parametrize("order", ["numpy first", "dask first"])
def test_either_operand_order_gives_a_dask_result(order, sync_scheduler):
    w = ag.asarray([1.0, 2.0, 3.0], requires_grad=True)
    d = ag.asarray(da.from_array(np.array([[1.0, 0.5, 2.0], [3.0, 1.0, -1.0]]), chunks=1))
    out = w * d if order == "numpy first" else d * w
    assert isinstance(out.data, da.Array)
    ag.sum(out * out).backward()
    np.testing.assert_allclose(w.grad.numpy(), (2 * w.detach().numpy() * d.numpy() ** 2).sum(0))


def test_autograd_grad_returns_numpy_tensors_for_numpy_inputs(sync_scheduler):
    X, y, dX, dy = _data()
    w = ag.asarray(np.linspace(-0.5, 0.5, COLS), requires_grad=True)
    (g,) = ag.autograd.grad(_loss(dX, dy, w), w)
    assert isinstance(g.data, np.ndarray)
    (want,) = ag.autograd.grad(_loss(ag.asarray(X), ag.asarray(y), w), w)
    np.testing.assert_allclose(g.numpy(), want.numpy(), rtol=1e-12)


def test_gradients_accumulate_into_the_same_numpy_grad(sync_scheduler):
    _, _, dX, dy = _data()
    w = ag.zeros(COLS, requires_grad=True)
    _loss(dX, dy, w).backward()
    first = w.grad
    once = first.numpy().copy()
    _loss(dX, dy, w).backward()
    assert w.grad is first and isinstance(first.data, np.ndarray)
    np.testing.assert_allclose(first.numpy(), 2 * once)


def test_dask_leaves_stay_lazy_beside_numpy_constants():
    """Nothing lands when every leaf is Dask: backward computes nothing."""
    computes = []

    def scheduler(dsk, keys, **kwargs):
        computes.append(keys)
        return dask.get(dsk, keys, **kwargs)

    with dask.config.set(scheduler=scheduler):
        d = ag.asarray(da.ones((4, 3), chunks=2), requires_grad=True)
        c = ag.asarray(np.arange(3.0))
        ag.sum(d * c).backward()
        assert computes == [] and isinstance(d.grad.data, da.Array)


def test_create_graph_through_taken_in_tensors_is_refused(sync_scheduler):
    _, _, dX, dy = _data()
    w = ag.zeros(COLS, requires_grad=True)
    with pytest.raises(NotImplementedError, match="create_graph=True"):
        ag.autograd.grad(_loss(dX, dy, w), w, create_graph=True)


@pytest.mark.parametrize("pair", [("numpy", "torch"), ("dask", "torch"), ("dask", "jax"),
                                  ("array_api_strict", "numpy")])
def test_every_other_pair_of_backends_stays_an_error(pair):
    for name in pair:
        pytest.importorskip({"array_api_strict": "array_api_strict"}.get(name, name))
    a = ag.asarray([1.0, 2.0], backend=pair[0])
    b = ag.asarray([3.0, 4.0], backend=pair[1])
    with pytest.raises(TypeError, match="cannot mix tensors"):
        a * b
    with pytest.raises(TypeError, match="cannot mix tensors"):
        b + a
