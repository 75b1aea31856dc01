"""Creation functions: tensors made on the current backend (or the backend of a given
tensor, for the ``*_like`` forms), with PyTorch's conveniences (``ones(2, 2)``,
``requires_grad=``, ``randn``) beside the standard's signatures."""
from __future__ import annotations

from .. import backend as _backend
from .. import tensor as _tensor

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
    return _filled("zeros", shape, more, dtype, device, requires_grad)


def ones(shape, *more, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _filled("ones", shape, more, dtype, device, requires_grad)


def empty(shape, *more, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _filled("empty", shape, more, dtype, device, requires_grad)


def full(shape, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    b = _backend.current()
    if dtype is None and isinstance(fill_value, float):
        dtype = b.default_float
    data = b.xp.full(_shape(shape, ()), fill_value, dtype=b.native(dtype), device=device)
    return _made(data, b, requires_grad)


def _like(fill, x, dtype, device, requires_grad, *args):
    x = _tensor.asarray(x)
    b = x._backend
    data = getattr(b.xp, fill)(x.data, *args, dtype=b.native(dtype), device=device)
    return _made(data, b, requires_grad)


def zeros_like(x, /, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _like("zeros_like", x, dtype, device, requires_grad)


def ones_like(x, /, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _like("ones_like", x, dtype, device, requires_grad)


def empty_like(x, /, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _like("empty_like", x, dtype, device, requires_grad)


def full_like(x, /, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _like("full_like", x, dtype, device, requires_grad, fill_value)


def arange(start, /, stop=None, step=1, *, dtype=None, device=None,
           requires_grad=False) -> Tensor:
    b = _backend.current()
    data = b.xp.arange(start, stop, step, dtype=b.native(dtype), device=device)
    return _made(data, b, requires_grad)


def linspace(start, stop, /, num, *, dtype=None, device=None, endpoint=True,
             requires_grad=False) -> Tensor:
    b = _backend.current()
    data = b.xp.linspace(start, stop, num, dtype=b.native(dtype), device=device,
                         endpoint=endpoint)
    return _made(data, b, requires_grad)


def eye(n_rows, n_cols=None, /, *, k=0, dtype=None, device=None,
        requires_grad=False) -> Tensor:
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

__all__ = ["arange", "empty", "empty_like", "eye", "full", "full_like", "linspace", "manual_seed", "ones", "ones_like", "rand", "randn", "zeros", "zeros_like"]
