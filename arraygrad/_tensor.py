"""``Tensor``: one backend array, its place in the graph, and its gradient.

A tensor is ``data`` (an array of its backend) plus where it sits in the graph:
``grad_fn`` and ``_output_nr`` for a tensor some operation produced, or nothing for a
leaf. Operators call the namespace's operations (``arraygrad.ops``); the PyTorch-style
methods come from ``TorchMethods``.

In-place operators never change a value saved for backward. They write into the
array itself only when nothing else can see it (no saved value, no other tensor, no
view, no user reference) and nothing is being recorded; otherwise they compute a new
array and rebind the tensor to it (and to a new node in the graph).

A basic index still gives a view, as in NumPy and PyTorch: ``_view`` links a view to
its base and a base to its live views, and a write into either is carried to the
others by further such writes (``ops.indexing.write_view``).
"""
from __future__ import annotations

import math
import operator
import sys
import warnings

import array_api_compat

from . import backend as _backend_mod
from . import dtypes as _dt
from .autograd import graph_breaks as _graph_breaks
from .autograd.grad_mode import is_grad_enabled
from .printing import tensor_repr
from .torch_methods import TorchMethods

current_backend = _backend_mod.current
_PY_SCALARS = (int, float, complex)

NON_LEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its "
    ".grad attribute won't be populated during autograd.backward(). If you indeed want "
    "the .grad field to be populated for a non-leaf Tensor, use .retain_grad() on the "
    "non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure you access "
    "the leaf Tensor instead.")

CUT_GRAPH = (
    "Can't convert a Tensor that requires grad to a {what}: the conversion would cut the "
    "graph and its gradients would silently be zero. Use tensor.detach() first, or keep "
    "the computation in arraygrad.")


