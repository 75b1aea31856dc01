"""``arraygrad.special``: SciPy's special functions, reached the way SciPy code reaches
them (``scipy.special.<name>(tensor)`` with ``SCIPY_ARRAY_API=1``), on every backend.

For every function of SciPy's alternative-backend list: the result is a tensor of the
backend with a ``grad_fn``, its values are SciPy's on NumPy, and its gradient is central
finite differences of SciPy's function. Arguments without a derivative raise, naming
the argument; second derivatives come from the rules being written with arraygrad's
own ops; Dask stays lazy.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

import arraygrad as ag

scipy_special = pytest.importorskip("scipy.special")
from scipy.special import _support_alternative_backends as _alternatives  # noqa: E402

from conformance.cases_special import _OTHERS, _UNARY, A, arguments  # noqa: E402
from conformance.draws import example  # noqa: E402
from test_lazy import CountingScheduler  # noqa: E402

SCIPY_NAMES = sorted(f.name for f in _alternatives._special_funcs)
SPECS = {**{name: (spec,) for name, spec in _UNARY.items()}, "gammasgn": (A(0.2, 4),),
         **_OTHERS}
# torch.special's Bessel functions (bessel_j0, ...) are accurate to about 2e-9 absolute
# (measured against SciPy on these arguments), not to SciPy's 1e-15.
TORCH_BESSEL = {"j0", "j1", "y0", "y1"}
# Functions whose every argument lacks a derivative here: checked for their refusal.
NOT_DIFFERENTIABLE = {"zetac": (A(1.5, 4),)}


def test_every_scipy_alternative_backend_function_is_here():
    assert set(SCIPY_NAMES) <= set(ag.special.__all__)
    assert set(SCIPY_NAMES) <= set(SPECS) | set(NOT_DIFFERENTIABLE)


def _arguments(name):
    """SciPy-ready NumPy arguments inside the function's domain (conformance example 0:
    an ordinary shape, or a broadcasting pair)."""
    return example(lambda draw, k: arguments(*SPECS[name])(draw, k, False), 0, seed=7)


def _tensor(a, requires_grad=False):
    """``a`` as a float64 tensor of the current backend (any shape, empty ones too)."""
    t = ag.reshape(ag.asarray(np.ravel(a).tolist(), dtype=ag.float64), np.shape(a))
    return t.requires_grad_(requires_grad)


def _loss(name, args, w):
    return float(np.sum(w * getattr(scipy_special, name)(*args)))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name", SCIPY_NAMES)
def test_scipy_dispatches_here_and_differentiates(backend, name):
    if name in NOT_DIFFERENTIABLE:
        pytest.skip("no argument has a derivative: see test_arguments_without_derivative")
    args = _arguments(name)
    expected = getattr(scipy_special, name)(*args)
    tensors = [_tensor(a, True) if isinstance(a, np.ndarray) else a for a in args]
    out = getattr(scipy_special, name)(*tensors)
    assert isinstance(out, ag.Tensor) and out._backend is backend
    assert out.grad_fn is not None
    loose = backend.name == "torch" and name in TORCH_BESSEL
    assert_allclose(np.asarray(out.detach().numpy()), expected, rtol=1e-10,
                    atol=1e-8 if loose else 1e-12)
    w = np.random.default_rng(1).standard_normal(np.shape(expected))
    (out * _tensor(w)).sum().backward()
    for i, a in enumerate(args):
        if not isinstance(a, np.ndarray):
            continue
        direction = np.random.default_rng(2 + i).standard_normal(a.shape)
        eps = 1e-6 * max(1.0, float(np.max(np.abs(a), initial=0.0)))
        plus, minus = list(args), list(args)
        plus[i], minus[i] = a + eps * direction, a - eps * direction
        fd = (_loss(name, plus, w) - _loss(name, minus, w)) / (2 * eps)
        got = float(np.sum(tensors[i].grad.numpy() * direction))
        assert got == pytest.approx(fd, rel=1e-5, abs=1e-7), f"argument {i}"


@pytest.mark.parametrize("call, argument", [
    (lambda t: ag.special.yn(t, 1.5), "n"),
    (lambda t: ag.special.zeta(t), "x"),
    (lambda t: ag.special.zeta(t, 2.0), "x"),
    (lambda t: ag.special.lpmv(1, t, 0.5), "v"),
    (lambda t: ag.special.hyp1f1(t, 2.0, 0.5), "a"),
])
def test_arguments_without_derivative_raise_naming_the_argument(backend, call, argument):
    t = ag.asarray(2.0, requires_grad=True)
    out = call(t)
    with pytest.raises(NotImplementedError, match=rf"no derivative with respect to '{argument}'"):
        out.backward()


def test_integer_orders_pass_as_given_and_need_no_gradient(backend):
    x = _tensor([0.5, 1.5], True)
    out = ag.special.yn(ag.asarray([0, 2]), x)
    out.sum().backward()
    expected = (scipy_special.yn([-1, 1], [0.5, 1.5]) - scipy_special.yn([1, 3], [0.5, 1.5])) / 2
    assert_allclose(x.grad.numpy(), expected, rtol=1e-12)


def test_second_and_third_derivatives_come_from_the_rules(backend):
    x = _tensor([0.7, 2.5], True)
    (d1,) = ag.autograd.grad(ag.special.gammaln(x).sum(), x, create_graph=True)
    (d2,) = ag.autograd.grad(d1.sum(), x, create_graph=True)
    (d3,) = ag.autograd.grad(d2.sum(), x)
    for got, order in ((d1, 0), (d2, 1), (d3, 2)):  # torch's polygamma: 4e-10 relative
        assert_allclose(got.detach().numpy(), scipy_special.polygamma(order, [0.7, 2.5]),
                        rtol=1e-9)


def test_shape_derivative_of_gammainc_matches_finite_differences(numpy_backend):
    a = np.array([0.3, 1.0, 4.0, 30.0, 80.0])
    x = np.array([0.05, 2.0, 9.0, 25.0, 120.0])
    t = _tensor(a, True)
    ag.special.gammainc(t, _tensor(x)).sum().backward()
    eps = 1e-6 * a
    fd = (scipy_special.gammainc(a + eps, x) - scipy_special.gammainc(a - eps, x)) / (2 * eps)
    assert_allclose(t.grad.numpy(), fd, rtol=1e-6, atol=1e-12)


def test_shape_derivative_beyond_the_series_is_nan_not_a_wrong_number(numpy_backend):
    t = _tensor([1.0], True)
    ag.special.gammainc(t, _tensor([2000.0])).sum().backward()
    assert np.isnan(t.grad.numpy()).all()


def test_dtypes_follow_the_floating_arguments(backend):
    x32 = ag.asarray([0.5, 1.5], dtype=ag.float32)
    assert ag.special.gammaln(x32).dtype == ag.float32
    assert ag.special.gammainc(2, x32).dtype == ag.float32  # a Python number does not widen
    assert ag.special.ndtr(ag.asarray([0, 1])).dtype == ag.asarray(0.0).dtype  # ints: default float


def test_reductions_match_scipy(backend):
    x = np.random.default_rng(3).standard_normal((3, 4))
    t = _tensor(x)
    assert_allclose(ag.special.logsumexp(t, axis=1).numpy(),
                    scipy_special.logsumexp(x, axis=1), rtol=1e-12)
    assert_allclose(ag.special.softmax(t, axis=0).numpy(),
                    scipy_special.softmax(x, axis=0), rtol=1e-12)
    assert_allclose(ag.special.log_softmax(t).numpy(), scipy_special.log_softmax(x), rtol=1e-12)
    out, sign = ag.special.logsumexp(t, axis=0, b=_tensor([[1.0], [-2.0], [0.5]]),
                                     return_sign=True)
    ref_out, ref_sign = scipy_special.logsumexp(x, axis=0, b=[[1.0], [-2.0], [0.5]],
                                                return_sign=True)
    assert_allclose(out.numpy(), ref_out, rtol=1e-12)
    assert_allclose(sign.numpy(), ref_sign)


def test_dask_stays_lazy_through_forward_and_backward():
    dask = pytest.importorskip("dask")
    counter = CountingScheduler()
    with ag.use_backend("dask"), dask.config.set(scheduler=counter):
        x = ag.asarray([0.5, 1.5, 2.5], requires_grad=True)
        y = scipy_special.gammainc(2.0, x) + scipy_special.erf(x) + scipy_special.i1(x)
        y.sum().backward()
        assert counter.computes == 0
        expected = (scipy_special.gammainc(2.0, [0.5, 1.5, 2.5])
                    + scipy_special.erf([0.5, 1.5, 2.5]) + scipy_special.i1([0.5, 1.5, 2.5]))
        assert_allclose(y.detach().numpy(), expected, rtol=1e-12)


def test_a_function_the_backend_lacks_is_named_with_the_backend():
    from arraygrad.backends.special import SpecialFunctionUnavailable, SpecialFunctions
    funcs = SpecialFunctions("cupy", np, {"special": {"module": "math"}}, np.asarray)
    with pytest.raises(SpecialFunctionUnavailable, match=r"'gammaln'.*'cupy' backend"):
        funcs.gammaln


# Provoked on purpose: y = 0 is log's singular point, where the rule computes
# log(0) = -inf before taking 0 for x = 0, and NumPy warns about it.
@pytest.mark.filterwarnings("ignore:divide by zero encountered in log:RuntimeWarning")
def test_xlogy_derivative_in_x_at_x_zero_is_log_y():
    """Found by the Hypothesis-drawn conformance inputs: d/dx x log(y) is log(y) at x = 0
    too (PyTorch and JAX agree); only at x = 0, y = 0 is it taken as 0 instead of -inf."""
    x = ag.asarray([0.0, 0.0, 1.0], requires_grad=True)
    y = ag.asarray([0.5, 0.0, 2.0])
    ag.sum(ag.special.xlogy(x, y)).backward()
    assert np.allclose(x.grad.numpy(), [math.log(0.5), 0.0, math.log(2.0)])
    x = ag.asarray([0.0], requires_grad=True)
    ag.sum(ag.special.xlog1py(x, ag.asarray([1.0]))).backward()
    assert np.allclose(x.grad.numpy(), [math.log(2.0)])
