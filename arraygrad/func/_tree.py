"""Nested tuples, lists and dicts of tensors ("pytrees"), flattened to a list of
leaves and rebuilt, so that a transform can take and return such structures.

A structure is described by its *spec*: ``None`` for a leaf, ``(tuple|list,
children)`` or ``(dict, keys, children)``. Two specs compare equal exactly when the
structures match.
"""
from __future__ import annotations

from .._tensor import Tensor


def flatten(tree) -> tuple[list, object]:
    """(leaves in order, spec)."""
    leaves = []
    return leaves, _flatten(tree, leaves)


def _flatten(tree, leaves):
    if isinstance(tree, (tuple, list)):
        kind = list if isinstance(tree, list) else tuple
        return (kind, tuple(_flatten(t, leaves) for t in tree))
    if isinstance(tree, dict):
        keys = tuple(tree)
        return (dict, keys, tuple(_flatten(tree[k], leaves) for k in keys))
    leaves.append(tree)
    return None


def unflatten(spec, leaves):
    """The structure ``spec`` describes, holding ``leaves`` in order."""
    return _build(spec, iter(leaves))


def _build(spec, leaves):
    if spec is None:
        return next(leaves)
    if spec[0] is dict:
        return {k: _build(s, leaves) for k, s in zip(spec[1], spec[2])}
    kind, children = spec
    return kind(_build(s, leaves) for s in children)


def tensor_leaves(tree, what: str) -> tuple[list, object]:
    """``flatten``, checking that every leaf is a Tensor (``what`` names the caller in
    the error)."""
    leaves, spec = flatten(tree)
    for leaf in leaves:
        if not isinstance(leaf, Tensor):
            raise TypeError(f"{what} must be a Tensor or a tuple, list or dict of Tensors; "
                            f"found a {type(leaf).__name__}")
    return leaves, spec
