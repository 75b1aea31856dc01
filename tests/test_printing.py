"""``tensor_repr`` must print exactly what PyTorch prints for the same data."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from arraygrad.printing import tensor_repr

torch = pytest.importorskip("torch")

# Dtypes PyTorch leaves unnamed in the repr of a non-empty tensor.
_UNNAMED = {"float32", "complex64", "int64", "bool"}


def torch_dtype_name(arr):
    """Return the ``dtype_name`` that makes ``tensor_repr`` match torch.

    An empty tensor has no elements that reveal its kind, so torch names every
    dtype there except the default float32.
    """
    name = arr.dtype.name
    hidden = name == "float32" if arr.size == 0 else name in _UNNAMED
    return None if hidden else f"torch.{name}"


def assert_matches_torch(arr):
    """Compare against torch, plain and (for inexact dtypes) requiring grad."""
    arr = np.ascontiguousarray(arr)
    tensor = torch.from_numpy(arr)
    assert tensor_repr(arr, dtype_name=torch_dtype_name(arr)) == repr(tensor)
    if arr.dtype.kind in "fc":
        expected = repr(tensor.clone().requires_grad_())
        got = tensor_repr(arr, dtype_name=torch_dtype_name(arr), suffixes=("requires_grad=True",))
        assert got == expected


def test_documented_examples():
    f32 = np.float32
    assert tensor_repr(np.array(-2.0, f32), suffixes=("requires_grad=True",)) == (
        "tensor(-2., requires_grad=True)"
    )
    assert tensor_repr(np.full((2, 2), 3.0, f32), suffixes=("grad_fn=<AddBackward0>",)) == (
        "tensor([[3., 3.],\n        [3., 3.]], grad_fn=<AddBackward0>)"
    )
    assert tensor_repr(np.array([204.8, 2048.0, 0.2048], f32)) == (
        "tensor([2.0480e+02, 2.0480e+03, 2.0480e-01])"
    )
    assert tensor_repr(np.array([2252.8, 4096.0, 2048.2048], f32)) == (
        "tensor([2252.8000, 4096.0000, 2048.2048])"
    )
    assert tensor_repr(np.array(True)) == "tensor(True)"
    mul = np.array([20.7730, -63.0764, -1420.2909], f32)
    assert tensor_repr(mul, suffixes=("grad_fn=<MulBackward0>",)) == (
        "tensor([   20.7730,   -63.0764, -1420.2909], grad_fn=<MulBackward0>)"
    )


def test_grad_fn_suffix_matches_torch():
    leaf = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    out = leaf * 3.0
    got = tensor_repr(out.detach().numpy(), suffixes=("grad_fn=<MulBackward0>",))
    assert got == repr(out)


def test_dtype_name_is_printed_verbatim():
    arr = np.array([1.0, 2.0], np.float32)
    assert tensor_repr(arr, dtype_name="arraygrad.float32") == (
        "tensor([1., 2.], dtype=arraygrad.float32)"
    )


def test_suffix_wraps_when_line_is_full():
    arr = np.arange(14, dtype=np.float32) * 1.5
    got = tensor_repr(arr, dtype_name="torch.float64", suffixes=("requires_grad=True",))
    expected = repr(torch.from_numpy(arr.astype(np.float64)).requires_grad_())
    assert expected.endswith(",\n       dtype=torch.float64, requires_grad=True)")
    assert got == expected


_rng = np.random.default_rng(0)

CASES = {
    "0d_float": np.array(3.0, np.float32),
    "0d_float_fraction": np.array(-0.125, np.float64),
    "0d_int": np.array(7),
    "0d_int32": np.array(-7, np.int32),
    "0d_false": np.array(False),
    "0d_complex": np.array(1 - 2j, np.complex64),
    "0d_nan": np.array(np.nan, np.float32),
    "0d_tiny": np.array(1e-7, np.float32),
    "empty_1d": np.zeros(0, np.float32),
    "empty_1d_f64": np.zeros(0, np.float64),
    "empty_1d_int": np.zeros(0, np.int64),
    "empty_1d_bool": np.zeros(0, bool),
    "empty_1d_complex": np.zeros(0, np.complex64),
    "empty_2d": np.zeros((0, 3), np.float32),
    "empty_2d_trailing": np.zeros((2, 0), np.int32),
    "empty_3d": np.zeros((2, 0, 4), np.float16),
    "wrap_floats": np.linspace(-3, 3, 40, dtype=np.float32),
    "wrap_ints": np.arange(100) * 37,
    "wrap_complex": (np.arange(20) + 1j * np.arange(20)[::-1] / 3).astype(np.complex64),
    "wrap_narrow": np.arange(30, dtype=np.int8),
    "2d": _rng.standard_normal((4, 5)).astype(np.float32),
    "3d": _rng.standard_normal((2, 3, 4)),
    "4d": np.arange(48, dtype=np.int16).reshape(2, 2, 3, 4),
    "5d": _rng.standard_normal((2, 1, 2, 1, 3)).astype(np.float32),
    "wide_2d": _rng.standard_normal((3, 30)).astype(np.float32),
    "summarize_1d": np.arange(2000, dtype=np.float32),
    "summarize_2d": _rng.standard_normal((40, 40)).astype(np.float32),
    "summarize_3d_int": np.arange(3 * 40 * 50).reshape(3, 40, 50),
    "summarize_no_long_dim": np.arange(4**5, dtype=np.float32).reshape(4, 4, 4, 4, 4),
    "summarize_complex": (_rng.standard_normal(1500) * 1j + 2).astype(np.complex128),
    "summarize_bool": _rng.standard_normal((50, 50)) > 0,
    "sci_large": np.array([1e9, 1.0, 2.5], np.float32),
    "sci_ratio": np.array([0.5, 600.0], np.float64),
    "sci_small": np.array([1e-5, 2e-5], np.float32),
    "sci_int_valued": np.array([1e10, 3.0, 0.0], np.float64),
    "no_sci_ratio_exactly_1000": np.array([1.0, 1000.0], np.float32),
    "nan_inf": np.array([np.nan, np.inf, -np.inf, 1.5, 0.0], np.float32),
    "nan_inf_int_valued": np.array([np.nan, np.inf, -np.inf, 2.0], np.float64),
    "nan_inf_sci": np.array([np.nan, -np.inf, 1e-9], np.float32),
    "only_nonfinite": np.array([np.nan, np.inf], np.float32),
    "all_zero": np.zeros((2, 3), np.float32),
    "negative_zero": np.array([-0.0, 0.0, 1.0], np.float32),
    "negative_zero_fraction": np.array([-0.0, 0.5], np.float32),
    "integer_valued": np.array([1.0, -2.0, 300.0], np.float32),
    "ints_negative": np.array([[-1, 200], [3, -4000]]),
    "uint8": np.array([0, 7, 255], np.uint8),
    "uint64_big": np.array([2**64 - 1, 0], np.uint64),
    "bools_2d": np.array([[True, False], [False, True]]),
    "complex64": np.array([1 + 2j, -3.5 - 0.25j, 0 - 0j], np.complex64),
    "complex128": np.array([[1e-6 + 1j, 2 + 3e5j]], np.complex128),
    "complex_neg_zero_imag": np.array([1 - 0j, complex(2, -0.0)], np.complex64),
    "complex_nan": np.array([complex(np.nan, np.inf), 1 + 1j], np.complex64),
    "float16": np.array([0.1, 65504.0, -2.5], np.float16),
    "float16_tiny": np.array([6e-8, 1.0], np.float16),
    "float64": np.array([1 / 3, 2 / 3], np.float64),
}


@pytest.mark.parametrize("arr", CASES.values(), ids=CASES.keys())
def test_matches_torch(arr):
    assert_matches_torch(arr)


_DTYPES = st.sampled_from(
    [np.float32, np.float64, np.float16, np.complex64, np.complex128, np.int64, np.int32, np.uint8, np.bool_]
)


_SPECIALS = st.sampled_from([0.0, -0.0, 1.0, -2.0, float("nan"), float("inf"), -float("inf")])


@st.composite
def _arrays(draw):
    """Random shapes, dtypes and magnitudes, now and then long enough to summarize."""
    dtype = np.dtype(draw(_DTYPES))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=7))
    if draw(st.integers(0, 9)) == 0:
        shape = (*shape[:-1], 1001) if shape else (1001,)
    if dtype.kind not in "fc":
        return draw(hnp.arrays(dtype, shape))
    elements = st.floats(-1e4, 1e4, width=16) | _SPECIALS
    scale = draw(st.sampled_from([1e-9, 1e-3, 1.0, 1e3, 1e12]))

    def part():
        return draw(hnp.arrays(np.float64, shape, elements=elements)) * scale

    with np.errstate(over="ignore"):  # float16 and float32 may overflow to inf
        if dtype.kind == "f":
            return part().astype(dtype)
        values = np.empty(shape, dtype)
        values.real, values.imag = part(), part()
        return values


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_arrays())
def test_matches_torch_property(arr):
    assert_matches_torch(arr)
