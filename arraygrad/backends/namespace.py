"""The namespace a rule is handed as ``xp``.

In an ordinary backward it wraps the backend's Array API namespace (rules run on raw
arrays); under ``create_graph=True`` it wraps arraygrad's own namespace (rules run on
Tensors and are recorded). Either way it adds the few helpers every rule shares, so a
rule is written once for both.
"""
from __future__ import annotations

import math

import array_api_compat

from .._refcount import measure, refs

# Python numbers ``conj`` returns as they are (exact classes: a NumPy scalar is asked
# its dtype).
_REAL_SCALARS = frozenset({int, float, bool})


class RuleNamespace:
    """An Array API namespace plus ``conj``, ``sum_to``, ``unbroadcast``, ``native``
    and ``place`` (functional index assignment), and the two questions a rule may ask
    of where it runs: ``recording`` and ``run``."""

    def __init__(self, namespace, *, is_complex, native, setitem, zeros_like_shape,
                 writable=None, recording=False, spread_value=None):
        for name in dir(namespace):
            if not name.startswith("__") and not hasattr(RuleNamespace, name):
                setattr(self, name, getattr(namespace, name))
        for extension in ("linalg", "fft"):  # array-api-strict serves these lazily
            if not hasattr(self, extension) and hasattr(namespace, extension):
                setattr(self, extension, getattr(namespace, extension))
        if not hasattr(self, "take_along_axis"):  # Dask has none
            self.take_along_axis = self._take_along_axis_by_take
        self._conj = getattr(namespace, "conj")
        self._library = namespace
        self.is_complex = is_complex
        self.native = native
        self.setitem = setitem
        self._zeros = zeros_like_shape
        # a -> whether ``a[key] = value`` may write into ``a``'s own memory (mutable
        # backends); None: never write in place (immutable and lazy backends, Tensors).
        self._writable = writable
        # a -> the one value of an array that is one element spread over its shape, or
        # None (backends.SPREAD_VALUE; None where reading it is not cheap).
        self._spread_value = spread_value
        # The last gradient ``expand_to`` made that is 1 spread over a shape (``times``).
        self._spread_one = None
        # Whether rules run on Tensors and are recorded (create_graph=True): a rule may
        # then prefer a formula whose own derivative is exact (see ``prod``'s rule).
        self.recording = recording

    def run(self, op, *args, **kwargs):
        """Call the namespace function ``op`` (one made by ``defop``) inside a rule:
        recorded on Tensors when ``recording``, else its forward on this backend's
        arrays, so that a backward meets the same fixes of backend gaps as a forward
        (the standard's ``xp.linalg.solve`` would skip them)."""
        if self.recording:
            return op(*args, **kwargs)
        return op.op.forward(self, *args, **kwargs)

    def conj(self, a):
        """The complex conjugate; real values come back as they are, uncopied."""
        cls = a.__class__
        if cls in _REAL_SCALARS:
            return a
        if cls is complex:
            return a.conjugate()
        return self._conj(a) if self.is_complex(a) else a

    def sgn(self, x):
        """``sign(x)`` for real ``x`` (0 at 0); ``x / |x|`` for complex ``x`` (0 at 0),
        written out so that its own derivative is recorded under create_graph (the
        standard's complex ``sign`` has no gradient)."""
        if not self.is_complex(x):
            return self.sign(x)
        magnitude = self.abs(x)
        return x / self.where(magnitude == 0, self.ones_like(magnitude), magnitude)

    def sum_to(self, a, shape):
        """Sum ``a`` down to ``shape``, undoing broadcasting."""
        a_shape = tuple(a.shape)
        if a_shape == shape:
            return a
        lead = len(a_shape) - len(shape)
        axes = tuple(range(lead)) + tuple(
            lead + i for i, n in enumerate(shape) if n == 1 and a_shape[lead + i] != 1)
        if axes:
            a = self.sum(a, axis=axes)
            # Only leading axes summed: ``a`` has ``shape`` already (a 0-d target still
            # goes through reshape, which turns NumPy's scalar back into an array).
            if len(axes) == lead and shape:
                return a
        elif not lead and any(n != n for n in shape):
            return a  # the same unknown sizes (Dask's NaN, which equals nothing)
        return self.reshape(a, shape)

    def expand_to(self, g, shape, layout):
        """``broadcast_to(g, shape)``, laid out as ``layout`` (an input's ``x_layout``)
        where the backend has layouts (Dask's chunks: see ``backends.LAYOUT``). A 1
        spread so is remembered, for ``times``."""
        out = self.broadcast_to(g, shape)
        spread = self._spread_value
        if spread is not None and spread(out) == 1:
            self._spread_one = out
        return out

    def unbroadcast(self, g, shape, dtype):
        """Bring a gradient to its input's shape and dtype (the real part for a real
        input of a complex result)."""
        g = self.sum_to(g, shape)
        if self.is_complex(g) and dtype.kind != "complex floating":
            g = self.real(g)
        native = self.native(dtype)
        if g.dtype != native:
            g = self.astype(g, native)
        return g

    def times(self, g, a):
        """``g * a`` for an incoming gradient ``g``; ``a`` itself where ``g`` is 1
        spread over ``a``'s shape in ``a``'s dtype.

        That is the gradient of ``sum(f(x))``: its seed of 1, spread by ``sum``'s rule
        (``expand_to``, which remembers it), reaches the rules just below the sum, and
        multiplying by it is a pass over the array that the math does not need (on W3,
        ``sum(sin(x)*x + exp(-x**2))`` on 1e6 float64, three of them: 48 MB of reads
        and writes; ``python -m benchmarks --count --only W3``). Recognised by identity,
        so other gradients pay one ``is``; only on backends that read a spread value
        cheaply (``backends.SPREAD_VALUE``: NumPy, torch in host memory), never under
        ``create_graph``. The invariant: the remembered array is never written, since
        the reference kept here makes every in-place fast path (``_refcount``) see it
        as shared. ``a``, returned as a gradient, is shared with a tensor or a saved
        value: the engine sums it out of place and copies it before it becomes a
        leaf's ``.grad``."""
        if g is self._spread_one and a.__class__ is g.__class__ and a.shape == g.shape \
                and a.dtype == g.dtype:
            return a
        return g * a

    def strong_zero(self, g, grad):
        """``grad``, but exactly 0 wherever the incoming gradient ``g`` is 0.

        Where a value was overwritten (``x[mask] = …``) or not selected (``where``), its
        incoming gradient is 0; but 0 times an infinite or NaN derivative is NaN, so a
        NaN computed in a discarded branch would poison the whole gradient (this is what
        scikit-learn's StandardScaler does in its first ``partial_fit``). Functions whose
        derivative can be infinite or NaN at finite points use this.

        A ``grad`` that only the calling rule holds (the rule's fresh result) is
        zeroed in place: one masked write instead of a select into a new array."""
        writable = self._writable
        if writable is not None and refs(grad) <= _ARGUMENT_REFS and grad.ndim \
                and grad.shape == g.shape and writable(grad):
            grad[g == 0.0] = 0.0
            return grad
        return self.where(g == 0.0, 0.0, grad)

    # -- where a library raises NotImplementedError for part of the standard: the same
    # in standard terms, so that arraygrad.ops is written against the standard alone.

    def std(self, x, /, *, axis=None, correction=0.0, keepdims=False):
        try:
            return self._library.std(x, axis=axis, correction=correction, keepdims=keepdims)
        except NotImplementedError:  # array-api-compat's torch: no float correction
            return self.sqrt(self.var(x, axis=axis, correction=correction, keepdims=keepdims))

    def searchsorted(self, x1, x2, /, *, side="left", sorter=None):
        if sorter is None:
            return self._library.searchsorted(x1, x2, side=side)
        try:
            return self._library.searchsorted(x1, x2, side=side, sorter=sorter)
        except NotImplementedError:  # Dask: no sorter; sort x1 by it first
            return self._library.searchsorted(self.take(x1, sorter, axis=0), x2, side=side)

    def unique_all(self, x, /):
        """``(values, indices, inverse_indices, counts)``; where the library has no
        ``unique_all``, from ``unique_inverse``: the stable order of the inverse
        indices groups equal values, first occurrences first."""
        try:
            return tuple(self._library.unique_all(x))
        except NotImplementedError:
            pass
        values, inverse = self.unique_inverse(x)
        flat = self.reshape(inverse, (-1,))
        order = self.argsort(flat, stable=True)
        keys = self.take(flat, order, axis=0)
        targets = self.arange(values.shape[0], dtype=keys.dtype,
                              device=array_api_compat.device(keys))
        lo = self.searchsorted(keys, targets, side="left")
        hi = self.searchsorted(keys, targets, side="right")
        return values, self.take(order, lo, axis=0), inverse, hi - lo

    def _take_along_axis_by_take(self, x, indices, /, *, axis=-1):
        """``take_along_axis`` in standard terms, for a namespace without it (Dask):
        a ``take`` from ``x`` flattened at the positions ``row * n + index``. ``x``
        and ``indices`` have the same shape except along ``axis``."""
        axis = axis % x.ndim
        shape = tuple(indices.shape)
        n = x.shape[axis]
        rows = math.prod(shape[:axis] + shape[axis + 1:])
        moved = self.moveaxis(indices, axis, -1)
        base = self.arange(rows, dtype=indices.dtype, device=array_api_compat.device(indices)) * n
        flat = self.reshape(moved, (rows, shape[axis])) + self.reshape(base, (rows, 1))
        taken = self.take(self.reshape(self.moveaxis(x, axis, -1), (-1,)),
                          self.reshape(flat, (-1,)), axis=0)
        return self.moveaxis(self.reshape(taken, tuple(moved.shape)), -1, axis)

    def getitem(self, x, key):
        """``x[key]``."""
        return x[key]

    def getitem_via_flip(self, x, key):
        """``x[key]`` for a backend without negative-step slices (PyTorch): the same
        elements taken with positive steps, then flipped."""
        items = key if isinstance(key, tuple) else (key,)
        if not any(isinstance(k, slice) and k.step is not None and k.step < 0 for k in items):
            return x[key]
        if not all(isinstance(k, (int, slice)) or k is None or k is Ellipsis for k in items):
            raise NotImplementedError(
                "this backend has no negative-step slices, and arraygrad fills that gap only "
                "in keys of integers, slices, None and ellipsis (not with index arrays)")
        named = tuple(k for k in items if k is not None)
        ascending, flipped = _ascending(named, tuple(x.shape))
        out = x[ascending]
        if flipped:
            out = self.flip(out, axis=flipped)
        if len(named) != len(items):  # put the new axes back
            out = out[tuple(k if k is None or k is Ellipsis else slice(None)
                            for k in items if not isinstance(k, int))]
        return out

    def place(self, shape, key, g):
        """An array of zeros of ``shape`` with ``g`` at ``key``: the gradient of
        ``x[key]`` with respect to ``x`` (for keys that select each element once)."""
        zeros = self._zeros(g, shape)
        if 0 in tuple(g.shape):  # nothing selected (Dask cannot assign an empty block)
            return zeros
        items = key if isinstance(key, tuple) else (key,)
        named = tuple(k for k in items if k is not None)  # assignment takes no new axes
        key, flipped = _ascending(named, shape)  # nor negative steps, on some backends
        if len(named) != len(items):
            g = self.reshape(g, tuple(zeros[key].shape))
        if flipped:
            g = self.flip(g, axis=flipped)
        return self.setitem(zeros, full_key(key), g)


