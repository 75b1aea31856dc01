"""The backward engine: an iterative walk of the graph in dependency order.

1. Count, for every node and leaf reachable from the roots, how many edges lead into
   it (an explicit stack, so a chain of a million operations needs no recursion).
2. Run the nodes whose count has reached zero: each turns the summed gradient of its
   outputs into gradients for its inputs, then drops its saved values unless
   ``retain_graph``; each gradient is added into the buffer of the node (or leaf) it
   flows to.
3. A leaf's summed gradient is added into its ``.grad`` (or captured, for ``grad()``).

An ordinary backward runs every rule on raw backend arrays; ``create_graph=True`` runs
them on Tensors through arraygrad's own namespace, so the gradients are themselves
recorded and differentiable.
"""
from __future__ import annotations

from .. import backend as _backend_mod
from .._refcount import measure, refs
from .._tensor import Tensor, asarray, edge_of, mixed_backends
from . import anomaly_mode, landing
from .graph import GradientEdge, edge_as_input
from .node import Node
from .grad_mode import restore_mode, set_mode
from .hooks import LEAF_HOOKS, begin_backward, end_backward, run_leaf, run_node

IMPLICIT_NON_SCALAR = "grad can be implicitly created only for scalar outputs"


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate d(tensors)/d(leaves) · grad_tensors into the leaves' ``.grad``."""
    tensors = _as_tuple(tensors)
    roots, grads, backend = _root_gradients(tensors, grad_tensors, create_graph)
    if inputs is not None:
        inputs = _as_inputs(inputs, backend)
        if not inputs:
            raise RuntimeError("backward() got an empty 'inputs' sequence")
    _run(roots, grads, backend, create_graph if retain_graph is None else retain_graph,
         create_graph, inputs, capture=False, root_tensors=tensors)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False, materialize_grads=False, is_grads_batched=False):
    """The gradients of ``outputs`` with respect to ``inputs``, returned rather than
    accumulated into ``.grad``. With ``is_grads_batched``, each of ``grad_outputs`` has
    a leading batch axis, and each gradient gets one too: a vector-Jacobian product per
    row (PyTorch vectorises them with vmap; here they run one after another)."""
    if is_grads_batched:
        return _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph,
                             allow_unused, materialize_grads)
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    edges = [isinstance(t, GradientEdge) for t in inputs]
    for i, t in enumerate(inputs):
        if not edges[i] and not t.requires_grad:
            raise RuntimeError(f"element {i} of the inputs does not require grad")
    roots, grads, backend = _root_gradients(outputs, grad_outputs, create_graph)
    inputs = _as_inputs(inputs, backend)
    found = _run(roots, grads, backend, create_graph if retain_graph is None else retain_graph,
                 create_graph, inputs, capture=True, root_tensors=outputs)
    result = []
    for i, t in enumerate(inputs):
        g = found.get(id(t))
        if g is None:
            if materialize_grads:
                if edges[i]:
                    raise RuntimeError("materialize_grads cannot be used when the given "
                                       "input is a GradientEdge")
                g = Tensor._wrap(t._backend.xp.zeros_like(t._data), t._backend)
            elif not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used "
                    "in the graph. Set allow_unused=True if this is the desired behavior.")
        elif not isinstance(g, Tensor):
            b = t._backend
            if _refs_as_argument(g) > _RESULT_REFS and b.owns_buffer(g):
                # Shared with a tensor or a saved value (RuleNamespace.times): what is
                # returned is the caller's to write, as in _accumulate.
                g = b.xp.asarray(g, copy=True)
            g = Tensor._wrap(g, b)
        result.append(g)
    return tuple(result)


def _refs_as_argument(value):
    """``refs(value)`` taken inside a function that was passed ``value``, as ``sum_``,
    ``_accumulate`` and ``grad``'s check take it: the probes call this."""
    return refs(value)


def _result_probe(fresh) -> int:
    # As in grad: the gradient held by the captured dict and the loop's local ``g``.
    found = {0: fresh}
    del fresh
    g = found.get(0)
    return _refs_as_argument(g)


# What ``refs(g)`` reports in ``grad`` for a gradient that only the engine holds.
_RESULT_REFS = measure(_result_probe)


