"""Statistical, sorting, searching, set and utility functions: gradients against
central finite differences (float64, on every backend) and ``torch.autograd``, second
derivatives under ``create_graph=True``, and the values of the functions without
gradients (indices, counts, masks) against NumPy."""
from __future__ import annotations

import inspect
import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import arraygrad as ag
from gradcheck_utils import check_hvp, check_vjp, host, to_tensor

torch = pytest.importorskip("torch")

_rng = np.random.default_rng(20251201)


def rnd(*shape):
    return _rng.standard_normal(shape)


def crnd(*shape):
    return rnd(*shape) + 1j * rnd(*shape)


def spread(*shape):
    """Distinct values at least 0.1 apart, shuffled (no ties for finite differences to
    cross)."""
    n = math.prod(shape)
    return (_rng.permutation(n) * 0.37 - 1.3 + _rng.uniform(0, 0.05, n)).reshape(shape)


def _dims(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    return (axis,) if isinstance(axis, int) else tuple(axis)


def _torch_prod(t, axis, keepdims, dtype=None):
    """torch.prod over several dims: the reduced dims flattened last."""
    dims = tuple(d % t.ndim for d in _dims(axis, t.ndim))
    rest = tuple(d for d in range(t.ndim) if d not in dims)
    flat = t.permute(rest + dims).reshape(tuple(t.shape[d] for d in rest) + (-1,))
    out = torch.prod(flat, dim=-1, dtype=dtype)
    if keepdims:
        out = out.reshape(tuple(1 if d in dims else n for d, n in enumerate(t.shape)))
    return out


def _torch_cum(fn, t, axis, include_initial, initial):
    out = fn(t, dim=axis)
    if include_initial:
        shape = list(t.shape)
        shape[axis] = 1
        out = torch.cat([torch.full(shape, initial, dtype=out.dtype), out], dim=axis)
    return out


def reduced_on_jax(backend, keep: bool) -> None:
    """Run only part of a grid on JAX, where every new operation or shape costs an XLA
    compilation (tens of milliseconds each): each function keeps at least one case
    there, and the whole grid runs on the other backends."""
    if backend.name == "jax" and not keep:
        pytest.skip("reduced grid on jax (each new shape costs an XLA compilation); "
                    "this combination runs on the other backends")


def grad_of(out, x):
    (g,) = ag.autograd.grad(out, [x], to_tensor(np.ones(out.shape), dtype=out.dtype))
    return host(g)


# -- reductions -----------------------------------------------------------------------

REDUCTIONS = {
    "max": (lambda xp, x, a, k: xp.max(x, axis=a, keepdims=k),
            lambda t, a, k: torch.amax(t, dim=_dims(a, t.ndim), keepdim=k)),
    "min": (lambda xp, x, a, k: xp.min(x, axis=a, keepdims=k),
            lambda t, a, k: torch.amin(t, dim=_dims(a, t.ndim), keepdim=k)),
    "prod": (lambda xp, x, a, k: xp.prod(x, axis=a, keepdims=k), _torch_prod),
    "var": (lambda xp, x, a, k: xp.var(x, axis=a, correction=1, keepdims=k),
            lambda t, a, k: torch.var(t, dim=_dims(a, t.ndim), correction=1, keepdim=k)),
    "std": (lambda xp, x, a, k: xp.std(x, axis=a, keepdims=k),
            lambda t, a, k: torch.std(t, dim=_dims(a, t.ndim), correction=0, keepdim=k)),
    "sum": (lambda xp, x, a, k: xp.sum(x, axis=a, keepdims=k),
            lambda t, a, k: torch.sum(t, dim=_dims(a, t.ndim), keepdim=k)),
    "mean": (lambda xp, x, a, k: xp.mean(x, axis=a, keepdims=k),
             lambda t, a, k: torch.mean(t, dim=_dims(a, t.ndim), keepdim=k)),
}
AXIS_CASES = [(None, False), (None, True), (1, False), (-1, True), ((0, 2), False),
              ((-1, 0), True)]


@pytest.mark.parametrize("axis,keepdims", AXIS_CASES, ids=str)
@pytest.mark.parametrize("op", list(REDUCTIONS))
def test_reduction(backend, op, axis, keepdims):
    reduced_on_jax(backend, axis == (-1, 0))
    fn, ref = REDUCTIONS[op]
    check_vjp(lambda xp, x: fn(xp, x, axis, keepdims), [spread(2, 3, 4)],
              torch_fn=lambda t: ref(t, axis, keepdims))


# Provoked on purpose: var and std of one value have no degrees of freedom, and every
# backend warns about it.
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.filterwarnings("ignore:var\\(\\):UserWarning")
@pytest.mark.parametrize("op", ["max", "min", "prod", "var", "std"])
def test_reduction_of_0d(backend, op):
    reduced_on_jax(backend, op == "std")
    fn, ref = REDUCTIONS[op]
    check_vjp(lambda xp, x: fn(xp, x, None, False), [np.array(0.7)],
              torch_fn=lambda t: ref(t, None, False))


@pytest.mark.parametrize("shape,axis", [((2, 0, 3), 1), ((0,), None), ((0, 3), 0)], ids=str)
def test_prod_of_empty(backend, shape, axis):
    reduced_on_jax(backend, axis == 1)
    check_vjp(lambda xp, x: xp.prod(x, axis=axis), [rnd(*shape)],
              torch_fn=lambda t: _torch_prod(t, axis, False))


def test_prod_over_no_axes_is_identity(backend):
    check_vjp(lambda xp, x: xp.prod(x, axis=()), [rnd(2, 3)], torch_fn=lambda t: t * 1)


@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize("axis", [None, 1, (0, 1)], ids=str)
def test_max_min_ties_split_evenly(backend, op, axis):
    """Ties share the gradient evenly (torch.amax/amin), not the first one only."""
    reduced_on_jax(backend, axis == 1)
    x = np.array([[1.0, 3.0, 3.0, -2.0], [3.0, -2.0, 0.5, -2.0], [3.0, 3.0, 3.0, 3.0]])
    fn, ref = REDUCTIONS[op]
    grads = check_vjp(lambda xp, x: fn(xp, x, axis, False), [x], fd=False,
                      torch_fn=lambda t: ref(t, axis, False))
    if axis is None and op == "max":
        expected = (x == 3.0) / np.sum(x == 3.0)
        t = to_tensor(x, requires_grad=True)
        assert_allclose(grad_of(ag.max(t), t), expected)
        assert grads[0].shape == x.shape


PROD_ZEROS = {
    "one_zero": np.array([[1.5, 0.0, -2.0], [0.5, 3.0, 1.2]]),
    "two_zeros_in_a_row": np.array([[0.0, 2.0, 0.0], [0.7, -1.1, 2.0]]),
    "zeros_everywhere": np.array([[0.0, 0.0, 0.0], [0.0, 1.0, 0.0]]),
    "one_zero_in_all": np.array([[1.3, -0.8, 2.0], [0.0, 1.7, -0.6]]),
}


@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1)], ids=str)
@pytest.mark.parametrize("case", list(PROD_ZEROS))
def test_prod_with_zeros(backend, case, axis):
    """prod is a polynomial: its gradient at zeros is the product of the others, exact
    with one zero and with several (PyTorch's prod_backward)."""
    reduced_on_jax(backend, axis == 1 or (case == "one_zero_in_all" and axis is None))
    check_vjp(lambda xp, x: xp.prod(x, axis=axis), [PROD_ZEROS[case]],
              torch_fn=lambda t: _torch_prod(t, axis, False))


