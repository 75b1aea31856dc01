"""``Tensor``: requires_grad rules, leaving arraygrad (NumPy, DLPack), NumPy operands,
the array attributes, every operator on every backend, and the PyTorch-style
methods."""
from __future__ import annotations

import operator

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import arraygrad as ag
from gradcheck_utils import const, host as val, leaf

F64 = ag.float64


# -- requires_grad ------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [ag.int32, ag.int64, ag.uint8, ag.bool])
def test_requires_grad_on_non_float_raises(backend, dtype):
    t = ag.zeros(3, dtype=dtype)
    with pytest.raises(RuntimeError, match="only Tensors of floating point and complex dtype"):
        t.requires_grad_()
    with pytest.raises(RuntimeError, match="floating point and complex"):
        t.requires_grad = True
    with pytest.raises(RuntimeError, match="floating point and complex"):
        ag.tensor([1, 0], dtype=dtype, requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point and complex"):
        ag.ones(2, dtype=dtype, requires_grad=True)
    assert not t.requires_grad
    t.requires_grad_(False)  # turning it off is always fine


@pytest.mark.parametrize("dtype", [ag.float32, ag.float64, ag.complex64, ag.complex128])
def test_requires_grad_on_float_and_complex(backend, dtype):
    t = ag.zeros(2, dtype=dtype)
    assert t.requires_grad_() is t
    assert t.requires_grad and t.is_leaf
    t.requires_grad_(False)
    assert not t.requires_grad
    t.requires_grad = True
    assert t.requires_grad


def test_requires_grad_false_on_non_leaf_raises(backend):
    x = leaf([1.0])
    y = x * 2
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)
    with pytest.raises(RuntimeError):
        y.requires_grad = False
    assert y.requires_grad
    assert y.requires_grad_(True) is y  # asking for what it has is fine


def test_detach(backend):
    x = leaf([1.0, 2.0])
    y = x * 3
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    assert_allclose(val(d), [3.0, 6.0])
    assert y.requires_grad  # unchanged
    y.detach_()
    assert not y.requires_grad and y.grad_fn is None


def test_integer_results_never_require_grad(backend):
    x = leaf([1.0, -2.0])
    for t in (x > 0, x == x, ag.astype(x, ag.int64), ag.isnan(x), (x * 2).eq(x)):
        assert not t.requires_grad and t.grad_fn is None


# -- leaving arraygrad ------------------------------------------------------------------

@pytest.mark.parametrize("convert", [
    lambda t: np.asarray(t),
    lambda t: np.array(t),
    lambda t: t.numpy(),
    lambda t: t.__dlpack__(),
], ids=["np.asarray", "np.array", "numpy", "__dlpack__"])
def test_conversion_of_tensor_requiring_grad_raises(backend, convert):
    t = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"detach\(\)"):
        convert(t)
    y = t * 2  # a non-leaf too
    with pytest.raises(RuntimeError, match=r"detach\(\)"):
        convert(y)


@pytest.mark.parametrize("convert", [
    lambda t: np.asarray(t),
    lambda t: np.array(t),
    lambda t: t.numpy(),
], ids=["np.asarray", "np.array", "numpy"])
def test_conversion_after_detach(backend, convert):
    t = leaf([1.0, 2.0])
    out = convert((t * 2).detach())
    assert isinstance(out, np.ndarray)
    assert_allclose(out, [2.0, 4.0])


def test_dlpack_after_detach(backend):
    t = leaf([1.0, 2.0])
    d = (t * 2).detach()
    capsule = d.__dlpack__()
    assert capsule is not None
    device = d.__dlpack_device__()
    assert isinstance(device, tuple) and len(device) == 2
    assert_allclose(np.from_dlpack(d), [2.0, 4.0])


def test_numpy_returns_a_copy(backend):
    t = const([1.0, 2.0])
    a = t.numpy()
    a[0] = 99.0
    assert_allclose(val(t), [1.0, 2.0])


def test_tolist_and_python_scalars(backend):
    t = const([[1.0, 2.0], [3.0, 4.0]])
    assert t.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    s = const([2.5]).sum()
    assert float(s) == 2.5
    assert int(ag.tensor(7)) == 7
    assert bool(ag.tensor(True)) is True
    assert complex(ag.tensor(1 + 2j)) == 1 + 2j
    assert [1, 2, 3][ag.tensor(1)] == 2  # __index__
    assert len(t) == 2


