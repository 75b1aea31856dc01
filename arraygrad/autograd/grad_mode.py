"""Whether operations are recorded for differentiation.

The mode lives in a ContextVar, so it is per thread and per asyncio task: a
``no_grad()`` block in one task never turns recording off in another.

``inference_mode()`` is ``no_grad()`` plus a flag that ``is_inference_mode_enabled()``
reads, with PyTorch's settings of both (``inference_mode(False)`` turns recording on).
PyTorch's inference mode also makes "inference tensors", which skip the bookkeeping of
version counters and views and may never enter a recorded graph later; arraygrad's
tensors have no such kind, so a tensor made under ``inference_mode`` is an ordinary
tensor made under ``no_grad``, usable in autograd afterwards, and ``enable_grad()``
inside the block records again (PyTorch records nothing there).

One ``no_grad()`` (or ``enable_grad()``, ``set_grad_enabled(...)``) object may be shared
by several threads or tasks whose blocks overlap, as in PyTorch (see ``_tokens``).
"""
from __future__ import annotations

import functools
import inspect
from contextvars import ContextVar

from ._tokens import reset_own

_enabled: ContextVar[bool] = ContextVar("arraygrad_grad_enabled", default=True)
_inference: ContextVar[bool] = ContextVar("arraygrad_inference_mode", default=False)

# The hot path reads this bound method directly.
is_grad_enabled = _enabled.get
# The engine's switch for the length of one backward: the mode set, and put back by
# the ContextVar's own token (a ``with set_grad_enabled(...)`` block makes an object
# and sets the variable twice: 0.9 against 0.2 µs per backward).
set_mode = _enabled.set
restore_mode = _enabled.reset
is_inference_mode_enabled = _inference.get


class _GradMode:
    """A context manager that is also a decorator (for functions, generators and
    coroutines alike), setting the grad mode to ``self._mode`` while it is active."""

    __slots__ = ("_tokens",)  # the reset tokens of the open blocks, of every context
    _mode: bool

    def __init__(self):
        self._tokens = []

    def __enter__(self):
        self._tokens.append(_enabled.set(self._mode))
        return self

    def __exit__(self, *exc):
        reset_own(_enabled, self._tokens)
        return False

    def _set(self):
        """Set the mode in the current context; what ``_restore`` takes to undo it."""
        return _enabled.set(self._mode)

    @staticmethod
    def _restore(token) -> None:
        _enabled.reset(token)

    def __call__(self, fn):
        enter, restore = self._set, self._restore

        if inspect.isgeneratorfunction(fn):
            @functools.wraps(fn)
            def generator(*args, **kwargs):
                # The mode holds while the generator runs, never while it is suspended.
                gen = fn(*args, **kwargs)
                resume, value = gen.send, None
                while True:
                    token = enter()
                    try:
                        item = resume(value)
                    except StopIteration as stop:
                        return stop.value
                    finally:
                        restore(token)
                    try:
                        value = yield item
                        resume = gen.send
                    except GeneratorExit:
                        gen.close()
                        raise
                    except BaseException as exc:  # thrown in: pass it on, under the mode
                        resume, value = gen.throw, exc
            return generator

        if inspect.iscoroutinefunction(fn):
            @functools.wraps(fn)
            async def coroutine(*args, **kwargs):
                token = enter()
                try:
                    return await fn(*args, **kwargs)
                finally:
                    restore(token)
            return coroutine

        @functools.wraps(fn)
        def function(*args, **kwargs):
            token = enter()
            try:
                return fn(*args, **kwargs)
            finally:
                restore(token)
        return function


class no_grad(_GradMode):
    """Record nothing inside this block or function (``with arraygrad.no_grad():``)."""
    _mode = False


class enable_grad(_GradMode):
    """Record operations again, inside a ``no_grad`` block."""
    _mode = True


class set_grad_enabled(_GradMode):
    """Set the grad mode: at once when called, and back when used as a context manager
    that exits (``set_grad_enabled(False)`` or ``with set_grad_enabled(False):``)."""

    def __init__(self, mode: bool):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled() takes a bool, not {type(mode).__name__}")
        self._tokens = []
        self._mode = mode
        # The call's own setting, made in the caller's context. The first block opened
        # in that context takes it over, so that the block's exit returns to the mode
        # from before the call (as PyTorch); a block in another thread or task sets and
        # restores that one's mode only.
        self._call_token = _enabled.set(mode)

    def __enter__(self):
        token = self._call_token
        if token is not None:
            try:
                restore_mode(token)
            except (ValueError, RuntimeError):
                pass  # the call was made in another context: not ours to take over
            else:
                self._call_token = None
        self._tokens.append(_enabled.set(self._mode))
        return self

    def __call__(self, fn):
        # As a decorator, the mode applies to the calls, not to the decoration.
        token, self._call_token = self._call_token, None
        if token is not None:
            restore_mode(token)
        return super().__call__(fn)


class inference_mode(_GradMode):
    """``no_grad`` that ``is_inference_mode_enabled()`` reports (see the module's
    docstring for what PyTorch's does beyond it): ``with inference_mode():``,
    ``@inference_mode()`` or ``@inference_mode``. ``inference_mode(False)`` leaves
    inference mode and turns recording on, as PyTorch's does."""

    __slots__ = ("_mode", "_flag_tokens")

    def __new__(cls, mode=True):
        if isinstance(mode, bool):
            return super().__new__(cls)
        if callable(mode):  # @inference_mode, without parentheses
            return cls()(mode)
        raise TypeError(f"inference_mode() takes a bool, not {type(mode).__name__}")

    def __init__(self, mode: bool = True):
        self._tokens = []
        self._flag_tokens = []
        self._mode = not mode  # the grad mode it sets

    def __enter__(self):
        self._tokens.append(_enabled.set(self._mode))
        self._flag_tokens.append(_inference.set(not self._mode))
        return self

    def __exit__(self, *exc):
        reset_own(_inference, self._flag_tokens)
        reset_own(_enabled, self._tokens)
        return False

    def _set(self):
        return _enabled.set(self._mode), _inference.set(not self._mode)

    @staticmethod
    def _restore(tokens) -> None:
        grad, flag = tokens
        _inference.reset(flag)
        _enabled.reset(grad)
