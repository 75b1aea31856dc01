"""Graph-break detection: find where a tensor that requires grad leaves the graph as a
Python value.

``float(t)``, ``int(t)``, ``bool(t)``, ``t.item()`` and the like return a value autograd
cannot see: whatever is computed from it is a constant to backward, and the gradient
comes out silently wrong. ``scipy.stats.boxcox_llf`` does this with
``math.log(abs(lmb))``. PyTorch cuts the graph the same way, and warns only once per
process, for ``float()`` and ``complex()``.

While detection is on, each such conversion of a tensor that requires grad, made while
grad mode is on, raises a ``GraphBreakError`` (mode ``"raise"``) or warns with a
``GraphBreakWarning`` (mode ``"warn"``), naming the conversion, the tensor and the
first line outside arraygrad that made it. While it is off, each conversion costs one
read of ``_tensor._conversion_check``.
"""
from __future__ import annotations

import functools
import os
import sys
import traceback
import warnings

from .. import _tensor
from .grad_mode import is_grad_enabled

ENABLED = False
_MODE = "raise"  # read only while ENABLED
_MODES = ("raise", "warn")
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


class GraphBreakError(RuntimeError):
    """A tensor that requires grad was turned into a Python value (mode ``"raise"``)."""


class GraphBreakWarning(UserWarning):
    """A tensor that requires grad was turned into a Python value (mode ``"warn"``)."""


def is_graph_break_detection_enabled() -> bool:
    return ENABLED


def _checked(mode: str) -> str:
    if mode not in _MODES:
        raise ValueError(f"graph-break detection mode must be 'raise' or 'warn', not {mode!r}")
    return mode


def set_detect_graph_breaks(mode) -> None:
    """Switch graph-break detection for the whole process: ``"raise"`` or ``"warn"``
    turns it on, ``None`` or ``False`` off."""
    global ENABLED, _MODE
    if mode is None or mode is False:
        ENABLED = False
    else:
        _MODE, ENABLED = _checked(mode), True
    _tensor._conversion_check = check if ENABLED else None


class detect_graph_breaks:
    """Context manager (and decorator) turning graph-break detection on inside it."""

    def __init__(self, mode: str = "raise"):
        self.mode = _checked(mode)
        self._previous = []

    def __enter__(self):
        self._previous.append(_MODE if ENABLED else None)
        set_detect_graph_breaks(self.mode)
        return self

    def __exit__(self, *exc):
        set_detect_graph_breaks(self._previous.pop())
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__(self.mode):
                return fn(*args, **kwargs)
        return wrapper


def check(tensor, conversion: str) -> None:
    """Report ``conversion`` (e.g. ``"float(tensor)"``) if it cuts ``tensor`` out of a
    graph being recorded. Called only while ``ENABLED``."""
    if not (tensor.requires_grad and is_grad_enabled()):
        return
    # The first frame outside arraygrad, and its distance from this one (stacklevel).
    frame, level = sys._getframe(), 1
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame, level = frame.f_back, level + 1
    where = "".join(traceback.format_list(traceback.extract_stack(frame, limit=1)))
    origin = f"grad_fn={tensor.grad_fn.name()}" if tensor.grad_fn is not None else "a leaf"
    message = (
        f"{conversion} turns a tensor that requires grad (shape {tuple(tensor.shape)}, "
        f"dtype {tensor.dtype.name}, {origin}) into a Python value, at\n{where}"
        "Autograd cannot see the value returned: whatever is computed from it is a "
        "constant to backward, so the gradient along that path is silently dropped. Keep "
        "the computation in array operations (xp.log, not math.log), or call .detach() "
        "first where a constant is meant.")
    if _MODE == "raise":
        raise GraphBreakError(message)
    warnings.warn(message, GraphBreakWarning, stacklevel=level)