def test_prod_with_zeros_complex(backend):
    reduced_on_jax(backend, False)
    x = crnd(3, 4)
    x[0, 1] = 0
    x[2, 0] = x[2, 3] = 0
    check_vjp(lambda xp, x: xp.prod(x, axis=1), [x],
              torch_fn=lambda t: torch.prod(t, dim=1))
    check_vjp(lambda xp, x: xp.prod(x), [crnd(2, 3)], torch_fn=lambda t: torch.prod(t))


def test_prod_dtype(backend):
    """prod(float32, dtype=float64): the result is float64, the gradient float32."""
    x0 = np.array([[1.5, 0.0, -2.0], [0.5, 3.0, 1.25]])
    x = to_tensor(x0, dtype=ag.float32, requires_grad=True)
    y = ag.prod(x, axis=1, dtype=ag.float64)
    assert y.dtype == ag.float64
    (g,) = ag.autograd.grad(ag.sum(y), [x])
    assert g.dtype == ag.float32
    t = torch.tensor(x0, requires_grad=True)
    (tg,) = torch.autograd.grad(torch.prod(t, dim=1).sum(), [t])
    assert_allclose(host(g), tg.numpy(), rtol=1e-6)


def test_prod_real_to_complex_dtype(backend):
    """A complex product of a real input: the gradient is real (its real part)."""
    if backend.name == "array_api_strict":
        pytest.skip("array_api_strict: prod with a dtype of another kind is refused "
                    "(the standard leaves it unspecified)")
    x0 = np.array([[1.5, 0.5, -2.0], [0.5, 3.0, 1.25]])
    x = to_tensor(x0, requires_grad=True)
    y = ag.prod(x, axis=0, dtype=ag.complex128)
    assert y.dtype == ag.complex128
    v = np.array([1 + 2j, -0.5j, 3 - 1j])
    (g,) = ag.autograd.grad(y, [x], to_tensor(v))
    assert g.dtype == ag.float64
    # PyTorch refuses this backward; on the same input made complex its gradient's
    # real part is the answer.
    t = torch.tensor(x0.astype(complex), requires_grad=True)
    (tg,) = torch.autograd.grad(torch.prod(t, dim=0), [t], torch.tensor(v))
    assert_allclose(host(g), tg.real.numpy(), rtol=1e-12)


