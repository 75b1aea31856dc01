"""``arraygrad.autograd``: the graph, the engine and the grad mode."""
import functools
from contextvars import ContextVar

from . import graph
from .anomaly_mode import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .engine import backward, grad
from .function import Function, FunctionCtx, once_differentiable
from .node import Node
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled,
                        is_inference_mode_enabled, no_grad, set_grad_enabled)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .graph_breaks import (GraphBreakError, GraphBreakWarning, detect_graph_breaks,
                           is_graph_break_detection_enabled, set_detect_graph_breaks)

_multithreading: ContextVar[bool] = ContextVar("arraygrad_multithreading", default=True)


def is_multithreading_enabled() -> bool:
    """What ``set_multithreading_enabled`` last set in this thread (True by default)."""
    return _multithreading.get()


class set_multithreading_enabled:
    """PyTorch's switch between running backward on per-device worker threads (True)
    and on the calling thread (False). arraygrad's engine always runs backward on the
    calling thread, so the flag changes nothing here: it is accepted and reported by
    ``is_multithreading_enabled()``, for code written for PyTorch. As PyTorch's, it
    is set when called and, used as a context manager, set back on exit; it is per
    thread (and per asyncio task)."""

    def __init__(self, mode: bool):
        if not isinstance(mode, bool):
            raise TypeError("set_multithreading_enabled(): argument 'enabled' (position 1) "
                            f"must be bool, not {type(mode).__name__}")
        self.prev = _multithreading.get()
        self.mode = mode
        _multithreading.set(mode)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc) -> None:
        _multithreading.set(self.prev)

    def clone(self) -> "set_multithreading_enabled":
        return self.__class__(self.mode)

    def __call__(self, fn):
        """As a decorator: the mode holds during each call (and, as in PyTorch, the
        decoration itself has set it)."""
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.clone():
                return fn(*args, **kwargs)
        return wrapper


__all__ = ["Function", "FunctionCtx", "GradcheckError", "GraphBreakError", "GraphBreakWarning",
           "Node", "backward", "detect_anomaly", "detect_graph_breaks", "enable_grad", "grad",
           "functional", "gradcheck", "gradgradcheck", "graph", "inference_mode",
           "is_inference_mode_enabled", "is_anomaly_enabled", "is_grad_enabled",
           "is_graph_break_detection_enabled", "is_multithreading_enabled", "no_grad",
           "once_differentiable", "set_detect_anomaly", "set_detect_graph_breaks",
           "set_grad_enabled", "set_multithreading_enabled"]
