"""A node's whole life, for the library's operations and users' ``Function``s alike.

1. **Recording** (``record``): a new node gets its edges to the inputs that need a
   gradient, keeps what its backward will need (through the saved-tensor hooks in
   force), remembers its forward stack in anomaly mode, and becomes the ``grad_fn``
   of the outputs it produced.
2. **Running** (``Node._apply``): the gradients of its inputs from those of its
   outputs: ``OpNode`` by the rules its operation declared (``arraygrad.ops._define``),
   ``CustomNode`` by the user's ``backward``.
3. **Releasing** (``Node._release``): once backward has used them, the saved arrays
   are dropped, and a second backward raises (``retain_graph`` keeps them).

A node refers to the nodes (or leaf tensors) that produced its inputs, through its
``_next``; it never refers to the tensors it produced, so no graph holds a reference
cycle and every graph is freed by reference counting alone.
"""
from __future__ import annotations

import weakref

from .._tensor import Tensor
from ..backend import backend_of_array
from . import anomaly_mode
from .grad_mode import is_grad_enabled, set_grad_enabled
from .graph import HOOKS, PackedSaved, pack_value
from .graph import Node as AbstractNode

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

_PY_SCALARS = (int, float, complex, bool)
_wrap = Tensor._wrap


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
    def metadata(self) -> dict:
        """A dict for the user's own notes about this node (PyTorch's
        ``Node.metadata``), kept beside the node rather than in it: most nodes never
        have one, and a slot would cost every node its size."""
        return _METADATA.setdefault(self, {})

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
        """Drop what was saved once backward has used it (the engine calls this unless
        ``retain_graph``); a second backward then raises ``SECOND_BACKWARD``."""
        if self._saved:
            self._saved = FREED


# Node -> its metadata dict, for the nodes that were asked for one.
_METADATA: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


