"""Linear algebra: the standard's ``matmul``, ``matrix_transpose`` and the ``linalg``
extension's ``vector_norm``, with their VJPs."""
from __future__ import annotations

import math

from ._axes import expand_reduced
from ._define import defop


def _matmul_x1_rule(xp, g, x2, x1_shape):
    x2 = xp.conj(x2)
    if len(x1_shape) == 1 and x2.ndim == 1:
        return g * x2
    if x2.ndim == 1:
        return xp.sum_to(xp.expand_dims(g, axis=-1) * x2, x1_shape)
    if len(x1_shape) == 1:
        return xp.sum_to(xp.matmul(x2, xp.expand_dims(g, axis=-1))[..., 0], x1_shape)
    return xp.sum_to(xp.matmul(g, xp.matrix_transpose(x2)), x1_shape)


def _matmul_x2_rule(xp, g, x1, x2_shape):
    x1 = xp.conj(x1)
    if x1.ndim == 1 and len(x2_shape) == 1:
        return g * x1
    if x1.ndim == 1:
        return xp.sum_to(xp.expand_dims(x1, axis=-1) * xp.expand_dims(g, axis=-2), x2_shape)
    if len(x2_shape) == 1:
        return xp.sum_to(
            xp.matmul(xp.matrix_transpose(x1), xp.expand_dims(g, axis=-1))[..., 0], x2_shape)
    return xp.sum_to(xp.matmul(xp.matrix_transpose(x1), g), x2_shape)


def _matmul_forward(xp, x1, x2, /):
    return xp.matmul(x1, x2)


# PyTorch's node names for the shapes matmul takes.
_MATMUL = {
    (1, 1): defop(_matmul_x1_rule, _matmul_x2_rule, node="DotBackward0")(_matmul_forward),
    (2, 1): defop(_matmul_x1_rule, _matmul_x2_rule, node="MvBackward0")(_matmul_forward),
    (2, 2): defop(_matmul_x1_rule, _matmul_x2_rule, node="MmBackward0")(_matmul_forward),
}
_matmul_batched = defop(_matmul_x1_rule, _matmul_x2_rule, node="MatmulBackward0")(_matmul_forward)


def matmul(x1, x2, /):
    """The matrix product, with the standard's rules for 1-d operands and stacks."""
    return _MATMUL.get((_ndim(x1), _ndim(x2)), _matmul_batched)(x1, x2)


def _ndim(x):
    return getattr(x, "ndim", None)


@defop(lambda xp, g: xp.matrix_transpose(g), node="TransposeBackward0")
def matrix_transpose(xp, x, /):
    return xp.matrix_transpose(x)


def _vector_norm_rule(xp, g, x, result, axis, keepdims, ord):
    shape = tuple(x.shape)
    g = expand_reduced(xp, g, shape, axis, keepdims)
    norm = expand_reduced(xp, result, shape, axis, keepdims)
    if ord == 0:
        return xp.zeros_like(x)
    if ord == 1:
        return g * xp.sign(x)
    if ord in (math.inf, -math.inf):
        # The gradient is shared evenly by the elements that reach the max (or min).
        hits = xp.astype(xp.abs(x) == norm, g.dtype)
        return g * xp.sign(x) * hits / xp.sum(hits, axis=axis, keepdims=True)
    safe_norm = xp.where(norm == 0, xp.ones_like(norm), norm)
    if ord == 2:
        return g * x / safe_norm
    return g * x * xp.abs(x) ** (ord - 2) / safe_norm ** (ord - 1)


@defop(_vector_norm_rule, node="LinalgVectorNormBackward0")
def vector_norm(xp, x, /, *, axis=None, keepdims=False, ord=2):
    return xp.linalg.vector_norm(x, axis=axis, keepdims=keepdims, ord=ord)

__all__ = ["matmul", "matrix_transpose", "vector_norm"]

# The names of arraygrad.linalg; those in EXTENSION_ONLY are not in the main namespace.
LINALG_NAMESPACE = ("matmul", "matrix_transpose", "vector_norm")
EXTENSION_ONLY = ("vector_norm",)
