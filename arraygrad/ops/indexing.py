"""Indexing: ``x[key]`` and ``x[key] = value``, with their VJPs.

``x[key] = value`` never changes a value the graph saved: it writes into the array
only when nothing else can see it and nothing is recorded, and otherwise rebinds the
tensor to a new array made by a recorded, differentiable index assignment.

A basic index (integers, slices, ellipsis, None) gives a view, as in NumPy and PyTorch:
a write into ``x[k]`` writes ``x``, and a write into ``x`` shows in ``x[k]``. Code
written against the standard relies on it: scikit-learn's GaussianMixture adds its
``reg_covar`` through ``_add_to_diagonal(covariances[k, :, :], …)``, which writes into
the view only. The arrays cannot simply share memory, since a write would then reach
values the graph saved; so the tensors keep the links instead (see ``write_view``).
"""
from __future__ import annotations

import math
import weakref

import array_api_compat

from ..autograd.grad_mode import is_grad_enabled
from .. import _tensor
from ._define import defop, dispatches
from ..backends.adapters import unknown_size_gradient_error
from ..backends.namespace import _ascending, full_key
from .indexing_functions import _constant, scatter_add

Tensor = _tensor.Tensor


def raw_key(key, backend):
    """The key with any tensors in it replaced by their backend arrays, and any lists
    (and tuples inside a tuple key) by backend integer (or boolean) arrays, as NumPy
    reads them: converted once, here, so that the forward and the backward see the
    same array."""
    cls = key.__class__
    if cls is int or cls is slice:
        return key
    if cls is tuple:
        out = None
        for i, k in enumerate(key):
            c = k.__class__
            if c is int or c is slice or k is None or k is Ellipsis:
                continue
            if out is None:
                out = list(key)
            out[i] = _raw_item(k, backend)
        return key if out is None else tuple(out)
    if cls is list:
        return _index_array(key, backend)
    return _raw_item(key, backend)


def _raw_item(k, backend):
    if isinstance(k, Tensor):
        if k._backend is not backend:
            raise _tensor.mixed_backends("indexing", backend, k._backend)
        return k._data
    if isinstance(k, (list, tuple)):
        return _index_array(k, backend)
    return k


def _index_array(seq, backend):
    """A list (or tuple) used as an index, as a backend array: booleans give a mask,
    integers (or nothing: ``x[[]]``) an array of the backend's index dtype."""
    if any(isinstance(item, Tensor) for item in _flat(seq)):
        seq = _host_values(seq)  # a list is a host value: so are the tensors in it
    dtype = _tensor._infer_dtype(seq, backend)
    if dtype is None or dtype.kind in ("signed integer", "unsigned integer"):
        dtype = backend.default_index if dtype is None else dtype
    return backend.xp.asarray(seq, dtype=backend.native(dtype))


def _host_values(seq):
    return [item.tolist() if isinstance(item, Tensor) else
            _host_values(item) if isinstance(item, (list, tuple)) else item for item in seq]


def _flat(seq):
    for item in seq:
        if isinstance(item, (list, tuple)):
            yield from _flat(item)
        else:
            yield item


_BASIC = (int, slice, type(None), type(Ellipsis))
_SCALARS = frozenset({int, float, complex, bool})


def _key_kind(key, ndim: int) -> str:
    """"array" for a key with arrays in it; for a basic key, "element" where integers
    name a single element (NumPy gives a scalar copy), else "view"."""
    items = key if isinstance(key, tuple) else (key,)
    integers = 0
    for k in items:
        if isinstance(k, int):
            integers += 1
        elif not isinstance(k, _BASIC):
            return "array"
    return "element" if integers == ndim == len(items) else "view"


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
    arrays = [k for k in items if not isinstance(k, _BASIC)]
    if not arrays:
        return xp.place(x_shape, key, g)
    if any(_is_integer_array(k) for k in arrays):
        positions = _constant(xp, _linear_positions, g, x_shape, key)
        flat = scatter_add(xp, xp.reshape(g, (-1,)), positions, math.prod(x_shape), 0)
        return xp.reshape(flat, x_shape)
    if any(n is None or n != n for n in tuple(g.shape)):  # sizes unknown until computed
        raise unknown_size_gradient_error(g.shape)
    return xp.place(x_shape, key, g)


_getitem_rule = (_getitem_rule,)
# PyTorch's node names: a single integer selects, slices slice, arrays index.
_select = defop(*_getitem_rule, node="SelectBackward0")(_getitem_forward)
_slice = defop(*_getitem_rule, node="SliceBackward0")(_getitem_forward)
_index = defop(*_getitem_rule, node="IndexBackward0")(_getitem_forward)


@dispatches(_select, _index, _slice)
def getitem(x, key):
    """``x[key]`` with the standard's indexing (integers, slices, ellipsis, None,
    integer arrays and boolean masks). A basic key gives a view of ``x`` (see
    ``write_view``), except one that names a single element by integers, which NumPy
    gives as a scalar copy; array keys give copies, as in NumPy."""
    key = raw_key(key, x._backend)
    if isinstance(key, int):
        out = _select(x, key)
        if len(x._data.shape) > 1:
            _link(out, x, key)
        return out
    kind = _key_kind(key, len(x._data.shape))
    if kind == "array":
        return _index(x, key)
    out = _slice(x, key)
    if kind == "view":
        _link(out, x, key)
    return out


