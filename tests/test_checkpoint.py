"""``arraygrad.utils.checkpoint``: the same gradients as without the checkpoint, on every
backend, with the function's intermediate values dropped after forward and computed
again, once, when backward needs them."""
from __future__ import annotations

import weakref

import numpy as np
import pytest
from numpy.testing import assert_allclose

import arraygrad as ag
from arraygrad.utils.checkpoint import checkpoint, checkpoint_sequential
from gradcheck_utils import host, leaf, reseed, rnd


@pytest.fixture(autouse=True)
def _stream(request):
    reseed(request.node.nodeid)


class Counted:
    """A layer ``tanh(x @ w + b) * scale`` that counts its calls; ``w`` and ``b`` are
    captured (not arguments)."""

    def __init__(self, w, b):
        self.w, self.b, self.calls = w, b, 0

    def __call__(self, x, scale=1.0):
        self.calls += 1
        return ag.tanh(x @ self.w + self.b) * scale


def layer_params(n=3):
    return leaf(rnd(n, n)), leaf(rnd(n))


def grads_of(loss_fn, tensors):
    for t in tensors:
        t.grad = None
    loss_fn().backward()
    return [host(t.grad) for t in tensors]


def test_gradients_equal_those_without_checkpoint(backend):
    w, b = layer_params()
    x = leaf(rnd(2, 3))
    layer = Counted(w, b)
    plain = grads_of(lambda: ag.sum(ag.sin(layer(layer(x)))), [x, w, b])
    checked = grads_of(lambda: ag.sum(ag.sin(checkpoint(layer, checkpoint(layer, x)))),
                       [x, w, b])
    for p, c in zip(plain, checked):
        assert_allclose(c, p, rtol=1e-12, atol=1e-14)


def test_function_runs_again_once_in_backward(numpy_backend):
    layer = Counted(*layer_params())
    x = leaf(rnd(2, 3))
    y = checkpoint(layer, x)
    assert layer.calls == 1
    ag.sum(y * y).backward()
    assert layer.calls == 2
    assert x.grad is not None


def test_no_run_again_without_backward_or_without_grad(numpy_backend):
    layer = Counted(*layer_params())
    x = leaf(rnd(2, 3))
    with ag.no_grad():
        y = checkpoint(layer, x)
    assert not y.requires_grad
    checkpoint(layer, x)
    assert layer.calls == 2


def test_captured_parameters_follow_the_engine(numpy_backend):
    """Captured leaves are ordinary graph inputs: autograd.grad returns their gradient
    without touching .grad, and backward(inputs=...) fills only what it names."""
    w, b = layer_params()
    x = leaf(rnd(2, 3))
    layer = Counted(w, b)
    expected = grads_of(lambda: ag.sum(layer(x) ** 2), [w])[0]
    x.grad = w.grad = b.grad = None
    (gw,) = ag.autograd.grad(ag.sum(checkpoint(layer, x) ** 2), [w])
    assert_allclose(host(gw), expected, rtol=1e-12)
    assert w.grad is None and x.grad is None and b.grad is None
    ag.sum(checkpoint(layer, x) ** 2).backward(inputs=[b])
    assert b.grad is not None and w.grad is None and x.grad is None


def test_double_backward_goes_through_the_checkpoint(backend):
    w, b = layer_params()
    x = leaf(rnd(2, 3))
    layer = Counted(w, b)

    def hessian_vector_product(run):
        (gx,) = ag.autograd.grad(ag.sum(ag.sin(run(x))), [x], create_graph=True)
        return [host(g) for g in ag.autograd.grad(ag.sum(gx * gx), [x, w])]

    plain = hessian_vector_product(layer)
    checked = hessian_vector_product(lambda x: checkpoint(layer, x))
    for p, c in zip(plain, checked):
        assert_allclose(c, p, rtol=1e-10, atol=1e-12)


def test_retained_graph_runs_again_per_backward(numpy_backend):
    layer = Counted(*layer_params())
    x = leaf(rnd(2, 3))
    loss = ag.sum(checkpoint(layer, x) ** 2)
    loss.backward(retain_graph=True)
    first = host(x.grad)
    loss.backward()
    assert layer.calls == 3
    assert_allclose(host(x.grad), 2 * first, rtol=1e-12)


