"""The linear-algebra functions (main namespace and the ``linalg`` extension): their
gradients against central finite differences on every backend and against
``torch.autograd`` on the same inputs (real and complex, stacks of matrices, the
functions' parameters), second derivatives, the singular and degenerate cases, the
namespaces and signatures, the node names, and the documented dask gaps."""
from __future__ import annotations

import inspect
import math
import zlib

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

import arraygrad as ag
from arraygrad.ops import linalg as linalg_module
from gradcheck_utils import check_hvp, check_vjp, host, to_tensor

# Functions dask's linalg cannot compute (no determinant, no eigensolver).
DASK_MISSING = {"det", "slogdet", "eigh", "eigvalsh", "eig", "eigvals"}
# One reason for every function, so that the run's skip summary counts them together.
DASK_MISSING_REASON = "Dask has no linalg." + ", linalg.".join(sorted(DASK_MISSING))


# -- inputs --------------------------------------------------------------------------

def _rng(name: str):
    return np.random.default_rng(zlib.crc32(name.encode()))


def rnd(rng, *shape, c=False):
    a = rng.standard_normal(shape)
    if c:
        a = a + 1j * rng.standard_normal(shape)
    return a


def well(rng, *shape, c=False):
    """Square matrices, comfortably invertible."""
    return rnd(rng, *shape, c=c) + 3 * np.eye(shape[-1])


def spd(rng, *shape, c=False):
    """Hermitian positive-definite matrices."""
    a = rnd(rng, *shape, c=c)
    return a @ np.conj(np.swapaxes(a, -1, -2)) + shape[-1] * np.eye(shape[-1])


def herm(xp, a):
    """The Hermitian part: the functions of Hermitian matrices read one triangle, so
    finite differences see the gradient PyTorch gives only through this."""
    return (a + xp.conj(xp.matrix_transpose(a))) / 2


def _svd_loss(xp, r, k):
    """A loss of all three SVD outputs that does not depend on the singular vectors'
    phases: U f(S) Vh and |U| |Vh| on the first k singular triplets."""
    U, S, Vh = r
    Uk, Vhk = U[..., :, :k], Vh[..., :k, :]
    return (Uk * xp.expand_dims(xp.sin(S), axis=-2)) @ Vhk + xp.abs(Uk) @ xp.abs(Vhk)


def _eigh_loss(xp, r):
    """V diag(sin L) V^H and |V| + L: invariant under the eigenvectors' phases."""
    L, V = r
    f = (V * xp.expand_dims(xp.sin(L), axis=-2)) @ xp.conj(xp.matrix_transpose(V))
    return f + xp.abs(V) + xp.expand_dims(L, axis=-2)


def _eig_loss(xp, r):
    L, V = r
    return xp.abs(V) + xp.expand_dims(L, axis=-2)


# -- the gradient cases ---------------------------------------------------------------
# name -> (fn(xp, *args), args(rng, c), complex variant?, the function dask lacks)

