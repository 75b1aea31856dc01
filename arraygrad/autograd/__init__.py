"""``arraygrad.autograd``: the graph, the engine and the grad mode."""
from .engine import backward, grad
from .function import Function, FunctionCtx, Node
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled

__all__ = ["Function", "FunctionCtx", "Node", "backward", "enable_grad", "grad",
           "is_grad_enabled", "no_grad", "set_grad_enabled"]