def _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused,
                  materialize_grads):
    grad_outputs = _as_tuple(grad_outputs)
    if not grad_outputs:
        raise RuntimeError("is_grads_batched=True needs grad_outputs with a batch axis")
    sizes = {g.shape[0] if g.ndim else None for g in grad_outputs}
    if len(sizes) != 1 or None in sizes or 0 in sizes:
        raise RuntimeError("is_grads_batched=True: every grad_output needs the same "
                           f"non-empty leading batch axis, got shapes "
                           f"{[tuple(g.shape) for g in grad_outputs]}")
    (n,) = sizes
    keep = create_graph if retain_graph is None else retain_graph
    rows = [grad(outputs, inputs, [g[k, ...] for g in grad_outputs],
                 retain_graph=True if k < n - 1 else keep, create_graph=create_graph,
                 allow_unused=allow_unused, materialize_grads=materialize_grads)
            for k in range(n)]
    return tuple(None if row[0] is None else _GRAPH_NAMESPACE.stack(list(row))
                 for row in zip(*rows))


def _as_tuple(value) -> tuple:
    if value is None:
        return ()
    if isinstance(value, (Tensor, GradientEdge)):  # a GradientEdge is a tuple itself
        return (value,)
    return tuple(value)


def _as_inputs(inputs, backend) -> tuple:
    """``inputs`` with each ``GradientEdge`` as a tensor at that edge (graph.edge_as_input)."""
    return tuple(edge_as_input(t, backend) if isinstance(t, GradientEdge) else t
                 for t in _as_tuple(inputs))


def _root_gradients(tensors, grad_tensors, create_graph):
    """Validate the roots and their seed gradients (PyTorch's ``_make_grads``)."""
    if grad_tensors is None:
        grad_tensors = (None,) * len(tensors)
    grad_tensors = _as_tuple(grad_tensors) if not isinstance(grad_tensors, (list, tuple)) \
        else tuple(grad_tensors)
    if len(grad_tensors) != len(tensors):
        raise RuntimeError(f"got {len(grad_tensors)} gradients for {len(tensors)} tensors")
    backend = None
    roots, grads = [], []
    for i, (t, g) in enumerate(zip(tensors, grad_tensors)):
        if not isinstance(t, Tensor):
            raise TypeError(f"backward() expects Tensors, got {type(t).__name__}")
        edge = edge_of(t)
        if edge is None:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not "
                               "have a grad_fn")
        if backend is None:
            backend = t._backend
        elif t._backend is not backend:
            raise mixed_backends("backward", backend, t._backend)
        if g is None:
            if t.size != 1:
                raise RuntimeError(IMPLICIT_NON_SCALAR)
            if not t.dtype.is_floating_point:
                raise RuntimeError("grad can be implicitly created only for real scalar "
                                   f"outputs but got {t.dtype.name}")
            g = Tensor._wrap(backend.ns.ones_like(t._data), backend)
        else:
            g = _check_gradient(i, t, g)
        roots.append(edge)
        grads.append(g if create_graph else g._data)
    return roots, grads, backend


def _check_gradient(i, t, g):
    if not isinstance(g, Tensor):
        if not _backend_mod.is_backend_array(g):
            raise TypeError(f"gradient for output {i} must be a Tensor, not "
                            f"{type(g).__name__}")
        g = asarray(g)
    if g._backend is not t._backend:
        raise mixed_backends(f"gradient for output {i}", t._backend, g._backend)
    if g.shape != t.shape:
        raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and "
                           f"output[{i}] has a shape of {t.shape}.")
    if not g.dtype.is_differentiable:
        raise TypeError(f"gradient for output {i} must be floating point or complex, "
                        f"not {g.dtype.name}")
    if g.dtype.is_complex != t.dtype.is_complex:
        raise RuntimeError(
            "For complex Tensors, both grad_output and output are required to have the same "
            f"dtype. Mismatch in dtype: grad_output[{i}] has a dtype of {g.dtype.name} and "
            f"output[{i}] has a dtype of {t.dtype.name}.")
    if g.dtype != t.dtype:  # another precision of the same kind: cast, as PyTorch does
        g = _GRAPH_NAMESPACE.astype(g, t.dtype)
    return g


# The namespace rules run in under ``create_graph=True``: arraygrad's own, so that each
# rule's work is itself recorded. The engine sits below the operations, so the public
# package hands it over once it has them all (``use_graph_namespace``).
_GRAPH_NAMESPACE = None


def use_graph_namespace(namespace) -> None:
    """Make ``namespace`` (a ``RuleNamespace`` over arraygrad's operations) the one rules
    run in when backward records a graph."""
    global _GRAPH_NAMESPACE
    _GRAPH_NAMESPACE = namespace