CASES = {
    "inv": (lambda xp, a: xp.linalg.inv(a), lambda r, c: [well(r, 2, 3, 3, c=c)], True),
    "inv-2d": (lambda xp, a: xp.linalg.inv(a), lambda r, c: [well(r, 3, 3, c=c)], False),
    "det": (lambda xp, a: xp.linalg.det(a), lambda r, c: [rnd(r, 2, 3, 3, c=c)], True),
    "det-2d": (lambda xp, a: xp.linalg.det(a), lambda r, c: [rnd(r, 4, 4, c=c)], False),
    "slogdet": (lambda xp, a: (lambda s: s.sign * s.logabsdet)(xp.linalg.slogdet(a)),
                lambda r, c: [rnd(r, 2, 3, 3, c=c)], True),
    "slogdet-logabsdet": (lambda xp, a: xp.linalg.slogdet(a).logabsdet,
                          lambda r, c: [rnd(r, 2, 3, 3, c=c)], True),
    "slogdet-sign": (lambda xp, a: xp.linalg.slogdet(a).sign,
                     lambda r, c: [rnd(r, 2, 3, 3, c=c)], "complex-only"),
    "solve-matrix-broadcast": (lambda xp, a, b: xp.linalg.solve(a, b),
                               lambda r, c: [well(r, 2, 3, 3, c=c), rnd(r, 3, 2, c=c)], True),
    "solve-batched-rhs": (lambda xp, a, b: xp.linalg.solve(a, b),
                          lambda r, c: [well(r, 3, 3, c=c), rnd(r, 2, 3, 2, c=c)], False),
    "solve-vector": (lambda xp, a, b: xp.linalg.solve(a, b),
                     lambda r, c: [well(r, 2, 3, 3, c=c), rnd(r, 3, c=c)], True),
    "solve-real-matrix-complex-rhs": (lambda xp, a, b: xp.linalg.solve(a, b),
                                      lambda r, c: [well(r, 3, 3), rnd(r, 3, 2, c=True)],
                                      False),
    "cholesky": (lambda xp, a: xp.linalg.cholesky(herm(xp, a)),
                 lambda r, c: [spd(r, 2, 3, 3, c=c)], True),
    "cholesky-upper": (lambda xp, a: xp.linalg.cholesky(herm(xp, a), upper=True),
                       lambda r, c: [spd(r, 3, 3, c=c)], True),
    "eigh": (lambda xp, a: _eigh_loss(xp, xp.linalg.eigh(herm(xp, a))),
             lambda r, c: [rnd(r, 2, 3, 3, c=c)], True),
    "eigh-eigenvalues": (lambda xp, a: xp.linalg.eigh(herm(xp, a)).eigenvalues,
                         lambda r, c: [rnd(r, 2, 3, 3, c=c)], False),
    "eigvalsh": (lambda xp, a: xp.linalg.eigvalsh(herm(xp, a)),
                 lambda r, c: [rnd(r, 2, 3, 3, c=c)], True),
    "eig": (lambda xp, a: _eig_loss(xp, xp.linalg.eig(a)),
            lambda r, c: [rnd(r, 2, 3, 3, c=c)], True),
    "eigvals": (lambda xp, a: xp.linalg.eigvals(a), lambda r, c: [rnd(r, 2, 3, 3, c=c)], True),
    "svd-reduced-tall": (lambda xp, a: _svd_loss(xp, xp.linalg.svd(a, full_matrices=False), 3),
                         lambda r, c: [rnd(r, 2, 4, 3, c=c)], True),
    "svd-reduced-wide": (lambda xp, a: _svd_loss(xp, xp.linalg.svd(a, full_matrices=False), 3),
                         lambda r, c: [rnd(r, 3, 4, c=c)], True),
    "svd-full-square": (lambda xp, a: _svd_loss(xp, xp.linalg.svd(a), 3),
                        lambda r, c: [rnd(r, 2, 3, 3, c=c)], True),
    "svd-U-only": (lambda xp, a: xp.abs(xp.linalg.svd(a, full_matrices=False).U),
                   lambda r, c: [rnd(r, 4, 3, c=c)], True),
    "svd-Vh-only": (lambda xp, a: xp.abs(xp.linalg.svd(a, full_matrices=False).Vh),
                    lambda r, c: [rnd(r, 3, 4, c=c)], True),
    "svdvals": (lambda xp, a: xp.linalg.svdvals(a), lambda r, c: [rnd(r, 2, 4, 3, c=c)], True),
    "qr-tall": (lambda xp, a: (lambda q: xp.sin(q.Q) @ q.R)(xp.linalg.qr(a)),
                lambda r, c: [rnd(r, 2, 4, 3, c=c)], True),
    "qr-square-complete": (lambda xp, a: (lambda q: xp.sin(q.Q) @ q.R)(
                               xp.linalg.qr(a, mode="complete")),
                           lambda r, c: [rnd(r, 3, 3, c=c)], False),
    "qr-wide": (lambda xp, a: (lambda q: xp.sin(q.Q) @ q.R)(xp.linalg.qr(a)),
                lambda r, c: [rnd(r, 2, 3, 4, c=c)], True),
    "qr-R-only": (lambda xp, a: xp.linalg.qr(a).R, lambda r, c: [rnd(r, 4, 3, c=c)], True),
    "qr-Q-only-wide": (lambda xp, a: xp.linalg.qr(a).Q, lambda r, c: [rnd(r, 3, 4, c=c)], True),
    "pinv-tall": (lambda xp, a: xp.linalg.pinv(a), lambda r, c: [rnd(r, 2, 4, 3, c=c)], True),
    "pinv-wide-rtol": (lambda xp, a: xp.linalg.pinv(a, rtol=1e-3),
                       lambda r, c: [rnd(r, 3, 4, c=c)], True),
    "matrix_power-3": (lambda xp, a: xp.linalg.matrix_power(a, 3),
                       lambda r, c: [rnd(r, 2, 3, 3, c=c)], True),
    "matrix_power-minus2": (lambda xp, a: xp.linalg.matrix_power(a, -2),
                            lambda r, c: [well(r, 2, 3, 3, c=c)], True),
    "matrix_power-1": (lambda xp, a: xp.linalg.matrix_power(a, 1),
                       lambda r, c: [rnd(r, 3, 3, c=c)], False),
    "matrix_power-0": (lambda xp, a: xp.linalg.matrix_power(a, 0) * a,
                       lambda r, c: [rnd(r, 2, 3, 3, c=c)], False),
    "trace": (lambda xp, a: xp.linalg.trace(a), lambda r, c: [rnd(r, 2, 3, 3, c=c)], True),
    "trace-offset": (lambda xp, a: xp.linalg.trace(a, offset=1),
                     lambda r, c: [rnd(r, 2, 3, 4, c=c)], True),
    "trace-negative-offset-dtype": (lambda xp, a: xp.linalg.trace(a, offset=-1,
                                                                  dtype=xp.float64),
                                    lambda r, c: [rnd(r, 4, 3)], False),
    "diagonal": (lambda xp, a: xp.linalg.diagonal(a), lambda r, c: [rnd(r, 2, 3, 3, c=c)], True),
    "diagonal-offset": (lambda xp, a: xp.linalg.diagonal(a, offset=2),
                        lambda r, c: [rnd(r, 2, 3, 4, c=c)], True),
    "diagonal-negative-offset": (lambda xp, a: xp.linalg.diagonal(a, offset=-1),
                                 lambda r, c: [rnd(r, 3, 4, c=c)], False),
    "cross": (lambda xp, a, b: xp.linalg.cross(a, b),
              lambda r, c: [rnd(r, 2, 4, 3, c=c), rnd(r, 4, 3, c=c)], True),
    "cross-axis": (lambda xp, a, b: xp.linalg.cross(a, b, axis=-2),
                   lambda r, c: [rnd(r, 2, 3, 4, c=c), rnd(r, 3, 1, c=c)], True),
    "cross-positive-axis": (lambda xp, a, b: xp.linalg.cross(a, b, axis=0),
                            lambda r, c: [rnd(r, 3, 4, c=c), rnd(r, 3, 4, c=c)], False),
    "outer": (lambda xp, a, b: xp.linalg.outer(a, b),
              lambda r, c: [rnd(r, 3, c=c), rnd(r, 4, c=c)], True),
    "vecdot": (lambda xp, a, b: xp.vecdot(a, b), lambda r, c: [rnd(r, 2, 4, c=c), rnd(r, 4, c=c)],
               True),
    "vecdot-axis": (lambda xp, a, b: xp.linalg.vecdot(a, b, axis=-2),
                    lambda r, c: [rnd(r, 2, 3, 4, c=c), rnd(r, 3, 1, c=c)], True),
    "vecdot-positive-axis": (lambda xp, a, b: xp.vecdot(a, b, axis=1),
                             lambda r, c: [rnd(r, 2, 3, 4, c=c), rnd(r, 2, 3, 4, c=c)], False),
    "vecdot-mixed": (lambda xp, a, b: xp.vecdot(a, b),
                     lambda r, c: [rnd(r, 2, 3), rnd(r, 2, 3, c=True)], False),
    "tensordot-default": (lambda xp, a, b: xp.tensordot(a, b),
                          lambda r, c: [rnd(r, 2, 3, 4, c=c), rnd(r, 3, 4, 2, c=c)], True),
    "tensordot-1": (lambda xp, a, b: xp.linalg.tensordot(a, b, axes=1),
                    lambda r, c: [rnd(r, 2, 3, 4, c=c), rnd(r, 4, 2, c=c)], False),
    "tensordot-0": (lambda xp, a, b: xp.tensordot(a, b, axes=0),
                    lambda r, c: [rnd(r, 2, 3, c=c), rnd(r, 2, c=c)], False),
    "tensordot-sequences": (lambda xp, a, b: xp.tensordot(a, b, axes=([0, 2], [2, 0])),
                            lambda r, c: [rnd(r, 2, 3, 4, c=c), rnd(r, 4, 5, 2, c=c)], True),
    "matmul": (lambda xp, a, b: xp.linalg.matmul(a, b),
               lambda r, c: [rnd(r, 2, 3, 4, c=c), rnd(r, 4, 2, c=c)], True),
    "matrix_transpose": (lambda xp, a: xp.linalg.matrix_transpose(a),
                         lambda r, c: [rnd(r, 2, 3, 4, c=c)], False),
}
for _ord in ("fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf):
    CASES[f"matrix_norm-{_ord}"] = (
        (lambda o: lambda xp, a: xp.linalg.matrix_norm(a, ord=o))(_ord),
        lambda r, c: [rnd(r, 2, 3, 4, c=c)], _ord in ("fro", "nuc", 2, 1, math.inf))
CASES["matrix_norm-keepdims"] = (lambda xp, a: xp.linalg.matrix_norm(a, keepdims=True, ord=-2),
                                 lambda r, c: [rnd(r, 2, 4, 3, c=c)], False)
CASES["matrix_norm-fro-keepdims"] = (lambda xp, a: xp.linalg.matrix_norm(a, keepdims=True),
                                     lambda r, c: [rnd(r, 2, 4, 3, c=c)], False)
CASES["vector_norm-all-keepdims"] = (
    lambda xp, a: xp.linalg.vector_norm(a, keepdims=True),
    lambda r, c: [rnd(r, 2, 3, c=c)], True)
CASES["vector_norm-axis-1"] = (lambda xp, a: xp.linalg.vector_norm(a, axis=-1, ord=1),
                               lambda r, c: [rnd(r, 2, 3, c=c)], True)
CASES["vector_norm-inf"] = (lambda xp, a: xp.linalg.vector_norm(a, axis=0, ord=math.inf),
                            lambda r, c: [rnd(r, 2, 3, c=c)], False)
CASES["vecdot-1d"] = (lambda xp, a, b: xp.vecdot(a, b),
                      lambda r, c: [rnd(r, 3, c=c), rnd(r, 3, c=c)], True)
CASES["tensordot-1d"] = (lambda xp, a, b: xp.tensordot(a, b, axes=1),
                         lambda r, c: [rnd(r, 3, c=c), rnd(r, 3, c=c)], False)
CASES["vector_norm"] = (lambda xp, a: xp.linalg.vector_norm(a, axis=(0, -1), ord=3),
                        lambda r, c: [rnd(r, 2, 3, 4, c=c)], True)

# One real case per function runs on every backend, and a complex one for the functions
# whose complex rules differ most; the variants run on the backends without compilation
# or task-graph overheads (JAX compiles every new shape of every operation).
CORE = {
    "inv", "det", "slogdet", "solve-matrix-broadcast", "solve-vector", "cholesky",
    "cholesky-upper", "eigh", "eigvalsh", "eig", "eigvals", "svd-reduced-tall",
    "svd-reduced-wide", "svdvals", "qr-tall", "qr-wide", "pinv-tall", "matrix_power-3",
    "matrix_power-minus2", "trace-offset", "diagonal-offset", "cross-axis", "outer",
    "vecdot-axis", "tensordot-sequences", "matrix_norm-fro", "matrix_norm-nuc",
    "matrix_norm-2", "matrix_norm-1", "matrix_norm-inf", "matmul", "vector_norm",
}
CORE_COMPLEX = {"inv", "det", "slogdet", "solve-matrix-broadcast", "cholesky", "eigh",
                "eig", "svd-reduced-tall", "qr-tall", "pinv-tall", "vecdot-axis"}
FAST_BACKENDS = ("numpy", "torch", "array_api_strict")


def _params(keep):
    out = []
    for name in sorted(CASES):
        cplx = CASES[name][2]
        if cplx != "complex-only" and keep(name, False):
            out.append(pytest.param(name, False, id=f"{name}-real"))
        if cplx and keep(name, True):
            out.append(pytest.param(name, True, id=f"{name}-complex"))
    return out


def _everywhere(name, c):
    return name in (CORE_COMPLEX if c else CORE)


def _base(name: str) -> str:
    return name.split("-")[0]


def _dask_gap(backend, name) -> bool:
    return backend.name == "dask" and _base(name) in DASK_MISSING


def _check_case(backend, name, c):
    fn, make_args, _ = CASES[name]
    args = make_args(_rng(name + str(c)), c)
    if _dask_gap(backend, name):
        with pytest.raises(NotImplementedError, match="dask"):
            fn(ag, *[to_tensor(a) for a in args])
        return
    check_vjp(fn, args)


@pytest.mark.parametrize("name, c", _params(_everywhere))
def test_gradient(backend, name, c):
    """The VJP against finite differences (on this backend) and torch.autograd; where
    dask lacks the function, the NotImplementedError naming dask."""
    _check_case(backend, name, c)


@pytest.fixture(params=FAST_BACKENDS)
def fast_backend(request):
    from conftest import BACKENDS
    if BACKENDS[request.param] is not None:
        pytest.skip(f"backend {request.param} unavailable: {BACKENDS[request.param]}")
    with ag.use_backend(request.param) as b:
        yield b


@pytest.mark.parametrize("name, c", _params(lambda n, c: not _everywhere(n, c)))
def test_gradient_variant(fast_backend, name, c):
    """The other parameters and shapes of each function, likewise."""
    _check_case(fast_backend, name, c)


# -- second derivatives ----------------------------------------------------------------

HVP_CASES = {
    "inv": (lambda xp, a: xp.linalg.inv(a), lambda r: [well(r, 2, 3, 3)]),
    "det": (lambda xp, a: xp.linalg.det(a), lambda r: [rnd(r, 2, 3, 3)]),
    "slogdet": (lambda xp, a: xp.linalg.slogdet(a).logabsdet, lambda r: [rnd(r, 3, 3)]),
    "solve": (lambda xp, a, b: xp.linalg.solve(a, b), lambda r: [well(r, 2, 3, 3), rnd(r, 3, 2)]),
    "solve-vector": (lambda xp, a, b: xp.linalg.solve(a, b), lambda r: [well(r, 3, 3), rnd(r, 3)]),
    "cholesky": (lambda xp, a: xp.linalg.cholesky(herm(xp, a)), lambda r: [spd(r, 2, 3, 3)]),
    "eigvalsh": (lambda xp, a: xp.linalg.eigvalsh(herm(xp, a)), lambda r: [rnd(r, 2, 3, 3)]),
    "eigh": (lambda xp, a: _eigh_loss(xp, xp.linalg.eigh(herm(xp, a))), lambda r: [rnd(r, 3, 3)]),
    "svdvals": (lambda xp, a: xp.linalg.svdvals(a), lambda r: [rnd(r, 2, 4, 3)]),
    "svd": (lambda xp, a: _svd_loss(xp, xp.linalg.svd(a, full_matrices=False), 2),
            lambda r: [rnd(r, 2, 3)]),
    "qr": (lambda xp, a: (lambda q: xp.sin(q.Q) @ q.R)(xp.linalg.qr(a)), lambda r: [rnd(r, 4, 3)]),
    "pinv": (lambda xp, a: xp.linalg.pinv(a), lambda r: [rnd(r, 3, 4)]),
    "matrix_norm-nuc": (lambda xp, a: xp.linalg.matrix_norm(a, ord="nuc"),
                        lambda r: [rnd(r, 2, 3, 3)]),
    "cross": (lambda xp, a, b: xp.linalg.cross(a, b) * a, lambda r: [rnd(r, 2, 3), rnd(r, 3)]),
    "tensordot": (lambda xp, a, b: xp.tensordot(a, b, axes=1) ** 2,
                  lambda r: [rnd(r, 2, 3), rnd(r, 3, 2)]),
    "vecdot": (lambda xp, a, b: xp.vecdot(a, b) ** 2, lambda r: [rnd(r, 2, 3), rnd(r, 3)]),
    "trace": (lambda xp, a: xp.linalg.trace(a * a, offset=1), lambda r: [rnd(r, 2, 3, 4)]),
    "diagonal": (lambda xp, a: xp.linalg.diagonal(a, offset=-1) ** 3, lambda r: [rnd(r, 3, 4)]),
}


# Required on every backend; the rest on the fast backends.
HVP_EVERYWHERE = ("inv", "det", "solve", "cholesky", "eigvalsh", "svdvals")


def _check_hvp_case(backend, name):
    fn, make_args = HVP_CASES[name]
    args = make_args(_rng("hvp" + name))
    if _dask_gap(backend, name):
        with pytest.raises(NotImplementedError, match="dask"):
            fn(ag, *[to_tensor(a) for a in args])
        return
    check_hvp(fn, args)


@pytest.mark.parametrize("name", HVP_EVERYWHERE)
def test_second_derivative(backend, name):
    """Hessian-vector products (create_graph=True) against PyTorch's and against
    differences of gradients."""
    _check_hvp_case(backend, name)


@pytest.mark.parametrize("name", [n for n in HVP_CASES if n not in HVP_EVERYWHERE])
def test_second_derivative_variant(fast_backend, name):
    _check_hvp_case(fast_backend, name)


def _sq(xp, y):
    """|y|^2 as y conj(y): abs of a complex value is not twice differentiable in
    arraygrad yet (its rule multiplies by sign(x), which carries no gradient)."""
    return xp.real(y * xp.conj(y))


COMPLEX_HVP = {
    "det": (lambda xp, a: xp.real(xp.linalg.det(a)) + xp.imag(xp.linalg.det(a)) ** 2,
            lambda r: rnd(r, 3, 3, c=True)),
    "inv": (lambda xp, a: _sq(xp, xp.linalg.inv(a)), lambda r: well(r, 2, 3, 3, c=True)),
    "solve": (lambda xp, a: _sq(xp, xp.linalg.solve(a, xp.sin(a))),
              lambda r: well(r, 3, 3, c=True)),
    "cholesky": (lambda xp, a: _sq(xp, xp.linalg.cholesky(herm(xp, a))),
                 lambda r: spd(r, 3, 3, c=True)),
    "eigvalsh": (lambda xp, a: xp.linalg.eigvalsh(herm(xp, a)) ** 3,
                 lambda r: rnd(r, 3, 3, c=True)),
    "svdvals": (lambda xp, a: xp.linalg.svdvals(a) ** 3, lambda r: rnd(r, 4, 3, c=True)),
    "slogdet": (lambda xp, a: xp.linalg.slogdet(a).logabsdet ** 2
                + xp.imag(xp.linalg.slogdet(a).sign), lambda r: rnd(r, 3, 3, c=True)),
}


@pytest.mark.parametrize("name", list(COMPLEX_HVP))
def test_second_derivative_complex(fast_backend, name):
    """Complex inputs under create_graph=True: H v of a real loss, against PyTorch
    (both give conjugate Wirtinger gradients)."""
    fn, make = COMPLEX_HVP[name]
    rng = _rng("chvp" + name)
    a = make(rng)
    v = rnd(rng, *a.shape, c=True)

    def hvp(xp, x, vv, grad):
        loss = xp.sum(fn(xp, x))
        g, = grad(loss, x, create_graph=True)
        dot = xp.sum(xp.real(xp.conj(g) * vv))
        h, = grad(dot, x)
        return g, h

    x = to_tensor(a, requires_grad=True)
    g, h = hvp(ag, x, to_tensor(v), ag.autograd.grad)
    import array_api_compat.torch as torch_xp
    t = torch.tensor(a, requires_grad=True)
    tg, th = hvp(torch_xp, t, torch.tensor(v), torch.autograd.grad)
    assert_allclose(host(g), tg.detach().numpy(), rtol=1e-9, atol=1e-11)
    assert_allclose(host(h), th.detach().numpy(), rtol=1e-9, atol=1e-11)


# -- determinants of singular matrices ---------------------------------------------------

def _torch_det_grads(a, create_graph):
    t = torch.tensor(a, requires_grad=True)
    g, = torch.autograd.grad(torch.linalg.det(t), t, create_graph=create_graph)
    return t, g


@pytest.mark.parametrize("matrix", [
    [[1.0, 2.0], [2.0, 4.0]],
    [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]],
    [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [3.0, 6.0, 9.0]],  # rank 1: the adjugate is 0
    [[0.0, 0.0], [0.0, 0.0]],
], ids=["2x2-rank1", "3x3-rank2", "3x3-rank1", "zero"])
def test_det_gradient_of_singular_matrix_is_the_adjugate(backend, matrix):
    """At a singular matrix the gradient of det is the adjugate's conjugate transpose
    (PyTorch's SVD formula, which PyTorch applies under create_graph=True)."""
    if backend.name == "dask":
        pytest.skip(DASK_MISSING_REASON)
    a = np.array(matrix)
    x = to_tensor(a, requires_grad=True)
    ag.linalg.det(x).backward()
    _, expected = _torch_det_grads(a, create_graph=True)
    got = host(x.grad)
    assert np.all(np.isfinite(got))
    assert_allclose(got, expected.detach().numpy(), atol=1e-12)
    # The adjugate of a rank-(n-1) matrix is non-zero.
    if np.linalg.matrix_rank(a) == a.shape[0] - 1:
        assert np.abs(got).max() > 0.5


