"""Backward hooks, as PyTorch has them.

* ``Tensor.register_hook(fn)``: ``fn(grad)`` sees the gradient of the tensor during
  backward and may return a replacement. On a non-leaf the hook lives on the tensor's
  node, keyed by the tensor's output number (as ``retain_grad`` does); on a leaf it
  lives in ``LEAF_HOOKS``, a module-level table keyed by the leaf's id and emptied when
  the leaf dies.
* ``Tensor.register_post_accumulate_grad_hook(fn)`` (leaves): ``fn(tensor)`` runs after
  the gradient has been added into ``tensor.grad``.
* ``register_multi_grad_hook(tensors, fn, mode="all")``: ``fn(grads)`` once per
  backward, after the gradients of all of ``tensors`` that it reaches are computed
  (``None`` for the others); ``mode="any"``: ``fn(grad)`` with the first of them.
* ``grad_fn.register_prehook(fn)``: ``fn(grad_outputs)`` before the node runs, may
  return replacement ``grad_outputs``; ``grad_fn.register_hook(fn)``:
  ``fn(grad_inputs, grad_outputs)`` after it, may return replacement ``grad_inputs``.

Each returns a ``RemovableHandle``. The order within one tensor or node is PyTorch's:
tensor hooks, then the retained ``.grad`` is filled, then the node's pre-hooks, the
node, its post-hooks. Hooks see Tensors (``None`` for a missing gradient); what they
return is unwrapped back to what the engine carries. No hook table refers back to a
tensor (leaves are held weakly), so registering a hook creates no reference cycle.
"""
from __future__ import annotations

import itertools
import weakref
from contextvars import ContextVar

from .. import backend as _backend_mod
from .._tensor import Tensor, asarray

_next_id = itertools.count()


class _HookDict(dict):
    """A dict of hooks by handle id; weakly referable, for the handles."""

    __slots__ = ("__weakref__",)


class RemovableHandle:
    """What ``register_*hook`` returns: ``handle.remove()`` unregisters the hook (also on
    leaving a ``with handle:`` block). Holds its table weakly."""

    __slots__ = ("id", "_table", "_after")

    def __init__(self, table: _HookDict, after=None):
        self.id = next(_next_id)
        self._table = weakref.ref(table)
        self._after = after

    def remove(self) -> None:
        table = self._table()
        if table is not None:
            table.pop(self.id, None)
        if self._after is not None:
            self._after()
            self._after = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
        return False


# What runs once the current backward has finished: a list per backward (per thread and
# task; None outside one), which the multi-grad hooks of mode "all" queue into.
_AT_END: ContextVar = ContextVar("arraygrad_backward_end", default=None)


def begin_backward():
    """Open the end-of-backward queue of a new backward; the token for ``end_backward``."""
    return _AT_END.set([])


def end_backward(token, finished: bool) -> None:
    """Close the queue; if the backward ``finished``, run what was queued, in order."""
    queue = _AT_END.get()
    _AT_END.reset(token)
    if finished:
        for callback in queue:
            callback()


class _MultiHandle:
    """The handle of a multi-grad hook: removes its hook from every tensor."""

    __slots__ = ("_handles",)

    def __init__(self, handles):
        self._handles = handles

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
        return False


def register_multi_grad_hook(tensors, fn, *, mode="all"):
    """PyTorch's ``torch.autograd.graph.register_multi_grad_hook``: in mode ``"all"``,
    ``fn(grads)`` once per backward that reaches any of ``tensors``, after all their
    gradients are computed, with ``None`` for a tensor that backward did not reach; in
    mode ``"any"``, ``fn(grad)`` with the first gradient computed. ``fn`` returns
    nothing: it observes, it does not replace."""
    if mode not in ("all", "any"):
        raise ValueError(f"Expects mode to be one of ('all', 'any') but got {mode}")
    tensors = tuple(tensors)
    for t in tensors:
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError("register_multi_grad_hook expects tensors that require grad")
    state = {"queue": None, "grads": None}  # which backward was seen, and its gradients

    def observe(i):
        def hook(grad):
            queue = _AT_END.get()
            if state["queue"] is not queue:  # the first of them in this backward
                state["queue"] = queue
                if mode == "any":
                    fn(grad)
                    return None
                grads = state["grads"] = [None] * len(tensors)
                queue.append(lambda: fn(tuple(grads)))
            if mode == "all":
                state["grads"][i] = grad
            return None
        return hook

    return _MultiHandle([t.register_hook(observe(i)) for i, t in enumerate(tensors)])


