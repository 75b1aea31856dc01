"""``arraygrad.distributed``: gradients of a loss that is a sum over the row blocks of
Dask arrays, computed block by block on the workers and summed in a tree.

    value, grads = value_and_grad(fn, params, *chunked_data, blocks=None, split_every=None)

The contract:

* **The loss is a sum over row blocks.** ``fn(*params, *data_blocks)`` returns the
  loss of one row block as a 0-d floating Tensor; the total is the sum over the blocks
  chosen. A mean over all rows is written as ``sum(...) / n`` with ``n`` the total row
  count, so the sum of the blocks' values is the full-batch mean exactly.
* **Where ``fn`` runs.** On the worker that holds the block, once per block, with the
  block's own array backend (NumPy, or CuPy for CuPy-chunked Dask arrays): each block
  comes to ``fn`` as ``arraygrad.asarray(block)``, that backend is the current one
  while ``fn`` runs (so tensors ``fn`` makes live beside the block), and grad mode is
  on. The data are constants: no gradient flows to them.
* **Parameters.** ``params`` is an iterable of Tensors on an eager backend (NumPy,
  CuPy, torch, ...), small enough to copy to every worker. They travel as host NumPy
  arrays, once per worker per call, and ``fn`` receives them re-made on the block's
  backend with ``requires_grad=True``. A parameter ``fn`` does not use gets a zero
  gradient.
* **The reduction.** Each block's value and gradients are summed in a Dask tree
  reduction, ``split_every`` blocks per node (Dask's default fan-in when ``None``), and
  the root's sums come back to the host in one ``compute``: the value as a 0-d Tensor
  on the backend of ``params[0]``, each gradient on its parameter's backend, dtype and
  shape. Nothing is accumulated into ``.grad``: assign ``p.grad = g`` to hand the
  gradients to an optimizer.
* **Which scheduler.** Whatever Dask scheduler is active: a ``distributed.Client`` (a
  ``LocalCluster`` or a remote scheduler), or Dask's local threads when there is none.
  Dask's own fault tolerance applies: when a worker dies mid-call, the blocks and
  partial sums it held are computed again elsewhere, and the result is the same, bit
  for bit (the tree's shape, and so the order of the additions, does not depend on
  where the blocks run).
* **Minibatches without a shuffle.** ``blocks`` picks row blocks by index (negative
  indices count from the end; a repeated index counts its block again): a random
  choice of blocks each step is minibatch SGD that moves no data.

Every data array must be a Dask array (or a Tensor on the ``dask`` backend) with at
least one axis and the same row chunks (axis 0) as the others; chunks along the other
axes are joined inside the task, so each block reaches ``fn`` whole.

This module reaches Dask only through the arrays it is given (their methods and their
backend's namespace): like the rest of the package above the backend layer, it
imports no array library.
"""
from __future__ import annotations

import operator
from collections.abc import Iterable

from . import autograd
from ._tensor import Tensor, asarray
from .backend import backend_of_array, get_backend, is_backend_array, use_backend

__all__ = ["value_and_grad"]


def value_and_grad(fn, params, *chunked_data, blocks=None, split_every=None):
    """The sum over row blocks of ``fn(*params, *data_blocks)`` and its gradients with
    respect to ``params``, computed on the Dask workers (see the module docstring).

    Returns ``(value, grads)``: a 0-d Tensor and a tuple with one Tensor per parameter,
    on the host, on the parameters' backends, not requiring grad.
    """
    params = _check_params(params)
    arrays = _check_data(chunked_data)
    if blocks is not None:
        picked = _block_indices(blocks, arrays[0].numblocks[0])
        arrays = [a.blocks[picked] for a in arrays]
    dask_xp = get_backend("dask").xp
    # Each parameter becomes a one-chunk Dask array whose indices appear in no data
    # array: Dask then hands every block task the whole parameter, and a worker fetches
    # it once per call instead of finding a copy inside every task of the graph.
    shipped = [dask_xp.asarray(p._backend.to_host(p._data)) for p in params]
    operands = []
    for i, a in enumerate(shipped):
        operands += [a, tuple(f"p{i}_{axis}" for axis in range(a.ndim))]
    for i, a in enumerate(arrays):
        operands += [a, ("row",) + tuple(f"d{i}_{axis}" for axis in range(1, a.ndim))]
    # The partial sums are Python objects whatever the blocks' backend: to Dask, a NumPy
    # array of objects.
    object_meta = get_backend("numpy").xp.empty((0,), dtype=object)
    partials = dask_xp.blockwise(
        _block_value_and_grad, ("row",), *operands, fn=fn, n_params=len(params),
        concatenate=True, adjust_chunks={"row": 1}, dtype=object, meta=object_meta)
    total = dask_xp.reduction(
        partials, chunk=_as_is, combine=_sum_partials, aggregate=_to_host,
        split_every=split_every, concatenate=False, dtype=object, meta=object_meta)
    host = total.compute()
    return (asarray(host.value, backend=params[0]._backend),
            tuple(asarray(g, backend=p._backend) for g, p in zip(host.grads, params)))


class _Partial:
    """The loss and gradients of some blocks: detached tensors of the blocks' backend,
    which add elementwise, or at the root of the tree host NumPy arrays. (A class, not
    a tuple: Dask would take a tuple for a nest of blocks.)"""

    __slots__ = ("value", "grads")

    def __init__(self, value: Tensor, grads):
        self.value = value
        self.grads = tuple(grads)

    def __add__(self, other: "_Partial") -> "_Partial":
        return _Partial(self.value + other.value,
                        (a + b for a, b in zip(self.grads, other.grads)))


