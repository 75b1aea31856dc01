"""Anomaly mode: find the operation whose backward first produced NaN or infinity
(PyTorch's ``detect_anomaly`` / ``set_detect_anomaly``).

While it is on, every recorded operation remembers the stack of the forward call that
made it, and the engine checks the gradients each node returns: one reduction per
node, read once (so on a lazy backend, one computation per node, and none at all while
anomaly mode is off). The first node that returns a non-finite gradient raises a
``RuntimeError`` naming it, followed by the forward traceback of the operation; any
other error raised inside backward gets that traceback attached as a note.
"""
from __future__ import annotations

import os
import traceback
import weakref

from .._tensor import Tensor

ENABLED = False
_CHECK_NAN = True
# Node -> the forward stack that created it (only nodes recorded in anomaly mode).
_forward_stacks: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def is_anomaly_enabled() -> bool:
    return ENABLED


def is_anomaly_check_nan_enabled() -> bool:
    return ENABLED and _CHECK_NAN


def set_detect_anomaly(mode: bool, check_nan: bool = True) -> None:
    """Switch anomaly mode on or off for the whole process."""
    global ENABLED, _CHECK_NAN
    ENABLED = bool(mode)
    _CHECK_NAN = bool(check_nan)


class detect_anomaly:
    """Context manager (and decorator) turning anomaly mode on inside it."""

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan
        self._previous = []

    def __enter__(self):
        self._previous.append((ENABLED, _CHECK_NAN))
        set_detect_anomaly(True, self.check_nan)
        return self

    def __exit__(self, *exc):
        set_detect_anomaly(*self._previous.pop())
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__(self.check_nan):
                return fn(*args, **kwargs)
        return wrapper


def remember_forward(node) -> None:
    """Keep the user's part of the current stack as the forward trace of ``node``."""
    frames = traceback.extract_stack()[:-1]
    user = [f for f in frames if not f.filename.startswith(_PACKAGE_DIR)]
    _forward_stacks[node] = traceback.StackSummary.from_list(user or frames)


def forward_trace(node) -> str:
    stack = _forward_stacks.get(node)
    if stack is None:
        return (f"(no forward traceback for {node.name()}: it was recorded while anomaly "
                "mode was off)")
    return "".join(stack.format()).rstrip()


def check_gradients(node, input_grads, backend) -> None:
    """Raise if any gradient ``node`` returned holds NaN (or infinity)."""
    if not _CHECK_NAN:
        return
    grads = [(i, g._data if isinstance(g, Tensor) else g)
             for i, g in enumerate(input_grads) if g is not None]
    if not grads:
        return
    xp = backend.xp
    bad = None
    for _, g in grads:
        flag = xp.logical_not(xp.all(xp.isfinite(g)))
        bad = flag if bad is None else xp.logical_or(bad, flag)
    if not bool(bad):  # the one read per node
        return
    i, g = next((i, g) for i, g in grads if not bool(xp.all(xp.isfinite(g))))
    what = "nan" if bool(xp.any(xp.isnan(g))) else "inf"
    raise RuntimeError(  # "0th output", "1th output": PyTorch's wording
        f"Function '{node.name()}' returned {what} values in its {i}th output.\n\n"
        f"Error detected in {node.name()}. Traceback of forward call that caused the error:\n"
        f"{forward_trace(node)}")


def annotate(error: BaseException, node) -> None:
    """Attach the forward traceback of ``node`` to an error raised in its backward."""
    if hasattr(error, "add_note") and not getattr(error, "_arraygrad_annotated", False):
        error.add_note(f"Error detected in {node.name()}. Traceback of forward call that "
                       f"caused the error:\n{forward_trace(node)}")
        error._arraygrad_annotated = True
