"""The standard's ``fft`` extension, with VJPs for every transform.

Every transform is linear, so its VJP is its adjoint, written with ``xp.fft`` calls
(and so differentiable again under ``create_graph=True``):

* complex-to-complex (``fft``, ``ifft``, ``fftn``, ``ifftn``): the inverse transform
  with the conjugate normalization (``"backward"`` <-> ``"forward"``, ``"ortho"``
  stays), then the padding or trimming that ``n`` / ``s`` did, undone (a trimmed axis
  gets zeros back, a padded one is cut to the input's length).
* real-to-complex (``rfft``, ``rfftn``, ``ihfft``): the one-sided gradient is
  zero-padded to the full length, transformed back by the inverse complex transform,
  and its real part taken (PyTorch's ``fft_r2c_backward``; the padding is the inverse
  transform's own ``n`` / ``s``).
* complex-to-real (``irfft``, ``irfftn``, ``hfft``): the real-to-complex transform of
  the gradient, with the bins that stand for two (a bin and its conjugate mirror:
  every bin but DC and, for an even length, Nyquist) doubled (PyTorch's
  ``fft_c2r_backward``).
* ``fftshift`` / ``ifftshift``: each other's inverse.

Choices where the standard leaves room (the same on every backend):

* ``s`` without ``axes`` (the standard forbids it) means the last ``len(s)`` axes, as
  in PyTorch and NumPy.
* ``s[i] == -1`` means the input's length along that axis; on the last axis of
  ``irfftn`` it means the default output length ``2*(M-1)``, so that all ``M`` input
  elements are used (PyTorch's reading; NumPy 2 takes ``M`` there).
* Repeated axes raise ``ValueError`` (as PyTorch does); so does a ``norm`` other than
  the three modes, and a transform length below 1.
* A real input to ``fft`` / ``ifft`` / ``fftn`` / ``ifftn`` is passed to the backend
  (NumPy, PyTorch, JAX and Dask take it; array_api_strict refuses it, as the standard
  allows); its gradient is real. ``fft`` and ``ifft`` of a real tensor are then
  ``FftR2CBackward0`` nodes, as in PyTorch.

Backend gaps, filled the same way in forwards and in backwards (a rule on backend
arrays calls the forwards below, not the backend's ``fft`` directly; on Tensors it calls
arraygrad's own transforms, so it is recorded):

* PyTorch fails on empty arrays and NumPy / PyTorch on shifting a 0-d array: an empty
  input gives zeros of the result's shape and dtype, a shift of no axes a copy.
* JAX refuses ``-1`` in ``s``: ``s`` is always passed resolved.
* Dask computes a transform only along axes held in one chunk: a Dask array chunked
  along a transformed axis raises ``NotImplementedError`` naming Dask (rechunk it, e.g.
  ``x.rechunk({axis: -1})``). This includes a backward whose incoming gradient is
  chunked along the axis (Dask's auto-chunked ``zeros`` split arrays over ~128 MiB).
"""
from __future__ import annotations

import operator

import array_api_compat

from .. import backend as _backend
from .._tensor import Tensor
from ._define import defop, dispatches

# The normalization of the adjoint of a transform normalized by ``norm``.
_SWAP = {"backward": "forward", "ortho": "ortho", "forward": "backward"}


# -- arguments -----------------------------------------------------------------------

def _check_norm(norm) -> None:
    if not isinstance(norm, str) or norm not in _SWAP:
        raise ValueError(f'norm must be "backward", "ortho" or "forward", not {norm!r}')


def _axis(axis, ndim: int) -> int:
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise IndexError(f"axis {axis} is out of bounds for an array of dimension {ndim}")
    return axis % ndim


def _points(n: int) -> int:
    n = operator.index(n)
    if n < 1:
        raise ValueError(f"invalid number of data points ({n}) specified")
    return n


