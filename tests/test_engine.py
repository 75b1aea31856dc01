"""The backward engine: accumulation, branches, retained graphs, seed gradients,
``inputs=``, ``autograd.grad``, deep graphs, freeing, and the graph's public view
(``next_functions``, node reprs). The behaviour pinned down is PyTorch's."""
from __future__ import annotations

import re
import time
import warnings
import weakref

import numpy as np
import pytest
from numpy.testing import assert_allclose

import arraygrad as ag
from gradcheck_utils import host as val, leaf
from arraygrad.autograd import grad as ag_grad

F64 = ag.float64


NODE_REPR = r"<{}Backward\d? object at 0x[0-9a-f]+>"


# -- accumulation, branches and reuse ---------------------------------------------

def test_gradients_accumulate_across_backward_calls(backend):
    x = leaf([1.0, 2.0, 3.0])
    (x * x).sum().backward()
    assert_allclose(val(x.grad), [2.0, 4.0, 6.0])
    (x * x).sum().backward()
    assert_allclose(val(x.grad), [4.0, 8.0, 12.0])
    (3 * x).sum().backward()
    assert_allclose(val(x.grad), [7.0, 11.0, 15.0])


def test_grad_is_none_before_backward_and_can_be_reset(backend):
    x = leaf([1.0, 2.0])
    assert x.grad is None
    (x * 2).sum().backward()
    assert_allclose(val(x.grad), [2.0, 2.0])
    x.grad = None
    (x * 5).sum().backward()
    assert_allclose(val(x.grad), [5.0, 5.0])


def test_self_reuse_y_times_y(backend):
    x = leaf([1.0, -2.0, 3.0])
    y = x * 2
    z = (y * y).sum()  # 4 x^2
    z.backward()
    assert_allclose(val(x.grad), 8 * np.array([1.0, -2.0, 3.0]))


def test_x_times_x_direct(backend):
    x = leaf([0.5, 1.5])
    (x * x * x).sum().backward()
    assert_allclose(val(x.grad), 3 * np.array([0.5, 1.5]) ** 2)


def test_tensor_used_by_two_ops_branches_accumulate(backend):
    xs = np.array([0.3, 1.1, -0.7])
    x = leaf(xs)
    a = x.exp()
    out = (a.sin() + a.cos() * a).sum()  # sin(e^x) + cos(e^x) e^x
    out.backward()
    e = np.exp(xs)
    expected = np.cos(e) * e + (-np.sin(e) * e * e + np.cos(e) * e)
    assert_allclose(val(x.grad), expected, rtol=1e-12)


def test_summing_gradients_never_writes_into_a_shared_one(backend):
    """``x + x`` hands one gradient object to both of its edges into x, and a hook
    keeps it: the engine may sum into its own buffers in place, never into an array
    anything else can see."""
    x = leaf([0.5, -1.5, 2.0])
    seen = []
    twice = x + x
    twice.register_hook(lambda g: seen.append((g, val(g))))
    ag.sum(twice * 1.5).backward()
    assert_allclose(val(x.grad), [3.0, 3.0, 3.0])
    (g, values_then), = seen
    assert_allclose(values_then, [1.5, 1.5, 1.5])
    assert_allclose(val(g), values_then)


def test_many_contributions_summed(backend):
    xs = np.array([0.5, -1.5, 2.0])
    x = leaf(xs)
    out = ag.sum(ag.sin(x) * x + ag.exp(-x ** 2) + (x + x) * 1.5 + x * 3.0)
    out.backward()
    expected = np.cos(xs) * xs + np.sin(xs) - 2 * xs * np.exp(-xs ** 2) + 3 + 3
    assert_allclose(val(x.grad), expected, rtol=1e-12)


def test_diamond_graph(backend):
    xs = np.array([1.0, 2.0])
    x = leaf(xs)
    a = x * 3
    b = a + 1
    c = a * a
    d = (b * c).sum()  # (3x+1) 9x^2
    d.backward()
    assert_allclose(val(x.grad), 81 * xs**2 + 18 * xs)


