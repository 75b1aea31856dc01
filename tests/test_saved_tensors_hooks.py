"""``saved_tensors_hooks``: every array a graph saves goes through ``pack`` and comes
back through ``unpack``, on every backend, without changing any gradient."""
from __future__ import annotations

import numpy as np
import pytest

import arraygrad as ag
from arraygrad.autograd.graph import saved_tensors_hooks
from gradcheck_utils import Cube, host, leaf


class Recorder:
    """Hooks that log what they see and store each value as a host copy."""

    def __init__(self):
        self.log = []

    def pack(self, t):
        self.log.append(("pack", t.shape))
        return ag.current_backend().name, t.device, t.numpy()

    def unpack(self, packed):
        backend, device, values = packed
        self.log.append(("unpack", values.shape))
        return ag.asarray(values, backend=backend, device=device)

    def hooks(self):
        return saved_tensors_hooks(self.pack, self.unpack)


def _model(x, w):
    return ag.sum(ag.tanh(x @ w) * ag.exp(x[:, :2]) + ag.sin(w[0, :]))


def _gradients(x, w, recorder=None):
    x.grad = w.grad = None
    if recorder is None:
        loss = _model(x, w)
    else:
        with recorder.hooks():
            loss = _model(x, w)
    loss.backward()
    return host(x.grad), host(w.grad)


def test_round_trip_through_host_keeps_gradients(backend):
    x = leaf([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
    w = leaf([[0.1, 0.2], [0.3, -0.4], [0.5, 0.6]])
    expected = _gradients(x, w)
    recorder = Recorder()
    got = _gradients(x, w, recorder)
    for a, b in zip(expected, got):
        np.testing.assert_array_equal(a, b)
    packs = [shape for kind, shape in recorder.log if kind == "pack"]
    unpacks = [shape for kind, shape in recorder.log if kind == "unpack"]
    # matmul saves x and w; tanh its result; mul both factors; exp its result; sin w[0].
    assert sorted(packs) == sorted([(2, 3), (3, 2), (2, 2), (2, 2), (2, 2), (2, 2), (2,)])
    assert sorted(unpacks) == sorted(packs)
    assert recorder.log.index(("unpack", (2, 2))) > max(
        i for i, (kind, _) in enumerate(recorder.log) if kind == "pack")


def test_pack_sees_detached_tensors_and_python_values_are_not_packed():
    seen = []

    def pack(t):
        seen.append((t.requires_grad, t.grad_fn))
        return t

    x = leaf([1.0, 2.0, 3.0])
    with saved_tensors_hooks(pack, lambda t: t):
        y = ag.sum(x ** 2, axis=0)  # pow saves x (and the exponent, a Python int)
    assert seen == [(False, None)]
    y.backward()
    np.testing.assert_allclose(host(x.grad), [2.0, 4.0, 6.0])


def test_hooks_apply_only_inside_the_block_and_the_innermost_pair_wins():
    log = []

    def pair(name):
        return (lambda t: (log.append(f"{name} pack"), t)[1],
                lambda t: (log.append(f"{name} unpack"), t)[1])

    x = leaf([1.0, 2.0])
    with saved_tensors_hooks(*pair("outer")):
        a = ag.sin(x)
        with saved_tensors_hooks(*pair("inner")):
            b = ag.cos(x)
        c = ag.exp(x)
    d = ag.tanh(x)
    assert log == ["outer pack", "inner pack", "outer pack"]
    ag.sum(a + b + c + d).backward()
    assert sorted(log[3:]) == ["inner unpack", "outer unpack", "outer unpack"]


def test_unpack_runs_on_each_backward_of_a_retained_graph():
    count = {"unpack": 0}

    def unpack(t):
        count["unpack"] += 1
        return t

    x = leaf([1.0, 2.0])
    with saved_tensors_hooks(lambda t: t, unpack):
        y = ag.sum(ag.sin(x))
    y.backward(retain_graph=True)
    y.backward()
    assert count["unpack"] == 2
    np.testing.assert_allclose(host(x.grad), 2 * np.cos([1.0, 2.0]))


def test_double_backward_through_unpacked_values(backend):
    x = leaf([0.3, -1.2, 2.0])
    recorder = Recorder()
    with recorder.hooks():
        y = ag.sum(ag.sin(x) * x)
    (g,) = ag.autograd.grad(y, x, create_graph=True)
    (h,) = ag.autograd.grad(ag.sum(g), x)
    v = np.array([0.3, -1.2, 2.0])
    np.testing.assert_allclose(host(h), 2 * np.cos(v) - v * np.sin(v), rtol=1e-12)


def test_custom_function_saved_tensors_go_through_the_hooks():
    recorder = Recorder()
    x = leaf([1.0, 2.0])
    with recorder.hooks():
        y = ag.sum(Cube.apply(x))
    y.backward()
    assert recorder.log == [("pack", (2,)), ("unpack", (2,))]
    np.testing.assert_allclose(host(x.grad), [3.0, 12.0])


def test_unpack_returning_something_else_is_a_clear_error():
    x = leaf([1.0, 2.0])
    with saved_tensors_hooks(lambda t: t, lambda t: "not an array"):
        y = ag.sum(ag.sin(x))
    with pytest.raises(TypeError, match="unpack hook .* must return a Tensor, not str"):
        y.backward()


def test_hooks_must_be_callables():
    with pytest.raises(TypeError, match="two callables"):
        saved_tensors_hooks(None, lambda t: t)


def test_operations_with_several_outputs_pack_each_result(backend):
    def loss_of(a):
        q, r = ag.linalg.qr(a)
        return ag.sum(q * q * ag.arange(2.0, dtype=ag.float64)) + ag.sum(r * r * r)

    values = [[2.0, 0.5], [0.5, 1.0], [1.0, -1.0]]
    a, plain = leaf(values), leaf(values)
    recorder = Recorder()
    with recorder.hooks():
        loss = loss_of(a)
    loss.backward()
    loss_of(plain).backward()
    np.testing.assert_allclose(host(a.grad), host(plain.grad), rtol=1e-12)
    assert ("unpack", (3, 2)) in recorder.log and ("unpack", (2, 2)) in recorder.log


def test_packing_makes_no_reference_cycle():
    import gc
    import weakref

    class Hooks:
        def pack(self, t):
            return t

        def unpack(self, t):
            return t

    hooks = Hooks()
    alive = weakref.ref(hooks)
    x = leaf([1.0, 2.0])
    gc.disable()
    try:
        with saved_tensors_hooks(hooks.pack, hooks.unpack):
            y = ag.sum(ag.sin(x) * x)
        del hooks
        y.backward()
        del y
        assert alive() is None  # freed by reference counting alone
    finally:
        gc.enable()
