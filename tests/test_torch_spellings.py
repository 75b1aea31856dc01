"""PyTorch's keyword spellings on the standard's functions (``arraygrad/ops/
torch_spellings.py``): ``sum(x, dim=1, keepdim=True)``, ``max(x, dim=1)``,
``flip(x, dims=…)``, … Each case is written once against a module ``m`` and run with
real PyTorch and with arraygrad in its place: values and gradients must be PyTorch's.
The standard spellings keep their meaning, signatures and speed path."""
from __future__ import annotations

import inspect
import pickle

import pytest

import arraygrad as ag
from arraygrad.ops import torch_spellings
from pytorch_programs.compare import assert_same, numbers

torch = pytest.importorskip("torch")

X = [[1.5, -2.0, 0.5], [3.0, 0.25, -1.0]]
Y = [[0.5, 1.0, -1.5], [2.0, -0.75, 0.125]]
X4 = [[[[1.5, -2.0, 0.5]], [[3.0, 0.25, -1.0]]]]  # shape (1, 2, 1, 3)
V3 = [[1.0, 2.0], [-1.0, 0.5], [0.25, 3.0]]  # shape (3, 2)

# name: (program(m, x, y), x, y); or (arraygrad's program, PyTorch's program, x, y)
# where PyTorch's name differs (the standard's cumulative_sum is torch.cumsum).
CASES = {
    "sum_dim": (lambda m, x, y: m.sum(x, dim=1), X, None),
    "sum_dim_keepdim": (lambda m, x, y: m.sum(x, dim=1, keepdim=True), X, None),
    "sum_dim_list": (lambda m, x, y: m.sum(x, dim=[0, 1]), X, None),
    "sum_dim_empty": (lambda m, x, y: m.sum(x, dim=()), X, None),
    "sum_dim_dtype": (lambda m, x, y: m.sum(x, dim=0, dtype=m.float64), X, None),
    "mean_dim": (lambda m, x, y: m.mean(x, dim=0), X, None),
    "mean_dims_keepdim": (lambda m, x, y: m.mean(x, dim=(0, 1), keepdim=True), X, None),
    "mean_dim_empty": (lambda m, x, y: m.mean(x, dim=[]), X, None),
    "prod_dim": (lambda m, x, y: m.prod(x, dim=1), X, None),
    "prod_dim_keepdim": (lambda m, x, y: m.prod(x, dim=0, keepdim=True), X, None),
    "std_dim": (lambda m, x, y: m.std(x, dim=1), X, None),
    "std_dim_unbiased": (lambda m, x, y: m.std(x, dim=1, unbiased=False), X, None),
    "std_keepdim": (lambda m, x, y: m.std(x, keepdim=True), X, None),
    # (std(x, dim=()) too reduces every axis, but PyTorch 2.13's gradient of it is inf.)
    "std_dim_list": (lambda m, x, y: m.std(x, dim=[0, 1]), X, None),
    "var_dim_keepdim": (lambda m, x, y: m.var(x, dim=0, keepdim=True), X, None),
    "var_dim_correction": (lambda m, x, y: m.var(x, dim=1, correction=0), X, None),
    "var_unbiased": (lambda m, x, y: m.var(x, unbiased=True), X, None),
    "max_dim": (lambda m, x, y: m.max(x, dim=1), X, None),
    "max_dim_keepdim": (lambda m, x, y: m.max(x, dim=0, keepdim=True), X, None),
    "max_other": (lambda m, x, y: m.max(x, other=y), X, Y),
    "min_dim": (lambda m, x, y: m.min(x, dim=-1), X, None),
    "min_other": (lambda m, x, y: m.min(x, other=y), X, Y),
    "argmax_dim": (lambda m, x, y: (m.argmax(x, dim=1), x * 1), X, None),
    "argmin_dim_keepdim": (lambda m, x, y: (m.argmin(x, dim=0, keepdim=True), x * 1), X, None),
    "count_nonzero_dim": (lambda m, x, y: (m.count_nonzero(x > 0, dim=0), x * 1), X, None),
    "all_dim": (lambda m, x, y: (m.all(x > -1.5, dim=1), x * 1), X, None),
    "any_dim_keepdim": (lambda m, x, y: (m.any(x > 2, dim=0, keepdim=True), x * 1), X, None),
    "all_dim_empty": (lambda m, x, y: (m.all(x > 0, dim=()), x * 1), X, None),
    "cumulative_sum_dim": (lambda m, x, y: m.cumulative_sum(x, dim=1),
                           lambda m, x, y: m.cumsum(x, dim=1), X, None),
    "cumulative_prod_dim": (lambda m, x, y: m.cumulative_prod(x, dim=0),
                            lambda m, x, y: m.cumprod(x, dim=0), X, None),
    "diff_dim": (lambda m, x, y: m.diff(x, dim=0), X, None),
    "diff_n_dim": (lambda m, x, y: m.diff(x, n=2, dim=1), X, None),
    "sort_dim": (lambda m, x, y: m.sort(x, dim=0), X, None),
    "sort_dim_descending": (lambda m, x, y: m.sort(x, dim=1, descending=True), X, None),
    "sort_dim_stable": (lambda m, x, y: m.sort(x, dim=-1, stable=True), X, None),
    "argsort_dim": (lambda m, x, y: (m.argsort(x, dim=0), x * 1), X, None),
    "argsort_dim_descending": (lambda m, x, y: (m.argsort(x, dim=1, descending=True), x * 1),
                               X, None),
    "concat_dim": (lambda m, x, y: m.concat([x, y * 2], dim=1), X, Y),
    "stack_dim": (lambda m, x, y: m.stack([x, y * 2], dim=1), X, Y),
    "squeeze_all": (lambda m, x, y: m.squeeze(x), X4, None),
    "squeeze_dim": (lambda m, x, y: m.squeeze(x, dim=0), X4, None),
    "squeeze_dim_not_one": (lambda m, x, y: m.squeeze(x, dim=1), X4, None),
    "squeeze_dims": (lambda m, x, y: m.squeeze(x, dim=(0, 2, 3)), X4, None),
    "flip_dims": (lambda m, x, y: m.flip(x, dims=(0,)), X, None),
    "flip_dims_list": (lambda m, x, y: m.flip(x, dims=[0, 1]), X, None),
    "roll_shifts_dims": (lambda m, x, y: m.roll(x, shifts=1, dims=0), X, None),
    "roll_shifts_dims_tuples": (lambda m, x, y: m.roll(x, shifts=(1, 2), dims=(0, 1)), X, None),
    "roll_positional_shift_dims": (lambda m, x, y: m.roll(x, 2, dims=1), X, None),
    "roll_shifts_flat": (lambda m, x, y: m.roll(x, shifts=2), X, None),
    "tile_dims": (lambda m, x, y: m.tile(x, dims=(2, 1)), X, None),
    "tensordot_dims": (lambda m, x, y: m.tensordot(x, m.permute(y, (1, 0)), dims=1), X, Y),
    "tensordot_dims_lists": (lambda m, x, y: m.tensordot(x, y, dims=([1], [1])), X, Y),
    "vecdot_dim": (lambda m, x, y: m.linalg.vecdot(x, y, dim=0), X, Y),
    "linalg_cross_dim": (lambda m, x, y: m.linalg.cross(x, y, dim=0), V3, V3[::-1]),
    "linalg_vector_norm_dim": (lambda m, x, y: m.linalg.vector_norm(x, dim=1), X, None),
    "linalg_vector_norm_ord_keepdim": (
        lambda m, x, y: m.linalg.vector_norm(x, ord=1, dim=0, keepdim=True), X, None),
    "linalg_vector_norm_dim_empty": (lambda m, x, y: m.linalg.vector_norm(x, dim=()), X, None),
    "linalg_matrix_norm_keepdim": (lambda m, x, y: m.linalg.matrix_norm(x, keepdim=True),
                                   X, None),
    "fft_dim": (lambda m, x, y: _parts(m, m.fft.fft(x, dim=0)), X, None),
    "ifft_dim": (lambda m, x, y: _parts(m, m.fft.ifft(x, n=4, dim=1)), X, None),
    "rfft_irfft_dim": (lambda m, x, y: m.fft.irfft(m.fft.rfft(x, dim=1), n=3, dim=1), X, None),
    "hfft_dim": (lambda m, x, y: m.fft.hfft(x, dim=0), X, None),
    "ihfft_dim": (lambda m, x, y: _parts(m, m.fft.ihfft(x, dim=1)), X, None),
    "fftn_dim": (lambda m, x, y: _parts(m, m.fft.fftn(x, dim=(0, 1))), X, None),
    "ifftn_dim": (lambda m, x, y: _parts(m, m.fft.ifftn(x, dim=[1])), X, None),
    "rfftn_irfftn_dim": (lambda m, x, y: m.fft.irfftn(m.fft.rfftn(x, dim=(0, 1)),
                                                      s=(2, 3), dim=(0, 1)), X, None),
    "fftshift_dim": (lambda m, x, y: m.fft.fftshift(x, dim=1), X, None),
    "ifftshift_dim": (lambda m, x, y: m.fft.ifftshift(x, dim=(0, 1)), X, None),
}