def test_det_second_derivative_at_identity_has_no_nan(backend):
    """The singular branch is never differentiated where it is not taken: the Hessian
    of det at I (all singular values equal) is finite and PyTorch's."""
    if backend.name == "dask":
        pytest.skip(DASK_MISSING_REASON)
    x = to_tensor(np.eye(3), requires_grad=True)
    g, = ag.autograd.grad(ag.linalg.det(x), x, create_graph=True)
    h, = ag.autograd.grad(ag.sum(g * g), x)
    t, tg = _torch_det_grads(np.eye(3), create_graph=True)
    th, = torch.autograd.grad((tg * tg).sum(), t)
    assert_allclose(host(h), th.numpy(), atol=1e-12)


def test_det_second_derivative_at_singular_matrix(backend):
    if backend.name == "dask":
        pytest.skip(DASK_MISSING_REASON)
    a = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])
    x = to_tensor(a, requires_grad=True)
    g, = ag.autograd.grad(ag.linalg.det(x), x, create_graph=True)
    h, = ag.autograd.grad(ag.sum(g * g), x)
    t, tg = _torch_det_grads(a, create_graph=True)
    th, = torch.autograd.grad((tg * tg).sum(), t)
    assert_allclose(host(h), th.numpy(), atol=1e-10)


# -- empty inputs, dtypes, parameters ------------------------------------------------------

