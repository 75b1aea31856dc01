"""The ``fft`` extension: values, gradients and second derivatives on every backend.

Each gradient is a vector-Jacobian product with a random cotangent, checked against
central finite differences (float64, through arraygrad's own forward on the backend
under test) and against ``torch.fft`` + ``torch.autograd`` on the same inputs; the
checked functions are written once, against the standard (``xp.fft.rfft(x, n=...,
axis=..., norm=...)``), and run on ``arraygrad`` and on ``array_api_compat.torch``.
"""
from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

import arraygrad as ag
from arraygrad.autograd._numerical import central_difference
from gradcheck_utils import check_vjp, host, to_tensor

torch = pytest.importorskip("torch")
import array_api_compat.torch as torch_xp  # noqa: E402

NORMS = ("backward", "ortho", "forward")
STRICT_REAL = ("array_api_strict refuses real input to fft/ifft/fftn/ifftn (the standard "
               "asks for a complex one)")


def values(shape, complex_=False, seed=0):
    rng = np.random.default_rng(seed)
    v = np.asarray(rng.standard_normal(shape))
    if complex_:
        v = v + 1j * np.asarray(rng.standard_normal(shape))
    return np.asarray(v)


def call(name, **kwargs):
    """``fn(xp, x)`` = ``xp.fft.<name>(x, **kwargs)`` on arraygrad or torch."""
    def fn(xp, x):
        return getattr(xp.fft, name)(x, **kwargs)
    fn.__name__ = name
    return fn


def _id(case):
    name, shape, cplx, kw = case
    return f"{name}-{'c' if cplx else 'r'}{'x'.join(map(str, shape))}-" + ",".join(
        f"{k}={v}" for k, v in kw.items())


# -- one-dimensional transforms --------------------------------------------------------
# (name, input shape, complex input, keywords): every norm, n None / larger / smaller
# than the input, odd and even lengths, every axis form.
ONE_D = [
    # complex to complex
    ("fft", (6,), True, {}),
    ("fft", (3, 5), True, dict(n=8, axis=0, norm="ortho")),
    ("fft", (3, 5), True, dict(n=3, axis=-1, norm="forward")),
    ("ifft", (3, 4), True, dict(n=7, axis=1)),
    ("ifft", (3, 5), True, dict(n=2, axis=-1, norm="forward")),
    ("ifft", (4, 3), True, dict(n=6, axis=-2, norm="ortho")),
    # real to complex
    ("rfft", (6,), False, {}),
    ("rfft", (3, 5), False, dict(n=9, norm="forward")),
    ("rfft", (5, 3), False, dict(n=2, axis=0, norm="ortho")),
    ("ihfft", (7,), False, {}),
    ("ihfft", (3, 5), False, dict(n=4, axis=0, norm="forward")),
    ("ihfft", (2, 7), False, dict(n=3, axis=-1, norm="ortho")),
    # complex to real: the default n = 2*(M-1), even and odd n, trimming and padding
    ("irfft", (4,), True, {}),
    ("irfft", (3, 5), True, dict(n=7, axis=0, norm="ortho")),
    ("irfft", (3, 5), True, dict(n=12, norm="forward")),
    ("irfft", (2, 5), True, dict(n=4, axis=-1, norm="backward")),
    ("hfft", (4,), True, {}),
    ("hfft", (3, 5), True, dict(n=9, norm="ortho")),
    ("hfft", (4, 3), True, dict(n=4, axis=-2, norm="forward")),
]


@pytest.mark.parametrize("case", ONE_D, ids=_id)
def test_one_d_gradient(backend, case):
    name, shape, cplx, kw = case
    check_vjp(call(name, **kw), [values(shape, cplx, seed=len(ONE_D))])


@pytest.mark.parametrize("name", ["fft", "ifft"])
@pytest.mark.parametrize("n", [None, 7])
def test_c2c_of_real_input(backend, name, n):
    """A real input to ``fft`` / ``ifft`` (NumPy, PyTorch, JAX and Dask take one): a
    real gradient, as in PyTorch (FftR2CBackward0)."""
    if backend.name == "array_api_strict":
        pytest.skip(STRICT_REAL)
    grads = check_vjp(call(name, n=n, norm="ortho"), [values((2, 5), seed=3)])
    assert grads[0].dtype == np.float64


