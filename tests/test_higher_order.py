"""Second (and third) derivatives through ``create_graph=True``, on every backend:
closed forms, and Hessian-vector products against ``torch.autograd.grad(...,
create_graph=True)`` and against central differences of arraygrad's own gradients."""
from __future__ import annotations


import numpy as np
import pytest
from numpy.testing import assert_allclose

import arraygrad as ag
from gradcheck_utils import (SLOW_BACKENDS, away_from_zero, check_hvp, host, pos, reseed,
                             rnd, to_tensor)
from gradcheck_utils import unit as unit_values

torch = pytest.importorskip("torch")


@pytest.fixture(autouse=True)
def _seed_inputs(request):
    reseed(request.node.nodeid)


def unit(*shape):
    return unit_values(*shape, bound=0.8)


def reduced_grid(backend, keep: bool) -> None:
    """Part of a grid only on the slow backends (JAX compiles every new operation and
    shape; dask builds a graph per forward); all of it runs on the others."""
    if backend.name in SLOW_BACKENDS and not keep:
        pytest.skip("reduced grid on the slow backends (jax, dask); "
                    "this combination runs on numpy, array_api_strict and torch")


def second_derivative(fn, x_np, *, via="grad"):
    """d²/dx² of an element-wise ``fn`` at every element of ``x_np`` (the diagonal of
    the Hessian of sum(fn(x))), with ``create_graph=True``."""
    x = to_tensor(x_np, requires_grad=True)
    y = ag.sum(fn(x))
    if via == "grad":
        (g,) = ag.autograd.grad(y, x, create_graph=True)
    else:  # backward(create_graph=True) fills x.grad with a differentiable tensor
        y.backward(create_graph=True)
        g = x.grad
        x.grad = None
    assert g.requires_grad and g.grad_fn is not None
    (h,) = ag.autograd.grad(ag.sum(g), x)
    return host(g), host(h)


X = np.array([-2.0, -0.5, 0.3, 1.2, 2.5])

CLOSED_FORMS = {
    # name: (f, f', f'')
    "sin": (ag.sin, np.cos, lambda x: -np.sin(x)),
    "cos": (ag.cos, lambda x: -np.sin(x), lambda x: -np.cos(x)),
    "x**3": (lambda x: x ** 3, lambda x: 3 * x ** 2, lambda x: 6 * x),
    "exp": (ag.exp, np.exp, np.exp),
    "tanh": (ag.tanh, lambda x: 1 - np.tanh(x) ** 2,
             lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2)),
    "1/x": (lambda x: 1 / x, lambda x: -1 / x ** 2, lambda x: 2 / x ** 3),
    "x*x": (lambda x: x * x, lambda x: 2 * x, lambda x: np.full_like(x, 2.0)),
    "square": (ag.square, lambda x: 2 * x, lambda x: np.full_like(x, 2.0)),
    "reciprocal": (ag.reciprocal, lambda x: -1 / x ** 2, lambda x: 2 / x ** 3),
    "sinh": (ag.sinh, np.cosh, np.sinh),
    "atan": (ag.atan, lambda x: 1 / (1 + x * x), lambda x: -2 * x / (1 + x * x) ** 2),
    "2**x": (lambda x: 2.0 ** x, lambda x: np.log(2) * 2.0 ** x,
             lambda x: np.log(2) ** 2 * 2.0 ** x),
    "abs*x": (lambda x: ag.abs(x) * x, lambda x: 2 * np.abs(x), lambda x: 2 * np.sign(x)),
}
POSITIVE_CLOSED_FORMS = {
    "log": (ag.log, lambda x: 1 / x, lambda x: -1 / x ** 2),
    "sqrt": (ag.sqrt, lambda x: 0.5 / np.sqrt(x), lambda x: -0.25 * x ** -1.5),
    "x**2.5": (lambda x: x ** 2.5, lambda x: 2.5 * x ** 1.5, lambda x: 3.75 * x ** 0.5),
    "log1p": (ag.log1p, lambda x: 1 / (1 + x), lambda x: -1 / (1 + x) ** 2),
}