@pytest.mark.parametrize("shape", [(0, 3, 3), (2, 0, 0)], ids=["empty-stack", "0x0"])
@pytest.mark.parametrize("name", ["inv", "det", "solve", "slogdet", "matmul", "trace",
                                  "cholesky", "eigvalsh", "svdvals", "qr", "vecdot"])
def test_empty(backend, name, shape):
    rng = _rng("empty" + name)
    fns = {
        "cholesky": (lambda xp, a: xp.linalg.cholesky(a), 1),
        "eigvalsh": (lambda xp, a: xp.linalg.eigvalsh(a), 1),
        "svdvals": (lambda xp, a: xp.linalg.svdvals(a), 1),
        "qr": (lambda xp, a: xp.linalg.qr(a).R, 1),
        "vecdot": (lambda xp, a, b: xp.vecdot(a, b), 2),
        "inv": (lambda xp, a: xp.linalg.inv(a), 1),
        "det": (lambda xp, a: xp.linalg.det(a), 1),
        "slogdet": (lambda xp, a: xp.linalg.slogdet(a).logabsdet, 1),
        "solve": (lambda xp, a, b: xp.linalg.solve(a, b), 2),
        "matmul": (lambda xp, a, b: a @ b, 2),
        "trace": (lambda xp, a: xp.linalg.trace(a), 1),
    }
    fn, n = fns[name]
    args = [rnd(rng, *shape) for _ in range(n)]
    if _dask_gap(backend, name):
        pytest.skip(DASK_MISSING_REASON)
    if backend.name == "dask" and name in ("inv", "solve") and shape == (2, 0, 0):
        pytest.skip("dask's inv and solve (scipy's LU) fail on 0x0 matrices")
    grads = check_vjp(fn, args)
    assert all(g.shape == a.shape for g, a in zip(grads, args))


