"""Jacobians assembled from one reverse pass per output element (rows) or one
forward product per input element (columns), shaped ``output.shape + input.shape`` as
``torch.func`` and JAX shape them."""
from __future__ import annotations

from .._tensor import Tensor
from ..ops import reshape, stack, unstack
from ._tree import unflatten


def unit_tensors(t) -> tuple:
    """The ``t.size`` tensors shaped like ``t`` with a single one (at flat index k for
    the k-th): the cotangents or tangents that pick out one element."""
    b = t._backend
    eye = Tensor._wrap(b.ns.eye(t.size, dtype=t._data.dtype, device=t.device), b)
    return tuple(reshape(e, t.shape) for e in unstack(eye))


def _zeros(shape, like) -> Tensor:
    b = like._backend
    return Tensor._wrap(b.ns.zeros(shape, dtype=like._data.dtype, device=like.device), b)


def from_rows(rows, out, x) -> Tensor:
    """d out / d x from its rows: the gradient of each element of ``out`` (in flat
    order), each shaped like ``x``."""
    if not rows:
        return _zeros(out.shape + x.shape, x)
    return reshape(stack(rows), out.shape + x.shape)


def from_columns(columns, out, x) -> Tensor:
    """d out / d x from its columns: the derivative of ``out`` along each element of
    ``x`` (in flat order), each shaped like ``out``."""
    if not columns:
        return _zeros(out.shape + x.shape, out)
    return reshape(stack(columns, axis=-1), out.shape + x.shape)


def arrange(blocks, out_spec, argnums):
    """The Jacobian blocks ``blocks[output][input]`` in the structure of f's output,
    each holding one block or a tuple of them (as argnums is an int or a tuple)."""
    return unflatten(out_spec, [argnums.pack(row) for row in blocks])
