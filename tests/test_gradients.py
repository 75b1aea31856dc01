"""First derivatives of every differentiable operation, on every backend.

Each case is a vector-Jacobian product with a random cotangent, checked against
central finite differences (float64, through arraygrad's own forward on the backend
under test) and against ``torch.autograd`` on the same inputs (see gradcheck_utils).
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose

import arraygrad as ag
from gradcheck_utils import (SLOW_BACKENDS, above_one, away_from_zero, check_vjp, host, leaf,
                             pos, reseed, rng, rnd, to_tensor, unit)

torch = pytest.importorskip("torch")

@pytest.fixture(autouse=True)
def _seed_inputs(request):
    reseed(request.node.nodeid)


def reduced_grid(backend, keep: bool, keep_on_jax: bool = True) -> None:
    """Run only part of a large grid on the slow backends (each new operation and shape
    costs JAX a compilation, and every dask forward builds and computes a graph): the
    whole grid runs on numpy, array_api_strict and torch."""
    if backend.name in SLOW_BACKENDS and not (keep and (keep_on_jax or backend.name != "jax")):
        pytest.skip("reduced grid on the slow backends (jax, dask); "
                    "this combination runs on numpy, array_api_strict and torch")


# -- element-wise unary ------------------------------------------------------------------

UNARY = {
    "negative": (lambda xp, x: xp.negative(x), rnd),
    "neg_operator": (lambda xp, x: -x, rnd),
    "positive": (lambda xp, x: xp.positive(x), rnd),
    "abs": (lambda xp, x: xp.abs(x), away_from_zero),
    "abs_operator": (lambda xp, x: abs(x), away_from_zero),
    "exp": (lambda xp, x: xp.exp(x), rnd),
    "expm1": (lambda xp, x: xp.expm1(x), rnd),
    "log": (lambda xp, x: xp.log(x), pos),
    "log1p": (lambda xp, x: xp.log1p(x), pos),
    "log2": (lambda xp, x: xp.log2(x), pos),
    "log10": (lambda xp, x: xp.log10(x), pos),
    "sqrt": (lambda xp, x: xp.sqrt(x), pos),
    "sin": (lambda xp, x: xp.sin(x), rnd),
    "cos": (lambda xp, x: xp.cos(x), rnd),
    "tan": (lambda xp, x: xp.tan(x), unit),
    "asin": (lambda xp, x: xp.asin(x), unit),
    "acos": (lambda xp, x: xp.acos(x), unit),
    "atan": (lambda xp, x: xp.atan(x), rnd),
    "sinh": (lambda xp, x: xp.sinh(x), rnd),
    "cosh": (lambda xp, x: xp.cosh(x), rnd),
    "tanh": (lambda xp, x: xp.tanh(x), rnd),
    "asinh": (lambda xp, x: xp.asinh(x), rnd),
    "acosh": (lambda xp, x: xp.acosh(x), above_one),
    "atanh": (lambda xp, x: xp.atanh(x), unit),
    "reciprocal": (lambda xp, x: xp.reciprocal(x), away_from_zero),
    "square": (lambda xp, x: xp.square(x), rnd),
    "conj": (lambda xp, x: xp.conj(x), rnd),
    "real": (lambda xp, x: xp.real(x), rnd),
}
UNARY_SHAPES = [(2, 3), (), (0, 3)]


@pytest.mark.parametrize("shape", UNARY_SHAPES, ids=str)
@pytest.mark.parametrize("name", list(UNARY))
def test_unary(backend, name, shape):
    reduced_grid(backend, shape == (2, 3) or (shape == () and name == "exp"))
    fn, make = UNARY[name]
    check_vjp(fn, [make(*shape)])


def test_abs_has_slope_zero_at_zero(backend):
    # PyTorch's subgradient: sign(0) = 0 (central differences agree).
    check_vjp(lambda xp, x: xp.abs(x), [np.array([-1.5, 0.0, 2.0, -0.0])])


# -- element-wise binary, with broadcasting ------------------------------------------

BINARY = {
    "add": (lambda xp, a, b: xp.add(a, b), rnd, rnd),
    "add_operator": (lambda xp, a, b: a + b, rnd, rnd),
    "subtract": (lambda xp, a, b: a - b, rnd, rnd),
    "multiply": (lambda xp, a, b: a * b, rnd, rnd),
    "divide": (lambda xp, a, b: a / b, rnd, away_from_zero),
    "pow": (lambda xp, a, b: a ** b, pos, rnd),
    "pow_function": (lambda xp, a, b: xp.pow(a, b), pos, rnd),
    "atan2": (lambda xp, a, b: xp.atan2(a, b), away_from_zero, away_from_zero),
    "hypot": (lambda xp, a, b: xp.hypot(a, b), away_from_zero, away_from_zero),
    "logaddexp": (lambda xp, a, b: xp.logaddexp(a, b), rnd, rnd),
    "maximum": (lambda xp, a, b: xp.maximum(a, b), rnd, rnd),
    "minimum": (lambda xp, a, b: xp.minimum(a, b), rnd, rnd),
    "remainder": (lambda xp, a, b: xp.remainder(a, b),
                  lambda *s: np.asarray(rng().uniform(0.1, 0.4, s) + rng().integers(-3, 3, s)),
                  lambda *s: np.asarray(rng().uniform(1.1, 1.9, s))),
}
BINARY_SHAPES = [((2, 3), (2, 3)), ((3, 1), (4,)), ((), (2, 3)), ((2, 3), ()),
                 ((0, 3), (1, 3)), ((2, 1, 3), (4, 1))]


@pytest.mark.parametrize("shapes", BINARY_SHAPES, ids=lambda s: f"{s[0]}-{s[1]}")
@pytest.mark.parametrize("name", list(BINARY))
def test_binary(backend, name, shapes):
    reduced_grid(backend, shapes == BINARY_SHAPES[1] or (
        shapes == BINARY_SHAPES[2] and name in ("add", "multiply", "divide", "pow")))
    fn, make1, make2 = BINARY[name]
    check_vjp(fn, [make1(*shapes[0]), make2(*shapes[1])])


def test_copysign_gradient_of_magnitude(backend):
    # Only x1 gets a gradient (the sign input is piecewise constant).
    check_vjp(lambda xp, a, b: xp.copysign(a, b), [away_from_zero(2, 3), away_from_zero(3)],
              wrt=(0,))


def test_binary_one_input_requires_grad(backend):
    """Only the input that requires grad gets a gradient; the other is a constant."""
    a, b = rnd(3, 1), rnd(4)
    check_vjp(lambda xp, a, b: a * xp.sin(b), [a, b], wrt=(1,))
    check_vjp(lambda xp, a, b: a / b, [a, pos(4)], wrt=(0,))


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_minimum_ties_split_evenly(backend, name):
    """Where the two inputs are equal PyTorch gives each half of the gradient (the
    central difference sees the same)."""
    a = np.array([[1.0, 2.0, -3.0], [0.5, 0.5, 4.0]])
    b = np.array([[1.0, 0.0, -3.0], [0.5, 1.5, 4.0]])
    fn = (lambda xp, x, y: getattr(xp, name)(x, y))
    grads = check_vjp(fn, [a, b], torch_fn=getattr(torch, name))
    # With a cotangent of ones the tied elements get exactly 0.5 each.
    ta, tb = to_tensor(a, requires_grad=True), to_tensor(b, requires_grad=True)
    getattr(ag, name)(ta, tb).sum().backward()
    tie = a == b
    assert_allclose(host(ta.grad)[tie], 0.5)
    assert_allclose(host(tb.grad)[tie], 0.5)
    assert grads


def test_maximum_with_broadcast_ties(backend):
    a = np.array([[1.0], [2.0], [3.0]])
    b = np.array([2.0, 2.0, 0.0, 5.0])
    check_vjp(lambda xp, x, y: xp.maximum(x, y), [a, b], torch_fn=torch.maximum)


# -- Python scalars on either side ---------------------------------------------------

SCALAR_OPS = {
    "x+2": (lambda xp, x: x + 2, rnd),
    "2+x": (lambda xp, x: 2 + x, rnd),
    "x+2.5": (lambda xp, x: x + 2.5, rnd),
    "x-1.5": (lambda xp, x: x - 1.5, rnd),
    "1.5-x": (lambda xp, x: 1.5 - x, rnd),
    "x*3": (lambda xp, x: x * 3, rnd),
    "3*x": (lambda xp, x: 3 * x, rnd),
    "x*-0.5": (lambda xp, x: x * -0.5, rnd),
    "x/4": (lambda xp, x: x / 4, rnd),
    "4/x": (lambda xp, x: 4 / x, away_from_zero),
    "2.5/x": (lambda xp, x: 2.5 / x, away_from_zero),
    "x**2": (lambda xp, x: x ** 2, rnd),
    "x**3": (lambda xp, x: x ** 3, rnd),
    "x**3.5": (lambda xp, x: x ** 3.5, pos),
    "x**0.5": (lambda xp, x: x ** 0.5, pos),
    "x**-1": (lambda xp, x: x ** -1, away_from_zero),
    "x**-2.5": (lambda xp, x: x ** -2.5, pos),
    "x**0": (lambda xp, x: x ** 0, rnd),
    "x**1": (lambda xp, x: x ** 1, rnd),
    "2.0**x": (lambda xp, x: 2.0 ** x, rnd),
    "2**x": (lambda xp, x: 2 ** x, rnd),
    "0.5**x": (lambda xp, x: 0.5 ** x, rnd),
    "pow(x,3)": (lambda xp, x: xp.pow(x, 3), rnd),
    "x%1.5": (lambda xp, x: x % 1.5, lambda *s: np.asarray(rng().uniform(0.1, 1.4, s) + 3 * rng().integers(-2, 2, s))),
    "maximum(x,0.)": (lambda xp, x: xp.maximum(x, 0.0), away_from_zero),
    "-(x*2)+1": (lambda xp, x: -(x * 2) + 1, rnd),
}


@pytest.mark.parametrize("shape", [(2, 3), (), (0, 2)], ids=str)
@pytest.mark.parametrize("name", list(SCALAR_OPS))
def test_python_scalar_operand(backend, name, shape):
    reduced_grid(backend, shape == (2, 3))
    fn, make = SCALAR_OPS[name]
    if name == "maximum(x,0.)":  # the standard's maximum takes arrays; PyTorch's clamp
        check_vjp(fn, [make(*shape)], torch_fn=lambda x: torch.clamp(x, min=0.0))
    else:
        check_vjp(fn, [make(*shape)])


# Provoked on purpose: the values are degenerate (0 ** negative, log 0, 0 / 0), and the
# backends warn about them while computing what the test checks.
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_pow_tensor_exponent_with_zero_base(backend):
    """d(x1 ** x2)/dx2 at x1 == 0 with x2 >= 0 is 0 (PyTorch's choice); d/dx1 of
    x1 ** 0 is 0 even at x1 == 0."""
    base = np.array([0.0, 0.0, 1.5, 0.7])
    exponent = np.array([2.0, 0.0, 0.0, 3.0])
    check_vjp(lambda xp, a, b: a ** b, [base, exponent], fd=False)


def test_pow_zero_exponent_scalar_at_zero(backend):
    check_vjp(lambda xp, x: x ** 0, [np.array([0.0, 1.0, -2.0])], fd=False)
    check_vjp(lambda xp, x: x ** 2, [np.array([0.0, 1.0, -2.0])])


# Provoked on purpose: the values are degenerate (0 ** negative, log 0, 0 / 0), and the
# backends warn about them while computing what the test checks.
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("fn", [lambda x: x ** 2, lambda x: ag.square(x), lambda x: x ** 0.5,
                                lambda x: ag.log(x), lambda x: 1.0 / x, lambda x: ag.sqrt(x)],
                         ids=["pow2", "square", "pow_half", "log", "divide", "sqrt"])
def test_zero_safe_rules_ignore_nan_in_an_overwritten_entry(backend, fn):
    """An entry computed as NaN (0/0) and then overwritten gets gradient 0, not NaN:
    scikit-learn's StandardScaler relies on it in its first partial_fit."""
    x = leaf([0.0, 4.0])
    with np.errstate(invalid="ignore", divide="ignore"):
        y = fn(x / x)  # entry 0: 0/0 -> NaN
    y[0:1] = 1.0
    ag.sum(y).backward()
    assert host(x.grad)[0] == 0.0


def test_strong_zero_writes_only_into_a_gradient_nobody_else_holds(backend):
    """The zero-safe select is a masked write into the rule's fresh result on mutable
    backends; an array held anywhere else is never written."""
    ns, xp = backend.ns, backend.xp
    g = xp.asarray([0.0, 2.0, 0.0])
    zeroed = ns.strong_zero(g, xp.asarray([float("nan"), 3.0, float("inf")]))
    assert backend.to_host(zeroed).tolist() == [0.0, 3.0, 0.0]
    held = xp.asarray([float("nan"), 3.0, 4.0])
    holders = [held]  # as a saved value or a gradient passed on is held
    result = ns.strong_zero(g, held)
    assert backend.to_host(result).tolist() == [0.0, 3.0, 0.0]
    assert result is not holders[0] and np.isnan(backend.to_host(held)[0])


@pytest.mark.parametrize("divisor, guarded", [
    (2, False), (-0.5, False), (0, True), (float("nan"), True), ("array", True)],
    ids=["two", "minus-half", "zero", "nan", "array"])
def test_division_by_a_nonzero_number_skips_the_zero_guard(divisor, guarded, monkeypatch):
    """The guard that keeps a divided gradient exactly 0 where the incoming one is 0
    costs a comparison and a select; dividing by a nonzero Python number keeps the 0s
    by itself, so the guard runs only for 0, NaN and array divisors."""
    from arraygrad.backends.namespace import RuleNamespace
    calls = []
    original = RuleNamespace.strong_zero
    monkeypatch.setattr(RuleNamespace, "strong_zero",
                        lambda self, g, grad: calls.append(1) or original(self, g, grad))
    x = leaf([1.0, 2.0, 3.0])
    mask = ag.asarray(np.array([True, False, True]))
    d = ag.asarray(np.array([2.0, 2.0, 2.0])) if divisor == "array" else divisor
    with np.errstate(divide="ignore", invalid="ignore"):
        ag.sum(ag.where(mask, x / d, 0.0)).backward()
    assert bool(calls) is guarded
    expected = [0.5, 0.0, 0.5] if divisor == "array" else \
        [math.inf if divisor == 0 else 1 / divisor, 0.0, math.inf if divisor == 0 else 1 / divisor]
    assert_allclose(host(x.grad), expected, equal_nan=True)


def test_division_by_a_complex_number_conjugates_it():
    """PyTorch's convention: d(x / c) takes ``g / conj(c)``, also on the path that
    skips the zero guard for a Python-number divisor."""
    z = np.array([1.0 + 1.0j, -2.0 + 0.5j])
    c = 1.0 + 2.0j
    x = ag.asarray(z).requires_grad_(True)
    ag.sum(ag.real(x / c)).backward()
    tx = torch.tensor(z, requires_grad=True)
    torch.sum(torch.real(tx / c)).backward()
    assert_allclose(host(x.grad), tx.grad.numpy())


# -- reductions ------------------------------------------------------------------------

AXES = [None, 0, 1, -1, (0, 2), (-1, 0), ()]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("op", ["sum", "mean"])
def test_reduction(backend, op, axis, keepdims):
    reduced_grid(backend, axis in (None, 1, (0, 2), ()) and (not keepdims or axis == (0, 2)))
    check_vjp(lambda xp, x: getattr(xp, op)(x, axis=axis, keepdims=keepdims), [rnd(2, 3, 4)])


@pytest.mark.parametrize("op", ["sum", "mean"])
# Provoked on purpose: reductions of empty and 0-d arrays (mean of nothing, var with no
# degrees of freedom) warn in every backend.
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.filterwarnings("ignore:var\\(\\):UserWarning")
@pytest.mark.parametrize("shape,axis", [((), None), ((), ()), ((5,), 0), ((0, 3), None),
                                        ((0, 3), 1), ((0, 3), 0), ((2, 0), (0, 1))],
                         ids=str)
def test_reduction_degenerate(backend, op, shape, axis):
    # A mean over no elements is nan, as in PyTorch; its gradient is empty.
    check_vjp(lambda xp, x: getattr(xp, op)(x, axis=axis), [rnd(*shape)])


def test_torch_method_spellings(backend):
    """``x.sum(dim=..., keepdim=...)`` and ``x.mean(...)`` go through the same rules."""
    check_vjp(lambda xp, x: x.sum(1, keepdim=True) * x.mean(dim=0), [rnd(2, 3)])


# -- matmul ----------------------------------------------------------------------------

MATMUL_SHAPES = [
    ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)), ((2, 3), (3, 4)),
    ((2, 2, 3), (2, 3, 4)), ((2, 1, 2, 3), (3, 3, 2)), ((2, 3), (4, 3, 2)),
    ((2, 2, 3), (3,)), ((3,), (2, 3, 2)), ((1, 2, 3), (2, 3, 1)), ((0, 3), (3, 2)),
    ((2, 0), (0, 3)),
]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=lambda s: f"{s[0]}@{s[1]}")
def test_matmul(backend, shapes):
    reduced_grid(backend, shapes in (MATMUL_SHAPES[:4] + [MATMUL_SHAPES[5], MATMUL_SHAPES[10]]))
    check_vjp(lambda xp, a, b: a @ b, [rnd(*shapes[0]), rnd(*shapes[1])])