@pytest.mark.parametrize("correction", [0, 1, 1.5])
@pytest.mark.parametrize("op", ["var", "std"])
def test_var_std_correction(backend, op, correction):
    reduced_on_jax(backend, correction == 1.5)
    tfn = getattr(torch, op)
    check_vjp(lambda xp, x: getattr(xp, op)(x, axis=(0, -1), correction=correction),
              [rnd(3, 2, 4)], torch_fn=lambda t: tfn(t, dim=(0, -1), correction=correction))


def test_std_of_constant_slice_has_zero_gradient(backend):
    x = np.array([[2.0, 2.0, 2.0], [1.0, -1.0, 0.5]])
    grads = check_vjp(lambda xp, x: xp.std(x, axis=1), [x], fd=False,
                      torch_fn=lambda t: torch.std(t, dim=1, correction=0))
    assert_array_equal(grads[0][0], 0.0)


@pytest.mark.parametrize("op", ["var", "std"])
def test_var_std_complex(backend, op):
    reduced_on_jax(backend, op == "std")
    if backend.name == "array_api_strict":
        pytest.skip("array_api_strict: var/std take real floating dtypes only "
                    "(as the standard requires)")
    tfn = getattr(torch, op)
    check_vjp(lambda xp, x: getattr(xp, op)(x, axis=1, correction=1), [crnd(2, 4)],
              torch_fn=lambda t: tfn(t, dim=1, correction=1))


@pytest.mark.parametrize("op", ["sum", "mean"])
def test_sum_mean_complex(backend, op):
    reduced_on_jax(backend, op == "sum")
    tfn = getattr(torch, op)
    check_vjp(lambda xp, x: getattr(xp, op)(x, axis=(0, 2)), [crnd(2, 3, 2)],
              torch_fn=lambda t: tfn(t, dim=(0, 2)))


def test_sum_dtype(backend):
    x0 = rnd(2, 3)
    x = to_tensor(x0, dtype=ag.float32, requires_grad=True)
    y = ag.sum(x, axis=0, dtype=ag.float64)
    assert y.dtype == ag.float64
    (g,) = ag.autograd.grad(y, [x], to_tensor(np.array([1.0, 2.0, 3.0])))
    assert g.dtype == ag.float32
    assert_allclose(host(g), np.broadcast_to([1.0, 2.0, 3.0], (2, 3)))
    assert ag.sum(to_tensor(np.array([1, 2, 3])), dtype=ag.float64).dtype == ag.float64


# -- cumulative sums and products -------------------------------------------------------

@pytest.mark.parametrize("include_initial", [False, True])
@pytest.mark.parametrize("axis", [0, -1, 1])
@pytest.mark.parametrize("op", ["cumulative_sum", "cumulative_prod"])
def test_cumulative(backend, op, axis, include_initial):
    reduced_on_jax(backend, axis == -1 and include_initial)
    tfn, initial = (torch.cumsum, 0.0) if op == "cumulative_sum" else (torch.cumprod, 1.0)
    check_vjp(lambda xp, x: getattr(xp, op)(x, axis=axis, include_initial=include_initial),
              [rnd(3, 4)], torch_fn=lambda t: _torch_cum(tfn, t, axis, include_initial, initial))


@pytest.mark.parametrize("op", ["cumulative_sum", "cumulative_prod"])
def test_cumulative_1d_default_axis_and_complex(backend, op):
    reduced_on_jax(backend, op == "cumulative_prod")
    tfn = torch.cumsum if op == "cumulative_sum" else torch.cumprod
    check_vjp(lambda xp, x: getattr(xp, op)(x), [rnd(5)], torch_fn=lambda t: tfn(t, dim=0))
    check_vjp(lambda xp, x: getattr(xp, op)(x, axis=1), [crnd(2, 4)],
              torch_fn=lambda t: tfn(t, dim=1))


