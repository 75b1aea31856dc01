"""Backward hooks against PyTorch: each scenario is written once, for a library ``lib``
(arraygrad or torch), and must leave the same log of calls and values on both."""
from __future__ import annotations

import weakref

import numpy as np
import pytest

import arraygrad as ag
from arraygrad.autograd import hooks as hooks_mod

torch = pytest.importorskip("torch")


def vals(g):
    if g is None:
        return None
    if isinstance(g, (tuple, list)):
        return tuple(vals(x) for x in g)
    return np.asarray(g.detach().numpy()).tolist()


def leaf(lib, values):
    return lib.tensor(values, dtype=lib.float64, requires_grad=True)


def same_as_torch(scenario):
    """Run ``scenario(lib, log)`` on arraygrad (current backend) and torch; compare."""
    ours, theirs = [], []
    scenario(ag, ours)
    scenario(torch, theirs)
    assert ours == theirs
    return ours


# -- scenarios ------------------------------------------------------------------------

def test_order_of_all_hook_kinds(backend):
    def scenario(lib, log):
        x = leaf(lib, [1.0, 2.0])
        y = x * 3
        z = (y * y).sum()
        x.register_hook(lambda g: log.append(("x", vals(g))))
        y.register_hook(lambda g: log.append(("y", vals(g))))
        y.grad_fn.register_prehook(lambda go: log.append(("pre", vals(go))))
        y.grad_fn.register_hook(lambda gi, go: log.append(("post", vals(gi), vals(go))))
        x.register_post_accumulate_grad_hook(lambda t: log.append(("acc", vals(t.grad))))
        z.grad_fn.register_prehook(lambda go: log.append(("sum-pre", vals(go))))
        z.backward()
        log.append(("grad", vals(x.grad)))
    log = same_as_torch(scenario)
    assert [entry[0] for entry in log] == ["sum-pre", "y", "pre", "post", "x", "acc", "grad"]


def test_hooks_see_tensors(backend):
    seen = []
    x = leaf(ag, [1.0, 2.0])
    y = x.sin()
    x.register_hook(lambda g: seen.append(type(g)))
    y.register_hook(lambda g: seen.append(type(g)))
    y.grad_fn.register_prehook(lambda go: seen.extend(type(g) for g in go))
    y.grad_fn.register_hook(lambda gi, go: seen.extend(type(g) for g in gi + go))
    x.register_post_accumulate_grad_hook(lambda t: seen.append(type(t)))
    y.sum().backward()
    assert seen == [ag.Tensor] * 6
    assert isinstance(x.grad, ag.Tensor) and x.grad._backend is backend


def test_leaf_hook_replaces_gradient_chained_in_order(backend):
    def scenario(lib, log):
        x = leaf(lib, [1.0, -2.0, 3.0])
        x.register_hook(lambda g: g * 10)
        x.register_hook(lambda g: (log.append(vals(g)), g + 1)[1])
        x.register_hook(lambda g: log.append(vals(g)))  # returns None: keeps g
        (x * x).sum().backward()
        log.append(vals(x.grad))
    assert same_as_torch(scenario)[-1] == [21.0, -39.0, 61.0]


def test_non_leaf_hook_replacement_flows_upstream(backend):
    def scenario(lib, log):
        x = leaf(lib, [0.5, 1.5])
        y = x.exp()
        y.register_hook(lambda g: g * 0 + 1)
        (y * y).sum().backward()
        log.append(vals(x.grad))
    same_as_torch(scenario)


def test_hook_on_tensor_used_twice_sees_the_sum(backend):
    def scenario(lib, log):
        x = leaf(lib, [1.0, 2.0])
        y = x * 2
        y.register_hook(lambda g: log.append(vals(g)))
        (y * 3 + y.sin()).sum().backward()
        log.append(vals(x.grad))
    log = same_as_torch(scenario)
    assert len(log) == 2


def test_prehook_replaces_grad_outputs(backend):
    def scenario(lib, log):
        x = leaf(lib, [1.0, 2.0])
        y = x * x
        y.grad_fn.register_prehook(lambda go: (go[0] * 5,))
        y.grad_fn.register_prehook(lambda go: log.append(vals(go)))
        y.sum().backward()
        log.append(vals(x.grad))
    same_as_torch(scenario)