class _Caller:
    def refs(self, grad):  # as RuleNamespace.strong_zero takes its ``grad``
        return refs(grad)


def _argument_probe(fresh) -> int:
    grad = fresh  # the calling rule's local variable
    del fresh
    return _Caller().refs(grad)


# What ``refs(grad)`` reports inside a method for an argument that only the calling
# rule's local variable holds (see arraygrad._refcount).
_ARGUMENT_REFS = measure(_argument_probe)



def _ascending(key: tuple, shape: tuple):
    """A basic key with every negative-step slice turned into the positive-step slice of
    the same elements, and the axes of the selection that come out reversed (Dask
    assigns through negative steps in the wrong order; the standard allows either)."""
    if not all(isinstance(k, (int, slice)) or k is Ellipsis for k in key):
        return key, ()
    n_named = sum(k is not Ellipsis for k in key)
    axis, out_axis, new_key, flipped = 0, 0, [], []
    for k in key:
        if k is Ellipsis:
            skipped = len(shape) - n_named
            axis += skipped
            out_axis += skipped
            new_key.append(k)
            continue
        if isinstance(k, slice):
            if k.step is not None and k.step < 0:
                picked = range(*k.indices(shape[axis]))
                k = slice(picked[-1], picked[0] + 1, -k.step) if picked else slice(0, 0)
                flipped.append(out_axis)
            out_axis += 1
        axis += 1
        new_key.append(k)
    return tuple(new_key), tuple(flipped)


def full_key(key: tuple) -> tuple:
    """A basic index (integers and slices) with a trailing ellipsis where it has none:
    the same selection, in the form the standard requires of an index that does not
    name every axis. Keys with arrays are left as they are."""
    if all(isinstance(k, (int, slice)) for k in key):
        return (*key, Ellipsis)
    return key
