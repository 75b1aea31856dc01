"""``arraygrad.special``: SciPy's special functions, differentiable on every backend
(see ``arraygrad/ops/special.py``). SciPy finds it as ``xp.special`` when it runs on
arraygrad tensors with ``SCIPY_ARRAY_API=1``."""
from .ops import special as _section

__all__ = list(_section.__all__)
globals().update({name: getattr(_section, name) for name in __all__})
