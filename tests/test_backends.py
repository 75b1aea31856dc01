"""Choosing a backend (default, environment, ``set_backend``, ``use_backend``), the
errors for unknown and unavailable ones, creation functions on every backend,
``asarray`` of existing arrays, mixing backends, and torch's own autograd kept out."""
from __future__ import annotations

import math
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import arraygrad as ag
import arraygrad.backend as ag_backend
from arraygrad.backend import get_backend

ROOT = Path(__file__).resolve().parents[1]
USABLE = []
for _name in ag.available_names():
    try:
        get_backend(_name)
        USABLE.append(_name)
    except ag.BackendUnavailable:
        pass


@pytest.fixture
def restore_global_backend(monkeypatch):
    """``set_backend`` is process-wide: put the previous choice back afterwards."""
    monkeypatch.setattr(ag_backend, "_global_name", ag_backend._global_name)


def native_array(name, values):
    """A float64 array of backend ``name`` made by that library itself."""
    values = np.asarray(values, dtype=np.float64)
    if name == "numpy":
        return values.copy()
    if name == "torch":
        import torch
        return torch.tensor(values)
    if name == "jax":
        import jax.numpy as jnp
        return jnp.asarray(values)
    if name == "dask":
        import dask.array as da
        return da.from_array(values, chunks=2)
    if name == "array_api_strict":
        import array_api_strict as xps
        return xps.asarray(values)
    pytest.skip(f"no native constructor for {name}")


def run_python(code, **env):
    full_env = {k: v for k, v in os.environ.items() if k != "ARRAYGRAD_BACKEND"}
    full_env.update(env)
    full_env["PYTHONPATH"] = str(ROOT) + os.pathsep + full_env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=full_env, cwd=ROOT, timeout=120)


# -- choosing the backend ------------------------------------------------------------

def test_available_names_lists_every_profile():
    names = ag.available_names()
    for n in ("numpy", "torch", "jax", "dask", "array_api_strict", "cupy"):
        assert n in names


def test_default_backend_is_numpy_in_fresh_process():
    result = run_python("import arraygrad; print(arraygrad.current_backend().name); "
                        "print(type(arraygrad.ones(2).data).__module__)")
    assert result.returncode == 0, result.stderr
    name, module = result.stdout.split()
    assert name == "numpy"
    assert module == "numpy"


@pytest.mark.parametrize("name", ["torch", "array_api_strict", "numpy"])
def test_environment_variable_chooses_backend(name):
    if name not in USABLE:
        pytest.skip(f"{name} unavailable")
    result = run_python("import arraygrad; print(arraygrad.current_backend().name); "
                        "print(arraygrad.ones(2)._backend.name)", ARRAYGRAD_BACKEND=name)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [name, name]


def test_environment_variable_unknown_name_errors():
    result = run_python("import arraygrad; arraygrad.ones(2)", ARRAYGRAD_BACKEND="nonsense")
    assert result.returncode != 0
    assert "ValueError" in result.stderr and "numpy" in result.stderr


def test_set_backend_in_subprocess_overrides_environment():
    if "torch" not in USABLE:
        pytest.skip("torch unavailable")
    result = run_python("import arraygrad; arraygrad.set_backend('torch'); "
                        "print(arraygrad.current_backend().name)",
                        ARRAYGRAD_BACKEND="numpy")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "torch"


@pytest.mark.parametrize("name", USABLE)
def test_set_backend(name, restore_global_backend):
    ag.set_backend(name)
    assert ag.current_backend().name == name
    t = ag.ones(3)
    assert t._backend.name == name
    assert_allclose(t.numpy(), np.ones(3))


def test_set_backend_is_process_wide(restore_global_backend):
    if "array_api_strict" not in USABLE:
        pytest.skip("array_api_strict unavailable")
    ag.set_backend("array_api_strict")
    seen = []
    t = threading.Thread(target=lambda: seen.append(ag.current_backend().name))
    t.start()
    t.join(10)
    assert seen == ["array_api_strict"]


