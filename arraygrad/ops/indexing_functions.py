"""Indexing functions of the standard: ``take`` and ``take_along_axis``, with VJPs.

Their gradients add ``g`` into the places the indices point at, and indices may
repeat, so the rule is a scatter-ADD, which the standard does not have (``x[idx] = v``
keeps one value per repeated index). It is built here from standard functions:

1. Integer bookkeeping, without gradients (``_segments_of``): sort the indices
   (stable ``argsort``); for each scan step ``s = 1, 2, 4, ...`` the position ``s``
   places back and whether it holds the same index; and for every target ``j``, with
   ``searchsorted``, whether it was hit and where its run of equal indices ends.
2. ``g`` taken in that sorted order, then a segmented inclusive scan (Hillis-Steele:
   ``ceil(log2 m)`` steps of "add the value ``s`` places back where it has the same
   index"): afterwards the last entry of each run holds the sum of its run.
3. The run totals taken at each target's run end (zero where a target was not hit).

Why this and not a one-hot product (``(indices[:, None] == arange(n)) @ g``): the
one-hot matrix has ``m * n`` entries (``m`` indices, ``n`` targets), quadratic memory
(an embedding of 50k rows looked up by 4k tokens: 2e8 entries), and ``0 * inf``
would spread a non-finite gradient to every row. Why not the cheaper cumulative-sum
difference (``cumsum[end] - cumsum[start]``): its error grows with the sum of all
earlier runs, not of the run itself (catastrophic cancellation in float32). The scan
holds one array of ``g``'s size at a time (plus ``m log m`` small integers of
bookkeeping), does ``O(m log m)`` work, sums each run as a tree (pairwise accuracy),
and, being ``take``/``where``/``+`` applied to ``g``, is itself differentiable, so
second derivatives work. Every array of the scan has the same shape at every step,
so a compiling backend (JAX) compiles each operation once, not once per step.
"""
from __future__ import annotations

import math

import array_api_compat

from .._tensor import Tensor
from ._axes import normalize_axis as _axis
from ._define import defop, dispatches



def _wrap_negative(xp, indices, n):
    """Negative indices count from the end (normalized here, as not every backend does)."""
    return xp.where(indices < 0, indices + n, indices)


# -- integer bookkeeping: raw arrays, no gradients ---------------------------------

def _segments_of(xp, ids, n: int):
    """The plan of a scatter-add of ``ids`` (1-d, in [0, n)) into ``n`` targets:

    * ``order``: the stable sorting order of ``ids``;
    * ``src``, ``same`` (one row per scan step ``s = 1, 2, 4, ...``): the position
      ``s`` places back (clipped at 0) and whether it holds the same id;
    * ``last``, ``present``: per target, the position of the last sorted id equal to
      it, and whether there is one."""
    device = array_api_compat.device(ids)
    m = ids.shape[0]
    order = xp.argsort(ids, stable=True)
    keys = xp.take(ids, order, axis=0)
    positions = xp.arange(m, dtype=keys.dtype, device=device)
    srcs, sames = [], []
    s = 1
    while s < m:
        back = positions - s
        inside = back >= 0
        back = xp.where(inside, back, xp.zeros_like(back))
        srcs.append(back)
        sames.append(inside & (xp.take(keys, back, axis=0) == keys))
        s *= 2
    if srcs:
        src, same = xp.stack(srcs), xp.stack(sames)
    else:
        src = xp.zeros((0, m), dtype=keys.dtype, device=device)
        same = xp.zeros((0, m), dtype=xp.bool, device=device)
    targets = xp.arange(n, dtype=keys.dtype, device=device)
    hi = xp.searchsorted(keys, targets, side="right")
    lo = xp.searchsorted(keys, targets, side="left")
    present = hi > lo
    last = xp.where(present, hi - 1, xp.zeros_like(hi))
    return order, src, same, last, present


@defop(outputs=5)
def _take_segments(xp, indices, /, n):
    return _segments_of(xp, _wrap_negative(xp, indices, n), n)


@defop(outputs=5)
def _repeat_segments(xp, repeats, /, n):
    ids = xp.arange(n, device=array_api_compat.device(repeats))
    ids = xp.repeat(ids, xp.broadcast_to(repeats, (n,)), axis=0)
    return _segments_of(xp, ids, n)


@defop(outputs=5)
def _gather_segments(xp, indices, /, axis, shape):
    """For take_along_axis into ``shape`` (the broadcast shape, ``n = shape[axis]``):
    the bookkeeping of the flat positions ``row * n + index`` with ``axis`` moved last."""
    n = shape[axis]
    rows = math.prod(shape[:axis] + shape[axis + 1:])
    k = indices.shape[axis]
    idx = xp.broadcast_to(_wrap_negative(xp, indices, n), shape[:axis] + (k,) + shape[axis + 1:])
    idx = xp.moveaxis(idx, axis, -1)
    base = xp.arange(rows, device=array_api_compat.device(idx)) * n
    flat = xp.reshape(idx, (rows, k)) + xp.reshape(base, (rows, 1))
    return _segments_of(xp, xp.reshape(flat, (-1,)), rows * n)


@defop()
def _zeros_of(xp, like, /, shape):
    return xp.zeros(shape, dtype=like.dtype, device=array_api_compat.device(like))