def test_matmul_function_and_transpose(backend):
    check_vjp(lambda xp, a, b: xp.matmul(xp.matrix_transpose(a), b), [rnd(3, 2), rnd(3, 4)])
    check_vjp(lambda xp, a: a.mT @ a, [rnd(2, 3, 2)])
    check_vjp(lambda xp, a: a.T @ a, [rnd(3, 2)])


# -- shapes and axes -------------------------------------------------------------------

MANIPULATION = {
    "reshape": (lambda xp, x: xp.reshape(x, (3, 2)), (2, 3)),
    "reshape_-1": (lambda xp, x: xp.reshape(x, (-1,)), (2, 3)),
    "reshape_to_0d": (lambda xp, x: xp.reshape(x, ()), (1, 1)),
    "reshape_from_0d": (lambda xp, x: xp.reshape(x, (1, 1, 1)), ()),
    "reshape_empty": (lambda xp, x: xp.reshape(x, (3, 0)), (0, 3)),
    "permute_dims": (lambda xp, x: xp.permute_dims(x, (2, 0, 1)), (2, 3, 4)),
    "permute_dims_2d": (lambda xp, x: xp.permute_dims(x, (1, 0)), (2, 3)),
    "matrix_transpose": (lambda xp, x: xp.matrix_transpose(x), (2, 3, 4)),
    "broadcast_to": (lambda xp, x: xp.broadcast_to(x, (2, 3, 4)), (3, 1)),
    "broadcast_to_0d": (lambda xp, x: xp.broadcast_to(x, (2, 3)), ()),
    "expand_dims": (lambda xp, x: xp.expand_dims(x, axis=1), (2, 3)),
    "expand_dims_neg": (lambda xp, x: xp.expand_dims(x, axis=-1), (2, 3)),
    "squeeze": (lambda xp, x: xp.squeeze(x, 1), (2, 1, 3)),
    "squeeze_tuple": (lambda xp, x: xp.squeeze(x, (0, 2)), (1, 3, 1)),
    "astype_f64": (lambda xp, x: xp.astype(x, xp.float64), (2, 3)),
    "copy": (lambda xp, x: ag.copy(x) if xp is ag else x.clone(), (2, 3)),
    "clone": (lambda xp, x: x.clone(), (2, 3)),
}


