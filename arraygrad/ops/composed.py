"""PyTorch's functions that are the namespace's operations composed (``torch.cat``,
``torch.gather``, ``torch.logsumexp(x, dim=1)``, …), under PyTorch's names, beside the
standard's, never instead of them.

Each is the same function as one or a few differentiable operations of the namespace in
other clothes, so it is composed of them: no new gradient rule, and higher derivatives
work because every rule they use is itself differentiable. The operations each one runs
are declared (``_runs``, for ``ops/registry.py``).

What differs from PyTorch, and why:

* ``grad_fn`` names are those of the operations composed: ``masked_fill`` records a
  ``WhereBackward0``, ``scatter`` a ``WhereBackward0``, ``scatter_add`` an ``AddBackward0``,
  ``topk`` a ``GatherBackward0`` (PyTorch's ``MaskedFillBackward0``,
  ``ScatterBackward0``, ``ScatterAddBackward0``, ``TopkBackward0``).
* ``chunk``, ``split`` and ``narrow`` give basic-index views (a write into a piece
  reaches the tensor, as in PyTorch: see ``ops/indexing.py``).
* ``scatter``'s ``reduce=`` (deprecated in PyTorch) is not taken; ``scatter_add`` is
  the reduction that autograd code uses. Where ``scatter``'s index repeats, only the
  value that lands gets a gradient (see ``scatter``).
* Indices are never negative in PyTorch's ``gather``/``scatter`` (an error there);
  here a negative index counts from the end, as ``take_along_axis`` reads it.
"""
from __future__ import annotations

import builtins
import math
from collections import namedtuple

from .._tensor import Tensor
from ._define import dispatches
from .dtypes import astype, copy
from .elementwise import add, clip, divide, greater, multiply, sqrt, subtract
from .indexing import getitem
from .indexing_functions import _take_segments, scatter_add as _scatter_add_rows
from .indexing_functions import take, take_along_axis
from .linalg import diagonal as _diagonal, matmul, matrix_norm, matrix_transpose, vector_norm
from .linalg import trace as _trace
from .manipulation import broadcast_to, concat, expand_dims, permute_dims, reshape
from .searching import where
from .sorting import argsort
from .special import expit, log_softmax as _log_softmax, logsumexp as _logsumexp
from .special import softmax as _softmax
from .statistical import cumulative_prod, cumulative_sum, max as _max, min as _min

__all__ = ["addcdiv", "addcmul", "amax", "amin", "bmm", "cat", "chunk", "clamp",
           "clone", "concatenate", "cumprod", "cumsum", "diag", "flatten", "gather",
           "index_add", "index_select", "lerp", "log_softmax", "logsumexp", "masked_fill",
           "mm", "narrow", "norm", "permute", "relu", "rsqrt", "scatter", "scatter_add",
           "sigmoid", "softmax", "split", "t", "topk", "trace", "transpose", "unsqueeze"]


# -- PyTorch's return types --------------------------------------------------------

def _return_type(name: str):
    """A namedtuple ``(values, indices)`` laid out as PyTorch prints its
    ``torch.return_types.<name>`` (one field a line), under arraygrad's own module
    name."""
    fields = ("values", "indices")
    base = namedtuple(name, fields)

    def __repr__(self):
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(fields, self))
        return f"arraygrad.return_types.{name}(\n{body})"

    return type(name, (base,), {"__slots__": (), "__repr__": __repr__,
                                "__module__": "arraygrad.return_types"})


TopkResult = _return_type("topk")
MaxResult = _return_type("max")
MinResult = _return_type("min")
SortResult = _return_type("sort")


# -- helpers -----------------------------------------------------------------------

def _runs(*functions):
    """``@dispatches`` of the operations (made by ``defop``) that ``functions`` run:
    each function itself, or those a dispatching function declares."""
    found = []
    for fn in functions:
        found.extend(getattr(fn, "ops", None) or (fn,))
    return dispatches(*found)


def _dim(dim, ndim: int) -> int:
    """``dim`` in [0, ndim), as PyTorch checks it (a 0-d tensor takes -1 and 0)."""
    n = builtins.max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, "
                         f"{n - 1}], but got {dim})")
    return dim % n


def _dims(dim, ndim: int):
    """An int or a sequence of dims as the standard's ``axis`` (None: all of them)."""
    if dim is None or isinstance(dim, (tuple, list)) and not dim:
        return None
    if isinstance(dim, (tuple, list)):
        return tuple(_dim(d, ndim) for d in dim)
    return _dim(dim, ndim)


