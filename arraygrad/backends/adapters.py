"""Where a backend's library falls short of the standard's ``linalg`` and ``fft``
extensions: adapters that the backend's rule namespace carries as ``xp.linalg`` and
``xp.fft``, so that ``arraygrad.ops`` is written against the standard alone.

A profile names its adapters in the fields ``linalg`` and ``fft`` (keys of ``LINALG``
and ``FFT`` below); without them the namespace's own extensions are used as they are.
An adapter takes and returns the backend's raw arrays, and raises
``NotImplementedError`` for what the backend cannot compute. Dtypes of Tensors,
gradients and the standard's argument checks stay in ``arraygrad.ops``.

Dask (``linalg = "dask"``, ``fft = "dask"``):

* its ``linalg`` takes 2-D arrays only: stacks are done matrix by matrix (and its
  SciPy-based solvers return float64 for float32: results are cast back);
* it has no ``cross``, and its ``pinv``, ``svdvals``, ``matrix_rank`` and upper
  ``cholesky`` (array-api-compat calls dask's, whose default is the upper factor) are
  missing or wrong: they are written here in standard terms;
* it has no determinant or eigensolver (``det``, ``slogdet``, ``eigh``, ``eigvalsh``,
  ``eig``), and computes reduced ``svd`` and ``qr`` only, so ``svd(full_matrices=True)``
  and ``qr(mode="complete")`` of non-square (tall) matrices raise;
* its ``eye`` is wrong for more columns than rows: the masks here come from ``arange``;
* its FFTs transform only along axes held in one chunk.

Everything here stays lazy: nothing computes a Dask array.
"""
from __future__ import annotations

import math

import array_api_compat


# -- selection -------------------------------------------------------------------------

def install(ns, profile: dict) -> None:
    """Put the adapters ``profile`` names on the rule namespace ``ns`` (as ``ns.linalg``
    and ``ns.fft``), each wrapping the namespace's own extension."""
    for field, adapters in (("linalg", LINALG), ("fft", FFT)):
        kind = profile.get(field)
        if kind is None:
            continue
        if kind not in adapters:
            raise ValueError(f"backend profile {profile.get('name')!r}: unknown {field} "
                             f"adapter {kind!r} (known: {', '.join(adapters)})")
        setattr(ns, field, adapters[kind](ns, getattr(ns, field)))


# -- helpers (raw arrays of one backend; ``xp`` its rule namespace) --------------------

def _mH(xp, a):
    """The conjugate transpose of a stack of matrices."""
    return xp.conj(xp.matrix_transpose(a))


def _band(xp, like, n: int, k: int, where: str):
    """An ``n`` x ``n`` 0/1 matrix of ``like``'s dtype and device, with ones where the
    column minus the row is at most ``k`` (``le``) or at least ``k`` (``ge``)."""
    device = array_api_compat.device(like)
    rows = xp.reshape(xp.arange(n, device=device), (n, 1)) + k
    cols = xp.reshape(xp.arange(n, device=device), (1, n))
    return xp.astype(cols <= rows if where == "le" else cols >= rows, like.dtype)


def _as_dtype(xp, a, dtype):
    """``a`` in ``dtype`` (a SciPy-based solver's float64 result of float32 input)."""
    return a if a.dtype == dtype else xp.astype(a, dtype)


def _broadcast_shapes(*shapes) -> tuple:
    ndim = max((len(s) for s in shapes), default=0)
    out = []
    for i in range(ndim):
        sizes = {s[len(s) - ndim + i] for s in shapes if len(s) - ndim + i >= 0} - {1}
        if len(sizes) > 1:
            raise ValueError(f"shapes {shapes} cannot be broadcast together")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def _stand_in(xp, a):
    """An identity-like matrix of ``a``'s core shape (built with more rows than
    columns, then transposed if need be: Dask's ``eye`` fails the other way)."""
    m, n = a.shape[-2:]
    if m >= n:
        return xp.eye(m, n, dtype=a.dtype)
    return xp.matrix_transpose(xp.eye(n, m, dtype=a.dtype))


