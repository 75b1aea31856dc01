"""What transforms check about their arguments and about what ``f`` returns."""
from __future__ import annotations

from .._tensor import Tensor


class Argnums:
    """Which positional arguments of ``f`` a transform differentiates: an int (the
    result is one gradient) or a tuple of ints (a tuple of gradients, in that order)."""

    def __init__(self, argnums, what: str):
        self.what = what
        self.single = isinstance(argnums, int) and not isinstance(argnums, bool)
        positions = (argnums,) if self.single else argnums
        if not isinstance(positions, tuple) or not positions or not all(
                isinstance(i, int) and not isinstance(i, bool) for i in positions):
            raise TypeError(f"{what}: argnums must be an int or a non-empty tuple of ints, "
                            f"not {argnums!r}")
        self.positions = positions

    def resolve(self, n_args: int) -> tuple:
        """The positions as indices into ``n_args`` positional arguments."""
        resolved = []
        for i in self.positions:
            if not -n_args <= i < n_args:
                raise IndexError(f"{self.what}: argnums {i} is out of range for f called "
                                 f"with {n_args} positional argument(s)")
            resolved.append(i % n_args)
        if len(set(resolved)) != len(resolved):
            raise ValueError(f"{self.what}: argnums {self.positions} names an argument "
                             "twice")
        return tuple(resolved)

    def pack(self, values: tuple):
        """One value per position, as the caller asked: alone or in a tuple."""
        return values[0] if self.single else tuple(values)


def substitute(args, indices, values) -> list:
    """``args`` with ``values`` at ``indices``."""
    args = list(args)
    for i, v in zip(indices, values):
        args[i] = v
    return args


def split_aux(result, has_aux: bool, what: str):
    """(output, aux) of what ``f`` returned; aux is None without has_aux."""
    if not has_aux:
        return result, None
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise TypeError(f"{what}(has_aux=True): f must return a pair (output, aux), got "
                        f"{type(result).__name__}")
    return result[0], result[1]


def scalar_output(out, what: str) -> Tensor:
    """``out``, checked to be what a gradient is taken of: a real 0-d Tensor."""
    if not isinstance(out, Tensor):
        raise TypeError(f"{what}: f must return a Tensor, got {type(out).__name__}")
    if out.ndim != 0:
        raise ValueError(f"{what}: f must return a scalar (0-d) Tensor, got shape "
                         f"{out.shape}; reduce it (e.g. with sum) or use jacrev")
    if not out.dtype.is_floating_point:
        raise TypeError(f"{what}: f must return a real floating-point scalar, got "
                        f"{out.dtype.name}")
    return out


def tensor_tuple(value, what: str, name: str) -> tuple:
    """``value`` as a tuple of Tensors (a single Tensor is a tuple of one)."""
    if isinstance(value, Tensor):
        return (value,)
    if not isinstance(value, (tuple, list)) or not all(isinstance(v, Tensor) for v in value):
        raise TypeError(f"{what}: {name} must be a Tensor or a tuple of Tensors")
    return tuple(value)


def check_like(values, references, what: str, name: str, ref_name: str) -> None:
    """Each of ``values`` has the shape of the matching reference."""
    if len(values) != len(references):
        raise ValueError(f"{what}: got {len(values)} {name} for {len(references)} {ref_name}")
    for i, (v, r) in enumerate(zip(values, references)):
        if v.shape != r.shape:
            raise ValueError(f"{what}: {name} {i} has shape {v.shape}, but {ref_name} {i} "
                             f"has shape {r.shape}")
        if v._backend is not r._backend:
            raise TypeError(f"{what}: {name} {i} is on the {v._backend.name} backend, but "
                            f"{ref_name} {i} is on the {r._backend.name} backend")
