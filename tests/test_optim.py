"""``arraygrad.optim`` against ``torch.optim``: the same problem, the same trajectory."""
from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import arraygrad as ag

torch = pytest.importorskip("torch")

F64 = ag.float64
RNG = np.random.default_rng(0)
X = RNG.standard_normal((6, 3))
Y = RNG.standard_normal((6, 2))
W0 = RNG.standard_normal((3, 2))
B0 = RNG.standard_normal((2,))


def host(t):
    return np.asarray(t.detach().numpy())


def ag_loss(w, b):
    x = ag.asarray(X, dtype=F64)
    y = ag.asarray(Y, dtype=F64)
    r = ag.tanh(x @ w + b) - y
    return ag.sum(r * r) + 0.1 * ag.sum(w ** 4)


def torch_loss(w, b):
    x = torch.tensor(X, dtype=torch.float64)
    y = torch.tensor(Y, dtype=torch.float64)
    r = torch.tanh(x @ w + b) - y
    return torch.sum(r * r) + 0.1 * torch.sum(w ** 4)


def ag_params():
    return (ag.asarray(W0, dtype=F64, copy=True, requires_grad=True),
            ag.asarray(B0, dtype=F64, copy=True, requires_grad=True))


def torch_params():
    return (torch.tensor(W0, dtype=torch.float64, requires_grad=True),
            torch.tensor(B0, dtype=torch.float64, requires_grad=True))


def run_ag(opt_cls, kwargs, steps, params=None, opt=None):
    w, b = params if params is not None else ag_params()
    opt = opt if opt is not None else opt_cls([w, b], **kwargs)
    trajectory = []
    for _ in range(steps):
        opt.zero_grad()
        ag_loss(w, b).backward()
        opt.step()
        trajectory.append((host(w), host(b)))
    return trajectory


def run_torch(opt_cls, kwargs, steps):
    w, b = torch_params()
    opt = opt_cls([w, b], **kwargs, foreach=False)
    trajectory = []
    for _ in range(steps):
        opt.zero_grad()
        torch_loss(w, b).backward()
        opt.step()
        trajectory.append((w.detach().numpy().copy(), b.detach().numpy().copy()))
    return trajectory