@pytest.fixture(params=FAST_BACKENDS + ("dask",))
def eager_backend(request):
    """Every backend but JAX (whose compilations make it slow to sweep)."""
    from conftest import BACKENDS
    if BACKENDS[request.param] is not None:
        pytest.skip(f"backend {request.param} unavailable: {BACKENDS[request.param]}")
    with ag.use_backend(request.param) as b:
        yield b


@pytest.mark.parametrize("name", ["inv", "det", "cholesky", "eigvalsh", "svdvals", "qr"])
def test_float32_gradients_keep_float32(eager_backend, name):
    backend = eager_backend
    fns = {
        "inv": lambda a: ag.linalg.inv(a),
        "det": lambda a: ag.linalg.det(a),
        "cholesky": lambda a: ag.linalg.cholesky(a),
        "eigvalsh": lambda a: ag.linalg.eigvalsh(a),
        "svdvals": lambda a: ag.linalg.svdvals(a),
        "qr": lambda a: ag.linalg.qr(a).R,
    }
    if _dask_gap(backend, name):
        pytest.skip(DASK_MISSING_REASON)
    a = spd(_rng("f32" + name), 2, 3, 3)
    x = to_tensor(a, dtype=ag.float32, requires_grad=True)
    y = fns[name](x)
    assert y.dtype == ag.float32
    ag.sum(y).backward()
    assert x.grad.dtype == ag.float32
    x64 = to_tensor(a, requires_grad=True)
    ag.sum(fns[name](x64)).backward()
    assert_allclose(host(x.grad), host(x64.grad), rtol=1e-3, atol=1e-4)


