"""Gradient checks for arraygrad: vector-Jacobian products against central finite
differences (computed through arraygrad itself, on the current backend) and against
``torch.autograd`` on the same float64 inputs. The finite differences are arraygrad's
own (``arraygrad.autograd._numerical``, which ``gradcheck`` uses too); the PyTorch
reference is the conformance suite's (``conformance/references.py``).

A checked function is written once for both libraries as ``fn(xp, *args)``: ``xp`` is
``arraygrad`` when arraygrad computes it and ``array_api_compat.torch`` for the PyTorch
reference (operators, methods and the standard's function names mean the same in
both). Arguments that are NumPy arrays become tensors of the current backend; anything
else (Python scalars, axes, keys) is passed through as is.
"""
from __future__ import annotations

import sys
import warnings
import zlib
from pathlib import Path

import numpy as np
from numpy.testing import assert_allclose

import arraygrad as ag
from arraygrad.autograd._numerical import central_difference, jacobian_columns

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the conformance package, for its reference libraries
    sys.path.insert(0, str(ROOT))
from conformance import references  # noqa: E402

_AG_DTYPES = {
    np.dtype("float64"): ag.float64, np.dtype("float32"): ag.float32,
    np.dtype("complex128"): ag.complex128, np.dtype("complex64"): ag.complex64,
    np.dtype("int64"): ag.int64, np.dtype("int32"): ag.int32, np.dtype("bool"): ag.bool,
}

# Central differences in float64: the step and what they are trusted to.
FD_EPS = 1e-6
FD_RTOL = 1e-5
FD_ATOL = 1e-6
# Backends whose every forward costs milliseconds (dask builds a graph and computes it;
# jax compiles each new operation and shape): their finite differences are taken
# along a few random directions instead of one element at a time.
SLOW_BACKENDS = frozenset({"jax", "dask"})
FD_DIRECTIONS = 3
# arraygrad against PyTorch: the same formulas in the same precision.
REF_RTOL = 1e-9
REF_ATOL = 1e-11


# -- moving values in and out of arraygrad -----------------------------------------

def to_tensor(array, *, requires_grad: bool = False, dtype=None) -> ag.Tensor:
    """A leaf tensor of the current backend holding the values of a NumPy array.

    Goes through a Python list: ``ag.asarray(numpy_array)`` keeps the array on the
    NumPy backend whatever the current backend is (see test_gradients.py,
    ``test_asarray_of_numpy_array_uses_current_backend``).
    """
    array = np.asarray(array)
    if dtype is None:
        dtype = _AG_DTYPES[array.dtype]
    t = ag.reshape(ag.asarray(array.ravel().tolist(), dtype=dtype), array.shape)
    assert t._backend is ag.current_backend()
    if requires_grad:
        t.requires_grad_(True)
    return t


def host(t) -> np.ndarray:
    """The values of a tensor as a NumPy array (through ``.detach().numpy()``)."""
    return np.asarray(t.detach().numpy())


def leaf(values, dtype=ag.float64) -> ag.Tensor:
    """A float64 leaf that requires grad, on the current backend (values go through a
    list, so that a NumPy array does not keep the NumPy backend)."""
    return ag.tensor(np.asarray(values).tolist(), dtype=dtype, requires_grad=True)


def const(values, dtype=ag.float64) -> ag.Tensor:
    """Like ``leaf``, without requires_grad."""
    return ag.tensor(np.asarray(values).tolist(), dtype=dtype)


def _is_array(a) -> bool:
    return isinstance(a, np.ndarray)


def _differentiable_inputs(args):
    return tuple(i for i, a in enumerate(args) if _is_array(a) and a.dtype.kind in "fc")


def make_args(args, wrt=()):
    """The arguments for arraygrad: arrays as tensors (``wrt`` requiring grad)."""
    return [to_tensor(a, requires_grad=i in wrt) if _is_array(a) else a
            for i, a in enumerate(args)]