def _dependencies(roots) -> dict:
    """For every vertex reachable from ``roots``, the number of edges into it."""
    deps = {}
    seen_roots = {v for v, _ in roots if isinstance(v, Node)}
    stack = list(seen_roots)
    while stack:
        for vertex in stack.pop()._next:
            if vertex is None:
                continue
            count = deps.get(vertex)
            if count is not None:
                deps[vertex] = count + 1
                continue
            deps[vertex] = 1
            if vertex not in seen_roots and isinstance(vertex, Node):  # first visit
                stack.append(vertex)
    return deps


# The vertex classes whose gradients the engine sums inline: one output, fixed for
# the class (leaves, most operations). ``_add_into`` adds them as it meets them.
_ONE_OUTPUT: dict = {}


def _sum_in_place(backend):
    """``sum(old, g)`` for the gradients the engine sums on ``backend``: ``old + g``
    written into ``old`` when nothing but the engine's buffer holds ``old`` and it owns
    its memory (a gradient that a rule passed on unchanged, or a view, is never
    written), else a new array. Saves one array per summed gradient."""
    owns_buffer = backend.owns_buffer

    def sum_(old, g):
        if refs(old) <= _BUFFERED_REFS and owns_buffer(old) and \
                old.shape == g.shape and old.dtype == g.dtype:
            old += g
            return old
        return old + g
    return sum_


def _buffered_probe(fresh) -> int:
    # As in _run: the buffers dict holds the gradient, the loop's local ``old`` holds it,
    # and ``sum_`` takes it as its parameter ``old``.
    buffers = {0: fresh}
    del fresh
    old = buffers[0]
    return _refs_as_argument(old)


# What ``refs(old)`` reports inside ``sum_`` for a gradient held only by the engine's
# buffer and the loop's local variable (see _refcount).
_BUFFERED_REFS = measure(_buffered_probe)


def _add_into(buffers, vertex, nr, g):
    """Sum ``g`` into the gradient waiting at output ``nr`` of ``vertex``."""
    if isinstance(vertex, Node) and vertex.n_outputs > 1:
        slot = buffers.get(vertex)
        if slot is None:
            slot = buffers[vertex] = [None] * vertex.n_outputs
        slot[nr] = g if slot[nr] is None else slot[nr] + g
        return
    old = buffers.get(vertex)
    buffers[vertex] = g if old is None else old + g
    if getattr(type(vertex), "n_outputs", 1) == 1:  # not a per-node property
        _ONE_OUTPUT[type(vertex)] = True


def _run(roots, grads, backend, retain_graph, create_graph, inputs, capture, root_tensors=()):
    """Walk the graph from ``roots``; return the captured gradients (``capture``). A
    gradient for a leaf of a backend that ``backend`` takes in (NumPy under Dask) is
    deferred, and evaluated with the others at the end (see ``landing``)."""
    token, queue = landing.begin(backend), begin_backward()
    finished = False
    try:
        captured = _walk(roots, grads, backend, retain_graph, create_graph, inputs, capture)
        landing.land(backend, _accumulate, captured, inputs, root_tensors, create_graph)
        finished = True
    finally:
        landing.end(token)
        end_backward(queue, finished)  # then the multi-grad hooks run
    return captured