# -- n-dimensional transforms ----------------------------------------------------------
N_D = [
    ("fftn", (3, 4), True, {}),
    ("fftn", (3, 4), True, dict(s=(5, 2), axes=(0, 1), norm="ortho")),
    ("fftn", (2, 3, 4), True, dict(s=(-1, 6), axes=(-1, 0), norm="forward")),
    ("fftn", (2, 3, 4), True, dict(s=(2, 5))),  # s without axes: the last len(s) axes
    ("ifftn", (3, 5), True, dict(s=(2, 3), axes=(1, 0), norm="ortho")),
    ("ifftn", (2, 3, 4), True, dict(axes=(-1,), norm="forward")),
    ("rfftn", (3, 4), False, {}),
    ("rfftn", (3, 5), False, dict(s=(2, 7), axes=(0, 1), norm="ortho")),
    ("rfftn", (2, 3, 4), False, dict(s=(-1, 3), axes=(-1, 1), norm="forward")),
    ("irfftn", (3, 4), True, {}),
    ("irfftn", (3, 5), True, dict(s=(2, 7), axes=(0, 1), norm="forward")),
    ("irfftn", (4, 3), True, dict(s=(3, 5), axes=(-1, -2))),
    ("irfftn", (2, 3, 3), True, dict(s=(-1, -1), axes=(0, 2), norm="ortho")),
]


@pytest.mark.parametrize("case", N_D, ids=_id)
def test_n_d_gradient(backend, case):
    name, shape, cplx, kw = case
    check_vjp(call(name, **kw), [values(shape, cplx, seed=len(N_D))])


def test_fftn_of_zero_d_input_is_the_input(backend):
    for cplx in (True, False):
        if not cplx and backend.name == "array_api_strict":
            continue  # STRICT_REAL
        grads = check_vjp(call("fftn", norm="ortho"), [values((), cplx, seed=1)])
        assert grads[0].shape == ()


# -- shifts ------------------------------------------------------------------------------
SHIFTS = [
    ("fftshift", (5,), False, {}),
    ("fftshift", (3, 4), True, {}),
    ("fftshift", (3, 4), False, dict(axes=0)),
    ("fftshift", (3, 5), True, dict(axes=-1)),
    ("fftshift", (2, 3, 5), False, dict(axes=(0, -1))),
    ("ifftshift", (5,), True, {}),
    ("ifftshift", (3, 5), False, dict(axes=1)),
    ("ifftshift", (2, 3, 5), True, dict(axes=(-1, 1))),
]


@pytest.mark.parametrize("case", SHIFTS, ids=_id)
def test_shift_gradient(backend, case):
    name, shape, cplx, kw = case
    check_vjp(call(name, **kw), [values(shape, cplx, seed=4)])


@pytest.mark.parametrize("name", ["fftshift", "ifftshift"])
def test_shift_of_zero_d(backend, name):
    x = to_tensor(np.asarray(2.5), requires_grad=True)
    y = getattr(ag.fft, name)(x)
    y.backward(to_tensor(np.asarray(3.0)))
    assert host(y) == 2.5 and host(x.grad) == 3.0


def test_shifts_are_inverse(backend):
    x = to_tensor(values((3, 5), seed=5))
    for axes in (None, 0, (1, 0)):
        back = ag.fft.ifftshift(ag.fft.fftshift(x, axes=axes), axes=axes)
        assert_allclose(host(back), host(x))
    assert_allclose(host(ag.fft.fftshift(x)), np.fft.fftshift(host(x)))


# -- forward values, dtypes and shapes ---------------------------------------------------

