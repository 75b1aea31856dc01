"""Manipulation functions of the standard (shapes, axes, joining and splitting), with
their VJPs.

Every function here is linear, so every rule is the adjoint map applied to ``g`` with
the standard's own functions (``g`` flipped back, rolled back, sliced, summed): the
same rules serve complex inputs unchanged, and are differentiable again under
``create_graph=True``. Node names are those PyTorch records for the same operation
(``torch.movedim`` records PermuteBackward0; ``torch.repeat_interleave`` records
ViewBackward0 for an integer count and IndexSelectBackward0 for a tensor of counts;
``Tensor.repeat``, NumPy's ``tile``, records RepeatBackward0).
"""
from __future__ import annotations

import math
from numbers import Integral

from .._tensor import Tensor, asarray as _asarray
from ._axes import normalize_axis as _axis, index_at as _at
from ._define import defop, dispatches


# -- axis helpers (shapes and Python parameters only: never values) ------------------


def _axes(axis, ndim: int) -> tuple:
    """``axis`` (an int or a tuple) as non-negative positions, in the given order."""
    return (_axis(axis, ndim),) if isinstance(axis, int) else tuple(_axis(a, ndim) for a in axis)



# -- shapes -----------------------------------------------------------------------

@defop(lambda xp, g, x_shape: xp.reshape(g, x_shape), node="ViewBackward0")
def reshape(xp, x, /, shape, *, copy=None):
    """``x`` with the elements in the same order and shape ``shape``."""
    return xp.reshape(x, shape, copy=copy)


def _inverse_permutation(axes):
    inverse = [0] * len(axes)
    for i, a in enumerate(axes):
        inverse[a % len(axes)] = i
    return tuple(inverse)


@defop(lambda xp, g, axes: xp.permute_dims(g, _inverse_permutation(axes)),
       node="PermuteBackward0")
def permute_dims(xp, x, /, axes):
    """``x`` with its axes reordered as ``axes``."""
    ndim = x.ndim
    axes = tuple(axes)
    if len(axes) != ndim:
        raise ValueError(f"permute_dims: axes {axes} do not match an array of dimension {ndim}")
    normalized = _axes(axes, ndim)  # 2025.12: negative axes count from the end
    if len(set(normalized)) != ndim:
        raise ValueError(f"permute_dims: axes {axes} repeat an axis")
    return xp.permute_dims(x, normalized)


@defop(lambda xp, g, source, destination: xp.moveaxis(g, destination, source),
       node="PermuteBackward0")
def moveaxis(xp, x, source, destination, /):
    """``x`` with the axes ``source`` moved to positions ``destination``."""
    return xp.moveaxis(x, source, destination)


@defop(lambda xp, g, x_shape: xp.sum_to(g, x_shape), node="ExpandBackward0")
def broadcast_to(xp, x, /, shape):
    """``x`` broadcast to ``shape``."""
    return xp.broadcast_to(x, tuple(shape))


def _expanded_shape(shape: tuple, axis) -> tuple:
    """The shape of ``expand_dims(x, axis)`` for ``x`` of ``shape`` (the 2025.12 rules:
    each position lies in [-M, M) for M = ndim + len(axis), and all are distinct)."""
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    m = len(shape) + len(axes)
    positions = set()
    for a in axes:
        if not -m <= a < m:
            raise IndexError(f"expand_dims: axis {a} is out of bounds for a result of "
                             f"dimension {m}")
        positions.add(a % m)
    if len(positions) != len(axes):
        raise IndexError(f"expand_dims: axis {axis} repeats a position")
    rest = iter(shape)
    return tuple(1 if i in positions else next(rest) for i in range(m))


@defop(lambda xp, g, x_shape: xp.reshape(g, x_shape), node="UnsqueezeBackward0")
def expand_dims(xp, x, /, axis):
    """``x`` with new axes of size 1 at ``axis`` (an int or a tuple)."""
    shape = _expanded_shape(tuple(x.shape), axis)
    if isinstance(axis, int):
        return xp.expand_dims(x, axis=axis)
    return xp.reshape(x, shape)  # a tuple of axes: not every backend takes one


def _squeeze_forward(xp, x, /, axis):
    return xp.squeeze(x, axis=axis)


# PyTorch: squeeze(dim) is SqueezeBackward1, squeeze(dims) SqueezeBackward2.
_squeeze_rule = (lambda xp, g, x_shape: xp.reshape(g, x_shape),)
_squeeze_dim = defop(*_squeeze_rule, node="SqueezeBackward1")(_squeeze_forward)
_squeeze_dims = defop(*_squeeze_rule, node="SqueezeBackward2")(_squeeze_forward)


@dispatches(_squeeze_dim, _squeeze_dims)
def squeeze(x, /, axis):
    """``x`` without the singleton axes ``axis`` (an int or a tuple)."""
    return (_squeeze_dim if isinstance(axis, int) else _squeeze_dims)(x, axis)


