"""Manipulation functions of the standard (shapes and axes), with their VJPs."""
from __future__ import annotations

from ._define import defop


@defop(lambda xp, g, x_shape: xp.reshape(g, x_shape), node="ViewBackward0")
def reshape(xp, x, /, shape, *, copy=None):
    return xp.reshape(x, shape, copy=copy)


def _inverse_permutation(axes):
    inverse = [0] * len(axes)
    for i, a in enumerate(axes):
        inverse[a % len(axes)] = i
    return tuple(inverse)


@defop(lambda xp, g, axes: xp.permute_dims(g, _inverse_permutation(axes)),
       node="PermuteBackward0")
def permute_dims(xp, x, /, axes):
    return xp.permute_dims(x, axes)


@defop(lambda xp, g, x_shape: xp.sum_to(g, x_shape), node="ExpandBackward0")
def broadcast_to(xp, x, /, shape):
    return xp.broadcast_to(x, shape)


@defop(lambda xp, g, axis: xp.squeeze(g, axis=axis), node="UnsqueezeBackward0")
def expand_dims(xp, x, /, *, axis=0):
    return xp.expand_dims(x, axis=axis)


@defop(lambda xp, g, x_shape: xp.reshape(g, x_shape), node="SqueezeBackward0")
def squeeze(xp, x, /, axis):
    return xp.squeeze(x, axis=axis)

__all__ = ["broadcast_to", "expand_dims", "permute_dims", "reshape", "squeeze"]