def test_values_match_numpy(backend):
    """Forward values are also checked against torch by every gradient test; here
    against NumPy, with the readings of ``s`` the standard leaves open."""
    x = values((3, 4), True, seed=6)
    t = to_tensor(x)
    assert_allclose(host(ag.fft.fft(t, n=6, axis=0, norm="ortho")),
                    np.fft.fft(x, n=6, axis=0, norm="ortho"), rtol=1e-12, atol=1e-12)
    assert_allclose(host(ag.fft.rfftn(to_tensor(x.real), s=(2, 5), axes=(1, 0))),
                    np.fft.rfftn(x.real, s=(2, 5), axes=(1, 0)), rtol=1e-12, atol=1e-12)
    # s without axes: the last len(s) axes (NumPy's old reading and PyTorch's)
    assert_allclose(host(ag.fft.fftn(t, s=(5,))), np.fft.fftn(x, s=(5,), axes=(1,)),
                    rtol=1e-12, atol=1e-12)
    # -1 in s: the input's length; on the last axis of irfftn the default 2*(M-1)
    assert_allclose(host(ag.fft.fftn(t, s=(-1, 6), axes=(0, 1))),
                    np.fft.fftn(x, s=(3, 6), axes=(0, 1)), rtol=1e-12, atol=1e-12)
    y = host(ag.fft.irfftn(t, s=(2, -1), axes=(0, 1)))
    assert y.shape == (2, 6)
    assert_allclose(y, np.fft.irfftn(x, s=(2, 6), axes=(0, 1)), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name, cplx, out_kind", [
    ("fft", True, "c"), ("ifft", True, "c"), ("fftn", True, "c"), ("ifftn", True, "c"),
    ("rfft", False, "c"), ("ihfft", False, "c"), ("rfftn", False, "c"),
    ("irfft", True, "f"), ("hfft", True, "f"), ("irfftn", True, "f"),
    ("fftshift", False, "f"), ("ifftshift", True, "c"),
])
def test_single_precision_gradients_keep_their_dtype(backend, name, cplx, out_kind):
    dtype = ag.complex64 if cplx else ag.float32
    x = to_tensor(values((3, 4), cplx, seed=7), dtype=dtype).requires_grad_(True)
    y = getattr(ag.fft, name)(x)
    assert y.dtype == (ag.complex64 if out_kind == "c" else ag.float32)
    y.backward(ag.ones_like(y))
    assert x.grad.dtype == dtype and x.grad.shape == x.shape


@pytest.mark.parametrize("name, shape, cplx, kw, out_shape", [
    ("fft", (0, 4), True, dict(n=6), (0, 6)),
    ("fft", (0,), True, dict(n=3), (3,)),  # an empty axis padded: zeros
    ("rfftn", (2, 0, 4), False, dict(axes=(0, 2)), (2, 0, 3)),
    ("irfft", (0, 3), True, dict(axis=0, n=5), (5, 3)),
    ("ihfft", (3, 0), False, dict(axis=0), (2, 0)),
])
def test_empty_input(backend, name, shape, cplx, kw, out_shape):
    """Empty arrays (PyTorch's kernels fail on them): zeros of the result's shape, and
    gradients of the input's shape."""
    x = to_tensor(np.zeros(shape, complex if cplx else float), requires_grad=True)
    y = getattr(ag.fft, name)(x, **kw)
    assert y.shape == out_shape
    assert y.dtype == (ag.float64 if name == "irfft" else ag.complex128)
    assert not np.any(host(y))
    y.backward(ag.ones_like(y))
    assert x.grad.shape == shape and x.grad.dtype == x.dtype
    assert not np.any(host(x.grad))


# -- node names (PyTorch's) --------------------------------------------------------------

@pytest.mark.parametrize("name, cplx, node", [
    ("fft", True, "FftC2CBackward0"), ("ifft", True, "FftC2CBackward0"),
    ("fftn", True, "FftC2CBackward0"), ("ifftn", True, "FftC2CBackward0"),
    ("fft", False, "FftR2CBackward0"),
    ("rfft", False, "FftR2CBackward0"), ("rfftn", False, "FftR2CBackward0"),
    ("ihfft", False, "FftR2CBackward0"),
    ("irfft", True, "FftC2RBackward0"), ("irfftn", True, "FftC2RBackward0"),
    ("hfft", True, "FftC2RBackward0"),
    ("fftshift", False, "RollBackward0"), ("ifftshift", True, "RollBackward0"),
])
def test_node_names(name, cplx, node):
    x = ag.asarray(values((2, 4), cplx).tolist(), requires_grad=True)
    y = getattr(ag.fft, name)(x)
    assert type(y.grad_fn).__name__ == node
    assert f"grad_fn=<{node}>" in repr(y)
    if (name, cplx) not in (("ihfft", False),):  # torch's ihfft ends in ConjBackward0
        t = getattr(torch.fft, name)(torch.tensor(values((2, 4), cplx), requires_grad=True))
        assert type(t.grad_fn).__name__ == node