def test_values_do_not_depend_on_grad(backend):
    """eigvalsh and svdvals compute the vectors when a gradient is wanted, but their
    values are those of the values-only solvers either way."""
    a = rnd(_rng("consistent"), 2, 4, 4)
    names = ["svdvals"] if backend.name == "dask" else ["svdvals", "eigvalsh", "eigvals"]
    for name in names:
        fn = getattr(ag.linalg, name)
        x = to_tensor(a + np.swapaxes(a, -1, -2) if name == "eigvalsh" else a)
        with ag.no_grad():
            plain = host(fn(x))
        x.requires_grad_(True)
        y = fn(x)
        assert y.grad_fn is not None
        np.testing.assert_array_equal(host(y), plain)


def test_multi_output_results_are_namedtuples(backend):
    a = spd(_rng("named"), 3, 3)
    x = to_tensor(a, requires_grad=True)
    expected = {"svd": ("U", "S", "Vh"), "qr": ("Q", "R")}
    if backend.name != "dask":
        expected.update({"eigh": ("eigenvalues", "eigenvectors"),
                         "eig": ("eigenvalues", "eigenvectors"),
                         "slogdet": ("sign", "logabsdet")})
    for name, fields in expected.items():
        r = getattr(ag.linalg, name)(x)
        assert type(r).__name__ == {"svd": "SVDResult", "qr": "QRResult", "eigh": "EighResult",
                                    "eig": "EigResult", "slogdet": "SlogdetResult"}[name]
        assert r._fields == fields
        for part in r:
            assert isinstance(part, ag.Tensor) and part.grad_fn is not None
    U, S, Vh = ag.linalg.svd(x)
    assert_allclose(host((U * S) @ Vh), a, atol=1e-12)


def test_matrix_rank(backend):
    a = np.array([[[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]], np.eye(3)])
    x = to_tensor(a, requires_grad=True)
    r = ag.linalg.matrix_rank(x)
    assert r.grad_fn is None and not r.requires_grad
    assert host(r).tolist() == [2, 3]
    close = to_tensor(np.diag([1.0, 1e-3, 1e-9]))
    assert int(host(ag.linalg.matrix_rank(close))) == 3
    assert int(host(ag.linalg.matrix_rank(close, rtol=1e-6))) == 2
    assert int(host(ag.linalg.matrix_rank(close, rtol=1e-2))) == 1