def test_iterating_rows(backend):
    t = const([[1.0, 2.0], [3.0, 4.0]])
    assert [r.tolist() for r in t] == [[1.0, 2.0], [3.0, 4.0]]
    assert [v.item() for v in const([5.0, 6.0])] == [5.0, 6.0]


# -- NumPy arrays as operands ---------------------------------------------------------

@pytest.mark.parametrize("op", [operator.mul, operator.add, operator.sub, operator.truediv,
                                operator.pow])
def test_numpy_array_on_the_left_defers_to_tensor(numpy_backend, op):
    a = np.array([1.0, 2.0, 3.0])
    t = leaf([0.5, 1.5, 2.5])
    out = op(a, t)
    assert isinstance(out, ag.Tensor)
    assert out.grad_fn is not None and out.requires_grad
    assert_allclose(val(out), op(a, np.array([0.5, 1.5, 2.5])))
    out.sum().backward()
    assert t.grad is not None


def test_numpy_times_tensor_gradient(numpy_backend):
    a = np.array([1.0, 2.0, 3.0])
    t = leaf([4.0, 5.0, 6.0])
    y = a * t
    assert y.grad_fn.name() == "MulBackward0"
    y.sum().backward()
    assert_allclose(val(t.grad), a)


def test_numpy_array_on_the_right_and_matmul(numpy_backend):
    m = np.array([[1.0, 2.0], [3.0, 4.0]])
    t = leaf([[1.0, 0.0], [0.0, 1.0]])
    for out in (t * m, m @ t, t @ m):
        assert isinstance(out, ag.Tensor) and out.grad_fn is not None
    assert_allclose(val(m @ t), m)
    (m @ t).sum().backward()
    assert_allclose(val(t.grad), m.T @ np.ones((2, 2)))


def test_numpy_comparison_on_the_left_gives_tensor(numpy_backend):
    a = np.array([1.0, 2.0, 3.0])
    t = const([2.0, 2.0, 2.0])
    out = a < t
    assert isinstance(out, ag.Tensor)
    assert_array_equal(val(out), [True, False, False])


def test_numpy_scalar_operand(numpy_backend):
    t = leaf([1.0, 2.0])
    out = np.float64(3.0) * t
    assert isinstance(out, ag.Tensor) and out.grad_fn is not None
    assert_allclose(val(out), [3.0, 6.0])


# -- array attributes -----------------------------------------------------------------

def test_attributes(backend):
    t = const([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert t.shape == (2, 3) and isinstance(t.shape, tuple)
    assert t.ndim == 2
    assert t.size == 6 and type(t.size) is int
    assert t.dtype == ag.float64
    assert t.dtype == F64 and t.dtype != ag.float32
    assert isinstance(t.dtype, ag.DType)
    assert t.T.shape == (3, 2)
    assert_allclose(val(t.T), np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]).T)
    assert t.mT.shape == (3, 2)
    s = ag.ones((4, 2, 3))
    assert s.mT.shape == (4, 3, 2)
    assert t.device == ag.ones(1).device
    moved = t.to_device(t.device)
    assert_allclose(val(moved), val(t))
    assert t.__array_namespace__() is ag
    assert ag.zeros(()).size == 1 and ag.zeros((0, 3)).size == 0


def test_dtype_objects_shared_by_backends(backend):
    assert ag.ones(1, dtype=ag.float32).dtype is ag.float32
    assert ag.ones(1, dtype=ag.int64).dtype is ag.int64
    assert ag.ones(1, dtype=ag.bool).dtype is ag.bool
    assert ag.ones(1, dtype=ag.complex128).dtype is ag.complex128
    assert ag.float is ag.float32 and ag.double is ag.float64


def test_item(backend):
    assert const([2.5]).item() == 2.5
    assert isinstance(const([2.5]).item(), float)
    assert ag.tensor(3).item() == 3 and isinstance(ag.tensor(3).item(), int)
    assert ag.tensor(True).item() is True
    assert ag.tensor(1 + 2j, dtype=ag.complex128).item() == 1 + 2j
    assert const([[4.0]]).item() == 4.0
    with pytest.raises(RuntimeError):
        const([1.0, 2.0]).item()
    x = leaf([3.0])
    assert (x * 2).item() == 6.0  # item works on a tensor that requires grad