@pytest.mark.parametrize("name", USABLE)
def test_use_backend_block(name):
    before = ag.current_backend().name
    with ag.use_backend(name) as b:
        assert b.name == name
        assert ag.current_backend() is b
        t = ag.zeros(2)
        assert t._backend is b
    assert ag.current_backend().name == before


def test_use_backend_nested_and_restored_on_error():
    if "array_api_strict" not in USABLE:
        pytest.skip("array_api_strict unavailable")
    before = ag.current_backend().name
    with pytest.raises(KeyError):
        with ag.use_backend("array_api_strict"):
            with ag.use_backend("numpy"):
                assert ag.current_backend().name == "numpy"
            assert ag.current_backend().name == "array_api_strict"
            raise KeyError
    assert ag.current_backend().name == before


def test_use_backend_is_per_thread():
    if "array_api_strict" not in USABLE:
        pytest.skip("array_api_strict unavailable")
    before = ag.current_backend().name
    barrier = threading.Barrier(2, timeout=10)
    seen = {}

    def worker():
        with ag.use_backend("array_api_strict"):
            barrier.wait()
            seen["worker"] = ag.current_backend().name
            barrier.wait()

    t = threading.Thread(target=worker)
    t.start()
    barrier.wait()
    seen["main"] = ag.current_backend().name
    barrier.wait()
    t.join(10)
    assert seen == {"worker": "array_api_strict", "main": before}


def test_unknown_backend_is_value_error_listing_choices(restore_global_backend):
    before = ag.current_backend().name
    with pytest.raises(ValueError) as info:
        ag.set_backend("nonsense")
    msg = str(info.value)
    assert "nonsense" in msg
    for n in ("numpy", "torch", "jax", "dask", "array_api_strict", "cupy"):
        assert n in msg
    with pytest.raises(ValueError):
        with ag.use_backend("nonsense"):
            pass
    assert ag.current_backend().name == before


def test_unavailable_backend_raises_with_install_command(restore_global_backend):
    if "cupy" in USABLE:
        pytest.skip("cupy is usable here")
    before = ag.current_backend().name
    with pytest.raises(ag.BackendUnavailable) as info:
        ag.set_backend("cupy")
    msg = str(info.value)
    assert "cupy" in msg
    assert "pip install" in msg
    assert isinstance(info.value, ImportError)
    with pytest.raises(ag.BackendUnavailable):
        with ag.use_backend("cupy"):
            pass
    assert ag.current_backend().name == before


# -- creation functions on the current backend -----------------------------------------

def test_creation_functions_make_tensors_on_current_backend(backend):
    made = {
        "tensor": ag.tensor([1.0, 2.0]),
        "asarray": ag.asarray([1.0, 2.0]),
        "zeros": ag.zeros(2, 3),
        "ones": ag.ones((2, 3)),
        "full": ag.full((2,), 7.0),
        "empty": ag.empty(4),
        "arange": ag.arange(5),
        "linspace": ag.linspace(0.0, 1.0, 5),
        "eye": ag.eye(3),
        "randn": ag.randn(2, 2),
        "rand": ag.rand(3),
    }
    base = ag.ones(2, 2)
    made.update(zeros_like=ag.zeros_like(base), ones_like=ag.ones_like(base),
                full_like=ag.full_like(base, 3.0), empty_like=ag.empty_like(base))
    for what, t in made.items():
        assert isinstance(t, ag.Tensor), what
        assert t._backend is backend, what
        assert ag_backend.backend_of_array(t.data) is backend, what
        assert not t.requires_grad, what