@pytest.mark.parametrize("name", list(MANIPULATION))
def test_manipulation(backend, name):
    fn, shape = MANIPULATION[name]
    check_vjp(fn, [rnd(*shape)])


def test_astype_to_complex_takes_real_part(backend):
    check_vjp(lambda xp, x: xp.astype(x, xp.complex128) * (1 + 2j), [rnd(2, 3)])


def test_torch_style_shape_methods(backend):
    check_vjp(lambda xp, x: x.permute(1, 0).reshape(6) * x.flatten(), [rnd(2, 3)])
    check_vjp(lambda xp, x: x.transpose(0, 2).unsqueeze(0).squeeze(0), [rnd(2, 3, 4)])


# -- indexing --------------------------------------------------------------------------

# Keys as the standard writes them: every axis indexed, or an ellipsis for the rest
# (array_api_strict rejects the NumPy shorthand x[1] for a 3-d x).
BASIC_KEYS = {
    "int": (1, ...),
    "neg_int": (-1, ...),
    "slice": (slice(1, 3), ...),
    "slice_step": (slice(None, None, 2), ...),
    "slice_open": (slice(1, None), ...),
    "ellipsis": Ellipsis,
    "empty_slice": (slice(2, 2), ...),
    "tuple_int_slice": (1, slice(None, None, 2), ...),
    "tuple_ellipsis_int": (Ellipsis, 1),
    "tuple_all_ints": (2, 1, 3),
    "tuple_slice_ellipsis_neg": (slice(0, 2), Ellipsis, -1),
    "tuple_full": (slice(1, 4, 2), slice(None), slice(0, 5, 3)),
    "none": (None, ...),
    "tuple_none_slice": (None, slice(1, None), slice(None, None, 2), ...),
    "tuple_int_none": (1, slice(None), None, ...),
}
NEGATIVE_STEP_KEYS = {
    "reverse": (slice(None, None, -1), ...),
    "neg_step_2": (slice(None, None, -2), ...),
    "tuple_neg_step": (slice(None), slice(3, 0, -1), ...),
    "tuple_mixed_neg": (-1, slice(None, None, -2), slice(None, None, 3)),
}