def _shape_str(shape) -> str:
    """A shape as PyTorch's messages print it: ``[2, 3]``."""
    return "[" + ", ".join(str(n) for n in shape) + "]"


def _raw_arange(n: int, like: Tensor, axis: int, ndim: int):
    """``arange(n)`` of ``like``'s backend and integer dtype, shaped to lie along
    ``axis`` of ``ndim`` axes (a raw array: bookkeeping, never differentiated)."""
    b = like._backend
    r = b.ns.arange(n, dtype=like._data.dtype, device=like.device)
    return b.ns.reshape(r, tuple(n if k == axis else 1 for k in range(ndim)))


def _flat_positions(index: Tensor, dim: int, shape: tuple) -> Tensor:
    """The flat position, in an array of ``shape``, of the element that each entry of
    ``index`` names along ``dim`` (its other coordinates are the entry's own)."""
    b, ns = index._backend, index._backend.ns
    ndim = len(shape)
    strides = [math.prod(shape[k + 1:]) for k in range(ndim)]
    raw = index._data
    pos = ns.where(raw < 0, raw + shape[dim], raw) * strides[dim]
    for k in range(ndim):
        if k != dim:
            pos = pos + _raw_arange(raw.shape[k], index, k, ndim) * strides[k]
    return Tensor._wrap(ns.reshape(pos, (-1,)), b)


def _check_index(what: str, input: Tensor, dim: int, index: Tensor, src=None) -> None:
    """PyTorch's checks of a gather/scatter index: the input's rank, and no larger
    than the input (and than ``src``) apart from ``dim``."""
    if index.ndim != input.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as "
                           f"{'input' if what == 'gather' else 'self'} tensor")
    if index.dtype.kind not in ("signed integer", "unsigned integer"):
        raise RuntimeError(f"{what}(): Expected dtype int64 for index")
    for k, (i, n) in enumerate(zip(index.shape, input.shape)):
        if k != dim and i > n:
            where = f"Size does not match at dimension {k} expected" if what == "gather" \
                else "Expected"
            raise RuntimeError(f"{where} index {_shape_str(index.shape)} to be no larger "
                               f"than self {_shape_str(input.shape)} apart from dimension "
                               f"{dim}")
    if isinstance(src, Tensor) and any(i > s for i, s in zip(index.shape, src.shape)):
        raise RuntimeError(f"Expected index {_shape_str(index.shape)} to be no larger than "
                           f"self {_shape_str(input.shape)} apart from dimension {dim} and "
                           f"to be no larger size than src {_shape_str(src.shape)}")


def _along(dim: int, key: slice) -> tuple:
    """The basic index applying ``key`` along ``dim``: written out in full, since the
    standard does not let a key leave out trailing axes (array-api-strict refuses it)."""
    return (slice(None),) * dim + (key, Ellipsis)


def _leading(t: Tensor, shape: tuple) -> Tensor:
    """``t[:shape[0], :shape[1], …]``: its leading block of ``shape`` (itself when it
    already has that shape)."""
    if t.shape == tuple(shape):
        return t
    return getitem(t, tuple(slice(0, n) for n in shape))


# -- joining and splitting -----------------------------------------------------------

