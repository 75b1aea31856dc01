"""``arraygrad.linalg``: the standard's linear-algebra extension."""
from .ops import linalg as _section

__all__ = list(getattr(_section, "LINALG_NAMESPACE", _section.__all__))
globals().update({name: getattr(_section, name) for name in __all__})
