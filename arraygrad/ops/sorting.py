"""Sorting functions of the standard, with their VJPs.

``sort`` is differentiable: its values are ``x`` permuted along ``axis``, so the
gradient is ``g`` permuted back. The forward keeps the permutation (the stable
``argsort``, so ties go where PyTorch's stable sort sends them) and the rule gathers
``g`` at the inverse permutation, which is ``argsort(permutation)``. That gather is a
private operation whose own gradient is the gather at the forward permutation: a
permutation's adjoint is its inverse, so no scatter-add is needed at any order.
``argsort`` returns indices and never carries a ``grad_fn``.
"""
from __future__ import annotations

import math

from ..autograd.grad_mode import is_grad_enabled
from .._tensor import Tensor
from ._axes import normalize_axis as _axis
from ._define import defop, dispatches



def _raw(a):
    """The backend array of a Tensor (an index array handed to a private operation)."""
    return a._data if isinstance(a, Tensor) else a


def in_rule(xp, op, a, *args, **kwargs):
    """Call the operation ``op`` on ``a`` from inside a rule, in either world: its plain
    forward on raw arrays in an ordinary backward, the recorded operation on Tensors
    under ``create_graph`` (then integer arguments go in as backend arrays)."""
    if isinstance(a, Tensor):
        return op(a, *(_raw(v) for v in args), **kwargs)
    return op.op.forward(xp, a, *args, **kwargs)


def take_along(xp, x, indices, axis: int):
    """``take_along_axis`` on raw arrays of the same shape; where the backend lacks it
    (Dask), the same in standard terms: a ``take`` from ``x`` flattened at the
    positions ``row * n + index``."""
    fn = getattr(xp, "take_along_axis", None)
    if fn is not None:
        return fn(x, indices, axis=axis)
    shape = tuple(indices.shape)
    n = x.shape[axis]
    rows = math.prod(shape[:axis] + shape[axis + 1:])
    moved = xp.moveaxis(indices, axis, -1)
    base = xp.arange(rows, dtype=indices.dtype) * n
    flat = xp.reshape(moved, (rows, shape[axis])) + xp.reshape(base, (rows, 1))
    out = xp.take(xp.reshape(xp.moveaxis(x, axis, -1), (-1,)), xp.reshape(flat, (-1,)), axis=0)
    return xp.moveaxis(xp.reshape(out, tuple(moved.shape)), -1, axis)


def _permute_rule(xp, g, index, inverse, axis):
    return in_rule(xp, _permute, g, inverse, index, axis)


@defop(_permute_rule, node="GatherBackward0")
def _permute(xp, x, /, index, inverse, axis):
    """``x`` permuted along ``axis``: ``take_along_axis(x, index)`` where ``index`` is a
    permutation along ``axis`` and ``inverse`` its inverse (the adjoint's gather)."""
    return take_along(xp, x, index, axis)


def _sort_rule(xp, g, result, axis):
    g_values = g[0]
    perm = result[1]
    ax = _axis(axis, g_values.ndim)
    # The inverse of a permutation along an axis is its argsort (no ties: any order).
    inverse = xp.argsort(perm, axis=ax)
    return in_rule(xp, _permute, g_values, inverse, perm, ax)


def _sort_forward(xp, x, /, *, axis=-1, descending=False, stable=True):
    """The sorted values and the permutation that sorts (stable, whatever ``stable``
    says: ties keep their order, as the gradient needs a definite permutation)."""
    if x.ndim == 0:
        raise IndexError(f"axis {axis} is out of bounds for an array of dimension 0")
    ax = _axis(axis, x.ndim)
    perm = xp.argsort(x, axis=ax, descending=descending, stable=True)
    return take_along(xp, x, perm, ax), perm


# PyTorch's torch.sort(x) records SortBackward0 (SortBackward1 when given stable=).
_sort = defop(_sort_rule, node="SortBackward0", outputs=2)(_sort_forward)


@defop()
def _sort_values(xp, x, /, *, axis=-1, descending=False, stable=True):
    return xp.sort(x, axis=axis, descending=descending, stable=stable)


@dispatches(_sort, _sort_values)
def sort(x, /, *, axis=-1, descending=False, stable=True):
    """``x`` sorted along ``axis`` (ascending unless ``descending``). Differentiable:
    the gradient goes back through the sorting permutation (ties: the stable order)."""
    if isinstance(x, Tensor) and x.requires_grad and is_grad_enabled():
        return _sort(x, axis=axis, descending=descending, stable=stable)[0]
    return _sort_values(x, axis=axis, descending=descending, stable=stable)


@defop()
def argsort(xp, x, /, *, axis=-1, descending=False, stable=True):
    """The indices that sort ``x`` along ``axis`` (ascending unless ``descending``)."""
    return xp.argsort(x, axis=axis, descending=descending, stable=stable)


__all__ = ["argsort", "sort"]
