"""``Tensor``: one backend array, its place in the graph, and its gradient.

A tensor is ``data`` (an array of its backend) plus where it sits in the graph:
``grad_fn`` and ``_output_nr`` for a tensor some operation produced, or nothing for a
leaf. This layer knows arrays and the graph's bookkeeping only; the layers above
install what needs them: the engine ``backward`` (``autograd.engine``), the hooks
``register_hook`` and ``register_post_accumulate_grad_hook`` (``autograd.hooks``), the
operators, indexing, ``.T``/``.mT``/``.real``/``.imag``/``.to_device``, in-place
arithmetic and PyTorch's methods (``ops.operators``), and ``__array_namespace__``
(the public package, ``arraygrad._wiring``).

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
import warnings
import weakref

import array_api_compat

from . import backend as _backend_mod
from . import dtypes as _dt
from ._refcount import measure, refs
from .printing import tensor_repr

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


# Called as ``_conversion_check(tensor, "float(tensor)")`` by each conversion to a
# Python value while graph-break detection is on (autograd.graph_breaks sets it);
# None while it is off, so a conversion costs one read of it.
_conversion_check = None


class Tensor:
    """An array that records the operations made on it, for automatic differentiation."""

    # The array is in the slot ``_data``, which arraygrad reads and writes directly (a
    # slot is the cheapest attribute); users read and assign it as ``data`` (below).
    __slots__ = ("_data", "_grad", "grad_fn", "_output_nr", "_requires_grad", "_backend",
                 "_view", "__weakref__")

    # NumPy defers to our reflected operators instead of converting us.
    __array_ufunc__ = None
    __hash__ = object.__hash__

    def __init__(self, data, requires_grad: bool = False):
        t = asarray(data)
        self._data = t._data
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
        t._data = data
        t._backend = backend
        t._grad = None
        t.grad_fn = grad_fn
        t._output_nr = output_nr
        t._requires_grad = requires_grad
        t._view = None  # see ops.indexing: what a write into this tensor must update
        return t

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

    def detach(self) -> "Tensor":
        """The same data, outside the graph."""
        return Tensor._wrap(self._data, self._backend)

    def detach_(self) -> "Tensor":
        self.grad_fn = None
        self._output_nr = 0
        self._requires_grad = False
        return self

    # -- pickling and copying (as PyTorch) ---------------------------------------

    def __reduce__(self):
        """Pickle the backend by name and the data as the backend's own array, with
        ``requires_grad`` (not ``.grad``, as PyTorch). A non-leaf comes back as a leaf
        that requires grad, as in PyTorch: the graph is not pickled."""
        from .backends import pickle_array
        backend = self._backend.name
        args = (type(self), backend, pickle_array(backend, self._data), self._requires_grad)
        state = getattr(self, "__dict__", None)  # a subclass's own attributes
        return (Tensor._unpickle, args, state) if state else (Tensor._unpickle, args)

    @staticmethod
    def _unpickle(cls, backend: str, data, requires_grad: bool):
        t = _new(cls)
        t._backend = _backend_mod.get_backend(backend)
        t._data = t._backend.adopt(data)
        t._grad = None
        t.grad_fn = None
        t._output_nr = 0
        t._requires_grad = requires_grad
        t._view = None
        return t

    def __copy__(self):
        """A new leaf with the same data (``copy.copy``): ``requires_grad`` kept, no
        ``.grad``, as PyTorch's."""
        new = self._unpickle(type(self), self._backend.name, self._data, self._requires_grad)
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
                             backend.xp.asarray(self._data, copy=True), self._requires_grad)
        memo[id(self)] = new
        if self._grad is not None:
            new._grad = copy.deepcopy(self._grad, memo)
        state = getattr(self, "__dict__", None)
        if state:
            new.__dict__.update(copy.deepcopy(state, memo))
        return new

    # -- array attributes --------------------------------------------------------

    def _set_data(self, array) -> None:
        """``t.data = array``: any shape and dtype, as in PyTorch (the graph is not told),
        but an array of the tensor's own backend: one of another backend would only fail
        later, in some operation or in backward."""
        backend = self._backend
        # An array of the type the tensor holds is of the same backend (an array type
        # belongs to one library): the namespace lookup (about 3 us) is skipped.
        if type(array) is not type(self._data):
            if isinstance(array, Tensor) or not array_api_compat.is_array_api_obj(array):
                raise TypeError(
                    f"Tensor.data takes an array of the {backend.name!r} backend, not "
                    f"{type(array).__name__}: assign a tensor's .data, or make an array with "
                    f"arraygrad.asarray(value, backend={backend.name!r}).data")
            other = _backend_mod.backend_of_array(array)
            if other is not backend:
                raise TypeError(
                    f"cannot assign an array of the {other.name!r} backend to the .data of a "
                    f"tensor of the {backend.name!r} backend; convert it first with "
                    f"arraygrad.asarray(array, backend={backend.name!r}).data")
        self._data = backend.adopt(array)

    # The getter is a C-level attrgetter of the slot, the cheapest a property can be
    # (CPython 3.11: about 57 ns a read, a Python getter 74, the slot itself 11), for
    # users; arraygrad itself reads and writes the slot _data.
    data = property(operator.attrgetter("_data"), _set_data,
                    doc="The backend's raw array (a NumPy array, a torch tensor, ...).")

    @property
    def shape(self) -> tuple:
        """The sizes of the axes; ``None`` for a size a lazy backend does not know yet
        (Dask's NaN, after a boolean mask), as the standard says."""
        if not self._backend.unknown_sizes:  # the profile's word (Dask's sizes may be NaN)
            return tuple(self._data.shape)
        return tuple(None if n != n else n for n in self._data.shape)

    @property
    def dtype(self) -> _dt.DType:
        return self._backend.dtype_of(self._data)

    @property
    def device(self):
        return array_api_compat.device(self._data)

    @property
    def ndim(self) -> int:
        return len(self._data.shape)

    @property
    def size(self):
        """The number of elements (``None`` when a lazy backend does not know yet)."""
        shape = self.shape
        if any(n is None or n != n for n in shape):
            return None
        return math.prod(shape)

    # -- leaving arraygrad -------------------------------------------------------

    def _host(self, what: str):
        if self._requires_grad:
            raise RuntimeError(CUT_GRAPH.format(what=what))
        return self._backend.to_host(self._data)

    def numpy(self):
        """A host NumPy copy of the values, from any backend and device."""
        if self._requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. "
                               "Use tensor.detach().numpy() instead.")
        return self._backend.to_host(self._data).copy()

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
        data = self._data
        return data if hasattr(data, "__dlpack__") else self._backend.to_host(data)

    # Each conversion to a Python value checks for a graph break only while detection
    # is on (one flag read otherwise): see arraygrad/autograd/graph_breaks.py.

    def item(self):
        """The single value as a Python number."""
        if _conversion_check is not None:
            _conversion_check(self, "tensor.item()")
        if self.size != 1:
            raise RuntimeError(f"a Tensor with {self.size} elements cannot be converted to Scalar")
        kind = self.dtype.kind
        # Through the host copy, which knows how each backend reads values back (a Dask
        # loss that backward has computed is read without a scheduler round trip).
        value = self._backend.to_host(self._data).reshape(())
        if kind == "bool":
            return bool(value)
        if kind in ("signed integer", "unsigned integer"):
            return int(value)
        if kind == "real floating":
            return float(value)
        return complex(value)

    def tolist(self):
        if _conversion_check is not None:
            _conversion_check(self, "tensor.tolist()")
        return self._backend.to_host(self._data).tolist()

    def __bool__(self) -> bool:
        if _conversion_check is not None:
            _conversion_check(self, "bool(tensor)")
        return bool(self._data)

    def __float__(self) -> float:
        if _conversion_check is not None:
            _conversion_check(self, "float(tensor)")
        return float(self._data)

    def __int__(self) -> int:
        if _conversion_check is not None:
            _conversion_check(self, "int(tensor)")
        return int(self._data)

    def __complex__(self) -> complex:
        if _conversion_check is not None:
            _conversion_check(self, "complex(tensor)")
        return complex(self._data)

    def __index__(self) -> int:
        if _conversion_check is not None:
            _conversion_check(self, "operator.index(tensor)")
        return operator.index(self._data)

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
        host = backend.to_host(self._data)
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

    def _holds_private_data(self) -> bool:
        """Whether this tensor's slot is the only holder of its array, so that writing
        into the array changes nothing anyone else sees (no saved value, no other
        tensor, no user reference)."""
        return refs(self._data) <= _PRIVATE_DATA_REFS

    @property
    def _version(self) -> int:
        """How many in-place writes this tensor has had (PyTorch's version counter:
        ``x += 1``, ``x[k] = v``, ``x.add_(1)`` each count one)."""
        entry = _VERSIONS.get(id(self))
        return 0 if entry is None else entry[1]

    def _bump_version(self) -> None:
        key = id(self)
        entry = _VERSIONS.get(key)
        if entry is None:  # forgotten when the tensor goes (the weak reference's callback)
            entry = _VERSIONS[key] = [weakref.ref(self, lambda _, k=key: _VERSIONS.pop(k, None)), 0]
        entry[1] += 1

    def _rebind(self, result: "Tensor") -> None:
        """Become ``result``: its data and its place in the graph."""
        self._data = result._data
        self.grad_fn = result.grad_fn
        self._output_nr = result._output_nr
        self._requires_grad = result._requires_grad


