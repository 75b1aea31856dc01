"""Statistical functions of the standard (reductions), with their VJPs."""
from __future__ import annotations

from ._axes import count, expand_reduced
from ._define import defop


def _sum_rule(xp, g, x_shape, x_dtype, axis, keepdims):
    g = xp.broadcast_to(expand_reduced(xp, g, x_shape, axis, keepdims), x_shape)
    return xp.unbroadcast(g, x_shape, x_dtype)


def _mean_rule(xp, g, x_shape, x_dtype, axis, keepdims):
    return _sum_rule(xp, g, x_shape, x_dtype, axis, keepdims) / max(count(x_shape, axis), 1)


def _sum_forward(xp, x, /, *, axis=None, dtype=None, keepdims=False):
    return xp.sum(x, axis=axis, dtype=xp.native(dtype), keepdims=keepdims)


def _mean_forward(xp, x, /, *, axis=None, keepdims=False):
    return xp.mean(x, axis=axis, keepdims=keepdims)


# PyTorch names the node of a full reduction ...Backward0 and of a reduction over
# chosen axes ...Backward1.
_sum_all = defop(_sum_rule, node="SumBackward0")(_sum_forward)
_sum_axes = defop(_sum_rule, node="SumBackward1")(_sum_forward)
_mean_all = defop(_mean_rule, node="MeanBackward0")(_mean_forward)
_mean_axes = defop(_mean_rule, node="MeanBackward1")(_mean_forward)


def sum(x, /, *, axis=None, dtype=None, keepdims=False):
    """The sum of the elements over ``axis`` (all of them by default)."""
    return (_sum_all if axis is None else _sum_axes)(x, axis=axis, dtype=dtype, keepdims=keepdims)


def mean(x, /, *, axis=None, keepdims=False):
    """The arithmetic mean over ``axis`` (all elements by default)."""
    return (_mean_all if axis is None else _mean_axes)(x, axis=axis, keepdims=keepdims)

__all__ = ["mean", "sum"]