class Tensor(TorchMethods):
    """An array that records the operations made on it, for automatic differentiation."""

    __slots__ = ("data", "_grad", "grad_fn", "_output_nr", "_requires_grad", "_backend",
                 "_view", "__weakref__")

    # NumPy defers to our reflected operators instead of converting us.
    __array_ufunc__ = None
    __hash__ = object.__hash__

    def __init__(self, data, requires_grad: bool = False):
        t = asarray(data)
        self.data = t.data
        self._backend = t._backend
        self._grad = None
        self.grad_fn = None
        self._output_nr = 0
        self._requires_grad = False
        self._view = None
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _wrap(data, backend, grad_fn=None, output_nr=0, requires_grad=False):
        """A tensor around a backend array (the hot path: no checks)."""
        t = _new(Tensor)
        t.data = data
        t._backend = backend
        t._grad = None
        t.grad_fn = grad_fn
        t._output_nr = output_nr
        t._requires_grad = requires_grad
        t._view = None  # see ops.indexing: what a write into this tensor must update
        return t

    @staticmethod
    def _from_edge(data, backend, edge):
        """A tensor holding ``data`` at graph position ``edge`` (for saved values)."""
        if backend is None:
            backend = _backend_mod.backend_of_array(data)
        if edge is None:
            return Tensor._wrap(data, backend)
        vertex, nr = edge
        if isinstance(vertex, Tensor):  # a leaf
            if vertex.data is data:
                return vertex
            # The leaf has been written in place since: route through an alias node.
            from .autograd.function import LeafAlias
            return Tensor._wrap(data, backend, LeafAlias.of(vertex), 0, True)
        return Tensor._wrap(data, backend, vertex, nr, True)

    # -- autograd attributes -----------------------------------------------------

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        self.requires_grad_(flag)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        if self.grad_fn is not None:
            if not requires_grad:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want "
                    "to use a computed variable in a subgraph that doesn't require "
                    "differentiation use var_no_grad = var.detach().")
            return self
        if requires_grad and not self.dtype.is_differentiable:
            raise RuntimeError(
                "only Tensors of floating point and complex dtype can require gradients "
                f"(this one is {self.dtype.name})")
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def grad(self):
        if self.grad_fn is not None and not self.retains_grad:
            warnings.warn(NON_LEAF_GRAD_WARNING, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad must be a Tensor or None, not {type(value).__name__}")
            if value.shape != self.shape:
                raise RuntimeError(f"assigned grad has shape {value.shape}, but the tensor has "
                                   f"shape {self.shape}")
        self._grad = value

    @property
    def retains_grad(self) -> bool:
        node = self.grad_fn
        return node is not None and node._retained is not None and self._output_nr in node._retained

    def retain_grad(self) -> None:
        """Fill ``.grad`` of this non-leaf tensor during backward, as for a leaf."""
        if self.grad_fn is None:
            if not self._requires_grad:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        import weakref
        node = self.grad_fn
        if node._retained is None:
            node._retained = {}
        node._retained[self._output_nr] = weakref.ref(self)

    def register_hook(self, hook):
        """``hook(grad)`` runs when the gradient of this tensor is computed in backward;
        it may return a replacement gradient. Returns a handle with ``.remove()``."""
        from .autograd.hooks import register_tensor_hook
        return register_tensor_hook(self, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """``hook(tensor)`` runs after a gradient is accumulated into this leaf's
        ``.grad``. Returns a handle with ``.remove()``."""
        from .autograd.hooks import register_post_accumulate_grad_hook
        return register_post_accumulate_grad_hook(self, hook)

    def detach(self) -> "Tensor":
        """The same data, outside the graph."""
        return Tensor._wrap(self.data, self._backend)

    def detach_(self) -> "Tensor":
        self.grad_fn = None
        self._output_nr = 0
        self._requires_grad = False
        return self

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate the gradient of this tensor into the leaves' ``.grad``."""
        from .autograd.engine import backward
        backward((self,), None if gradient is None else (gradient,), retain_graph,
                 create_graph, inputs)

    # -- pickling and copying (as PyTorch) ---------------------------------------

    def __reduce__(self):
        """Pickle the backend by name and the data as the backend's own array, with
        ``requires_grad`` (not ``.grad``, as PyTorch). A non-leaf comes back as a leaf
        that requires grad, as in PyTorch: the graph is not pickled."""
        from .backends import pickle_array
        backend = self._backend.name
        args = (type(self), backend, pickle_array(backend, self.data), self._requires_grad)
        state = getattr(self, "__dict__", None)  # a subclass's own attributes
        return (Tensor._unpickle, args, state) if state else (Tensor._unpickle, args)

    @staticmethod
    def _unpickle(cls, backend: str, data, requires_grad: bool):
        t = _new(cls)
        t._backend = _backend_mod.get_backend(backend)
        t.data = t._backend.adopt(data)
        t._grad = None
        t.grad_fn = None
        t._output_nr = 0
        t._requires_grad = requires_grad
        t._view = None
        return t

    def __copy__(self):
        """A new leaf with the same data (``copy.copy``): ``requires_grad`` kept, no
        ``.grad``, as PyTorch's."""
        new = self._unpickle(type(self), self._backend.name, self.data, self._requires_grad)
        state = getattr(self, "__dict__", None)
        if state:
            new.__dict__.update(state)
        return new

    def __deepcopy__(self, memo):
        """A new leaf with a copy of the data and of ``.grad`` (``copy.deepcopy``); a
        non-leaf refuses, as in PyTorch."""
        if self.grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the "
                "deepcopy protocol at the moment. Use tensor.detach() first, or "
                "copy.copy(tensor).")
        import copy
        backend = self._backend
        new = self._unpickle(type(self), backend.name,
                             backend.xp.asarray(self.data, copy=True), self._requires_grad)
        memo[id(self)] = new
        if self._grad is not None:
            new._grad = copy.deepcopy(self._grad, memo)
        state = getattr(self, "__dict__", None)
        if state:
            new.__dict__.update(copy.deepcopy(state, memo))
        return new

    # -- array attributes --------------------------------------------------------

    @property
    def shape(self) -> tuple:
        """The sizes of the axes; ``None`` for a size a lazy backend does not know yet
        (Dask's NaN, after a boolean mask), as the standard says."""
        if not self._backend.unknown_sizes:  # the profile's word (Dask's sizes may be NaN)
            return tuple(self.data.shape)
        return tuple(None if n != n else n for n in self.data.shape)

    @property
    def dtype(self) -> _dt.DType:
        return self._backend.dtype_of(self.data)

    @property
    def device(self):
        return array_api_compat.device(self.data)

    @property
    def ndim(self) -> int:
        return len(self.data.shape)

    @property
    def size(self):
        """The number of elements (``None`` when a lazy backend does not know yet)."""
        shape = self.shape
        if any(n is None or n != n for n in shape):
            return None
        return math.prod(shape)

    @property
    def T(self) -> "Tensor":
        if self.ndim != 2:
            raise ValueError(f".T needs a 2-d tensor, not {self.ndim}-d; use .mT for stacks "
                             "of matrices")
        return _ops.permute_dims(self, (1, 0))

    @property
    def mT(self) -> "Tensor":
        return _ops.matrix_transpose(self)

    # NumPy and PyTorch arrays carry ``.real`` and ``.imag`` as attributes, and code
    # written for them uses them (SciPy's signal.minimum_phase takes ``h.real``): the
    # namespace's recorded ``real``/``imag``, so that they are differentiable. They are
    # new tensors, not views: writing into one does not write the complex tensor.
    @property
    def real(self) -> "Tensor":
        """The real part; for a real tensor, its values (still recorded, as PyTorch)."""
        return _ops.real(self)

    @property
    def imag(self) -> "Tensor":
        """The imaginary part; a real tensor has none (PyTorch's error, where NumPy would
        give zeros that no write could change)."""
        if self.dtype.kind != "complex floating":
            raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
        return _ops.imag(self)

    def to_device(self, device, /, *, stream=None) -> "Tensor":
        return _ops.to_device(self, device, stream=stream)

    def __array_namespace__(self, /, *, api_version=None):
        if api_version not in (None, "2021.12", "2022.12", "2023.12", "2024.12", "2025.12"):
            raise ValueError(f"arraygrad does not implement Array API version {api_version!r}")
        import arraygrad
        return arraygrad

    # -- leaving arraygrad -------------------------------------------------------

    def _host(self, what: str):
        if self._requires_grad:
            raise RuntimeError(CUT_GRAPH.format(what=what))
        return self._backend.to_host(self.data)

    def numpy(self):
        """A host NumPy copy of the values, from any backend and device."""
        if self._requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. "
                               "Use tensor.detach().numpy() instead.")
        return self._backend.to_host(self.data).copy()

    def __array__(self, dtype=None, copy=None):
        host = self._host("NumPy array")
        if dtype is not None:
            host = host.astype(dtype)
        return host.copy() if copy else host

    def __array_function__(self, func, types, args, kwargs):
        """NumPy's functions take a tensor as the array-like it is: its values, through
        ``__array__``, so that a tensor that requires grad gets ``__array__``'s error
        (NumPy's result would be cut from the graph). Left to NumPy, ``np.sum(t)``
        and the like would call the PyTorch-style methods with NumPy's keywords
        (``out=``) and fail with an unrelated error. The functions that only read the
        shape (``np.shape``, ``np.ndim``, ``np.size``) read it, whatever the tensor."""
        if func.__name__ in _NUMPY_SHAPE_FUNCTIONS:
            return func._implementation(*args, **kwargs)
        return func(*_to_numpy(args), **_to_numpy(kwargs))

    def __dlpack__(self, /, *, stream=None, max_version=None, dl_device=None, copy=None):
        if self._requires_grad:
            raise RuntimeError(CUT_GRAPH.format(what="DLPack capsule"))
        options = {"stream": stream, "max_version": max_version, "dl_device": dl_device,
                   "copy": copy}
        # Pass on only what was asked: older exporters do not know the newer keywords.
        return self._dlpack_source().__dlpack__(
            **{k: v for k, v in options.items() if v is not None})

    def __dlpack_device__(self):
        return self._dlpack_source().__dlpack_device__()

    def _dlpack_source(self):
        """The array to export: the data itself, or a host copy where the backend has
        no DLPack (Dask) or the data is a NumPy scalar."""
        data = self.data
        return data if hasattr(data, "__dlpack__") else self._backend.to_host(data)

    # Each conversion to a Python value checks for a graph break only while detection
    # is on (one flag read otherwise): see arraygrad/autograd/graph_breaks.py.

    def item(self):
        """The single value as a Python number."""
        if _graph_breaks.ENABLED:
            _graph_breaks.check(self, "tensor.item()")
        if self.size != 1:
            raise RuntimeError(f"a Tensor with {self.size} elements cannot be converted to Scalar")
        kind = self.dtype.kind
        value = self._backend.xp.reshape(self.data, ()) if self.ndim else self.data
        if kind == "bool":
            return bool(value)
        if kind in ("signed integer", "unsigned integer"):
            return int(value)
        if kind == "real floating":
            return float(value)
        return complex(value)

    def tolist(self):
        if _graph_breaks.ENABLED:
            _graph_breaks.check(self, "tensor.tolist()")
        return self._backend.to_host(self.data).tolist()

    def __bool__(self) -> bool:
        if _graph_breaks.ENABLED:
            _graph_breaks.check(self, "bool(tensor)")
        return bool(self.data)

    def __float__(self) -> float:
        if _graph_breaks.ENABLED:
            _graph_breaks.check(self, "float(tensor)")
        return float(self.data)

    def __int__(self) -> int:
        if _graph_breaks.ENABLED:
            _graph_breaks.check(self, "int(tensor)")
        return int(self.data)

    def __complex__(self) -> complex:
        if _graph_breaks.ENABLED:
            _graph_breaks.check(self, "complex(tensor)")
        return complex(self.data)

    def __index__(self) -> int:
        if _graph_breaks.ENABLED:
            _graph_breaks.check(self, "operator.index(tensor)")
        return operator.index(self.data)

    def __len__(self) -> int:
        if not self.ndim:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self):
        if not self.ndim:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i, ...] for i in range(self.shape[0]))

    def __repr__(self) -> str:
        backend = self._backend
        dtype = self.dtype
        host = backend.to_host(self.data)
        hidden = (backend.default_float,) if host.size == 0 else (
            backend.default_float, backend.default_complex, backend.default_int, _dt.bool)
        suffixes = []
        if self.grad_fn is not None:
            suffixes.append(f"grad_fn=<{self.grad_fn.name()}>")
        elif self._requires_grad:
            suffixes.append("requires_grad=True")
        return tensor_repr(host, dtype_name=None if dtype in hidden else repr(dtype),
                           suffixes=suffixes)

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        if not self.ndim and spec:
            return format(self.item(), spec)
        return repr(self)

    # -- operators ---------------------------------------------------------------

    def __getitem__(self, key):
        return _ops.getitem(self, key)

    def __setitem__(self, key, value):
        if self._view is None:  # no view and none of it: the write itself, one call less
            _setitem(self, key, value)
        else:
            _ops.setitem(self, key, value)

    def _inplace(self, fn, other):
        """``self <op>= other``. Written into the array itself when nobody else can see
        it and nothing is recorded; otherwise computed anew, and the tensor rebound to
        the new array (and, when recording, to the new node): values saved for backward
        stay intact either way. The dtype and shape never change (a float of another
        precision is cast back, as NumPy and PyTorch do)."""
        if not _is_operand(other):
            return NotImplemented
        other_is_tensor = isinstance(other, Tensor)
        if other_is_tensor and other._backend is not self._backend:
            raise mixed_backends(fn.__name__, self._backend, other._backend)
        recording = is_grad_enabled() and (
            self._requires_grad or other_is_tensor and other._requires_grad)
        if not recording:
            if _refs(self) <= _PRIVATE_REFS and self._backend.owns_buffer(self.data):
                old = self.data
                new = _IN_PLACE[fn](old, other.data if other_is_tensor else other)
                if new is not old:  # an immutable backend (JAX, Dask) made a new array
                    new = _fit_inplace(self, Tensor._wrap(new, self._backend), fn).data
                self.data = new
            else:
                self.data = _fit_inplace(self, fn(self, other), fn).data
            return self
        if self.grad_fn is None and self._requires_grad:
            raise RuntimeError("a leaf Variable that requires grad is being used in an "
                               "in-place operation.")
        self._rebind(_fit_inplace(self, fn(self, other), fn))
        return self

    def _rebind(self, result: "Tensor") -> None:
        """Become ``result``: its data and its place in the graph."""
        self.data = result.data
        self.grad_fn = result.grad_fn
        self._output_nr = result._output_nr
        self._requires_grad = result._requires_grad