@pytest.mark.parametrize("op", ["cumulative_sum", "cumulative_prod"])
def test_cumulative_empty_and_errors(backend, op):
    reduced_on_jax(backend, op == "cumulative_sum")
    tfn, initial = (torch.cumsum, 0.0) if op == "cumulative_sum" else (torch.cumprod, 1.0)
    check_vjp(lambda xp, x: getattr(xp, op)(x, axis=0, include_initial=True), [rnd(0, 3)],
              torch_fn=lambda t: _torch_cum(tfn, t, 0, True, initial))
    with pytest.raises(ValueError):
        getattr(ag, op)(to_tensor(rnd(2, 3)))  # axis required beyond one dimension
    with pytest.raises(ValueError):
        getattr(ag, op)(to_tensor(np.array(1.0)))


def test_cumulative_sum_dtype(backend):
    x = to_tensor(rnd(4), dtype=ag.float32, requires_grad=True)
    y = ag.cumulative_sum(x, dtype=ag.float64)
    assert y.dtype == ag.float64
    (g,) = ag.autograd.grad(ag.sum(y), [x])
    assert g.dtype == ag.float32
    assert_allclose(host(g), [4.0, 3.0, 2.0, 1.0])


CUMPROD_ZEROS = {
    "one_zero": np.array([1.5, 0.0, -2.0, 0.5, 1.2]),
    "two_zeros": np.array([2.0, 0.0, 3.0, 0.0, 4.0]),
    "leading_zero": np.array([0.0, 2.0, -1.5, 3.0]),
    "trailing_zero": np.array([2.0, 3.0, -0.5, 0.0]),
    "adjacent_zeros": np.array([1.1, 0.0, 0.0, 2.0]),
}


@pytest.mark.parametrize("include_initial", [False, True])
@pytest.mark.parametrize("case", list(CUMPROD_ZEROS))
def test_cumulative_prod_with_zeros(backend, case, include_initial):
    reduced_on_jax(backend, case == "two_zeros")
    check_vjp(lambda xp, x: xp.cumulative_prod(x, include_initial=include_initial),
              [CUMPROD_ZEROS[case]],
              torch_fn=lambda t: _torch_cum(torch.cumprod, t, 0, include_initial, 1.0))


def test_cumulative_prod_with_zeros_2d_complex(backend):
    x = crnd(3, 4)
    x[0, 1] = x[2, 2] = x[2, 0] = 0
    check_vjp(lambda xp, x: xp.cumulative_prod(x, axis=1), [x],
              torch_fn=lambda t: torch.cumprod(t, dim=1))
    check_vjp(lambda xp, x: xp.cumulative_prod(x, axis=0), [x],
              torch_fn=lambda t: torch.cumprod(t, dim=0))


# -- sort and argsort ---------------------------------------------------------------------

@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_sort(backend, axis, descending):
    reduced_on_jax(backend, axis == 0 and descending)
    check_vjp(lambda xp, x: xp.sort(x, axis=axis, descending=descending), [spread(3, 4, 2)],
              torch_fn=lambda t: torch.sort(t, dim=axis, descending=descending,
                                            stable=True).values)


@pytest.mark.parametrize("descending", [False, True])
def test_sort_ties_follow_the_stable_order(backend, descending):
    """With ties the gradient follows the stable permutation, as torch.sort(stable=True)."""
    reduced_on_jax(backend, descending)
    x = np.array([[1.0, 3.0, 1.0, 2.0, 3.0, 1.0], [0.5, 0.5, 0.5, -1.0, 2.0, 0.5]])
    check_vjp(lambda xp, x: xp.sort(x, axis=1, descending=descending), [x], fd=False,
              torch_fn=lambda t: torch.sort(t, dim=1, descending=descending,
                                            stable=True).values)


def test_sort_empty_and_integer(backend):
    check_vjp(lambda xp, x: xp.sort(x, axis=0), [rnd(0, 3)],
              torch_fn=lambda t: torch.sort(t, dim=0).values)
    i = to_tensor(np.array([3, 1, 2]))
    out = ag.sort(i, descending=True)
    assert out.grad_fn is None and not out.requires_grad
    assert_array_equal(host(out), [3, 2, 1])


@pytest.mark.parametrize("descending", [False, True])
def test_argsort(backend, descending):
    x0 = np.array([[1.0, 3.0, 1.0, 2.0], [0.5, -1.0, 0.5, 4.0]])
    x = to_tensor(x0, requires_grad=True)
    idx = ag.argsort(x, axis=1, descending=descending)
    assert idx.grad_fn is None and not idx.requires_grad
    expected = np.argsort(-x0 if descending else x0, axis=1, kind="stable")
    assert_array_equal(host(idx), expected)
    assert_array_equal(host(ag.argsort(x, axis=0)), np.argsort(x0, axis=0, kind="stable"))


