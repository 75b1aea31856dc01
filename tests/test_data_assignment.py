"""``t.data = array``: an array of the tensor's own backend, of any shape and dtype (as
PyTorch allows), is taken; an array of another backend, or anything that is not an
array, is refused at the assignment, with the conversion to use, instead of failing
later in some operation or in backward."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import arraygrad as ag

# The CPU backends and the module each needs (CuPy's tensors follow the same path).
MODULES = {"numpy": "numpy", "array_api_strict": "array_api_strict", "torch": "torch",
           "jax": "jax", "dask": "dask.array"}


def _usable(*names):
    for name in names:
        pytest.importorskip(MODULES[name])


def _leaf(backend, values=(1.0, 2.0)):
    return ag.asarray(list(values), dtype=ag.float64, backend=backend, requires_grad=True)


# The conversion must not warn either (torch once warned about JAX's read-only host
# arrays, which asarray now copies).
@pytest.mark.filterwarnings("error::UserWarning")
@pytest.mark.parametrize("owner,other", [pytest.param(a, b, id=f"{a}-{b}")
                                         for a, b in itertools.permutations(MODULES, 2)])
def test_an_array_of_another_backend_is_refused_and_the_hint_works(owner, other):
    _usable(owner, other)
    x = _leaf(owner)
    before = x.data
    foreign = ag.asarray([3.0, 4.0, 5.0], dtype=ag.float64, backend=other).data
    with pytest.raises(TypeError, match=rf"'{other}' backend.*'{owner}' backend.*"
                                        rf"arraygrad\.asarray\(array, backend='{owner}'\)"):
        x.data = foreign
    assert x.data is before
    # The conversion the message names gives an array the tensor takes.
    x.data = ag.asarray(foreign, backend=owner).data
    ag.sum(x * x).backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 8.0, 10.0])


@pytest.mark.parametrize("owner", list(MODULES))
def test_an_array_of_the_same_backend_may_change_shape_and_dtype(owner):
    _usable(owner)
    x = _leaf(owner)
    new = ag.asarray([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=ag.float32, backend=owner).data
    x.data = new
    assert x.shape == (3, 2) and x.dtype == ag.float32
    ag.sum(x * 3.0).backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((3, 2), 3.0, dtype=np.float32))


@pytest.mark.parametrize("owner", list(MODULES))
@pytest.mark.parametrize("value", [[1.0, 2.0], 1.5, "tensor"], ids=["list", "float", "tensor"])
def test_what_is_not_an_array_is_refused(owner, value):
    """A tensor's .data is the raw array: a Tensor, a list or a Python number is not one
    (in PyTorch-style ``p.data = p.data - lr * p.grad`` the right side is a Tensor)."""
    _usable(owner)
    x = _leaf(owner)
    if value == "tensor":
        value = _leaf(owner)
    with pytest.raises(TypeError, match=rf"array of the '{owner}' backend, not "
                                        rf"{type(value).__name__}.*backend='{owner}'"):
        x.data = value


def test_a_numpy_scalar_is_an_array_of_numpy():
    x = _leaf("numpy")
    x.data = np.float64(2.0)
    assert x.shape == () and x.item() == 2.0


def test_in_place_arithmetic_on_data_keeps_the_array():
    """``p.data -= lr * g`` reads the array, updates it and assigns it back."""
    x = _leaf("numpy")
    before = x.data
    ag.sum(x * x).backward()
    x.data -= 0.25 * x.grad.data
    assert x.data is before
    np.testing.assert_allclose(x.detach().numpy(), [0.5, 1.0])


def test_a_torch_tensor_that_requires_grad_is_detached():
    """arraygrad's graph is the only graph: torch's own autograd is not carried in."""
    torch = pytest.importorskip("torch")
    x = _leaf("torch")
    x.data = torch.ones(3, dtype=torch.float64, requires_grad=True)
    assert not x.data.requires_grad
