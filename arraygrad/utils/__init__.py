"""``arraygrad.utils``: the counterparts of ``torch.utils`` (``utils.checkpoint``)."""
from . import checkpoint

__all__ = ["checkpoint"]