# -- searching ---------------------------------------------------------------------------

@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", [None, 0, -1])
@pytest.mark.parametrize("op", ["argmax", "argmin"])
def test_argmax_argmin(backend, op, axis, keepdims):
    reduced_on_jax(backend, axis == -1)
    x0 = spread(3, 4)
    x = to_tensor(x0, requires_grad=True)
    out = getattr(ag, op)(x, axis=axis, keepdims=keepdims)
    assert out.grad_fn is None and not out.requires_grad
    assert_array_equal(host(out), getattr(np, op)(x0, axis=axis, keepdims=keepdims))


@pytest.mark.parametrize("requires_grad", [False, True])
def test_nonzero(backend, requires_grad):
    x0 = np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]])
    x = to_tensor(x0, requires_grad=requires_grad)
    out = ag.nonzero(x)
    assert isinstance(out, tuple) and len(out) == 2
    for got, want in zip(out, np.nonzero(x0)):
        assert got.grad_fn is None
        assert_array_equal(host(got), want)
    with pytest.raises(ValueError):
        ag.nonzero(to_tensor(np.array(1.0)))


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", [None, 1, (0, -1)], ids=str)
def test_count_nonzero(backend, axis, keepdims):
    reduced_on_jax(backend, axis == (0, -1))
    x0 = np.array([[[0.0, 1.5], [0.0, 2.0]], [[2.0, 0.0], [-1.0, 3.0]], [[0.0, 0.0], [0.0, 1.0]]])
    out = ag.count_nonzero(to_tensor(x0, requires_grad=True), axis=axis, keepdims=keepdims)
    assert out.grad_fn is None
    assert_array_equal(host(out), np.count_nonzero(x0, axis=axis, keepdims=keepdims))


@pytest.mark.parametrize("side", ["left", "right"])
def test_searchsorted(backend, side):
    reduced_on_jax(backend, side == "right")
    x1 = np.array([0.0, 1.0, 1.0, 2.5, 4.0])
    x2 = np.array([[-1.0, 1.0, 2.0], [4.0, 5.0, 1.0]])
    out = ag.searchsorted(to_tensor(x1, requires_grad=True), to_tensor(x2, requires_grad=True),
                          side=side)
    assert out.grad_fn is None and out.dtype == ag.int64
    assert_array_equal(host(out), np.searchsorted(x1, x2, side=side))
    # A Python scalar x2 (2025.12) gives a 0-d array.
    scalar = ag.searchsorted(to_tensor(x1), 1.0, side=side)
    assert scalar.shape == ()
    assert int(scalar) == np.searchsorted(x1, 1.0, side=side)
    # With a sorter: x1 unsorted, sorter the permutation that sorts it.
    shuffled = np.array([2.5, 0.0, 4.0, 1.0, 1.0])
    sorter = np.argsort(shuffled, kind="stable")
    out = ag.searchsorted(to_tensor(shuffled), to_tensor(x2), side=side,
                          sorter=to_tensor(sorter))
    assert_array_equal(host(out), np.searchsorted(shuffled, x2, side=side, sorter=sorter))


# -- sets --------------------------------------------------------------------------------

def _unique_outputs(name, x):
    out = getattr(ag, name)(x)
    return (out,) if name == "unique_values" else tuple(out)


UNIQUE_FIELDS = {
    "unique_all": ("values", "indices", "inverse_indices", "counts"),
    "unique_counts": ("values", "counts"),
    "unique_inverse": ("values", "inverse_indices"),
    "unique_values": None,
}


