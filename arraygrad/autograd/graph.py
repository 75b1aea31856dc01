"""Saved-tensor hooks: the user decides how the values a graph keeps for backward are
stored (PyTorch's ``torch.autograd.graph.saved_tensors_hooks``).

Inside ``with saved_tensors_hooks(pack, unpack):`` every array an operation saves for
backward is handed to ``pack`` as a (detached) Tensor, and the node keeps whatever
``pack`` returns. When backward needs the value, ``unpack`` gets that object back and
must return a Tensor (or a backend array) with the saved value. Typical uses: move
saved activations to host memory and back (``examples/offload_saved_tensors.py``),
compress them, or count them. Saved Python values (shapes, axes) are not passed
through the hooks.

Hooks nest; the innermost pair applies. They are per thread and per asyncio task, like
the grad mode, and so is ``disable_saved_tensors_hooks``. ``save_on_cpu`` is PyTorch's
ready-made pair that keeps saved arrays in host memory.

The module also holds the rest of ``torch.autograd.graph``: ``Node`` (the abstract base
every ``grad_fn`` passes ``isinstance`` against), ``GradientEdge`` and
``get_gradient_edge``, ``increment_version`` and ``register_multi_grad_hook``.
"""
from __future__ import annotations

import abc
import contextlib
from contextvars import ContextVar
from typing import NamedTuple, Optional

from .._tensor import Tensor
from ..backend import is_backend_array
from ._tokens import reset_own

# The stack of (pack_hook, unpack_hook) pairs in force; empty almost always.
HOOKS: ContextVar[tuple] = ContextVar("arraygrad_saved_tensors_hooks", default=())
# The message of the innermost disable_saved_tensors_hooks block in force, or None.
_DISABLED: ContextVar[Optional[str]] = ContextVar("arraygrad_saved_tensors_hooks_disabled",
                                                  default=None)


class saved_tensors_hooks:
    """Context manager: ``pack_hook(tensor) -> object`` when a value is saved for
    backward, ``unpack_hook(object) -> tensor`` when backward reads it."""

    def __init__(self, pack_hook, unpack_hook):
        if not callable(pack_hook) or not callable(unpack_hook):
            raise TypeError("saved_tensors_hooks needs two callables: pack_hook and unpack_hook")
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook
        self._tokens = []

    def __enter__(self):
        message = _DISABLED.get()
        if message is not None:
            raise RuntimeError(message)
        self._tokens.append(HOOKS.set(HOOKS.get() + ((self.pack_hook, self.unpack_hook),)))
        return self

    def __exit__(self, *exc):
        reset_own(HOOKS, self._tokens)  # one instance may be shared by threads or tasks
        return False


class save_on_cpu(saved_tensors_hooks):
    """Saved arrays kept in host memory, and brought back to their backend and device
    when backward needs them: to spend host memory instead of device memory.

    An array already in host memory (NumPy, Dask, and torch's, JAX's or array_api_strict's
    CPU device) is kept as it is, not copied, as PyTorch does for CPU tensors. Any other
    is copied to a NumPy array (``Backend.to_host``) and back with the backend's
    ``asarray(..., device=...)``. The packed value is ``(backend, device, array)``.

    ``pin_memory`` and ``device_type`` are accepted for PyTorch's signature and have no
    effect: the host copies are NumPy arrays, which have no pinned memory.
    """

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda"):
        def pack_to_cpu(tensor):
            backend, device = tensor._backend, tensor.device
            if _in_host_memory(device):
                return backend, device, tensor
            return backend, device, backend.to_host(tensor._data)

        def unpack_from_cpu(packed):
            backend, device, saved = packed
            if isinstance(saved, Tensor):
                return saved
            return backend.xp.asarray(saved, device=device)

        super().__init__(pack_to_cpu, unpack_from_cpu)


def _in_host_memory(device) -> bool:
    """Whether arrays on ``device`` live in host memory: NumPy's and Dask's "cpu",
    torch's ``device(type='cpu')``, JAX's CPU platform, array_api_strict's CPU_DEVICE."""
    kind = getattr(device, "type", None) or getattr(device, "platform", None) or \
        getattr(device, "_device", device)
    return str(kind).lower() in ("cpu", "cpu_device")


@contextlib.contextmanager
def disable_saved_tensors_hooks(error_message: str):
    """Inside the block, entering ``saved_tensors_hooks`` (or ``save_on_cpu``, or a
    non-reentrant checkpoint) raises ``RuntimeError(error_message)``; so does entering
    the block while saved-tensor hooks are in force. For a feature that cannot work with
    them. Values packed before the block are still unpacked inside it, as in PyTorch."""
    if not isinstance(error_message, str):
        raise TypeError("disable_saved_tensors_hooks() takes a str error_message, not "
                        f"{type(error_message).__name__}")
    if HOOKS.get():
        raise RuntimeError(error_message)
    token = _DISABLED.set(error_message)
    try:
        yield
    finally:
        _DISABLED.reset(token)


def current_hooks():
    """The innermost ``(pack_hook, unpack_hook)`` pair, or ``None`` outside any."""
    stack = HOOKS.get()
    return stack[-1] if stack else None


class Packed:
    """A saved array as its pack hook left it, with the unpack hook that restores it."""

    __slots__ = ("value", "unpack_hook")

    def __init__(self, value, unpack_hook):
        self.value = value
        self.unpack_hook = unpack_hook

    def unpack(self):
        value = self.unpack_hook(self.value)
        if isinstance(value, Tensor):
            return value._data
        if is_backend_array(value):
            return value
        raise TypeError("the unpack hook of saved_tensors_hooks must return a Tensor, not "
                        f"{type(value).__name__}")


