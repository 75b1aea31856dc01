"""Gradients that cross from a lazy backend into the leaves of an eager one.

A NumPy-backed parameter that meets Dask-backed data is taken in by Dask (the Dask
profile's ``takes_in``), so the loss is a Dask array and backward runs every rule on
Dask, lazily. Only where a gradient must land in the NumPy parameter does anything
run: the engine defers each such gradient here, and once the walk is done they are all
evaluated in one pass, together with the value of the root (``loss``), so that

* the data are read once per step for the loss and all its gradients, not once per
  gradient, and
* ``loss.item()`` after backward costs nothing: the root's array is replaced by a Dask
  array around its computed value (the same value; its graph is kept).

Backward on Dask alone, with Dask leaves, stays lazy as before: nothing lands.
"""
from __future__ import annotations

from contextvars import ContextVar

from .._tensor import Tensor

# The gradients waiting to land in the current backward (per thread and task); None
# when the backend of the run takes in no other backend.
_PENDING: ContextVar = ContextVar("arraygrad_landing", default=None)


def begin(backend):
    """Start deferring for a backward run on ``backend``; the token for ``end``."""
    return _PENDING.set([] if backend.takes_in else None)


def end(token) -> None:
    _PENDING.reset(token)


def defer(t: Tensor, g, backend, create_graph: bool) -> None:
    """Keep the gradient ``g`` (of the run's ``backend``) for the leaf ``t`` of another
    backend until ``land``."""
    pending = _PENDING.get()
    if pending is None or backend.evaluate_together is None:
        raise TypeError(f"backward on the {backend.name!r} backend cannot put a gradient "
                        f"into a tensor of the {t._backend.name!r} backend")
    if create_graph:
        raise _no_create_graph(t, backend)
    pending.append((t, g))


def _no_create_graph(t, backend):
    return NotImplementedError(
        f"create_graph=True through {t._backend.name!r} tensors taken in by the "
        f"{backend.name!r} backend: make the parameters {backend.name!r} tensors "
        f"(arraygrad.asarray(p, backend={backend.name!r}))")


def land(backend, accumulate, captured, inputs, roots, create_graph: bool) -> None:
    """Evaluate the deferred gradients, the captured gradients of inputs of other
    backends (``autograd.grad``) and the roots' values in one pass; add the gradients
    into their leaves (``accumulate``), put the captured ones back in ``captured`` as
    arrays of their input's backend, and give each root its computed value."""
    pending = _PENDING.get() or []
    foreign = [t for t in inputs or () if t._backend is not backend and id(t) in captured]
    if not pending and not foreign:
        return
    if create_graph:
        raise _no_create_graph(foreign[0], backend)
    roots = [t for t in roots if t._view is None]  # a view's data follows its base
    values = backend.evaluate_together(
        [g for _, g in pending] + [captured[id(t)] for t in foreign] + [t._data for t in roots])
    values = iter(values)
    for t, _ in pending:
        accumulate(t, t._backend.xp.asarray(next(values)), t._backend, False)
    for t in foreign:
        captured[id(t)] = t._backend.xp.asarray(next(values))
    for t in roots:
        t._data = backend.xp.asarray(next(values))