@pytest.mark.parametrize("name", list(BASIC_KEYS))
def test_basic_indexing(backend, name):
    reduced_grid(backend, True, keep_on_jax=name in (
        "int", "slice_step", "ellipsis", "empty_slice", "tuple_int_slice",
        "tuple_slice_ellipsis_neg", "none", "tuple_int_none"))
    key = BASIC_KEYS[name]
    check_vjp(lambda xp, x: x[key], [rnd(4, 3, 5)])


@pytest.mark.parametrize("name", list(NEGATIVE_STEP_KEYS))
def test_negative_step_indexing(backend, name):
    """Torch has no negative steps: arraygrad takes positive ones and flips."""
    reduced_grid(backend, True, keep_on_jax=name in ("reverse", "tuple_mixed_neg"))
    key = NEGATIVE_STEP_KEYS[name]
    x = rnd(4, 5, 4)
    expected = x[key]
    # PyTorch has no negative steps: the reference is a flip followed by positive steps.
    check_vjp(lambda xp, x: x[key], [x], torch_fn=lambda t: _torch_negative_step(t, key))
    assert expected.size  # the key really selects something


def _torch_negative_step(t, key):
    """``t[key]`` for a key with negative steps, made of index_select and positive
    slices (a trailing ellipsis only)."""
    key = key if isinstance(key, tuple) else (key,)
    out = t
    dim = 0
    for k in key:
        if k is Ellipsis:
            break
        if isinstance(k, int):
            out = out.select(dim, k)
            continue
        if isinstance(k, slice) and k.step is not None and k.step < 0:
            n = out.shape[dim]
            idx = list(range(n))[k]
            out = out.index_select(dim, torch.tensor(idx, dtype=torch.long))
        elif isinstance(k, slice):
            out = out[(slice(None),) * dim + (k,)]
        dim += 1
    return out


