"""``vmap``: map a function over an axis of its arguments, by a Python loop.

The Array API standard has no general batching, and arraygrad's rules have no batched
forms, so ``vmap(f)(x)`` calls ``f`` once per slice along the mapped axis and stacks
the results with ``arraygrad.stack``: it costs one call of ``f`` per slice, and is
differentiable (and composes with the other transforms) because slicing and stacking
are. It gives the semantics of ``torch.func.vmap``, not its speed.
"""
from __future__ import annotations

import functools

from .._tensor import Tensor
from ..ops import stack, unstack
from ._tree import tensor_leaves, unflatten


def _dims(dims, n: int, what: str) -> tuple:
    """``dims`` (an int, None, or a tuple with one per item) as one entry per item."""
    if dims is None or isinstance(dims, int):
        return (dims,) * n
    if not isinstance(dims, (tuple, list)) or len(dims) != n:
        raise ValueError(f"vmap: {what} must be an int, None or a tuple with one entry per "
                         f"{'argument' if what == 'in_dims' else 'output'} ({n}), got "
                         f"{dims!r}")
    for d in dims:
        if d is not None and not isinstance(d, int):
            raise TypeError(f"vmap: each entry of {what} must be an int or None, not {d!r}")
    return tuple(dims)


def _axis(d: int, ndim: int, what: str) -> int:
    if not -ndim <= d < ndim:
        raise IndexError(f"vmap: {what} has {ndim} dimension(s); axis {d} is out of range")
    return d % ndim


def vmap(f, in_dims=0, out_dims=0):
    """``f`` mapped over axis ``in_dims`` of its positional arguments.

    ``in_dims``: an int (every argument), or a tuple with an int or None per argument
    (None: passed whole to every call). ``out_dims``: where the mapped axis goes in
    each output (an int, or a tuple with one per output when f returns a tuple).
    The mapped arguments must be Tensors with the same size along their axes.
    """
    @functools.wraps(f)
    def vmapped(*args, **kwargs):
        dims = _dims(in_dims, len(args), "in_dims")
        size, slices = None, []
        for i, (a, d) in enumerate(zip(args, dims)):
            if d is None:
                slices.append(None)
                continue
            if not isinstance(a, Tensor):
                raise TypeError(f"vmap: argument {i} is mapped (in_dims {d}) but is a "
                                f"{type(a).__name__}, not a Tensor; give it in_dims None")
            axis = _axis(d, a.ndim, f"argument {i}")
            n = a.shape[axis]
            if size is None:
                size = n
            elif n != size:
                raise ValueError(f"vmap: mapped arguments differ in size: {size} before, "
                                 f"{n} for argument {i} (axis {axis})")
            slices.append(unstack(a, axis=axis))
        if size is None:
            raise ValueError("vmap: no argument is mapped (in_dims are all None)")
        if size == 0:
            raise ValueError("vmap: the mapped axis has size 0; there is nothing to map")
        results = []
        for k in range(size):
            call = [a if s is None else s[k] for a, s in zip(args, slices)]
            results.append(tensor_leaves(f(*call, **kwargs), "vmap: f's output"))
        spec = results[0][1]
        if any(s != spec for _, s in results):
            raise ValueError("vmap: f returned outputs of different structures for "
                             "different slices")
        n_out = len(results[0][0])
        out_axes = _dims(out_dims, n_out, "out_dims")
        if None in out_axes:
            raise ValueError("vmap: out_dims None (an output that is not mapped) is not "
                             "supported; every output is stacked")
        stacked = []
        for j, axis in enumerate(out_axes):
            pieces = [leaves[j] for leaves, _ in results]
            _axis(axis, pieces[0].ndim + 1, f"output {j} once stacked")
            stacked.append(stack(pieces, axis=axis))
        return unflatten(spec, stacked)
    return vmapped