_new = object.__new__

# id(tensor) -> [weak reference, version], for the tensors written in place: kept beside
# the tensors, not in a slot, so that making a tensor (the hot path) costs nothing more.
# Keyed by id, not by the tensor (a WeakKeyDictionary compares keys with ==, which is
# element-wise on tensors); an entry goes when its tensor does.
_VERSIONS: dict = {}


class _Slot:
    __slots__ = ("_data",)


def _slot_refs(fresh) -> int:
    holder = _Slot()
    holder._data = fresh
    del fresh
    return refs(holder._data)


# What ``refs(t._data)`` reports for an array that one tensor's slot holds and nothing
# else does (see _refcount).
_PRIVATE_DATA_REFS = measure(_slot_refs)


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


def common_backend(what: str, a, b):
    """The backend of an operation on tensors of backends ``a`` and ``b``: the one that
    takes the other in (a profile's ``takes_in``: Dask takes in NumPy), else an error."""
    if a is b:
        return a
    if b.name in a.takes_in:
        return a
    if a.name in b.takes_in:
        return b
    raise mixed_backends(what, a, b)


# PyTorch's error for an in-place write to a leaf that requires grad, in grad mode (the
# operators, item assignment, the in-place methods and Function's mark_dirty).
LEAF_IN_PLACE = ("a leaf Variable that requires grad is being used in an in-place "
                 "operation.")


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
            t = obj._convert(dtype, device, copy)
            return t.requires_grad_(True) if requires_grad else t
    if _backend_mod.is_backend_array(obj):
        b = _backend_mod.backend_of_array(obj)
        if backend is not None and backend is not b:
            obj, b = b.to_host(obj), backend
            # A read-only host array (JAX's) is copied on the way: a backend that would
            # share its memory (torch) warns that it cannot be written.
            if copy is None and not obj.flags.writeable:
                copy = True
        else:
            obj = b.adopt(obj)
    else:
        b = backend or current_backend()
        if dtype is None:
            dtype = _infer_dtype(obj, b)
    t = Tensor._wrap(b.xp.asarray(obj, dtype=b.native(dtype), device=device, copy=copy), b)
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
