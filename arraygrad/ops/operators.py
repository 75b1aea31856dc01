"""Tensor's operators and the methods that are operations, installed on ``Tensor`` here,
in one place (as Chainer's ``basic_math`` installs Variable's): the Tensor class sits
below the operations and knows none of them.

=====================  ================================================================
``+ - * / // % ** @``  ``add subtract multiply divide floor_divide remainder pow matmul``
``& | ^ << >>``        ``bitwise_and bitwise_or bitwise_xor bitwise_left_shift/right_shift``
reflected (``__radd__``...)  the same operations with the operands swapped
in place (``__iadd__``...)   the same operations, written in place (``_inplace``)
``< <= > >= == !=``    ``less less_equal greater greater_equal equal not_equal``
``-x +x abs(x) ~x``    ``negative positive abs bitwise_invert``
``x[key]``             ``getitem``; ``x[key] = v``: ``setitem``
``.T .mT .real .imag`` ``permute_dims matrix_transpose real imag``; ``.to_device``
PyTorch's methods      ``TorchMethods`` (``x.sum(dim=0)``, ``x.eq(y)``, ...)
=====================  ================================================================
"""
from __future__ import annotations

import operator

from .. import backend as _backend_mod
from .._tensor import _PY_SCALARS, LEAF_IN_PLACE, Tensor, mixed_backends
from ..autograd.grad_mode import is_grad_enabled
from ._define import _NO_KWARGS
from . import dtypes, elementwise, indexing, linalg, manipulation
from .torch_methods import TorchMethods

_wrap = Tensor._wrap

OPERATORS = {
    "add": elementwise.add, "sub": elementwise.subtract, "mul": elementwise.multiply,
    "truediv": elementwise.divide, "floordiv": elementwise.floor_divide,
    "mod": elementwise.remainder, "pow": elementwise.pow, "matmul": linalg.matmul,
    "and": elementwise.bitwise_and, "or": elementwise.bitwise_or,
    "xor": elementwise.bitwise_xor, "lshift": elementwise.bitwise_left_shift,
    "rshift": elementwise.bitwise_right_shift,
}
COMPARISONS = {
    "lt": elementwise.less, "le": elementwise.less_equal, "gt": elementwise.greater,
    "ge": elementwise.greater_equal, "eq": elementwise.equal, "ne": elementwise.not_equal,
}
UNARY = {"neg": elementwise.negative, "pos": elementwise.positive, "abs": elementwise.abs,
         "invert": elementwise.bitwise_invert}
# The in-place backend operator for each operation: what ``x op= y`` runs on the array
# itself when it may be written (``_inplace``).
IN_PLACE = {fn: getattr(operator, f"i{short}") for short, fn in OPERATORS.items()}

# The operations whose forward is exactly the backend array's own operator
# (``x1 + x2``...): the operator methods call it directly, without the forward's frame.
OWN_OPERATOR = {elementwise.add: operator.add, elementwise.subtract: operator.sub,
                elementwise.multiply: operator.mul, elementwise.divide: operator.truediv,
                elementwise.floor_divide: operator.floordiv,
                elementwise.remainder: operator.mod}

# Python numbers an operator takes as they are (the standard's scalar operands).
_SCALARS = frozenset({int, float, complex, bool})


def _is_operand(value) -> bool:
    return isinstance(value, (Tensor, *_PY_SCALARS)) or _backend_mod.is_backend_array(value)


def _binary(fn, reflected: bool = False):
    """The operator method for ``fn`` (``__add__``; ``__radd__`` when ``reflected``,
    the operands swapped). Unknown operand types get NotImplemented, so Python tries
    the other operand's reflected operator.

    Fast path: for an operation of two inputs (not one that dispatches, as pow and
    matmul do), the call that element-wise code makes nearly always (the other operand
    a tensor of the same backend, or a Python number) runs the forward here, in the
    method: one Python call where the method, ``Op.__call__`` and its argument
    handling were three; about 0.15 µs of the 1 µs of ``a + b`` on 3-element NumPy
    tensors under ``no_grad`` (``benchmarks/workloads/nograd.py``). Everything else
    goes through ``Op.__call__``."""
    op = getattr(fn, "op", None)
    if op is None or op.n_inputs != 2 or op.variadic:
        def method(self, other):
            if other.__class__ not in _SCALARS and not _is_operand(other):
                return NotImplemented
            return fn(other, self) if reflected else fn(self, other)
        method.__name__ = fn.__name__
        return method
    forward, record, grad_bits = op.forward, op._record, op._grad_bits
    own = OWN_OPERATOR.get(fn)

    # Two spellings of one method, the operands in either order: a branch on
    # ``reflected`` inside one method would be paid at every operator call.
    if reflected:
        def method(self, other):
            cls = other.__class__
            if cls is Tensor and other._backend is self._backend:
                data, wants = other._data, other._requires_grad
            elif cls in _SCALARS:
                data, wants = other, False
            else:
                return _general(op, other, self, other)
            backend = self._backend
            out = own(data, self._data) if own is not None else \
                forward(backend.ns, data, self._data)
            if (wants or self._requires_grad) and is_grad_enabled():
                mask = (wants | self._requires_grad << 1) & grad_bits
                if mask:
                    return record(backend, (other, self), (data, self._data), _NO_KWARGS,
                                  out, mask, 2)
            return _wrap(out, backend)
    else:
        def method(self, other):
            cls = other.__class__
            if cls is Tensor and other._backend is self._backend:
                data, wants = other._data, other._requires_grad
            elif cls in _SCALARS:
                data, wants = other, False
            else:
                return _general(op, self, other, other)
            backend = self._backend
            out = own(self._data, data) if own is not None else \
                forward(backend.ns, self._data, data)
            if (self._requires_grad or wants) and is_grad_enabled():
                mask = (self._requires_grad | wants << 1) & grad_bits
                if mask:
                    return record(backend, (self, other), (self._data, data), _NO_KWARGS,
                                  out, mask, 2)
            return _wrap(out, backend)
    method.__name__ = fn.__name__
    return method


