"""Utility functions of the standard: boolean reductions, without gradients."""
from __future__ import annotations

from ._define import defop


@defop()
def all(xp, x, /, *, axis=None, keepdims=False):
    return xp.all(x, axis=axis, keepdims=keepdims)


@defop()
def any(xp, x, /, *, axis=None, keepdims=False):
    return xp.any(x, axis=axis, keepdims=keepdims)

__all__ = ["all", "any"]
