"""``arraygrad.autograd.gradcheck`` / ``gradgradcheck``: analytical gradients against
central finite differences, as in PyTorch: they pass on correct functions on every
backend and name the output, the input and both Jacobians when a gradient is wrong."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import arraygrad as ag
from arraygrad.autograd import Function, GradcheckError, gradcheck, gradgradcheck
from gradcheck_utils import Cube, _differentiable_inputs, host, leaf, make_args, reseed, rnd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the conformance package, for its cases
    sys.path.insert(0, str(ROOT))
from conformance import draws  # noqa: E402
from conformance.cases import CASES  # noqa: E402

F64 = ag.float64
MISMATCH = r"(?s)Jacobian mismatch for output {o} with respect to input {i},\nnumerical:.*\nanalytical:"


@pytest.fixture(autouse=True)
def _stream(request):
    reseed(request.node.nodeid)


# -- functions under test ----------------------------------------------------------------

def smooth(x, y, scale):
    """Two inputs that broadcast, a Python number, and two outputs."""
    return ag.sin(x) * y + scale * x ** 2, ag.sum(ag.exp(y))


class WrongCube(Cube):
    """x**3 whose backward forgets the factor 3."""

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x * x


class FrozenCube(Cube):
    """x**3 whose first derivative is right but is not itself differentiable in x: its
    backward detaches what it saved, so every second derivative in x is lost."""

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        x = x.detach()
        return g * 3 * x * x


class SquareWithoutConj(Function):
    """z**2 on complex z with the holomorphic derivative 2z, not PyTorch's conj(2z)."""

    @staticmethod
    def forward(ctx, z):
        ctx.save_for_backward(z)
        return z * z

    @staticmethod
    def backward(ctx, g):
        (z,) = ctx.saved_tensors
        return g * 2 * z


# -- passing -----------------------------------------------------------------------------

@pytest.mark.parametrize("fast_mode", [False, True])
def test_passes_on_arraygrad_operations(backend, fast_mode):
    x, y = leaf(rnd(2, 2)), leaf(rnd(2))
    assert gradcheck(smooth, (x, y, 0.7), fast_mode=fast_mode)


@pytest.mark.parametrize("fast_mode", [False, True])
def test_passes_on_complex_inputs_and_outputs(backend, fast_mode):
    z = ag.tensor((rnd(3) + 1j * rnd(3)).tolist(), dtype=ag.complex128, requires_grad=True)
    x = leaf(rnd(3))
    assert gradcheck(lambda z, x: ag.exp(z) * ag.conj(z) * x, (z, x), fast_mode=fast_mode)
    assert gradcheck(lambda z: ag.sum(ag.abs(z) ** 3), (z,), fast_mode=fast_mode)


@pytest.mark.parametrize("fast_mode", [False, True])
def test_gradgradcheck_passes_on_arraygrad_operations(backend, fast_mode):
    x, y = leaf(rnd(2, 2)), leaf(rnd(2))
    assert gradgradcheck(smooth, (x, y, 0.7), fast_mode=fast_mode)


def test_passes_on_a_correct_custom_function(numpy_backend):
    x = leaf(rnd(4))
    assert gradcheck(Cube.apply, x)
    assert gradgradcheck(Cube.apply, x)


def test_inputs_are_left_as_they_were(backend):
    xs = rnd(3)
    x = leaf(xs)
    gradcheck(lambda x: ag.tanh(x) * x, (x,))
    gradcheck(lambda x: ag.tanh(x) * x, (x,), fast_mode=True)
    assert_array_equal(host(x), xs)
    assert x.requires_grad and x.is_leaf and x.grad is None


def test_gradgradcheck_with_given_grad_outputs(numpy_backend):
    x = leaf(rnd(3))
    v = ag.tensor(rnd(3).tolist(), dtype=F64)  # a constant cotangent
    assert gradgradcheck(lambda x: ag.sin(x) * x, (x,), (v,))


def test_float32_inputs_warn_and_pass_with_looser_tolerances(numpy_backend):
    x = leaf(rnd(3), dtype=ag.float32)
    with pytest.warns(UserWarning, match="Input #0 requires gradient and is not a double"):
        assert gradcheck(ag.sin, (x,), eps=1e-3, atol=1e-2, rtol=1e-2)


# -- failing -----------------------------------------------------------------------------

def test_wrong_backward_names_output_and_input(numpy_backend):
    x = leaf(rnd(3))
    with pytest.raises(GradcheckError, match=MISMATCH.format(o=0, i=1)) as info:
        gradcheck(lambda k, x: WrongCube.apply(x) * k, (2.0, x))
    # The numerical Jacobian is 3x^2 on the diagonal; the analytical one forgot the 3.
    assert "numerical:tensor([[" in str(info.value)
    assert isinstance(info.value, RuntimeError)


def test_wrong_backward_returns_false_without_raising(numpy_backend):
    x = leaf(rnd(3))
    assert gradcheck(WrongCube.apply, (x,), raise_exception=False) is False
    assert gradcheck(WrongCube.apply, (x,), raise_exception=False, fast_mode=True) is False