def broadcast_shapes(*shapes) -> tuple:
    """The shape the given shapes broadcast to (ValueError if they do not). An unknown
    size (``None``, or NaN as Dask reports it) stays unknown against 1 or unknown."""
    ndim = max((len(s) for s in shapes), default=0)
    out = []
    for i in range(-ndim, 0):
        size = 1
        for s in shapes:
            if len(s) < -i:
                continue
            n = s[i]
            if n is None or n != n:  # unknown
                if size == 1:
                    size = None
            elif n != 1:
                if size not in (1, None) and size != n:
                    raise ValueError(f"shapes {', '.join(map(str, shapes))} cannot be "
                                     "broadcast together")
                size = int(n)
        out.append(size)
    return tuple(out)


def _as_tensors(arrays) -> list:
    """Tensors for ``arrays`` (raw arrays and scalars go to the tensors' backend)."""
    backend = next((a._backend for a in arrays if isinstance(a, Tensor)), None)
    return [a if isinstance(a, Tensor) else _asarray(a, backend=backend)
            for a in arrays]


@dispatches(broadcast_to)
def broadcast_arrays(*arrays) -> tuple:
    """The arrays broadcast against one another, as a tuple.

    Each output is ``broadcast_to`` of its own input (one ExpandBackward0 node each, and
    the input itself where no broadcasting is needed, as ``torch.broadcast_tensors``):
    no output depends on another input, so a joint node would only add bookkeeping
    (and the machinery's multi-output nodes have a fixed number of outputs).
    """
    arrays = _as_tensors(arrays)
    shape = broadcast_shapes(*(a.shape for a in arrays))
    return tuple(a if a.shape == shape else broadcast_to(a, shape) for a in arrays)


# -- joining and splitting --------------------------------------------------------

def _concat_rule(xp, g, arrays_shape, arrays_dtype, axis, needs):
    grads = []
    start = 0
    if axis is None:
        for shape, dtype, need in zip(arrays_shape, arrays_dtype, needs):
            size = math.prod(shape)
            grads.append(xp.unbroadcast(xp.reshape(g[start:start + size], shape), shape, dtype)
                         if need else None)
            start += size
        return grads
    ndim = len(arrays_shape[0])
    ax = _axis(axis, ndim)
    for shape, dtype, need in zip(arrays_shape, arrays_dtype, needs):
        size = shape[ax]
        grads.append(xp.unbroadcast(g[_at(ndim, ax, slice(start, start + size))], shape, dtype)
                     if need else None)
        start += size
    return grads


@defop(joint=_concat_rule, node="CatBackward0")
def concat(xp, arrays, /, *, axis=0):
    """The arrays joined along an existing ``axis`` (flattened if ``axis`` is None)."""
    arrays = list(arrays)
    if axis is None:  # flattened first (not every backend takes axis=None)
        return xp.concat([xp.reshape(a, (-1,)) for a in arrays], axis=0)
    return xp.concat(arrays, axis=axis)


def _stack_rule(xp, g, arrays_shape, arrays_dtype, axis, needs):
    ndim = g.ndim
    ax = _axis(axis, ndim)
    return [xp.unbroadcast(g[_at(ndim, ax, i)], shape, dtype) if need else None
            for i, (shape, dtype, need) in enumerate(zip(arrays_shape, arrays_dtype, needs))]


@defop(joint=_stack_rule, node="StackBackward0")
def stack(xp, arrays, /, *, axis=0):
    """The arrays (of one shape) joined along a new ``axis``."""
    return xp.stack(list(arrays), axis=axis)


def _unstack_rule(xp, g, axis):
    """The pieces' gradients stacked back; a piece that got none contributes zeros."""
    like = next(gi for gi in g if gi is not None)
    return xp.stack([xp.zeros_like(like) if gi is None else gi for gi in g], axis=axis)


_UNSTACK = {}


def _unstack_op(k: int):
    """unstack into ``k`` pieces: one node with ``k`` outputs (PyTorch's unbind)."""
    op = _UNSTACK.get(k)
    if op is None:
        if k == 1:
            def unstack(xp, x, /, *, axis=0):
                return tuple(xp.unstack(x, axis=axis))[0]
            op = defop(lambda xp, g, axis: xp.expand_dims(g, axis=axis),
                       node="UnbindBackward0")(unstack)
        else:
            def unstack(xp, x, /, *, axis=0):
                return tuple(xp.unstack(x, axis=axis))
            op = defop(_unstack_rule, node="UnbindBackward0", outputs=k)(unstack)
        op = _UNSTACK.setdefault(k, op)
    return op


# unstack makes its operation per number of pieces: one of them stands for all.
@dispatches(_unstack_op(2))
def unstack(x, /, *, axis=0) -> tuple:
    """The slices of ``x`` along ``axis``, as a tuple of arrays."""
    if not isinstance(x, Tensor):
        x = _asarray(x)
    k = x.shape[_axis(axis, x.ndim)]
    if k == 0:
        return ()
    out = _unstack_op(k)(x, axis=axis)
    return (out,) if k == 1 else out


