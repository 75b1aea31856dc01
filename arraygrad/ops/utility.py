"""Utility functions of the standard: the boolean reductions ``all`` and ``any``
(no gradients) and ``diff``, with its VJP."""
from __future__ import annotations

from ._axes import normalize_axis as _axis, index_at as _at
from ._define import defop, dispatches


@defop()
def all(xp, x, /, *, axis=None, keepdims=False):
    """Whether every element over ``axis`` is true (all elements by default)."""
    return xp.all(x, axis=axis, keepdims=keepdims)


@defop()
def any(xp, x, /, *, axis=None, keepdims=False):
    """Whether some element over ``axis`` is true (all elements by default)."""
    return xp.any(x, axis=axis, keepdims=keepdims)




def _length(end, ax: int) -> int:
    """How long ``prepend``/``append`` is along ``axis`` (a scalar counts as one)."""
    if end is None:
        return 0
    shape = getattr(end, "shape", ())
    return shape[ax] if len(shape) > ax else 1


def _diff_rule(xp, g, x_shape, prepend, append, axis, n, needs):
    """``diff`` of ``c = concat([prepend, x, append])`` is linear, and the adjoint of
    one difference is minus a difference of ``g`` padded with a zero at each end; for
    ``n`` of them, ``(-1)**n`` times the ``n``-th difference of ``g`` padded with ``n``
    zeros at each end. The gradient of ``c`` is then cut into the three inputs' parts."""
    ndim = len(x_shape)
    ax = _axis(axis, ndim)
    before = _length(prepend, ax)
    size = x_shape[ax]
    total = before + size + _length(append, ax)
    if n == 0:
        grad = g
    elif g.shape[ax] == 0:  # n >= len(c): an empty result, zero gradients
        shape = list(g.shape)
        shape[ax] = total
        grad = xp.broadcast_to(xp.sum(g, axis=ax, keepdims=True), tuple(shape))
    else:
        shape = list(g.shape)
        shape[ax] = total + n
        padded = xp.place(tuple(shape), _at(ndim, ax, slice(n, n + g.shape[ax])), g)
        grad = xp.diff(padded, axis=ax, n=n)
        if n % 2:
            grad = -grad
    bounds = ((0, before), (before, before + size), (before + size, total))
    order = (1, 0, 2)  # inputs x, prepend, append
    return [grad[_at(ndim, ax, slice(*bounds[order[i]]))] if needs[i] else None
            for i in range(3)]


# PyTorch's diff is composite: its graph ends in SubBackward0.
@defop(joint=_diff_rule, node="SubBackward0", broadcasts=True)
def _diff(xp, x, prepend, append, /, *, axis=-1, n=1):
    if x.ndim == 0:
        raise ValueError("diff needs an array of at least one dimension")
    if not isinstance(n, int) or n < 0:
        raise ValueError(f"diff: n must be a non-negative integer, not {n!r}")
    extra = {}
    if prepend is not None:
        extra["prepend"] = prepend
    if append is not None:
        extra["append"] = append
    return xp.diff(x, axis=axis, n=n, **extra)


@dispatches(_diff)
def diff(x, /, *, axis=-1, n=1, prepend=None, append=None):
    """The ``n``-th discrete difference along ``axis`` of ``x`` with ``prepend`` and
    ``append`` joined at its ends; differentiable in all three."""
    return _diff(x, prepend, append, axis=axis, n=n)


__all__ = ["all", "any", "diff"]
