"""Finite differences: the numerical derivatives that gradients are checked against.

The one implementation, used by ``gradcheck`` / ``gradgradcheck`` (gradcheck.py), by
the test suite's checks (tests/gradcheck_utils.py) and by the conformance suite
(conformance/check.py).

Points are moved and values differenced with arithmetic operators only, so the inputs
and the values of the function may be arraygrad Tensors (of any backend), NumPy arrays
(the test harnesses hold their inputs as NumPy arrays) or Python numbers; the unit
directions of a numerical Jacobian are made with arraygrad's namespace, on the input's
backend. Grad mode is the caller's: a function whose values are themselves gradients
needs it on.
"""
from __future__ import annotations

import math


def moved(x, u, t) -> list:
    """The point ``x + t u``, input by input (``x`` and ``u`` are sequences)."""
    return [xi + t * ui for xi, ui in zip(x, u)]


def central_difference(f, x, u, eps, *, sides=False):
    """The derivative of ``f`` at ``x`` along ``u``, d/dt f(x + t u) at t = 0, by
    central differences: ``(f(x + eps u) - f(x - eps u)) / (2 eps)``.

    ``x`` and ``u`` are sequences of arrays (every input moves at once) and ``f`` takes
    the moved sequence. Its value may be a number, an array, or a list or tuple of them
    differenced entry by entry, where an entry None (a value without derivative, such
    as an integer output) stays None. With ``sides=True``, returns
    ``(derivative, f(x + eps u), f(x - eps u))``."""
    plus = f(moved(x, u, eps))
    minus = f(moved(x, u, -eps))
    derivative = _quotient(plus, minus, 2 * eps)
    return (derivative, plus, minus) if sides else derivative


def _quotient(plus, minus, width):
    if plus is None:
        return None
    if isinstance(plus, (list, tuple)):
        return [_quotient(p, m, width) for p, m in zip(plus, minus)]
    return (plus - minus) / width


def unit(like, k):
    """The k-th unit array (flat order) with ``like``'s shape, dtype, device and
    backend (made from ``zeros_like``: a creation function such as ``arange`` would use
    the current backend, which need not be ``like``'s)."""
    xp = like.__array_namespace__()  # arraygrad's, reached through the array
    flat = xp.reshape(xp.zeros_like(like), (-1,))
    flat[k] = 1
    return xp.reshape(flat, like.shape)


def jacobian_columns(f, x, eps):
    """The numerical Jacobian of ``f`` at the Tensor ``x``, one element of ``x`` at a
    time (flat order): yields ``(d, d_imag)``, the central differences of ``f`` along
    the unit direction ``e_k`` and, for a complex ``x``, along ``1j * e_k`` (None for a
    real ``x``). ``f`` takes the moved copy of ``x``; ``x`` itself is left as it is.

    With arraygrad's convention for complex inputs (the gradient is d/dRe + i d/dIm),
    the entry of the Jacobian is ``d + 1j * d_imag``."""
    one = lambda m: f(m[0])
    for k in range(math.prod(x.shape)):
        e = unit(x, k)
        d = central_difference(one, [x], [e], eps)
        d_imag = central_difference(one, [x], [1j * e], eps) if x.dtype.is_complex else None
        yield d, d_imag