def _fit_inplace(target: Tensor, result: Tensor, fn) -> Tensor:
    """The result of an in-place operation, in the target's shape and dtype."""
    if result.shape != target.shape:
        raise ValueError(f"in-place {fn.__name__} would change the shape of the tensor "
                         f"from {target.shape} to {result.shape}")
    if result.dtype != target.dtype:
        if result.dtype.kind != target.dtype.kind or not target.dtype.is_differentiable:
            raise TypeError(f"in-place {fn.__name__} would change the dtype of the tensor "
                            f"from {target.dtype.name} to {result.dtype.name}")
        result = _ops.astype(result, target.dtype)
    return result


def _is_operand(value) -> bool:
    return isinstance(value, (Tensor, *_PY_SCALARS)) or _backend_mod.is_backend_array(value)


def _binary(fn, reflected: bool = False):
    """The operator method for ``fn``; unknown operand types get NotImplemented, so
    Python tries the other operand's reflected operator."""
    op = getattr(fn, "op", None)
    # Call the operation itself, skipping its public wrapper, unless fn dispatches
    # between operations (pow, matmul).
    call = op.binary if op is not None and op.n_inputs == 2 and not op.variadic else fn
    if reflected:
        def method(self, other):
            if other.__class__ not in _FAST_OPERANDS and not _is_operand(other):
                return NotImplemented
            return call(other, self)
    else:
        def method(self, other):
            if other.__class__ not in _FAST_OPERANDS and not _is_operand(other):
                return NotImplemented
            return call(self, other)
    method.__name__ = fn.__name__
    return method