def test_indexing_of_0d(backend):
    check_vjp(lambda xp, x: x[...], [rnd()])
    check_vjp(lambda xp, x: x[()], [rnd()])


def test_indexing_of_0d_with_newaxis(backend):
    check_vjp(lambda xp, x: x[None], [rnd()])


def test_indexing_of_empty(backend):
    check_vjp(lambda xp, x: x[:, 1], [rnd(0, 3)])
    check_vjp(lambda xp, x: x[1:1, :], [rnd(4, 3)])


def test_indexing_used_twice_accumulates(backend):
    """Two overlapping reads of the same tensor add their gradients."""
    check_vjp(lambda xp, x: x[1:] * x[:-1] + x[0], [rnd(5)])
    check_vjp(lambda xp, x: x[0, ...] * x[1, ...] + x[..., 0:1], [rnd(2, 3)])


def test_integer_array_index_with_repeats(backend):
    """Gathering the same element twice must send it both gradients (a scatter-add,
    as PyTorch's IndexBackward0 does)."""
    x = rnd(5)
    idx = np.array([0, 2, 2, 4, 0, 0])
    check_vjp(lambda xp, x, i: x[i], [x, idx], wrt=(0,))


def test_integer_array_index_distinct(backend):
    check_vjp(lambda xp, x, i: x[i], [rnd(4), np.array([3, 1])], wrt=(0,))