def pack(array, backend, hooks):
    """``array`` saved through ``hooks`` (a ``(pack_hook, unpack_hook)`` pair)."""
    pack_hook, unpack_hook = hooks
    return Packed(pack_hook(Tensor._wrap(array, backend)), unpack_hook)


def pack_value(value, backend, hooks):
    """A saved input or result with its arrays packed: an array, a Python scalar
    (kept), or a list (the inputs of an operation on a sequence of arrays) or tuple
    (the results of an operation with several outputs) of them."""
    if type(value) in (list, tuple):
        return type(value)(pack_value(v, backend, hooks) for v in value)
    if value is None or type(value) in (int, float, complex, bool):
        return value
    return pack(value, backend, hooks)


class PackedSaved(tuple):
    """A node's saved values of which some went through saved-tensor hooks."""

    __slots__ = ()

    def unpack(self) -> tuple:
        return tuple(_unpack(v) for v in self)


def _unpack(value):
    if type(value) is Packed:
        return value.unpack()
    if type(value) in (list, tuple):  # see pack_value
        return type(value)(_unpack(v) for v in value)
    return value


# -- the graph's vertices and edges --------------------------------------------------

class Node(abc.ABC):
    """The abstract base of every node of the graph, as in PyTorch: the ``grad_fn`` of
    every tensor (``node.OpNode``, ``node.CustomNode``, ...) and the ``AccumulateGrad``
    standing for a leaf in ``next_functions`` are instances. The concrete base,
    ``arraygrad.autograd.node.Node``, and ``AccumulateGrad`` are registered with it in
    ``node.py``: ``isinstance`` works, and the engine's own checks stay on plain classes."""

    @abc.abstractmethod
    def name(self) -> str:
        """The node's name, e.g. ``MulBackward0``."""

    @property
    @abc.abstractmethod
    def next_functions(self) -> tuple:
        """``(node, output_nr)`` for each input of the operation."""

    @property
    @abc.abstractmethod
    def metadata(self) -> dict:
        """A dict for the user's notes about this node."""

    @abc.abstractmethod
    def register_hook(self, fn):
        """``fn(grad_inputs, grad_outputs)`` after the node runs in backward."""

    @abc.abstractmethod
    def register_prehook(self, fn):
        """``fn(grad_outputs)`` before the node runs in backward."""


class GradientEdge(NamedTuple):
    """A place in the graph where a gradient flows: output ``output_nr`` of ``node``.
    ``autograd.grad`` and ``backward`` take one in ``inputs`` where they take a tensor.
    ``ownership_token`` is there for PyTorch's signature: an arraygrad node keeps its
    graph alive itself, so it is always None here."""

    node: Node
    output_nr: int
    ownership_token: Optional[Node] = None


def get_gradient_edge(tensor) -> GradientEdge:
    """The edge the gradient of ``tensor`` flows into: ``grad(loss, tensor)`` and
    ``grad(loss, get_gradient_edge(tensor))`` give the same. A leaf's edge holds a new
    ``AccumulateGrad`` at each call (PyTorch keeps one per leaf): two edges of one leaf
    are not ``==``, but both lead to the same leaf."""
    if not tensor.requires_grad:
        raise RuntimeError("It is not possible to get the gradient edge for a Tensor "
                           "that does not require gradients")
    if tensor.grad_fn is None:
        from .node import AccumulateGrad
        return GradientEdge(AccumulateGrad(tensor), 0)
    return GradientEdge(tensor.grad_fn, tensor._output_nr)


def edge_as_input(edge: GradientEdge, backend) -> Tensor:
    """A ``GradientEdge`` given in ``inputs`` as a tensor the engine matches like any
    other: a leaf's edge as the leaf; a node's as a tensor placed at that output, whose
    data the engine never reads (None)."""
    from .node import AccumulateGrad, Node as ConcreteNode
    node, nr = edge.node, edge.output_nr
    if isinstance(node, AccumulateGrad):
        return node.variable
    if not isinstance(node, ConcreteNode):
        raise TypeError(f"GradientEdge.node must be a node of the graph, not {type(node).__name__}")
    return Tensor._wrap(None, backend, node, nr, True)


def increment_version(tensor) -> None:
    """Count one in-place write in ``tensor``'s version counter (``tensor._version``), or
    in each tensor of an iterable, for writes autograd did not see, as PyTorch's.

    Unlike PyTorch, backward never compares versions, so it does not raise "modified by
    an inplace operation" after this. arraygrad's own in-place operations need no check:
    they rebind the tensor to a new array when the old one was saved for backward
    (``ops.operators._inplace``). A write into the array behind arraygrad's back (through
    ``np.asarray(t)``, DLPack, a kernel) does change what backward reads, undetected.
    Tensors made under ``inference_mode`` are ordinary ones here: theirs count too."""
    if isinstance(tensor, Tensor):
        tensor = (tensor,)
    elif not hasattr(tensor, "__iter__"):
        raise RuntimeError("increment_version expect a Iterable[Tensor] as input")
    for t in tensor:  # PyTorch's messages; it too counts the tensors before a bad one
        if not isinstance(t, Tensor):
            raise RuntimeError("increment_version expects each element of the iterable to "
                               "be a tensor")
        t._bump_version()


# torch.autograd.graph's other public name, kept with the other backward hooks.
from .hooks import register_multi_grad_hook  # noqa: E402,F401

__all__ = ["GradientEdge", "Node", "disable_saved_tensors_hooks", "get_gradient_edge",
           "increment_version", "register_multi_grad_hook", "save_on_cpu",
           "saved_tensors_hooks"]