def test_post_hook_replaces_grad_inputs(backend):
    def scenario(lib, log):
        x = leaf(lib, [1.0, 2.0])
        w = leaf(lib, [3.0, 4.0])
        y = x * w
        y.grad_fn.register_hook(lambda gi, go: (gi[0] * 2, gi[1] * 0 - 1))
        y.grad_fn.register_hook(lambda gi, go: log.append((vals(gi), vals(go))))
        y.sum().backward()
        log.append((vals(x.grad), vals(w.grad)))
    same_as_torch(scenario)


def test_post_hook_sees_none_for_input_without_grad(backend):
    def scenario(lib, log):
        x = leaf(lib, [1.0, 2.0])
        c = lib.tensor([3.0, 4.0], dtype=lib.float64)
        y = c * x
        y.grad_fn.register_hook(lambda gi, go: log.append(vals(gi)))
        y.sum().backward()
    assert same_as_torch(scenario) == [(None, [3.0, 4.0])]


def test_remove_unregisters(backend):
    def scenario(lib, log):
        x = leaf(lib, [1.0, 2.0])
        y = x * 2
        handles = [
            x.register_hook(lambda g: log.append("x") or g * 100),
            y.register_hook(lambda g: log.append("y") or g * 100),
            y.grad_fn.register_prehook(lambda go: log.append("pre")),
            y.grad_fn.register_hook(lambda gi, go: log.append("post")),
            x.register_post_accumulate_grad_hook(lambda t: log.append("acc")),
        ]
        kept = y.register_hook(lambda g: log.append("kept"))
        for h in handles:
            h.remove()
        handles[0].remove()  # twice: harmless
        y.sum().backward(retain_graph=True)
        log.append(vals(x.grad))
        kept.remove()
        y.sum().backward()
        log.append(vals(x.grad))
    assert same_as_torch(scenario) == ["kept", [2.0, 2.0], [4.0, 4.0]]


def test_handle_as_context_manager(backend):
    def scenario(lib, log):
        x = leaf(lib, [1.0])
        with x.register_hook(lambda g: log.append("in")):
            (x * 2).sum().backward()
        (x * 2).sum().backward()
        log.append(vals(x.grad))
    assert same_as_torch(scenario) == ["in", [4.0]]


def test_hooks_persist_across_backward_calls(backend):
    def scenario(lib, log):
        x = leaf(lib, [1.0, 2.0])
        x.register_hook(lambda g: log.append(vals(g)))
        x.register_post_accumulate_grad_hook(lambda t: log.append(vals(t.grad)))
        (x * 2).sum().backward()
        (x * x).sum().backward()
    same_as_torch(scenario)


def test_retain_grad_sees_the_hooked_gradient(backend):
    def scenario(lib, log):
        x = leaf(lib, [1.0, 2.0])
        y = x * 2
        y.retain_grad()
        y.register_hook(lambda g: g * 3)  # registered after retain_grad: still first
        y.sum().backward()
        log.append((vals(y.grad), vals(x.grad)))
    assert same_as_torch(scenario) == [([3.0, 3.0], [6.0, 6.0])]


def test_autograd_grad_runs_tensor_hooks_not_post_accumulate(backend):
    def scenario(lib, log):
        x = leaf(lib, [1.0, 2.0])
        y = x * x
        x.register_hook(lambda g: log.append(("x", vals(g))) or g + 1)
        x.register_post_accumulate_grad_hook(lambda t: log.append("acc"))
        y.register_hook(lambda g: log.append(("y", vals(g))))
        (gx,) = lib.autograd.grad(y.sum(), x)
        log.append(("gx", vals(gx), x.grad))
    same_as_torch(scenario)


def test_backward_inputs_runs_only_the_hooks_of_those(backend):
    def scenario(lib, log):
        x = leaf(lib, [1.0, 2.0])
        w = leaf(lib, [3.0, 4.0])
        x.register_hook(lambda g: log.append("x"))
        w.register_hook(lambda g: log.append("w"))
        w.register_post_accumulate_grad_hook(lambda t: log.append("w-acc"))
        (x * w).sum().backward(inputs=[x])
        log.append((vals(x.grad), w.grad))
    assert same_as_torch(scenario) == ["x", ([3.0, 4.0], None)]