@_runs(concat)
def cat(tensors, dim=0):
    """The tensors joined along ``dim`` (the standard's ``concat``)."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("cat(): expected a non-empty list of Tensors")
    return concat(tensors, axis=dim)


concatenate = cat


@_runs(getitem)
def narrow(input, dim, start, length):
    """``length`` elements along ``dim`` from ``start`` (a view, as a basic index is)."""
    dim = _dim(dim, input.ndim)
    n = input.shape[dim]
    if start < 0:
        start += n
    if start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size "
                           f"({n}).")
    return getitem(input, _along(dim, slice(start, start + length)))


@_runs(getitem)
def split(tensor, split_size_or_sections, dim=0):
    """Pieces along ``dim``: of ``split_size_or_sections`` elements each (the last one
    may be smaller), or of the sizes in that list."""
    dim = _dim(dim, tensor.ndim)
    n = tensor.shape[dim]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        sizes = [builtins.min(size, n - s) for s in range(0, n, size)] if n else [0]
    else:
        sizes = list(split_size_or_sections)
        if builtins.sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} "
                               f"(input tensor's size at dimension {dim}), but got "
                               f"split_sizes={sizes}")
    pieces, start = [], 0
    for size in sizes:
        pieces.append(getitem(tensor, _along(dim, slice(start, start + size))))
        start += size
    return tuple(pieces)


@_runs(getitem)
def chunk(input, chunks, dim=0):
    """At most ``chunks`` pieces along ``dim``, each of ``ceil(n / chunks)`` elements
    but the last (so there may be fewer pieces than asked, as in PyTorch)."""
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    n = input.shape[_dim(dim, input.ndim)]
    return split(input, builtins.max(-(-n // chunks), 1), dim)


# -- shapes --------------------------------------------------------------------------

@_runs(reshape)
def flatten(input, start_dim=0, end_dim=-1):
    """The axes ``start_dim`` to ``end_dim`` (both included) made one."""
    if input.ndim == 0:
        return reshape(input, (1,))
    start, end = _dim(start_dim, input.ndim), _dim(end_dim, input.ndim)
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = input.shape
    return reshape(input, shape[:start] + (math.prod(shape[start:end + 1]),) + shape[end + 1:])


@_runs(expand_dims)
def unsqueeze(input, dim):
    """``input`` with a new axis of size 1 at ``dim`` (counted in the result)."""
    return expand_dims(input, axis=_dim(dim, input.ndim + 1))


@_runs(permute_dims)
def permute(input, dims):
    """The axes of ``input`` in the order ``dims``."""
    return permute_dims(input, tuple(_dim(d, input.ndim) for d in dims))


@_runs(permute_dims)
def transpose(input, dim0, dim1):
    """``input`` with the axes ``dim0`` and ``dim1`` swapped."""
    axes = list(range(input.ndim))
    d0, d1 = _dim(dim0, input.ndim), _dim(dim1, input.ndim)
    axes[d0], axes[d1] = axes[d1], axes[d0]
    return permute_dims(input, tuple(axes))


@_runs(matrix_transpose)
def t(input):
    """A matrix transposed; a tensor of fewer than 2 axes as it is (PyTorch's ``t``)."""
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{input.ndim}D")
    return matrix_transpose(input) if input.ndim == 2 else input


@_runs(copy)
def clone(input):
    """A copy of ``input``, recorded (``CloneBackward0``)."""
    return copy(input)


# -- indexing ------------------------------------------------------------------------

@_runs(take_along_axis, getitem)
def gather(input, dim, index):
    """``out[i][j] = input[i][index[i][j]]`` for ``dim = 1`` (and so on for other
    dims): ``take_along_axis`` of ``input``'s leading block of ``index``'s shape."""
    dim = _dim(dim, input.ndim)
    _check_index("gather", input, dim, index)
    block = tuple(n if k == dim else i for k, (i, n) in enumerate(zip(index.shape, input.shape)))
    return take_along_axis(_leading(input, block), index, axis=dim)


@_runs(take, where, getitem)
def scatter(input, dim, index, src=None, *, value=None):
    """A copy of ``input`` with ``src[i][j]`` written at ``[i][index[i][j]]`` (for
    ``dim = 1``), or the number ``value``. Where an index repeats, the last value
    lands, as in PyTorch on the CPU (PyTorch leaves it unspecified).

    Built from ``take`` and ``where``, not from an index assignment, which the
    standard does not have for index arrays (array-api-strict refuses it): the target
    of each element is found with the scatter-add's bookkeeping (the last of a run of
    equal positions, in a stable sort). The gradient is ``input``'s where nothing is
    written and ``src``'s at the values that land; PyTorch also gives one to the values
    overwritten by a repeated index (it gathers the gradient at every index)."""
    if (src is None) == (value is None):
        raise TypeError("scatter() takes src or value, one of them")
    dim = _dim(dim, input.ndim)
    _check_index("scatter", input, dim, index, src)
    flat = reshape(input, (-1,))
    positions = _flat_positions(index, dim, input.shape)
    if positions.shape[0] == 0:
        return copy(input)
    order, _, _, last, present = _take_segments(positions, flat.shape[0])
    if src is not None:
        values = reshape(_leading(src, index.shape), (-1,))
        value = take(values, take(order, last, axis=0), axis=0)
    return reshape(where(present, value, flat), input.shape)


@_runs(add, take, where)
def scatter_add(input, dim, index, src):
    """``input`` plus ``src[i][j]`` added at ``[i][index[i][j]]`` (for ``dim = 1``),
    repeated indices adding up: the scatter-add of ``take``'s gradient rule."""
    dim = _dim(dim, input.ndim)
    _check_index("scatter_add", input, dim, index, src)
    values = reshape(_leading(src, index.shape), (-1,))
    added = _scatter_add_rows(_namespace(), values, _flat_positions(index, dim, input.shape),
                              math.prod(input.shape), 0)
    return add(input, reshape(added, input.shape))


@_runs(add, take, where, multiply)
def index_add(input, dim, index, source, *, alpha=1):
    """``input`` plus ``alpha * source``, whose slices along ``dim`` are added at the
    positions ``index`` names (repeats add up)."""
    dim = _dim(dim, input.ndim)
    if index.ndim > 1:
        raise IndexError("index_add_(): Index is supposed to be a vector")
    if alpha != 1:
        source = multiply(source, alpha)
    added = _scatter_add_rows(_namespace(), source, index, input.shape[dim], dim)
    return add(input, added)


@_runs(take)
def index_select(input, dim, index):
    """The slices of ``input`` along ``dim`` at the positions of the 1-d ``index``
    (``take``; ``IndexSelectBackward0``)."""
    if index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    return take(input, reshape(index, (-1,)), axis=_dim(dim, input.ndim))


@_runs(where)
def masked_fill(input, mask, value):
    """``input`` with ``value`` where ``mask`` is true (``where(mask, value, input)``)."""
    if isinstance(value, Tensor) and value.ndim:
        raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but "
                           f"got tensor with {value.ndim} dimension(s).")
    if isinstance(value, Tensor) and value.dtype != input.dtype:
        value = astype(value, input.dtype)
    out = where(mask, value, input)
    return out if out.shape == input.shape else broadcast_to(out, input.shape)


