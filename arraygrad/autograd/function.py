"""The graph: nodes (what ``grad_fn`` is), the library's rule nodes, and the
user-facing ``Function`` for custom operations.

A node refers to the nodes (or leaf tensors) that produced its inputs, through its
``_next``; it never refers to the tensors it produced, so no graph holds a reference
cycle and every graph is freed by reference counting alone.
"""
from __future__ import annotations

import weakref

from .._tensor import Tensor, edge_of
from ..backend import backend_of_array
from ..dtypes import DType
from . import anomaly_mode
from .graph import Packed, current_hooks, pack
from .grad_mode import is_grad_enabled, set_grad_enabled

SECOND_BACKWARD = (
    "Trying to backward through the graph a second time (or directly access saved "
    "tensors after they have already been freed). Saved intermediate values of the "
    "graph are freed when you call .backward() or autograd.grad(). Specify "
    "retain_graph=True if you need to backward through the graph a second time or if "
    "you need to access saved tensors after calling backward.")

# Stands in for a node's saved values once backward has freed them.
FREED = ("<freed>",)

# Where a custom Function's saved output says "this node": a node referring to itself
# would be a reference cycle, left to the cycle collector if backward never runs.
OWN_OUTPUT = "<own output>"

# Saved values that are not arrays: kept after backward, since they cost nothing.
# Exact types: a NumPy scalar (a float subclass) is an array value.
_PLAIN = (int, float, complex, bool, str, tuple, type(None), DType)