def _one_d(shape, n, axis, c2r=False):
    """The (non-negative) axis and the logical transform length of a 1-d transform:
    ``n``, else the input's length (``2*(M-1)`` for a complex-to-real one)."""
    ax = _axis(axis, len(shape))
    if n is None:
        n = 2 * (shape[ax] - 1) if c2r else shape[ax]
    return ax, _points(n)


def _n_d(shape, s, axes, c2r=False):
    """The (non-negative) axes and logical transform lengths of an n-d transform."""
    ndim = len(shape)
    if axes is None:
        if s is None:
            axes = tuple(range(ndim))
        else:
            if len(s) > ndim:
                raise ValueError(f"s has {len(s)} entries for an array of dimension {ndim}")
            axes = tuple(range(ndim - len(s), ndim))
    else:
        axes = tuple(_axis(a, ndim) for a in axes)
    if len(set(axes)) != len(axes):
        raise ValueError(f"the axes of a transform must be unique, not {axes}")
    if s is None:
        s = (-1,) * len(axes)
    s = tuple(operator.index(v) for v in s)
    if len(s) != len(axes):
        raise ValueError(f"s has {len(s)} entries but there are {len(axes)} axes")
    sizes = []
    for i, (ax, v) in enumerate(zip(axes, s)):
        if v == -1:
            v = 2 * (shape[ax] - 1) if c2r and i == len(axes) - 1 else shape[ax]
        sizes.append(_points(v))
    return axes, tuple(sizes)


def _fft_of(xp, a):
    """``xp.fft``. The rule namespace of a backend copies the names ``dir()`` lists, and
    array_api_strict serves its extension modules (``fft``, ``linalg``) through a module
    ``__getattr__`` that ``dir()`` does not show: take those from the array's own
    namespace."""
    ns = getattr(xp, "fft", None)
    if ns is None:
        ns = array_api_compat.array_namespace(a).fft
    return ns


# -- forwards (on backend arrays) -------------------------------------------------------
# What each transform takes to what: complex to complex, real to complex (one-sided
# output along the last transformed axis), complex to real.
_KIND = {"fft": "c2c", "ifft": "c2c", "fftn": "c2c", "ifftn": "c2c",
         "rfft": "r2c", "ihfft": "r2c", "rfftn": "r2c",
         "irfft": "c2r", "hfft": "c2r", "irfftn": "c2r"}
_FORWARDS = {}


def _forward(fn):
    _FORWARDS[fn.__name__] = fn
    return fn


def _zeros_result(xp, x, name, axes, sizes):
    """The result of a transform of an empty array (or of an empty axis padded by
    ``n``): zeros, of the transform's shape and dtype (PyTorch fails on empty input)."""
    shape = list(x.shape)
    for ax, n in zip(axes, sizes):
        shape[ax] = n
    kind = _KIND[name]
    if kind == "r2c":
        shape[axes[-1]] = sizes[-1] // 2 + 1
    single = x.dtype in (xp.float32, xp.complex64)
    if kind == "c2r":
        dtype = xp.float32 if single else xp.float64
    else:
        dtype = xp.complex64 if single else xp.complex128
    return xp.zeros(tuple(shape), dtype=dtype, device=array_api_compat.device(x))


def _one_d_forward(name: str):
    c2r = _KIND[name] == "c2r"

    def forward(xp, x, /, *, n=None, axis=-1, norm="backward"):
        _check_norm(norm)
        ax, n = _one_d(x.shape, n, axis, c2r)
        if 0 in x.shape:
            return _zeros_result(xp, x, name, (ax,), (n,))
        return getattr(_fft_of(xp, x), name)(x, n=n, axis=ax, norm=norm)
    forward.__name__ = forward.__qualname__ = name
    return _forward(forward)