def test_creation_values(backend):
    assert_array_equal(ag.zeros(2, 3).numpy(), np.zeros((2, 3)))
    assert_array_equal(ag.ones((2, 3)).numpy(), np.ones((2, 3)))
    assert_array_equal(ag.full((2, 2), 7.5).numpy(), np.full((2, 2), 7.5))
    assert_array_equal(ag.arange(5).numpy(), np.arange(5))
    assert_array_equal(ag.arange(1, 7, 2).numpy(), [1, 3, 5])
    assert_allclose(ag.linspace(0.0, 1.0, 5).numpy(), np.linspace(0, 1, 5))
    assert_array_equal(ag.eye(3).numpy(), np.eye(3))
    assert_array_equal(ag.eye(3, 2).numpy(), np.eye(3, 2))
    if backend.name != "dask":  # dask.array.eye(2, M=3) itself fails (upstream bug)
        assert_array_equal(ag.eye(2, 3, k=1).numpy(), np.eye(2, 3, k=1))
    assert ag.empty(4).shape == (4,)
    base = ag.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert_array_equal(ag.zeros_like(base).numpy(), np.zeros((2, 2)))
    assert_array_equal(ag.ones_like(base).numpy(), np.ones((2, 2)))
    assert_array_equal(ag.full_like(base, 3.0).numpy(), np.full((2, 2), 3.0))
    assert ag.empty_like(base).shape == (2, 2)


@pytest.mark.parametrize("fn", [ag.zeros, ag.ones, ag.empty, ag.randn, ag.rand])
def test_shape_as_varargs_or_tuple(backend, fn):
    assert fn(2, 3).shape == (2, 3)
    assert fn((2, 3)).shape == (2, 3)
    assert fn([4]).shape == (4,)
    assert fn(5).shape == (5,)


@pytest.mark.parametrize("dtype", [ag.float32, ag.float64, ag.int32, ag.int64, ag.bool,
                                   ag.complex128])
def test_dtype_is_honoured(backend, dtype):
    assert ag.zeros(2, dtype=dtype).dtype == dtype
    assert ag.ones((2,), dtype=dtype).dtype == dtype
    assert ag.empty(2, dtype=dtype).dtype == dtype
    assert ag.tensor([1, 0], dtype=dtype).dtype == dtype
    assert ag.asarray([1, 0], dtype=dtype).dtype == dtype
    base = ag.ones(2)
    assert ag.zeros_like(base, dtype=dtype).dtype == dtype
    assert ag.ones_like(base, dtype=dtype).dtype == dtype


@pytest.mark.parametrize("dtype", [ag.float32, ag.float64])
def test_dtype_is_honoured_float_functions(backend, dtype):
    assert ag.full((2,), 1.5, dtype=dtype).dtype == dtype
    assert ag.linspace(0, 1, 3, dtype=dtype).dtype == dtype
    assert ag.eye(2, dtype=dtype).dtype == dtype
    assert ag.arange(3, dtype=dtype).dtype == dtype
    assert ag.randn(2, dtype=dtype).dtype == dtype
    assert ag.rand(2, dtype=dtype).dtype == dtype


def test_default_dtypes_follow_backend(backend):
    assert ag.tensor([1.0]).dtype == backend.default_float
    assert ag.tensor([1]).dtype == backend.default_int
    assert ag.tensor([True]).dtype == ag.bool
    assert ag.ones(2).dtype == backend.default_float
    assert ag.randn(2).dtype == backend.default_float
    assert ag.tensor([1.0]).dtype.is_floating_point


def test_requires_grad_in_creation(backend):
    for t in (ag.zeros(2, requires_grad=True), ag.ones(2, 2, requires_grad=True),
              ag.randn(3, requires_grad=True), ag.tensor([1.0], requires_grad=True),
              ag.full((2,), 1.0, requires_grad=True)):
        assert t.requires_grad and t.is_leaf and t.grad_fn is None