def test_frequencies_have_no_gradient():
    f = ag.fft.fftfreq(8)
    assert not f.requires_grad and f.grad_fn is None


# -- second derivatives --------------------------------------------------------------------

def _sq(xp, y):
    return xp.real(y * xp.conj(y))


SECOND = [
    ("fft", True, lambda xp, t: _sq(xp, xp.fft.fft(t, n=7, axis=0, norm="ortho"))),
    ("rfftn", False, lambda xp, t: _sq(xp, xp.fft.rfftn(t, s=(4, 3), axes=(1, 0)))),
    ("ihfft", False, lambda xp, t: _sq(xp, xp.fft.ihfft(t, n=4))),
    ("irfft", True, lambda xp, t: xp.sin(xp.fft.irfft(t, n=7))),
    ("irfftn", True, lambda xp, t: xp.sin(xp.fft.irfftn(t, s=(4, 6), axes=(0, 1)))),
    ("hfft", True, lambda xp, t: xp.sin(xp.fft.hfft(t, n=6, axis=0, norm="ortho"))),
    ("fftshift", False, lambda xp, t: xp.sin(xp.fft.fftshift(t * t, axes=(0,)))),
]


def _ag_hvp(fn, x, w, d, create=True):
    t = to_tensor(x, requires_grad=True)
    out = fn(ag, t)
    loss = ag.sum(out * to_tensor(w))
    (g,) = ag.autograd.grad(loss, [t], create_graph=create)
    if not create:
        return host(g), None
    assert g.requires_grad and g.grad_fn is not None
    dot = ag.sum(ag.real(g * to_tensor(np.conj(d))))
    (h,) = ag.autograd.grad(dot, [t])
    return host(g), host(h)


def _torch_hvp(fn, x, w, d):
    t = torch.tensor(x, requires_grad=True)
    loss = torch.sum(fn(torch_xp, t) * torch.tensor(w))
    (g,) = torch.autograd.grad(loss, [t], create_graph=True)
    dot = torch.sum(torch.real(g * torch.tensor(np.conj(d))))
    (h,) = torch.autograd.grad(dot, [t])
    return g.detach().numpy(), h.detach().numpy()


@pytest.mark.parametrize("name, cplx, fn", SECOND, ids=[c[0] for c in SECOND])
def test_second_derivative(backend, name, cplx, fn):
    """Hessian-vector products of <w, f(x)> (create_graph=True through the FFT rules)
    against PyTorch's and against central differences of the gradient; for a complex
    x, the direction d is complex and H d is the gradient of Re<g, d>."""
    x = values((3, 5), cplx, seed=8)
    d = values((3, 5), cplx, seed=9)
    with ag.no_grad():
        probe = host(fn(ag, to_tensor(x)))
    w = values(probe.shape, seed=10)
    g, h = _ag_hvp(fn, x, w, d)
    tg, th = _torch_hvp(fn, x, w, d)
    assert_allclose(g, tg, rtol=1e-9, atol=1e-11)
    assert_allclose(h, th, rtol=1e-9, atol=1e-11)
    if backend.name not in ("numpy", "torch"):
        return  # the differences below are the same numbers on every backend
    fd = central_difference(lambda m: _ag_hvp(fn, m[0], w, d, create=False)[0], [x], [d], 1e-5)
    assert_allclose(h, fd, rtol=1e-5, atol=1e-6 * max(1.0, np.abs(fd).max()))