def _add(table: _HookDict, fn, after=None) -> RemovableHandle:
    if not callable(fn):
        raise TypeError(f"a hook must be callable, not {type(fn).__name__}")
    handle = RemovableHandle(table, after)
    table[handle.id] = fn
    return handle


class NodeHooks:
    """The hooks of one node: ``tensor`` maps an output number to the hooks of the
    tensor at that output; ``pre`` and ``post`` are the node's own."""

    __slots__ = ("tensor", "pre", "post")

    def __init__(self):
        self.tensor = {}
        self.pre = _HookDict()
        self.post = _HookDict()


class LeafHooks:
    __slots__ = ("ref", "pre", "post")

    def __init__(self, ref):
        self.ref = ref
        self.pre = _HookDict()
        self.post = _HookDict()


# id(leaf) -> LeafHooks. Empty unless some leaf has a hook: the engine checks only that.
LEAF_HOOKS: dict = {}


def _node_hooks(node) -> NodeHooks:
    hooks = node._hooks
    if hooks is None:
        hooks = node._hooks = NodeHooks()
    return hooks


def _leaf_hooks(t) -> LeafHooks:
    key = id(t)
    entry = LEAF_HOOKS.get(key)
    if entry is not None and entry.ref() is t:
        return entry

    def forget(ref, key=key):
        current = LEAF_HOOKS.get(key)
        if current is not None and current.ref is ref:
            del LEAF_HOOKS[key]

    entry = LEAF_HOOKS[key] = LeafHooks(weakref.ref(t, forget))
    return entry


def _forget_if_empty(key):
    def after():
        entry = LEAF_HOOKS.get(key)
        if entry is not None and not entry.pre and not entry.post:
            del LEAF_HOOKS[key]
    return after


# -- registration ----------------------------------------------------------------------

def register_tensor_hook(t, fn) -> RemovableHandle:
    if not t.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    node = t.grad_fn
    if node is None:
        return _add(_leaf_hooks(t).pre, fn, _forget_if_empty(id(t)))
    table = _node_hooks(node).tensor.get(t._output_nr)
    if table is None:
        table = node._hooks.tensor[t._output_nr] = _HookDict()
    return _add(table, fn)


def register_post_accumulate_grad_hook(t, fn) -> RemovableHandle:
    if t.grad_fn is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                           "tensors")
    if not t.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    return _add(_leaf_hooks(t).post, fn, _forget_if_empty(id(t)))


def register_node_prehook(node, fn) -> RemovableHandle:
    return _add(_node_hooks(node).pre, fn)


def register_node_hook(node, fn) -> RemovableHandle:
    return _add(_node_hooks(node).post, fn)


# -- running them (called by the engine only where a hook exists) ------------------------

def _wrap(g, backend):
    if g is None or isinstance(g, Tensor):
        return g
    return Tensor._wrap(g, backend)


def _unwrap(value, like, backend, create_graph, what):
    """A hook's replacement for ``like``, as the engine carries it."""
    if value is None:
        return None
    if not isinstance(value, Tensor):
        if not _backend_mod.is_backend_array(value):
            raise TypeError(f"{what} must return a Tensor or None, not {type(value).__name__}")
        value = asarray(value)
    if like is not None:
        shape = tuple(like.shape)
        if tuple(value.shape) != shape:
            raise RuntimeError(f"{what} returned a gradient of shape {tuple(value.shape)}, "
                               f"expected {shape}")
    return value if create_graph else value._data


def _call_tensor_hooks(table, g, backend, create_graph):
    for fn in tuple(table.values()):
        out = fn(_wrap(g, backend))
        if out is not None:
            g = _unwrap(out, g, backend, create_graph, "hook")
    return g


