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
the grad mode.
"""
from __future__ import annotations

from contextvars import ContextVar

from .._tensor import Tensor
from ..backend import is_backend_array
from ._tokens import reset_own

# The stack of (pack_hook, unpack_hook) pairs in force; empty almost always.
HOOKS: ContextVar[tuple] = ContextVar("arraygrad_saved_tensors_hooks", default=())


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
        self._tokens.append(HOOKS.set(HOOKS.get() + ((self.pack_hook, self.unpack_hook),)))
        return self

    def __exit__(self, *exc):
        reset_own(HOOKS, self._tokens)  # one instance may be shared by threads or tasks
        return False


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


# torch.autograd.graph's other public name, kept with the other backward hooks.
from .hooks import register_multi_grad_hook  # noqa: E402,F401

__all__ = ["register_multi_grad_hook", "saved_tensors_hooks"]