def cotangent_for(shape, dtype, seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        v = v + 1j * rng.standard_normal(shape)
    return v.astype(dtype)


# -- the three gradients -----------------------------------------------------------

def arraygrad_vjp(fn, args, wrt, cotangent, *, method="backward"):
    """arraygrad's gradients of ``<cotangent, fn(*args)>`` for the inputs ``wrt``,
    plus the forward value, as NumPy arrays."""
    tensors = make_args(args, wrt)
    out = fn(ag, *tensors)
    assert isinstance(out, ag.Tensor), f"fn returned {type(out).__name__}"
    assert out.requires_grad, "the result of a differentiable op does not require grad"
    assert out.grad_fn is not None, "the result of a differentiable op has no grad_fn"
    value = host(out)
    v = to_tensor(cotangent, dtype=out.dtype)
    leaves = [tensors[i] for i in wrt]
    if method == "backward":
        out.backward(v)
        grads = []
        for i, leaf in zip(wrt, leaves):
            assert leaf.grad is not None, f"input {i} got no .grad"
            grads.append(leaf.grad)
    else:
        grads = ag.autograd.grad(out, leaves, v)
    result = []
    for i, leaf, g in zip(wrt, leaves, grads):
        assert isinstance(g, ag.Tensor)
        assert g.shape == leaf.shape, f"gradient of input {i}: shape {g.shape}, not {leaf.shape}"
        assert g.dtype == leaf.dtype, f"gradient of input {i}: dtype {g.dtype}, not {leaf.dtype}"
        assert g._backend is leaf._backend
        assert not g.requires_grad, "an ordinary backward must not record the gradient"
        result.append(host(g))
    return value, result


def _loss(value, cotangent) -> float:
    """<cotangent, value>, real: Re(sum(conj(v) * y)) (PyTorch's convention for VJPs)."""
    return float(np.real(np.sum(np.conj(cotangent) * value)))


def finite_difference_vjp(fn, args, wrt, cotangent, *, eps=FD_EPS):
    """Central differences of ``<cotangent, fn(*args)>`` through arraygrad's forward,
    one element at a time (for a complex input: d/d(real) + 1j * d/d(imag))."""
    base = make_args(args)
    grads = []
    with ag.no_grad():
        for i in wrt:
            def loss(moved, i=i):
                call = list(base)
                call[i] = moved
                return _loss(host(fn(ag, *call)), cotangent)
            a = np.asarray(args[i])
            g = [d if d_imag is None else d + 1j * d_imag
                 for d, d_imag in jacobian_columns(loss, to_tensor(a), eps)]
            grads.append(np.asarray(g, dtype=a.dtype).reshape(a.shape))
    return grads


def finite_difference_directional(fn, args, wrt, cotangent, grads, *, eps=FD_EPS,
                                  directions=FD_DIRECTIONS, seed=1):
    """Central differences of ``<cotangent, fn(*args)>`` along random directions ``u``
    (all inputs ``wrt`` moved at once), paired with what the gradients predict,
    ``sum_i <grad_i, u_i>``: returns (predicted, measured) arrays."""
    rng = np.random.default_rng(seed)
    base = make_args(args)

    def loss(moved):
        call = list(base)
        for i, x in zip(wrt, moved):
            call[i] = to_tensor(x)
        return _loss(host(fn(ag, *call)), cotangent)

    predicted, measured = [], []
    with ag.no_grad():
        for _ in range(directions):
            us = []
            for i in wrt:
                a = np.asarray(args[i])
                u = rng.standard_normal(a.shape)
                if a.dtype.kind == "c":
                    u = u + 1j * rng.standard_normal(a.shape)
                us.append(u.astype(a.dtype))
            measured.append(central_difference(loss, [np.asarray(args[i]) for i in wrt],
                                               us, eps))
            # For complex inputs the gradient is d/dRe + 1j d/dIm: <g, u> is Re(conj(g) u).
            predicted.append(sum(float(np.real(np.sum(np.conj(g) * u)))
                                 for g, u in zip(grads, us)))
    return np.array(predicted), np.array(measured)


# -- the check -----------------------------------------------------------------------

def check_vjp(fn, args, *, wrt=None, torch_fn=None, fd="auto", torch_ref=True,
              method="backward", seed=0, fd_rtol=FD_RTOL, fd_atol=FD_ATOL,
              ref_rtol=REF_RTOL, ref_atol=REF_ATOL):
    """Assert that arraygrad's VJP of ``fn`` at ``args`` matches central finite
    differences and PyTorch. Returns arraygrad's gradients (NumPy arrays).

    ``fd``: "elementwise" (every element of every input), "directional" (a few random
    directions), "auto" (elementwise except on SLOW_BACKENDS) or False (at kinks,
    where PyTorch's subgradient is not what central differences see)."""
    args = list(args)
    wrt = _differentiable_inputs(args) if wrt is None else tuple(wrt)
    assert wrt, "nothing to differentiate"
    # The cotangent has the result's shape and dtype, found by a forward without grad.
    with ag.no_grad():
        probe = host(fn(ag, *make_args(args)))
    cotangent = cotangent_for(probe.shape, probe.dtype, seed)
    value, grads = arraygrad_vjp(fn, args, wrt, cotangent, method=method)
    assert_allclose(value, probe, rtol=1e-14, atol=0, equal_nan=True,
                    err_msg="forward value differs with and without grad")
    if fd == "auto":
        fd = "directional" if ag.current_backend().name in SLOW_BACKENDS else "elementwise"
    if all(np.size(args[i]) == 0 for i in wrt):
        fd = False  # nothing to move (and the value may be nan: a mean of nothing)
    if fd == "directional":
        predicted, measured = finite_difference_directional(fn, args, wrt, cotangent, grads)
        scale = max(1.0, float(np.max(np.abs(measured), initial=0.0)))
        assert_allclose(predicted, measured, rtol=fd_rtol, atol=fd_atol * scale,
                        err_msg="directional derivatives vs finite differences")
    elif fd:
        assert fd == "elementwise", fd
        expected = finite_difference_vjp(fn, args, wrt, cotangent)
        for i, g, e in zip(wrt, grads, expected):
            scale = max(1.0, float(np.max(np.abs(e), initial=0.0)))
            assert_allclose(g, e, rtol=fd_rtol, atol=fd_atol * scale,
                            err_msg=f"gradient of input {i} vs finite differences")
    if torch_ref:
        if torch_fn is None:
            def torch_fn(*ts):
                return fn(references.torch_namespace(), *ts)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_value, t_grads = references.torch_vjp(torch_fn, args, wrt, cotangent)
        assert_allclose(value, t_value, rtol=ref_rtol, atol=ref_atol, equal_nan=True,
                        err_msg="forward value vs torch")
        for i, g, e in zip(wrt, grads, t_grads):
            assert_allclose(g, e, rtol=ref_rtol, atol=ref_atol, equal_nan=True,
                            err_msg=f"gradient of input {i} vs torch.autograd")
    return grads


# -- second derivatives --------------------------------------------------------------

def arraygrad_hvp(fn, args, wrt, weights, directions):
    """Hessian-vector products of L = <weights, fn(*args)> with ``create_graph=True``:
    returns (first gradients, H @ directions) for the inputs ``wrt``."""
    tensors = make_args(args, wrt)
    leaves = [tensors[i] for i in wrt]
    out = fn(ag, *tensors)
    loss = ag.sum(out * to_tensor(weights, dtype=out.dtype))
    grads = ag.autograd.grad(loss, leaves, create_graph=True)
    for g in grads:
        assert g.requires_grad and g.grad_fn is not None, \
            "create_graph=True must give gradients that are themselves in the graph"
    dot = None
    for g, d in zip(grads, directions):
        term = ag.sum(g * to_tensor(d, dtype=g.dtype))
        dot = term if dot is None else dot + term
    hvps = ag.autograd.grad(dot, leaves, allow_unused=True, materialize_grads=True)
    return [host(g) for g in grads], [host(h) for h in hvps]


def first_gradients(fn, args, wrt, weights):
    """Plain (no create_graph) gradients of <weights, fn(*args)>."""
    tensors = make_args(args, wrt)
    leaves = [tensors[i] for i in wrt]
    out = fn(ag, *tensors)
    loss = ag.sum(out * to_tensor(weights, dtype=out.dtype))
    return [host(g) for g in ag.autograd.grad(loss, leaves)]


def check_hvp(fn, args, *, wrt=None, torch_fn=None, seed=0, fd=True,
              rtol=1e-9, atol=1e-11):
    """Assert that arraygrad's Hessian-vector products of ``<w, fn(*args)>`` (random
    ``w`` and direction) match PyTorch's and central differences of the gradient."""
    args = list(args)
    wrt = _differentiable_inputs(args) if wrt is None else tuple(wrt)
    rng = np.random.default_rng(seed)
    with ag.no_grad():
        probe = host(fn(ag, *make_args(args)))
    weights = rng.standard_normal(probe.shape)
    directions = [rng.standard_normal(np.shape(args[i])) for i in wrt]
    grads, hvps = arraygrad_hvp(fn, args, wrt, weights, directions)
    if torch_fn is None:
        def torch_fn(*ts):
            return fn(references.torch_namespace(), *ts)
    t_grads, t_hvps = references.torch_hvp(torch_fn, args, wrt, weights, directions)
    for i, g, e in zip(wrt, grads, t_grads):
        assert_allclose(g, e, rtol=rtol, atol=atol,
                        err_msg=f"first gradient (create_graph) of input {i} vs torch")
    for i, h, e in zip(wrt, hvps, t_hvps):
        assert_allclose(h, e, rtol=rtol, atol=atol,
                        err_msg=f"Hessian-vector product for input {i} vs torch")
    if fd:
        def gradients(moved):
            call = list(args)
            for i, x in zip(wrt, moved):
                call[i] = np.asarray(x)
            return first_gradients(fn, call, wrt, weights)
        expected_hvps = central_difference(gradients, [args[i] for i in wrt], directions,
                                           1e-5)
        for i, h, expected in zip(wrt, hvps, expected_hvps):
            scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
            assert_allclose(h, expected, rtol=1e-5, atol=1e-6 * scale,
                            err_msg=f"Hessian-vector product for input {i} vs differences")
    return hvps


# -- inputs: one random stream per test --------------------------------------------------

_rng = np.random.default_rng(0)


def reseed(nodeid: str) -> None:
    """Give the current test its own stream, so that its inputs do not depend on which
    tests ran before it in the same process (pytest-xdist)."""
    global _rng
    _rng = np.random.default_rng(zlib.crc32(nodeid.encode()))


def rng() -> np.random.Generator:
    """The current test's stream."""
    return _rng


def rnd(*shape):
    """Standard normal values."""
    return np.asarray(_rng.standard_normal(shape))


def pos(*shape):
    """Positive values in [0.5, 2)."""
    return np.asarray(_rng.uniform(0.5, 2.0, shape))


def unit(*shape, bound=0.9):
    """Values in (-bound, bound): inside the domain of asin, acos, atanh."""
    return np.asarray(_rng.uniform(-bound, bound, shape))


def above_one(*shape):
    """Values in (1.2, 3): inside the domain of acosh."""
    return np.asarray(_rng.uniform(1.2, 3.0, shape))


def away_from_zero(*shape):
    """Values of either sign with magnitude in [0.5, 2)."""
    return np.asarray(pos(*shape) * _rng.choice([-1.0, 1.0], shape))


class Cube(ag.autograd.Function):
    """A custom ``Function``: x**3, saving its input, with a backward written in
    arraygrad operations (so it is differentiable again)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x * x
