"""``arraygrad.autograd``: the graph, the engine and the grad mode."""
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

__all__ = ["Function", "FunctionCtx", "GradcheckError", "GraphBreakError", "GraphBreakWarning",
           "Node", "backward", "detect_anomaly", "detect_graph_breaks", "enable_grad", "grad",
           "functional", "gradcheck", "gradgradcheck", "graph", "inference_mode",
           "is_inference_mode_enabled", "is_anomaly_enabled", "is_grad_enabled",
           "is_graph_break_detection_enabled", "no_grad", "once_differentiable", "set_detect_anomaly",
           "set_detect_graph_breaks", "set_grad_enabled"]
