"""Statistical functions of the standard (reductions and cumulative reductions), with
their VJPs.

Kinks and zeros follow PyTorch:

* ``max``/``min`` share the gradient evenly among the elements that reach the
  extremum (``torch.amax``/``torch.amin``).
* ``prod`` and ``cumulative_prod`` are exact with zeros (one or several), without
  dividing by zero and without looking at values in Python (lazy backends stay lazy):
  the "product of all the others" is built from masks, as PyTorch's ``prod_backward``
  and ``cumprod_backward`` build it. Under ``create_graph=True`` the rules switch to
  division-free forms whose own derivatives are exact at zeros too (PyTorch does the
  same when grad mode is on): exclusive cumulative products from both ends for
  ``prod``, and for ``cumulative_prod`` the products of every prefix with one factor
  left out, which takes ``n * n`` memory per slice along ``axis`` (only while
  recording the gradient for a second derivative).
* ``std`` has gradient 0 where the result is 0 (PyTorch's choice).
"""
from __future__ import annotations

import builtins
import math

from ._axes import count, expand_reduced, normalize_axes
from ._axes import normalize_axis as _axis, index_at as _at
from ._define import defop, dispatches


def _sum_rule(xp, g, x_shape, x_dtype, x_layout, axis, keepdims):
    g = xp.expand_to(expand_reduced(xp, g, x_shape, axis, keepdims), x_shape, x_layout)
    return xp.unbroadcast(g, x_shape, x_dtype)


def _mean_rule(xp, g, x_shape, x_dtype, x_layout, axis, keepdims):
    """The sum's rule on ``g / n``: the division on the reduced gradient, not on its
    broadcast."""
    n = builtins.max(count(x_shape, axis), 1)
    return _sum_rule(xp, g / n, x_shape, x_dtype, x_layout, axis, keepdims)


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


@dispatches(_sum_all, _sum_axes)
def sum(x, /, *, axis=None, dtype=None, keepdims=False):
    """The sum of the elements over ``axis`` (all of them by default)."""
    return (_sum_all if axis is None else _sum_axes)(x, axis=axis, dtype=dtype, keepdims=keepdims)


@dispatches(_mean_all, _mean_axes)
def mean(x, /, *, axis=None, keepdims=False):
    """The arithmetic mean over ``axis`` (all elements by default)."""
    return (_mean_all if axis is None else _mean_axes)(x, axis=axis, keepdims=keepdims)


# -- helpers (shapes and Python parameters only) -------------------------------------



def _in_dtype(xp, x, dtype):
    """``x`` in the result's dtype (``dtype=`` may differ from the input's)."""
    return x if x.dtype == dtype else xp.astype(x, dtype)


# -- max and min ---------------------------------------------------------------------

def _extremum_rule(xp, g, x, result, axis, keepdims):
    """The gradient goes to the elements equal to the result, split evenly among ties
    (PyTorch's amax/amin)."""
    shape = tuple(x.shape)
    g = expand_reduced(xp, g, shape, axis, keepdims)
    hits = xp.astype(x == expand_reduced(xp, result, shape, axis, keepdims), g.dtype)
    return g / xp.sum(hits, axis=axis, keepdims=True) * hits


@defop(_extremum_rule, node="AmaxBackward0")
def max(xp, x, /, *, axis=None, keepdims=False):
    """The largest element over ``axis`` (all elements by default)."""
    return xp.max(x, axis=axis, keepdims=keepdims)


@defop(_extremum_rule, node="AminBackward0")
def min(xp, x, /, *, axis=None, keepdims=False):
    """The smallest element over ``axis`` (all elements by default)."""
    return xp.min(x, axis=axis, keepdims=keepdims)


# -- prod ----------------------------------------------------------------------------

def _others_masked(xp, x, result, axis):
    """Per element, the product of the other elements of its reduction, from masks:
    ``result / x`` without zeros; with one zero the product of the non-zeros at the
    zero and 0 elsewhere; with several zeros 0 everywhere. ``result`` is expanded."""
    zero = x == 0
    ones = xp.ones_like(x)
    zeros = xp.zeros_like(x)
    safe = xp.where(zero, ones, x)
    axes = normalize_axes(axis, x.ndim)
    if not axes:  # nothing reduced: each element is its own product
        return ones
    n_zero = xp.sum(xp.astype(zero, x.dtype), axis=axes, keepdims=True)
    nonzero_product = xp.prod(safe, axis=axes, keepdims=True)
    at_zero = xp.where(n_zero == 1, nonzero_product, zeros)
    elsewhere = xp.where(n_zero == 0, result / safe, zeros)
    return xp.where(zero, at_zero, elsewhere)