def test_svd_full_matrices_rectangular_ignores_the_extra_vectors(backend):
    """As PyTorch documents: with full_matrices=True the gradient flows from the first
    min(m, n) singular vectors only (the rest are an arbitrary basis)."""
    if backend.name == "dask":
        with pytest.raises(NotImplementedError, match="dask"):
            ag.linalg.svd(to_tensor(np.ones((4, 3))))
        return
    a = rnd(_rng("svdfull"), 2, 4, 3)

    def fn(xp, x):
        U, S, Vh = xp.linalg.svd(x)
        return xp.abs(U) @ xp.ones((4, 3), dtype=xp.float64) + xp.expand_dims(S, axis=-2)

    check_vjp(fn, [a], fd=False)


def test_qr_complete_of_tall_matrix_is_not_differentiable(backend):
    x = to_tensor(rnd(_rng("qrc"), 4, 3), requires_grad=True)
    if backend.name == "dask":
        with pytest.raises(NotImplementedError, match="dask"):
            ag.linalg.qr(x, mode="complete")
        return
    Q, R = ag.linalg.qr(x, mode="complete")
    assert Q.shape == (4, 4) and R.shape == (4, 3)
    with pytest.raises(NotImplementedError, match="mode='complete' and nrows > ncols"):
        ag.sum(R).backward()


def test_invalid_arguments(backend):
    x = to_tensor(np.eye(3))
    with pytest.raises(ValueError):
        ag.linalg.matrix_norm(x, ord=3)
    with pytest.raises(ValueError):
        ag.linalg.matrix_norm(x, ord="nope")
    with pytest.raises(TypeError):
        ag.linalg.matrix_power(x, 2.0)
    with pytest.raises(ValueError):
        ag.linalg.matrix_power(to_tensor(np.ones((2, 3))), 2)
    with pytest.raises(ValueError):
        ag.linalg.qr(x, mode="r")
    with pytest.raises(ValueError):
        ag.linalg.outer(x, x)


def test_integer_inputs_have_no_gradient(backend):
    a = to_tensor(np.arange(6).reshape(2, 3))
    b = to_tensor(np.arange(3))
    v = ag.vecdot(a, b)
    assert v.grad_fn is None and host(v).tolist() == [5, 14]
    t = ag.tensordot(a, b, axes=([1], [0]))
    assert t.grad_fn is None and host(t).tolist() == [5, 14]


def test_constants_stay_on_the_tensors_backend():
    """Rules make their masks and identities on the backend of the tensors they meet,
    not the current backend: a second derivative of NumPy tensors under
    use_backend("torch")."""
    a = spd(_rng("mixed"), 3, 3)
    for fn in (ag.linalg.det, ag.linalg.cholesky, ag.linalg.eigvalsh, ag.linalg.svdvals):
        x = ag.asarray(a)  # a NumPy array keeps the NumPy backend
        x.requires_grad_(True)
        with ag.use_backend("torch"):
            g, = ag.autograd.grad(ag.sum(fn(x)), x, create_graph=True)
            h, = ag.autograd.grad(ag.sum(g * g), x)
        assert h._backend.name == "numpy"
        assert np.all(np.isfinite(host(h)))


# -- dask's gaps -------------------------------------------------------------------------

def test_dask_gaps():
    """What dask cannot compute raises NotImplementedError naming dask; stacks and the
    functions filled in standard terms work."""
    with ag.use_backend("dask"):
        x = to_tensor(spd(_rng("dask"), 2, 3, 3), requires_grad=True)
        for name in sorted(DASK_MISSING):
            with pytest.raises(NotImplementedError, match="dask"):
                getattr(ag.linalg, name)(x)
        with pytest.raises(NotImplementedError, match="dask"):
            ag.linalg.svd(to_tensor(np.ones((3, 4))), full_matrices=True)
        # Filled in standard terms (dask has no cross, pinv, matrix_power; its
        # cholesky(upper), svdvals and matrix_rank are broken in array-api-compat).
        u = ag.linalg.cholesky(x, upper=True)
        assert_allclose(host(ag.matrix_transpose(u) @ u), host(x.detach()), atol=1e-12)
        assert host(ag.linalg.matrix_rank(x)).tolist() == [3, 3]
        p = ag.linalg.pinv(x)
        assert_allclose(host(p), np.linalg.pinv(host(x.detach())), atol=1e-12)
        c = ag.linalg.cross(x, x[:, ::-1])
        assert_allclose(host(c), np.cross(host(x.detach()), host(x.detach())[:, ::-1]))
        s = ag.linalg.svdvals(x.detach())
        assert_allclose(host(s), np.linalg.svd(host(x.detach()), compute_uv=False))
        # Gradients stay lazy: dask arrays.
        ag.sum(ag.linalg.inv(x)).backward()
        assert type(x.grad.data).__module__.startswith("dask")


# -- namespaces, signatures, node names ----------------------------------------------------

STANDARD_SIGNATURES = {
    "cholesky": "(x, /, *, upper=False)",
    "cross": "(x1, x2, /, *, axis=-1)",
    "det": "(x, /)",
    "diagonal": "(x, /, *, offset=0)",
    "eig": "(x, /)",
    "eigh": "(x, /)",
    "eigvals": "(x, /)",
    "eigvalsh": "(x, /)",
    "inv": "(x, /)",
    "matmul": "(x1, x2, /)",
    "matrix_norm": "(x, /, *, keepdims=False, ord='fro')",
    "matrix_power": "(x, n, /)",
    "matrix_rank": "(x, /, *, rtol=None)",
    "matrix_transpose": "(x, /)",
    "outer": "(x1, x2, /)",
    "pinv": "(x, /, *, rtol=None)",
    "qr": "(x, /, *, mode='reduced')",
    "slogdet": "(x, /)",
    "solve": "(x1, x2, /)",
    "svd": "(x, /, *, full_matrices=True)",
    "svdvals": "(x, /)",
    "tensordot": "(x1, x2, /, *, axes=2)",
    "trace": "(x, /, *, offset=0, dtype=None)",
    "vecdot": "(x1, x2, /, *, axis=-1)",
    "vector_norm": "(x, /, *, axis=None, keepdims=False, ord=2)",
}
MAIN_NAMESPACE = ("matmul", "matrix_transpose", "tensordot", "vecdot")