@pytest.mark.parametrize("requires_grad", [False, True])
@pytest.mark.parametrize("name", list(UNIQUE_FIELDS))
def test_unique_values_of_the_outputs(backend, name, requires_grad):
    reduced_on_jax(backend, requires_grad)
    x0 = np.array([[3.0, 1.0, 2.0, 1.0], [0.5, 3.0, 2.0, 3.0]])
    if requires_grad and backend.name == "dask":
        with pytest.raises(NotImplementedError, match="dask"):
            getattr(ag, name)(to_tensor(x0, requires_grad=True))
        pytest.skip("dask: unique values have an unknown size until computed, so no "
                    "gradient (NotImplementedError, checked above)")
    x = to_tensor(x0, requires_grad=requires_grad)
    out = getattr(ag, name)(x)
    values, index, inverse, counts = np.unique(x0, return_index=True, return_inverse=True,
                                               return_counts=True)
    expected = {"values": values, "indices": index, "inverse_indices": inverse.reshape(x0.shape),
                "counts": counts}
    fields = UNIQUE_FIELDS[name]
    if fields is None:
        assert_array_equal(host(out), values)
        assert (out.grad_fn is not None) == requires_grad
        return
    assert type(out).__name__ == {"unique_all": "UniqueAllResult",
                                  "unique_counts": "UniqueCountsResult",
                                  "unique_inverse": "UniqueInverseResult"}[name]
    assert out._fields == fields
    for field in fields:
        got = getattr(out, field)
        assert_array_equal(host(got), expected[field], err_msg=field)
        if field == "values":
            assert (got.grad_fn is not None) == requires_grad
            if requires_grad:
                assert type(got.grad_fn).__name__ == "Unique2Backward0"
        else:
            assert got.grad_fn is None and not got.requires_grad, field


@pytest.mark.parametrize("name", list(UNIQUE_FIELDS))
def test_unique_gradient_distinct(backend, name):
    """With distinct values, unique is a sort of the flattened array."""
    reduced_on_jax(backend, name == "unique_all")
    if backend.name == "dask":
        pytest.skip("dask: unique values have an unknown size until computed, so no "
                    "gradient (NotImplementedError)")
    check_vjp(lambda xp, x: _unique_outputs(name, x)[0] if xp is ag else
              torch.sort(x.reshape(-1)).values, [spread(2, 3)],
              torch_fn=lambda t: torch.sort(t.reshape(-1)).values)


def test_unique_gradient_with_repeats(backend):
    """Every element equal to a unique value gets that value's whole gradient."""
    if backend.name == "dask":
        pytest.skip("dask: unique values have an unknown size until computed, so no "
                    "gradient (NotImplementedError)")
    x0 = np.array([[3.0, 1.0, 2.0, 1.0], [0.5, 3.0, 2.0, 3.0]])
    x = to_tensor(x0, requires_grad=True)
    values, inverse = ag.unique_inverse(x)
    v = np.array([1.0, -2.0, 0.5, 4.0])
    (g,) = ag.autograd.grad(values, [x], to_tensor(v))
    assert_allclose(host(g), v[np.unique(x0, return_inverse=True)[1].reshape(x0.shape)])


def test_unique_second_derivative(backend):
    """Under create_graph the gather by inverse indices is recorded; its own gradient
    adds back over equal elements."""
    reduced_on_jax(backend, False)
    if backend.name == "dask":
        pytest.skip("dask: unique values have an unknown size until computed, so no "
                    "gradient (NotImplementedError)")
    check_hvp(lambda xp, x: (ag.unique_values(x) if xp is ag else
                             torch.sort(x.reshape(-1)).values) ** 3, [spread(2, 3)])
    x0 = np.array([1.0, 2.0, 1.0, 1.0])
    x = to_tensor(x0, requires_grad=True)
    values = ag.unique_values(x)
    (g,) = ag.autograd.grad(ag.sum(values * values), [x], create_graph=True)
    assert_allclose(host(g), [2.0, 4.0, 2.0, 2.0])
    (h,) = ag.autograd.grad(ag.sum(g), [x])
    # sum(g) = 2 * (3 * v0 + v1) with v0 = x[0] = x[2] = x[3]: each copy gets the sum.
    assert_allclose(host(h), [6.0, 2.0, 6.0, 6.0])


def test_unique_of_0d_and_detached_dask(backend):
    if backend.name not in ("dask", "jax"):  # jax: reduced grid (XLA compilations)
        check_vjp(lambda xp, x: ag.unique_values(x) if xp is ag else t_flat(x),
                  [np.array(1.5)], torch_fn=lambda t: t.reshape(1))
    out = ag.unique_counts(to_tensor(np.array([2.0, 1.0, 2.0]), requires_grad=True).detach())
    assert_array_equal(host(out.values), [1.0, 2.0])
    assert_array_equal(host(out.counts), [1, 2])


def t_flat(t):
    return t.reshape(1)


@pytest.mark.parametrize("invert", [False, True])
def test_isin(backend, invert):
    reduced_on_jax(backend, invert)
    a = np.array([[1, 2, 3], [4, 5, 2]])
    b = np.array([2, 5, 7])
    out = ag.isin(to_tensor(a), to_tensor(b), invert=invert)
    assert out.dtype == ag.bool
    assert_array_equal(host(out), np.isin(a, b, invert=invert))
    assert bool(ag.isin(2, to_tensor(b), invert=invert)) is (not invert)
    assert_array_equal(host(ag.isin(to_tensor(a), 2, invert=invert)), (a == 2) != invert)


