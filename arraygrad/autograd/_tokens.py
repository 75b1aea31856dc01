"""Context managers whose one instance may be entered by several threads or asyncio
tasks at once (``no_grad()``, ``saved_tensors_hooks(...)``), as PyTorch's may.

Each keeps the ``ContextVar`` reset token of every open block, whichever thread or task
opened it. ``ContextVar.reset`` accepts a token only in the context that made it, so
an exit resets the innermost token that it accepts: its own block's.
"""
from __future__ import annotations


def reset_own(var, tokens: list) -> None:
    """Reset ``var`` with the innermost of ``tokens`` made in this context (thread or
    task), and drop that token from the list."""
    token = tokens[-1]
    try:
        var.reset(token)  # the usual case: the innermost block is this context's
    except (ValueError, RuntimeError):  # another context's, or being dropped there now
        for token in reversed(tokens[:]):  # a snapshot: other threads change the list
            try:
                var.reset(token)
            except (ValueError, RuntimeError):
                continue
            break
        else:
            raise RuntimeError("exit of a block that was not entered in this thread or task")
    tokens.remove(token)  # not pop(): another thread may have appended since