def _n_d_forward(name: str):
    c2r = _KIND[name] == "c2r"

    def forward(xp, x, /, *, s=None, axes=None, norm="backward"):
        _check_norm(norm)
        axes_, s_ = _n_d(x.shape, s, axes, c2r)
        if not axes_:
            if _KIND[name] != "c2c":
                raise ValueError(f"fft.{name} needs at least one axis to transform")
            return _complex_copy(xp, x)
        if 0 in x.shape:
            return _zeros_result(xp, x, name, axes_, s_)
        return getattr(_fft_of(xp, x), name)(x, s=s_, axes=axes_, norm=norm)
    forward.__name__ = forward.__qualname__ = name
    return _forward(forward)


def _complex_copy(xp, x):
    """A transform over no axes: the input itself, as a complex array."""
    if xp.isdtype(x.dtype, "complex floating"):
        return xp.asarray(x, copy=True)
    return xp.astype(x, xp.complex64 if x.dtype == xp.float32 else xp.complex128)


def _shift_forward(name: str):
    def forward(xp, x, /, *, axes=None):
        if (x.ndim == 0 and axes is None) or (
                isinstance(axes, (tuple, list)) and len(axes) == 0):
            return xp.asarray(x, copy=True)  # nothing to shift (NumPy and PyTorch fail)
        return getattr(_fft_of(xp, x), name)(x, axes=axes)
    forward.__name__ = forward.__qualname__ = name
    return _forward(forward)


# -- helpers of the rules (they run on backend arrays and, under create_graph, on
# Tensors through arraygrad's namespace) ------------------------------------------------

def _apply(xp, name, a, **kwargs):
    """``xp.fft.<name>(a, **kwargs)``: on Tensors (``create_graph=True``) arraygrad's
    own, recorded transform; on backend arrays the forward above, so that a backward
    meets the same fixes of backend gaps as a forward (empty arrays, 0-d shifts, Dask's
    chunks, array_api_strict's namespace). By name: the rules are defined before the
    transforms they call (``_TRANSFORMS``, at the end of the module)."""
    if xp.recording:
        return _TRANSFORMS[name](a, **kwargs)
    return _FORWARDS[name](xp, a, **kwargs)


def _key(axis: int, part: slice) -> tuple:
    return (slice(None),) * axis + (part, ...)


def _resize(xp, a, axis: int, size: int):
    """``a`` cut or zero-padded at the end of ``axis`` to ``size`` elements."""
    m = a.shape[axis]
    if m == size:
        return a
    if m > size:
        return a[_key(axis, slice(0, size))]
    shape = list(a.shape)
    shape[axis] = size
    return xp.place(tuple(shape), _key(axis, slice(0, m)), a)