def test_third_derivative_of_a_transform_chain(backend):
    """fft inside fft inside a cubic: the rules of the rules are recorded too."""
    x = to_tensor(values((6,), seed=11), requires_grad=True)
    w = to_tensor(values((6,), seed=12))
    y = ag.sum(ag.fft.irfft(ag.fft.rfft(x * x * x, n=8), n=6) * w)
    (g,) = ag.autograd.grad(y, [x], create_graph=True)
    (h,) = ag.autograd.grad(ag.sum(g), [x], create_graph=True)
    (k,) = ag.autograd.grad(ag.sum(h), [x])
    tx = torch.tensor(values((6,), seed=11), requires_grad=True)
    ty = torch.sum(torch.fft.irfft(torch.fft.rfft(tx ** 3, n=8), n=6)
                   * torch.tensor(values((6,), seed=12)))
    (tg,) = torch.autograd.grad(ty, [tx], create_graph=True)
    (th,) = torch.autograd.grad(tg.sum(), [tx], create_graph=True)
    (tk,) = torch.autograd.grad(th.sum(), [tx])
    assert_allclose(host(k), tk.numpy(), rtol=1e-9, atol=1e-11)


# -- sample frequencies ----------------------------------------------------------------------

@pytest.mark.parametrize("n", [1, 6, 7])
@pytest.mark.parametrize("d", [1.0, 0.25])
def test_frequencies(backend, n, d):
    f = ag.fft.fftfreq(n, d=d)
    r = ag.fft.rfftfreq(n, d=d)
    assert f._backend is backend and r._backend is backend
    assert f.dtype == backend.default_float and r.dtype == backend.default_float
    assert_allclose(host(f), np.fft.fftfreq(n, d=d), rtol=1e-6)
    assert_allclose(host(r), np.fft.rfftfreq(n, d=d), rtol=1e-6)


def test_frequencies_dtype(backend):
    for dt in (ag.float32, ag.float64):
        assert ag.fft.fftfreq(5, dtype=dt).dtype == dt
        assert ag.fft.rfftfreq(5, dtype=dt).dtype == dt
    with pytest.raises(ValueError):
        ag.fft.fftfreq(5, dtype=ag.int64)
    with pytest.raises(ValueError):
        ag.fft.rfftfreq(0)


# -- signatures and errors -------------------------------------------------------------------

def test_signatures():
    import inspect
    one = "(x, /, *, n=None, axis=-1, norm='backward')"
    many = "(x, /, *, s=None, axes=None, norm='backward')"
    freq = "(n, /, *, d=1.0, dtype=None, device=None)"
    shift = "(x, /, *, axes=None)"
    expected = dict(fft=one, ifft=one, rfft=one, irfft=one, hfft=one, ihfft=one,
                    fftn=many, ifftn=many, rfftn=many, irfftn=many,
                    fftfreq=freq, rfftfreq=freq, fftshift=shift, ifftshift=shift)
    assert sorted(ag.fft.__all__) == sorted(expected)
    for name, sig in expected.items():
        assert str(inspect.signature(getattr(ag.fft, name))) == sig, name


def test_errors(backend):
    x = to_tensor(values((3, 4), True))
    with pytest.raises(ValueError, match="norm"):
        ag.fft.fft(x, norm="none")
    with pytest.raises(ValueError):
        ag.fft.fft(x, n=0)
    with pytest.raises(ValueError):
        ag.fft.irfft(to_tensor(values((1,), True)))  # default n = 2*(1-1) = 0
    with pytest.raises(IndexError):
        ag.fft.fft(x, axis=2)
    with pytest.raises(ValueError, match="unique"):
        ag.fft.fftn(x, axes=(0, -2))
    with pytest.raises(ValueError):
        ag.fft.fftn(x, s=(2, 3, 4), axes=(0, 1))


def test_dask_needs_single_chunk_axes():
    da = pytest.importorskip("dask.array")
    data = da.from_array(values((4, 6), True), chunks=(2, 3))
    x = ag.asarray(data)
    assert x._backend.name == "dask"
    with pytest.raises(NotImplementedError, match="dask"):
        ag.fft.fft(x, axis=1)
    with pytest.raises(NotImplementedError, match="dask"):
        ag.fft.rfftn(ag.real(x), axes=(0, 1))
    y = ag.fft.fft(ag.asarray(data.rechunk({1: -1})), axis=1)  # one chunk along axis 1
    assert_allclose(host(y), np.fft.fft(data.compute(), axis=1))
