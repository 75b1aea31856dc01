"""Searching functions of the standard. Only ``where`` is differentiable; indices
(``argmax``, ``nonzero``, ``searchsorted``, …) and counts never carry a ``grad_fn``."""
from __future__ import annotations

import array_api_compat

from ._define import defop, elementwise


@elementwise(None, lambda xp, g, condition: xp.where(condition, g, xp.zeros_like(g)),
             lambda xp, g, condition: xp.where(condition, xp.zeros_like(g), g),
             node="WhereBackward0")
def where(xp, condition, x1, x2, /):
    """``x1`` where ``condition`` is true, else ``x2``, element-wise."""
    return xp.where(condition, x1, x2)


@defop()
def argmax(xp, x, /, *, axis=None, keepdims=False):
    """The index of the largest element along ``axis`` (of ``x`` flattened by default)."""
    return xp.argmax(x, axis=axis, keepdims=keepdims)


@defop()
def argmin(xp, x, /, *, axis=None, keepdims=False):
    """The index of the smallest element along ``axis`` (of ``x`` flattened by default)."""
    return xp.argmin(x, axis=axis, keepdims=keepdims)


@defop()
def count_nonzero(xp, x, /, *, axis=None, keepdims=False):
    """The number of nonzero elements over ``axis`` (all elements by default)."""
    return xp.count_nonzero(x, axis=axis, keepdims=keepdims)


@defop()
def nonzero(xp, x, /):
    """The indices of the nonzero elements of ``x``: one integer array per axis."""
    if x.ndim == 0:
        raise ValueError("nonzero is not defined for zero-dimensional arrays")
    return tuple(xp.nonzero(x))


def _scalar_as_array(xp, value, like):
    """A Python scalar as a 0-d array of ``like``'s dtype where the standard's rules
    for mixing scalars and arrays give it (an int with any real array, a float with a
    floating one), else of its default dtype; on ``like``'s device."""
    device = array_api_compat.device(like)
    integral = xp.isdtype(like.dtype, "integral")
    if isinstance(value, bool) or (isinstance(value, float) and integral) \
            or isinstance(value, complex):
        return xp.asarray(value, device=device)
    return xp.asarray(value, dtype=like.dtype, device=device)


@defop()
def _searchsorted(xp, x1, x2, sorter, /, *, side="left"):
    if x1.ndim != 1:
        raise ValueError(f"searchsorted: x1 must be one-dimensional, not {x1.ndim}-d")
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', not {side!r}")
    if isinstance(x2, (bool, int, float, complex)):  # 2025.12: a scalar x2
        x2 = _scalar_as_array(xp, x2, x1)
    shape = tuple(x2.shape)
    if not shape:  # searched as one element: NumPy answers a 0-d x2 with a scalar, Dask fails
        x2 = xp.reshape(x2, (1,))
    out = xp.searchsorted(x1, x2, side=side, sorter=sorter)
    index = xp.asarray(0).dtype  # the default index dtype (JAX answers int32)
    if out.dtype != index:
        out = xp.astype(out, index)
    return out if shape else xp.reshape(out, ())


def searchsorted(x1, x2, /, *, side="left", sorter=None):
    """The indices at which the elements of ``x2`` (an array or a Python scalar) would
    be inserted into the sorted one-dimensional ``x1`` (sorted by ``sorter`` if given)
    to keep it sorted."""
    return _searchsorted(x1, x2, sorter, side=side)


__all__ = ["argmax", "argmin", "count_nonzero", "nonzero", "searchsorted", "where"]