def _inplace(fn):
    def method(self, other):
        if self._view is not None:  # a view, or a tensor with views (see ops.indexing)
            return _ops.indexing.write_view(self, Tensor._inplace, fn, other)
        return self._inplace(fn, other)
    method.__name__ = fn.__name__
    return method


# The in-place backend operator for each out-of-place operation, filled in once the
# operations exist (see the bottom of this module).
_IN_PLACE: dict = {}

_new = object.__new__


class _Probe:
    __slots__ = ("data",)


def _refs(t) -> int:
    return sys.getrefcount(t.data)


_probe = _Probe()
_probe.data = object()
# What _refs reports for an array held by one tensor and nothing else. Measured, not
# assumed, so that it holds on every CPython version.
_PRIVATE_REFS = _refs(_probe)
del _probe


# NumPy's functions that only read the shape (only NumPy calls __array_function__, so
# the name is enough: the core imports no array library).
_NUMPY_SHAPE_FUNCTIONS = frozenset({"shape", "ndim", "size"})


def _to_numpy(value):
    """``value`` with every tensor in it (in lists, tuples and dicts, as NumPy's
    functions take them) replaced by a NumPy array of its values."""
    if isinstance(value, Tensor):
        return value.__array__()
    if isinstance(value, (list, tuple)):
        return value.__class__(_to_numpy(v) for v in value)
    if isinstance(value, dict):
        return {k: _to_numpy(v) for k, v in value.items()}
    return value


