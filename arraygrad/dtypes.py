"""arraygrad's data types: one set of dtype objects shared by every backend.

A tensor's ``.dtype`` is always one of these, whatever array library holds the data,
so ``x.dtype == arraygrad.float32`` means the same thing on NumPy, PyTorch and JAX.
Each backend maps them to and from its own dtype objects (see backend.py).
"""
from __future__ import annotations


class DType:
    """A data type of the Array API standard."""

    __slots__ = ("name", "kind", "bits")

    def __init__(self, name: str, kind: str, bits: int):
        self.name = name
        self.kind = kind  # the standard's kind name, as isdtype() spells it
        self.bits = bits

    def __repr__(self) -> str:
        return f"arraygrad.{self.name}"

    def __reduce__(self):
        return (_by_name, (self.name,))

    @property
    def is_floating_point(self) -> bool:
        return self.kind == "real floating"

    @property
    def is_complex(self) -> bool:
        return self.kind == "complex floating"

    @property
    def is_differentiable(self) -> bool:
        return self.kind in ("real floating", "complex floating")


bool = DType("bool", "bool", 8)
int8 = DType("int8", "signed integer", 8)
int16 = DType("int16", "signed integer", 16)
int32 = DType("int32", "signed integer", 32)
int64 = DType("int64", "signed integer", 64)
uint8 = DType("uint8", "unsigned integer", 8)
uint16 = DType("uint16", "unsigned integer", 16)
uint32 = DType("uint32", "unsigned integer", 32)
uint64 = DType("uint64", "unsigned integer", 64)
float32 = DType("float32", "real floating", 32)
float64 = DType("float64", "real floating", 64)
complex64 = DType("complex64", "complex floating", 64)
complex128 = DType("complex128", "complex floating", 128)

ALL = (bool, int8, int16, int32, int64, uint8, uint16, uint32, uint64,
       float32, float64, complex64, complex128)
BY_NAME = {d.name: d for d in ALL}

# PyTorch's names for the same types, so tutorial code reads unchanged.
TORCH_ALIASES = {
    "float": float32, "double": float64, "cfloat": complex64, "cdouble": complex128,
    "long": int64, "int": int32, "short": int16,
}


def _by_name(name: str) -> DType:
    return BY_NAME[name]


def real_of(dtype: DType) -> DType:
    """The real floating type with the precision of a complex type."""
    return {complex64: float32, complex128: float64}.get(dtype, dtype)


def complex_of(dtype: DType) -> DType:
    """The complex type with the precision of a real floating type."""
    return {float32: complex64, float64: complex128}.get(dtype, dtype)