# -- diff --------------------------------------------------------------------------------

@pytest.mark.parametrize("n", [0, 1, 2, 3])
@pytest.mark.parametrize("axis", [-1, 0])
def test_diff(backend, axis, n):
    reduced_on_jax(backend, n == 2 and axis == -1)
    check_vjp(lambda xp, x: xp.diff(x, axis=axis, n=n), [rnd(4, 5)],
              torch_fn=lambda t: torch.diff(t, n=n, dim=axis))


@pytest.mark.parametrize("n", [1, 2])
def test_diff_prepend_append(backend, n):
    """All three inputs get their part of the gradient."""
    reduced_on_jax(backend, n == 1)
    args = [rnd(3, 4), rnd(3, 2), rnd(3, 1)]
    check_vjp(lambda xp, x, p, a: xp.diff(x, axis=1, n=n, prepend=p, append=a), args,
              torch_fn=lambda x, p, a: torch.diff(x, n=n, dim=1, prepend=p, append=a))
    check_vjp(lambda xp, x, p: xp.diff(x, axis=0, n=n, prepend=p), [rnd(3, 4), rnd(1, 4)],
              torch_fn=lambda x, p: torch.diff(x, n=n, dim=0, prepend=p))


def test_diff_longer_than_the_array_and_complex(backend):
    """n past the length gives an empty result and zero gradients."""
    grads = check_vjp(lambda xp, x: xp.diff(x, n=4), [rnd(2, 3)],
                      torch_fn=lambda t: torch.diff(t, n=4))
    assert_array_equal(grads[0], 0.0)
    check_vjp(lambda xp, x: xp.diff(x, n=2), [crnd(2, 5)], torch_fn=lambda t: torch.diff(t, n=2))


# -- second derivatives -------------------------------------------------------------------

SECOND = {
    "prod_axis": (lambda xp, x: xp.prod(x, axis=-1, keepdims=True), rnd(3, 4),
                  lambda t: torch.prod(t, dim=-1, keepdim=True)),
    "prod_zeros_all": (lambda xp, x: xp.prod(x), PROD_ZEROS["one_zero"],
                       lambda t: torch.prod(t)),
    "prod_zeros_tuple": (lambda xp, x: xp.prod(x, axis=(0, 1)),
                         PROD_ZEROS["two_zeros_in_a_row"], lambda t: torch.prod(t)),
    "prod_one_zero_axis": (lambda xp, x: xp.prod(x, axis=1), PROD_ZEROS["one_zero"],
                           lambda t: torch.prod(t, dim=1)),
    "max": (lambda xp, x: xp.max(x, axis=0) ** 2, spread(3, 4),
            lambda t: torch.amax(t, dim=0) ** 2),
    "var": (lambda xp, x: xp.var(x, axis=1, correction=1) ** 2, rnd(3, 4),
            lambda t: torch.var(t, dim=1, correction=1) ** 2),
    "std": (lambda xp, x: xp.std(x, axis=(0, 1)), rnd(3, 4),
            lambda t: torch.std(t, dim=(0, 1), correction=0)),
    "cumulative_sum": (lambda xp, x: xp.cumulative_sum(x * x, axis=1) ** 2, rnd(2, 4),
                       lambda t: torch.cumsum(t * t, dim=1) ** 2),
    "cumulative_prod": (lambda xp, x: xp.cumulative_prod(x, axis=1), rnd(2, 4),
                        lambda t: torch.cumprod(t, dim=1)),
    "cumulative_prod_zeros": (lambda xp, x: xp.cumulative_prod(x, include_initial=True),
                              CUMPROD_ZEROS["two_zeros"],
                              lambda t: _torch_cum(torch.cumprod, t, 0, True, 1.0)),
    "cumulative_prod_one_zero": (lambda xp, x: xp.cumulative_prod(x), CUMPROD_ZEROS["one_zero"],
                                 lambda t: torch.cumprod(t, dim=0)),
    "sort": (lambda xp, x: xp.sort(x, axis=0, descending=True) ** 3, spread(3, 4),
             lambda t: torch.sort(t, dim=0, descending=True, stable=True).values ** 3),
    "diff": (lambda xp, x: xp.diff(x, n=2, append=x[:, :1]) ** 3, rnd(2, 5),
             lambda t: torch.diff(t, n=2, append=t[:, :1]) ** 3),
}