def test_two_leaves_and_broadcasting(backend):
    a = leaf([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    b = leaf([10.0, 20.0, 30.0])
    (a * b).sum().backward()
    assert_allclose(val(a.grad), np.broadcast_to([10.0, 20.0, 30.0], (2, 3)))
    assert_allclose(val(b.grad), [5.0, 7.0, 9.0])
    assert a.grad.shape == (2, 3) and b.grad.shape == (3,)


def test_leaf_grad_has_leaf_dtype_and_backend(backend):
    x = leaf([1.0, 2.0], dtype=ag.float32)
    (x * 2).sum().backward()
    assert x.grad.dtype == ag.float32
    assert x.grad._backend is x._backend
    assert not x.grad.requires_grad
    assert x.grad.grad_fn is None


# -- non-leaf .grad and retain_grad -------------------------------------------------

def test_non_leaf_grad_is_none_and_warns(backend):
    x = leaf([1.0, 2.0])
    y = x * 2
    y.sum().backward()
    with pytest.warns(UserWarning, match="not a leaf Tensor"):
        assert y.grad is None


def test_leaf_grad_does_not_warn(backend):
    x = leaf([1.0, 2.0])
    (x * 2).sum().backward()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert x.grad is not None


def test_retain_grad_fills_non_leaf_grad_and_accumulates(backend):
    x = leaf([1.0, 2.0])
    y = x * 3
    y.retain_grad()
    assert y.retains_grad
    z = (y * y).sum()
    z.backward(retain_graph=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = y.grad
    assert_allclose(val(g), 2 * np.array([3.0, 6.0]))
    z.backward()
    assert_allclose(val(y.grad), 4 * np.array([3.0, 6.0]))
    assert_allclose(val(x.grad), 4 * 9 * np.array([1.0, 2.0]))


def test_retain_grad_across_separate_graphs(backend):
    x = leaf([1.0, 2.0])
    y = x * 2
    y.retain_grad()
    (y * 1).sum().backward(retain_graph=True)  # keeps y's own node for the next call
    (y * 5).sum().backward()
    assert_allclose(val(y.grad), [6.0, 6.0])


# -- freeing saved values ----------------------------------------------------------

def test_second_backward_raises_after_saved_values_freed(backend):
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError) as info:
        y.backward()
    msg = str(info.value)
    assert "Trying to backward through the graph a second time" in msg
    assert "retain_graph=True" in msg
    assert_allclose(val(x.grad), [2.0, 4.0])  # unchanged by the failed call


def test_retain_graph_allows_second_backward(backend):
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward(retain_graph=True)
    y.backward()
    assert_allclose(val(x.grad), [6.0, 12.0])
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_grad_frees_saved_values_too(backend):
    x = leaf([1.0, 2.0])
    y = (x.exp()).sum()
    (g,) = ag_grad(y, x)
    assert_allclose(val(g), np.exp([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="second time"):
        ag_grad(y, x)


def test_backward_releases_saved_arrays(numpy_backend):
    arr = np.ones(3)
    ref = weakref.ref(arr)
    w = leaf([1.0, 2.0, 3.0])
    # saves arr for w's gradient (times 2: with the seed of 1 itself, arr would be the
    # gradient, see test_the_seed_of_a_sum_is_not_multiplied)
    y = (w * ag.asarray(arr)).sum() * 2.0
    del arr
    assert ref() is not None
    y.backward()
    assert ref() is None, "backward kept a saved array alive"
    assert_allclose(val(w.grad), [2.0, 2.0, 2.0])


def test_retain_graph_keeps_saved_arrays_until_graph_dropped(numpy_backend):
    arr = np.ones(3)
    ref = weakref.ref(arr)
    w = leaf([1.0, 2.0, 3.0])
    y = (w * ag.asarray(arr)).sum()
    del arr
    y.backward(retain_graph=True)
    assert ref() is not None
    y.backward()
    assert ref() is None
    assert_allclose(val(w.grad), [2.0, 2.0, 2.0])


def test_saved_result_released_by_backward(numpy_backend):
    w = leaf([0.0, 1.0])
    e = w.exp()  # exp saves its result
    ref = weakref.ref(e.data)
    s = e.sum() * 2.0
    del e
    assert ref() is not None
    s.backward()
    assert ref() is None


def test_the_seed_of_a_sum_is_not_multiplied(numpy_backend):
    """d sum(exp(w)) / dw is exp(w) itself: the seed of 1 that sum's rule spreads is not
    multiplied in (RuleNamespace.times), so the saved result becomes the gradient,
    without a pass over it, once nothing else holds it."""
    w = leaf([0.0, 1.0])
    e = w.exp()
    ref = weakref.ref(e.data)
    s = e.sum()
    del e
    s.backward()
    assert w.grad.data is ref()
    assert_allclose(val(w.grad), np.exp([0.0, 1.0]))


def test_a_gradient_shared_with_a_live_tensor_lands_as_a_copy(numpy_backend):
    """sum(x * y): x's gradient is y's values, passed on without a multiply; while y
    lives, x.grad is a copy, so writing either leaves the other alone (PyTorch's
    AccumulateGrad clones what it cannot steal)."""
    x, y = leaf([1.0, 2.0, 3.0]), leaf([4.0, 5.0, 6.0])
    (x * y).sum().backward()
    assert_allclose(val(x.grad), [4.0, 5.0, 6.0])
    assert_allclose(val(y.grad), [1.0, 2.0, 3.0])
    assert not np.shares_memory(x.grad.data, y.data)
    assert not np.shares_memory(y.grad.data, x.data)
    x.grad.data[0] = 100.0
    assert_allclose(val(y), [4.0, 5.0, 6.0])


def test_graph_without_saved_tensors_can_backward_twice(backend):
    # As in PyTorch: add saves nothing and sum saves only a shape, so nothing is freed.
    x = leaf([1.0, 2.0])
    y = (x + 2).sum()
    y.backward()
    y.backward()
    assert_allclose(val(x.grad), [2.0, 2.0])


def test_graph_of_pure_add_can_backward_twice(backend):
    x = leaf([1.0, 2.0])
    y = x + 2
    y.backward(ag.ones(2, dtype=F64))
    y.backward(ag.ones(2, dtype=F64))
    assert_allclose(val(x.grad), [2.0, 2.0])


# -- the seed gradient ---------------------------------------------------------------

def test_backward_of_non_scalar_needs_gradient(backend):
    x = leaf([1.0, 2.0])
    y = x * 2
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        y.backward()


def test_backward_of_size_one_tensor_without_gradient(backend):
    x = leaf([[3.0]])
    (x * x).backward()
    assert_allclose(val(x.grad), [[6.0]])


def test_backward_with_gradient(backend):
    x = leaf([1.0, 2.0, 3.0])
    y = x * x
    y.backward(ag.tensor([1.0, 0.5, -1.0], dtype=F64))
    assert_allclose(val(x.grad), [2.0, 2.0, -6.0])


def test_gradient_wrong_shape(backend):
    x = leaf([1.0, 2.0])
    y = x * 2
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        y.backward(ag.ones(3, dtype=F64))
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        y.backward(ag.ones((1, 2), dtype=F64))


@pytest.mark.parametrize("dtype", [ag.int64, ag.int32, ag.bool])
def test_gradient_of_non_float_dtype_is_type_error(backend, dtype):
    x = leaf([1.0, 2.0])
    y = x * 2
    with pytest.raises(TypeError):
        y.backward(ag.ones(2, dtype=dtype))


def test_gradient_complex_for_real_output(backend):
    x = leaf([1.0, 2.0])
    y = x * 2
    with pytest.raises(RuntimeError, match="dtype"):
        y.backward(ag.ones(2, dtype=ag.complex128))


def test_gradient_real_for_complex_output(backend):
    z = ag.tensor([1 + 1j, 2 - 1j], dtype=ag.complex128, requires_grad=True)
    y = z * 2
    with pytest.raises(RuntimeError, match="dtype"):
        y.backward(ag.ones(2, dtype=F64))


def test_gradient_float32_for_float64_output_is_cast(backend):
    x = leaf([1.0, 2.0])
    (x * 3).backward(ag.ones(2, dtype=ag.float32))
    assert x.grad.dtype == F64
    assert_allclose(val(x.grad), [3.0, 3.0])


def test_gradient_float64_for_float32_output_is_cast(backend):
    x = leaf([1.0, 2.0], dtype=ag.float32)
    (x * 3).backward(ag.ones(2, dtype=F64))
    assert x.grad.dtype == ag.float32
    assert_allclose(val(x.grad), [3.0, 3.0])


@pytest.mark.parametrize("other", ["numpy", "torch"])
def test_gradient_of_other_backend_is_type_error(backend, other):
    if backend.name == other:
        other = "array_api_strict" if other == "numpy" else "numpy"
    try:
        with ag.use_backend(other):
            g = ag.ones(2, dtype=F64)
    except ag.BackendUnavailable:
        pytest.skip(f"{other} unavailable")
    x = leaf([1.0, 2.0])
    y = x * 2
    with pytest.raises(TypeError) as info:
        y.backward(g)
    assert backend.name in str(info.value) and other in str(info.value)


def test_gradient_as_raw_numpy_array_on_numpy_backend(numpy_backend):
    x = leaf([1.0, 2.0])
    (x * 2).backward(np.array([1.0, -1.0]))
    assert_allclose(val(x.grad), [2.0, -2.0])


def test_backward_of_complex_scalar_needs_gradient(backend):
    z = ag.tensor([1 + 2j], dtype=ag.complex128, requires_grad=True)
    y = (z * z).sum()
    with pytest.raises(RuntimeError, match="real scalar outputs"):
        y.backward()


def test_backward_of_several_roots(backend):
    x = leaf([1.0, 2.0])
    h = x * x
    a = h.sum()
    b = (h * 3).sum()
    ag.autograd.backward([a, b])
    assert_allclose(val(x.grad), 4 * 2 * np.array([1.0, 2.0]))


def test_backward_of_tensor_without_grad_raises(backend):
    x = ag.tensor([1.0, 2.0], dtype=F64)
    with pytest.raises(RuntimeError, match="does not require grad"):
        (x * 2).sum().backward()


# -- backward(inputs=...) -------------------------------------------------------------

def test_backward_inputs_accumulates_only_into_those(backend):
    a = leaf([1.0, 2.0])
    b = leaf([3.0, 4.0])
    y = (a * b).sum()
    y.backward(inputs=[a], retain_graph=True)
    assert_allclose(val(a.grad), [3.0, 4.0])
    assert b.grad is None
    y.backward(inputs=[b])
    assert_allclose(val(b.grad), [1.0, 2.0])
    assert_allclose(val(a.grad), [3.0, 4.0])


def test_backward_inputs_single_tensor_and_non_leaf(backend):
    a = leaf([1.0, 2.0])
    h = a * 2
    y = (h * h).sum()
    y.backward(inputs=h)
    assert a.grad is None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_allclose(val(h.grad), [4.0, 8.0])


# -- autograd.grad --------------------------------------------------------------------

def test_grad_returns_tuple_and_leaves_dot_grad_alone(backend):
    a = leaf([1.0, 2.0])
    b = leaf([3.0, 5.0])
    y = (a * a * b).sum()
    grads = ag_grad(y, [a, b])
    assert isinstance(grads, tuple) and len(grads) == 2
    assert_allclose(val(grads[0]), [6.0, 20.0])
    assert_allclose(val(grads[1]), [1.0, 4.0])
    assert a.grad is None and b.grad is None
    assert all(isinstance(g, ag.Tensor) for g in grads)


def test_grad_single_input_returns_one_tuple(backend):
    x = leaf([2.0])
    out = ag_grad((x * x).sum(), x)
    assert isinstance(out, tuple) and len(out) == 1
    assert_allclose(val(out[0]), [4.0])


def test_grad_with_respect_to_non_leaf(backend):
    x = leaf([1.0, 2.0])
    h = x * 3
    y = (h * h).sum()
    (gh,) = ag_grad(y, h)
    assert_allclose(val(gh), [6.0, 12.0])
    assert x.grad is None


def test_grad_unused_input_raises(backend):
    a = leaf([1.0])
    b = leaf([2.0])
    y = (a * 2).sum()
    with pytest.raises(RuntimeError, match="allow_unused"):
        ag_grad(y, [a, b])


def test_grad_allow_unused_gives_none(backend):
    a = leaf([1.0])
    b = leaf([2.0])
    y = (a * 2).sum()
    ga, gb = ag_grad(y, [a, b], allow_unused=True)
    assert_allclose(val(ga), [2.0])
    assert gb is None


def test_grad_with_grad_outputs(backend):
    x = leaf([1.0, 2.0])
    y = x * x
    (g,) = ag_grad(y, x, grad_outputs=ag.tensor([1.0, 3.0], dtype=F64))
    assert_allclose(val(g), [2.0, 12.0])


def test_grad_create_graph_second_derivative(backend):
    xs = np.array([0.5, 1.5])
    x = leaf(xs)
    y = (x * x * x).sum()
    (g,) = ag_grad(y, x, create_graph=True)
    assert g.requires_grad and g.grad_fn is not None
    assert_allclose(val(g), 3 * xs**2)
    (h,) = ag_grad(g.sum(), x)
    assert_allclose(val(h), 6 * xs)


# -- deep graphs -------------------------------------------------------------------

def test_million_op_chain_has_no_recursion_limit(numpy_backend):
    # Measured: about 5-8 s on one core (forward included), below the 20 s slow mark.
    x = ag.tensor(1.0, dtype=F64, requires_grad=True)
    factor = 1.0000001
    y = x
    start = time.perf_counter()
    for _ in range(1_000_000):
        y = y * factor
    y.backward()
    assert_allclose(x.grad.item(), factor**1_000_000, rtol=1e-9)
    del y  # freeing a million-node chain must not recurse either
    assert time.perf_counter() - start < 120


def test_deep_add_chain_freed_without_backward(numpy_backend):
    x = ag.tensor(1.0, dtype=F64, requires_grad=True)
    y = x
    for _ in range(200_000):
        y = y + 1
    r = weakref.ref(y.grad_fn)
    del y
    assert r() is None


# -- nothing keeps the graph alive --------------------------------------------------

def test_graph_freed_by_refcount_alone(backend, no_gc):
    x = leaf([1.0, 2.0])
    a = x * 2
    b = a.exp()
    y = (b * a).sum()
    outer, inner, innermost = weakref.ref(y.grad_fn), weakref.ref(b.grad_fn), weakref.ref(a.grad_fn)
    del a, b, y
    assert outer() is None and inner() is None and innermost() is None


def test_graph_freed_after_backward(backend, no_gc):
    x = leaf([1.0, 2.0])
    a = x * 2
    y = (a * a).sum()
    y.backward()
    outer, inner = weakref.ref(y.grad_fn), weakref.ref(a.grad_fn)
    del a, y
    assert outer() is None and inner() is None
    assert_allclose(val(x.grad), [8.0, 16.0])


def test_graph_freed_after_backward_with_retain_graph(backend, no_gc):
    x = leaf([1.0, 2.0])
    a = x * 2
    y = (a * a).sum()
    y.backward(retain_graph=True)
    outer, inner = weakref.ref(y.grad_fn), weakref.ref(a.grad_fn)
    del a, y
    assert outer() is None and inner() is None


def test_graph_freed_with_retain_grad(backend, no_gc):
    x = leaf([1.0, 2.0])
    a = x * 2
    a.retain_grad()
    y = (a * a).sum()
    y.backward()
    assert_allclose(val(a.grad), [4.0, 8.0])
    outer, inner = weakref.ref(y.grad_fn), weakref.ref(a.grad_fn)
    tensor_ref = weakref.ref(a)
    del a, y
    assert outer() is None and inner() is None and tensor_ref() is None


def test_graph_freed_with_create_graph(backend, no_gc):
    x = leaf([1.0, 2.0])
    y = (x * x * x).sum()
    (g,) = ag_grad(y, x, create_graph=True)
    r_y, r_g = weakref.ref(y.grad_fn), weakref.ref(g.grad_fn)
    del y, g
    assert r_y() is None and r_g() is None


def test_leaf_freed_when_graph_and_leaf_dropped(backend, no_gc):
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    rx = weakref.ref(x)
    del x, y
    assert rx() is None


# -- the graph's public view ----------------------------------------------------------

def test_next_functions_with_leaves_and_constants(backend):
    x = leaf([1.0, 2.0])
    c = ag.tensor([3.0, 4.0], dtype=F64)
    y = x * c
    nf = y.grad_fn.next_functions
    assert len(nf) == 2
    acc, nr = nf[0]
    assert nr == 0
    assert type(acc).__name__ == "AccumulateGrad"
    assert acc.variable is x
    assert nf[1] == (None, 0)


def test_next_functions_chain(backend):
    x = leaf([1.0, 2.0])
    a = x * 2
    y = a.exp().sum()
    (exp_node, nr), = y.grad_fn.next_functions
    assert nr == 0
    assert exp_node is not None
    assert re.fullmatch(NODE_REPR.format("Exp"), repr(exp_node))
    (mul_node, nr), = exp_node.next_functions
    assert mul_node is a.grad_fn
    assert re.fullmatch(NODE_REPR.format("Mul"), repr(mul_node))
    first, second = mul_node.next_functions
    assert first[0].variable is x
    assert second == (None, 0)  # the Python scalar


def test_next_functions_shows_both_leaves(backend):
    a = leaf([1.0])
    b = leaf([2.0])
    y = a + b
    (na, _), (nb, _) = y.grad_fn.next_functions
    assert na.variable is a and nb.variable is b


def test_node_repr_matches_pytorch(backend):
    x = leaf([1.0, 2.0])
    y = x * x
    assert re.fullmatch(r"<MulBackward0 object at 0x[0-9a-f]+>", repr(y.grad_fn))
    assert re.fullmatch(r"<AddBackward0 object at 0x[0-9a-f]+>", repr((x + 1).grad_fn))
    assert re.fullmatch(r"<SumBackward0 object at 0x[0-9a-f]+>", repr(y.sum().grad_fn))
    assert y.grad_fn.name() == "MulBackward0"


def test_grad_fn_of_leaf_is_none(backend):
    x = leaf([1.0])
    assert x.grad_fn is None and x.is_leaf
    y = x * 2
    assert not y.is_leaf and y.requires_grad


def test_autograd_grad_returns_a_gradient_of_its_own(numpy_backend):
    """As in .grad: a gradient a rule passed on from a live tensor comes back as a copy
    (the caller may write it), one that only the engine held comes back as it is."""
    x, y = leaf([1.0, 2.0, 3.0]), leaf([4.0, 5.0, 6.0])
    (gx,) = ag_grad((x * y).sum(), x)
    assert_allclose(val(gx), [4.0, 5.0, 6.0])
    assert not np.shares_memory(gx.data, y.data)
    w = leaf([0.0, 1.0])
    e = w.exp()
    ref = weakref.ref(e.data)
    s = e.sum()
    del e
    (gw,) = ag_grad(s, w)
    assert gw.data is ref()
