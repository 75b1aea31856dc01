"""The user-facing ``Function``, for custom differentiable operations (PyTorch's
``torch.autograd.Function``). Its node is recorded, run and released by the same code
as the library's operations (``arraygrad.autograd.node``)."""
from __future__ import annotations

import weakref

import functools

from .._tensor import LEAF_IN_PLACE, Tensor, edge_of
from .grad_mode import is_grad_enabled, set_grad_enabled
from .node import FREED, OWN_OUTPUT, SECOND_BACKWARD, CustomNode, Node, record

ONCE_DIFFERENTIABLE = ("trying to differentiate twice a function that was marked with "
                       "@once_differentiable")


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
        """Outputs that get no ``grad_fn`` (indices, masks): their gradient is never
        asked for."""
        self._non_differentiable = {id(t) for t in tensors}

    def mark_dirty(self, *tensors) -> None:
        """Inputs that ``forward`` modified in place and returns: each returned one is
        the same tensor object, now the output of this function's node (as
        PyTorch's in-place operations). A leaf that requires grad may not be dirty."""
        self._dirty = {id(t) for t in tensors}

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = value


class _FunctionMeta(type):
    """Gives each ``Function`` subclass its own node class, named as PyTorch names
    them (``class Exp(Function)`` records ``<ExpBackward object at …>``)."""

    def __init__(cls, name, bases, namespace):
        super().__init__(name, bases, namespace)
        if bases and bases != (object,):
            cls._node_class = type(f"{name}Backward", (CustomNode,), {"function": cls})


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

    @staticmethod
    def setup_context(ctx, inputs, output):
        """The newer style (PyTorch 2): ``forward(*args)`` without ``ctx``, and this
        saves for backward from the ``inputs`` tuple and ``output``. Not overridden:
        ``forward`` takes ``ctx`` first."""
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = FunctionCtx()
        ctx._node = None
        ctx._to_save = ()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        with set_grad_enabled(False):
            if _has_setup_context(cls):  # the newer style: forward without ctx
                outputs = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, outputs)
            else:
                outputs = cls.forward(ctx, *args, **kwargs)
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        mask = sum(1 << i for i, needs in enumerate(ctx.needs_input_grad) if needs)
        dirty = getattr(ctx, "_dirty", ())
        if not (mask and is_grad_enabled()):
            return outputs
        for a in args:
            if id(a) in dirty and a.grad_fn is None and a._requires_grad:
                raise RuntimeError(LEAF_IN_PLACE)
        node = cls._node_class()
        node.ctx = ctx
        node._output_meta = tuple((o.shape, o._backend, o.dtype) for o in outs)
        # Saved outputs point at "this node" by a marker, not by the node itself.
        output_nr = {id(o): nr for nr, o in enumerate(outs)}
        node._saved_at = tuple(
            None if t is None else
            (t._backend, (OWN_OUTPUT, output_nr[id(t)]) if id(t) in output_nr else edge_of(t))
            for t in ctx._to_save)
        ctx._node = weakref.ref(node)
        non_diff = getattr(ctx, "_non_differentiable", set())
        results = record(node, args, mask, len(args),
                         tuple(None if t is None else t._data for t in ctx._to_save), True,
                         tuple(o._data for o in outs), outs[0]._backend,
                         keep_off={nr for nr, o in enumerate(outs) if id(o) in non_diff})
        if dirty:  # the modified inputs themselves become the outputs
            results = tuple(_rebound(o, r) if id(o) in dirty else r
                            for o, r in zip(outs, results))
        return results[0] if single else results


def _has_setup_context(cls) -> bool:
    return getattr(cls, "setup_context", None) is not Function.setup_context


def _rebound(tensor: Tensor, result: Tensor) -> Tensor:
    tensor._rebind(result)
    return tensor


def once_differentiable(backward):
    """Decorate a ``Function``'s ``backward`` that is not itself differentiable: it runs
    without recording, and under ``create_graph=True`` its gradients carry a node that
    raises if a second derivative is asked of it (PyTorch's ``once_differentiable``),
    rather than silently giving none."""
    @functools.wraps(backward)
    def wrapper(ctx, *grads):
        with set_grad_enabled(False):
            outputs = backward(ctx, *grads)
        if not is_grad_enabled():
            return outputs
        inputs = [g for g in grads if isinstance(g, Tensor) and g.requires_grad]
        if not inputs:
            return outputs
        single = not isinstance(outputs, tuple)
        wrapped = tuple(None if o is None else _DelayedError.apply(o, *inputs)
                        for o in ((outputs,) if single else outputs))
        return wrapped[0] if single else wrapped
    return wrapper


class _DelayedError(Function):
    """Stands for a gradient computed by a ``once_differentiable`` backward: its value
    passes through; differentiating it raises."""

    @staticmethod
    def forward(ctx, value, *inputs):
        return Tensor._wrap(value._data, value._backend)

    @staticmethod
    def backward(ctx, *grads):
        raise RuntimeError(ONCE_DIFFERENTIABLE)

__all__ = ["Function", "FunctionCtx", "Node", "once_differentiable"]