CASES = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.05, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.8, weight_decay=0.1, nesterov=True)),
    ("Adam", dict(lr=0.05)),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6)),
    ("Adam", dict(lr=0.05, weight_decay=0.1)),
    ("Adam", dict(lr=0.05, amsgrad=True)),
    ("Adam", dict(lr=0.05, amsgrad=True, weight_decay=0.1)),
    ("AdamW", dict(lr=0.05)),
    ("AdamW", dict(lr=0.05, weight_decay=0.3, amsgrad=True)),
]


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_trajectory_matches_torch(backend, name, kwargs):
    ours = run_ag(getattr(ag.optim, name), kwargs, steps=8)
    theirs = run_torch(getattr(torch.optim, name), kwargs, steps=8)
    for (w, b), (tw, tb) in zip(ours, theirs):
        np.testing.assert_allclose(w, tw, rtol=0, atol=1e-10)
        np.testing.assert_allclose(b, tb, rtol=0, atol=1e-10)
    assert not np.allclose(ours[-1][0], W0)  # it moved


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW"])
def test_param_groups_with_own_hyperparameters(backend, name):
    w, b = ag_params()
    tw, tb = torch_params()
    groups = lambda p, q: [{"params": [p], "lr": 0.02}, {"params": [q]}]  # noqa: E731
    extra = dict(momentum=0.9) if name == "SGD" else {}
    opt = getattr(ag.optim, name)(groups(w, b), lr=0.1, **extra)
    topt = getattr(torch.optim, name)(groups(tw, tb), lr=0.1, foreach=False, **extra)
    assert [g["lr"] for g in opt.param_groups] == [0.02, 0.1]
    for _ in range(4):
        opt.zero_grad()
        ag_loss(w, b).backward()
        opt.step()
        topt.zero_grad()
        torch_loss(tw, tb).backward()
        topt.step()
    np.testing.assert_allclose(host(w), tw.detach().numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(host(b), tb.detach().numpy(), rtol=0, atol=1e-10)


def test_parameter_without_grad_is_left_alone(backend):
    w, b = ag_params()
    opt = ag.optim.Adam([w, b], lr=0.1)
    ag.sum(w * w).backward()
    opt.step()
    np.testing.assert_array_equal(host(b), B0)
    assert b not in opt.state or not opt.state[b]
    assert not np.allclose(host(w), W0)


def test_zero_grad_to_none(backend):
    w, b = ag_params()
    opt = ag.optim.SGD([w, b], lr=0.1)
    ag_loss(w, b).backward()
    assert w.grad is not None and b.grad is not None
    opt.zero_grad()
    assert w.grad is None and b.grad is None
    opt.zero_grad()  # nothing to reset: fine


def test_zero_grad_to_zeros_keeps_the_grad_tensor(backend):
    w, b = ag_params()
    opt = ag.optim.SGD([w, b], lr=0.1)
    ag_loss(w, b).backward()
    g = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad is g
    np.testing.assert_array_equal(host(w.grad), np.zeros_like(W0))
    np.testing.assert_array_equal(host(b.grad), np.zeros_like(B0))
    ag_loss(w, b).backward()  # accumulates onto the zeros
    tw, tb = torch_params()
    torch_loss(tw, tb).backward()
    np.testing.assert_allclose(host(w.grad), tw.grad.numpy(), rtol=0, atol=1e-12)


def test_zero_grad_detaches_a_create_graph_grad(backend):
    w = ag.asarray([1.0, 2.0], dtype=F64, requires_grad=True)
    ag.sum(w ** 3).backward(create_graph=True)
    assert w.grad.requires_grad
    ag.optim.SGD([w], lr=0.1).zero_grad(set_to_none=False)
    assert not w.grad.requires_grad and w.grad.grad_fn is None
    np.testing.assert_array_equal(host(w.grad), [0.0, 0.0])


@pytest.mark.parametrize("name,kwargs", [
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("Adam", dict(lr=0.05, amsgrad=True)),
    ("AdamW", dict(lr=0.05, weight_decay=0.2)),
])
@pytest.mark.parametrize("transport", ["direct", "deepcopy", "pickle"])
def test_state_dict_round_trip(backend, name, kwargs, transport):
    cls = getattr(ag.optim, name)
    w, b = ag_params()
    opt = cls([w, b], **kwargs)
    run_ag(cls, kwargs, 3, params=(w, b), opt=opt)
    sd = opt.state_dict()
    assert sorted(sd["state"]) == [0, 1]
    assert sd["param_groups"][0]["params"] == [0, 1]
    for s in sd["state"].values():  # host values only: nothing of the backend
        assert all(isinstance(v, (ag.optim.HostArray, int, float)) for v in s.values())
    if transport == "deepcopy":
        sd = copy.deepcopy(sd)
    elif transport == "pickle":
        sd = pickle.loads(pickle.dumps(sd))
    # A fresh optimizer on copies of the parameters, loaded from the state dict,
    # continues exactly as the original does.
    w2 = ag.asarray(host(w), dtype=F64, copy=True, requires_grad=True)
    b2 = ag.asarray(host(b), dtype=F64, copy=True, requires_grad=True)
    opt2 = cls([w2, b2], lr=123.0)
    opt2.load_state_dict(sd)
    assert opt2.param_groups[0]["lr"] == kwargs["lr"]
    assert opt2.param_groups[0]["params"][0] is w2
    for k, v in opt.state[w].items():
        v2 = opt2.state[w2][k]
        if isinstance(v, ag.Tensor):
            assert isinstance(v2, ag.Tensor) and v2._backend is w2._backend
            assert v2.dtype == v.dtype
            np.testing.assert_array_equal(host(v2), host(v))
        else:
            assert v2 == v
    a = run_ag(cls, kwargs, 3, params=(w, b), opt=opt)
    c = run_ag(cls, kwargs, 3, params=(w2, b2), opt=opt2)
    for (x, y), (x2, y2) in zip(a, c):
        np.testing.assert_array_equal(x, x2)
        np.testing.assert_array_equal(y, y2)
    # state_dict(load_state_dict(sd)) gives sd back.
    sd_again = opt2.state_dict()
    assert sd_again["param_groups"] == opt.state_dict()["param_groups"]


def test_state_dict_of_fresh_optimizer_round_trips(backend):
    w, b = ag_params()
    opt = ag.optim.Adam([w, b])
    sd = opt.state_dict()
    assert sd["state"] == {}
    opt.load_state_dict(pickle.loads(pickle.dumps(sd)))
    assert opt.state == {} and opt.param_groups[0]["params"] == [w, b]


def test_load_state_dict_checks_group_sizes(backend):
    w, b = ag_params()
    sd = ag.optim.SGD([w, b], lr=0.1).state_dict()
    with pytest.raises(ValueError):
        ag.optim.SGD([w], lr=0.1).load_state_dict(sd)


def test_step_writes_into_the_parameter_array_on_numpy():
    with ag.use_backend("numpy"):
        for cls, kwargs in [(ag.optim.SGD, dict(lr=0.1, momentum=0.9)),
                            (ag.optim.Adam, dict(lr=0.1)),
                            (ag.optim.AdamW, dict(lr=0.1))]:
            w, b = ag_params()
            before = id(w.data)
            opt = cls([w, b], **kwargs)
            for _ in range(2):
                opt.zero_grad()
                ag_loss(w, b).backward()
                opt.step()
            assert id(w.data) == before, cls
            assert w.is_leaf and w.requires_grad and w.grad_fn is None


def test_step_under_grad_mode_records_nothing(backend):
    w, b = ag_params()
    opt = ag.optim.Adam([w, b], lr=0.1)
    ag_loss(w, b).backward()
    opt.step()
    assert w.is_leaf and w.grad_fn is None and w.requires_grad
    assert ag.is_grad_enabled()


def test_closure_is_called_with_grad_enabled(backend):
    w, b = ag_params()
    opt = ag.optim.SGD([w, b], lr=0.05)

    def closure():
        opt.zero_grad()
        loss = ag_loss(w, b)
        loss.backward()
        return loss

    with ag.no_grad():
        loss = opt.step(closure)
    tw, tb = torch_params()
    np.testing.assert_allclose(float(loss.detach()), float(torch_loss(tw, tb).detach()), atol=1e-12)


def test_bad_arguments():
    w, _ = ag_params()
    with pytest.raises(ValueError):
        ag.optim.SGD([w], lr=-1)
    with pytest.raises(ValueError):
        ag.optim.SGD([w], lr=0.1, nesterov=True)
    with pytest.raises(ValueError):
        ag.optim.Adam([w], betas=(1.0, 0.9))
    with pytest.raises(TypeError):
        ag.optim.SGD(w, lr=0.1)
    with pytest.raises(ValueError):
        ag.optim.SGD([], lr=0.1)
    with pytest.raises(ValueError):
        ag.optim.SGD([w * 2], lr=0.1)