def test_T_grad(backend):
    x = leaf([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    (x.T * const([[1.0, 2.0]] * 3)).sum().backward()
    assert_allclose(val(x.grad), [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]])


def test_array_namespace_roundtrip(backend):
    t = const([1.0, 4.0])
    xp = t.__array_namespace__()
    assert_allclose(val(xp.sqrt(t)), [1.0, 2.0])


def test_real_and_imag_attributes(backend):
    """``.real`` and ``.imag`` are attributes, as on NumPy and PyTorch arrays (SciPy's
    ``signal.minimum_phase`` takes ``h.real``), and recorded."""
    zs = np.array([1.0 + 2.0j, -0.5 + 1.0j])
    z = ag.tensor(zs.tolist(), dtype=ag.complex128, requires_grad=True)
    assert z.real.dtype == F64 and z.imag.dtype == F64
    assert_allclose(val(z.real), zs.real)
    assert_allclose(val(z.imag), zs.imag)
    (z.real * const([2.0, 3.0]) + z.imag * const([5.0, 7.0])).sum().backward()
    assert_allclose(val(z.grad), [2.0 + 5.0j, 3.0 + 7.0j])  # what PyTorch gives

    x = leaf([1.0, -2.0])
    assert x.real.dtype == F64
    assert_allclose(val(x.real), [1.0, -2.0])
    (x.real * const([3.0, 4.0])).sum().backward()
    assert_allclose(val(x.grad), [3.0, 4.0])
    with pytest.raises(RuntimeError, match="imag is not implemented for tensors with "
                                           "non-complex dtypes"):
        x.imag  # noqa: B018  (PyTorch's error; NumPy would give zeros)


# -- basic indexing gives views ---------------------------------------------------------

def test_write_into_view_reaches_base(backend):
    """scikit-learn's GaussianMixture adds ``reg_covar`` with
    ``_add_to_diagonal(covariances[k, :, :], …)``, which writes ``array[i, i] = …``
    into the view alone; NumPy and PyTorch carry that into ``covariances``."""
    c = ag.zeros((2, 3, 3), dtype=F64)
    v = c[1, :, :]
    diagonal = ag.linalg.diagonal(v) + 0.5
    for i in range(3):
        v[i, i] = diagonal[i]
    v += 1.0
    expected = np.zeros((2, 3, 3))
    expected[1] += 1.0 + 0.5 * np.eye(3)
    assert_allclose(val(c), expected)
    assert_allclose(val(v), expected[1])


def test_write_into_base_shows_in_views(backend):
    x = const([[1.0, 2.0], [3.0, 4.0]])
    row, column, corner = x[1, :], x[:, 0], x[1:, 1:]
    x[1, 0] = 30.0
    x *= 2.0
    assert_allclose(val(row), [60.0, 8.0])
    assert_allclose(val(column), [2.0, 60.0])
    assert_allclose(val(corner), [[8.0]])
    corner[...] = -1.0  # and from one view into its siblings, through the base
    assert_allclose(val(row), [60.0, -1.0])
    assert_allclose(val(x), [[2.0, 4.0], [60.0, -1.0]])


def test_write_through_temporary_views(backend):
    x = const([0.0, 1.0, 2.0, 3.0, 4.0])
    x[1:][0] = 10.0           # x[1:] is gone after the statement; the write is not
    x[::-1][1:3][0] += 5.0    # negative steps (which PyTorch cannot assign through)
    x[None, 3:][0, 1] = -1.0  # a new axis
    assert_allclose(val(x), [0.0, 10.0, 2.0, 8.0, -1.0])


def test_copies_stay_copies(backend):
    """As in NumPy: an integer-array key copies, and integers naming one element give
    a scalar, not a view."""
    x = const([1.0, 2.0, 3.0])
    picked = x[ag.asarray([0, 2])]
    picked += 100.0
    element = x[1]
    element += 100.0
    m = const([[1.0, 2.0], [3.0, 4.0]])
    m_element = m[0, 1]
    m_element *= 100.0
    assert_allclose(val(x), [1.0, 2.0, 3.0])
    assert_allclose(val(m), [[1.0, 2.0], [3.0, 4.0]])


def test_zero_d_numpy_scalar_data_is_written(backend):
    """On NumPy a 0-d result is a NumPy scalar, which has no item assignment
    (``xpx.at(r, mask).set(nan)`` in SciPy's pearsonr wrote into one)."""
    r = ag.sum(const([1.0, 2.0]))
    r[()] = 5.0
    assert val(r) == 5.0
    r[ag.asarray(True)] = 6.0
    assert val(r) == 6.0


def test_view_writes_differentiate_as_pytorch(backend):
    torch = pytest.importorskip("torch")
    xs, ws = np.array([0.5, -1.0, 2.0, 1.5]), np.array([1.5, -0.5])

    def run(x, w):
        y = x * 1.0
        v = y[1:3]
        u = v[0:1]
        before = (v * 2.0).sum()  # uses v before it is written
        v *= w                    # a write into a view
        u += 1.0                  # into a view of a view
        z = y[1:]
        y[0] = v[1] * 2.0         # into the base, under live views
        loss = (y ** 3).sum() + (v * z[0:2]).sum() + before + (u * u).sum()
        loss.backward()
        return y, v, u

    tx = torch.tensor(xs, requires_grad=True)
    tw = torch.tensor(ws, requires_grad=True)
    expected = run(tx, tw)
    x, w = leaf(xs), leaf(ws)
    got = run(x, w)
    for a, b in zip(got, expected):
        assert_allclose(val(a), b.detach().numpy(), rtol=1e-12)
    assert_allclose(val(x.grad), tx.grad.numpy(), rtol=1e-12)
    assert_allclose(val(w.grad), tw.grad.numpy(), rtol=1e-12)


def test_view_of_leaf_requiring_grad(backend):
    p = leaf([1.0, 2.0, 3.0])
    v = p[1:]
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        v += 1.0
    assert_allclose(val(p), [1.0, 2.0, 3.0])
    with ag.no_grad():
        v -= 1.0  # an optimizer's step through a view
    assert_allclose(val(p), [1.0, 1.0, 2.0])
    assert p.is_leaf and p.requires_grad
    (p * p).sum().backward()
    assert_allclose(val(p.grad), [2.0, 2.0, 4.0])


# -- every operator on every backend ------------------------------------------------------

A = [1.5, 2.0, 3.0]
B = [0.5, 4.0, 2.0]
ARITH = [operator.add, operator.sub, operator.mul, operator.truediv, operator.floordiv,
         operator.mod, operator.pow]
COMPARE = [operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne]


@pytest.mark.parametrize("op", ARITH + COMPARE, ids=lambda f: f.__name__)
def test_binary_operators(backend, op):
    a, b = const(A), const(B)
    an, bn = np.array(A), np.array(B)
    assert_allclose(val(op(a, b)).astype(float), op(an, bn).astype(float))
    assert_allclose(val(op(a, 2.0)).astype(float), op(an, 2.0).astype(float))
    assert_allclose(val(op(2.0, a)).astype(float), op(2.0, an).astype(float))  # reflected
    assert_allclose(val(op(a, 2)).astype(float), op(an, 2).astype(float))
    assert isinstance(op(a, b), ag.Tensor) and isinstance(op(2.0, a), ag.Tensor)
    if op in COMPARE:
        assert op(a, b).dtype == ag.bool


@pytest.mark.parametrize("op", [operator.and_, operator.or_, operator.xor, operator.lshift,
                                operator.rshift], ids=lambda f: f.__name__)
def test_bitwise_operators_on_int_tensors(backend, op):
    i = ag.tensor([5, 6, 7], dtype=ag.int64)
    j = ag.tensor([1, 2, 3], dtype=ag.int64)
    inn, jn = np.array([5, 6, 7]), np.array([1, 2, 3])
    assert_array_equal(val(op(i, j)), op(inn, jn))
    assert_array_equal(val(op(i, 1)), op(inn, 1))
    assert_array_equal(val(op(1, i)), op(1, inn))  # reflected
    assert op(i, j).dtype == ag.int64


def test_bitwise_on_bool_tensors(backend):
    p = ag.tensor([True, True, False])
    q = ag.tensor([True, False, False])
    assert_array_equal(val(p & q), [True, False, False])
    assert_array_equal(val(p | q), [True, True, False])
    assert_array_equal(val(p ^ q), [False, True, False])
    assert_array_equal(val(~p), [False, False, True])


def test_unary_operators(backend):
    a = const([1.5, -2.0, 3.0])
    assert_allclose(val(-a), [-1.5, 2.0, -3.0])
    assert_allclose(val(+a), [1.5, -2.0, 3.0])
    assert_allclose(val(abs(a)), [1.5, 2.0, 3.0])
    assert_array_equal(val(~ag.tensor([5, 0], dtype=ag.int64)), [~5, ~0])


def test_matmul_operator(backend):
    m = const([[1.0, 2.0], [3.0, 4.0]])
    v = const([1.0, -1.0])
    mn = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert_allclose(val(m @ m), mn @ mn)
    assert_allclose(val(m @ v), mn @ np.array([1.0, -1.0]))
    assert_allclose(val(v @ m), np.array([1.0, -1.0]) @ mn)
    assert_allclose(val(v @ v), 2.0)


@pytest.mark.parametrize("op, da, db", [
    (operator.add, lambda a, b: 1 + 0 * a, lambda a, b: 1 + 0 * b),
    (operator.sub, lambda a, b: 1 + 0 * a, lambda a, b: -1 + 0 * b),
    (operator.mul, lambda a, b: b, lambda a, b: a),
    (operator.truediv, lambda a, b: 1 / b, lambda a, b: -a / b**2),
    (operator.pow, lambda a, b: b * a ** (b - 1), lambda a, b: a**b * np.log(a)),
    (operator.mod, lambda a, b: 1 + 0 * a, lambda a, b: -np.floor(a / b)),
], ids=["add", "sub", "mul", "truediv", "pow", "mod"])
def test_operator_gradients(backend, op, da, db):
    an, bn = np.array(A), np.array(B)
    a, b = leaf(A), leaf(B)
    op(a, b).sum().backward()
    assert_allclose(val(a.grad), da(an, bn), rtol=1e-10)
    assert_allclose(val(b.grad), db(an, bn), rtol=1e-10)


@pytest.mark.parametrize("op, da", [
    (lambda a: 2.0 + a, lambda a: 1 + 0 * a),
    (lambda a: 2.0 - a, lambda a: -1 + 0 * a),
    (lambda a: 2.0 * a, lambda a: 2 + 0 * a),
    (lambda a: 2.0 / a, lambda a: -2 / a**2),
    (lambda a: 2.0 ** a, lambda a: 2.0**a * np.log(2.0)),
    (lambda a: -a, lambda a: -1 + 0 * a),
    (lambda a: abs(-a), lambda a: 1 + 0 * a),
], ids=["radd", "rsub", "rmul", "rtruediv", "rpow", "neg", "abs"])
def test_reflected_and_unary_gradients(backend, op, da):
    an = np.array(A)
    a = leaf(A)
    op(a).sum().backward()
    assert_allclose(val(a.grad), da(an), rtol=1e-10)


def test_matmul_gradient(backend):
    mn = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    vn = np.array([1.0, -1.0])
    m, v = leaf(mn), leaf(vn)
    (m @ v).sum().backward()
    assert_allclose(val(m.grad), np.ones((3, 1)) * vn)
    assert_allclose(val(v.grad), mn.sum(axis=0))


# -- PyTorch-style methods --------------------------------------------------------------

M = [[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]]


def test_reductions(backend):
    m, mn = const(M), np.array(M)
    assert_allclose(val(m.sum()), mn.sum())
    assert_allclose(val(m.sum(dim=0)), mn.sum(axis=0))
    assert m.sum(dim=1, keepdim=True).shape == (2, 1)
    assert_allclose(val(m.sum(1, True)), mn.sum(axis=1, keepdims=True))
    assert_allclose(val(m.sum(dim=[0, 1])), mn.sum())
    assert_allclose(val(m.sum(axis=0, keepdims=True)), mn.sum(axis=0, keepdims=True))
    assert_allclose(val(m.mean()), mn.mean())
    assert_allclose(val(m.mean(dim=1)), mn.mean(axis=1))
    assert m.mean(dim=0, keepdim=True).shape == (1, 3)
    with pytest.raises(TypeError):
        m.sum(dim=0, axis=0)


def test_norm(backend):
    m, mn = const(M), np.array(M)
    assert_allclose(val(m.norm()), np.linalg.norm(mn))
    assert_allclose(val(m.norm(dim=1)), np.linalg.norm(mn, axis=1))
    assert_allclose(val(m.norm(p=1)), np.abs(mn).sum())
    assert_allclose(val(m.norm("fro")), np.linalg.norm(mn))
    x = leaf(M)
    x.norm().backward()
    assert_allclose(val(x.grad), mn / np.linalg.norm(mn))


def test_comparison_methods_and_boolean_reductions(backend):
    m = const(M)
    assert m.eq(m).all().item() is True
    assert m.ne(m).any().item() is False
    assert_array_equal(val(m.gt(0)), np.array(M) > 0)
    assert_array_equal(val(m.lt(0)), np.array(M) < 0)
    assert_array_equal(val(m.ge(3.0)), np.array(M) >= 3.0)
    assert_array_equal(val(m.le(-2.0)), np.array(M) <= -2.0)
    assert_array_equal(val(m.gt(0).all(dim=0)), (np.array(M) > 0).all(axis=0))
    assert_array_equal(val(m.gt(0).any(dim=1)), (np.array(M) > 0).any(axis=1))


def test_arithmetic_methods(backend):
    m, mn = const(M), np.array(M)
    assert_allclose(val(m.add(1.0)), mn + 1)
    assert_allclose(val(m.sub(m)), 0 * mn)
    assert_allclose(val(m.mul(2.0)), 2 * mn)
    assert_allclose(val(m.div(2.0)), mn / 2)
    assert_allclose(val(m.pow(2)), mn**2)
    assert_allclose(val(m.neg()), -mn)
    assert_allclose(val(m.abs()), np.abs(mn))
    p = const([[0.5, 1.0], [2.0, 4.0]])
    pn = np.array([[0.5, 1.0], [2.0, 4.0]])
    for name, ref in [("exp", np.exp), ("log", np.log), ("sqrt", np.sqrt), ("sin", np.sin),
                      ("cos", np.cos), ("tanh", np.tanh)]:
        assert_allclose(val(getattr(p, name)()), ref(pn), err_msg=name)
    assert_allclose(val(m.clamp(-1, 1)), np.clip(mn, -1, 1))
    assert_allclose(val(m.clamp(min=0)), np.clip(mn, 0, None))
    assert_allclose(val(m.clamp(max=0)), np.clip(mn, None, 0))
    assert_allclose(val(m.maximum(m.neg())), np.abs(mn))
    assert_allclose(val(m.minimum(m.neg())), -np.abs(mn))


def test_shape_methods(backend):
    m, mn = const(M), np.array(M)
    assert m.reshape(3, 2).shape == (3, 2)
    assert m.reshape((3, 2)).shape == (3, 2)
    assert_allclose(val(m.reshape(-1)), mn.reshape(-1))
    assert m.view(6).shape == (6,)
    assert_allclose(val(m.permute(1, 0)), mn.T)
    assert_allclose(val(m.permute((1, 0))), mn.T)
    assert_allclose(val(m.t()), mn.T)
    assert_allclose(val(m.transpose(0, 1)), mn.T)
    assert m.unsqueeze(0).shape == (1, 2, 3)
    assert m.unsqueeze(-1).shape == (2, 3, 1)
    assert m.unsqueeze(1).squeeze().shape == (2, 3)
    assert m.unsqueeze(1).squeeze(1).shape == (2, 3)
    assert_allclose(val(m.flatten()), mn.ravel())
    assert const([1.0, 2.0, 3.0]).expand(2, 3).shape == (2, 3)
    assert m.numel() == 6 and m.dim() == 2


def test_dtype_methods(backend):
    m = const(M)
    assert m.float().dtype == ag.float32
    assert m.float().double().dtype == ag.float64
    assert m.to(ag.float32).dtype == ag.float32
    c = m.clone()
    assert c is not m and c.data is not m.data
    assert_allclose(val(c), val(m))


def test_method_gradients(backend):
    mn = np.array(M)
    x = leaf(M)
    y = (x.clamp(-1, 4) * x.reshape(3, 2).reshape(2, 3).t().t()).sum(dim=0).mean()
    y.backward()
    # clamp passes the gradient where -1 <= x <= 4
    inside = ((mn >= -1) & (mn <= 4)).astype(float)
    expected = (inside * mn + np.clip(mn, -1, 4)) / 3
    assert_allclose(val(x.grad), expected)


def test_permute_unsqueeze_gradients(backend):
    x = leaf(np.arange(6.0).reshape(2, 3))
    w = const(np.arange(6.0).reshape(3, 2))
    (x.permute(1, 0) * w).unsqueeze(0).sum().backward()
    assert_allclose(val(x.grad), np.arange(6.0).reshape(3, 2).T)


def test_clone_and_to_gradients(backend):
    x = leaf([1.0, 2.0])
    (x.clone() * 3).sum().backward()
    assert_allclose(val(x.grad), [3.0, 3.0])
    x.grad = None
    y = x.to(ag.float32)
    assert y.requires_grad
    y.sum().backward()
    assert x.grad.dtype == ag.float64
    assert_allclose(val(x.grad), [1.0, 1.0])


def test_repr_marks_grad(backend):
    x = leaf([1.0, 2.0])
    assert "requires_grad=True" in repr(x)
    assert "grad_fn=<MulBackward0>" in repr(x * 2)
    assert "grad_fn" not in repr(x.detach())
