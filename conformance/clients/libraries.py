"""The libraries a call runs on: NumPy (the reference), arraygrad and PyTorch.

A ``Library`` is everything the sweep needs to know about one of them: how to make a
differentiated leaf (``leaf``) and a constant (``const``: labels, integer orders, masks)
from a NumPy array, the namespace to pass where a function takes ``xp=``, whether a value
is one of its arrays, its values as NumPy, the gradient of a scalar loss with respect to
the leaves, and how it refuses to hand a tensor that requires grad to NumPy.

The leaves are made as the task states: ``arraygrad.asarray(a, dtype=arraygrad.float64,
requires_grad=True)`` and ``torch.tensor(a, dtype=torch.float64, requires_grad=True)``.
"""
from __future__ import annotations

import contextlib

import numpy as np

# The two refusals: arraygrad's ``__array__``/``__dlpack__``/``numpy()`` on a tensor that
# requires grad, and PyTorch's ``numpy()``/``__array__`` on one.
REFUSALS = {
    "arraygrad": ("Can't convert a Tensor that requires grad",
                  "Can't call numpy() on Tensor that requires grad"),
    "torch": ("Can't call numpy() on Tensor that requires grad",
              "Use tensor.detach().numpy() instead"),
}


def _exception_chain(exc):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


class Library:
    name = "numpy"

    def __init__(self):
        import array_api_compat.numpy as xp
        self.xp = xp

    def leaf(self, a: np.ndarray):
        return np.array(a, dtype=np.float64)

    def const(self, a):
        return np.asarray(a)

    def is_array(self, v) -> bool:
        return isinstance(v, (np.ndarray, np.generic))

    def to_numpy(self, v) -> np.ndarray:
        return np.asarray(v)

    def requires_grad(self, v) -> bool:
        return False

    def grads(self, loss, leaves):
        raise NotImplementedError("the reference is differentiated by finite differences")

    def refused(self, exc: BaseException) -> bool:
        marks = REFUSALS.get(self.name, ())
        return any(isinstance(e, RuntimeError) and any(m in str(e) for m in marks)
                   for e in _exception_chain(exc))

    @contextlib.contextmanager
    def active(self):
        """Where the call runs: scikit-learn's array-API dispatch on (for NumPy too, so
        that the reference takes the same code path as the tensors)."""
        import sklearn
        with sklearn.config_context(array_api_dispatch=True):
            yield


class ArraygradLibrary(Library):
    name = "arraygrad"

    def __init__(self, backend: str | None = None):
        import arraygrad as ag
        self.ag = ag
        self.backend = backend
        if backend:
            ag.set_backend(backend)
        self.xp = ag

    def leaf(self, a):
        return self.ag.asarray(a, dtype=self.ag.float64, requires_grad=True)

    def const(self, a):
        return self.ag.asarray(np.asarray(a))

    def is_array(self, v):
        return isinstance(v, self.ag.Tensor)

    def to_numpy(self, v):
        return np.asarray(v.detach().numpy())

    def requires_grad(self, v):
        return bool(getattr(v, "requires_grad", False))

    def grads(self, loss, leaves):
        found = self.ag.autograd.grad(loss, leaves, allow_unused=True)
        return [None if g is None else self.to_numpy(g) for g in found]


class TorchLibrary(Library):
    name = "torch"

    def __init__(self):
        import array_api_compat.torch as xp
        import torch
        self.torch = torch
        self.xp = xp

    def leaf(self, a):
        return self.torch.tensor(a, dtype=self.torch.float64, requires_grad=True)

    def const(self, a):
        return self.torch.asarray(np.array(a))

    def is_array(self, v):
        return isinstance(v, self.torch.Tensor)

    def to_numpy(self, v):
        return v.detach().cpu().resolve_conj().numpy()

    def requires_grad(self, v):
        return bool(v.requires_grad)

    def grads(self, loss, leaves):
        found = self.torch.autograd.grad(loss, leaves, allow_unused=True)
        return [None if g is None else self.to_numpy(g) for g in found]


def make(name: str, backend: str | None = None) -> Library:
    if name == "numpy":
        return Library()
    if name == "arraygrad":
        return ArraygradLibrary(backend)
    if name == "torch":
        return TorchLibrary()
    raise ValueError(f"unknown library {name!r} (numpy, arraygrad, torch)")


def torch_installed() -> bool:
    import importlib.util
    return importlib.util.find_spec("torch") is not None
