"""What the layers below need from the complete public package, handed down once it is
built (the layers point one way, so they cannot import it):

* the engine gets the namespace rules run in when backward records a graph
  (``create_graph=True``): arraygrad's own, so that each rule's work is recorded;
* ``Tensor.__array_namespace__`` gets the namespace it reports: arraygrad itself.
"""
from __future__ import annotations

from ._tensor import Tensor
from .autograd.engine import use_graph_namespace
from .backends.namespace import RuleNamespace
from .ops.indexing import _index_put

SUPPORTED_API_VERSIONS = (None, "2021.12", "2022.12", "2023.12", "2024.12", "2025.12")


def install(package) -> None:
    use_graph_namespace(RuleNamespace(
        package,
        is_complex=lambda a: a.dtype.kind == "complex floating",
        native=lambda dtype: dtype,
        setitem=lambda a, key, value: _index_put(a, value, key),
        zeros_like_shape=_zeros_beside,
        recording=True))

    def __array_namespace__(self, /, *, api_version=None):
        if api_version not in SUPPORTED_API_VERSIONS:
            raise ValueError(f"arraygrad does not implement Array API version {api_version!r}")
        return package

    Tensor.__array_namespace__ = __array_namespace__


def _zeros_beside(g, shape):
    """A constant tensor of zeros of ``shape`` on ``g``'s backend, dtype and device."""
    b = g._backend
    return Tensor._wrap(b.ns.zeros(shape, dtype=g._data.dtype, device=g.device), b)