def test_namespaces():
    assert set(linalg_module.LINALG_NAMESPACE) == set(STANDARD_SIGNATURES)
    assert set(ag.linalg.__all__) == set(STANDARD_SIGNATURES)
    assert set(linalg_module.EXTENSION_ONLY) == set(STANDARD_SIGNATURES) - set(MAIN_NAMESPACE)
    assert set(linalg_module.__all__) >= set(STANDARD_SIGNATURES)
    for name in STANDARD_SIGNATURES:
        assert callable(getattr(ag.linalg, name))
    for name in MAIN_NAMESPACE:
        assert getattr(ag, name) is getattr(ag.linalg, name)
        assert name in ag.__all__
    for name in set(linalg_module.EXTENSION_ONLY) - {"trace"}:
        assert name not in ag.__all__, name
        assert not hasattr(ag, name) or name in ("linalg",), name
    # PyTorch's trace (of one matrix, ops/composed.py) is its own function.
    assert ag.trace is not ag.linalg.trace


@pytest.mark.parametrize("name", sorted(STANDARD_SIGNATURES))
def test_signature(name):
    """Exactly the standard's signature, and the same as array_api_strict's."""
    fn = getattr(ag.linalg, name)
    assert str(inspect.signature(fn)) == STANDARD_SIGNATURES[name]
    import array_api_strict
    ref = getattr(array_api_strict.linalg, name, None) or getattr(array_api_strict, name)
    ours = [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]
    theirs = [(p.name, p.kind, p.default) for p in inspect.signature(ref).parameters.values()]
    assert ours == theirs


NODE_NAMES = [
    ("inv", lambda x: ag.linalg.inv(x), "LinalgInvExBackward0"),
    ("det", lambda x: ag.linalg.det(x), "LinalgDetBackward0"),
    ("slogdet", lambda x: ag.linalg.slogdet(x).logabsdet, "LinalgSlogdetBackward0"),
    ("solve", lambda x: ag.linalg.solve(x, x), "LinalgSolveExBackward0"),
    ("cholesky", lambda x: ag.linalg.cholesky(x), "LinalgCholeskyExBackward0"),
    ("eigh", lambda x: ag.linalg.eigh(x).eigenvectors, "LinalgEighBackward0"),
    ("eigvalsh", lambda x: ag.linalg.eigvalsh(x), "LinalgEighBackward0"),
    ("eig", lambda x: ag.linalg.eig(x).eigenvalues, "LinalgEigBackward0"),
    ("eigvals", lambda x: ag.linalg.eigvals(x), "LinalgEigBackward0"),
    ("svd", lambda x: ag.linalg.svd(x).U, "LinalgSvdBackward0"),
    ("svdvals", lambda x: ag.linalg.svdvals(x), "LinalgSvdBackward0"),
    ("qr", lambda x: ag.linalg.qr(x).Q, "LinalgQrBackward0"),
    ("pinv", lambda x: ag.linalg.pinv(x), "LinalgPinvBackward0"),
    ("matrix_power-0", lambda x: ag.linalg.matrix_power(x, 0), "CopyBackwards"),
    ("matrix_power-1", lambda x: ag.linalg.matrix_power(x, 1), "CloneBackward0"),
    ("matrix_power-2", lambda x: ag.linalg.matrix_power(x, 2), "MmBackward0"),
    ("matrix_power--1", lambda x: ag.linalg.matrix_power(x, -1), "LinalgInvExBackward0"),
    ("matrix_norm-fro", lambda x: ag.linalg.matrix_norm(x), "LinalgVectorNormBackward0"),
    ("matrix_norm-nuc", lambda x: ag.linalg.matrix_norm(x, ord="nuc"), "SumBackward1"),
    ("matrix_norm-2", lambda x: ag.linalg.matrix_norm(x, ord=2), "AmaxBackward0"),
    ("matrix_norm--2", lambda x: ag.linalg.matrix_norm(x, ord=-2), "AminBackward0"),
    ("matrix_norm-1", lambda x: ag.linalg.matrix_norm(x, ord=1), "AmaxBackward0"),
    ("matrix_norm--inf", lambda x: ag.linalg.matrix_norm(x, ord=-math.inf), "AminBackward0"),
    ("trace", lambda x: ag.linalg.trace(x), "TraceBackward0"),
    ("diagonal", lambda x: ag.linalg.diagonal(x), "DiagonalBackward0"),
    ("cross", lambda x: ag.linalg.cross(x, x), "LinalgCrossBackward0"),
    ("outer", lambda x: ag.linalg.outer(x[0], x[1]), "MulBackward0"),
    ("vecdot", lambda x: ag.vecdot(x, x), "SumBackward1"),
    ("tensordot", lambda x: ag.tensordot(x, x), "ViewBackward0"),
]


@pytest.mark.parametrize("name, fn, node", NODE_NAMES, ids=[n[0] for n in NODE_NAMES])
def test_node_names_are_pytorchs(name, fn, node):
    """What PyTorch's grad_fn prints for the same call (torch.linalg / torch.outer /
    torch.tensordot / torch.trace)."""
    x = ag.tensor(spd(_rng("node"), 3, 3), dtype=ag.float64, requires_grad=True)
    assert fn(x).grad_fn.name() == node
