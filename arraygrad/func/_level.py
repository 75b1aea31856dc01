"""One level of differentiation: the private inputs a transform differentiates with
respect to, its reverse passes, and which of its results stay in the caller's graph.

Transforms compose (``grad(grad(f))``, ``jacfwd(jacrev(f))``, ``vmap(grad(f))``) with
no levels or wrappers in the tensors: each transform calls ``f`` on its own copies of
the inputs and differentiates with respect to them.

* An input that the caller's graph tracks (it requires grad, and grad mode is on) is
  copied by ``positive``: a node that gradients pass through, so the caller can still
  differentiate the results with respect to the original.
* Any other input is copied to a fresh leaf that requires grad: one of the level's
  *own* leaves.

After ``f`` has run, a walk of its graph tells whether the results depend on anything
outside the level: the caller's inputs, or tensors ``f`` closes over that require
grad. Only then are the reverse passes recorded (``create_graph=True``) and the
results left in the graph; otherwise the passes are plain and the results detached, as
``torch.func`` returns them.
"""
from __future__ import annotations

from .._tensor import Tensor, edge_of
from ..autograd import engine
from ..autograd.node import Node
from ..autograd.grad_mode import enable_grad, is_grad_enabled
from ..ops import positive, zeros_like
from ._tree import flatten, unflatten


class Level:
    """The copies of ``tensors`` a transform differentiates with respect to."""

    def __init__(self, tensors, what: str):
        self.what = what
        self._tracking = is_grad_enabled()  # the caller's grad mode
        self._own = {}  # id -> leaf (kept alive, so that no id is reused)
        self.inputs = tuple(self._copy(t, i) for i, t in enumerate(tensors))

    def _copy(self, t, i):
        if not isinstance(t, Tensor):
            raise TypeError(f"{self.what}: the argument to differentiate at position {i} must "
                            f"be a Tensor, not {type(t).__name__}")
        if not t.dtype.is_differentiable:
            raise TypeError(f"{self.what}: the argument to differentiate at position {i} must "
                            f"be floating point or complex, not {t.dtype.name}")
        if self._tracking and edge_of(t) is not None:
            with enable_grad():
                return positive(t)
        return self.own_leaf(t)

    def own_leaf(self, t) -> Tensor:
        """A new leaf holding ``t``'s values, requiring grad, belonging to this level."""
        leaf = t.detach().requires_grad_(True)
        self._own[id(leaf)] = leaf
        return leaf

    def call(self, f, args, kwargs=None):
        """``f(*args, **kwargs)`` with grad mode on (whatever the caller's mode: the
        transform's result must not depend on it)."""
        with enable_grad():
            return f(*args, **(kwargs or {}))

    def reaches_outside(self, tensors) -> bool:
        """Whether the graph of ``tensors`` reaches a leaf that requires grad and is
        not one of this level's own."""
        stack, seen = [], set()
        for t in tensors:
            edge = edge_of(t)
            if edge is not None:
                stack.append(edge[0])
        while stack:
            vertex = stack.pop()
            if id(vertex) in seen:
                continue
            seen.add(id(vertex))
            if isinstance(vertex, Node):
                stack.extend(v for v in vertex._next if v is not None)
            elif id(vertex) not in self._own:
                return True
        return False

    def keeps(self, tensors, cotangents=()) -> bool:
        """Whether results computed from ``tensors`` (and ``cotangents``) belong in the
        caller's graph: grad mode is on there (this is called outside ``call``) and
        something outside the level is tracked."""
        if not is_grad_enabled():
            return False
        return (any(c.requires_grad for c in cotangents)
                or self.reaches_outside(tensors))

    def export(self, tree):
        """``tree`` with every tensor that does not belong in the caller's graph
        detached."""
        leaves, spec = flatten(tree)
        return unflatten(spec, [t.detach() if isinstance(t, Tensor) and not self.keeps([t])
                                else t for t in leaves])

    def vjp(self, outputs, wrt, cotangents, create_graph: bool) -> tuple:
        """sum_i <cotangents[i], d outputs[i] / d wrt> for each tensor of ``wrt``, as
        one reverse pass; zeros where ``wrt`` does not reach the outputs. The graph is
        kept, so the pass may be repeated."""
        pairs = [(o, c) for o, c in zip(outputs, cotangents) if edge_of(o) is not None]
        if not pairs:
            return tuple(zeros_like(w) for w in wrt)
        outs, cots = zip(*pairs)
        return engine.grad(outs, wrt, cots, retain_graph=True, create_graph=create_graph,
                           allow_unused=True, materialize_grads=True)