@pytest.mark.parametrize("via", ["grad", "backward"])
@pytest.mark.parametrize("name", list(CLOSED_FORMS) + list(POSITIVE_CLOSED_FORMS))
def test_second_derivative_closed_form(backend, name, via):
    reduced_grid(backend, via == "grad" or name in ("sin", "x**3", "1/x", "log"))
    f, df, d2f = {**CLOSED_FORMS, **POSITIVE_CLOSED_FORMS}[name]
    x = np.abs(X) if name in POSITIVE_CLOSED_FORMS else X
    g, h = second_derivative(f, x, via=via)
    assert_allclose(g, df(x), rtol=1e-12, atol=1e-14)
    assert_allclose(h, d2f(x), rtol=1e-12, atol=1e-14)


def test_third_derivative(backend):
    """d³/dx³ x**4 = 24 x, and d³/dx³ sin x = -cos x, by three nested grads."""
    for f, d3f in [(lambda x: x ** 4, lambda x: 24 * x), (ag.sin, lambda x: -np.cos(x))]:
        x = to_tensor(X, requires_grad=True)
        (g1,) = ag.autograd.grad(ag.sum(f(x)), x, create_graph=True)
        (g2,) = ag.autograd.grad(ag.sum(g1), x, create_graph=True)
        (g3,) = ag.autograd.grad(ag.sum(g2), x)
        assert_allclose(host(g3), d3f(X), rtol=1e-12, atol=1e-13)


def test_scalar_0d_second_derivative(backend):
    x = to_tensor(np.array(0.7), requires_grad=True)
    y = ag.sin(x) * x  # y'' = 2 cos x - x sin x
    (g,) = ag.autograd.grad(y, x, create_graph=True)
    (h,) = ag.autograd.grad(g, x)
    assert h.shape == ()
    assert_allclose(host(h), 2 * np.cos(0.7) - 0.7 * np.sin(0.7), rtol=1e-12)


def test_second_derivative_through_0d_intermediate(backend):
    """f(x) = (sum x)²: the gradient 2 sum(x) depends on x through a 0-d value, and the
    Hessian is 2 everywhere."""
    x0 = np.array([0.7, 1.0, -0.2])
    x = to_tensor(x0, requires_grad=True)
    s = ag.sum(x)
    (g,) = ag.autograd.grad(s * s, x, create_graph=True)
    assert_allclose(host(g), np.full(3, 2 * x0.sum()), rtol=1e-14)
    assert g.requires_grad, "the gradient lost its dependence on x"
    (h,) = ag.autograd.grad(ag.sum(g), x)
    assert_allclose(host(h), np.full(3, 6.0), rtol=1e-14)


def test_matmul_hessian_vector_product_closed_form(backend):
    """f(x) = x·(A x): grad = (A + Aᵀ) x and H v = (A + Aᵀ) v."""
    a, x0, v0 = rnd(4, 4), rnd(4), rnd(4)
    A = to_tensor(a)
    x = to_tensor(x0, requires_grad=True)
    f = x @ (A @ x)
    (g,) = ag.autograd.grad(f, x, create_graph=True)
    assert_allclose(host(g), (a + a.T) @ x0, rtol=1e-12)
    (hv,) = ag.autograd.grad(g, x, grad_outputs=to_tensor(v0))
    assert_allclose(host(hv), (a + a.T) @ v0, rtol=1e-12)


def test_matmul_mixed_second_derivative(backend):
    """f(W, x) = sum(W @ x): d/dx (d f/dW · V) = Vᵀ 1 for a direction V."""
    w0, x0, V = rnd(3, 4), rnd(4), rnd(3, 4)
    W = to_tensor(w0, requires_grad=True)
    x = to_tensor(x0, requires_grad=True)
    f = ag.sum(W @ x)
    (gW,) = ag.autograd.grad(f, W, create_graph=True)  # gW[i, j] = x[j]
    assert_allclose(host(gW), np.broadcast_to(x0, (3, 4)), rtol=1e-14)
    (hx,) = ag.autograd.grad(ag.sum(gW * to_tensor(V)), x)
    assert_allclose(host(hx), V.sum(axis=0), rtol=1e-12)


