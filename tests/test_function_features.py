"""The rest of PyTorch's custom ``Function`` API, each feature beside what torch does:
``ctx.needs_input_grad``, ``mark_dirty``, ``once_differentiable``, the
``setup_context`` style, ``None`` gradients, and ``Node.metadata``."""
from __future__ import annotations

import numpy as np
import pytest

import arraygrad as ag

torch = pytest.importorskip("torch")


def _functions(lib):
    """The same four Functions written against ``lib`` (torch or arraygrad)."""
    Function = lib.autograd.Function
    once = (lib.autograd.function.once_differentiable if lib is torch
            else lib.autograd.once_differentiable)

    class Scale(Function):
        @staticmethod
        def forward(ctx, x, k, y):
            ctx.seen = ctx.needs_input_grad
            ctx.save_for_backward(y)
            return x * y * k

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            gx = g * y * 3.0 if ctx.needs_input_grad[0] else None
            return gx, None, None  # y's gradient left out on purpose

    class AddOneInPlace(Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1.0) if lib is torch else x.__iadd__(1.0)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    class Cube(Function):  # the newer style
        @staticmethod
        def forward(x):
            return x * x * x

        @staticmethod
        def setup_context(ctx, inputs, output):
            (x,) = inputs
            ctx.save_for_backward(x)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x * x * g

    class Square(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @once
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    return Scale, AddOneInPlace, Cube, Square


def _tensor(lib, values, requires_grad=False):
    if lib is torch:
        return torch.tensor(values, dtype=torch.float64, requires_grad=requires_grad)
    return ag.asarray(values, dtype=ag.float64, requires_grad=requires_grad)


@pytest.mark.parametrize("lib", [torch, ag], ids=["torch", "arraygrad"])
def test_needs_input_grad_and_none_gradients(lib):
    Scale = _functions(lib)[0]
    x = _tensor(lib, [1.0, 2.0], requires_grad=True)
    y = _tensor(lib, [3.0, 4.0], requires_grad=True)
    out = Scale.apply(x, 3.0, y)
    assert out.grad_fn.name() == "ScaleBackward"
    out.sum().backward()
    np.testing.assert_allclose(np.asarray(x.grad.detach()), [9.0, 12.0])
    assert y.grad is None  # backward returned None for it


def test_needs_input_grad_matches_torch():
    seen = {}
    for lib in (torch, ag):
        Scale = _functions(lib)[0]
        x = _tensor(lib, [1.0], requires_grad=True)
        y = _tensor(lib, [2.0])
        ctx_seen = []

        class Spy(Scale):
            @staticmethod
            def forward(ctx, x, k, y):
                ctx_seen.append(tuple(ctx.needs_input_grad))
                return Scale.forward(ctx, x, k, y)

        Spy.apply(x, 3.0, y)
        seen[lib.__name__] = ctx_seen[0]
    assert seen["torch"] == seen["arraygrad"] == (True, False, False)


@pytest.mark.parametrize("lib", [torch, ag], ids=["torch", "arraygrad"])
def test_mark_dirty_makes_the_input_the_output(lib):
    AddOneInPlace = _functions(lib)[1]
    a = _tensor(lib, [1.0, 2.0], requires_grad=True)
    x = a * 2
    out = AddOneInPlace.apply(x)
    assert out is x and x.grad_fn.name() == "AddOneInPlaceBackward"
    (x * x).sum().backward()
    np.testing.assert_allclose(np.asarray(a.grad.detach()), [12.0, 20.0])


@pytest.mark.parametrize("lib", [torch, ag], ids=["torch", "arraygrad"])
def test_mark_dirty_on_a_leaf_that_requires_grad_is_refused(lib):
    AddOneInPlace = _functions(lib)[1]
    a = _tensor(lib, [1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        AddOneInPlace.apply(a)


@pytest.mark.parametrize("lib", [torch, ag], ids=["torch", "arraygrad"])
def test_setup_context_style_and_its_second_derivative(lib):
    Cube = _functions(lib)[2]
    x = _tensor(lib, [1.5, -2.0], requires_grad=True)
    (g,) = lib.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    (h,) = lib.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(np.asarray(g.detach()), [6.75, 12.0])
    np.testing.assert_allclose(np.asarray(h.detach()), [9.0, -12.0])


@pytest.mark.parametrize("lib", [torch, ag], ids=["torch", "arraygrad"])
def test_once_differentiable_gives_first_derivatives_and_refuses_a_second(lib):
    Square = _functions(lib)[3]
    x = _tensor(lib, [3.0], requires_grad=True)
    # The gradient reaching Square's backward depends on x: a second derivative would
    # go through the once-differentiable backward.
    (g,) = lib.autograd.grad((Square.apply(x) * x).sum(), x, create_graph=True)
    np.testing.assert_allclose(np.asarray(g.detach()), [27.0])
    with pytest.raises(RuntimeError, match="marked with @once_differentiable"):
        g.sum().backward()


def test_node_metadata_is_a_dict_per_node():
    x = ag.asarray([1.0], requires_grad=True)
    y, z = x * 2, x * 3
    y.grad_fn.metadata["name"] = "double"
    assert y.grad_fn.metadata == {"name": "double"} and z.grad_fn.metadata == {}


def test_grads_batched_gives_one_vector_jacobian_product_per_row():
    values = [[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]]
    rows = [[1.0, 0.0], [0.0, 1.0], [2.0, -1.0]]
    got, want = [], []
    for lib, out in ((ag, got), (torch, want)):
        x = _tensor(lib, values, requires_grad=True)
        y = (x * x).sum(-1) if lib is torch else ag.sum(x * x, axis=-1)
        (g,) = lib.autograd.grad(y, x, _tensor(lib, rows), is_grads_batched=True)
        out.append(np.asarray(g.detach()))
    assert got[0].shape == (3, 2, 3)
    np.testing.assert_allclose(got[0], want[0])


@pytest.mark.parametrize("mode", ["all", "any"])
def test_multi_grad_hook_fires_once_per_backward_as_in_torch(mode):
    """Mode "all": once, after every gradient (None for a tensor not reached); mode
    "any": once, with the first gradient."""
    seen = {}
    for lib in (torch, ag):
        a = _tensor(lib, [1.0, 2.0], requires_grad=True)
        b = _tensor(lib, [3.0], requires_grad=True)
        c = _tensor(lib, [4.0], requires_grad=True)
        calls = []
        record = (lambda grads: calls.append([None if g is None else g.tolist() for g in grads])) \
            if mode == "all" else (lambda grad: calls.append(grad.tolist()))
        handle = lib.autograd.graph.register_multi_grad_hook((a, b, c), record, mode=mode)
        ((a * 2).sum() + (b * 3).sum()).backward()   # c is not reached
        (b * 5).sum().backward()                      # only b
        handle.remove()
        (a * 7).sum().backward()                      # removed: nothing
        seen[lib.__name__] = calls
    assert seen["arraygrad"] == seen["torch"]
