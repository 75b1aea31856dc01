"""``arraygrad.linalg``: the standard's linear-algebra extension."""
from .ops.linalg import matmul, matrix_transpose, vector_norm

__all__ = ["matmul", "matrix_transpose", "vector_norm"]
