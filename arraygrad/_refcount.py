"""Whether an array is private: held only where a fast path expects it, so that writing
into it cannot change a value anyone else sees.

Three fast paths write into an array instead of making a new one: an in-place operator
(``ops.operators``), the engine summing two gradients (``autograd.engine``) and a rule
zeroing its own fresh result (``backends.namespace``). Each compares ``refs(array)``
with the count it reports for an array held exactly as that path holds it when nobody
else does. The count is measured once with a probe built like the path (``measure``),
never assumed: CPython versions count the frames' own references differently.

The invariant each site relies on: its probe holds the array the same way the real code
does (the same containers, parameters and local variables). A refactor that drops one
of those holders from the real code but not from its probe makes the real count one
lower, so an array that someone else holds would look private: keep the two in step.
"""
from __future__ import annotations

import sys


def refs(value) -> int:
    """``sys.getrefcount(value)``."""
    return sys.getrefcount(value)


def measure(probe) -> int:
    """The count at which an array is private: ``probe(fresh)`` must hold the fresh
    object exactly as the fast path holds its array, and return ``refs`` of it taken
    where the path takes it."""
    return probe(object())
