"""Set functions of the standard. Their values are differentiable; the indices,
inverse indices and counts never carry a ``grad_fn``."""
from __future__ import annotations

__all__: list[str] = []
