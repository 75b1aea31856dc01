"""arraygrad: PyTorch-style automatic differentiation over any Array API namespace.

``arraygrad`` is itself an Array API namespace: code written against
``xp = array_namespace(x)`` runs unchanged on arraygrad tensors and becomes
differentiable. The arrays underneath come from the configured backend (NumPy by
default; see ``set_backend``).
"""
from . import dtypes as _dtypes
from .autograd import (Function, enable_grad, inference_mode, is_grad_enabled,
                       is_inference_mode_enabled, no_grad, set_grad_enabled)
from .backend import BackendUnavailable, available_names, set_backend, use_backend
from .backend import current as current_backend
from .dtypes import (DType, bool, complex64, complex128, float32, float64, int8, int16,
                     int32, int64, uint8, uint16, uint32, uint64)
import math as _math
import sys as _sys

from ._tensor import Tensor, asarray, tensor  # first: the operations need Tensor
from .ops import *  # noqa: F401,F403
from .ops import __all__ as _ops_all
from . import autograd, fft, linalg, special  # noqa: E402
from . import optim  # noqa: E402
from . import utils, viz  # noqa: E402
from . import func  # noqa: E402
from . import distributed  # noqa: E402
# torch.autograd.functional's place: built on func, above autograd, so handed down here.
from . import autograd_functional as _autograd_functional  # noqa: E402
autograd.functional = _autograd_functional
_sys.modules["arraygrad.autograd.functional"] = _autograd_functional

from .info import __array_namespace_info__  # noqa: E402
from . import _wiring  # noqa: E402

__array_api_version__ = "2025.12"

# The standard's constants.
e = _math.e
inf = _math.inf
nan = _math.nan
pi = _math.pi
newaxis = None

# PyTorch's names for the dtypes (``torch.float`` is float32, ``torch.double`` float64).
float = _dtypes.float32
double = _dtypes.float64
cfloat = _dtypes.complex64
cdouble = _dtypes.complex128
long = _dtypes.int64
int = _dtypes.int32
short = _dtypes.int16

__all__ = [
    "Tensor", "tensor", "asarray", "__array_namespace_info__", "e", "inf", "nan", "pi",
    "newaxis", "Function", "no_grad", "enable_grad", "inference_mode",
    "is_inference_mode_enabled",
    "set_grad_enabled", "is_grad_enabled", "set_backend", "use_backend", "current_backend",
    "available_names", "BackendUnavailable", "autograd", "distributed", "fft", "func", "linalg",
    "optim",
    "special",
    "utils", "viz", "DType",
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float32", "float64", "complex64", "complex128",
    "float", "double", "cfloat", "cdouble", "long", "int", "short",
    *_ops_all,
]

_wiring.install(_sys.modules[__name__])

# PyTorch's keyword spellings (dim=, keepdim=, dims=) on the standard's functions, here
# only: arraygrad.ops and the rules' namespace keep the functions unwrapped.
from .ops import torch_spellings as _torch_spellings  # noqa: E402
_torch_spellings.install(_sys.modules[__name__])
