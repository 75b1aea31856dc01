"""Indexing that works forward must work backward, and mistakes must get arraygrad's
own errors (issue 12): list keys, assignment through negative steps, values with more
(size-1) axes than their target, Dask's unknown sizes, NumPy functions called on a
tensor that requires grad, and ``linalg.pinv`` of integers."""
from __future__ import annotations

import numpy as np
import pytest

import arraygrad as ag
from tests.conftest import BACKENDS


def f64(values, requires_grad=False):
    return ag.asarray(values, dtype=ag.float64, requires_grad=requires_grad)


def host(t) -> np.ndarray:
    return np.asarray(t.detach().numpy())


# -- list keys ----------------------------------------------------------------------


def test_a_list_key_is_differentiable_like_an_integer_array(backend):
    x = f64([1.0, 2.0, 3.0], requires_grad=True)
    y = x[[0, 2, 2]]
    np.testing.assert_array_equal(host(y), [1.0, 3.0, 3.0])
    y.sum().backward()
    np.testing.assert_array_equal(host(x.grad), [1.0, 0.0, 2.0])


def test_a_list_of_integer_tensors_is_an_index_array(backend):
    x = f64([1.0, 2.0, 3.0], requires_grad=True)
    y = x[[ag.asarray(2), 0]]
    np.testing.assert_array_equal(host(y), [3.0, 1.0])
    y.sum().backward()
    np.testing.assert_array_equal(host(x.grad), [1.0, 0.0, 1.0])