# -- reordering -------------------------------------------------------------------

@defop(lambda xp, g, axis: xp.flip(g, axis=axis), node="FlipBackward0")
def flip(xp, x, /, *, axis=None):
    """``x`` with its elements in reverse order along ``axis`` (all axes by default)."""
    return xp.flip(x, axis=axis)


def _shifts(shift, axis, sign=1):
    """``shift`` (times ``sign``), one per axis when ``axis`` is a tuple (Dask does
    not spread one shift over several axes)."""
    if isinstance(shift, Integral):
        shift = sign * int(shift)
        return (shift,) * len(axis) if isinstance(axis, (tuple, list)) else shift
    return tuple(sign * int(s) for s in shift)


@defop(lambda xp, g, shift, axis: xp.roll(g, _shifts(shift, axis, -1), axis=axis),
       node="RollBackward0")
def roll(xp, x, /, shift, *, axis=None):
    """``x`` with its elements shifted cyclically by ``shift`` along ``axis``."""
    return xp.roll(x, _shifts(shift, axis), axis=axis)


# -- repetition ---------------------------------------------------------------------

def _tile_rule(xp, g, x_shape, repetitions):
    """Each output axis of ``tile`` is (repetition, original) in row-major order: split
    every axis so, and sum the repetitions away."""
    d = max(len(x_shape), len(repetitions))
    shape = (1,) * (d - len(x_shape)) + tuple(x_shape)
    reps = (1,) * (d - len(repetitions)) + tuple(repetitions)
    split = tuple(n for pair in zip(reps, shape) for n in pair)
    g = xp.sum(xp.reshape(g, split), axis=tuple(range(0, 2 * d, 2)))
    return xp.reshape(g, x_shape)


@defop(_tile_rule, node="RepeatBackward0")
def tile(xp, x, repetitions, /):
    """``x`` repeated ``repetitions`` times along each axis."""
    return xp.tile(x, tuple(repetitions))


def _repeat_int_rule(xp, g, x_shape, repeats, axis):
    """Each element was repeated ``repeats`` times in a row: view those runs as an
    axis of their own and sum it."""
    if axis is None:
        size = math.prod(x_shape)
        return xp.reshape(xp.sum(xp.reshape(g, (size, repeats)), axis=1), x_shape)
    ax = _axis(axis, len(x_shape))
    runs = tuple(x_shape[:ax]) + (x_shape[ax], repeats) + tuple(x_shape[ax + 1:])
    return xp.sum(xp.reshape(g, runs), axis=ax + 1)


def _repeat_forward(xp, x, repeats, /, *, axis=None):
    if axis is None:
        x = xp.reshape(x, (-1,))
        axis = 0
    if isinstance(repeats, int):
        if repeats == 0 or x.shape[axis] == 0:  # empty: Dask cannot repeat into it
            return x[_at(x.ndim, axis % x.ndim, slice(0, 0))]
        return xp.repeat(x, repeats, axis=axis)
    try:
        return xp.repeat(x, repeats, axis=axis)
    except NotImplementedError as exc:  # Dask: the output shape depends on the values
        raise NotImplementedError(
            f"repeat with an array of repeats is not supported on the "
            f"{type(x).__module__.split('.')[0]} backend (its result's shape depends on "
            f"the values of repeats): {exc}") from exc


def _repeat_array_rule(xp, g, x_shape, repeats, axis):
    """``repeat(x, repeats)`` is ``take(x, repeat(arange(n), repeats))``: its gradient
    adds the runs back with take's scatter-add."""
    from .indexing_functions import repeat_segment_sum
    if axis is None:
        return xp.reshape(repeat_segment_sum(xp, g, repeats, math.prod(x_shape), 0), x_shape)
    ax = _axis(axis, len(x_shape))
    return repeat_segment_sum(xp, g, repeats, x_shape[ax], ax)


# PyTorch: repeat_interleave with an integer count records a view of an expanded
# array, with a tensor of counts an index_select.
_repeat_int = defop(_repeat_int_rule, None, node="ViewBackward0")(_repeat_forward)
_repeat_array = defop(_repeat_array_rule, None, node="IndexSelectBackward0")(_repeat_forward)


@dispatches(_repeat_int, _repeat_array)
def repeat(x, repeats, /, *, axis=None):
    """Each element of ``x`` (flattened, if ``axis`` is None) repeated ``repeats``
    times along ``axis``; ``repeats`` is an int or an integer array of one count per
    element (or a single count). With an array the result's shape depends on its
    values, which lazy backends (Dask) cannot do."""
    if isinstance(repeats, Integral):
        return _repeat_int(x, int(repeats), axis=axis)
    return _repeat_array(x, repeats, axis=axis)


__all__ = ["broadcast_arrays", "broadcast_shapes", "broadcast_to", "concat", "expand_dims",
           "flip", "moveaxis", "permute_dims", "repeat", "reshape", "roll", "squeeze",
           "stack", "tile", "unstack"]