def _parts(m, z):
    """A complex result as its real and imaginary parts (compared as floats)."""
    return m.real(z), m.imag(z)


def _run(m, program, x, y):
    """The program's outputs and the gradients of a loss of its float outputs."""
    x = m.tensor(x, dtype=m.float64, requires_grad=True)
    y = None if y is None else m.tensor(y, dtype=m.float64, requires_grad=True)
    out = program(m, x, y)
    outs = list(out) if isinstance(out, tuple) else [out]
    loss = sum((o * o).sum() + o.sum() for o in outs if o.dtype == m.float64)
    loss.backward()
    grads = [x.grad] + ([] if y is None else [y.grad])
    named = (numbers(out.values), numbers(out.indices)) \
        if isinstance(out, tuple) and hasattr(out, "indices") else None
    return {"out": numbers(out), "kind": type(out).__name__ if isinstance(out, tuple) else
            None, "named": named, "grads": numbers(grads)}


@pytest.mark.parametrize("name", list(CASES))
def test_values_and_gradients_are_pytorchs(name):
    *programs, x, y = CASES[name]
    mine, theirs = (programs * 2)[:2]
    want = _run(torch, theirs, x, y)
    got = _run(ag, mine, x, y)
    assert got["kind"] == want["kind"]  # PyTorch's return_types: max, min, sort
    assert_same(got["named"], want["named"], f"{name}: .values, .indices")
    assert_same(got["out"], want["out"], name)
    assert_same(got["grads"], want["grads"], f"{name}: gradients")