def _others_exclusive(xp, x, axis):
    """The same as exclusive cumulative products from both ends (over the reduced
    axes flattened), with no division: its own derivative is exact at zeros too."""
    ndim = x.ndim
    axes = normalize_axes(axis, ndim)
    if not axes:
        return xp.ones_like(x)
    rest = tuple(i for i in range(ndim) if i not in axes)
    order = rest + axes
    shape = tuple(x.shape)
    kept = tuple(shape[i] for i in rest)
    m = math.prod(shape[i] for i in axes)
    flat = xp.reshape(xp.permute_dims(x, order), kept + (m,))
    left = xp.cumulative_prod(flat, axis=-1, include_initial=True)[..., :-1]
    right = xp.cumulative_prod(xp.flip(flat, axis=-1), axis=-1, include_initial=True)[..., :-1]
    others = xp.reshape(left * xp.flip(right, axis=-1), tuple(shape[i] for i in order))
    inverse = [0] * ndim
    for position, i in enumerate(order):
        inverse[i] = position
    return xp.permute_dims(others, tuple(inverse))


def _prod_rule(xp, g, x, x_dtype, result, axis, keepdims):
    shape = tuple(x.shape)
    g = expand_reduced(xp, g, shape, axis, keepdims)
    x = _in_dtype(xp, x, g.dtype)
    if xp.recording:
        others = _others_exclusive(xp, x, axis)
    else:
        others = _others_masked(xp, x, expand_reduced(xp, result, shape, axis, keepdims), axis)
    return xp.unbroadcast(g * xp.conj(others), shape, x_dtype)


def _prod_forward(xp, x, /, *, axis=None, dtype=None, keepdims=False):
    return xp.prod(x, axis=axis, dtype=xp.native(dtype), keepdims=keepdims)


_prod_all = defop(_prod_rule, node="ProdBackward0")(_prod_forward)
_prod_axes = defop(_prod_rule, node="ProdBackward1")(_prod_forward)


@dispatches(_prod_all, _prod_axes)
def prod(x, /, *, axis=None, dtype=None, keepdims=False):
    """The product of the elements over ``axis`` (all of them by default). Its
    gradient is exact with zeros in ``x``."""
    return (_prod_all if axis is None else _prod_axes)(x, axis=axis, dtype=dtype,
                                                       keepdims=keepdims)


# -- var and std ---------------------------------------------------------------------

def _var_scale(shape, axis, correction) -> float:
    """``2 / (N - correction)``; infinite where the divisor is 0, as in PyTorch."""
    divisor = count(shape, axis) - correction
    return 2.0 / divisor if divisor != 0 else math.inf


def _var_rule(xp, g, x, axis, correction, keepdims):
    shape = tuple(x.shape)
    g = expand_reduced(xp, g, shape, axis, keepdims)
    centered = x - xp.mean(x, axis=axis, keepdims=True)
    return _var_scale(shape, axis, correction) * g * centered


def _std_rule(xp, g, x, result, axis, correction, keepdims):
    """The variance's gradient scaled by ``1 / (2 std)``; 0 where ``std`` is 0."""
    shape = tuple(x.shape)
    r = expand_reduced(xp, result, shape, axis, keepdims)
    g = expand_reduced(xp, g, shape, axis, keepdims)
    flat = r == 0
    g = g / (2 * xp.where(flat, xp.ones_like(r), r))
    centered = x - xp.mean(x, axis=axis, keepdims=True)
    grad = _var_scale(shape, axis, correction) * g * centered
    return xp.where(flat, xp.zeros_like(grad), grad)


@defop(_var_rule, node="VarBackward0")
def var(xp, x, /, *, axis=None, correction=0.0, keepdims=False):
    """The variance over ``axis`` (all by default), with divisor N - ``correction``."""
    return xp.var(x, axis=axis, correction=correction, keepdims=keepdims)


@defop(_std_rule, node="StdBackward0")
def std(xp, x, /, *, axis=None, correction=0.0, keepdims=False):
    """The standard deviation over ``axis`` (all by default), divisor N - ``correction``."""
    return xp.std(x, axis=axis, correction=correction, keepdims=keepdims)


# -- cumulative sums and products ----------------------------------------------------

def _cumulative_axis(name: str, axis, ndim: int) -> int:
    """The standard's rules: at least one dimension; ``axis`` may be left out only for
    a one-dimensional array."""
    if ndim == 0:
        raise ValueError(f"{name} needs an array of at least one dimension")
    if axis is None:
        if ndim != 1:
            raise ValueError(f"{name}: axis is required for an array of {ndim} dimensions")
        return 0
    return _axis(axis, ndim)


def _reversed_cumsum(xp, a, axis: int):
    """``sum(a[k:])`` at every ``k`` along ``axis`` (no cancellation: flip, add, flip)."""
    return xp.flip(xp.cumulative_sum(xp.flip(a, axis=axis), axis=axis), axis=axis)