@pytest.mark.parametrize("name", list(SECOND))
def test_second_derivative(backend, name):
    reduced_on_jax(backend, name in ("prod_zeros_tuple", "cumulative_prod_one_zero", "sort",
                                     "std"))
    fn, x, ref = SECOND[name]
    check_hvp(fn, [x], torch_fn=ref)


def test_cumulative_prod_second_derivative_complex(backend):
    reduced_on_jax(backend, False)
    x = crnd(4)
    x[1] = 0
    t = torch.tensor(x, requires_grad=True)
    v = crnd(4)
    (tg,) = torch.autograd.grad(torch.cumprod(t, 0), [t], torch.tensor(v), create_graph=True)
    (th,) = torch.autograd.grad(tg.real.sum() + tg.imag.sum(), [t])
    a = to_tensor(x, requires_grad=True)
    (g,) = ag.autograd.grad(ag.cumulative_prod(a), [a], to_tensor(v), create_graph=True)
    assert_allclose(host(g), tg.detach().resolve_conj().numpy(), rtol=1e-12)
    (h,) = ag.autograd.grad(ag.sum(ag.real(g)) + ag.sum(ag.imag(g)), [a])
    assert_allclose(host(h), th.resolve_conj().numpy(), rtol=1e-10, atol=1e-12)


# -- node names ----------------------------------------------------------------------------

NODES = [
    (lambda x: ag.max(x), "AmaxBackward0"),
    (lambda x: ag.min(x, axis=0), "AminBackward0"),
    (lambda x: ag.prod(x), "ProdBackward0"),
    (lambda x: ag.prod(x, axis=1), "ProdBackward1"),
    (lambda x: ag.var(x), "VarBackward0"),
    (lambda x: ag.std(x, axis=0), "StdBackward0"),
    (lambda x: ag.sum(x), "SumBackward0"),
    (lambda x: ag.mean(x, axis=1), "MeanBackward1"),
    (lambda x: ag.cumulative_sum(x, axis=0), "CumsumBackward0"),
    (lambda x: ag.cumulative_prod(x, axis=1), "CumprodBackward0"),
    (lambda x: ag.sort(x), "SortBackward0"),
    (lambda x: ag.diff(x), "SubBackward0"),
    (lambda x: ag.unique_values(x), "Unique2Backward0"),
]


def test_node_names():
    x = to_tensor(spread(2, 3), requires_grad=True)
    for fn, name in NODES:
        assert type(fn(x).grad_fn).__name__ == name
    for fn in (ag.argmax, ag.argmin, ag.argsort, ag.count_nonzero):
        assert fn(x).grad_fn is None


SIGNATURES = {
    "max": "(x, /, *, axis=None, keepdims=False)",
    "min": "(x, /, *, axis=None, keepdims=False)",
    "mean": "(x, /, *, axis=None, keepdims=False)",
    "prod": "(x, /, *, axis=None, dtype=None, keepdims=False)",
    "sum": "(x, /, *, axis=None, dtype=None, keepdims=False)",
    "std": "(x, /, *, axis=None, correction=0.0, keepdims=False)",
    "var": "(x, /, *, axis=None, correction=0.0, keepdims=False)",
    "cumulative_sum": "(x, /, *, axis=None, dtype=None, include_initial=False)",
    "cumulative_prod": "(x, /, *, axis=None, dtype=None, include_initial=False)",
    "sort": "(x, /, *, axis=-1, descending=False, stable=True)",
    "argsort": "(x, /, *, axis=-1, descending=False, stable=True)",
    "argmax": "(x, /, *, axis=None, keepdims=False)",
    "argmin": "(x, /, *, axis=None, keepdims=False)",
    "count_nonzero": "(x, /, *, axis=None, keepdims=False)",
    "nonzero": "(x, /)",
    "searchsorted": "(x1, x2, /, *, side='left', sorter=None)",
    "where": "(condition, x1, x2, /)",
    "unique_all": "(x, /)",
    "unique_counts": "(x, /)",
    "unique_inverse": "(x, /)",
    "unique_values": "(x, /)",
    "isin": "(x1, x2, /, *, invert=False)",
    "all": "(x, /, *, axis=None, keepdims=False)",
    "any": "(x, /, *, axis=None, keepdims=False)",
    "diff": "(x, /, *, axis=-1, n=1, prepend=None, append=None)",
}


@pytest.mark.parametrize("name", list(SIGNATURES))
def test_signature_is_the_standards(name):
    """The 2025.12 signatures: positional-only and keyword-only markers, names and
    defaults."""
    sig = inspect.signature(getattr(ag, name))
    assert str(sig.replace(return_annotation=inspect.Signature.empty)) == SIGNATURES[name]
    assert name in ag.__all__