def _general(op, x1, x2, other):
    """An operator off the fast path: ``op`` through ``Op.__call__``, or NotImplemented
    for an ``other`` operand that arraygrad does not take."""
    if not _is_operand(other):
        return NotImplemented
    return op((x1, x2), _NO_KWARGS)


def _inplace_operator(fn):
    def method(self, other):
        if self._view is not None:  # a view, or a tensor with views (see ops.indexing)
            return indexing.write_view(self, Tensor._inplace, fn, other)
        return self._inplace(fn, other)
    method.__name__ = fn.__name__
    return method


def _inplace(self, fn, other):
    """``self <op>= other``. Written into the array itself when nobody else can see it
    and nothing is recorded; otherwise computed anew, and the tensor rebound to the new
    array (and, when recording, to the new node): values saved for backward stay intact
    either way. The dtype and shape never change (a float of another precision is cast
    back, as NumPy and PyTorch do)."""
    if not _is_operand(other):
        return NotImplemented
    other_is_tensor = isinstance(other, Tensor)
    if other_is_tensor and other._backend is not self._backend:
        raise mixed_backends(fn.__name__, self._backend, other._backend)
    recording = is_grad_enabled() and (
        self._requires_grad or other_is_tensor and other._requires_grad)
    if not recording:
        if self._holds_private_data() and self._backend.owns_buffer(self._data):
            old = self._data
            new = IN_PLACE[fn](old, other._data if other_is_tensor else other)
            if new is not old:  # an immutable backend (JAX, Dask) made a new array
                new = _fit_inplace(self, Tensor._wrap(new, self._backend), fn)._data
            self._data = new
        else:
            self._data = _fit_inplace(self, fn(self, other), fn)._data
        self._bump_version()
        return self
    if self.grad_fn is None and self._requires_grad:
        raise RuntimeError(LEAF_IN_PLACE)
    self._rebind(_fit_inplace(self, fn(self, other), fn))
    self._bump_version()
    return self


def _fit_inplace(target: Tensor, result: Tensor, fn) -> Tensor:
    """The result of an in-place operation, in the target's shape and dtype."""
    if result.shape != target.shape:
        raise ValueError(f"in-place {fn.__name__} would change the shape of the tensor "
                         f"from {target.shape} to {result.shape}")
    if result.dtype != target.dtype:
        if result.dtype.kind != target.dtype.kind or not target.dtype.is_differentiable:
            raise TypeError(f"in-place {fn.__name__} would change the dtype of the tensor "
                            f"from {target.dtype.name} to {result.dtype.name}")
        result = dtypes.astype(result, target.dtype)
    return result


def _getitem(self, key):
    return indexing.getitem(self, key)


def _setitem(self, key, value):
    if self._view is None:  # no view and none of it: the write itself, one call less
        indexing._setitem(self, key, value)
    else:
        indexing.setitem(self, key, value)


def _T(self) -> Tensor:
    if self.ndim != 2:
        raise ValueError(f".T needs a 2-d tensor, not {self.ndim}-d; use .mT for stacks "
                         "of matrices")
    return manipulation.permute_dims(self, (1, 0))


def _mT(self) -> Tensor:
    return linalg.matrix_transpose(self)


# NumPy and PyTorch arrays carry ``.real`` and ``.imag`` as attributes, and code written
# for them uses them (SciPy's signal.minimum_phase takes ``h.real``): the namespace's
# recorded ``real``/``imag``, so that they are differentiable. They are new tensors, not
# views: writing into one does not write the complex tensor.
def _real(self) -> Tensor:
    """The real part; for a real tensor, its values (still recorded, as PyTorch)."""
    return elementwise.real(self)


def _imag(self) -> Tensor:
    """The imaginary part; a real tensor has none (PyTorch's error, where NumPy would
    give zeros that no write could change)."""
    if self.dtype.kind != "complex floating":
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return elementwise.imag(self)


def _to_device(self, device, /, *, stream=None) -> Tensor:
    return dtypes.to_device(self, device, stream=stream)


def _convert(self, dtype, device, copy) -> Tensor:
    """``asarray`` of a tensor: itself, or a recorded conversion of it."""
    t = self
    if dtype is not None and dtype != t.dtype:
        t = dtypes.astype(t, dtype)
    if device is not None and device != t.device:
        t = dtypes.to_device(t, device)
    if copy and t is self:
        t = dtypes.copy(t)
    elif copy is False and t is not self:
        raise ValueError("asarray(copy=False) cannot avoid a copy to change dtype or device")
    return t


def install() -> None:
    for short, fn in OPERATORS.items():
        setattr(Tensor, f"__{short}__", _binary(fn))
        setattr(Tensor, f"__r{short}__", _binary(fn, reflected=True))
        setattr(Tensor, f"__i{short}__", _inplace_operator(fn))
    for short, fn in COMPARISONS.items():
        setattr(Tensor, f"__{short}__", _binary(fn))
    for short, fn in UNARY.items():
        setattr(Tensor, f"__{short}__", fn)
    Tensor.__getitem__ = _getitem
    Tensor.__setitem__ = _setitem
    Tensor._inplace = _inplace
    Tensor._convert = _convert
    Tensor.T, Tensor.mT = property(_T), property(_mT)
    Tensor.real, Tensor.imag = property(_real), property(_imag)
    Tensor.to_device = _to_device
    for name, method in vars(TorchMethods).items():
        if not name.startswith("__") and name not in vars(Tensor):
            setattr(Tensor, name, method)


install()