def test_a_tuple_of_lists_indexes_like_integer_arrays(backend):
    if backend.name == "dask":
        pytest.skip("Dask has no multi-dimensional fancy indexing")
    x = f64([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    y = x[[0, 1, 1], [2, 0, 0]]
    np.testing.assert_array_equal(host(y), [3.0, 4.0, 4.0])
    (y * f64([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(host(x.grad), [[0.0, 0.0, 1.0], [5.0, 0.0, 0.0]])


def test_a_nested_list_key_is_an_index_array_of_its_shape(backend):
    if backend.name in ("array_api_strict", "dask"):
        pytest.skip("this backend takes index arrays of one dimension only")
    x = f64([1.0, 2.0, 3.0], requires_grad=True)
    y = x[[[0, 1], [1, 2]]]
    assert y.shape == (2, 2)
    y.sum().backward()
    np.testing.assert_array_equal(host(x.grad), [1.0, 2.0, 1.0])


def test_a_list_key_assigns_and_its_value_gets_the_gradient(backend):
    if backend.name == "array_api_strict":
        pytest.skip("the standard has no assignment through index arrays")
    x = f64([1.0, 2.0, 3.0], requires_grad=True)
    v = f64([10.0, 30.0], requires_grad=True)
    y = x * 1.0
    y[[0, 2]] = v
    np.testing.assert_array_equal(host(y), [10.0, 2.0, 30.0])
    (y * f64([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(host(v.grad), [1.0, 3.0])
    np.testing.assert_array_equal(host(x.grad), [0.0, 2.0, 0.0])


# -- assignment through negative steps ----------------------------------------------


def test_assignment_through_a_negative_step_writes_the_selected_elements(backend):
    y = f64([1.0, 2.0, 3.0, 4.0, 5.0])
    y[::-2] = 9.0
    np.testing.assert_array_equal(host(y), [9.0, 2.0, 9.0, 4.0, 9.0])
    y[::-1] = f64([10.0, 20.0, 30.0, 40.0, 50.0])
    np.testing.assert_array_equal(host(y), [50.0, 40.0, 30.0, 20.0, 10.0])


def test_assignment_through_negative_steps_broadcasts_and_is_differentiable(backend):
    rows = np.arange(12.0).reshape(3, 4)
    w = f64(rows.tolist(), requires_grad=True)
    v = f64([10.0, 20.0, 30.0], requires_grad=True)
    y = w * 1.0
    y[::-1, 1:2] = ag.reshape(v, (3, 1))
    y[1, ::-2] = v[:2]
    y[::-2, ::-1] = f64([1.0, 2.0, 3.0, 4.0])  # broadcast along the first axis
    expected = rows.copy()
    expected[::-1, 1:2] = [[10.0], [20.0], [30.0]]
    expected[1, ::-2] = [10.0, 20.0]
    expected[::-2, ::-1] = [1.0, 2.0, 3.0, 4.0]
    np.testing.assert_array_equal(host(y), expected)
    (y * f64(rows.tolist())).sum().backward()
    # y[1, 3] and y[1, 1] hold v[0] and v[1]; the other writes of v were overwritten
    np.testing.assert_array_equal(host(v.grad), [7.0, 5.0, 0.0])
    np.testing.assert_array_equal(host(w.grad), [[0.0] * 4, [4.0, 0.0, 6.0, 0.0], [0.0] * 4])


def test_assignment_into_a_view_with_a_negative_step_reaches_its_base(backend):
    x = f64([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]])
    view = x[:, ::-1]
    view[0, :2] = f64([7.0, 8.0])
    np.testing.assert_array_equal(host(x), [[0.0, 8.0, 7.0], [3.0, 4.0, 5.0]])


# -- values with more axes than their target ----------------------------------------


def test_a_value_with_leading_unit_axes_gets_its_gradient_in_its_own_shape(backend):
    x = f64([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    v = f64([[[7.0, 8.0, 9.0]]], requires_grad=True)
    y = x * 2.0
    y[0, :] = v
    np.testing.assert_array_equal(host(y), [[7.0, 8.0, 9.0], [8.0, 10.0, 12.0]])
    (y * f64([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).sum().backward()
    assert v.grad.shape == (1, 1, 3)
    np.testing.assert_array_equal(host(v.grad), [[[1.0, 2.0, 3.0]]])
    np.testing.assert_array_equal(host(x.grad), [[0.0, 0.0, 0.0], [8.0, 10.0, 12.0]])


def test_an_integer_key_takes_a_value_with_leading_unit_axes(backend):
    if backend.name == "array_api_strict":
        pytest.skip("the standard requires a key for every axis")
    x = f64([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    v = f64([[[7.0, 8.0, 9.0]]], requires_grad=True)
    y = x * 2.0
    y[0] = v
    y.sum().backward()
    np.testing.assert_array_equal(host(v.grad), [[[1.0, 1.0, 1.0]]])
    np.testing.assert_array_equal(host(x.grad), [[0.0, 0.0, 0.0], [2.0, 2.0, 2.0]])


def test_a_value_with_leading_unit_axes_is_written_without_recording(backend):
    y = f64([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    y[1:, :] = f64([[[7.0, 8.0, 9.0]]])
    np.testing.assert_array_equal(host(y), [[1.0, 2.0, 3.0], [7.0, 8.0, 9.0]])


# -- Dask's unknown sizes -----------------------------------------------------------


@pytest.fixture
def dask_backend():
    if BACKENDS.get("dask", "not known") is not None:
        pytest.skip("the dask backend is unavailable")
    with ag.use_backend("dask") as b:
        yield b


def test_an_unknown_size_is_reported_as_none(dask_backend):
    x = f64([1.0, -2.0, 3.0], requires_grad=True)
    selected = x[x > 0]
    assert selected.shape == (None,)
    assert selected.size is None
    assert x.shape == (3,)


def test_the_gradient_of_a_lazy_boolean_mask_says_what_to_do(dask_backend):
    x = f64([1.0, -2.0, 3.0], requires_grad=True)
    with pytest.raises(NotImplementedError, match="Dask.*boolean mask.*where"):
        x[x > 0].sum().backward()


def test_a_computed_mask_on_dask_is_differentiable(dask_backend):
    x = f64([1.0, -2.0, 3.0], requires_grad=True)
    x[(x > 0).numpy()].sum().backward()
    np.testing.assert_array_equal(host(x.grad), [1.0, 0.0, 1.0])


# -- NumPy functions on tensors -----------------------------------------------------


NUMPY_FUNCTIONS = [np.sum, np.mean, np.max, np.min, np.prod, np.std, np.var, np.all,
                   np.any, np.round, np.cumsum, np.squeeze, lambda t: np.clip(t, 0, 1),
                   lambda t: np.concatenate([t, t])]


@pytest.mark.parametrize("function", NUMPY_FUNCTIONS)
def test_numpy_functions_refuse_a_tensor_that_requires_grad(backend, function):
    x = f64([1.0, -2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"requires grad.*detach\(\)"):
        function(x)


@pytest.mark.parametrize("function", NUMPY_FUNCTIONS)
def test_numpy_functions_take_the_values_of_a_tensor_without_grad(backend, function):
    values = np.array([1.0, -2.0, 3.0])
    np.testing.assert_allclose(function(f64(values.tolist())), function(values))


def test_numpy_shape_functions_read_a_tensor_that_requires_grad(backend):
    x = f64([[1.0, 2.0, 3.0]], requires_grad=True)
    assert np.shape(x) == (1, 3)
    assert np.ndim(x) == 2
    assert np.size(x) == 3


# -- linalg -------------------------------------------------------------------------


def test_pinv_promotes_an_integer_matrix_to_the_default_float(backend):
    a = [[1, 2, 3], [4, 5, 6]]
    result = ag.linalg.pinv(ag.asarray(a))
    assert result.dtype.kind == "real floating"
    np.testing.assert_allclose(host(result), np.linalg.pinv(np.array(a, dtype=float)),
                               rtol=1e-5, atol=1e-5)
