"""User-defined operations: ``class F(arraygrad.autograd.Function)`` with static
``forward(ctx, ...)`` / ``backward(ctx, ...)``, as in PyTorch."""
from __future__ import annotations

import re
import weakref

import numpy as np
import pytest
from numpy.testing import assert_allclose

import arraygrad as ag
from gradcheck_utils import Cube, const, host as val, leaf
from arraygrad.autograd import Function

F64 = ag.float64


class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y


class MulAdd(Function):
    """a * b + c."""

    @staticmethod
    def forward(ctx, a, b, c):
        ctx.save_for_backward(a, b)
        return a * b + c

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return grad * b, grad * a, grad


class Scale(Function):
    """A Python number among the arguments: its gradient is None."""

    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return x * k

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.k, None


class TwoOutSaved(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * 2, x * x

    @staticmethod
    def backward(ctx, g1, g2):
        (x,) = ctx.saved_tensors
        return g1 * 2 + g2 * 2 * x


class TooMany(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, grad):
        return grad * 2, grad


class TooFew(Function):
    @staticmethod
    def forward(ctx, a, b):
        return a * b

    @staticmethod
    def backward(ctx, grad):
        return grad


# -- the basics ---------------------------------------------------------------------

def test_apply_forward_values_and_grad_fn(backend):
    xs = np.array([0.0, 0.5, 1.0])
    x = leaf(xs)
    y = Exp.apply(x)
    assert isinstance(y, ag.Tensor)
    assert_allclose(val(y), np.exp(xs))
    assert re.fullmatch(r"<ExpBackward object at 0x[0-9a-f]+>", repr(y.grad_fn))
    assert y.grad_fn.name() == "ExpBackward"
    assert not y.is_leaf
    assert y._backend is backend


def test_output_requires_grad(backend):
    x = leaf([0.0, 1.0])
    y = Exp.apply(x)
    assert y.requires_grad


def test_backward_with_explicit_gradient(backend):
    xs = np.array([0.0, 0.5, 1.0])
    x = leaf(xs)
    y = Exp.apply(x)
    y.backward(ag.ones(3, dtype=F64))
    assert_allclose(val(x.grad), np.exp(xs))


def test_function_output_feeds_further_ops(backend):
    # exp(x).sum(): the Function's output must be recorded by the ops after it.
    xs = np.array([0.0, 0.5, 1.0])
    x = leaf(xs)
    Exp.apply(x).sum().backward()
    assert_allclose(val(x.grad), np.exp(xs))


def test_function_output_in_a_larger_graph(backend):
    xs = np.array([0.2, 0.4])
    x = leaf(xs)
    y = Cube.apply(x * 2)  # (2x)^3
    z = (y * y).sum()  # 64 x^6
    z.backward()
    assert_allclose(val(x.grad), 384 * xs**5)


def test_function_input_is_a_non_leaf(backend):
    xs = np.array([0.0, 1.0])
    x = leaf(xs)
    y = Exp.apply(x * 2)
    (exp_in, _), = y.grad_fn.next_functions
    assert exp_in.name() == "MulBackward0"
    y.backward(ag.ones(2, dtype=F64))
    assert_allclose(val(x.grad), 2 * np.exp(2 * xs))


def test_forward_runs_without_recording(backend):
    seen = []

    class Probe(Function):
        @staticmethod
        def forward(ctx, x):
            seen.append(ag.is_grad_enabled())
            inner = x * 2
            seen.append(inner.grad_fn)
            return inner

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    x = leaf([1.0])
    y = Probe.apply(x)
    assert seen == [False, None]
    assert ag.is_grad_enabled()
    y.backward(ag.ones(1, dtype=F64))
    assert_allclose(val(x.grad), [2.0])


def test_apply_under_no_grad_records_nothing(backend):
    x = leaf([1.0, 2.0])
    with ag.no_grad():
        y = Exp.apply(x)
    assert y.grad_fn is None and not y.requires_grad
    assert_allclose(val(y), np.exp([1.0, 2.0]))


def test_apply_without_inputs_requiring_grad(backend):
    y = Exp.apply(const([1.0]))
    assert y.grad_fn is None and not y.requires_grad


def test_gradients_accumulate_over_calls(backend):
    x = leaf([1.0, 2.0])
    for _ in range(2):
        Cube.apply(x).backward(ag.ones(2, dtype=F64))
    assert_allclose(val(x.grad), 2 * 3 * np.array([1.0, 4.0]))


# -- several inputs ------------------------------------------------------------------

def test_multi_input_where_one_does_not_require_grad(backend):
    a = leaf([1.0, 2.0])
    b = const([3.0, 4.0])
    c = leaf([5.0, 6.0])
    y = MulAdd.apply(a, b, c)
    assert_allclose(val(y), [8.0, 14.0])
    nf = y.grad_fn.next_functions
    assert len(nf) == 3
    assert nf[0][0].variable is a
    assert nf[1] == (None, 0)
    assert nf[2][0].variable is c
    y.backward(ag.tensor([1.0, 10.0], dtype=F64))
    assert_allclose(val(a.grad), [3.0, 40.0])
    assert b.grad is None
    assert_allclose(val(c.grad), [1.0, 10.0])


def test_non_tensor_argument(backend):
    x = leaf([1.0, 2.0])
    y = Scale.apply(x, 3.0)
    first, second = y.grad_fn.next_functions
    assert first[0].variable is x and first[1] == 0
    assert second == (None, 0)
    y.backward(ag.ones(2, dtype=F64))
    assert_allclose(val(x.grad), [3.0, 3.0])


def test_two_outputs(backend):
    xs = np.array([1.0, 3.0])
    x = leaf(xs)
    a, b = TwoOutSaved.apply(x)
    assert a.grad_fn is b.grad_fn
    assert a._output_nr == 0 and b._output_nr == 1
    ag.autograd.backward([a, b], [ag.ones(2, dtype=F64), ag.ones(2, dtype=F64)])
    assert_allclose(val(x.grad), 2 + 2 * xs)


def test_two_outputs_one_unused_gets_zeros(backend):
    xs = np.array([1.0, 3.0])
    x = leaf(xs)
    a, b = TwoOutSaved.apply(x)
    b.backward(ag.ones(2, dtype=F64))  # a's gradient is materialized as zeros
    assert_allclose(val(x.grad), 2 * xs)


def test_mark_non_differentiable(backend):
    class WithMask(Function):
        @staticmethod
        def forward(ctx, x):
            mask = x * 0
            ctx.mark_non_differentiable(mask)
            return x * 1, mask

        @staticmethod
        def backward(ctx, g, g_mask):
            return g

    x = leaf([1.0, 2.0])
    y, m = WithMask.apply(x)
    assert y.grad_fn is not None
    assert m.grad_fn is None and not m.requires_grad


# -- errors ---------------------------------------------------------------------------

def test_backward_returning_too_many_gradients(backend):
    x = leaf([1.0, 2.0])
    y = TooMany.apply(x)
    with pytest.raises(RuntimeError) as info:
        y.backward(ag.ones(2, dtype=F64))
    msg = str(info.value)
    assert "TooMany" in msg and "2" in msg and "1" in msg


def test_backward_returning_too_few_gradients(backend):
    a = leaf([1.0])
    b = leaf([2.0])
    y = TooFew.apply(a, b)
    with pytest.raises(RuntimeError) as info:
        y.backward(ag.ones(1, dtype=F64))
    msg = str(info.value)
    assert "TooFew" in msg and "1" in msg and "2" in msg


def test_saved_tensors_freed_after_backward(backend):
    x = leaf([1.0, 2.0])
    y = Exp.apply(x)
    y.backward(ag.ones(2, dtype=F64))
    with pytest.raises(RuntimeError, match="second time"):
        y.backward(ag.ones(2, dtype=F64))


def test_retain_graph_through_function(backend):
    x = leaf([1.0, 2.0])
    y = Cube.apply(x)
    y.backward(ag.ones(2, dtype=F64), retain_graph=True)
    y.backward(ag.ones(2, dtype=F64))
    assert_allclose(val(x.grad), 2 * 3 * np.array([1.0, 4.0]))


def test_forward_and_backward_must_be_defined():
    class NoBackward(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

    x = leaf([1.0])
    y = NoBackward.apply(x)
    with pytest.raises(NotImplementedError):
        y.backward(ag.ones(1, dtype=F64))


# -- higher order through a Function ---------------------------------------------------

def test_create_graph_second_derivative_saving_input(backend):
    xs = np.array([1.0, 2.0, -0.5])
    x = leaf(xs)
    y = Cube.apply(x)
    (g,) = ag.autograd.grad(y, x, grad_outputs=ag.ones(3, dtype=F64), create_graph=True)
    assert g.requires_grad and g.grad_fn is not None
    assert_allclose(val(g), 3 * xs**2)
    (h,) = ag.autograd.grad(g.sum(), x)
    assert_allclose(val(h), 6 * xs)


def test_create_graph_second_derivative_backward_accumulates(backend):
    xs = np.array([1.0, 2.0])
    x = leaf(xs)
    y = Cube.apply(x)
    y.backward(ag.ones(2, dtype=F64), create_graph=True)
    g = x.grad
    assert g.requires_grad
    assert_allclose(val(g), 3 * xs**2)
    x.grad = None
    g.sum().backward()
    assert_allclose(val(x.grad), 6 * xs)


def test_create_graph_second_derivative_saving_output(backend):
    # exp saves its own output: d2/dx2 exp(x) = exp(x) needs that saved output
    # to be part of the graph.
    xs = np.array([0.0, 0.5])
    x = leaf(xs)
    y = Exp.apply(x)
    (g,) = ag.autograd.grad(y, x, grad_outputs=ag.ones(2, dtype=F64), create_graph=True)
    assert_allclose(val(g), np.exp(xs))
    assert g.requires_grad, "the saved output was not linked to the graph"
    (h,) = ag.autograd.grad(g.sum(), x)
    assert_allclose(val(h), np.exp(xs))


def test_create_graph_through_multi_input_function(backend):
    a = leaf([2.0])
    b = leaf([3.0])
    y = MulAdd.apply(a, b, const([0.0]))
    ga, gb = ag.autograd.grad(y, [a, b], grad_outputs=ag.ones(1, dtype=F64), create_graph=True)
    assert_allclose(val(ga), [3.0])
    assert_allclose(val(gb), [2.0])
    (d,) = ag.autograd.grad(ga.sum(), b)  # d/db (b) = 1
    assert_allclose(val(d), [1.0])


def test_graph_of_a_function_saving_its_output_is_freed_without_the_cycle_collector(
        backend, no_gc):
    x = leaf([1.0, 2.0])
    y = Exp.apply(x)  # saves its own output: the node must not refer to itself
    node = weakref.ref(y.grad_fn)
    del y
    assert node() is None


def test_saved_tensors_of_a_freed_graph_raise(backend):
    captured = []

    class Keep(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            captured.append(ctx)
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    y = Keep.apply(leaf([1.0]))
    del y
    with pytest.raises(RuntimeError, match="second time"):
        captured[0].saved_tensors