def _index_put_value_rule(xp, g, key, value_shape, value_dtype):
    """``g`` at ``key``, summed back to the value's shape. The value may have more
    axes than its target, all of size 1 (NumPy and PyTorch drop them: see
    ``_fit_value``): the sum is then to the target's shape, then reshaped."""
    g = g[key]
    extra = len(value_shape) - len(tuple(g.shape))
    if extra > 0:
        return xp.reshape(xp.unbroadcast(g, tuple(value_shape[extra:]), value_dtype),
                          tuple(value_shape))
    return xp.unbroadcast(g, value_shape, value_dtype)


@defop(lambda xp, g, key: xp.setitem(g, key, 0), _index_put_value_rule,
       inputs=("x", "value"), node="CopySlices")
def _index_put(xp, x, value, /, key):
    """A new array: ``x`` with ``value`` written at ``key``."""
    return xp.setitem(x, key, _fit_value(xp, value, key, x.ndim))


def _fit_value(xp, value, key, ndim: int):
    """``value`` without the leading axes of size 1 that its target ``x[key]`` (in an
    array of ``ndim`` axes) does not have: NumPy and PyTorch drop them, not every
    backend does (JAX, array-api-strict)."""
    shape = getattr(value, "shape", None)
    if not shape or shape[0] != 1:  # the common case, at the cost of one test
        return value
    extra = len(shape) - _target_ndim(key, ndim)
    if extra <= 0 or any(n != 1 for n in tuple(shape)[:extra]):
        return value  # nothing to drop, or the backend's own broadcasting error
    return xp.reshape(value, tuple(shape)[extra:])


def _target_ndim(key, ndim: int) -> int:
    """The number of axes of ``x[key]`` for ``x`` of ``ndim`` axes."""
    items = key if isinstance(key, tuple) else (key,)
    out = consumed = 0
    advanced = -1  # the axes the index arrays (broadcast together) give; -1: none
    for k in items:
        if k is None:
            out += 1
        elif k is Ellipsis:
            pass
        elif isinstance(k, slice):
            out += 1
            consumed += 1
        elif isinstance(k, int):
            consumed += 1
        elif _is_integer_array(k):
            consumed += 1
            advanced = max(advanced, len(tuple(k.shape)))
        else:  # a boolean mask: its axes become one
            consumed += len(tuple(k.shape))
            advanced = max(advanced, 1)
    return out + ndim - consumed + max(advanced, 0)


# _select and _slice: the views of x taken anew after the write (write_view).
@dispatches(_index_put, _select, _slice)
def setitem(x, key, value) -> None:
    """``x[key] = value``, differentiable in ``x`` and ``value``."""
    if x._view is not None:
        write_view(x, _setitem, raw_key(key, x._backend), value)
    else:
        _setitem(x, key, value)


def _setitem(x, key, value) -> None:
    backend = x._backend
    key = raw_key(key, backend)
    if _negative_steps(key):
        key, value = _ascending_write(x, key, value)
    value_requires = isinstance(value, Tensor) and value._requires_grad
    recording = is_grad_enabled() and (x._requires_grad or value_requires)
    if isinstance(value, Tensor) and value._backend is not backend:
        raise _tensor.mixed_backends("setitem", backend, value._backend)
    if not recording:
        # A 0-d result of a NumPy operation is a NumPy scalar, which has no item
        # assignment: it is written like a shared array, through a 0-d copy.
        if x._holds_private_data() and backend.owns_buffer(x._data) \
                and hasattr(x._data, "__setitem__"):
            raw = value._data if isinstance(value, Tensor) else value
            if raw.__class__ not in _SCALARS:
                raw = _fit_value(backend.ns, raw, key, len(x._data.shape))
            x._data = backend.ns.write_into(x._data, key, raw)
        else:
            x._data = _index_put(x, value, key)._data
        x._bump_version()
        return
    if x.grad_fn is None and x._requires_grad:
        raise RuntimeError(_tensor.LEAF_IN_PLACE)
    if not isinstance(value, Tensor):
        value = _tensor.asarray(value, dtype=x.dtype, backend=backend)
    x._rebind(_index_put(x, value, key))
    x._bump_version()


def _negative_steps(key) -> bool:
    """Whether a key has a slice with a negative step."""
    if key.__class__ is slice:
        return key.step is not None and key.step < 0
    if key.__class__ is tuple:
        for k in key:  # a loop, not any(): this runs on every index assignment
            if k.__class__ is slice and k.step is not None and k.step < 0:
                return True
    return False


