"""The operations of arraygrad's namespace, one module per section of the standard.
Each module is a table of forwards and their gradient rules, listed in its
``__all__``: the one place to look for any gradient. The ``linalg`` and ``fft``
extensions are sub-namespaces (``arraygrad.linalg``, ``arraygrad.fft``). ``composed``
adds PyTorch's names (``cat``, ``softmax``, ``gather``, …) beside the standard's,
each composed of the standard's operations."""
from __future__ import annotations

from . import (composed, creation, dtypes, elementwise, indexing, indexing_functions, linalg,
               manipulation, searching, sets, sorting, statistical, utility)

# composed first: for a name linalg also has (trace), the registry keeps linalg's, whose
# conformance case covers both.
SECTIONS = (composed, creation, dtypes, elementwise, indexing, indexing_functions, linalg,
            manipulation, searching, sets, sorting, statistical, utility)

# Functions of the linalg extension that are not also in the main namespace.
LINALG_ONLY = frozenset(getattr(linalg, "EXTENSION_ONLY", ()))

__all__ = sorted({name for section in SECTIONS for name in section.__all__} - LINALG_ONLY
                 | set(composed.__all__))
globals().update({name: getattr(section, name) for section in SECTIONS
                  for name in section.__all__ if name not in LINALG_ONLY})
# PyTorch's trace (of a matrix) in the main namespace; linalg.trace stays the standard's.
globals().update({name: getattr(composed, name) for name in composed.__all__})

from . import operators  # noqa: E402,F401  (installs Tensor's operators and methods)
