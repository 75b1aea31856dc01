"""The PyTorch-style methods of ``Tensor`` (``x.sum(dim=0)``, ``x.eq(y).all()``, …).

Each is a thin spelling of a namespace operation; PyTorch's argument names (``dim``,
``keepdim``) are accepted beside the standard's (``axis``, ``keepdims``).
"""
from __future__ import annotations

# The ops package is still importing when this module is (ops/operators.py installs
# these methods at its end); its attributes are read only when a method runs.
from .. import ops
from ..dtypes import float32, float64


def _axis(dim, axis):
    if dim is not None and axis is not None:
        raise TypeError("give either dim or axis, not both")
    return tuple(dim) if isinstance(dim, list) else (dim if dim is not None else axis)


def _shape_args(shape) -> tuple:
    """``x.reshape(2, 3)`` and ``x.reshape((2, 3))`` both mean shape (2, 3)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


class TorchMethods:
    """Methods installed on ``Tensor`` (``ops.operators``); every one calls an
    operation of ``arraygrad.ops``."""

    __slots__ = ()

    # -- reductions ---------------------------------------------------------------

    def sum(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
        return ops.sum(self, axis=_axis(dim, axis), dtype=dtype,
                          keepdims=keepdim if keepdims is None else keepdims)

    def mean(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return ops.mean(self, axis=_axis(dim, axis),
                           keepdims=keepdim if keepdims is None else keepdims)

    def norm(self, p=2, dim=None, keepdim=False):
        """The vector norm of the elements over ``dim`` (all by default); ``"fro"`` is 2."""
        ord = 2 if p == "fro" else p
        return ops.linalg.vector_norm(self, axis=_axis(dim, None), keepdims=keepdim, ord=ord)

    def all(self, dim=None, keepdim=False):
        return ops.all(self, axis=_axis(dim, None), keepdims=keepdim)

    def any(self, dim=None, keepdim=False):
        return ops.any(self, axis=_axis(dim, None), keepdims=keepdim)

    # -- element-wise -------------------------------------------------------------

    def eq(self, other):
        return ops.equal(self, other)

    def ne(self, other):
        return ops.not_equal(self, other)

    def lt(self, other):
        return ops.less(self, other)

    def le(self, other):
        return ops.less_equal(self, other)

    def gt(self, other):
        return ops.greater(self, other)

    def ge(self, other):
        return ops.greater_equal(self, other)

    def add(self, other):
        return ops.add(self, other)

    def sub(self, other):
        return ops.subtract(self, other)

    def mul(self, other):
        return ops.multiply(self, other)

    def div(self, other):
        return ops.divide(self, other)

    def pow(self, exponent):
        return ops.pow(self, exponent)

    def neg(self):
        return ops.negative(self)

    def abs(self):
        return ops.abs(self)

    def exp(self):
        return ops.exp(self)

    def log(self):
        return ops.log(self)

    def sqrt(self):
        return ops.sqrt(self)

    def sin(self):
        return ops.sin(self)

    def cos(self):
        return ops.cos(self)

    def tanh(self):
        return ops.tanh(self)

    def clamp(self, min=None, max=None):
        return ops.clip(self, min, max)

    clip = clamp

    def maximum(self, other):
        return ops.maximum(self, other)

    def minimum(self, other):
        return ops.minimum(self, other)

    # -- linear algebra and shapes ------------------------------------------------

    def matmul(self, other):
        return ops.matmul(self, other)

    mm = matmul

    def t(self):
        return ops.matrix_transpose(self) if self.ndim == 2 else self

    def reshape(self, *shape):
        return ops.reshape(self, _shape_args(shape))

    view = reshape

    def permute(self, *dims):
        return ops.permute_dims(self, _shape_args(dims))

    def transpose(self, dim0, dim1):
        axes = list(range(self.ndim))
        axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
        return ops.permute_dims(self, tuple(axes))

    def unsqueeze(self, dim):
        return ops.expand_dims(self, axis=dim)

    def squeeze(self, dim=None):
        if dim is None:
            dim = tuple(i for i, n in enumerate(self.shape) if n == 1)
        return ops.squeeze(self, dim)

    def flatten(self):
        return ops.reshape(self, (-1,))

    def expand(self, *shape):
        return ops.broadcast_to(self, _shape_args(shape))

    # -- copies, dtypes, sizes ----------------------------------------------------

    def clone(self):
        return ops.copy(self)

    def to(self, dtype):
        return ops.astype(self, dtype)

    def float(self):
        return ops.astype(self, float32)

    def double(self):
        return ops.astype(self, float64)

    def numel(self) -> int:
        return self.size

    def dim(self) -> int:
        return self.ndim

    def zero_(self):
        """Set every element to zero, in place (as ``x[...] = 0``)."""
        self[...] = 0
        return self

    def fill_(self, value):
        self[...] = value
        return self
