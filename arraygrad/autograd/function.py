"""The user-facing ``Function``, for custom differentiable operations (PyTorch's
``torch.autograd.Function``). Its node is recorded, run and released by the same code
as the library's operations (``arraygrad.autograd.node``)."""
from __future__ import annotations

import weakref

from .._tensor import Tensor, edge_of
from .grad_mode import is_grad_enabled, set_grad_enabled
from .node import FREED, OWN_OUTPUT, SECOND_BACKWARD, CustomNode, Node, record


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
        mask = sum(1 << i for i, a in enumerate(args)
                   if isinstance(a, Tensor) and a._requires_grad)
        if not (mask and is_grad_enabled()):
            return outputs
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
        return results[0] if single else results


__all__ = ["Function", "FunctionCtx", "Node"]
