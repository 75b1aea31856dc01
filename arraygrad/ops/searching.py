"""Searching functions of the standard. Only ``where`` is differentiable; indices
(``argmax``, ``nonzero``, …) never carry a ``grad_fn``."""
from __future__ import annotations

from ._define import elementwise


@elementwise(None, lambda xp, g, condition: xp.where(condition, g, xp.zeros_like(g)),
             lambda xp, g, condition: xp.where(condition, xp.zeros_like(g), g),
             node="WhereBackward0")
def where(xp, condition, x1, x2, /):
    return xp.where(condition, x1, x2)

__all__ = ["where"]