def _constant(xp, op, a, *args):
    """Run a gradient-free op (bookkeeping, zeros) in either world: on raw arrays in
    an ordinary backward, on Tensors under create_graph (a node of their own backend,
    whatever backend is current)."""
    if isinstance(a, Tensor):
        return op(a, *args)
    return op.op.forward(xp, a, *args)


# -- the scatter-add ----------------------------------------------------------------

def _segment_sum(xp, g, plan, axis: int):
    """Sum the entries of ``g`` along ``axis`` into ``n`` targets per ``plan`` (see the
    module's docstring): a result with ``n`` along ``axis``."""
    order, src, same, last, present = plan
    m = g.shape[axis]
    trailing = (1,) * (g.ndim - axis - 1)
    n = last.shape[0]
    if m == 0 or n == 0:  # nothing to add: zeros
        shape = tuple(g.shape[:axis]) + (n,) + tuple(g.shape[axis + 1:])
        return _constant(xp, _zeros_of, g, shape)
    v = xp.take(g, order, axis=axis)
    for step in range(src.shape[0]):
        back = xp.take(v, src[step, :], axis=axis)
        mask = xp.reshape(same[step, :], (m,) + trailing)
        v = v + xp.where(mask, back, xp.zeros_like(back))
    out = xp.take(v, last, axis=axis)
    return xp.where(xp.reshape(present, (n,) + trailing), out, xp.zeros_like(out))


def scatter_add(xp, g, indices, n: int, axis: int):
    """``zeros(n along axis)`` with ``g``'s slices added at ``indices`` (repeats add up)."""
    return _segment_sum(xp, g, _constant(xp, _take_segments, indices, n), axis)


def repeat_segment_sum(xp, g, repeats, n: int, axis: int):
    """The gradient of ``repeat(x, repeats, axis=axis)`` for an array of repeats."""
    return _segment_sum(xp, g, _constant(xp, _repeat_segments, repeats, n), axis)


# -- take ---------------------------------------------------------------------------

def _take_rule(xp, g, indices, x_shape, axis):
    if axis is None:
        return xp.reshape(scatter_add(xp, g, indices, math.prod(x_shape), 0), x_shape)
    ax = _axis(axis, len(x_shape))
    return scatter_add(xp, g, indices, x_shape[ax], ax)


def _take_forward(xp, x, indices, /, *, axis=None):
    if axis is None:  # x flattened (required by the standard only for 1-d x)
        x = xp.reshape(x, (-1,))
        ax = 0
    else:
        ax = _axis(axis, x.ndim)
    return xp.take(x, _wrap_negative(xp, indices, x.shape[ax]), axis=ax)


# PyTorch: torch.take (flattened) is TakeBackward0, index_select along a dimension
# IndexSelectBackward0.
_take_flat = defop(_take_rule, None, node="TakeBackward0")(_take_forward)
_take_axis = defop(_take_rule, None, node="IndexSelectBackward0")(_take_forward)


@dispatches(_take_flat, _take_axis)
def take(x, indices, /, *, axis=None):
    """The elements of ``x`` at the 1-d integer ``indices`` along ``axis`` (negative
    indices count from the end; ``axis=None`` takes from ``x`` flattened)."""
    return (_take_flat if axis is None else _take_axis)(x, indices, axis=axis)


# -- take_along_axis ----------------------------------------------------------------

def _broadcast_along(x_shape, i_shape, ax):
    """The shapes ``x`` and ``indices`` broadcast to: all axes but ``ax`` broadcast."""
    from .manipulation import broadcast_shapes
    if len(x_shape) != len(i_shape):
        raise ValueError(f"take_along_axis: indices of dimension {len(i_shape)} for an "
                         f"array of dimension {len(x_shape)}")
    rest = broadcast_shapes(x_shape[:ax] + x_shape[ax + 1:], i_shape[:ax] + i_shape[ax + 1:])
    return (rest[:ax] + (x_shape[ax],) + rest[ax:], rest[:ax] + (i_shape[ax],) + rest[ax:])


def _take_along_axis_rule(xp, g, indices, x_shape, axis):
    ax = _axis(axis, len(x_shape))
    shape, _ = _broadcast_along(tuple(x_shape), tuple(indices.shape), ax)
    plan = _constant(xp, _gather_segments, indices, ax, shape)
    flat = xp.reshape(xp.moveaxis(g, ax, -1), (-1,))
    moved = shape[:ax] + shape[ax + 1:] + (shape[ax],)
    out = xp.moveaxis(xp.reshape(_segment_sum(xp, flat, plan, 0), moved), -1, ax)
    return xp.sum_to(out, tuple(x_shape))


@defop(_take_along_axis_rule, None, node="GatherBackward0")
def take_along_axis(xp, x, indices, /, *, axis=-1):
    """The elements of ``x`` picked along ``axis`` by ``indices``, of ``x``'s rank."""
    ax = _axis(axis, x.ndim)
    x_shape, i_shape = _broadcast_along(tuple(x.shape), tuple(indices.shape), ax)
    n = x_shape[ax]
    x = xp.broadcast_to(x, x_shape)
    indices = xp.broadcast_to(_wrap_negative(xp, indices, n), i_shape)
    return xp.take_along_axis(x, indices, axis=ax)


__all__ = ["take", "take_along_axis"]
