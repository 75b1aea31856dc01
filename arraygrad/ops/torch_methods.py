"""The PyTorch-style methods of ``Tensor`` (``x.sum(dim=0)``, ``x.eq(y).all()``,
``x.mul_(2)``, …).

Each is a thin spelling of a namespace operation, with PyTorch's argument names (``dim``,
``keepdim``); ``sum`` and ``mean`` also take the standard's (``axis``, ``keepdims``).
Methods that PyTorch shares with a module function (``x.gather(1, idx)`` and
``torch.gather(x, 1, idx)``) call the function of ``ops/composed.py``.

In-place methods (``add_``, ``exp_``, ``clamp_``, ``scatter_add_``, …) are as safe as
the in-place operators: a value saved for backward never changes. The arithmetic ones
*are* the operators (``x.add_(y, alpha=2)`` runs ``x += 2 * y``), so under ``no_grad``
they write into the array itself where nobody else can see it (an optimizer's step
allocates nothing). The others compute their result out of place and rebind the tensor
to it (``_write``), recorded when grad mode is on: ``y.exp_()`` gives ``y`` the
``ExpBackward0`` node, as in PyTorch. A write into a leaf that requires grad, in grad
mode, raises PyTorch's error; a write into a view reaches its base, and the base's
other views, as ``x[k] = v`` does (``ops.indexing.write_view``).
"""
from __future__ import annotations

# The ops package is still importing when this module is (ops/operators.py installs
# these methods at its end); its attributes are read only when a method runs.
from .. import ops
from .._tensor import LEAF_IN_PLACE, Tensor
from ..autograd.grad_mode import is_grad_enabled
from ..dtypes import DType, float32, float64
from . import composed as F
from .composed import MaxResult, MinResult, SortResult



def _axis(dim, axis):
    if dim is not None and axis is not None:
        raise TypeError("give either dim or axis, not both")
    return tuple(dim) if isinstance(dim, list) else (dim if dim is not None else axis)


def _shape_args(shape) -> tuple:
    """``x.reshape(2, 3)`` and ``x.reshape((2, 3))`` both mean shape (2, 3)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def _operator_in_place(self, operator: str, other, name: str):
    """``self <operator>= other`` through the tensor's own in-place operator."""
    out = getattr(self, operator)(other)
    if out is NotImplemented:
        raise TypeError(f"{name}(): argument 'other' must be Tensor or Number, not "
                        f"{type(other).__name__}")
    return out


def _write(self, fn, *args, **kwargs):
    """``self`` rebound, in place, to ``fn(self, *args, **kwargs)`` (see the module's
    docstring); into a view, the write reaches its base and the base's views."""
    if self._view is not None:
        return ops.indexing.write_view(self, _write_into, fn, args, kwargs)
    return _write_into(self, fn, args, kwargs)


def _write_into(self, fn, args, kwargs):
    recording = is_grad_enabled() and (
        self._requires_grad
        or any(isinstance(a, Tensor) and a._requires_grad for a in (*args, *kwargs.values())))
    if recording and self.grad_fn is None and self._requires_grad:
        raise RuntimeError(LEAF_IN_PLACE)
    result = ops.operators._fit_inplace(self, fn(self, *args, **kwargs), fn)
    if recording:
        self._rebind(result)
    else:  # the graph is not told, as for any write under no_grad
        self._data = result._data
    self._bump_version()
    return self


def _selected(self, dim, keepdim, pick):
    """``(values, indices)`` of ``max``/``min`` along ``dim``: the indices from
    ``pick`` (``argmax``/``argmin``, the first of ties), the values taken at them, so
    that the gradient goes to that one element, as in PyTorch."""
    dim = F._dim(dim, self.ndim)
    indices = pick(self, axis=dim, keepdims=True)
    values = ops.take_along_axis(self, indices, axis=dim)
    if not keepdim:
        values, indices = ops.squeeze(values, dim), ops.squeeze(indices, dim)
    return values, indices