def test_fast_mode_failure_shows_the_full_jacobians(backend):
    x = leaf(rnd(3))
    with pytest.raises(GradcheckError, match=MISMATCH.format(o=0, i=0)) as info:
        gradcheck(WrongCube.apply, (x,), fast_mode=True)
    assert "fast mode" in str(info.value)
    assert str(info.value).count("tensor([[") == 2


def test_wrong_output_index_among_several(numpy_backend):
    x = leaf(rnd(3))
    with pytest.raises(GradcheckError, match=MISMATCH.format(o=1, i=0)):
        gradcheck(lambda x: (ag.sin(x), WrongCube.apply(x)), (x,))


def test_complex_gradient_without_conjugate_fails(numpy_backend):
    z = ag.tensor((rnd(2) + 1j * rnd(2)).tolist(), dtype=ag.complex128, requires_grad=True)
    with pytest.raises(GradcheckError, match="While considering the real part of complex "
                                             "outputs only, Jacobian mismatch"):
        gradcheck(SquareWithoutConj.apply, (z,))
    assert gradcheck(lambda z: z * z, (z,))


def test_gradgradcheck_catches_a_backward_that_is_not_differentiable(numpy_backend):
    x = leaf(rnd(3))
    assert gradcheck(FrozenCube.apply, (x,))  # the first derivative is right
    with pytest.raises(GradcheckError, match=MISMATCH.format(o=0, i=0)):
        gradgradcheck(FrozenCube.apply, (x,))
    assert gradgradcheck(FrozenCube.apply, (x,), raise_exception=False, fast_mode=True) is False


def test_output_that_lost_its_graph_must_not_move(numpy_backend):
    x = leaf(rnd(3))
    with pytest.raises(GradcheckError, match="Numerical gradient for function expected to be "
                                             "zero: output 0"):
        gradcheck(lambda x: ag.sin(x.detach()), (x,))
    with pytest.raises(GradcheckError, match="expected to be zero"):
        gradcheck(lambda x: ag.sin(x.detach()), (x,), fast_mode=True)
    assert gradcheck(lambda x: ag.ones_like(x.detach()), (x,))


def test_integer_and_boolean_outputs_are_not_differentiated(numpy_backend):
    x = leaf(rnd(3))
    assert gradcheck(lambda x: (ag.sin(x), x > 0, ag.argmax(x)), (x,))
    assert gradcheck(lambda x: (x.detach() > 0, ag.argmax(x)), (x,))


class Noisy(Function):
    """The identity whose backward adds a different small error at each call."""

    calls = 0

    @staticmethod
    def forward(ctx, x):
        return x * 1.0

    @staticmethod
    def backward(ctx, g):
        Noisy.calls += 1
        return g + 1e-9 * Noisy.calls


@pytest.mark.parametrize("fast_mode", [False, True])
def test_nondeterministic_backward_is_reported(numpy_backend, fast_mode):
    x = leaf(rnd(3))
    with pytest.raises(GradcheckError, match="Backward is not reentrant"):
        gradcheck(Noisy.apply, (x,), fast_mode=fast_mode)
    assert gradcheck(Noisy.apply, (x,), nondet_tol=1e-6, fast_mode=fast_mode)


class WrongShape(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return ag.sum(g) * 2


def test_gradient_of_the_wrong_shape(numpy_backend):
    with pytest.raises(GradcheckError, match=r"incorrect size: shape \(\) for input 0 of "
                                             r"shape \(3,\)"):
        gradcheck(WrongShape.apply, (leaf(rnd(3)),))


def test_bad_arguments_are_refused(numpy_backend):
    x = ag.tensor([1.0, 2.0], dtype=F64)
    with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
        gradcheck(ag.sin, (x,))
    with pytest.raises(TypeError, match="must return Tensors, but output 1 is a float"):
        gradcheck(lambda x: (ag.sin(x), 1.0), (leaf([1.0]),))


# -- second derivatives of every function with a non-linear rule --------------------------

NONLINEAR = sorted(name for name, case in CASES.items() if not case.linear)


def _case_args(case, example, cplx):
    args = draws.example(lambda draw, k: case.gen(draw, k, cplx), example, seed=example)
    return make_args(args, _differentiable_inputs(args))


@pytest.mark.parametrize("name", NONLINEAR)
def test_gradgradcheck_every_nonlinear_function(numpy_backend, name):
    case = CASES[name]
    if not case.real:
        pytest.skip(f"{name} takes complex inputs only (see the slow sweep)")
    args = _case_args(case, 0, cplx=False)
    assert gradgradcheck(lambda *a: case.fn(ag, *a), args)


@pytest.mark.slow
@pytest.mark.parametrize("name", NONLINEAR)
def test_gradgradcheck_every_nonlinear_function_wide(numpy_backend, name):
    """Examples 0-4 (edge shapes included), real and complex, both modes."""
    case = CASES[name]
    kinds = [k for k, ok in ((False, case.real), (True, case.complex)) if ok]
    for cplx in kinds:
        for example in range(5):
            args = _case_args(case, example, cplx)
            for fast_mode in (False, True):
                assert gradgradcheck(lambda *a: case.fn(ag, *a), args, fast_mode=fast_mode), \
                    (name, cplx, example, fast_mode)
