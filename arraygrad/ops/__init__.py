"""The operations of arraygrad's namespace, one module per section of the standard.
Each module is a table of forwards and their gradient rules: the one place to look
for any gradient."""
from __future__ import annotations

from .creation import (arange, empty, empty_like, eye, full, full_like, linspace,
                       manual_seed, ones, ones_like, rand, randn, zeros, zeros_like)
from .dtypes import astype, copy, to_device
from .elementwise import *  # noqa: F401,F403
from .elementwise import __all__ as _elementwise_names
from .indexing import getitem, setitem
from .linalg import matmul, matrix_transpose, vector_norm
from .manipulation import broadcast_to, expand_dims, permute_dims, reshape, squeeze
from .searching import where
from .statistical import mean, sum
from .utility import all, any

__all__ = [
    *_elementwise_names, "arange", "empty", "empty_like", "eye", "full", "full_like",
    "linspace", "manual_seed", "ones", "ones_like", "rand", "randn", "zeros", "zeros_like",
    "astype", "copy", "to_device", "getitem", "setitem", "matmul", "matrix_transpose",
    "vector_norm", "broadcast_to", "expand_dims", "permute_dims", "reshape", "squeeze",
    "where", "mean", "sum", "all", "any",
]