# -- activations and reductions ------------------------------------------------------

@_runs(expit)
def sigmoid(input):
    """The logistic function ``1 / (1 + exp(-input))`` (``special.expit``)."""
    return expit(input)


@_runs(where, greater)
def relu(input):
    """``max(input, 0)``, with gradient 0 at 0 (as PyTorch's)."""
    return where(greater(input, 0), input, 0.0 if input.dtype.is_floating_point else 0)


@_runs(_logsumexp)
def logsumexp(input, dim, keepdim=False):
    """``log(sum(exp(input)))`` over ``dim`` (an int or a tuple), without overflow."""
    return _logsumexp(input, axis=_dims(dim, input.ndim) if dim != () else (), keepdims=keepdim)


@_runs(_softmax)
def softmax(input, dim, dtype=None):
    """``exp(input)`` normalized to sum to 1 along ``dim``."""
    if dtype is not None:
        input = astype(input, dtype)
    return _softmax(input, axis=_dim(dim, input.ndim))


@_runs(_log_softmax)
def log_softmax(input, dim, dtype=None):
    """``input - logsumexp(input, dim, keepdim=True)``."""
    if dtype is not None:
        input = astype(input, dtype)
    return _log_softmax(input, axis=_dim(dim, input.ndim))


@_runs(_max)
def amax(input, dim=(), keepdim=False):
    """The largest element over ``dim`` (all of them for ``()``); ties share the
    gradient evenly (``AmaxBackward0``)."""
    return _max(input, axis=_dims(dim, input.ndim), keepdims=keepdim)


@_runs(_min)
def amin(input, dim=(), keepdim=False):
    """The smallest element over ``dim`` (all of them for ``()``); ties share the
    gradient evenly (``AminBackward0``)."""
    return _min(input, axis=_dims(dim, input.ndim), keepdims=keepdim)


@_runs(vector_norm, matrix_norm)
def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """The ``p``-norm of ``input`` over ``dim`` (all elements by default): ``"fro"`` is
    the 2-norm of the elements, ``"nuc"`` the nuclear norm of a matrix (two dims)."""
    if dtype is not None:
        input = astype(input, dtype)
    axis = _dims(dim, input.ndim)
    if p == "nuc":
        axes = axis if axis is not None else tuple(range(input.ndim))
        if len(axes) != 2:
            raise RuntimeError("nuclear norm requires a 2-D input or two dims")
        moved = permute_dims(input, tuple(k for k in range(input.ndim) if k not in axes) + axes)
        out = matrix_norm(moved, ord="nuc", keepdims=False)
        if keepdim:
            out = expand_dims(expand_dims(out, axis=builtins.min(axes)), axis=builtins.max(axes))
        return out
    return vector_norm(input, axis=axis, keepdims=keepdim, ord=2 if p == "fro" else p)