def _block_value_and_grad(*arrays, fn, n_params):
    """One row block, on a worker: ``fn``'s value and gradients there."""
    data = [asarray(block) for block in arrays[n_params:]]
    backend = data[0]._backend
    with use_backend(backend.name), autograd.enable_grad():
        params = [asarray(p, backend=backend, requires_grad=True)
                  for p in arrays[:n_params]]
        loss = fn(*params, *data)
        _check_loss(loss)
        if not loss.requires_grad:
            raise ValueError("fn's loss does not depend on any of the parameters, so it "
                             "has no gradient; check that fn uses the parameters it is "
                             "given (in the order of params), not copies of them")
        grads = autograd.grad(loss, params, materialize_grads=True)
    return _Partial(loss.detach(), (g.detach() for g in grads))


def _check_loss(loss) -> None:
    if not isinstance(loss, Tensor):
        raise TypeError(f"fn must return the block's loss as an arraygrad Tensor, not "
                        f"{type(loss).__name__}")
    if loss.ndim != 0 or not loss.dtype.is_floating_point:
        raise ValueError(f"fn must return a scalar (0-d) floating-point loss per block, "
                         f"not a tensor of shape {loss.shape} and dtype {loss.dtype.name}: "
                         "reduce it (arraygrad.sum, arraygrad.mean) inside fn")


def _as_is(partial, axis, keepdims):
    """The reduction's first step: the blocks' partials are already what is summed."""
    return partial


def _sum_partials(partials, axis, keepdims) -> _Partial:
    """An inner node of the tree: the sum of up to ``split_every`` partials, added in
    the order of the blocks."""
    total = partials[0]
    for partial in partials[1:]:
        total = total + partial
    return total


def _to_host(partials, axis, keepdims):
    """The root of the tree: the total, as host NumPy arrays, made on the worker so the
    client never needs the blocks' array library (CuPy)."""
    total = _sum_partials(partials, axis, keepdims)
    return _Partial(total.value.numpy(), (g.numpy() for g in total.grads))


def _check_params(params) -> list[Tensor]:
    if isinstance(params, Tensor) or not isinstance(params, Iterable):
        raise TypeError("params must be an iterable of Tensors, e.g. [w, b], not "
                        f"{type(params).__name__}")
    params = list(params)
    if not params:
        raise ValueError("params is empty: there is nothing to differentiate")
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"params[{i}] must be an arraygrad Tensor, not {type(p).__name__}")
        if p._backend.name == "dask":
            raise TypeError(
                f"params[{i}] is on the dask backend; value_and_grad keeps the parameters "
                "on the host and copies them to the workers: pass it on an eager backend, "
                "e.g. arraygrad.asarray(p.detach().numpy())")
        if not p.dtype.is_floating_point:
            raise TypeError(f"params[{i}] has dtype {p.dtype.name}; only real floating-point "
                            "parameters have gradients here")
    return params


def _check_data(chunked_data) -> list:
    """The Dask arrays of the data, after checking that their row blocks line up."""
    if not chunked_data:
        raise TypeError("value_and_grad needs at least one Dask array of data")
    arrays = []
    for i, d in enumerate(chunked_data):
        if isinstance(d, Tensor):
            backend, what = d._backend.name, f"a Tensor on the {d._backend.name} backend"
        else:
            backend = _array_backend(d)
            what = f"a {backend} array" if backend else f"a {type(d).__name__}"
        if backend != "dask":
            raise TypeError(
                f"data argument {i} is {what}, not a Dask array: value_and_grad runs fn on "
                "the row blocks of Dask arrays (dask.array.from_array(x, chunks=(rows, -1)) "
                "makes one from an array, rows at a time)")
        a = d._data if isinstance(d, Tensor) else d
        if a.ndim == 0:
            raise ValueError(f"data argument {i} is 0-d: it has no rows to split into blocks")
        if any(n != n for n in a.chunks[0]):
            raise ValueError(f"data argument {i} has row blocks of unknown size (NaN, after "
                             "a boolean mask, say): call .compute_chunk_sizes() on it first")
        arrays.append(a)
    rows = arrays[0].chunks[0]
    for i, a in enumerate(arrays[1:], 1):
        if a.chunks[0] != rows:
            raise ValueError(
                f"data arguments 0 and {i} have different row blocks ({_describe(rows)} "
                f"against {_describe(a.chunks[0])}): fn sees the same rows of every data "
                f"array, so rechunk them alike, e.g. y.rechunk({{0: x.chunks[0]}})")
    return arrays


def _array_backend(value) -> str | None:
    """The arraygrad backend name of a raw array, or None for anything else."""
    return backend_of_array(value).name if is_backend_array(value) else None


def _describe(chunks: tuple) -> str:
    return (f"{len(chunks)} blocks of {chunks[0]} rows" if len(set(chunks)) == 1
            else f"{len(chunks)} blocks of {', '.join(map(str, chunks[:4]))}"
                 f"{', ...' if len(chunks) > 4 else ''} rows")


def _block_indices(blocks, count: int) -> list[int]:
    """``blocks`` as non-negative indices of row blocks, checked."""
    if isinstance(blocks, (str, bytes)) or not isinstance(blocks, Iterable):
        raise TypeError(f"blocks must be an iterable of block indices, not "
                        f"{type(blocks).__name__}")
    picked = []
    for b in blocks:
        i = operator.index(b)
        if not -count <= i < count:
            raise IndexError(f"block index {i} is out of range for data with {count} row "
                             "blocks")
        picked.append(i % count)
    if not picked:
        raise ValueError("blocks is empty: pick at least one row block")
    return picked
