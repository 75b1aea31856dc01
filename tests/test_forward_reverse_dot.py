"""Forward against reverse: ``<J v, u> == <v, J^T u>`` for every differentiable function.

``arraygrad.func.jvp`` gives the Jacobian-vector product ``J v`` and
``arraygrad.func.vjp`` the vector-Jacobian product ``J^T u``. Whatever J is, the two
must be transposes of each other: for random ``v`` (shaped as the inputs) and ``u``
(shaped as the output), ``<J v, u> == <v, J^T u>``. With complex values the inner
product is the real one, ``Re <a, b>``: PyTorch's convention, which arraygrad follows,
makes ``u -> J^T u`` the adjoint of ``v -> J v`` for it, holomorphic or not.

``jvp`` is the VJP of the recorded reverse pass ``u -> J^T u`` taken with respect to
``u``, so this holds only if every rule's backward is linear in its incoming gradient
and differentiable with respect to it, and only if that derivative is recorded
correctly: a rule that detaches the incoming gradient, uses it nonlinearly, or drops
it where it is zero breaks the identity even when its first derivative is right (and
the conformance suite, whose second-derivative check skips linear functions, would not
see it).

Every case of the conformance suite, on the NumPy backend, in float64 and, where the
case has complex inputs, complex128: each case's first two examples (an ordinary shape;
a 0-d array or a broadcasting pair).
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import arraygrad as ag

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the conformance package, for its cases
    sys.path.insert(0, str(ROOT))
from conformance import draws  # noqa: E402
from conformance.cases import CASES  # noqa: E402

RTOL = 1e-8
EXAMPLES = (0, 1)
DTYPES = [(name, dtype) for name, case in CASES.items()
          for dtype in ("float64",) * case.real + ("complex128",) * case.complex]


def inner(a, b) -> float:
    """``Re <a, b>``."""
    return float(np.real(np.vdot(a, b)))


def random_like(rng, shape, cplx):
    r = rng.standard_normal(shape)
    return r + 1j * rng.standard_normal(shape) if cplx else r


def dot_test(case, k, cplx):
    """(``<J v, u>``, ``<v, J^T u>``, the scale of both) for example ``k`` of ``case``,
    with respect to its floating arguments."""
    args = draws.example(lambda draw, k: case.gen(draw, k, cplx), k, seed=k)
    if isinstance(args, Exception):  # the case's generator failed
        raise args
    wrt = [i for i, a in enumerate(args) if isinstance(a, np.ndarray) and a.dtype.kind in "fc"]
    tensors = [ag.asarray(a) if isinstance(a, np.ndarray) else a for a in args]

    def f(*primals):
        full = list(tensors)
        for i, p in zip(wrt, primals):
            full[i] = p
        return case.fn(ag, *full)

    primals = tuple(tensors[i] for i in wrt)
    rng = np.random.default_rng(k)
    v = [random_like(rng, p.shape, ag.isdtype(p.dtype, "complex floating")) for p in primals]
    _, jv = ag.func.jvp(f, primals, tuple(ag.asarray(vi) for vi in v))
    jv = jv.numpy()
    u = random_like(rng, jv.shape, np.iscomplexobj(jv))
    _, vjp_fn = ag.func.vjp(f, *primals)
    jtu = [g.numpy() for g in vjp_fn(ag.asarray(u))]
    forward = inner(jv, u)
    reverse = sum(inner(vi, gi) for vi, gi in zip(v, jtu))
    scale = float(np.sum(np.abs(jv) * np.abs(u))
                  + sum(np.sum(np.abs(vi) * np.abs(gi)) for vi, gi in zip(v, jtu)))
    return forward, reverse, scale


@pytest.mark.parametrize("name, dtype", DTYPES, ids=[f"{n}-{d}" for n, d in DTYPES])
def test_jvp_is_the_transpose_of_vjp(numpy_backend, name, dtype):
    for k in EXAMPLES:
        forward, reverse, scale = dot_test(CASES[name], k, dtype == "complex128")
        assert abs(forward - reverse) <= RTOL * scale, \
            f"example {k}: <J v, u> = {forward}, <v, J^T u> = {reverse}"


def test_stdtr_derivative_in_df_near_t_zero(numpy_backend):
    """Found by the dot test (NaN on both sides): d stdtr(df, t) / d df was -inf or NaN
    for 0 < |t| < about 1e-8, where z = df / (df + t**2) rounds to 1, and 30% off at
    t = 1e-6. The expected values are mpmath's, to 40 digits (the last is linear in t)."""
    df = ag.asarray([40.0, 3.26, 0.5, 3.26, 3.26], requires_grad=True)
    t = ag.asarray([1e-6, -1e-9, 3e-5, 0.5, -1e-241])
    expected = [6.192706036985278e-11, -8.349441093774472e-12, 4.6179072568601115e-06,
                0.004548741575521616, -8.349441093774472e-244]
    grad, = ag.autograd.grad(ag.sum(ag.special.stdtr(df, t)), [df])
    np.testing.assert_allclose(grad.numpy(), expected, rtol=1e-7)