def _double_mirrored(xp, a, axis: int, n: int):
    """The one-sided spectrum ``a`` (``n//2 + 1`` bins along ``axis`` of a length-``n``
    signal) with the bins that also stand for their conjugate mirror doubled: bins
    ``1 .. n - (n//2 + 1)`` (all but DC and, for even ``n``, Nyquist)."""
    mirrored = n - (n // 2 + 1)
    if mirrored <= 0:
        return a
    key = _key(axis, slice(1, 1 + mirrored))
    return xp.setitem(a, key, a[key] * 2)


def _finish(xp, g, x_shape, x_dtype):
    """The gradient in its input's dtype (the real part for a real input)."""
    return xp.unbroadcast(g, tuple(x_shape), x_dtype)


# -- complex-to-complex ------------------------------------------------------------------

def _c2c_rule(adjoint: str):
    def rule(xp, g, x_shape, x_dtype, n, axis, norm):
        ax = axis % len(x_shape)
        gx = _apply(xp, adjoint, g, axis=ax, norm=_SWAP[norm])
        return _finish(xp, _resize(xp, gx, ax, x_shape[ax]), x_shape, x_dtype)
    return rule


def _c2cn_rule(adjoint: str):
    def rule(xp, g, x_shape, x_dtype, s, axes, norm):
        axes_, _ = _n_d(x_shape, s, axes)
        if axes_:
            g = _apply(xp, adjoint, g, axes=axes_, norm=_SWAP[norm])
            for ax in axes_:
                g = _resize(xp, g, ax, x_shape[ax])
        return _finish(xp, g, x_shape, x_dtype)
    return rule


def _real_tensor(x) -> bool:
    return isinstance(x, Tensor) and not x.dtype.is_complex


# PyTorch's nodes: fft and ifft of a real tensor are real-to-complex transforms.
_fft_c2c = defop(_c2c_rule("ifft"), node="FftC2CBackward0")(_one_d_forward("fft"))
_fft_r2c = defop(_c2c_rule("ifft"), node="FftR2CBackward0")(_FORWARDS["fft"])
_ifft_c2c = defop(_c2c_rule("fft"), node="FftC2CBackward0")(_one_d_forward("ifft"))
_ifft_r2c = defop(_c2c_rule("fft"), node="FftR2CBackward0")(_FORWARDS["ifft"])


@dispatches(_fft_r2c, _fft_c2c)
def fft(x, /, *, n=None, axis=-1, norm="backward"):
    """The one-dimensional discrete Fourier transform."""
    return (_fft_r2c if _real_tensor(x) else _fft_c2c)(x, n=n, axis=axis, norm=norm)


@dispatches(_ifft_r2c, _ifft_c2c)
def ifft(x, /, *, n=None, axis=-1, norm="backward"):
    """The one-dimensional inverse discrete Fourier transform."""
    return (_ifft_r2c if _real_tensor(x) else _ifft_c2c)(x, n=n, axis=axis, norm=norm)


fftn = defop(_c2cn_rule("ifftn"), node="FftC2CBackward0")(_n_d_forward("fftn"))
fftn.__doc__ = "The n-dimensional discrete Fourier transform."
ifftn = defop(_c2cn_rule("fftn"), node="FftC2CBackward0")(_n_d_forward("ifftn"))
ifftn.__doc__ = "The n-dimensional inverse discrete Fourier transform."


# -- real-to-complex ---------------------------------------------------------------------

def _r2c_rule(adjoint: str):
    # rfft: the adjoint of the one-sided transform is the inverse transform of the
    # gradient zero-padded to the full length (the transform's own ``n`` pads it), real
    # part. ihfft(x) = conj(rfft(x, norm=swapped)): the conjugation turns that inverse
    # transform into a forward one.
    def rule(xp, g, x_shape, x_dtype, n, axis, norm):
        ax, length = _one_d(x_shape, n, axis)
        gx = _apply(xp, adjoint, g, n=length, axis=ax, norm=_SWAP[norm])
        return _finish(xp, _resize(xp, xp.real(gx), ax, x_shape[ax]), x_shape, x_dtype)
    return rule


def _rfftn_rule(xp, g, x_shape, x_dtype, s, axes, norm):
    axes_, s_ = _n_d(x_shape, s, axes)
    gx = _apply(xp, "ifftn", g, s=s_, axes=axes_, norm=_SWAP[norm])  # pads the last axis
    gx = xp.real(gx)
    for ax in axes_:
        gx = _resize(xp, gx, ax, x_shape[ax])
    return _finish(xp, gx, x_shape, x_dtype)


rfft = defop(_r2c_rule("ifft"), node="FftR2CBackward0")(_one_d_forward("rfft"))
rfft.__doc__ = "The one-dimensional discrete Fourier transform of a real signal (one-sided)."
ihfft = defop(_r2c_rule("fft"), node="FftR2CBackward0")(_one_d_forward("ihfft"))
ihfft.__doc__ = ("The one-dimensional inverse discrete Fourier transform of a signal with "
                 "Hermitian symmetry (one-sided).")
rfftn = defop(_rfftn_rule, node="FftR2CBackward0")(_n_d_forward("rfftn"))
rfftn.__doc__ = "The n-dimensional discrete Fourier transform of a real signal (one-sided)."


# -- complex-to-real ---------------------------------------------------------------------

def _c2r_rule(adjoint: str):
    # irfft: the one-sided transform of the gradient, mirrored bins doubled.
    # hfft(x) = irfft(conj(x), norm=swapped): the conjugation turns that rfft into ihfft.
    def rule(xp, g, x_shape, x_dtype, n, axis, norm):
        ax, length = _one_d(x_shape, n, axis, c2r=True)
        gx = _apply(xp, adjoint, g, axis=ax, norm=_SWAP[norm])
        gx = _double_mirrored(xp, gx, ax, length)
        return _finish(xp, _resize(xp, gx, ax, x_shape[ax]), x_shape, x_dtype)
    return rule


def _irfftn_rule(xp, g, x_shape, x_dtype, s, axes, norm):
    axes_, s_ = _n_d(x_shape, s, axes, c2r=True)
    gx = _apply(xp, "rfftn", g, axes=axes_, norm=_SWAP[norm])
    gx = _double_mirrored(xp, gx, axes_[-1], s_[-1])
    for ax in axes_:
        gx = _resize(xp, gx, ax, x_shape[ax])
    return _finish(xp, gx, x_shape, x_dtype)


irfft = defop(_c2r_rule("rfft"), node="FftC2RBackward0")(_one_d_forward("irfft"))
irfft.__doc__ = "The one-dimensional inverse of ``rfft``: a real signal of length ``n``."
hfft = defop(_c2r_rule("ihfft"), node="FftC2RBackward0")(_one_d_forward("hfft"))
hfft.__doc__ = ("The one-dimensional discrete Fourier transform of a signal with Hermitian "
                "symmetry: a real spectrum of length ``n``.")
irfftn = defop(_irfftn_rule, node="FftC2RBackward0")(_n_d_forward("irfftn"))
irfftn.__doc__ = "The n-dimensional inverse of ``rfftn``."


# -- shifts ------------------------------------------------------------------------------

fftshift = defop(lambda xp, g, axes: _apply(xp, "ifftshift", g, axes=axes),
                 node="RollBackward0")(_shift_forward("fftshift"))
fftshift.__doc__ = "Shift the zero-frequency component to the centre of the spectrum."
ifftshift = defop(lambda xp, g, axes: _apply(xp, "fftshift", g, axes=axes),
                  node="RollBackward0")(_shift_forward("ifftshift"))
ifftshift.__doc__ = "The inverse of ``fftshift``."


# -- sample frequencies (no gradients) -------------------------------------------------

def _frequencies(name, n, d, dtype, device):
    b = _backend.current()
    dtype = b.default_float if dtype is None else b.dtype(dtype)
    if dtype.kind != "real floating":
        raise ValueError(f"fft.{name} needs a real floating-point dtype, not {dtype.name}")
    n = operator.index(n)
    if n < 1:
        raise ValueError(f"fft.{name} needs a window length n >= 1, not {n}")
    data = getattr(b.xp.fft, name)(n, d=d, dtype=b.native(dtype), device=device)
    return Tensor._wrap(data, b)


def fftfreq(n, /, *, d=1.0, dtype=None, device=None):
    """The sample frequencies of a length-``n`` transform with sample spacing ``d``,
    on the current backend."""
    return _frequencies("fftfreq", n, d, dtype, device)


def rfftfreq(n, /, *, d=1.0, dtype=None, device=None):
    """The non-negative sample frequencies of ``rfft`` (``n//2 + 1`` of them)."""
    return _frequencies("rfftfreq", n, d, dtype, device)


# The recorded transforms the rules call by name (``_apply``).
_TRANSFORMS = {f.__name__: f for f in (fft, ifft, fftn, ifftn, rfft, irfft, rfftn, irfftn,
                                        hfft, ihfft, fftshift, ifftshift)}

for _f in (fft, ifft, fftfreq, rfftfreq):
    _f.__module__ = __name__
del _f

__all__ = ["fft", "ifft", "fftn", "ifftn", "rfft", "irfft", "rfftn", "irfftn", "hfft",
           "ihfft", "fftfreq", "rfftfreq", "fftshift", "ifftshift"]
