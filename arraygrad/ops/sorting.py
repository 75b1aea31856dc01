"""Sorting functions of the standard, with their VJPs."""
from __future__ import annotations

__all__: list[str] = []