def test_several_arguments_outputs_and_keywords(backend):
    a, b = leaf(rnd(3)), leaf(rnd(3))
    c = ag.tensor(rnd(3).tolist(), dtype=ag.float64)  # does not require grad

    def f(a, b, c, k, *, shift):
        return {"sum": a * b + c * k, "pair": (ag.exp(a) + shift, ag.argmax(b))}

    def loss(out):
        return ag.sum(out["sum"] ** 2) + ag.sum(ag.cos(out["pair"][0]))

    plain = grads_of(lambda: loss(f(a, b, c, 2.0, shift=0.5)), [a, b])
    checked = grads_of(lambda: loss(checkpoint(f, a, b, c, 2.0, shift=0.5)), [a, b])
    for p, q in zip(plain, checked):
        assert_allclose(q, p, rtol=1e-12)
    assert c.grad is None


def test_activations_are_freed_after_forward(numpy_backend):
    x = leaf(rnd(4, 4))
    kept = []

    def f(x):
        h = ag.sin(x) * 2.0
        kept.append(weakref.ref(h.data))  # the activation that cos saves
        return ag.cos(h)

    y = f(x)
    assert kept[-1]() is not None  # without the checkpoint the graph keeps it
    y = checkpoint(f, x)
    assert kept[-1]() is None  # freed by reference counting, no garbage collection needed
    ag.sum(y).backward()
    assert len(kept) == 3  # f ran again
    assert kept[-1]() is None  # the values computed again are let go once read


def _dropout(x):
    return x * ag.astype(ag.rand(*x.shape, dtype=x.dtype) > 0.5, x.dtype)


def test_random_masks_are_drawn_again_identically(backend):
    x = leaf(rnd(50))
    ag.manual_seed(7)
    y = checkpoint(_dropout, x)
    ag.sum(y * 3.0).backward()
    after = host(ag.rand(3, dtype=ag.float64))
    mask = host(y) != 0
    assert 0 < mask.sum() < 50
    assert_allclose(host(x.grad), 3.0 * mask)
    ag.manual_seed(7)
    _dropout(x)
    assert_allclose(after, host(ag.rand(3, dtype=ag.float64)))  # the stream went on as usual


def test_without_preserved_random_state_the_mask_changes(numpy_backend):
    x = leaf(rnd(50))
    ag.manual_seed(7)
    y = checkpoint(_dropout, x, preserve_rng_state=False)
    ag.sum(y).backward()
    assert not np.array_equal(host(x.grad), host(y) != 0)


def test_a_function_that_changes_between_runs_is_refused(numpy_backend):
    x = leaf(rnd(3))
    calls = []

    def f(x):
        calls.append(1)
        return ag.exp(x) if len(calls) == 1 else ag.exp(ag.sin(x))

    y = checkpoint(f, x)
    with pytest.raises(RuntimeError, match="must do the same operations"):
        ag.sum(y).backward()


def test_use_reentrant_is_accepted_and_checked(numpy_backend):
    x = leaf(rnd(3))
    for flag in (None, False, True):
        checkpoint(ag.exp, x, use_reentrant=flag)
    with pytest.raises(TypeError, match="use_reentrant must be None or a bool"):
        checkpoint(ag.exp, x, use_reentrant="yes")


def test_checkpoint_sequential_equals_the_plain_chain(backend):
    params = [layer_params() for _ in range(7)]
    layers = [Counted(w, b) for w, b in params]
    x = leaf(rnd(2, 3))
    tensors = [x] + [t for p in params for t in p]

    def chain(x):
        for f in layers:
            x = f(x)
        return x

    plain = grads_of(lambda: ag.sum(chain(x) ** 2), tensors)
    checked = grads_of(lambda: ag.sum(checkpoint_sequential(layers, 3, x) ** 2), tensors)
    for p, c in zip(plain, checked):
        assert_allclose(c, p, rtol=1e-12, atol=1e-14)
    # 2 segments of 2 run twice, the last 3 layers (with the remainder) once
    assert [f.calls for f in layers] == [3, 3, 3, 3, 2, 2, 2]


def test_checkpoint_sequential_refuses_bad_segments(numpy_backend):
    layers = [ag.sin, ag.cos]
    for bad in (0, 3, 1.5):
        with pytest.raises(ValueError, match="segments must be an int between 1 and the "
                                             "number of functions"):
            checkpoint_sequential(layers, bad, leaf(rnd(2)))