def test_mean_dtype_is_pytorchs():
    for m in (torch, ag):
        i = m.tensor([1, 2, 4])
        out = m.mean(i, dim=0, dtype=m.float64)
        assert out.dtype == m.float64 and out.item() == pytest.approx(7 / 3)
    assert ag.mean(ag.tensor([1.0, 2.0]), dtype=ag.float64).dtype == ag.float64


def test_every_spelling_is_installed_once():
    for key in torch_spellings.SPELLINGS:
        prefix, _, name = key.rpartition(".")
        fn = getattr(getattr(ag, prefix) if prefix else ag, name)
        assert fn.spellings, key
    # One wrapper where the main namespace and linalg share a function.
    assert ag.tensordot is ag.linalg.tensordot and ag.vecdot is ag.linalg.vecdot
    # arraygrad.ops keeps the standard functions themselves.
    assert ag.ops.sum is not ag.sum and not hasattr(ag.ops.sum, "spellings")


# -- both spellings, unknown keywords, positional arguments -----------------------------

BOTH = [
    (lambda x: ag.sum(x, axis=1, dim=1), ("axis", "dim")),
    (lambda x: ag.sum(x, keepdims=True, keepdim=True), ("keepdims", "keepdim")),
    (lambda x: ag.mean(x, axis=None, dim=0), ("axis", "dim")),
    (lambda x: ag.max(x, axis=0, dim=0), ("axis", "dim")),
    (lambda x: ag.std(x, correction=1, unbiased=True), ("correction", "unbiased")),
    (lambda x: ag.stack([x, x], axis=0, dim=0), ("axis", "dim")),
    (lambda x: ag.flip(x, axis=0, dims=(0,)), ("axis", "dims")),
    (lambda x: ag.roll(x, 1, shifts=1), ("shift", "shifts")),
    (lambda x: ag.roll(x, 1, axis=0, dims=0), ("axis", "dims")),
    (lambda x: ag.tile(x, (2, 1), dims=(2, 1)), ("repetitions", "dims")),
    (lambda x: ag.squeeze(x, 0, dim=0), ("axis", "dim")),
    (lambda x: ag.linalg.vector_norm(x, keepdims=True, keepdim=True), ("keepdims", "keepdim")),
    (lambda x: ag.fft.fftn(x, axes=(0,), dim=(0,)), ("axes", "dim")),
]


