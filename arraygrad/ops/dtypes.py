"""Data type functions that move values between dtypes and devices, with VJPs."""
from __future__ import annotations

from ._define import defop


@defop(lambda xp, g, x_shape, x_dtype: xp.unbroadcast(g, x_shape, x_dtype),
       node="ToCopyBackward0")
def astype(xp, x, dtype, /, *, copy=True, device=None):
    x = xp.astype(x, xp.native(dtype), copy=copy)
    return x if device is None else xp.to_device(x, device)


@defop(lambda xp, g: g, node="CloneBackward0")
def copy(xp, x, /):
    """A copy of ``x`` (``Tensor.clone()``): the gradient passes through."""
    return xp.asarray(x, copy=True)


@defop(lambda xp, g, x_device: xp.to_device(g, x_device), node="ToCopyBackward0")
def to_device(xp, x, device, /, *, stream=None):
    return xp.to_device(x, device, stream=stream)

__all__ = ["astype", "copy", "to_device"]