def edge_of(t: Tensor):
    """Where gradients for ``t`` go: its node, itself if a leaf, or nowhere."""
    if t.grad_fn is not None:
        return (t.grad_fn, t._output_nr)
    if t._requires_grad:
        return (t, 0)
    return None


def mixed_backends(what: str, a, b) -> TypeError:
    return TypeError(f"{what}: cannot mix tensors of the {a.name!r} and {b.name!r} backends; "
                     f"move one with arraygrad.asarray(x.detach(), backend={a.name!r}) "
                     "or use one backend throughout")


def asarray(obj, /, *, dtype=None, device=None, copy=None, requires_grad=False, backend=None):
    """A tensor from a tensor, a backend array, a Python scalar or a nested sequence.

    A backend array keeps its backend and device and is not copied unless asked;
    anything else is made on the current backend. ``backend`` (a name) asks for
    another backend: values then travel through a host copy, e.g.
    ``asarray(t.detach().numpy(), backend="torch")``.
    """
    if isinstance(backend, str):
        backend = _backend_mod.get_backend(backend)
    if isinstance(obj, Tensor):
        if backend is not None and backend is not obj._backend:
            obj = obj._host("tensor of another backend")
        else:
            return _convert(obj, dtype, device, copy, requires_grad)
    if _backend_mod.is_backend_array(obj):
        b = _backend_mod.backend_of_array(obj)
        if backend is not None and backend is not b:
            obj, b = b.to_host(obj), backend
        else:
            obj = b.adopt(obj)
    else:
        b = backend or current_backend()
        if dtype is None:
            dtype = _infer_dtype(obj, b)
    t = Tensor._wrap(b.xp.asarray(obj, dtype=b.native(dtype), device=device, copy=copy), b)
    return t.requires_grad_(True) if requires_grad else t