def test_integer_array_index_2d(backend):
    """One integer array per axis (the standard's form), with a repeated pair."""
    if backend.name == "dask":
        pytest.skip("dask does not index with more than one integer array")
    rows, cols = np.array([0, 2, 2, 1]), np.array([1, 0, 0, 2])
    check_vjp(lambda xp, x, i, j: x[i, j], [rnd(3, 3), rows, cols], wrt=(0,))


def test_boolean_mask_index(backend):
    if backend.name == "dask":
        pytest.skip("a boolean mask gives dask arrays of unknown shape")
    x = rnd(3, 4)
    mask = x > 0
    check_vjp(lambda xp, x, m: x[m], [x, mask], wrt=(0,))


# -- where, clip --------------------------------------------------------------------------

def test_where(backend):
    cond = np.array([[True, False, True], [False, False, True]])
    check_vjp(lambda xp, c, a, b: xp.where(c, a, b), [cond, rnd(2, 3), rnd(2, 3)])


def test_where_broadcasting(backend):
    cond = np.array([[True], [False], [True]])
    check_vjp(lambda xp, c, a, b: xp.where(c, a, b), [cond, rnd(4), rnd()])
    check_vjp(lambda xp, c, a, b: xp.where(c, a, b), [np.array([True, False]), rnd(3, 1), rnd(2)])


def test_where_python_scalar_branch(backend):
    check_vjp(lambda xp, c, a: xp.where(c, a, 0.0), [np.array([True, False, True]), rnd(3)],
              torch_fn=lambda c, a: torch.where(c, a, 0.0))


_X_CLIP = np.array([[-1.5, -0.5, 0.0, 0.25], [0.5, 0.75, 1.0, 2.0]])


@pytest.mark.parametrize("lo,hi", [(-0.6, 0.8), (None, 0.8), (-0.6, None), (0.3, 0.6)],
                         ids=str)
def test_clip_scalar_bounds(backend, lo, hi):
    check_vjp(lambda xp, x: xp.clip(x, lo, hi), [_X_CLIP],
              torch_fn=lambda x: torch.clamp(x, lo, hi))


def test_clip_at_edges_passes_gradient(backend):
    """At x == min or x == max PyTorch passes the whole gradient (not a central
    difference's half)."""
    x = np.array([-0.5, 0.0, 0.5, 1.0, 1.5])
    check_vjp(lambda xp, x: xp.clip(x, 0.0, 1.0), [x], fd=False,
              torch_fn=lambda x: torch.clamp(x, 0.0, 1.0))
    t = to_tensor(x, requires_grad=True)
    ag.clip(t, 0.0, 1.0).sum().backward()
    assert_allclose(host(t.grad), [0.0, 1.0, 1.0, 1.0, 0.0])


def test_clip_tensor_bounds(backend):
    x = _X_CLIP
    lo = np.full((2, 4), -0.6)
    hi = np.array([0.8, 0.1, 0.9, 0.3])  # broadcasts along rows
    check_vjp(lambda xp, x, a, b: xp.clip(x, a, b), [x + 0.01, lo, hi],
              torch_fn=lambda x, a, b: torch.clamp(x, a, b))


