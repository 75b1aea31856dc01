"""Creation functions: tensors made on the current backend (or the backend of a given
tensor, for the ``*_like`` forms), with PyTorch's conveniences (``ones(2, 2)``,
``requires_grad=``, ``randn``) beside the standard's signatures."""
from __future__ import annotations

from .. import backend as _backend
from .. import _tensor
from ._define import defop

Tensor = _tensor.Tensor


def _shape(shape, more) -> tuple:
    """``ones(2, 3)`` and ``ones((2, 3))`` both mean shape (2, 3)."""
    if more:
        return (shape, *more)
    if isinstance(shape, int):
        return (shape,)
    return tuple(shape)


def _made(data, backend, requires_grad) -> Tensor:
    t = Tensor._wrap(data, backend)
    return t.requires_grad_(True) if requires_grad else t


def _filled(fill, shape, more, dtype, device, requires_grad):
    b = _backend.current()
    dtype = b.native(dtype)
    data = getattr(b.xp, fill)(_shape(shape, more), dtype=dtype, device=device)
    return _made(data, b, requires_grad)


def zeros(shape, *more, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of zeros of ``shape`` (``zeros(2, 3)`` or ``zeros((2, 3))``)."""
    return _filled("zeros", shape, more, dtype, device, requires_grad)


def ones(shape, *more, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of ones of ``shape`` (``ones(2, 3)`` or ``ones((2, 3))``)."""
    return _filled("ones", shape, more, dtype, device, requires_grad)


def empty(shape, *more, dtype=None, device=None, requires_grad=False) -> Tensor:
    """An uninitialized tensor of ``shape`` (``empty(2, 3)`` or ``empty((2, 3))``)."""
    return _filled("empty", shape, more, dtype, device, requires_grad)


def full(shape, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of ``shape`` filled with ``fill_value``."""
    b = _backend.current()
    if dtype is None and isinstance(fill_value, float):
        dtype = b.default_float
    data = b.xp.full(_shape(shape, ()), fill_value, dtype=b.native(dtype), device=device)
    return _made(data, b, requires_grad)


def _like(fill, x, dtype, device, requires_grad, *args):
    x = _tensor.asarray(x)
    b = x._backend
    data = getattr(b.xp, fill)(x._data, *args, dtype=b.native(dtype), device=device)
    return _made(data, b, requires_grad)


def zeros_like(x, /, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of zeros with the shape (and by default the dtype) of ``x``."""
    return _like("zeros_like", x, dtype, device, requires_grad)


def ones_like(x, /, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of ones with the shape (and by default the dtype) of ``x``."""
    return _like("ones_like", x, dtype, device, requires_grad)


def empty_like(x, /, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """An uninitialized tensor with the shape (and by default the dtype) of ``x``."""
    return _like("empty_like", x, dtype, device, requires_grad)


def full_like(x, /, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of ``fill_value`` with the shape (and by default the dtype) of ``x``."""
    return _like("full_like", x, dtype, device, requires_grad, fill_value)


def arange(start, /, stop=None, step=1, *, dtype=None, device=None,
           requires_grad=False) -> Tensor:
    """Values from ``start`` up to (not including) ``stop``, ``step`` apart."""
    b = _backend.current()
    data = b.xp.arange(start, stop, step, dtype=b.native(dtype), device=device)
    return _made(data, b, requires_grad)


def linspace(start, stop, /, num, *, dtype=None, device=None, endpoint=True,
             requires_grad=False) -> Tensor:
    """``num`` evenly spaced values from ``start`` to ``stop`` (if ``endpoint``)."""
    b = _backend.current()
    data = b.xp.linspace(start, stop, num, dtype=b.native(dtype), device=device,
                         endpoint=endpoint)
    return _made(data, b, requires_grad)


def eye(n_rows, n_cols=None, /, *, k=0, dtype=None, device=None,
        requires_grad=False) -> Tensor:
    """A matrix with ones on the ``k``-th diagonal and zeros elsewhere."""
    b = _backend.current()
    data = b.xp.eye(n_rows, n_cols, k=k, dtype=b.native(dtype), device=device)
    return _made(data, b, requires_grad)


def _random(kind, size, dtype, device, requires_grad):
    b = _backend.current()
    dtype = b.default_float if dtype is None else b.dtype(dtype)
    shape = _shape(size[0], size[1:]) if size else ()
    return _made(b.random(kind, shape, dtype, device), b, requires_grad)


def randn(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Standard normal samples (the same numbers on every backend for one seed)."""
    return _random("normal", size, dtype, device, requires_grad)


def rand(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Uniform samples on [0, 1) (the same numbers on every backend for one seed)."""
    return _random("uniform", size, dtype, device, requires_grad)


def manual_seed(seed: int) -> None:
    """Seed the random numbers of ``randn`` and ``rand`` on every backend."""
    _backend.seed(seed)


# -- from arrays: triangles, grids, DLPack ----------------------------------------

@defop(lambda xp, g, k: xp.tril(g, k=k), node="TrilBackward0")
def tril(xp, x, /, *, k=0):
    """The lower triangle of (each matrix of) ``x``: zeros above the ``k``-th diagonal."""
    _matrices("tril", x)
    return xp.tril(x, k=k)


@defop(lambda xp, g, k: xp.triu(g, k=k), node="TriuBackward0")
def triu(xp, x, /, *, k=0):
    """The upper triangle of (each matrix of) ``x``: zeros below the ``k``-th diagonal."""
    _matrices("triu", x)
    return xp.triu(x, k=k)


def _matrices(name, x):
    if x.ndim < 2:  # NumPy would take a 1-d array as a row to repeat
        raise ValueError(f"{name} expects an array of matrices (at least 2-d), not {x.ndim}-d")


def meshgrid(*arrays, indexing="xy") -> tuple:
    """Coordinate grids from 1-d arrays, as a tuple (``indexing="xy"``: Cartesian, the
    first two output axes swapped; ``"ij"``: matrix). Each grid is its array reshaped
    and broadcast (PyTorch's ViewBackward0 then ExpandBackward0), so it is
    differentiable, with the gradient summed back over the broadcast axes."""
    from .manipulation import _as_tensors, broadcast_to, reshape
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij', not {indexing!r}")
    arrays = _as_tensors(arrays)
    for a in arrays:
        if a.ndim != 1:
            raise ValueError(f"meshgrid expects 1-d arrays, not {a.ndim}-d")
    n = len(arrays)
    position = list(range(n))
    if indexing == "xy" and n > 1:
        position[0], position[1] = 1, 0
    shape = [0] * n
    for a, p in zip(arrays, position):
        shape[p] = a.shape[0]
    grids = []
    for a, p in zip(arrays, position):
        view = tuple(shape[p] if i == p else 1 for i in range(n))
        grids.append(broadcast_to(reshape(a, view), tuple(shape)))
    return tuple(grids)


def from_dlpack(x, /, *, device=None, copy=None) -> Tensor:
    """A tensor (without gradient history) sharing or copying the memory of ``x``, any
    object with ``__dlpack__``. It is made on the backend of ``x`` when ``x`` is a
    tensor or an array of a backend arraygrad knows, else on the current backend. A
    tensor that requires grad refuses, as in PyTorch: detach it first."""
    if isinstance(x, Tensor):
        b = x._backend
    elif _backend.is_backend_array(x):
        try:
            b = _backend.backend_of_array(x)
        except TypeError:
            b = _backend.current()
    else:
        b = _backend.current()
    if not hasattr(b.xp, "from_dlpack"):
        raise NotImplementedError(f"from_dlpack is not supported on the {b.name} backend "
                                  f"(its namespace has no from_dlpack)")
    kwargs = {}
    if device is not None:
        kwargs["device"] = device
    if copy is not None:
        kwargs["copy"] = copy
    return Tensor._wrap(b.xp.from_dlpack(x, **kwargs), b)

__all__ = ["arange", "empty", "empty_like", "eye", "from_dlpack", "full", "full_like", "linspace",
           "manual_seed", "meshgrid", "ones", "ones_like", "rand", "randn", "tril", "triu",
           "zeros", "zeros_like"]