def _convert(t: Tensor, dtype, device, copy, requires_grad) -> Tensor:
    """``asarray`` of a tensor: itself, or a recorded conversion of it."""
    original = t
    if dtype is not None and dtype != t.dtype:
        t = _ops.astype(t, dtype)
    if device is not None and device != t.device:
        t = _ops.to_device(t, device)
    if copy and t is original:
        t = _ops.copy(t)
    elif copy is False and t is not original:
        raise ValueError("asarray(copy=False) cannot avoid a copy to change dtype or device")
    return t.requires_grad_(True) if requires_grad else t


def _infer_dtype(obj, backend):
    """The dtype the standard gives Python values: the backend's default float for
    floats, default int for ints, and so on."""
    kinds = set()
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, Tensor):
            kinds.add(item.dtype)
        elif isinstance(item, bool):
            kinds.add("bool")
        elif isinstance(item, int):
            kinds.add("int")
        elif isinstance(item, float):
            kinds.add("float")
        elif isinstance(item, complex):
            kinds.add("complex")
        else:
            return None  # let the backend decide
    if "complex" in kinds:
        return backend.default_complex
    if "float" in kinds:
        return backend.default_float
    if "int" in kinds:
        return backend.default_int
    if "bool" in kinds:
        return _dt.bool
    tensor_dtypes = [k for k in kinds if isinstance(k, _dt.DType)]
    return tensor_dtypes[0] if len(tensor_dtypes) == 1 else None


def tensor(data, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A new leaf tensor with a copy of ``data`` (as ``torch.tensor``)."""
    if isinstance(data, Tensor):
        data = data.detach()
    return asarray(data, dtype=dtype, device=device, copy=True, requires_grad=requires_grad)


from . import ops as _ops  # noqa: E402  (the operations need Tensor defined first)

_FAST_OPERANDS = {Tensor, int, float}
_setitem = _ops.indexing._setitem
_OPERATORS = {
    "add": _ops.add, "sub": _ops.subtract, "mul": _ops.multiply, "truediv": _ops.divide,
    "floordiv": _ops.floor_divide, "mod": _ops.remainder, "pow": _ops.pow,
    "matmul": _ops.matmul, "and": _ops.bitwise_and, "or": _ops.bitwise_or,
    "xor": _ops.bitwise_xor, "lshift": _ops.bitwise_left_shift,
    "rshift": _ops.bitwise_right_shift,
}
for _short, _fn in _OPERATORS.items():
    setattr(Tensor, f"__{_short}__", _binary(_fn))
    setattr(Tensor, f"__r{_short}__", _binary(_fn, reflected=True))
    setattr(Tensor, f"__i{_short}__", _inplace(_fn))
for _short, _fn in {"lt": _ops.less, "le": _ops.less_equal, "gt": _ops.greater,
                    "ge": _ops.greater_equal, "eq": _ops.equal, "ne": _ops.not_equal}.items():
    setattr(Tensor, f"__{_short}__", _binary(_fn))
for _short, _fn in {"neg": _ops.negative, "pos": _ops.positive, "abs": _ops.abs,
                    "invert": _ops.bitwise_invert}.items():
    setattr(Tensor, f"__{_short}__", _fn)

_IN_PLACE.update({
    _ops.add: operator.iadd, _ops.subtract: operator.isub, _ops.multiply: operator.imul,
    _ops.divide: operator.itruediv, _ops.floor_divide: operator.ifloordiv,
    _ops.remainder: operator.imod, _ops.pow: operator.ipow, _ops.matmul: operator.imatmul,
    _ops.bitwise_and: operator.iand, _ops.bitwise_or: operator.ior,
    _ops.bitwise_xor: operator.ixor, _ops.bitwise_left_shift: operator.ilshift,
    _ops.bitwise_right_shift: operator.irshift,
})
