"""Indexing: ``x[key]`` and ``x[key] = value``, with their VJPs.

``x[key] = value`` never changes a value the graph saved: it writes into the array
only when nothing else can see it and nothing is recorded, and otherwise rebinds the
tensor to a new array made by a recorded, differentiable index assignment.
"""
from __future__ import annotations

import math

import array_api_compat

from ..autograd.grad_mode import is_grad_enabled
from .. import _tensor
from ._define import defop
from .indexing_functions import _constant, scatter_add

Tensor = _tensor.Tensor


def raw_key(key, backend):
    """The key with any tensors in it replaced by their backend arrays."""
    if isinstance(key, tuple):
        return tuple(raw_key(k, backend) for k in key)
    if isinstance(key, Tensor):
        if key._backend is not backend:
            raise _tensor.mixed_backends("indexing", backend, key._backend)
        return key.data
    return key


def _key_has_arrays(key) -> bool:
    items = key if isinstance(key, tuple) else (key,)
    return any(not isinstance(k, (int, slice, type(None), type(Ellipsis))) for k in items)


def _getitem_forward(xp, x, key, /):
    return xp.getitem(x, key)


def _is_integer_array(k) -> bool:
    if isinstance(k, (int, slice, type(None), type(Ellipsis))):
        return False
    xp = array_api_compat.array_namespace(k)
    return not xp.isdtype(k.dtype, "bool")


@defop()
def _linear_positions(xp, like, /, shape, key):
    """The flat position in an array of ``shape`` of each element ``x[key]`` selects."""
    n = math.prod(shape)
    positions = xp.reshape(xp.arange(n, device=array_api_compat.device(like)), shape)
    return xp.reshape(positions[key], (-1,))


def _getitem_rule(xp, g, x_shape, key):
    """Put ``g`` back where ``x[key]`` took it from. Integer-array keys may select an
    element more than once, so their gradient is a scatter-ADD."""
    items = key if isinstance(key, tuple) else (key,)
    if any(_is_integer_array(k) for k in items):
        positions = _constant(xp, _linear_positions, g, x_shape, key)
        flat = scatter_add(xp, xp.reshape(g, (-1,)), positions, math.prod(x_shape), 0)
        return xp.reshape(flat, x_shape)
    return xp.place(x_shape, key, g)


_getitem_rule = (_getitem_rule,)
# PyTorch's node names: a single integer selects, slices slice, arrays index.
_select = defop(*_getitem_rule, node="SelectBackward0")(_getitem_forward)
_slice = defop(*_getitem_rule, node="SliceBackward0")(_getitem_forward)
_index = defop(*_getitem_rule, node="IndexBackward0")(_getitem_forward)


def getitem(x, key):
    """``x[key]`` with the standard's indexing (integers, slices, ellipsis, None,
    integer arrays and boolean masks)."""
    key = raw_key(key, x._backend)
    if isinstance(key, int):
        return _select(x, key)
    return (_index if _key_has_arrays(key) else _slice)(x, key)


@defop(lambda xp, g, key: xp.setitem(g, key, 0),
       lambda xp, g, key, value_shape, value_dtype: xp.unbroadcast(g[key], value_shape,
                                                                   value_dtype),
       inputs=("x", "value"), node="CopySlices")
def _index_put(xp, x, value, /, key):
    """A new array: ``x`` with ``value`` written at ``key``."""
    return xp.setitem(x, key, value)


def setitem(x, key, value) -> None:
    """``x[key] = value``, differentiable in ``x`` and ``value``."""
    backend = x._backend
    key = raw_key(key, backend)
    value_requires = isinstance(value, Tensor) and value._requires_grad
    recording = is_grad_enabled() and (x._requires_grad or value_requires)
    if isinstance(value, Tensor) and value._backend is not backend:
        raise _tensor.mixed_backends("setitem", backend, value._backend)
    if not recording:
        if _tensor._refs(x) <= _tensor._PRIVATE_REFS and backend.owns_buffer(x.data):
            raw = value.data if isinstance(value, Tensor) else value
            x.data = backend.ns.write_into(x.data, key, raw)
        else:
            x.data = _index_put(x, value, key).data
        return
    if x.grad_fn is None and x._requires_grad:
        raise RuntimeError("a leaf Variable that requires grad is being used in an "
                           "in-place operation.")
    if not isinstance(value, Tensor):
        value = _tensor.asarray(value, dtype=x.dtype, backend=backend)
    x._rebind(_index_put(x, value, key))


__all__ = ["getitem", "setitem"]