def test_manual_seed_gives_same_numbers_on_every_backend():
    reference = None
    for name in USABLE:
        with ag.use_backend(name):
            ag.manual_seed(1234)
            n = ag.randn(3, 4, dtype=ag.float64).numpy()
            u = ag.rand(5, dtype=ag.float64).numpy()
        if reference is None:
            reference = (n, u)
        else:
            assert_array_equal(n, reference[0], err_msg=name)
            assert_array_equal(u, reference[1], err_msg=name)
    assert np.all((reference[1] >= 0) & (reference[1] < 1))
    assert 0.3 < reference[0].std() < 3


def test_manual_seed_repeats_and_differs(backend):
    ag.manual_seed(7)
    a = ag.randn(5).numpy()
    ag.manual_seed(7)
    b = ag.randn(5).numpy()
    c = ag.randn(5).numpy()
    assert_array_equal(a, b)
    assert not np.array_equal(b, c)


# -- existing backend arrays ------------------------------------------------------------

def test_asarray_of_backend_array_keeps_backend_and_does_not_copy(backend):
    arr = native_array(backend.name, [1.0, 2.0, 3.0])
    with ag.use_backend("numpy"):  # the array's own backend wins over the current one
        t = ag.asarray(arr)
    assert t._backend is backend
    assert t.dtype == ag.float64
    assert_allclose(t.numpy(), [1.0, 2.0, 3.0])
    if backend.name == "array_api_strict":
        # array-api-strict wraps anew, but must share the memory.
        arr[0] = 42.0
        assert t.numpy()[0] == 42.0
    else:
        assert t.data is arr


def test_tensor_of_backend_array_copies(backend):
    arr = native_array(backend.name, [1.0, 2.0, 3.0])
    t = ag.tensor(arr)
    assert t._backend is backend
    assert t.data is not arr
    if backend.name in ("numpy", "torch", "array_api_strict"):
        arr[0] = 42.0
        assert t.numpy()[0] == 1.0


def test_asarray_of_numpy_array_on_numpy_backend_shares_memory():
    arr = np.arange(4.0)
    t = ag.asarray(arr)
    assert t.data is arr
    arr[1] = 10.0
    assert t.numpy()[1] == 10.0
    t2 = ag.tensor(arr)
    arr[2] = 20.0
    assert t2.numpy()[2] == 2.0


def test_asarray_of_tensor_returns_it(backend):
    t = ag.ones(2)
    assert ag.asarray(t) is t
    c = ag.asarray(t, copy=True)
    assert c is not t and c.data is not t.data


def test_asarray_requires_grad(backend):
    arr = native_array(backend.name, [1.0, 2.0])
    t = ag.asarray(arr, requires_grad=True)
    assert t.requires_grad and t.is_leaf
    (t * t).sum().backward()
    assert_allclose(t.grad.numpy(), [2.0, 4.0])


@pytest.mark.parametrize("other", ["numpy", "array_api_strict", "torch"])
def test_op_mixing_two_backends_is_type_error_naming_both(backend, other):
    if other == backend.name or other not in USABLE:
        pytest.skip("needs two distinct usable backends")
    if {backend.name, other} == {"dask", "numpy"}:
        pytest.skip("Dask takes NumPy tensors in (tests/test_mixing.py)")
    a = ag.ones(2, dtype=ag.float64)
    with ag.use_backend(other):
        b = ag.ones(2, dtype=ag.float64)
    for op in (lambda: a + b, lambda: b * a, lambda: ag.maximum(a, b),
               lambda: ag.where(a > 0, a, b)):
        with pytest.raises(TypeError) as info:
            op()
        msg = str(info.value)
        assert backend.name in msg and other in msg


def test_mixing_tensor_with_raw_array_of_other_backend(backend):
    other = "numpy" if backend.name != "numpy" else "array_api_strict"
    if other not in USABLE:
        pytest.skip("needs two backends")
    a = ag.ones(2, dtype=ag.float64)
    raw = native_array(other, [1.0, 2.0])
    with pytest.raises(TypeError) as info:
        a + raw
    assert backend.name in str(info.value) and other in str(info.value)