class TorchMethods:
    """Methods installed on ``Tensor`` (``ops.operators``); every one calls an
    operation of ``arraygrad.ops``."""

    __slots__ = ()

    # -- reductions ---------------------------------------------------------------

    def sum(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
        return ops.sum(self, axis=_axis(dim, axis), dtype=dtype,
                       keepdims=keepdim if keepdims is None else keepdims)

    def mean(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
        x = self if dtype is None else ops.astype(self, dtype)
        return ops.mean(x, axis=_axis(dim, axis),
                        keepdims=keepdim if keepdims is None else keepdims)

    def prod(self, dim=None, keepdim=False, *, dtype=None):
        return ops.prod(self, axis=_axis(dim, None), dtype=dtype, keepdims=keepdim)

    def std(self, dim=None, unbiased=True, keepdim=False, *, correction=None):
        """The standard deviation, with Bessel's correction by default (PyTorch's
        ``correction=1``, where the standard's ``std`` defaults to 0)."""
        return ops.std(self, **_spread_args(dim, unbiased, keepdim, correction))

    def var(self, dim=None, unbiased=True, keepdim=False, *, correction=None):
        """The variance, with Bessel's correction by default (see ``std``)."""
        return ops.var(self, **_spread_args(dim, unbiased, keepdim, correction))

    def max(self, dim=None, keepdim=False):
        """The largest element; along ``dim``, ``(values, indices)``; of another
        tensor, the element-wise maximum (PyTorch's three forms)."""
        if isinstance(dim, Tensor):
            return ops.maximum(self, dim)
        if dim is None:
            return ops.max(self)
        return MaxResult(*_selected(self, dim, keepdim, ops.argmax))

    def min(self, dim=None, keepdim=False):
        """The smallest element; along ``dim``, ``(values, indices)``; of another
        tensor, the element-wise minimum (PyTorch's three forms)."""
        if isinstance(dim, Tensor):
            return ops.minimum(self, dim)
        if dim is None:
            return ops.min(self)
        return MinResult(*_selected(self, dim, keepdim, ops.argmin))

    def amax(self, dim=(), keepdim=False):
        return F.amax(self, dim, keepdim)

    def amin(self, dim=(), keepdim=False):
        return F.amin(self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        if dim is None:
            return ops.argmax(ops.reshape(self, (-1,)))
        return ops.argmax(self, axis=F._dim(dim, self.ndim), keepdims=keepdim)

    def argmin(self, dim=None, keepdim=False):
        if dim is None:
            return ops.argmin(ops.reshape(self, (-1,)))
        return ops.argmin(self, axis=F._dim(dim, self.ndim), keepdims=keepdim)

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        """The ``p``-norm over ``dim`` (all elements by default); ``"fro"`` is 2."""
        return F.norm(self, p, dim, keepdim, dtype)

    def logsumexp(self, dim, keepdim=False):
        return F.logsumexp(self, dim, keepdim)

    def softmax(self, dim, dtype=None):
        return F.softmax(self, dim, dtype)

    def log_softmax(self, dim, dtype=None):
        return F.log_softmax(self, dim, dtype)

    def cumsum(self, dim, *, dtype=None):
        return F.cumsum(self, dim, dtype=dtype)

    def cumprod(self, dim, *, dtype=None):
        return F.cumprod(self, dim, dtype=dtype)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        return F.topk(self, k, dim, largest, sorted)

    def sort(self, dim=-1, descending=False, stable=False):
        """``(values, indices)`` along ``dim``; always stable here (ties keep their
        order), which ``stable=False`` allows."""
        dim = F._dim(dim, self.ndim)
        return SortResult(ops.sort(self, axis=dim, descending=descending),
                          ops.argsort(self, axis=dim, descending=descending))

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

    def add(self, other, *, alpha=1):
        return ops.add(self, other if alpha == 1 else other * alpha)

    def sub(self, other, *, alpha=1):
        return ops.subtract(self, other if alpha == 1 else other * alpha)

    def mul(self, other):
        return ops.multiply(self, other)

    def div(self, other, *, rounding_mode=None):
        """``self / other``; ``rounding_mode="trunc"`` or ``"floor"`` rounds the
        quotient (and its gradient is zero, as PyTorch's)."""
        quotient = ops.divide(self, other)
        if rounding_mode is None:
            return quotient
        if rounding_mode not in ("trunc", "floor"):
            raise RuntimeError("div expected rounding_mode to be one of None, 'trunc', or "
                             f"'floor' but found '{rounding_mode}'")
        rounded = (ops.trunc if rounding_mode == "trunc" else ops.floor)(quotient)
        return rounded if self.dtype.is_floating_point else ops.astype(rounded, self.dtype)

    def pow(self, exponent):
        return ops.pow(self, exponent)

    def neg(self):
        return ops.negative(self)

    def abs(self):
        return ops.abs(self)

    def exp(self):
        return ops.exp(self)

    def exp2(self):
        return ops.special.exp2(self)

    def expm1(self):
        return ops.expm1(self)

    def log(self):
        return ops.log(self)

    def log1p(self):
        return ops.log1p(self)

    def log2(self):
        return ops.log2(self)

    def log10(self):
        return ops.log10(self)

    def sqrt(self):
        return ops.sqrt(self)

    def rsqrt(self):
        return F.rsqrt(self)

    def square(self):
        return ops.square(self)

    def reciprocal(self):
        return ops.reciprocal(self)

    def sin(self):
        return ops.sin(self)

    def cos(self):
        return ops.cos(self)

    def tan(self):
        return ops.tan(self)

    def asin(self):
        return ops.asin(self)

    def acos(self):
        return ops.acos(self)

    def atan(self):
        return ops.atan(self)

    def atan2(self, other):
        return ops.atan2(self, other)

    def sinh(self):
        return ops.sinh(self)

    def cosh(self):
        return ops.cosh(self)

    def tanh(self):
        return ops.tanh(self)

    def sigmoid(self):
        return F.sigmoid(self)

    def relu(self):
        return F.relu(self)

    def sign(self):
        return ops.sign(self)

    def floor(self):
        return ops.floor(self)

    def ceil(self):
        return ops.ceil(self)

    def trunc(self):
        return ops.trunc(self)

    def round(self, *, decimals=0):
        """Rounded half to even, to ``decimals`` places (PyTorch's ``round``)."""
        if decimals == 0:
            return ops.round(self)
        scale = 10.0 ** decimals
        return ops.round(self * scale) / scale

    def clamp(self, min=None, max=None):
        return ops.clip(self, min, max)

    clip = clamp

    def maximum(self, other):
        return ops.maximum(self, other)

    def minimum(self, other):
        return ops.minimum(self, other)

    def lerp(self, end, weight):
        return F.lerp(self, end, weight)

    def addcmul(self, tensor1, tensor2, *, value=1):
        return F.addcmul(self, tensor1, tensor2, value=value)

    def addcdiv(self, tensor1, tensor2, *, value=1):
        return F.addcdiv(self, tensor1, tensor2, value=value)

    def masked_fill(self, mask, value):
        return F.masked_fill(self, mask, value)

    def where(self, condition, other):
        """``self`` where ``condition`` holds, ``other`` elsewhere."""
        return ops.where(condition, self, other)

    # -- indexing -----------------------------------------------------------------

    def gather(self, dim, index):
        return F.gather(self, dim, index)

    def scatter(self, dim, index, src=None, *, value=None):
        return F.scatter(self, dim, index, src, value=value)

    def scatter_add(self, dim, index, src):
        return F.scatter_add(self, dim, index, src)

    def index_select(self, dim, index):
        return F.index_select(self, dim, index)

    def index_add(self, dim, index, source, *, alpha=1):
        return F.index_add(self, dim, index, source, alpha=alpha)

    # -- linear algebra and shapes ------------------------------------------------

    def matmul(self, other):
        return ops.matmul(self, other)

    def mm(self, mat2):
        return F.mm(self, mat2)

    def bmm(self, mat2):
        return F.bmm(self, mat2)

    def dot(self, other):
        """The dot product of two 1-d tensors (no conjugation, as PyTorch's)."""
        if self.ndim != 1 or other.ndim != 1:
            raise RuntimeError(f"1D tensors expected, but got {self.ndim}D and "
                               f"{other.ndim}D tensors")
        return ops.matmul(self, other)

    def t(self):
        return F.t(self)

    def diag(self, diagonal=0):
        return F.diag(self, diagonal)

    def trace(self):
        return F.trace(self)

    def reshape(self, *shape):
        return ops.reshape(self, _shape_args(shape))

    view = reshape

    def view_as(self, other):
        return ops.reshape(self, other.shape)

    reshape_as = view_as

    def permute(self, *dims):
        return F.permute(self, _shape_args(dims))

    def transpose(self, dim0, dim1):
        return F.transpose(self, dim0, dim1)

    def unsqueeze(self, dim):
        return F.unsqueeze(self, dim)

    def squeeze(self, dim=None):
        """Without the axes of size 1 among ``dim`` (an int or a tuple; all axes by
        default); naming an axis of another size is no error, as in PyTorch."""
        dims = range(self.ndim) if dim is None else (
            dim if isinstance(dim, (tuple, list)) else (dim,))
        dims = tuple(d for d in (F._dim(d, self.ndim) for d in dims) if self.shape[d] == 1)
        return ops.squeeze(self, dims) if dims else self

    def flatten(self, start_dim=0, end_dim=-1):
        return F.flatten(self, start_dim, end_dim)

    def expand(self, *sizes):
        """Broadcast to ``sizes``; -1 keeps an axis's size (PyTorch's ``expand``)."""
        sizes = _shape_args(sizes)
        lead = len(sizes) - self.ndim
        if lead < 0:
            raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}) must be "
                               "greater or equal to the number of dimensions in the tensor "
                               f"({self.ndim})")
        shape = tuple(self.shape[k - lead] if n == -1 and k >= lead else n
                      for k, n in enumerate(sizes))
        return ops.broadcast_to(self, shape)

    def expand_as(self, other):
        return ops.broadcast_to(self, other.shape)

    def repeat(self, *sizes):
        """The tensor tiled ``sizes`` times along each axis (PyTorch's ``repeat``: the
        standard's ``tile``, not its ``repeat``)."""
        sizes = _shape_args(sizes)
        if len(sizes) < self.ndim:
            raise RuntimeError("Number of dimensions of repeat dims can not be smaller than "
                               "number of dimensions of tensor")
        return ops.tile(self, sizes)

    def chunk(self, chunks, dim=0):
        return F.chunk(self, chunks, dim)

    def split(self, split_size, dim=0):
        return F.split(self, split_size, dim)

    def narrow(self, dim, start, length):
        return F.narrow(self, dim, start, length)

    # -- copies, dtypes, sizes ----------------------------------------------------

    def clone(self):
        return F.clone(self)

    def contiguous(self):
        """The tensor itself: arrays here have no strides to make contiguous."""
        return self

    def to(self, dtype):
        """In ``dtype`` (a dtype, or a tensor whose dtype to take)."""
        return ops.astype(self, dtype.dtype if isinstance(dtype, Tensor) else dtype)

    def type_as(self, other):
        return ops.astype(self, other.dtype)

    def float(self):
        return ops.astype(self, float32)

    def double(self):
        return ops.astype(self, float64)

    def numel(self) -> int:
        return self.size

    def dim(self) -> int:
        return self.ndim

    def new_zeros(self, *size, dtype=None, requires_grad=False):
        return _new_full(self, _shape_args(size), 0, dtype, requires_grad)

    def new_ones(self, *size, dtype=None, requires_grad=False):
        return _new_full(self, _shape_args(size), 1, dtype, requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, requires_grad=False):
        return _new_full(self, tuple(size), fill_value, dtype, requires_grad)

    # -- in place -----------------------------------------------------------------

    def add_(self, other, *, alpha=1):
        return _operator_in_place(self, "__iadd__", other if alpha == 1 else other * alpha,
                                  "add_")

    def sub_(self, other, *, alpha=1):
        return _operator_in_place(self, "__isub__", other if alpha == 1 else other * alpha,
                                  "sub_")

    def mul_(self, other):
        return _operator_in_place(self, "__imul__", other, "mul_")

    def div_(self, other, *, rounding_mode=None):
        if rounding_mode is not None:
            return _write(self, TorchMethods.div, other, rounding_mode=rounding_mode)
        return _operator_in_place(self, "__itruediv__", other, "div_")

    def pow_(self, exponent):
        return _operator_in_place(self, "__ipow__", exponent, "pow_")

    def neg_(self):
        return _write(self, ops.negative)

    def abs_(self):
        return _write(self, ops.abs)

    def exp_(self):
        return _write(self, ops.exp)

    def exp2_(self):
        return _write(self, ops.special.exp2)

    def expm1_(self):
        return _write(self, ops.expm1)

    def log_(self):
        return _write(self, ops.log)

    def log1p_(self):
        return _write(self, ops.log1p)

    def log2_(self):
        return _write(self, ops.log2)

    def log10_(self):
        return _write(self, ops.log10)

    def sqrt_(self):
        return _write(self, ops.sqrt)

    def rsqrt_(self):
        return _write(self, F.rsqrt)

    def square_(self):
        return _write(self, ops.square)

    def reciprocal_(self):
        return _write(self, ops.reciprocal)

    def sin_(self):
        return _write(self, ops.sin)

    def cos_(self):
        return _write(self, ops.cos)

    def tan_(self):
        return _write(self, ops.tan)

    def tanh_(self):
        return _write(self, ops.tanh)

    def sigmoid_(self):
        return _write(self, F.sigmoid)

    def relu_(self):
        return _write(self, F.relu)

    def sign_(self):
        return _write(self, ops.sign)

    def floor_(self):
        return _write(self, ops.floor)

    def ceil_(self):
        return _write(self, ops.ceil)

    def trunc_(self):
        return _write(self, ops.trunc)

    def round_(self, *, decimals=0):
        return _write(self, TorchMethods.round, decimals=decimals)

    def clamp_(self, min=None, max=None):
        return _write(self, ops.clip, min, max)

    clip_ = clamp_

    def lerp_(self, end, weight):
        return _write(self, F.lerp, end, weight)

    def addcmul_(self, tensor1, tensor2, *, value=1):
        return _write(self, F.addcmul, tensor1, tensor2, value=value)

    def addcdiv_(self, tensor1, tensor2, *, value=1):
        return _write(self, F.addcdiv, tensor1, tensor2, value=value)

    def masked_fill_(self, mask, value):
        return _write(self, F.masked_fill, mask, value)

    def index_add_(self, dim, index, source, *, alpha=1):
        return _write(self, F.index_add, dim, index, source, alpha=alpha)

    def scatter_(self, dim, index, src=None, *, value=None):
        return _write(self, F.scatter, dim, index, src, value=value)

    def scatter_add_(self, dim, index, src):
        return _write(self, F.scatter_add, dim, index, src)

    def zero_(self):
        """Set every element to zero, in place (as ``x[...] = 0``)."""
        self[...] = 0
        return self

    def fill_(self, value):
        """Set every element to ``value`` (a number or a 0-d tensor), in place (as
        ``x[...] = value``)."""
        self[...] = value
        return self

    def copy_(self, src):
        """Write ``src`` (broadcast to this tensor's shape, cast to its dtype) into
        this tensor, in place (as ``x[...] = src``); the gradient reaches ``src``."""
        if isinstance(src, Tensor) and src.dtype != self.dtype:
            src = ops.astype(src, self.dtype)
        self[...] = src
        return self


def _spread_args(dim, unbiased, keepdim, correction) -> dict:
    """The standard's keywords for PyTorch's ``std``/``var`` arguments, including the
    old form ``x.std(False)`` (a bool in the place of ``dim``: ``unbiased``)."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    if correction is None:
        correction = 1 if unbiased else 0
    return {"axis": _axis(dim, None), "correction": correction, "keepdims": keepdim}


def _new_full(self, shape, value, dtype, requires_grad):
    """A new tensor of ``shape`` on this tensor's backend and device, in its dtype
    unless told (``x.new_zeros``, ``new_ones``, ``new_full``)."""
    b = self._backend
    dtype = self.dtype if dtype is None else dtype
    if not isinstance(dtype, DType):
        raise TypeError(f"dtype must be an arraygrad dtype, not {type(dtype).__name__}")
    t = Tensor._wrap(b.ns.full(shape, value, dtype=b.native(dtype), device=self.device), b)
    return t.requires_grad_(True) if requires_grad else t
