"""``__array_namespace_info__()``: what the current backend offers, in arraygrad's
dtypes."""
from __future__ import annotations

from . import backend as _backend


class Info:
    """The standard's inspection object, describing the current backend."""

    def __init__(self, backend):
        self._backend = backend
        self._info = backend.xp.__array_namespace_info__()

    def capabilities(self) -> dict:
        caps = dict(self._info.capabilities())
        return caps

    def default_device(self):
        return self._info.default_device()

    def devices(self) -> tuple:
        return tuple(self._info.devices())

    def default_dtypes(self, *, device=None) -> dict:
        b = self._backend
        return {kind: b.dtype(native)
                for kind, native in self._info.default_dtypes(device=device).items()}

    def dtypes(self, *, device=None, kind=None) -> dict:
        b = self._backend
        return {name: b.dtype(native)
                for name, native in self._info.dtypes(device=device, kind=kind).items()}

    def __repr__(self) -> str:
        return f"<arraygrad namespace info for the {self._backend.name!r} backend>"


def __array_namespace_info__() -> Info:
    """The standard's inspection object for the current backend."""
    return Info(_backend.current())