def _call_grads_hooks(table, grads, backend, create_graph, what, extra=None):
    """Pre- or post-hooks of a node over a tuple of gradients."""
    for fn in tuple(table.values()):
        wrapped = tuple(_wrap(g, backend) for g in grads)
        out = fn(wrapped) if extra is None else fn(wrapped, extra)
        if out is not None:
            out = tuple(out) if isinstance(out, (tuple, list)) else (out,)
            if len(out) != len(grads):
                raise RuntimeError(f"{what} returned {len(out)} gradients, expected "
                                   f"{len(grads)}")
            grads = tuple(_unwrap(o, g, backend, create_graph, what)
                          for o, g in zip(out, grads))
    return grads


def run_leaf(leaf, entry, grad, backend, create_graph, capture, wanted_leaves, captured):
    """What the engine does with a leaf's gradient, hooks included."""
    from .engine import _accumulate
    key = id(leaf)
    if entry.ref() is not leaf:  # a stale entry (cannot happen while the leaf lives)
        entry = LeafHooks(entry.ref)
    if capture:
        if key in wanted_leaves:
            if entry.pre:
                grad = _call_tensor_hooks(entry.pre, grad, backend, create_graph)
            if grad is not None:
                captured[key] = grad
        return
    if wanted_leaves is not None and key not in wanted_leaves:
        return
    if entry.pre:
        grad = _call_tensor_hooks(entry.pre, grad, backend, create_graph)
    if grad is not None:
        _accumulate(leaf, grad, backend, create_graph)
    if entry.post:
        for fn in tuple(entry.post.values()):
            fn(leaf)


def run_node(node, hooks, grad, xp, backend, retain_graph, create_graph, capture,
             wanted_outputs, captured):
    """What the engine does with a node holding hooks: the gradients for its inputs."""
    from .engine import _accumulate, _fill_retained
    multi = node.n_outputs > 1
    if grad is not None and hooks.tensor:
        if multi:
            grad = list(grad)
            for nr, table in hooks.tensor.items():
                if table:  # called with None for an output without gradient, as in PyTorch
                    grad[nr] = _call_tensor_hooks(table, grad[nr], backend, create_graph)
        elif hooks.tensor.get(0):
            grad = _call_tensor_hooks(hooks.tensor[0], grad, backend, create_graph)
    if grad is not None:
        if node._retained is not None and not capture:
            _fill_retained(node, grad, backend, create_graph)
        if wanted_outputs is not None and node in wanted_outputs:
            for t in wanted_outputs[node]:
                g = grad[t._output_nr] if multi else grad
                if g is not None:
                    if capture:
                        captured[id(t)] = g
                    else:
                        _accumulate(t, g, backend, create_graph)
        if multi and all(g is None for g in grad):
            grad = None
    if grad is None:
        return (None,) * len(node._next)
    if hooks.pre:
        outs = tuple(grad) if multi else (grad,)
        outs = _call_grads_hooks(hooks.pre, outs, backend, create_graph, "pre-hook")
        grad = list(outs) if multi else outs[0]
        if grad is None or multi and all(g is None for g in grad):
            return (None,) * len(node._next)
    input_grads = node._apply(grad, xp, create_graph)
    if not retain_graph:
        node._release()
    if hooks.post:
        outs = tuple(grad) if multi else (grad,)
        input_grads = _call_grads_hooks(hooks.post, tuple(input_grads), backend,
                                        create_graph, "hook", extra=tuple(
                                            _wrap(g, backend) for g in outs))
    return input_grads


# -- Tensor's hook methods, installed here (Tensor sits below autograd) ----------------

def _tensor_register_hook(self, hook):
    """``hook(grad)`` runs when the gradient of this tensor is computed in backward; it
    may return a replacement gradient. Returns a handle with ``.remove()``."""
    return register_tensor_hook(self, hook)


def _tensor_register_post_accumulate_grad_hook(self, hook):
    """``hook(tensor)`` runs after a gradient is accumulated into this leaf's ``.grad``.
    Returns a handle with ``.remove()``."""
    return register_post_accumulate_grad_hook(self, hook)


Tensor.register_hook = _tensor_register_hook
Tensor.register_post_accumulate_grad_hook = _tensor_register_post_accumulate_grad_hook