def test_clip_tensor_bounds_at_edges(backend):
    x = np.array([-1.0, 0.0, 0.5, 1.0, 2.0])
    lo = np.array([0.0, 0.0, 0.0, 0.0, 0.0])
    hi = np.array([1.0, 1.0, 1.0, 1.0, 1.0])
    check_vjp(lambda xp, x, a, b: xp.clip(x, a, b), [x, lo, hi], fd=False,
              torch_fn=lambda x, a, b: torch.clamp(x, a, b))


def test_clip_min_above_max(backend):
    """With min > max every element is max (PyTorch's rule; arraygrad's docs say so)."""
    if backend.name == "array_api_strict":
        pytest.skip("array_api_strict refuses min > max (unspecified by the standard)")
    x = np.array([-1.0, 0.5, 2.0])
    check_vjp(lambda xp, x, a, b: xp.clip(x, a, b), [x, np.full(3, 1.0), np.full(3, 0.0)],
              fd=False, torch_fn=lambda x, a, b: torch.clamp(x, a, b))


def test_clamp_method(backend):
    check_vjp(lambda xp, x: x.clamp(min=-0.6, max=0.8), [_X_CLIP])


# -- vector_norm ------------------------------------------------------------------------

NORM_ORDS = [2, 1, math.inf, 3, -math.inf, 0.5]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", [None, 1, (0, 1), -1], ids=str)
@pytest.mark.parametrize("ord", NORM_ORDS, ids=str)
def test_vector_norm(backend, ord, axis, keepdims):
    reduced_grid(backend, not keepdims and axis == 1)
    x = away_from_zero(2, 3, 2)
    check_vjp(lambda xp, x: xp.linalg.vector_norm(x, ord=ord, axis=axis, keepdims=keepdims),
              [x])


@pytest.mark.parametrize("ord", [math.inf, -math.inf], ids=str)
def test_vector_norm_inf_ties_split_evenly(backend, ord):
    x = np.array([[1.0, -3.0, 3.0], [2.0, 2.0, -2.0]])
    check_vjp(lambda xp, x: xp.linalg.vector_norm(x, ord=ord, axis=1), [x], fd=False)


@pytest.mark.parametrize("ord", [2, 1, 3], ids=str)
def test_vector_norm_with_zeros(backend, ord):
    x = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, -2.0]])
    check_vjp(lambda xp, x: xp.linalg.vector_norm(x, ord=ord, axis=1), [x], fd=False)


def test_norm_method(backend):
    check_vjp(lambda xp, x: x.norm(), [rnd(2, 3)],
              torch_fn=lambda x: x.norm())
    check_vjp(lambda xp, x: x.norm(1, dim=0, keepdim=True), [away_from_zero(2, 3)],
              torch_fn=lambda x: x.norm(1, dim=0, keepdim=True))


# -- complex inputs (PyTorch's conjugate Wirtinger convention) --------------------------

def crnd(*shape):
    return rnd(*shape) + 1j * rnd(*shape)


COMPLEX = {
    "mul": (lambda xp, a, b: a * b, 2),
    "div": (lambda xp, a, b: a / b, 2),
    "add_sub": (lambda xp, a, b: a - b + a, 2),
    "matmul": (lambda xp, a, b: a @ xp.reshape(b, (3, 2)), 2),
    "exp": (lambda xp, a: xp.exp(a), 1),
    "log": (lambda xp, a: xp.log(a), 1),
    "sin": (lambda xp, a: xp.sin(a), 1),
    "sqrt": (lambda xp, a: xp.sqrt(a), 1),
    "square": (lambda xp, a: xp.square(a), 1),
    "reciprocal": (lambda xp, a: xp.reciprocal(a), 1),
    "pow_scalar": (lambda xp, a: a ** 3, 1),
    "conj": (lambda xp, a: xp.conj(a) * a[0, 0], 1),
    "abs": (lambda xp, a: xp.abs(a), 1),
    "real": (lambda xp, a: xp.real(a), 1),
    "imag": (lambda xp, a: xp.imag(a), 1),
    "sum": (lambda xp, a: xp.sum(a * a, axis=0), 1),
}


@pytest.mark.parametrize("name", list(COMPLEX))
def test_complex(backend, name):
    reduced_grid(backend, name in ("mul", "matmul", "exp", "abs", "imag"))
    fn, n = COMPLEX[name]
    args = [crnd(2, 3) for _ in range(n)]
    check_vjp(fn, args)


# -- grad() and backward() agree; gradients accumulate ----------------------------------

def test_autograd_grad_matches_backward(backend):
    fn = lambda xp, a, b: xp.sin(a) * (a @ b)  # noqa: E731
    args = [rnd(2, 3), rnd(3, 3)]
    g1 = check_vjp(fn, args, method="backward")
    g2 = check_vjp(fn, args, method="grad")
    for a, b in zip(g1, g2):
        assert_allclose(a, b, rtol=1e-15)


