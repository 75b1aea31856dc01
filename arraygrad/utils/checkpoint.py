"""Activation checkpointing: keep a function's inputs instead of the values its
operations save for backward, and compute those values again when backward needs them
(``torch.utils.checkpoint``, its non-reentrant variant).

The function runs once, recorded as usual, under saved-tensor hooks that keep only a
small handle for each value an operation saves. So the graph is the ordinary graph
(gradients reach the arguments, and also the parameters and tensors the function
captured from outside; ``autograd.grad``, ``inputs=`` and tensor hooks behave as
without the checkpoint) but holds no activations of the function. When backward first
reads one of those values, the function runs again, from the kept inputs and with
grad recording on, and its saved values fill the handles in the order they were
saved. In a ``create_graph=True`` backward the values come back attached to the
original graph, so higher derivatives go through the checkpoint too.

The function must do the same operations when it runs again (same shapes, same
branches); the random stream that ``randn``/``rand`` draw from is put back to where it
was, so random masks come out the same (``preserve_rng_state``). Memory: between
forward and backward a checkpoint keeps its inputs; during backward, the saved values
of one checkpointed call at a time.
"""
from __future__ import annotations

import contextlib

from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad
from ..autograd.graph import saved_tensors_hooks
from ..backends import get_rng_state, set_rng_state

__all__ = ["checkpoint", "checkpoint_sequential"]


def checkpoint(function, *args, use_reentrant=None, preserve_rng_state=True, **kwargs):
    """``function(*args, **kwargs)``, keeping only its inputs for backward and running it
    again when backward needs its intermediate values.

    ``use_reentrant`` is accepted for PyTorch code: every value gives the behaviour of
    PyTorch's ``use_reentrant=False`` (which also covers what the reentrant variant
    does). The function may return anything: Tensors, tuples, dicts.
    """
    if use_reentrant not in (None, False, True):
        raise TypeError(f"use_reentrant must be None or a bool, not {use_reentrant!r}")
    recomputation = _Recomputation(function, args, kwargs, preserve_rng_state)
    with saved_tensors_hooks(recomputation.pack, recomputation.unpack):
        return function(*args, **kwargs)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Run the callables ``functions`` one after another on ``input``, checkpointing
    them in ``segments`` runs of equal length; the last run (with any remainder) is not
    checkpointed, since backward needs its values at once. ``kwargs``:
    ``preserve_rng_state``."""
    functions = list(functions)
    if not isinstance(segments, int) or not 1 <= segments <= max(len(functions), 1):
        raise ValueError(f"segments must be an int between 1 and the number of functions "
                         f"({len(functions)}), not {segments!r}")
    size = len(functions) // segments

    def run(chunk):
        def forward(x):
            for f in chunk:
                x = f(x)
            return x
        return forward

    end = 0
    for start in range(0, size * (segments - 1), size):
        end = start + size
        input = checkpoint(run(functions[start:end]), input, use_reentrant=use_reentrant,
                           **kwargs)
    return run(functions[end:])(input)


class _Recomputation:
    """One checkpointed call: what it needs to run again, what its forward saved
    (shape and dtype only), and the values of the last run again that backward has
    not read yet."""

    def __init__(self, function, args, kwargs, preserve_rng_state):
        self.function = function
        self.args = args
        self.kwargs = kwargs
        self.rng_state = get_rng_state() if preserve_rng_state else None
        self.saved = []   # (shape, dtype) of each value the forward saved, in order
        self.values = {}  # handle -> value of the latest run again, until read

    def pack(self, tensor):
        self.saved.append((tuple(tensor.shape), tensor.dtype))
        return len(self.saved) - 1

    def unpack(self, handle):
        if handle not in self.values:
            self._run_again()
        return self.values.pop(handle)

    def _run_again(self):
        values = []

        def keep(tensor):
            values.append(tensor)
            return len(values) - 1

        args = [a.detach().requires_grad_(a.requires_grad) if isinstance(a, Tensor) else a
                for a in self.args]
        with enable_grad(), _random_state(self.rng_state), saved_tensors_hooks(keep, _unused):
            self.function(*args, **self.kwargs)
        again = [(tuple(t.shape), t.dtype) for t in values]
        if again != self.saved:
            raise RuntimeError(
                f"checkpoint: running {getattr(self.function, '__name__', self.function)!r} "
                f"again saved {len(again)} values for backward where its forward saved "
                f"{len(self.saved)}, or of other shapes or dtypes: a checkpointed function "
                "must do the same operations each time it runs")
        self.values = dict(enumerate(values))
        values.clear()  # a reference cycle may keep ``keep`` until collected: not the values


def _unused(handle):
    raise AssertionError("the graph of a checkpoint's run again is never differentiated")


@contextlib.contextmanager
def _random_state(state):
    """The random stream at ``state`` inside the block, and back where it was after
    (nothing changes when ``state`` is None)."""
    if state is None:
        yield
        return
    current = get_rng_state()
    set_rng_state(state)
    try:
        yield
    finally:
        set_rng_state(current)
