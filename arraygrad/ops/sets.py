"""Set functions of the standard. Their ``values`` are differentiable: each unique
value is every element of ``x`` equal to it, so the gradient of ``x`` takes, at each
element, the gradient of its value (``g_values[inverse_indices]``; its own adjoint,
under ``create_graph``, sums back over the equal elements with ``take``'s
scatter-add). The indices, inverse indices and counts, and ``isin``, never carry a
``grad_fn``.

Where a backend lacks ``unique_all`` (PyTorch, through array-api-compat) its rule
namespace builds it in standard terms (``arraygrad/backends/namespace.py``). Dask gives unique values of unknown size
until computed, so there their gradient cannot be taken back (NotImplementedError).
"""
from __future__ import annotations

import math
from typing import NamedTuple

from ..autograd.node import will_record
from .._tensor import Tensor
from ._define import defop, dispatches


class UniqueAllResult(NamedTuple):
    values: Tensor
    indices: Tensor
    inverse_indices: Tensor
    counts: Tensor


class UniqueCountsResult(NamedTuple):
    values: Tensor
    counts: Tensor


class UniqueInverseResult(NamedTuple):
    values: Tensor
    inverse_indices: Tensor


# -- forwards on raw arrays -----------------------------------------------------------

# -- the gradient ---------------------------------------------------------------------

def _values_gradient(xp, g, inverse, x_shape):
    """Each element of ``x`` gets the gradient of its unique value."""
    flat = xp.reshape(inverse, (-1,))
    if isinstance(g, Tensor):  # create_graph: a recorded take (adjoint: scatter-add)
        from .indexing_functions import take
        out = take(g, flat._data if isinstance(flat, Tensor) else flat, axis=0)
    else:
        out = xp.take(g, flat, axis=0)
    return xp.reshape(out, tuple(x_shape))


def _unique_inverse_rule(xp, g, result, x_shape):
    return _values_gradient(xp, g[0], result[1], x_shape)


def _unique_all_rule(xp, g, result, x_shape):
    return _values_gradient(xp, g[0], result[2], x_shape)


# PyTorch records torch.unique as _unique2: Unique2Backward0 (without a formula there).
@defop(_unique_inverse_rule, node="Unique2Backward0", outputs=2)
def _unique_inverse_grad(xp, x, /):
    return tuple(xp.unique_inverse(x))


@defop(_unique_all_rule, node="Unique2Backward0", outputs=4)
def _unique_all_grad(xp, x, /):
    return tuple(xp.unique_all(x))


@defop()
def _unique_values(xp, x, /):
    return xp.unique_values(x)


@defop()
def _unique_counts(xp, x, /):
    return tuple(xp.unique_counts(x))


@defop()
def _unique_inverse(xp, x, /):
    return tuple(xp.unique_inverse(x))


@defop()
def _unique_all(xp, x, /):
    return tuple(xp.unique_all(x))


def _known_size(values, x, name: str):
    n = values.shape[0]
    if n is None or (isinstance(n, float) and math.isnan(n)):
        raise NotImplementedError(
            f"{name}: the {x._backend.name} backend leaves the number of unique values "
            "unknown until computed, so their gradient cannot be taken back to x; call "
            f"{name} on x.detach()")
    return values


@dispatches(_unique_all_grad, _unique_all)
def unique_all(x, /) -> UniqueAllResult:
    """The unique elements of ``x`` (flattened, sorted), the index of each one's first
    occurrence, the index of each element's unique value (``x``'s shape) and counts."""
    if will_record(x):
        out = _unique_all_grad(x)
        _known_size(out[0], x, "unique_all")
    else:
        out = _unique_all(x)
    return UniqueAllResult(*out)


@dispatches(_unique_all_grad, _unique_counts)
def unique_counts(x, /) -> UniqueCountsResult:
    """The unique elements of ``x`` and how often each occurs."""
    if will_record(x):
        values, _, _, counts = _unique_all_grad(x)
        return UniqueCountsResult(_known_size(values, x, "unique_counts"), counts)
    return UniqueCountsResult(*_unique_counts(x))


@dispatches(_unique_inverse_grad, _unique_inverse)
def unique_inverse(x, /) -> UniqueInverseResult:
    """The unique elements of ``x`` and, per element, the index of its unique value."""
    op = _unique_inverse_grad if will_record(x) else _unique_inverse
    values, inverse = op(x)
    if op is _unique_inverse_grad:
        _known_size(values, x, "unique_inverse")
    return UniqueInverseResult(values, inverse)


@dispatches(_unique_inverse_grad, _unique_values)
def unique_values(x, /):
    """The unique elements of ``x`` (flattened, sorted)."""
    if will_record(x):
        return _known_size(_unique_inverse_grad(x)[0], x, "unique_values")
    return _unique_values(x)


# -- isin -----------------------------------------------------------------------------

@defop()
def isin(xp, x1, x2, /, *, invert=False):
    """Whether each element of ``x1`` equals some element of ``x2`` (``invert``: does
    not). Either may be a Python int; ``invert`` is applied here, as array-api-strict
    ignores it."""
    scalar1 = isinstance(x1, (bool, int, float, complex))
    scalar2 = isinstance(x2, (bool, int, float, complex))
    if scalar1 and scalar2:
        raise TypeError("isin: at least one of x1 and x2 must be an array")
    if scalar1:
        out = xp.any(x2 == x1)
    elif scalar2:
        out = x1 == x2
    else:
        out = xp.isin(x1, x2)
    return xp.logical_not(out) if invert else out


__all__ = ["isin", "unique_all", "unique_counts", "unique_inverse", "unique_values"]
