"""The rest of ``torch.autograd.graph`` (``Node``, ``GradientEdge``/``get_gradient_edge``,
``increment_version``, ``disable_saved_tensors_hooks``, ``save_on_cpu``) and
``autograd.set_multithreading_enabled``, each checked against PyTorch 2.13: most tests
run one scenario with ``torch`` and with ``arraygrad`` as the module and compare."""
from __future__ import annotations

import re
import threading

import numpy as np
import pytest

import arraygrad as ag
from gradcheck_utils import host

torch = pytest.importorskip("torch")

BOTH = pytest.mark.parametrize("T", [torch, ag], ids=["torch", "arraygrad"])


def _values(result):
    """A scenario's result with tensors as nested lists, for comparing across modules."""
    if isinstance(result, (list, tuple)):
        return [_values(r) for r in result]
    if isinstance(result, dict):
        return {k: _values(v) for k, v in result.items()}
    if result is not None and hasattr(result, "shape") and hasattr(result, "dtype"):
        return np.round(host(result.detach()) if isinstance(result, ag.Tensor)
                        else result.detach().numpy(), 10).tolist()
    return result


def same_in_both(scenario):
    assert _values(scenario(ag)) == _values(scenario(torch))


def _error(fn):
    try:
        fn()
    except Exception as error:  # noqa: BLE001: the type and message are compared
        return type(error).__name__, str(error)
    return None


