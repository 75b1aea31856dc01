"""Data type functions that move values between dtypes and devices, with VJPs."""
from __future__ import annotations

from ..dtypes import real_of
from ._define import defop


@defop(lambda xp, g, x_shape, x_dtype: xp.unbroadcast(g, x_shape, x_dtype),
       node="ToCopyBackward0")
def astype(xp, x, dtype, /, *, copy=True, device=None):
    """``x`` converted to ``dtype`` (and moved to ``device``, if given)."""
    x = xp.astype(x, xp.native(dtype), copy=copy)
    return x if device is None else xp.to_device(x, device)


@defop(lambda xp, g: g, node="CloneBackward0")
def copy(xp, x, /):
    """A copy of ``x`` (``Tensor.clone()``): the gradient passes through."""
    return xp.asarray(x, copy=True)


@defop(lambda xp, g, x_device: xp.to_device(g, x_device), node="ToCopyBackward0")
def to_device(xp, x, device, /, *, stream=None):
    """``x`` moved to ``device``."""
    return xp.to_device(x, device, stream=stream)



# -- data type functions (no gradients: they answer questions about dtypes) -------

def _backend_for(*values):
    from .. import backend as _backend
    from .._tensor import Tensor
    for v in values:
        if isinstance(v, Tensor):
            return v._backend
    return _backend.current()


def _dtype_of(value):
    from .._tensor import Tensor
    return value.dtype if isinstance(value, Tensor) else value


def can_cast(from_, to, /) -> bool:
    """Whether the standard's casting rules allow ``from_`` (a dtype or array) to ``to``."""
    b = _backend_for(from_)
    return bool(b.xp.can_cast(b.native(_dtype_of(from_)), b.native(to)))


class finfo_object:
    """Machine limits of a floating-point dtype (what ``finfo`` returns)."""

    def __init__(self, info, dtype):
        self.bits = int(info.bits)
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.smallest_normal = float(info.smallest_normal)
        self.dtype = dtype

    def __repr__(self) -> str:
        return (f"finfo(bits={self.bits}, eps={self.eps}, max={self.max}, min={self.min}, "
                f"smallest_normal={self.smallest_normal}, dtype={self.dtype!r})")


class iinfo_object:
    """Machine limits of an integer dtype (what ``iinfo`` returns)."""

    def __init__(self, info, dtype):
        self.bits = int(info.bits)
        self.max = int(info.max)
        self.min = int(info.min)
        self.dtype = dtype

    def __repr__(self) -> str:
        return f"iinfo(bits={self.bits}, max={self.max}, min={self.min}, dtype={self.dtype!r})"


def finfo(type, /) -> finfo_object:
    """Limits of a floating dtype; for a complex one, of its real and imaginary parts
    (``dtype`` is then the real dtype, as the standard says)."""
    b = _backend_for(type)
    dtype = b.dtype(_dtype_of(type))
    return finfo_object(b.xp.finfo(b.native(dtype)), real_of(dtype))


def iinfo(type, /) -> iinfo_object:
    """Limits of an integer dtype."""
    b = _backend_for(type)
    dtype = b.dtype(_dtype_of(type))
    return iinfo_object(b.xp.iinfo(b.native(dtype)), dtype)


_KINDS = {
    "bool": ("bool",),
    "signed integer": ("signed integer",),
    "unsigned integer": ("unsigned integer",),
    "integral": ("signed integer", "unsigned integer"),
    "real floating": ("real floating",),
    "complex floating": ("complex floating",),
    "numeric": ("signed integer", "unsigned integer", "real floating", "complex floating"),
}


def isdtype(dtype, kind) -> bool:
    """Whether ``dtype`` is of ``kind``: a kind name, a dtype, or a tuple of those."""
    from ..dtypes import DType
    if not isinstance(dtype, DType):
        raise TypeError(f"isdtype expects an arraygrad dtype, not {dtype!r}")
    if isinstance(kind, tuple):
        return any(isdtype(dtype, k) for k in kind)
    if isinstance(kind, DType):
        return dtype is kind
    if kind not in _KINDS:
        raise ValueError(f"unknown dtype kind {kind!r}: choose one of {', '.join(_KINDS)}")
    return dtype.kind in _KINDS[kind]


def result_type(*arrays_and_dtypes):
    """The dtype the standard's promotion rules give these arrays, dtypes and scalars."""
    b = _backend_for(*arrays_and_dtypes)
    natives = []
    for v in arrays_and_dtypes:
        v = _dtype_of(v)
        natives.append(b.native(v) if not isinstance(v, (bool, int, float, complex)) else v)
    return b.dtype(b.xp.result_type(*natives))


__all__ = ["astype", "copy", "to_device", "can_cast", "finfo", "iinfo", "isdtype",
           "result_type"]