# Provoked on purpose: the PyTorch reference runs backward(create_graph=True), and
# torch warns about the reference cycle that makes between x and x.grad.
@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True:UserWarning")
def test_backward_create_graph_accumulates_like_torch(backend):
    """y.backward(create_graph=True) leaves a differentiable x.grad; a second backward
    from it adds the second derivative into x.grad, as in PyTorch."""
    x0 = np.array([0.3, -1.1, 2.0])
    x = to_tensor(x0, requires_grad=True)
    (x ** 3).sum().backward(create_graph=True)
    assert x.grad.grad_fn is not None
    assert_allclose(host(x.grad), 3 * x0 ** 2, rtol=1e-13)
    x.grad.sum().backward()
    tx = torch.tensor(x0, requires_grad=True)
    (tx ** 3).sum().backward(create_graph=True)
    tx.grad.sum().backward()
    assert_allclose(host(x.grad), tx.grad.detach().numpy(), rtol=1e-13)
    assert_allclose(host(x.grad), 3 * x0 ** 2 + 6 * x0, rtol=1e-13)


def test_gradient_penalty_style(backend):
    """d/dw ||d/dx f(w, x)||² for f = sum(tanh(w * x)) (a gradient penalty), vs torch."""
    w0, x0 = rnd(3), rnd(3)
    w = to_tensor(w0, requires_grad=True)
    x = to_tensor(x0, requires_grad=True)
    (gx,) = ag.autograd.grad(ag.sum(ag.tanh(w * x)), x, create_graph=True)
    penalty = ag.sum(gx * gx)
    (gw,) = ag.autograd.grad(penalty, w)
    tw = torch.tensor(w0, requires_grad=True)
    tx = torch.tensor(x0, requires_grad=True)
    (tgx,) = torch.autograd.grad(torch.sum(torch.tanh(tw * tx)), tx, create_graph=True)
    (tgw,) = torch.autograd.grad(torch.sum(tgx * tgx), tw)
    assert_allclose(host(gw), tgw.numpy(), rtol=1e-12)


# -- Hessian-vector products vs torch and vs differences of gradients --------------