class Node:
    """A recorded operation: the ``grad_fn`` of the tensors it produced.

    Its edges, one per tensor input, are two parallel tuples: ``_next`` holds ``None``
    where that input needs no gradient, else the vertex its gradient flows to: the
    input's own node, or the input tensor itself when it is a leaf that requires grad;
    ``_next_nr`` holds which output of that vertex the input is. Two flat tuples rather
    than a tuple of pairs: one object for the cycle collector to scan per node instead
    of one per input, and the output numbers (nearly always all 0) are shared.
    """

    __slots__ = ("_next", "_next_nr", "_saved", "_retained", "_hooks", "__weakref__")
    n_outputs = 1

    def __init__(self):
        self._next = self._next_nr = ()
        self._saved = ()
        self._retained = None
        self._hooks = None  # a hooks.NodeHooks once a hook is registered

    def _edge(self, i):
        """Input ``i``'s edge as ``(vertex, output_nr)``, or ``None``."""
        vertex = self._next[i]
        return None if vertex is None else (vertex, self._next_nr[i])

    def register_hook(self, fn):
        """``fn(grad_inputs, grad_outputs)`` after this node runs in backward; it may
        return replacement ``grad_inputs``. Returns a handle with ``.remove()``."""
        from .hooks import register_node_hook
        return register_node_hook(self, fn)

    def register_prehook(self, fn):
        """``fn(grad_outputs)`` before this node runs in backward; it may return
        replacement ``grad_outputs``. Returns a handle with ``.remove()``."""
        from .hooks import register_node_prehook
        return register_node_prehook(self, fn)

    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {id(self):#x}>"

    @property
    def next_functions(self) -> tuple:
        """PyTorch's view of the edges: ``(node, output_nr)`` pairs, with leaves shown
        as ``AccumulateGrad`` and inputs that need no gradient as ``(None, 0)``."""
        out = []
        for vertex, nr in zip(self._next, self._next_nr):
            if vertex is None:
                out.append((None, 0))
            elif isinstance(vertex, Node):
                out.append((vertex, nr))
            else:
                out.append((AccumulateGrad(vertex), 0))
        return tuple(out)

    def _apply(self, grads, xp, create_graph: bool) -> tuple:
        """Gradients for the inputs from the gradients of the outputs.

        ``grads`` is the gradient of the single output, or a tuple of them when the node
        has several outputs (``None`` for an output that received none). In an ordinary
        backward they are backend arrays and ``xp`` is the backend's rule namespace; with
        ``create_graph`` they are Tensors and ``xp`` is arraygrad's own namespace.
        """
        raise NotImplementedError

    def _release(self) -> None:
        """Drop the saved arrays once backward has used them. A node that saved only
        Python values (scalars, shapes, axes) keeps them and can run again, as in
        PyTorch."""
        saved = self._saved
        if saved and saved is not FREED and not all(type(v) in _PLAIN for v in saved):
            self._saved = FREED


class AccumulateGrad:
    """How a leaf appears in ``next_functions`` (as in PyTorch)."""

    __slots__ = ("variable",)

    def __init__(self, variable):
        self.variable = variable

    def name(self) -> str:
        return "AccumulateGrad"

    @property
    def next_functions(self) -> tuple:
        return ()

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {id(self):#x}>"


class OpNode(Node):
    """A node of one of the library's operations: applies the op's vector-Jacobian
    product rules (see ``arraygrad.ops._define``) to what the forward saved."""

    __slots__ = ("_plan", "_meta")
    op = None  # set on each generated subclass

    def _release(self) -> None:
        """Free what was saved once an input or the result was saved, even one that is
        a Python number (``x * 2`` saved the 2): as PyTorch, which saves it as a tensor,
        a second backward then raises. An operation that saved only attributes and
        keywords (shapes, dtypes, axes) keeps them and can run again, as in PyTorch."""
        if self._plan.saves_arrays:
            self._saved = FREED

    # ``_apply`` is ``arraygrad.ops._define.apply_rules``, set on each generated subclass.


class FunctionCtx:
    """The ``ctx`` of a custom ``Function``: what forward leaves for backward. Its
    node holds it; it reaches its node by a weak reference (no reference cycle)."""

    def save_for_backward(self, *tensors) -> None:
        self._to_save = tensors

    @property
    def saved_tensors(self) -> tuple:
        if self._node is None:
            return self._to_save
        node = self._node()
        if node is None or node._saved is FREED:
            raise RuntimeError(SECOND_BACKWARD)
        return node._unpack_saved()

    def mark_non_differentiable(self, *tensors) -> None:
        self._non_differentiable = {id(t) for t in tensors}

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = value


class _FunctionMeta(type):
    """Gives each ``Function`` subclass its own node class, named as PyTorch names
    them (``class Exp(Function)`` records ``<ExpBackward object at …>``)."""

    def __init__(cls, name, bases, namespace):
        super().__init__(name, bases, namespace)
        if bases and bases != (object,):
            cls._node_class = type(f"{name}Backward", (CustomNode,), {"function": cls})


class CustomNode(Node):
    """The node of a user-defined ``Function``: calls its ``backward`` on Tensors."""

    __slots__ = ("ctx", "_output_meta")
    function = None

    @property
    def n_outputs(self):
        return len(self._output_meta)

    def _release(self) -> None:
        if self._saved:
            self._saved = FREED

    def _unpack_saved(self):
        saved = []
        for data, backend, edge in self._saved:
            if data is None:
                saved.append(None)
            else:
                if type(data) is Packed:
                    data = data.unpack()
                if edge is not None and edge[0] is OWN_OUTPUT:
                    edge = (self, edge[1])
                saved.append(tensor_from_edge(data, backend, edge))
        return tuple(saved)

    def _apply(self, grads, xp, create_graph):
        if self.n_outputs == 1:
            grads = (grads,)
        wrapped = []
        for g, (shape, backend, dtype) in zip(grads, self._output_meta):
            if g is None:
                if not getattr(self.ctx, "materialize_grads", True):
                    wrapped.append(None)
                    continue
                g = backend.xp.zeros(shape, dtype=backend.native(dtype))
            wrapped.append(g if isinstance(g, Tensor) else Tensor._wrap(g, backend))
        with set_grad_enabled(create_graph):
            result = self.function.backward(self.ctx, *wrapped)
        if not isinstance(result, tuple):
            result = (result,)
        if len(result) != len(self._next):
            raise RuntimeError(
                f"function {self.function.__name__}.backward returned {len(result)} gradients, "
                f"but forward took {len(self._next)} inputs")
        out = []
        for g in result:
            if g is not None and not create_graph and isinstance(g, Tensor):
                g = g._data
            out.append(g)
        return tuple(out)


class Function(metaclass=_FunctionMeta):
    """A differentiable operation defined by the user, as in PyTorch::

        class Exp(Function):
            @staticmethod
            def forward(ctx, x):
                y = x.exp()
                ctx.save_for_backward(y)
                return y

            @staticmethod
            def backward(ctx, grad):
                (y,) = ctx.saved_tensors
                return grad * y

        y = Exp.apply(x)

    ``forward`` runs without recording; ``backward`` is written with arraygrad
    operations, so it is itself differentiable (``create_graph=True``).
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("a Function subclass must define forward(ctx, ...)")

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError("a Function subclass must define backward(ctx, ...)")

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = FunctionCtx()
        ctx._node = None
        ctx._to_save = ()
        with set_grad_enabled(False):
            outputs = cls.forward(ctx, *args, **kwargs)
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        inputs = [a for a in args if isinstance(a, Tensor)]
        needs_grad = is_grad_enabled() and any(t.requires_grad for t in inputs)
        if not needs_grad:
            return outputs
        node = cls._node_class()
        node.ctx = ctx
        edges = [edge_of(t) if isinstance(t, Tensor) else None for t in args]
        node._next = tuple(None if e is None else e[0] for e in edges)
        node._next_nr = tuple(0 if e is None else e[1] for e in edges)
        output_nr = {id(o): nr for nr, o in enumerate(outs)}
        hooks = current_hooks()
        node._saved = tuple(
            (None, None, None) if t is None else
            (t._data if hooks is None else pack(t._data, t._backend, hooks), t._backend,
             (OWN_OUTPUT, output_nr[id(t)]) if id(t) in output_nr else edge_of(t))
            for t in ctx._to_save)
        ctx._node = weakref.ref(node)
        if anomaly_mode.ENABLED:
            anomaly_mode.remember_forward(node)
        non_diff = getattr(ctx, "_non_differentiable", set())
        node._output_meta = tuple((o.shape, o._backend, o.dtype) for o in outs)
        results = []
        for nr, o in enumerate(outs):
            if id(o) in non_diff or not o.dtype.is_differentiable:
                results.append(Tensor._wrap(o._data, o._backend))
            else:
                results.append(Tensor._wrap(o._data, o._backend, node, nr, True))
        return results[0] if single else tuple(results)


class AliasBackward0(Node):
    """Stands for a leaf whose data was written in place after a graph saved its old
    value: gradients for the old value go to the leaf."""

    __slots__ = ()

    @classmethod
    def of(cls, leaf):
        node = cls()
        node._next = (leaf,)
        node._next_nr = (0,)
        return node

    def _apply(self, grad, xp, create_graph):
        return (grad,)


LeafAlias = AliasBackward0


def tensor_from_edge(data, backend, edge):
    """A tensor holding ``data`` at graph position ``edge`` (for saved values)."""
    if backend is None:
        backend = backend_of_array(data)
    if edge is None:
        return Tensor._wrap(data, backend)
    vertex, nr = edge
    if isinstance(vertex, Tensor):  # a leaf
        if vertex._data is data:
            return vertex
        # The leaf has been written in place since: route through an alias node.
        return Tensor._wrap(data, backend, LeafAlias.of(vertex), 0, True)
    return Tensor._wrap(data, backend, vertex, nr, True)