@pytest.mark.parametrize("call,names", BOTH)
def test_both_spellings_is_a_type_error_naming_both(call, names):
    x = ag.tensor(X)
    with pytest.raises(TypeError) as info:
        call(x)
    for n in names:
        assert repr(n) in str(info.value)


def test_unknown_keywords_and_torch_positionals_stay_type_errors():
    x = ag.tensor(X)
    for call in (lambda: ag.sum(x, dimm=1), lambda: ag.stack([x], foo=0),
                 lambda: ag.max(x, keepdim_=True), lambda: ag.fft.fft(x, dims=0),
                 lambda: ag.sum(x, 1), lambda: ag.max(x, 1), lambda: ag.max(x, x),
                 lambda: ag.std(x, 1), lambda: ag.flip(x, (0,)), lambda: ag.roll(x),
                 lambda: ag.tile(x), lambda: ag.sum()):
        with pytest.raises(TypeError):
            call()
    with pytest.raises(TypeError, match="unexpected keyword argument 'dimm'"):
        ag.sum(x, dimm=1)


# -- the standard spellings are unchanged ---------------------------------------------

def test_standard_spellings_keep_the_standards_meaning():
    x = ag.tensor(X, dtype=ag.float64)
    m = ag.max(x, axis=1)
    assert isinstance(m, ag.Tensor) and m.tolist() == [1.5, 3.0]
    assert isinstance(ag.sort(x, axis=0), ag.Tensor)
    assert ag.std(x, axis=1).tolist() == pytest.approx(
        torch.std(torch.tensor(X), dim=1, correction=0).tolist())
    assert ag.std(x).item() == pytest.approx(torch.tensor(X).std(correction=0).item())
    assert ag.sum(x, axis=()).shape == (2, 3)  # no axis reduced, as the standard says
    assert ag.sum(x, axis=1, keepdims=True).shape == (2, 1)
    assert ag.stack([x, x]).shape == (2, 2, 3) and ag.stack([x, x], axis=2).shape == (2, 3, 2)
    assert ag.squeeze(ag.tensor(X4), 0).shape == (2, 1, 3)
    with pytest.raises(ValueError):
        ag.squeeze(ag.tensor(X4), 1)  # the standard: only an axis of size 1
    assert ag.roll(x, 1).tolist() == torch.roll(torch.tensor(X), 1).tolist()
    assert ag.tile(x, (1, 2)).shape == (2, 6)
    assert ag.flip(x, axis=1).tolist() == [r[::-1] for r in X]


def test_the_same_operation_records_the_same_node():
    x = ag.tensor(X, dtype=ag.float64, requires_grad=True)
    assert ag.sum(x, dim=1).grad_fn.name() == ag.sum(x, axis=1).grad_fn.name()
    assert ag.stack([x, x], dim=1).grad_fn.name() == "StackBackward0"
    assert ag.sum(x).grad_fn.name() == "SumBackward0"


SIGNATURES = {
    "sum": "(x, /, *, axis=None, dtype=None, keepdims=False)",
    "max": "(x, /, *, axis=None, keepdims=False)",
    "std": "(x, /, *, axis=None, correction=0.0, keepdims=False)",
    "stack": "(arrays, /, *, axis=0)",
    "squeeze": "(x, /, axis)",
    "roll": "(x, /, shift, *, axis=None)",
    "tile": "(x, repetitions, /)",
    "tensordot": "(x1, x2, /, *, axes=2)",
    "linalg.vector_norm": "(x, /, *, axis=None, keepdims=False, ord=2)",
    "fft.fftn": "(x, /, *, s=None, axes=None, norm='backward')",
}


@pytest.mark.parametrize("name", list(SIGNATURES))
def test_signatures_docstrings_and_pickling_are_the_standards(name):
    prefix, _, short = name.rpartition(".")
    fn = getattr(getattr(ag, prefix) if prefix else ag, short)
    assert str(inspect.signature(fn)).split(" ->")[0] == SIGNATURES[name]
    assert fn.__doc__ and fn.__name__ == short
    assert pickle.loads(pickle.dumps(fn)) is fn