def _cumsum_rule(xp, g, x_shape, x_dtype, axis, include_initial):
    ax = _cumulative_axis("cumulative_sum", axis, len(x_shape))
    if include_initial:  # the leading 0 does not depend on x
        g = g[_at(len(x_shape), ax, slice(1, None))]
    return xp.unbroadcast(_reversed_cumsum(xp, g, ax), tuple(x_shape), x_dtype)


@defop(_cumsum_rule, node="CumsumBackward0")
def cumulative_sum(xp, x, /, *, axis=None, dtype=None, include_initial=False):
    """The running sum along ``axis`` (starting with 0 if ``include_initial``)."""
    ax = _cumulative_axis("cumulative_sum", axis, x.ndim)
    return xp.cumulative_sum(x, axis=ax, dtype=xp.native(dtype), include_initial=include_initial)


def _cumprod_grad(xp, g, x, y, ax):
    """sum over k >= i of g[k] * conj(prod of x[:k+1] but x[i]), in O(n), with zeros:

    * before the first zero, ``reversed_cumsum(g * conj(y)) / conj(x)`` over the
      outputs before the first zero (the later ones are 0 whatever ``x[i]`` is);
    * at the first zero, the product of what comes before it times
      ``sum(g[k] * conj(prod(x[z+1:k+1])))`` over the outputs up to the next zero;
    * after the first zero, 0 (every product there keeps the first zero).
    """
    zero = x == 0
    zeros_seen = xp.cumulative_sum(xp.astype(zero, x.dtype), axis=ax)
    before = zeros_seen == 0
    ones = xp.ones_like(x)
    zeros = xp.zeros_like(g)
    w = xp.where(before, g * xp.conj(y), zeros)
    grad_before = _reversed_cumsum(xp, w, ax) / xp.conj(xp.where(before, x, ones))
    up_to_next = zeros_seen == 1
    first_zero = zero & up_to_next
    after = xp.cumulative_prod(xp.where(up_to_next & ~zero, x, ones), axis=ax)
    tail = xp.sum(xp.where(up_to_next, g * xp.conj(after), zeros), axis=ax, keepdims=True)
    head = xp.prod(xp.where(before, x, ones), axis=ax, keepdims=True)
    return xp.where(before, grad_before, xp.where(first_zero, tail * xp.conj(head), zeros))


def _cumprod_grad_recorded(xp, g, x, ax):
    """The same, division-free, for ``create_graph``: ``Q[i, k]``, the product of
    ``x[:k+1]`` with ``x[i]`` replaced by 1, is a cumulative product of an ``n * n``
    array, so the result's derivatives are exact at zeros."""
    xm = xp.moveaxis(x, ax, -1)
    gm = xp.moveaxis(g, ax, -1)
    position = xp.cumulative_sum(xp.ones_like(xp.real(xm) if xp.is_complex(xm) else xm),
                                 axis=-1)
    i = xp.expand_dims(position, axis=-1)
    k = xp.expand_dims(position, axis=-2)
    row = xp.expand_dims(xm, axis=-2)
    q = xp.cumulative_prod(xp.where(i == k, xp.ones_like(row), row), axis=-1)
    terms = xp.expand_dims(gm, axis=-2) * xp.conj(q)
    grad = xp.sum(xp.where(i <= k, terms, xp.zeros_like(terms)), axis=-1)
    return xp.moveaxis(grad, -1, ax)


def _cumprod_rule(xp, g, x, x_dtype, result, axis, include_initial):
    shape = tuple(x.shape)
    ax = _cumulative_axis("cumulative_prod", axis, len(shape))
    if include_initial:  # the leading 1 does not depend on x
        g = g[_at(len(shape), ax, slice(1, None))]
        result = result[_at(len(shape), ax, slice(1, None))]
    x = _in_dtype(xp, x, g.dtype)
    if xp.recording:
        grad = _cumprod_grad_recorded(xp, g, x, ax)
    else:
        grad = _cumprod_grad(xp, g, x, result, ax)
    return xp.unbroadcast(grad, shape, x_dtype)


@defop(_cumprod_rule, node="CumprodBackward0")
def cumulative_prod(xp, x, /, *, axis=None, dtype=None, include_initial=False):
    """The running product along ``axis`` (starting with 1 if ``include_initial``)."""
    ax = _cumulative_axis("cumulative_prod", axis, x.ndim)
    return xp.cumulative_prod(x, axis=ax, dtype=xp.native(dtype), include_initial=include_initial)


__all__ = ["cumulative_prod", "cumulative_sum", "max", "mean", "min", "prod", "std", "sum",
           "var"]