def _ascending_write(x, key, value):
    """``x[key] = value`` for a basic ``key`` with negative steps, as the same write
    with positive steps: the key of the same elements in ascending order, and the
    value (broadcast to the target first) flipped along the axes that reverse. Some
    backends cannot assign through negative steps (PyTorch), Dask assigns through them
    in the wrong order."""
    from .manipulation import broadcast_to, flip, reshape
    items = key if isinstance(key, tuple) else (key,)
    named = tuple(k for k in items if k is not None)  # assignment takes no new axes
    ascending, flipped = _ascending(named, tuple(x._data.shape))
    if ascending is named:  # index arrays: left to the backend
        return key, value
    ascending = full_key(ascending)
    if isinstance(value, (bool, int, float, complex)):
        return ascending, value
    backend = x._backend
    if not isinstance(value, Tensor):
        value = _tensor.asarray(value, backend=backend)
    elif value._backend is not backend:
        raise _tensor.mixed_backends("setitem", backend, value._backend)
    target = tuple(backend.ns.getitem(x._data, key).shape)
    value = _fit_value(_ops_namespace(), value, key, len(x._data.shape))
    if tuple(value.shape) != target:
        value = broadcast_to(value, target)
    if len(named) != len(items):  # without the new axes (all of size 1)
        value = reshape(value, tuple(backend.ns.getitem(x._data, ascending).shape))
    if flipped:
        value = flip(value, axis=flipped)
    return ascending, value


def _ops_namespace():
    from .. import ops
    return ops


# -- views -------------------------------------------------------------------------


# A tensor's ``_view`` is None, or ``[base, key, views]``: the tensor it is ``base[key]``
# of (None for a tensor that is no view), and weak references to its own live views
# (None for none yet). A list, not an object: it is made on every basic index.
_BASE, _KEY, _VIEWS = 0, 1, 2


def _link(view, base, key) -> None:
    """Record ``view`` as ``base[key]``. The view holds its base (as NumPy's ``.base``
    does: ``x[0][1] = v`` must reach ``x`` through the temporary ``x[0]``); the base
    holds its views weakly."""
    view._view = [base, key, None]
    links = base._view
    if links is None:
        base._view = [None, None, [weakref.ref(view)]]
        return
    views = links[2]
    if views is None:
        links[2] = [weakref.ref(view)]
        return
    views.append(weakref.ref(view))
    n = len(views)
    if n >= 16 and not n & (n - 1):  # at each power of two, drop the dead
        views[:] = [r for r in views if r() is not None]


def write_view(x, write, *args):
    """``write(x, *args)`` (an index assignment or an in-place operator) into a tensor
    that is a view or has views, then the same values into its base, the base's base
    and so on up to the root, and from the root back into every live view below it.

    Each step is an ordinary write, so none changes a value the graph saved, and when
    recording each is recorded: the base gets a CopySlices node and every view a new
    slice of it (as PyTorch rebases views), so gradients flow through the view's
    write into whatever is later computed from the base, and back."""
    if is_grad_enabled():
        base = x._view[_BASE]
        while base is not None:
            if base.grad_fn is None and base._requires_grad:
                raise RuntimeError("a view of a leaf Variable that requires grad is being "
                                   "used in an in-place operation.")
            base = base._view[_BASE]
    out = write(x, *args)
    if out is NotImplemented:
        return out
    root = x
    base, key, _ = x._view
    while base is not None:
        _write_back(base, key, root)
        root = base
        base, key, _ = root._view
    _refresh(root)
    return out


def _write_back(base, key, view) -> None:
    """``base[key] = view`` for the basic ``key`` that made ``view``: without the new
    axes that ``None`` made, and with negative steps turned positive (some backends
    assign through neither)."""
    from .manipulation import flip, squeeze
    items = key if isinstance(key, tuple) else (key,)
    if any(k is None for k in items):
        named = sum(isinstance(k, (int, slice)) for k in items)
        new_axes, axis = [], 0
        for k in items:
            if k is None:
                new_axes.append(axis)
                axis += 1
            elif k is Ellipsis:
                axis += len(base._data.shape) - named
            elif not isinstance(k, int):
                axis += 1
        view = squeeze(view, axis=tuple(new_axes))
        items = tuple(k for k in items if k is not None)
    items, flipped = _ascending(items, tuple(base._data.shape))
    if flipped:
        view = flip(view, axis=flipped)
    _setitem(base, full_key(items), view)


def _refresh(base) -> None:
    """Take every live view of ``base`` (and theirs) anew from ``base``."""
    links = base._view
    views = links[_VIEWS]
    if not views:
        if links[_BASE] is None:  # no view left: writes take the fast path again
            base._view = None
        return
    record = is_grad_enabled()
    getitem_raw = base._backend.ns.getitem
    alive = []
    for ref in views:
        view = ref()
        if view is None:
            continue
        alive.append(ref)
        key = view._view[_KEY]
        if record and (base._requires_grad or view._requires_grad):
            view._rebind((_select if isinstance(key, int) else _slice)(base, key))
        else:  # as any write under no_grad: the values change, the graph does not
            view._data = getitem_raw(base._data, key)
        if view._view[_VIEWS]:
            _refresh(view)
    if alive or links[_BASE] is not None:
        views[:] = alive
    else:
        base._view = None


__all__ = ["getitem", "setitem"]
