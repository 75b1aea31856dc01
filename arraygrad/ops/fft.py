"""The standard's ``fft`` extension, with VJPs for every transform."""
from __future__ import annotations

__all__: list[str] = []