def test_gradients_accumulate_across_backward_calls(backend):
    x = to_tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    (x * x).sum().backward()
    (3 * x).sum().backward()
    assert_allclose(host(x.grad), 2 * np.array([1.0, 2.0, 3.0]) + 3)


def test_non_differentiable_ops_have_no_grad_fn(backend):
    """Boolean and integer results record nothing; piecewise-constant functions of a
    float (floor, sign, …) record a zero gradient (tests/test_trust_gradients.py)."""
    x = to_tensor(rnd(2, 3), requires_grad=True)
    for fn in (ag.isfinite, ag.signbit):
        r = fn(x)
        assert r.grad_fn is None and not r.requires_grad, fn.__name__
    for r in (x > 0, x == x, x // 2.0, ag.floor_divide(x, x)):
        assert r.grad_fn is None and not r.requires_grad


def test_mixed_backend_advice_moves_a_tensor(backend):
    """Mixing backends fails with the advice "move one with
    arraygrad.asarray(x.detach(), backend=...)", and following it works."""
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    x = to_tensor(a, requires_grad=True)
    with ag.use_backend("numpy"):
        other = ag.asarray([[1.0, 2.0], [3.0, 4.0]])
    if backend.name not in ("numpy", "dask"):  # Dask takes NumPy in (test_mixing.py)
        with pytest.raises(TypeError, match=r"arraygrad\.asarray\(x\.detach\(\), backend="):
            x * other
    moved = ag.asarray(other.detach(), backend=backend.name)
    assert moved._backend is backend, (
        f"asarray(..., backend={backend.name!r}) made a {moved._backend.name} tensor")
    y = x * moved
    y.sum().backward()
    assert_allclose(host(y), a * a)
    assert_allclose(host(x.grad), a)


# -- hypothesis: random broadcasting shapes for binary operations -----------------------

HYPOTHESIS_BINARY = {"add": BINARY["add_operator"], **{
    name: BINARY[name]
    for name in ("subtract", "multiply", "divide", "pow", "maximum", "atan2", "hypot")}}


def test_binary_broadcasting_property(backend):
    """Random mutually broadcastable shapes: each gradient has its input's shape and
    matches finite differences and PyTorch."""
    n = 3 if backend.name in SLOW_BACKENDS else 15

    @settings(max_examples=n, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])
    @given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3,
                                                     min_side=1, max_side=3),
           name=st.sampled_from(sorted(HYPOTHESIS_BINARY)))
    def prop(shapes, name):
        fn, make1, make2 = HYPOTHESIS_BINARY[name]
        a, b = make1(*shapes.input_shapes[0]), make2(*shapes.input_shapes[1])
        grads = check_vjp(fn, [a, b])
        assert grads[0].shape == a.shape and grads[1].shape == b.shape

    prop()


# -- one tensor on both sides; mixed precision ------------------------------------------

SAME_INPUT = {
    "x*x": (lambda xp, x: x * x, rnd),
    "x/x": (lambda xp, x: x / x, away_from_zero),
    "x-x": (lambda xp, x: x - x, rnd),
    "x**x": (lambda xp, x: x ** x, pos),
    "maximum(x,x)": (lambda xp, x: xp.maximum(x, x), rnd),
    "atan2(x,x)": (lambda xp, x: xp.atan2(x, x), away_from_zero),
    "hypot(x,x)": (lambda xp, x: xp.hypot(x, x), away_from_zero),
    "x@x": (lambda xp, x: x @ x, rnd),
}


@pytest.mark.parametrize("name", list(SAME_INPUT))
def test_same_tensor_on_both_sides(backend, name):
    fn, make = SAME_INPUT[name]
    x = make(3, 3)
    check_vjp(fn, [x], torch_fn=(lambda t: torch.maximum(t, t)) if name == "maximum(x,x)"
              else None)


def test_mixed_precision_gradients_keep_input_dtypes(backend):
    """float32 * float64 promotes to float64; each gradient comes back in its input's
    dtype, with PyTorch's values (compared in float32 precision)."""
    a = rnd(2, 3).astype(np.float32)
    b = rnd(3)
    grads = check_vjp(lambda xp, a, b: xp.sin(a) * b, [a, b], fd=False,
                      ref_rtol=1e-6, ref_atol=1e-7)
    assert grads[0].dtype == np.float32 and grads[1].dtype == np.float64


def test_float32_gradients_match_torch(backend):
    a = rnd(2, 3).astype(np.float32)
    b = rnd(3, 2).astype(np.float32)
    grads = check_vjp(lambda xp, a, b: xp.tanh(a @ b) * 2 + a[0, 0] ** 2, [a, b], fd=False,
                      ref_rtol=2e-6, ref_atol=1e-6)
    assert all(g.dtype == np.float32 for g in grads)