def test_hooks_of_a_custom_function_with_two_outputs(backend):
    def scenario(lib, log):
        class Two(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2, x * 3

            @staticmethod
            def backward(ctx, ga, gb):
                return ga * 2 + gb * 3

        x = leaf(lib, [1.0, 2.0])
        a, b = Two.apply(x)
        b.register_hook(lambda g: log.append(("b", vals(g))) or g * 10)
        a.register_hook(lambda g: log.append(("a", vals(g))))
        a.grad_fn.register_prehook(lambda go: log.append(("pre", vals(go))))
        (a.sum() + (b * b).sum()).backward()
        log.append(vals(x.grad))
    same_as_torch(scenario)


def test_tensor_hook_of_an_unused_output_sees_none(backend):
    def scenario(lib, log):
        class Two(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2, x * 3

            @staticmethod
            def backward(ctx, ga, gb):
                return ga * 2 + gb * 3

        x = leaf(lib, [1.0, 2.0])
        a, b = Two.apply(x)
        b.register_hook(lambda g: log.append(("b", vals(g))))
        a.grad_fn.register_hook(lambda gi, go: log.append(("post", vals(gi), vals(go))))
        a.sum().backward()
        log.append(vals(x.grad))
    assert same_as_torch(scenario)[0] == ("b", None)


def test_create_graph_hooks_keep_the_graph(backend):
    def scenario(lib, log):
        x = leaf(lib, [1.0, 2.0])
        y = x ** 3
        y.register_hook(lambda g: g * x)  # a differentiable replacement
        x.register_hook(lambda g: log.append(g.requires_grad))
        (gx,) = lib.autograd.grad(y.sum(), x, create_graph=True)
        log.append(vals(gx))
        gx.sum().backward()
        log.append(vals(x.grad))
    same_as_torch(scenario)


def test_hook_registered_before_an_in_place_op_sees_the_old_version(backend):
    def scenario(lib, log):
        x = leaf(lib, [1.0, 2.0])
        y = x * 2
        y.register_hook(lambda g: log.append(("old", vals(g))))
        y *= 3
        y.register_hook(lambda g: log.append(("new", vals(g))))
        (y * y).sum().backward()
        log.append(vals(x.grad))
    assert [e[0] for e in same_as_torch(scenario)[:2]] == ["new", "old"]


def test_register_hook_needs_requires_grad(backend):
    for lib in (ag, torch):
        with pytest.raises(RuntimeError):
            lib.tensor([1.0]).register_hook(lambda g: None)


def test_post_accumulate_hook_on_non_leaf_raises(backend):
    for lib in (ag, torch):
        y = leaf(lib, [1.0]) * 2
        with pytest.raises(RuntimeError):
            y.register_post_accumulate_grad_hook(lambda t: None)


def test_hook_returning_wrong_shape_raises(backend):
    for lib in (ag, torch):
        x = leaf(lib, [1.0, 2.0])
        x.register_hook(lambda g: g.sum())
        with pytest.raises(RuntimeError):
            (x * 2).sum().backward()


def test_hook_returning_a_raw_array(backend):
    x = leaf(ag, [1.0, 2.0])
    x.register_hook(lambda g: g.data * 4)
    (x * 2).sum().backward()
    assert vals(x.grad) == [8.0, 8.0]


# -- memory: no reference cycles, nothing kept alive ----------------------------------

def test_non_leaf_hooks_make_no_cycle(backend, no_gc):
    x = leaf(ag, [1.0, 2.0])
    y = x * 2
    z = y.sin()
    y.register_hook(lambda g: g)
    z.grad_fn.register_prehook(lambda go: None)
    z.grad_fn.register_hook(lambda gi, go: None)
    y_ref, node_ref = weakref.ref(y), weakref.ref(z.grad_fn)
    del y, z
    assert y_ref() is None and node_ref() is None


def test_leaf_hooks_are_forgotten_with_the_leaf(backend, no_gc):
    before = len(hooks_mod.LEAF_HOOKS)
    x = leaf(ag, [1.0, 2.0])
    x.register_hook(lambda g: g)
    x.register_post_accumulate_grad_hook(lambda t: None)
    assert len(hooks_mod.LEAF_HOOKS) == before + 1
    ref = weakref.ref(x)
    del x
    assert ref() is None
    assert len(hooks_mod.LEAF_HOOKS) == before


def test_removing_the_last_leaf_hook_empties_the_table(backend):
    before = len(hooks_mod.LEAF_HOOKS)
    x = leaf(ag, [1.0])
    h1 = x.register_hook(lambda g: g)
    h2 = x.register_post_accumulate_grad_hook(lambda t: None)
    h1.remove()
    assert len(hooks_mod.LEAF_HOOKS) == before + 1
    h2.remove()
    assert len(hooks_mod.LEAF_HOOKS) == before


def test_no_hooks_leaves_nodes_bare(backend):
    x = leaf(ag, [1.0])
    y = x * 2
    assert y.grad_fn._hooks is None