class Pair:
    """A Function with two outputs, for edges with ``output_nr`` 1."""

    @staticmethod
    def make(T):
        class Split(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * 2, x * x

            @staticmethod
            def backward(ctx, ga, gb):
                (x,) = ctx.saved_tensors
                return 2 * ga + 2 * x * gb
        return Split


# -- 1. Node ------------------------------------------------------------------------

def _node_checks(T):
    Node = T.autograd.graph.Node
    x = T.tensor([1.0, 2.0], dtype=T.float64, requires_grad=True)
    a, b = Pair.make(T).apply(x)
    y = (x.exp() * a + b).sum()
    nodes = [y.grad_fn, a.grad_fn, x.exp().grad_fn, y.grad_fn.next_functions[0][0]]
    leaf_node = x.exp().grad_fn.next_functions[0][0]
    return {"nodes": [isinstance(n, Node) for n in nodes],
            "accumulate_grad": [leaf_node.name(), isinstance(leaf_node, Node)],
            "subclass": issubclass(type(y.grad_fn), Node),
            "not_nodes": [isinstance(v, Node) for v in (x, None, 3, (y.grad_fn, 0))],
            "abstract": _error(Node)[0]}


def test_every_grad_fn_and_accumulate_grad_is_a_graph_node():
    same_in_both(_node_checks)


# -- 2. GradientEdge ----------------------------------------------------------------

def _strip_addresses(text: str) -> str:
    return re.sub(r" at 0x[0-9a-f]+", "", text)


@BOTH
def test_gradient_edge_fields_and_repr(T):
    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    edge = T.autograd.graph.get_gradient_edge(y)
    assert edge._fields == ("node", "output_nr", "ownership_token")
    assert edge.node is y.grad_fn and edge.output_nr == 0 and edge.ownership_token is None
    assert _strip_addresses(repr(edge)) == \
        "GradientEdge(node=<MulBackward0 object>, output_nr=0, ownership_token=None)"
    leaf = T.autograd.graph.get_gradient_edge(x)
    assert leaf.node.name() == "torch::autograd::AccumulateGrad" and leaf.output_nr == 0
    assert T.autograd.graph.GradientEdge(y.grad_fn, 0) == (y.grad_fn, 0, None)


def test_no_gradient_edge_for_a_tensor_without_grad():
    def scenario(T):
        return _error(lambda: T.autograd.graph.get_gradient_edge(T.ones(2)))
    same_in_both(scenario)


def _edge_gradients(T):
    """grad() with edges in inputs: the gradients flowing into them, as for tensors."""
    get = T.autograd.graph.get_gradient_edge
    x = T.tensor([0.5, 1.0, 2.0], dtype=T.float64, requires_grad=True)
    b = x * 2
    c = b.exp()
    y = (c * b).sum()
    out = {"mixed": T.autograd.grad(y, [get(b), get(x), b, x], retain_graph=True),
           "single": T.autograd.grad(y, get(c), retain_graph=True),
           # an edge made by hand from next_functions
           "by_hand": T.autograd.grad(y, T.autograd.graph.GradientEdge(
               y.grad_fn.next_functions[0][0], 0), retain_graph=True)}
    a2, b2 = Pair.make(T).apply(x)
    z = (a2 * 3 + b2.sin()).sum()
    edge = get(b2)
    out["output_nr"] = edge.output_nr
    out["second_output"] = T.autograd.grad(z, [edge, get(a2)], retain_graph=True)
    # create_graph: the edge's gradient is itself differentiable
    g, = T.autograd.grad(y, get(b), create_graph=True)
    out["second_order"] = T.autograd.grad(g.sum(), x)
    return out


def test_grad_through_gradient_edges_matches_torch():
    same_in_both(_edge_gradients)


def _edge_backward(T):
    get = T.autograd.graph.get_gradient_edge
    x = T.tensor([0.5, 1.0], dtype=T.float64, requires_grad=True)
    w = T.tensor([2.0, -1.0], dtype=T.float64, requires_grad=True)
    b = x * w
    y = (b * b).sum()
    y.backward(inputs=[get(b)], retain_graph=True)  # nowhere to accumulate into
    nothing = [x.grad, w.grad]
    y.backward(inputs=[get(w)], retain_graph=True)
    T.autograd.backward(y, inputs=get(x))
    return {"nothing": nothing, "x": x.grad, "w": w.grad}


def test_backward_inputs_take_gradient_edges():
    same_in_both(_edge_backward)


def _edge_errors(T):
    get = T.autograd.graph.get_gradient_edge
    x = T.tensor([1.0, 2.0], requires_grad=True)
    b = x * 2
    z = x.sum()
    return [_error(lambda: T.autograd.grad(z, [get(b)], retain_graph=True)),
            T.autograd.grad(z, [get(b)], retain_graph=True, allow_unused=True),
            _error(lambda: T.autograd.grad(z, [get(b)], retain_graph=True,
                                           materialize_grads=True))]


def test_unused_gradient_edges_as_torch():
    same_in_both(_edge_errors)


def test_gradient_edges_on_every_backend(backend):
    get = ag.autograd.graph.get_gradient_edge
    x = ag.asarray([0.5, 1.0, 2.0], dtype=ag.float64)
    x.requires_grad_()
    b = ag.sin(x) * x
    y = ag.sum(b * b)
    got = ag.autograd.grad(y, [get(b), get(x)])
    xt = torch.tensor([0.5, 1.0, 2.0], dtype=torch.float64, requires_grad=True)
    bt = torch.sin(xt) * xt
    want = torch.autograd.grad((bt * bt).sum(), [bt, xt])
    for g, w in zip(got, want):
        np.testing.assert_allclose(host(g), w.numpy(), rtol=1e-12)


# -- 3. increment_version -----------------------------------------------------------

def _versions(T):
    inc = T.autograd.graph.increment_version
    a = T.ones(3, requires_grad=True)
    b, c = a * 2, T.zeros(2)
    seen = [b._version]
    inc(b)
    inc([b, c])
    inc((c for _ in range(2)))
    seen += [b._version, c._version]
    seen.append(_error(lambda: inc(3)))
    seen.append(_error(lambda: inc([b, 3])))
    seen.append(b._version)  # b was counted before the bad element, in both
    c += 1  # an in-place write counts one too
    seen.append(c._version)
    return seen


def test_increment_version_counts_as_torch():
    same_in_both(_versions)


def test_increment_version_after_saving_is_not_checked_by_backward():
    """The one difference: PyTorch's backward refuses a saved tensor whose version moved;
    arraygrad never compares versions (its in-place operations leave saved values
    intact), so backward runs with the saved values."""
    results = {}
    for T in (torch, ag):
        a = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
        b = a * 2
        y = (b * b).sum()
        T.autograd.graph.increment_version(b)
        results[T.__name__] = _error(y.backward), a.grad
    error, grad = results["torch"]
    assert error[0] == "RuntimeError" and "modified by an inplace operation" in error[1]
    assert results["arraygrad"][0] is None
    assert host(results["arraygrad"][1]).tolist() == [8.0, 16.0, 24.0]


# -- 4. disable_saved_tensors_hooks -------------------------------------------------

def _disabled(T):
    graph = T.autograd.graph
    log = []

    def attempt(what, make):
        try:
            with make():
                log.append((what, "entered"))
        except RuntimeError as error:
            log.append((what, str(error)))

    def identity():
        return graph.saved_tensors_hooks(lambda t: t, lambda t: t)

    with graph.disable_saved_tensors_hooks("no hooks here"):
        attempt("hooks", identity)
        attempt("save_on_cpu", graph.save_on_cpu)
        with graph.disable_saved_tensors_hooks("inner"):
            attempt("nested", graph.save_on_cpu)
        attempt("after nested", graph.save_on_cpu)
        graph.saved_tensors_hooks(lambda t: t, lambda t: t)  # making one is allowed
        other = []
        thread = threading.Thread(target=lambda: other.append(_error(
            lambda: identity().__enter__().__exit__(None, None, None)
            if T is ag else identity().__enter__())))
        thread.start()
        thread.join()
        log.append(("other thread", other))
        x = T.tensor([1.0, 2.0], requires_grad=True)
        (x * x).sum().backward()  # no hooks in force: operations save as usual
        log.append(("grad", x.grad))
    attempt("after", identity)
    # packed before the block, unpacked inside it
    x = T.tensor([1.0, 2.0], requires_grad=True)
    with graph.saved_tensors_hooks(lambda t: (log.append("pack"), t)[1],
                                   lambda t: (log.append("unpack"), t)[1]):
        y = (x * x).sum()
        # entering the block with hooks in force raises its own message
        log.append(_error(lambda: graph.disable_saved_tensors_hooks("in force").__enter__()))
    with graph.disable_saved_tensors_hooks("no hooks here"):
        y.backward()
    log.append(x.grad)
    try:
        with graph.disable_saved_tensors_hooks("left by an exception"):
            raise KeyError
    except KeyError:
        pass
    attempt("after exception", graph.save_on_cpu)
    return log


def test_disable_saved_tensors_hooks_as_torch():
    same_in_both(_disabled)


def test_disable_saved_tensors_hooks_stops_checkpoint():
    from arraygrad.utils.checkpoint import checkpoint
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    with ag.autograd.graph.disable_saved_tensors_hooks("no checkpoint"):
        with pytest.raises(RuntimeError, match="^no checkpoint$"):
            checkpoint(ag.exp, x, use_reentrant=False)


# -- 5. save_on_cpu -----------------------------------------------------------------

def _saved_on_cpu(T, x, w):
    with T.autograd.graph.save_on_cpu():
        y = (T.tanh(x @ w) * x.exp()).sum()
    y.backward()
    return x.grad, w.grad


def _leaves(T, **kwargs):
    x = T.asarray([[0.5, -1.0], [2.0, 0.25]], dtype=T.float64, **kwargs)
    w = T.asarray([[0.1, 0.2], [0.3, -0.4]], dtype=T.float64, **kwargs)
    x.requires_grad_()
    w.requires_grad_()
    return x, w


def test_save_on_cpu_gradients_match_torch(backend):
    got = _saved_on_cpu(ag, *_leaves(ag))
    want = _saved_on_cpu(torch, *_leaves(torch))
    for g, w in zip(got, want):
        np.testing.assert_allclose(host(g), w.numpy(), rtol=1e-12)


class Spy:
    """save_on_cpu's hooks, logging what each pack kept."""

    def __init__(self):
        self.hooks = ag.autograd.graph.save_on_cpu()
        self.kept = []
        pack = self.hooks.pack_hook

        def spy(t):
            packed = pack(t)
            self.kept.append(packed)
            return packed
        self.hooks.pack_hook = spy


@pytest.mark.parametrize("name", ["numpy", "torch"])
def test_save_on_cpu_keeps_host_arrays_without_a_copy(name):
    """As PyTorch on a CPU tensor: an array already in host memory is kept as it is."""
    x = ag.asarray([1.0, 2.0], backend=name)
    x.requires_grad_()
    spy = Spy()
    with spy.hooks:
        y = ag.sum(x * x)
    assert [type(saved) for _, _, saved in spy.kept] == [ag.Tensor, ag.Tensor]
    assert all(saved._data is x._data for _, _, saved in spy.kept)
    y.backward()
    assert host(x.grad).tolist() == [2.0, 4.0]


def test_save_on_cpu_round_trips_an_array_of_another_device():
    """array_api_strict's "device1" stands for a device: saved arrays go to host NumPy
    arrays and come back on device1 for backward."""
    strict = pytest.importorskip("array_api_strict")
    device = strict.Device("device1")
    x, w = _leaves(ag, backend="array_api_strict", device=device)
    spy = Spy()
    with spy.hooks:
        y = ag.sum(ag.tanh(x @ w) * ag.exp(x))
    assert spy.kept and all(type(saved) is np.ndarray and dev == device
                            for _, dev, saved in spy.kept)
    y.backward()
    assert x.grad.device == device and w.grad.device == device
    want = _saved_on_cpu(torch, *_leaves(torch))
    for g, t in zip((x.grad, w.grad), want):
        np.testing.assert_allclose(host(g), t.numpy(), rtol=1e-12)


def test_save_on_cpu_signature():
    import inspect
    def params(f):
        return [(p.name, p.default) for p in inspect.signature(f).parameters.values()]
    assert params(ag.autograd.graph.save_on_cpu) == params(torch.autograd.graph.save_on_cpu)
    assert params(ag.autograd.graph.disable_saved_tensors_hooks) == \
        params(torch.autograd.graph.disable_saved_tensors_hooks)
    assert issubclass(ag.autograd.graph.save_on_cpu, ag.autograd.graph.saved_tensors_hooks)


# -- 6. set_multithreading_enabled --------------------------------------------------

def _multithreading(T):
    A = T.autograd
    seen = [A.is_multithreading_enabled()]
    A.set_multithreading_enabled(False)
    seen.append(A.is_multithreading_enabled())
    with A.set_multithreading_enabled(True) as entered:
        seen += [entered, A.is_multithreading_enabled()]
    seen.append(A.is_multithreading_enabled())  # back to False
    other = []
    thread = threading.Thread(target=lambda: other.append(A.is_multithreading_enabled()))
    thread.start()
    thread.join()
    seen.append(other)  # per thread: another thread has the default
    A.set_multithreading_enabled(True)

    @A.set_multithreading_enabled(False)
    def f():
        return A.is_multithreading_enabled()
    seen += [f(), A.is_multithreading_enabled()]  # decorating sets it, as in torch
    A.set_multithreading_enabled(True)
    clone = A.set_multithreading_enabled(False).clone()
    seen += [clone.mode, A.is_multithreading_enabled()]
    A.set_multithreading_enabled(True)
    seen.append(_error(lambda: A.set_multithreading_enabled(1)))
    x = T.tensor([1.0, 2.0], requires_grad=True)
    with A.set_multithreading_enabled(False):
        (x * x).sum().backward()
    seen += [x.grad, A.is_multithreading_enabled()]
    return seen


def test_set_multithreading_enabled_as_torch():
    same_in_both(_multithreading)


def test_the_new_names_are_where_torch_has_them():
    for name in ("Node", "GradientEdge", "get_gradient_edge", "increment_version",
                 "disable_saved_tensors_hooks", "save_on_cpu"):
        assert hasattr(torch.autograd.graph, name) and name in ag.autograd.graph.__all__
    for name in ("set_multithreading_enabled", "is_multithreading_enabled"):
        assert hasattr(torch.autograd, name) and name in ag.autograd.__all__