HVP_CASES = {
    "sin": (lambda xp, x: xp.sin(x), [rnd(2, 3)]),
    "exp": (lambda xp, x: xp.exp(x), [rnd(2, 3)]),
    "log": (lambda xp, x: xp.log(x), [pos(2, 3)]),
    "sqrt": (lambda xp, x: xp.sqrt(x), [pos(2, 3)]),
    "tanh": (lambda xp, x: xp.tanh(x), [rnd(2, 3)]),
    "cube": (lambda xp, x: x ** 3, [rnd(2, 3)]),
    "divide": (lambda xp, a, b: a / b, [rnd(2, 3), away_from_zero(2, 3)]),
    "divide_broadcast": (lambda xp, a, b: a / b, [rnd(3, 1), away_from_zero(4)]),
    "multiply_broadcast": (lambda xp, a, b: a * b * a, [rnd(3, 1), rnd(4)]),
    "pow_tensors": (lambda xp, a, b: a ** b, [pos(2, 3), rnd(2, 3)]),
    "scalar_pow": (lambda xp, x: 1.5 ** x, [rnd(4)]),
    "matmul": (lambda xp, a, b: xp.tanh(a @ b), [rnd(2, 3), rnd(3, 2)]),
    "matmul_vec": (lambda xp, a, x: x @ (a @ x), [rnd(3, 3), rnd(3)]),
    "matmul_batched": (lambda xp, a, b: xp.sin(a @ b), [rnd(2, 2, 3), rnd(3, 2)]),
    "sigmoid": (lambda xp, x: 1 / (1 + xp.exp(-x)), [rnd(5)]),
    "softplus": (lambda xp, x: xp.log1p(xp.exp(x)), [rnd(5)]),
    "logaddexp": (lambda xp, a, b: xp.logaddexp(a, b), [rnd(4), rnd(4)]),
    "atan2": (lambda xp, a, b: xp.atan2(a, b), [away_from_zero(4), away_from_zero(4)]),
    "hypot": (lambda xp, a, b: xp.hypot(a, b), [away_from_zero(4), away_from_zero(4)]),
    "asin_acos": (lambda xp, x: xp.asin(x) * xp.acos(x), [unit(4)]),
    "tan_atanh": (lambda xp, x: xp.tan(x) + xp.atanh(x), [unit(4)]),
    "sum_mean": (lambda xp, x: xp.sum(x * x, axis=1) * xp.mean(xp.exp(x), axis=0)[0],
                 [rnd(3, 4)]),
    "sum_keepdims": (lambda xp, x: x * xp.sum(x, axis=0, keepdims=True), [rnd(3, 2)]),
    "norm2": (lambda xp, x: xp.linalg.vector_norm(x, axis=1), [rnd(2, 3)]),
    "norm3": (lambda xp, x: xp.linalg.vector_norm(x, ord=3, axis=0), [away_from_zero(2, 3)]),
    "indexing": (lambda xp, x: x[1:, ...] * x[:-1, ...] * x[0, ...], [rnd(4, 2)]),
    "reshape_permute": (lambda xp, x: xp.permute_dims(xp.reshape(x * x, (3, 2, 2)), (2, 0, 1)),
                        [rnd(2, 6)]),
    "where": (lambda xp, c, a, b: xp.where(c, a * a, b * a),
              [np.array([True, False, True]), rnd(3), rnd(3)]),
    "maximum": (lambda xp, a, b: xp.maximum(a * a, b) * a, [rnd(4), rnd(4)]),
    "clip": (lambda xp, x: xp.clip(x * x, 0.1, 1.5) * x, [np.array([0.2, 0.5, 1.0, 1.5])]),
    "abs": (lambda xp, x: xp.abs(x) * x * x, [away_from_zero(4)]),
    "expm1_log2": (lambda xp, x: xp.expm1(x) * xp.log2(x), [pos(4)]),
    "cosh_asinh": (lambda xp, x: xp.cosh(x) * xp.asinh(x), [rnd(4)]),
    "acosh_log10": (lambda xp, x: xp.acosh(x) * xp.log10(x), [pos(4) + 1.2]),
}


@pytest.mark.parametrize("name", list(HVP_CASES))
def test_hessian_vector_product(backend, name):
    reduced_grid(backend, name in (
        "sin", "exp", "cube", "divide", "divide_broadcast", "matmul", "matmul_vec",
        "matmul_batched", "sigmoid", "norm2", "indexing", "where", "sum_keepdims",
        "pow_tensors", "sum_mean"))
    fn, args = HVP_CASES[name]
    torch_fn = None
    if name == "clip":
        torch_fn = lambda x: torch.clamp(x * x, 0.1, 1.5) * x  # noqa: E731
    check_hvp(fn, args, torch_fn=torch_fn)


def test_create_graph_gradients_are_on_the_backend(backend):
    x = to_tensor(rnd(3), requires_grad=True)
    (g,) = ag.autograd.grad(ag.sum(ag.sin(x) * x), x, create_graph=True)
    assert g._backend is backend and g.dtype == ag.float64 and g.shape == (3,)
    # Without create_graph the gradient is a plain tensor outside any graph.
    (g0,) = ag.autograd.grad(ag.sum(ag.sin(x) * x), x)
    assert not g0.requires_grad and g0.grad_fn is None
    assert_allclose(host(g), host(g0), rtol=1e-15)
