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


from ..autograd.node import will_record
from .._tensor import Tensor
from ._axes import normalize_axis as _axis
from ._define import defop, dispatches



def _raw(a):
    """The backend array of a Tensor (an index array handed to a private operation)."""
    return a._data if isinstance(a, Tensor) else a


def _permute_in_rule(xp, g, index, inverse, axis):
    """``_permute`` inside a rule: under ``create_graph`` the permutations are Tensors,
    which the operation takes as the backend arrays they hold."""
    return xp.run(_permute, g, _raw(index), _raw(inverse), axis)


def _permute_rule(xp, g, index, inverse, axis):
    return _permute_in_rule(xp, g, inverse, index, axis)


@defop(_permute_rule, node="GatherBackward0")
def _permute(xp, x, /, index, inverse, axis):
    """``x`` permuted along ``axis``: ``take_along_axis(x, index)`` where ``index`` is a
    permutation along ``axis`` and ``inverse`` its inverse (the adjoint's gather)."""
    return xp.take_along_axis(x, index, axis=axis)


def _sort_rule(xp, g, result, axis):
    g_values = g[0]
    perm = result[1]
    ax = _axis(axis, g_values.ndim)
    # The inverse of a permutation along an axis is its argsort (no ties: any order).
    inverse = xp.argsort(perm, axis=ax)
    return _permute_in_rule(xp, g_values, inverse, perm, ax)


def _sort_forward(xp, x, /, *, axis=-1, descending=False, stable=True):
    """The sorted values and the permutation that sorts (stable, whatever ``stable``
    says: ties keep their order, as the gradient needs a definite permutation)."""
    if x.ndim == 0:
        raise IndexError(f"axis {axis} is out of bounds for an array of dimension 0")
    ax = _axis(axis, x.ndim)
    perm = xp.argsort(x, axis=ax, descending=descending, stable=True)
    return xp.take_along_axis(x, perm, axis=ax), perm


# PyTorch's torch.sort(x) records SortBackward0 (SortBackward1 when given stable=).
_sort = defop(_sort_rule, node="SortBackward0", outputs=2)(_sort_forward)


@defop()
def _sort_values(xp, x, /, *, axis=-1, descending=False, stable=True):
    return xp.sort(x, axis=axis, descending=descending, stable=stable)


@dispatches(_sort, _sort_values)
def sort(x, /, *, axis=-1, descending=False, stable=True):
    """``x`` sorted along ``axis`` (ascending unless ``descending``). Differentiable:
    the gradient goes back through the sorting permutation (ties: the stable order)."""
    if will_record(x):
        return _sort(x, axis=axis, descending=descending, stable=stable)[0]
    return _sort_values(x, axis=axis, descending=descending, stable=stable)


@defop()
def argsort(xp, x, /, *, axis=-1, descending=False, stable=True):
    """The indices that sort ``x`` along ``axis`` (ascending unless ``descending``)."""
    return xp.argsort(x, axis=axis, descending=descending, stable=stable)


__all__ = ["argsort", "sort"]
