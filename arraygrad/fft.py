"""``arraygrad.fft``: the standard's fast Fourier transform extension."""
from .ops import fft as _section

__all__ = list(_section.__all__)
globals().update({name: getattr(_section, name) for name in __all__})