@_runs(cumulative_sum)
def cumsum(input, dim, *, dtype=None):
    """The running sum along ``dim`` (``CumsumBackward0``)."""
    return cumulative_sum(input, axis=_dim(dim, input.ndim), dtype=dtype)


@_runs(cumulative_prod)
def cumprod(input, dim, *, dtype=None):
    """The running product along ``dim``, exact with zeros (``CumprodBackward0``)."""
    return cumulative_prod(input, axis=_dim(dim, input.ndim), dtype=dtype)


@_runs(take_along_axis)
def topk(input, k, dim=-1, largest=True, sorted=True):
    """The ``k`` largest (or smallest) elements along ``dim`` and their indices, largest
    first (smallest first). The order is a stable sort's, so tied elements come in the
    order of their positions; ``sorted=False`` gives the same order."""
    if input.ndim == 0:  # PyTorch takes a 0-d tensor as one element
        values, indices = topk(reshape(input, (1,)), k, 0, largest)
        return TopkResult(reshape(values, ()), reshape(indices, ())) if k else \
            TopkResult(values, indices)
    dim = _dim(dim, input.ndim)
    if not 0 <= k <= input.shape[dim]:
        raise RuntimeError("selected index k out of range")
    order = argsort(input, axis=dim, descending=largest, stable=True)
    indices = getitem(order, _along(dim, slice(0, k)))
    return TopkResult(take_along_axis(input, indices, axis=dim), indices)


# -- linear algebra ------------------------------------------------------------------

@_runs(matmul)
def mm(input, mat2):
    """The product of two matrices (2-d only, as PyTorch's ``mm``)."""
    if input.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    return matmul(input, mat2)


@_runs(matmul)
def bmm(input, mat2):
    """The products of two stacks of matrices (3-d only, as PyTorch's ``bmm``)."""
    if input.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    return matmul(input, mat2)


@_runs(_diagonal, where)
def diag(input, diagonal=0):
    """A 1-d tensor's square matrix with it on the ``diagonal``-th diagonal, or a
    matrix's ``diagonal``-th diagonal."""
    if input.ndim == 2:
        return _diagonal(input, offset=diagonal)
    if input.ndim != 1:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")
    m, k = input.shape[0], abs(diagonal)
    n = m + k
    b = input._backend
    zeros = Tensor._wrap(b.ns.zeros((k,), dtype=input._data.dtype, device=input.device), b)
    row = cat([zeros, input] if diagonal >= 0 else [input, zeros])
    mask = Tensor._wrap(b.ns.eye(n, k=diagonal, dtype=b.ns.bool, device=input.device), b)
    # where, not a product with the identity: 0 * inf would put NaN off the diagonal.
    return where(mask, expand_dims(row, axis=0), 0.0 if input.dtype.is_floating_point else 0)


@_runs(_trace)
def trace(input):
    """The sum of a matrix's diagonal (2-d only, as PyTorch's ``trace``)."""
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    return _trace(input)


# -- element-wise --------------------------------------------------------------------

@_runs(clip)
def clamp(input, min=None, max=None):
    """``input`` limited to [min, max] (the standard's ``clip``; ``ClampBackward1``)."""
    return clip(input, min, max)


@_runs(add, multiply)
def addcmul(input, tensor1, tensor2, *, value=1):
    """``input + value * tensor1 * tensor2``."""
    return add(input, multiply(multiply(tensor1, tensor2), value))


@_runs(add, divide, multiply)
def addcdiv(input, tensor1, tensor2, *, value=1):
    """``input + value * tensor1 / tensor2``."""
    return add(input, multiply(divide(tensor1, tensor2), value))


@_runs(add, subtract, multiply)
def lerp(input, end, weight):
    """``input + weight * (end - input)``."""
    return add(input, multiply(weight, subtract(end, input)))


@_runs(divide, sqrt)
def rsqrt(input):
    """``1 / sqrt(input)``."""
    return divide(1.0, sqrt(input))


def _namespace():
    """arraygrad's operations as a namespace, for a rule helper run on Tensors (the
    ``ops`` package: importing it at module level would be circular)."""
    from .. import ops
    return ops
