"""``arraygrad.autograd.functional`` against ``torch.autograd.functional``: the same
results, in the same structure (Tensor, tuple, tuple of tuples; lists where PyTorch's
forward mode gives them), the same ``create_graph`` behaviour and the same errors, on
every backend."""
from __future__ import annotations

import re

import pytest

import arraygrad as ag
import arraygrad.autograd_functional as AF
from pytorch_programs.compare import assert_same, numbers

torch = pytest.importorskip("torch")
import torch.autograd.functional as TF  # noqa: E402

X = [[0.5, 1.0], [1.5, -0.3]]
Y = [0.2, -0.7]


def _both(case):
    """``case(module, functional, x, y)`` run on PyTorch and on arraygrad, float64."""
    results = []
    for module, functional in ((torch, TF), (ag, AF)):
        x = module.tensor(X, dtype=module.float64)
        y = module.tensor(Y, dtype=module.float64)
        results.append(numbers(case(module, functional, x, y)))
    return results


CASES = {
    "jacobian": lambda m, F, x, y: F.jacobian(lambda a: a.exp() * a.sum(), x),
    "jacobian_two_in_two_out": lambda m, F, x, y: F.jacobian(
        lambda a, b: (a * b, (a ** 2).sum() + b), (x, y)),
    "jacobian_tuple_in": lambda m, F, x, y: F.jacobian(lambda a, b: a.sin() @ b, (x, y)),
    "jacobian_tuple_out": lambda m, F, x, y: F.jacobian(lambda a: (a, a.cos()), x),
    "jacobian_unused_input": lambda m, F, x, y: F.jacobian(lambda a, b: a * 2, (x, y)),
    "jacobian_vectorize": lambda m, F, x, y: F.jacobian(
        lambda a, b: (a * b, (a ** 2).sum() + b), (x, y), vectorize=True),
    "jacobian_forward": lambda m, F, x, y: F.jacobian(
        lambda a, b: (a * b, (a ** 2).sum() + b), (x, y), vectorize=True,
        strategy="forward-mode"),
    "jacobian_forward_single": lambda m, F, x, y: F.jacobian(
        lambda a: a.exp(), y, vectorize=True, strategy="forward-mode"),
    "hessian": lambda m, F, x, y: F.hessian(lambda a: (a.sin() * a).sum(), x),
    "hessian_pair": lambda m, F, x, y: F.hessian(
        lambda a, b: (a.exp() @ b).sum() * b.sum(), (x, y)),
    "hessian_forward": lambda m, F, x, y: F.hessian(
        lambda a, b: (a.exp() @ b).sum() * b.sum(), (x, y), vectorize=True,
        outer_jacobian_strategy="forward-mode"),
    "hessian_linear": lambda m, F, x, y: F.hessian(lambda a: (a * 3).sum(), x),
    "vjp": lambda m, F, x, y: F.vjp(lambda a: a.exp().sum(dim=1), x, y),
    "vjp_pair": lambda m, F, x, y: F.vjp(lambda a, b: 2 * a + 3 * b, (x, y), x),
    "vjp_scalar_no_v": lambda m, F, x, y: F.vjp(lambda a: (a * a).sum(), x),
    "jvp": lambda m, F, x, y: F.jvp(lambda a: a.exp().sum(dim=1), x, x),
    "jvp_pair": lambda m, F, x, y: F.jvp(lambda a, b: (a / b, a * b), (x, y), (x, y)),
    "jvp_no_v": lambda m, F, x, y: F.jvp(lambda a: a * m.ones(3, dtype=m.float64),
                                         m.tensor(2.0, dtype=m.float64)),
    "vhp": lambda m, F, x, y: F.vhp(lambda a: (a ** 3).sum(), x, x),
    "hvp": lambda m, F, x, y: F.hvp(lambda a, b: (a ** 3).sum() * b.sum() / b.prod(),
                                    (x, y), (x, y)),
    "hvp_division": lambda m, F, x, y: F.hvp(lambda a, b: (a / b[0]).sum(), (x, y), (x, y)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_same_results_as_pytorch(backend, name):
    want, got = _both(CASES[name])
    assert_same(got, want)


def test_create_graph_keeps_results_differentiable(backend):
    def case(module, F, x, y):
        y = y.detach().requires_grad_(True)
        out, v = F.vjp(lambda a: (a ** 3).sum(), y, create_graph=True)
        v.sum().backward()
        jac = F.jacobian(lambda a: a ** 3, y, create_graph=True)
        plain = F.jacobian(lambda a: a ** 3, y)
        return (out, v, y.grad, [out.requires_grad, v.requires_grad, jac.requires_grad,
                                 plain.requires_grad])
    want, got = _both(case)
    assert_same(got, want)


def test_caller_grad_mode_is_kept(backend):
    """The function runs with grad mode on whatever the caller's mode; the results
    then carry no graph."""
    def case(module, F, x, y):
        with module.no_grad():
            jac = F.jacobian(lambda a: a.sin(), y)
            _, h = F.hvp(lambda a: (a ** 4).sum(), y, y)
            return jac, h, module.is_grad_enabled(), jac.requires_grad
    want, got = _both(case)
    assert_same(got, want)


ERRORS = {
    "strict_unused_input": lambda m, F, x, y: F.jacobian(lambda a, b: a * 2, (x, y),
                                                         strict=True),
    "v_required": lambda m, F, x, y: F.vjp(lambda a: a * 2, x),
    "jvp_v_required": lambda m, F, x, y: F.jvp(lambda a: a * 2, x),
    "list_inputs": lambda m, F, x, y: F.jvp(lambda a: a * 2, [x]),
    "tuple_value_type": lambda m, F, x, y: F.vjp(lambda a, b: a, (x, 2.0), x),
    "v_length": lambda m, F, x, y: F.vjp(lambda a: a * 2, x, (x, x)),
    "v_tuple_length": lambda m, F, x, y: F.vjp(lambda a, b: (a, b), (x, y), (x,)),
    "v_size": lambda m, F, x, y: F.vjp(lambda a: a * 2, y, m.ones(3, dtype=m.float64)),
    "v_entry_size": lambda m, F, x, y: F.vjp(lambda a, b: (a, b), (x, y), (x, x)),
    "hessian_not_scalar": lambda m, F, x, y: F.hessian(lambda a: a * 2, x),
    "hessian_tuple": lambda m, F, x, y: F.hessian(lambda a: (a.sum(), a.sum()), x),
    "hessian_strict_linear": lambda m, F, x, y: F.hessian(lambda a: a.sum() * 2, x,
                                                          strict=True),
    "strict_constant_output": lambda m, F, x, y: F.jacobian(lambda a: y, x, strict=True),
    "strict_vjp_unused": lambda m, F, x, y: F.vjp(lambda a, b: a * 2, (x, y), x,
                                                  strict=True),
    "strict_create_graph": lambda m, F, x, y: F.vjp(lambda a: a * 2, y, y, strict=True,
                                                    create_graph=True),
    "forward_needs_vectorize": lambda m, F, x, y: F.jacobian(lambda a: a, x,
                                                             strategy="forward-mode"),
    "forward_strict": lambda m, F, x, y: F.jacobian(lambda a: a, x, strict=True,
                                                    strategy="forward-mode"),
    "forward_create_graph": lambda m, F, x, y: F.jacobian(
        lambda a: a, x, create_graph=True, strategy="forward-mode"),
    "strategy": lambda m, F, x, y: F.jacobian(lambda a: a, x, strategy="sideways"),
    "vectorize_strict": lambda m, F, x, y: F.jacobian(lambda a: a * a, x, strict=True,
                                                      vectorize=True),
    "vhp_not_scalar": lambda m, F, x, y: F.vhp(lambda a: a, y, y),
    "hvp_strict_linear": lambda m, F, x, y: F.hvp(lambda a: (a * 2).sum(), y, y,
                                                  strict=True),
}


SIZE = re.compile(r"torch\.Size\(\[([0-9, ]*)\]\)")


def _as_tuple(match) -> str:
    """``torch.Size([2, 2])`` as arraygrad prints a shape: ``(2, 2)``."""
    return repr(tuple(int(n) for n in match.group(1).split(",") if n.strip()))


@pytest.mark.parametrize("name", list(ERRORS))
def test_same_errors_as_pytorch(numpy_backend, name):
    """PyTorch's exception types and messages (sizes printed as tuples here)."""
    caught = []
    for module, F in ((torch, TF), (ag, AF)):
        x = module.tensor(X, dtype=module.float64)
        y = module.tensor(Y, dtype=module.float64)
        with pytest.raises(Exception) as info:
            ERRORS[name](module, F, x, y)
        caught.append((type(info.value).__name__, SIZE.sub(_as_tuple, str(info.value))))
    assert caught[1] == caught[0]


def test_importable_as_autograd_functional():
    """Both spellings reach it."""
    from arraygrad.autograd.functional import jacobian
    assert jacobian is AF.jacobian is ag.autograd.functional.jacobian