def test_mixed_backends_in_setitem(backend):
    other = "numpy" if backend.name != "numpy" else "array_api_strict"
    if other not in USABLE:
        pytest.skip("needs two backends")
    a = ag.zeros(3, dtype=ag.float64)
    with ag.use_backend(other):
        v = ag.ones(1, dtype=ag.float64)
    with pytest.raises(TypeError) as info:
        a[0:1] = v
    assert backend.name in str(info.value) and other in str(info.value)


# -- torch: arraygrad keeps the only graph ---------------------------------------------

def test_torch_arrays_never_require_grad():
    torch = pytest.importorskip("torch")
    with ag.use_backend("torch"):
        x = ag.tensor([1.0, 2.0], dtype=ag.float64, requires_grad=True)
        assert isinstance(x.data, torch.Tensor)
        assert x.requires_grad and not x.data.requires_grad
        y = x * x
        z = y.exp().sum()
        for t in (y, z):
            assert t.requires_grad and not t.data.requires_grad
            assert t.data.grad_fn is None
        z.backward()
        assert not x.grad.data.requires_grad
        assert_allclose(x.grad.numpy(), 2 * np.array([1.0, 2.0]) * np.exp([1.0, 4.0]))
        (g,) = ag.autograd.grad((x * x * x).sum(), x, create_graph=True)
        assert g.requires_grad and not g.data.requires_grad


def test_torch_tensor_requiring_grad_is_detached_by_asarray():
    torch = pytest.importorskip("torch")
    src = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    t = ag.asarray(src)
    assert t._backend.name == "torch"
    assert not t.data.requires_grad
    assert t.data.grad_fn is None
    assert not t.requires_grad
    t2 = ag.asarray(src * 2)  # a non-leaf torch tensor too
    assert not t2.data.requires_grad and t2.data.grad_fn is None
    t3 = ag.tensor(src, requires_grad=True)
    assert t3.requires_grad and not t3.data.requires_grad
    (t3 * 3).sum().backward()
    assert src.grad is None
    assert_allclose(t3.grad.numpy(), [3.0, 3.0])


@pytest.mark.parametrize("shape, target", [
    ((4, 1), (4, 3)), ((), (5,)), ((3,), (2, 3)), ((4, 1), (2, 4, 3)), ((0, 1), (0, 3)),
    ((1,), (0,))])
def test_numpy_broadcast_view_is_numpys_read_only_view(shape, target):
    """The NumPy backend's ``broadcast_to`` (``backends.DIRECT``, built by the ndarray
    constructor for speed) is what ``numpy.broadcast_to`` gives: the same values and
    strides, memory shared with the input, and no writes."""
    broadcast_to = ag.backend.get_backend("numpy").ns.broadcast_to
    x = np.arange(math.prod(shape), dtype=np.float32).reshape(shape)
    view, expected = broadcast_to(x, target), np.broadcast_to(x, target)
    assert view.shape == expected.shape and view.strides == expected.strides
    np.testing.assert_array_equal(view, expected)
    assert np.shares_memory(view, x) or view.size == 0
    with pytest.raises(ValueError, match="read-only"):
        view[...] = 1.0


def test_numpy_broadcast_view_leaves_other_inputs_to_numpy():
    broadcast_to = ag.backend.get_backend("numpy").ns.broadcast_to
    strided = np.arange(12.0).reshape(3, 4)[:, ::2]  # not C-contiguous
    np.testing.assert_array_equal(broadcast_to(strided, (2, 3, 2)),
                                  np.broadcast_to(strided, (2, 3, 2)))
    np.testing.assert_array_equal(broadcast_to(np.float32(2.0), (3,)), [2.0, 2.0, 2.0])
    with pytest.raises(ValueError, match="broadcast"):
        broadcast_to(np.ones(3), (4,))