def stacked(xp, fn, arrays, cores, outputs=1):
    """``fn`` applied matrix by matrix over the broadcast batch dimensions, for a
    library whose ``linalg`` takes 2-D arrays only. ``cores[i]`` is the number of core
    dimensions of ``arrays[i]`` (2 for a matrix, 1 for a vector)."""
    batch = _broadcast_shapes(*(tuple(a.shape[:a.ndim - c]) for a, c in zip(arrays, cores)))
    if not batch:
        return fn(*arrays)
    arrays = [xp.broadcast_to(a, batch + tuple(a.shape[a.ndim - c:]))
              for a, c in zip(arrays, cores)]
    count = math.prod(batch)
    flat = [xp.reshape(a, (count,) + tuple(a.shape[len(batch):])) for a in arrays]
    if count == 0:
        # An empty stack: find the result's core shape on a stand-in matrix.
        probes = [_stand_in(xp, a) if c == 2
                  else xp.ones(a.shape[-1:], dtype=a.dtype) for a, c in zip(arrays, cores)]
        r = fn(*probes)
        parts = (r,) if outputs == 1 else tuple(r)
        parts = tuple(xp.broadcast_to(p, batch + tuple(p.shape)) for p in parts)
        return parts[0] if outputs == 1 else parts
    results = [fn(*(f[i] for f in flat)) for i in range(count)]
    if outputs == 1:
        out = xp.stack(results)
        return xp.reshape(out, batch + tuple(out.shape[1:]))
    parts = []
    for j in range(outputs):
        out = xp.stack([r[j] for r in results])
        parts.append(xp.reshape(out, batch + tuple(out.shape[1:])))
    return tuple(parts)


def _cutoff(xp, s, x, rtol):
    """The singular values' threshold: ``rtol`` (by default ``max(m, n) * eps``) times
    the largest of each matrix, shaped to compare with ``s``."""
    m, n = x.shape[-2:]
    if rtol is None:
        rtol = max(m, n) * xp.finfo(x.dtype).eps
    elif not isinstance(rtol, (int, float)):
        rtol = xp.expand_dims(rtol, axis=-1)
    return rtol * xp.max(s, axis=-1, keepdims=True)


# -- Dask ------------------------------------------------------------------------------

def _no_dask(name: str, why: str = "") -> NotImplementedError:
    return NotImplementedError(
        f"linalg.{name} is not available on the dask backend: "
        f"{why or 'dask.array (and array-api-compat dask namespace) has no ' + name}")


class DaskLinalg:
    """The standard's ``linalg`` on Dask arrays (see the module's docstring). Functions
    that need no adapting are the namespace's own."""

    def __init__(self, xp, linalg):
        self._xp = xp
        self._linalg = linalg

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._linalg, name)

    def _per_matrix(self, name, x, **kwargs):
        """``linalg.<name>(x)`` matrix by matrix, in ``x``'s dtype."""
        xp, fn = self._xp, getattr(self._linalg, name)
        if x.ndim > 2:
            return _as_dtype(xp, stacked(xp, lambda a: fn(a, **kwargs), [x], [2]), x.dtype)
        return _as_dtype(xp, fn(x, **kwargs), x.dtype)

    def inv(self, x, /):
        return self._per_matrix("inv", x)

    def solve(self, x1, x2, /):
        xp = self._xp
        x = stacked(xp, self._linalg.solve, [x1, x2], [2, 1 if x2.ndim == 1 else 2])
        return _as_dtype(xp, x, xp.result_type(x1.dtype, x2.dtype))

    def cholesky(self, x, /, *, upper=False):
        # Dask's cholesky gives the upper factor by default: take the lower one from
        # whichever triangle it gave.
        xp = self._xp
        c = self._per_matrix("cholesky", x)
        n = x.shape[-1]
        lower = c * _band(xp, c, n, 0, "le") + _mH(xp, c * _band(xp, c, n, 1, "ge"))
        return _mH(xp, lower) if upper else lower

    def qr(self, x, /, *, mode="reduced"):
        xp, la = self._xp, self._linalg
        m, n = x.shape[-2:]
        if mode == "complete" and m > n:
            raise _no_dask("qr", "dask computes mode='reduced' only, which differs from "
                           "mode='complete' when nrows > ncols")
        q, r = stacked(xp, lambda a: tuple(la.qr(a)), [x], [2], outputs=2)
        return (_as_dtype(xp, q, x.dtype), _as_dtype(xp, r, x.dtype))

    def svd(self, x, /, *, full_matrices=True):
        xp, la = self._xp, self._linalg
        m, n = x.shape[-2:]
        if full_matrices and m != n:
            raise _no_dask("svd", "dask computes full_matrices=False only, which differs "
                           "from full_matrices=True for non-square matrices")
        u, s, vh = stacked(xp, lambda a: tuple(la.svd(a, full_matrices=False)),
                           [x], [2], outputs=3)
        return (_as_dtype(xp, u, x.dtype), _as_dtype(xp, s, xp.finfo(x.dtype).dtype),
                _as_dtype(xp, vh, x.dtype))

    def svdvals(self, x, /):
        return self.svd(x, full_matrices=False)[1]

    def pinv(self, x, /, *, rtol=None):
        xp = self._xp
        U, S, Vh = self.svd(x, full_matrices=False)
        keep = S > _cutoff(xp, S, x, rtol)
        s_inv = xp.where(keep, 1 / xp.where(keep, S, xp.ones_like(S)), xp.zeros_like(S))
        return (_mH(xp, Vh) * xp.expand_dims(xp.astype(s_inv, x.dtype), axis=-2)) @ _mH(xp, U)

    def matrix_rank(self, x, /, *, rtol=None):
        xp = self._xp
        s = self.svdvals(x)
        return xp.sum(xp.astype(s > _cutoff(xp, s, x, rtol), xp.int64), axis=-1)

    def cross(self, x1, x2, /, *, axis=-1):
        """The cross product in standard terms (``axis`` negative, as the caller
        resolves it)."""
        xp = self._xp

        def part(a, i):
            return a[(Ellipsis, i) + (slice(None),) * (-axis - 1)]
        a0, a1, a2 = (part(x1, i) for i in range(3))
        b0, b1, b2 = (part(x2, i) for i in range(3))
        return xp.stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=axis)

    def det(self, x, /):
        raise _no_dask("det")

    def slogdet(self, x, /):
        raise _no_dask("slogdet")

    def eigh(self, x, /):
        raise _no_dask("eigh")

    def eigvalsh(self, x, /):
        raise _no_dask("eigvalsh")

    def eig(self, x, /):
        raise _no_dask("eig")