def _walk(roots, grads, backend, retain_graph, create_graph, inputs, capture):
    xp = _GRAPH_NAMESPACE if create_graph else backend.ns
    deps = _dependencies(roots)
    buffers = {}
    for (vertex, nr), g in zip(roots, grads):
        _add_into(buffers, vertex, nr, g)
    # Tensors given as ``inputs``: leaves by identity, non-leaves by their node.
    wanted_leaves = wanted_outputs = None
    if inputs is not None:
        wanted_leaves = {id(t) for t in inputs if t.grad_fn is None}
        wanted_outputs = {}
        for t in inputs:
            if t.grad_fn is not None:
                wanted_outputs.setdefault(t.grad_fn, []).append(t)
    captured = {}
    ready = []
    for vertex, _ in roots:
        if deps.get(vertex, 0) == 0 and vertex not in ready:
            ready.append(vertex)
    vertex = None
    sum_in_place = None if create_graph else _sum_in_place(backend)
    check_anomalies = anomaly_mode.ENABLED
    mode = set_mode(create_graph)
    try:
        while ready:
            vertex = ready.pop()
            grad = buffers.pop(vertex, None)
            if not isinstance(vertex, Node):  # a leaf
                if grad is not None:
                    if LEAF_HOOKS and id(vertex) in LEAF_HOOKS:
                        run_leaf(vertex, LEAF_HOOKS[id(vertex)], grad, backend, create_graph,
                                 capture, wanted_leaves, captured)
                    elif capture:
                        if id(vertex) in wanted_leaves:
                            captured[id(vertex)] = grad
                    elif wanted_leaves is None or id(vertex) in wanted_leaves:
                        _accumulate(vertex, grad, backend, create_graph)
                continue
            node = vertex
            if node._hooks is not None:
                input_grads = run_node(node, node._hooks, grad, xp, backend, retain_graph,
                                       create_graph, capture, wanted_outputs, captured)
            elif grad is not None:
                if node._retained is not None and not capture:
                    _fill_retained(node, grad, backend, create_graph)
                if wanted_outputs is not None and node in wanted_outputs:
                    for t in wanted_outputs[node]:
                        g = grad[t._output_nr] if node.n_outputs > 1 else grad
                        if g is not None:
                            if capture:
                                captured[id(t)] = g
                            else:
                                _accumulate(t, g, backend, create_graph)
                if node.n_outputs > 1 and all(g is None for g in grad):
                    grad = None
                if grad is not None:
                    input_grads = node._apply(grad, xp, create_graph)
                    if not retain_graph and node._saved:
                        node._release()
                else:
                    input_grads = (None,) * len(node._next)
            else:
                input_grads = (None,) * len(node._next)
            if check_anomalies:
                anomaly_mode.check_gradients(node, input_grads, backend)
            for target, nr, g in zip(node._next, node._next_nr, input_grads):
                if target is None:
                    continue
                if g is not None:
                    if target.__class__ in _ONE_OUTPUT:
                        # ``old``, this local, is one of the holders that
                        # _BUFFERED_REFS counts (see _buffered_probe).
                        old = buffers.get(target)
                        buffers[target] = g if old is None else \
                            sum_in_place(old, g) if sum_in_place else old + g
                    else:
                        _add_into(buffers, target, nr, g)
                left = deps[target] - 1
                deps[target] = left
                if left == 0:
                    ready.append(target)
            # Hold no gradient past its use: a summed one may be freed now.
            grad = input_grads = g = old = None
    except Exception as error:
        if anomaly_mode.ENABLED and isinstance(vertex, Node):
            anomaly_mode.annotate(error, vertex)
        raise
    finally:
        restore_mode(mode)
    return captured


def _accumulate(t, g, backend, create_graph):
    """Add ``g`` into ``t.grad``: the same grad tensor is kept and rebound to the sum,
    except under ``create_graph``, where the sum is a new recorded tensor. A leaf of
    another backend (taken in by ``backend``) gets it once evaluated (``landing``)."""
    if t._backend is not backend:
        landing.defer(t, g, backend, create_graph)
        return
    old = t._grad
    if create_graph:
        if not isinstance(g, Tensor):
            g = Tensor._wrap(g, backend)
        t._grad = g if old is None else old + g
    elif old is None:
        if isinstance(g, Tensor):
            g = g._data
        elif refs(g) > _LANDING_REFS and backend.owns_buffer(g):
            # Shared with a tensor or a saved value (a rule passed a value on as the
            # gradient: RuleNamespace.times): the leaf gets its own copy, as PyTorch's
            # AccumulateGrad clones a gradient it cannot steal.
            g = backend.xp.asarray(g, copy=True)
        t._grad = Tensor._wrap(g, backend)
    else:
        old._data = old._data + (g._data if isinstance(g, Tensor) else g)


def _landing_probe(fresh) -> int:
    # As in _walk: the gradient popped from the buffers into the loop's local ``grad``,
    # passed to ``_accumulate`` as ``g``.
    buffers = {0: fresh}
    del fresh
    grad = buffers.pop(0)
    return _refs_as_argument(grad)


# What ``refs(g)`` reports inside ``_accumulate`` for a gradient that only the engine
# holds (see _refcount): one it may keep as the leaf's ``.grad`` without a copy.
_LANDING_REFS = measure(_landing_probe)


def _fill_retained(node, grad, backend, create_graph):
    for nr, ref in node._retained.items():
        t = ref()
        if t is None:
            continue
        g = grad[nr] if node.n_outputs > 1 else grad
        if g is not None:
            _accumulate(t, g, backend, create_graph)


def _tensor_backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradient of this tensor into the leaves' ``.grad``."""
    backward((self,), None if gradient is None else (gradient,), retain_graph, create_graph,
             inputs)


Tensor.backward = _tensor_backward  # installed here: Tensor sits below the engine