class AccumulateGrad:
    """How a leaf appears in ``next_functions`` (as in PyTorch)."""

    __slots__ = ("variable",)

    def __init__(self, variable):
        self.variable = variable

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"  # as PyTorch names it

    @property
    def next_functions(self) -> tuple:
        return ()

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {id(self):#x}>"


# ``isinstance(x, arraygrad.autograd.graph.Node)`` for every grad_fn, as in PyTorch.
AbstractNode.register(Node)
AbstractNode.register(AccumulateGrad)


# -- 1. recording --------------------------------------------------------------------

def will_record(x) -> bool:
    """Whether an operation on ``x`` would be recorded now: ``x`` is a Tensor that
    requires grad, and grad mode is on. For forwards that pick a cheaper path when
    nothing is recorded (``sort``, ``unique_*``, ``eigh``)."""
    return isinstance(x, Tensor) and x._requires_grad and is_grad_enabled()


def record(node, inputs, mask: int, n: int, saved: tuple, arrays, out, backend,
           keep_off=()):
    """Put ``node`` in the graph and return its outputs, attached to it.

    ``inputs[:n]`` are the operation's inputs; those whose bit is set in ``mask`` need
    a gradient and get an edge. ``saved`` is what backward will need, and ``arrays``
    says which of its entries are arrays (a sequence of bools, or ``True`` for all):
    only those go through the saved-tensor hooks in force. ``out`` is the forward's
    result, one backend array or a tuple of them; an output of an integer or boolean
    dtype, or whose position is in ``keep_off`` (``ctx.mark_non_differentiable``), is
    returned without a ``grad_fn``."""
    _link(node, inputs, mask, n)
    hooks = HOOKS.get()
    if hooks:
        saved = PackedSaved(
            pack_value(value, backend, hooks[-1]) if arrays is True or arrays[i] else value
            for i, value in enumerate(saved))
    node._saved = saved
    if anomaly_mode.ENABLED:
        anomaly_mode.remember_forward(node)
    if type(out) is tuple:
        return tuple(_wrap(o, backend, node, nr, True)
                     if nr not in keep_off and _differentiable(backend, o)
                     else _wrap(o, backend) for nr, o in enumerate(out))
    return _wrap(out, backend, node, 0, True)


# The output numbers of a node whose inputs all come from first outputs (or leaves):
# nearly every node, so they are shared, not made per node.
_FIRST_OUTPUTS = tuple((0,) * n for n in range(8))


def _link(node, args, mask, n):
    """Set ``node``'s edges (``_next``, ``_next_nr``) to the inputs whose bit is set
    in ``mask``: each one's node, or itself if a leaf (one and two inputs spelled out:
    they are most operations)."""
    if n == 1:
        t = args[0]
        fn = t.grad_fn
        if fn is None:
            node._next = (t,)
            node._next_nr = _FIRST_OUTPUTS[1]
        else:
            node._next = (fn,)
            nr = t._output_nr
            node._next_nr = (nr,) if nr else _FIRST_OUTPUTS[1]
        return
    if n == 2:
        v1 = v2 = None
        nr1 = nr2 = 0
        if mask & 1:
            t = args[0]
            v1 = t.grad_fn
            if v1 is None:
                v1 = t
            else:
                nr1 = t._output_nr
        if mask & 2:
            t = args[1]
            v2 = t.grad_fn
            if v2 is None:
                v2 = t
            else:
                nr2 = t._output_nr
        node._next = (v1, v2)
        node._next_nr = (nr1, nr2) if nr1 or nr2 else _FIRST_OUTPUTS[2]
        return
    vertices = [None] * n
    nrs = [0] * n
    for i in range(n):
        if mask >> i & 1:
            t = args[i]
            fn = t.grad_fn
            if fn is None:
                vertices[i] = t
            else:
                vertices[i] = fn
                nrs[i] = t._output_nr
    node._next = tuple(vertices)
    node._next_nr = tuple(nrs)


def _differentiable(backend, array) -> bool:
    return backend.dtype_of(array).is_differentiable


def tensor_from_edge(data, backend, edge):
    """A tensor holding ``data`` at graph position ``edge`` (for saved values)."""
    if backend is None:
        backend = backend_of_array(data)
    if edge is None:
        return _wrap(data, backend)
    vertex, nr = edge
    if isinstance(vertex, Tensor):  # a leaf
        if vertex._data is data:
            return vertex
        # The leaf has been written in place since: route through an alias node.
        return _wrap(data, backend, LeafAlias.of(vertex), 0, True)
    return _wrap(data, backend, vertex, nr, True)


def _saved_values(node):
    """The node's saved values, unpacked from the saved-tensor hooks; an error if
    backward already freed them."""
    saved = node._saved
    if saved is FREED:
        raise RuntimeError(SECOND_BACKWARD)
    if type(saved) is PackedSaved:
        saved = saved.unpack()
    return saved


# -- the library's operations -------------------------------------------------------

class OpNode(Node):
    """A node of one of the library's operations (``arraygrad.ops._define.Op``): its
    backward applies the operation's vector-Jacobian product rules to what the forward
    saved. ``_plan`` says which inputs need gradients, what was saved for them and how
    each rule takes its arguments; ``_meta`` the shape and dtype each gradient is
    brought back to (``None``: all match the result)."""

    __slots__ = ("_plan", "_meta")
    op = None  # set on each generated subclass

    def _apply(self, g, xp, create_graph):
        saved = self._saved
        if saved.__class__ is not tuple or saved is FREED:  # hooked, or freed: see
            saved = _saved_values(self)                       # _saved_values
        op = self.op
        if create_graph:
            saved = _as_tensors(self, saved)
        if op.joint is not None:
            return _joint_backward(self, xp, g, saved)
        meta = self._meta
        zero_safe = op.zero_safe
        grads = [None] * len(self._next)
        for i, rule, pick in self._plan.calls:
            if pick is None:
                gi = rule(xp, g)
            elif pick.__class__ is int:
                gi = rule(xp, g, saved[pick])
            else:
                gi = rule(xp, g, *pick(saved))
            if zero_safe:
                gi = xp.strong_zero(g, gi)
            if meta is not None and meta[i] is not None:
                gi = xp.unbroadcast(gi, *meta[i])
            grads[i] = gi
        return grads

    def _release(self) -> None:
        """Free what was saved once an input or the result was saved, even one that is
        a Python number (``x * 2`` saved the 2): as PyTorch, which saves it as a tensor,
        a second backward then raises. An operation that saved only attributes and
        keywords (shapes, dtypes, axes) keeps them and can run again, as in PyTorch."""
        if self._plan.saves_arrays:
            self._saved = FREED


def _as_tensors(node, saved):
    """The saved values as Tensors attached to the graph, for ``create_graph``."""
    op = node.op
    unpacked = []
    for (kind, key), value in zip(node._plan.sources, saved):
        if kind == "input":
            if op.variadic:
                value = [tensor_from_edge(v, None, node._edge(i)) for i, v in enumerate(value)]
            elif type(value) not in _PY_SCALARS and value is not None:  # not np.float64
                value = tensor_from_edge(value, None, node._edge(key))
        elif kind == "result":
            if op.outputs > 1:
                value = tuple(tensor_from_edge(v, None, (node, nr)) for nr, v in enumerate(value))
            else:
                value = tensor_from_edge(value, None, (node, 0))
        unpacked.append(value)
    return unpacked


def _joint_backward(node, xp, g, saved):
    """The gradients from an operation's joint rule, for the inputs that need them."""
    op = node.op
    n = len(node._next)
    mask = node._plan.mask
    values = iter(saved)
    args = [tuple(bool(mask >> i & 1) for i in range(n)) if kind == "needs"
            else next(values) for kind, _ in op._joint_needs]
    grads = list(op.joint(xp, g, *args))
    meta = node._meta
    for i in range(len(grads)):
        if not mask >> i & 1:
            grads[i] = None
        elif meta is not None and meta[i] is not None and grads[i] is not None:
            grads[i] = xp.unbroadcast(grads[i], *meta[i])
    return grads


# -- users' Functions -----------------------------------------------------------------

class CustomNode(Node):
    """The node of a user-defined ``Function``: calls its ``backward`` on Tensors.

    ``_saved`` holds the arrays of ``ctx.save_for_backward`` (``None`` for ``None``),
    ``_saved_at`` each one's backend and graph position, so that ``ctx.saved_tensors``
    gives them back as tensors attached where they were."""

    __slots__ = ("ctx", "_output_meta", "_saved_at")
    function = None

    @property
    def n_outputs(self):
        return len(self._output_meta)

    def _unpack_saved(self):
        saved = []
        for data, at in zip(_saved_values(self), self._saved_at):
            if data is None:
                saved.append(None)
                continue
            backend, edge = at
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
            wrapped.append(g if isinstance(g, Tensor) else _wrap(g, backend))
        with set_grad_enabled(create_graph):
            result = self.function.backward(self.ctx, *wrapped)
        if not isinstance(result, tuple):
            result = (result,)
        n = len(self._next)
        if len(result) > n and all(g is None for g in result[n:]):
            result = result[:n]  # PyTorch accepts None for arguments the call left out
        if len(result) != n:
            raise RuntimeError(
                f"function {self.function.__name__}.backward returned {len(result)} gradients, "
                f"but forward took {len(self._next)} inputs")
        out = []
        for g in result:
            if g is not None and not create_graph and isinstance(g, Tensor):
                g = g._data
            out.append(g)
        return tuple(out)


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

__all__ = ["AccumulateGrad", "AliasBackward0", "CustomNode", "FREED", "Node", "OpNode",
           "OWN_OUTPUT", "SECOND_BACKWARD", "record", "tensor_from_edge", "will_record"]