# The transforms that take ``axis`` (one) and ``axes`` (several); the shifts need no
# chunk check.
_ONE_AXIS = frozenset({"fft", "ifft", "rfft", "irfft", "hfft", "ihfft"})
_AXES = frozenset({"fftn", "ifftn", "rfftn", "irfftn"})


def _single_chunks(x, axes, name: str) -> None:
    """Dask transforms only along axes held in one chunk."""
    split = [ax for ax in axes if len(x.chunks[ax]) > 1]
    if split:
        raise NotImplementedError(
            f"fft.{name} on the dask backend needs every transformed axis in a single "
            f"chunk, but axis {split[0]} has chunks {x.chunks[split[0]]}; rechunk the "
            f"array first (e.g. x.rechunk({{{split[0]}: -1}}))")


class DaskFFT:
    """The standard's ``fft`` on Dask arrays: a transform along an axis split into
    several chunks raises ``NotImplementedError`` (the caller resolves ``axis`` and
    ``axes``); everything else is the namespace's own."""

    def __init__(self, xp, fft):
        self._fft = fft

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        fn = getattr(self._fft, name)
        if name in _ONE_AXIS:
            def transform(x, /, *, axis=-1, **kwargs):
                _single_chunks(x, (axis,), name)
                return fn(x, axis=axis, **kwargs)
        elif name in _AXES:
            def transform(x, /, *, axes=None, **kwargs):
                _single_chunks(x, range(x.ndim) if axes is None else axes, name)
                return fn(x, axes=axes, **kwargs)
        else:
            return fn
        transform.__name__ = transform.__qualname__ = name
        setattr(self, name, transform)  # found once: later lookups skip __getattr__
        return transform


LINALG = {"dask": DaskLinalg}
FFT = {"dask": DaskFFT}


def unknown_size_gradient_error(shape) -> NotImplementedError:
    """The error for the gradient of ``x[mask]`` on a backend that knows the number of
    selected elements only once it computes (Dask; ``unknown_sizes`` in its profile)."""
    return NotImplementedError(
        "Dask does not know how many elements a boolean mask selects until it "
        f"computes (the selection's shape is {tuple(shape)}), so the gradient of "
        "x[mask] cannot be put back lazily. Index with a computed mask instead "
        "(x[mask.detach().numpy()], whose size Dask then knows), or write "
        "where(mask, x, 0), which has the same gradient and a known shape.")
