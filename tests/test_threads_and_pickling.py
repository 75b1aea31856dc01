"""Issue 12: threads and pickling.

* Backend resolution is thread-safe: tensors that several threads make at the first
  use of a backend share one ``Backend`` and can be combined.
* One ``no_grad()`` / ``enable_grad()`` / ``set_grad_enabled()`` object may be shared by
  threads or asyncio tasks whose blocks overlap, in any order of exits.
* Tensors pickle, copy and deep-copy as PyTorch's do, and so do the optimizers.
"""
from __future__ import annotations

import asyncio
import copy
import os
import pickle
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import arraygrad as ag

# -- backend resolution under threads ----------------------------------------------

RACE = textwrap.dedent("""
    import threading
    import arraygrad as ag
    from arraygrad import backend as B

    assert "numpy" not in B._loaded, "the numpy backend was loaded before the race"
    n = 8
    barrier = threading.Barrier(n)
    ts = [None] * n
    errors = []

    def make(i):
        barrier.wait()
        try:
            ts[i] = ag.asarray([1.0, 2.0, 3.0], backend="numpy")
        except Exception as exc:
            errors.append(repr(exc))

    threads = [threading.Thread(target=make, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    product = ts[0]
    for t in ts[1:]:
        product = product * t
    assert len({id(t._backend) for t in ts}) == 1
    assert product.tolist() == [1.0, 2.0 ** n, 3.0 ** n]
    print("OK")
""")


@pytest.mark.parametrize("attempt", range(3))
def test_threads_share_one_backend_at_first_use(attempt):
    env = dict(os.environ, ARRAYGRAD_BACKEND="numpy")
    done = subprocess.run([sys.executable, "-c", RACE], capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("OK")


def test_get_backend_is_a_lookup_once_loaded():
    from arraygrad.backend import get_backend
    assert get_backend("numpy") is get_backend("numpy")


# -- one grad-mode object shared by threads ------------------------------------------

def _leaf():
    return ag.tensor([1.0, 2.0], dtype=ag.float64, requires_grad=True)


def _start_and_join(threads, timeout=30):
    """Start every thread, then wait for each (at most ``timeout`` seconds apiece)."""
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)


def _overlap_in_threads(ctx, mode_inside, first_out):
    """Thread A and thread B enter ``ctx`` (A first), then exit in the order
    ``first_out`` ("A" or "B"). Returns what each thread saw."""
    x = _leaf()
    entered = {"A": threading.Event(), "B": threading.Event()}
    exited = {"A": threading.Event(), "B": threading.Event()}
    seen: dict = {}
    errors: list = []

    def run(me, other):
        try:
            if me == "B":
                assert entered["A"].wait(10)
            with ctx:
                entered[me].set()
                assert entered[other].wait(10)  # both blocks are open now
                seen[me, "inside"] = ag.is_grad_enabled()
                seen[me, "graph"] = (x * 2).grad_fn is not None
                if me != first_out:
                    assert exited[other].wait(10)
            exited[me].set()
            seen[me, "after"] = ag.is_grad_enabled()
            seen[me, "graph_after"] = (x * 2).grad_fn is not None
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
            for e in (*entered.values(), *exited.values()):
                e.set()

    threads = [threading.Thread(target=run, args=("A", "B")),
               threading.Thread(target=run, args=("B", "A"))]
    _start_and_join(threads)
    assert not errors, errors
    for me in "AB":
        assert seen[me, "inside"] is mode_inside
        assert seen[me, "graph"] is mode_inside
        assert seen[me, "after"] is True
        assert seen[me, "graph_after"] is True


@pytest.mark.parametrize("first_out", ["A", "B"])
def test_shared_no_grad_overlapping_threads(first_out):
    _overlap_in_threads(ag.no_grad(), False, first_out)
    assert ag.is_grad_enabled()


@pytest.mark.parametrize("first_out", ["A", "B"])
def test_shared_set_grad_enabled_overlapping_threads(first_out):
    ctx = ag.set_grad_enabled(False)  # sets the mode here at once, as PyTorch
    try:
        _overlap_in_threads(ctx, False, first_out)
        assert not ag.is_grad_enabled()  # the call's own setting, in this thread only
    finally:
        ag.set_grad_enabled(True)


@pytest.mark.parametrize("first_out", ["A", "B"])
def test_shared_enable_grad_overlapping_threads_under_no_grad(first_out):
    ctx = ag.enable_grad()
    barrier = threading.Barrier(2, timeout=10)
    seen = {}
    errors = []

    def run(me, exit_first):
        try:
            with ag.no_grad():
                with ctx:
                    barrier.wait()  # both inside
                    seen[me, "inside"] = ag.is_grad_enabled()
                    if not exit_first:
                        barrier.wait()
                if exit_first:
                    barrier.wait()
                seen[me, "after"] = ag.is_grad_enabled()
            seen[me, "outside"] = ag.is_grad_enabled()
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=run, args=("A", first_out == "A")),
               threading.Thread(target=run, args=("B", first_out == "B"))]
    _start_and_join(threads)
    assert not errors, errors
    for me in "AB":
        assert seen[me, "inside"] is True
        assert seen[me, "after"] is False
        assert seen[me, "outside"] is True


def test_shared_no_grad_many_threads_interleaving():
    ctx = ag.no_grad()
    n = 8
    barrier = threading.Barrier(n, timeout=10)
    errors = []
    after = []

    def run(i):
        try:
            for _ in range(50):
                with ctx:
                    assert not ag.is_grad_enabled()
                    if i % 2:
                        with ctx:
                            assert not ag.is_grad_enabled()
                    assert not ag.is_grad_enabled()
                assert ag.is_grad_enabled()
            barrier.wait()
            with ctx:
                barrier.wait()  # every thread inside at once
                assert not ag.is_grad_enabled()
            after.append(ag.is_grad_enabled())
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    _start_and_join(threads, timeout=60)
    assert not errors, errors
    assert after == [True] * n
    assert ctx._tokens == []


def test_no_grad_decorator_from_many_threads():
    n = 6
    barrier = threading.Barrier(n, timeout=10)
    x = _leaf()
    results, errors = [], []

    @ag.no_grad()
    def f(t):
        barrier.wait()  # every thread inside the function at once
        mode = ag.is_grad_enabled()
        out = t * 2
        barrier.wait()
        return mode, out

    def run():
        try:
            mode, out = f(x)
            results.append((mode, out.grad_fn is None, ag.is_grad_enabled(),
                            (x * 2).grad_fn is not None))
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=run) for _ in range(n)]
    _start_and_join(threads)
    assert not errors, errors
    assert results == [(False, True, True, True)] * n


# -- one grad-mode object shared by asyncio tasks --------------------------------------

@pytest.mark.parametrize("first_out", ["A", "B"])
@pytest.mark.parametrize("make", [ag.no_grad, lambda: ag.set_grad_enabled(False)],
                         ids=["no_grad", "set_grad_enabled"])
def test_shared_grad_mode_overlapping_tasks(first_out, make):
    seen = {}

    async def main():
        ctx = make()  # set_grad_enabled sets the mode of main's task at once
        entered = {"A": asyncio.Event(), "B": asyncio.Event()}
        exited = {"A": asyncio.Event(), "B": asyncio.Event()}

        async def run(me, other):
            with ctx:
                entered[me].set()
                await entered[other].wait()
                seen[me, "inside"] = ag.is_grad_enabled()
                if me != first_out:
                    await exited[other].wait()
                await asyncio.sleep(0)
            exited[me].set()
            seen[me, "after"] = ag.is_grad_enabled()

        ag.set_grad_enabled(True)  # the tasks start from grad mode on
        await asyncio.gather(run("A", "B"), run("B", "A"))
        seen["main"] = ag.is_grad_enabled()

    asyncio.run(main())
    for me in "AB":
        assert seen[me, "inside"] is False
        assert seen[me, "after"] is True
    assert seen["main"] is True
    assert ag.is_grad_enabled()


def test_set_grad_enabled_block_restores_the_mode_before_the_call():
    with ag.no_grad():
        ctx = ag.set_grad_enabled(True)
        assert ag.is_grad_enabled()
        with ctx:
            with ctx:  # the same object re-entered
                assert ag.is_grad_enabled()
            assert ag.is_grad_enabled()
        assert not ag.is_grad_enabled()
    assert ag.is_grad_enabled()


def test_shared_no_grad_in_generator_closed_out_of_order():
    ctx = ag.no_grad()

    def gen():
        with ctx:
            yield ag.is_grad_enabled()
            yield ag.is_grad_enabled()

    g = gen()
    assert next(g) is False
    with ctx:
        assert next(g) is False
        with pytest.raises(StopIteration):
            next(g)  # the generator's block closes while ours is still open
        assert not ag.is_grad_enabled()
    assert ag.is_grad_enabled()


# -- pickling and copying tensors -------------------------------------------------------

def _leaf_with_grad():
    x = ag.tensor([1.0, -2.0, 3.5], requires_grad=True)
    (x * x).sum().backward()
    return x


def _values(t):
    return t.detach().numpy()


def test_pickle_round_trip(backend):
    x = _leaf_with_grad()
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        y = pickle.loads(pickle.dumps(x, protocol=protocol))
        assert type(y) is ag.Tensor
        assert y._backend is x._backend
        assert y.dtype == x.dtype
        assert y.device == x.device
        assert y.requires_grad is True and y.is_leaf
        assert y.grad is None  # as PyTorch: .grad is not pickled
        assert_array_equal(_values(y), _values(x))
        (y * 3.0).sum().backward()  # a working leaf
        assert_array_equal(y.grad.numpy(), [3.0, 3.0, 3.0])


@pytest.mark.parametrize("dtype", ["float32", "int64", "bool", "complex128"])
def test_pickle_keeps_dtype_and_no_grad(backend, dtype):
    dt = getattr(ag, dtype)
    try:
        x = ag.asarray([1, 0, 1], dtype=dt)
    except TypeError:
        pytest.skip(f"{backend.name} has no {dtype}")
    y = pickle.loads(pickle.dumps(x))
    assert y.dtype == dt and y.requires_grad is False
    assert_array_equal(y.numpy(), x.numpy())


def test_pickle_zero_d_and_a_view(backend):
    x = ag.arange(12.0).reshape((3, 4))
    s = x.sum()
    row = x[1, ...]
    s2, row2 = pickle.loads(pickle.dumps((s, row)))
    assert s2.item() == 66.0 and s2.shape == ()
    assert_array_equal(row2.numpy(), [4.0, 5.0, 6.0, 7.0])
    with ag.no_grad():
        row2[0] = 100.0  # the copy is its own array now, not a view of x
    assert x[1, 0].item() == 4.0


def test_pickle_non_leaf_gives_leaf_that_requires_grad(backend):
    # As PyTorch: the graph is not pickled; the tensor comes back as a leaf.
    x = _leaf_with_grad()
    y = x * 2.0
    z = pickle.loads(pickle.dumps(y))
    assert z.is_leaf and z.requires_grad and z.grad is None
    assert_array_equal(_values(z), _values(y))


def test_pickle_shared_tensor_stays_shared(backend):
    x = _leaf_with_grad()
    a, b = pickle.loads(pickle.dumps([x, x]))
    assert a is b


def test_deepcopy_tensor(backend):
    x = _leaf_with_grad()
    y = copy.deepcopy(x)
    assert y is not x and y.data is not x.data
    assert y._backend is x._backend and y.dtype == x.dtype and y.device == x.device
    assert y.requires_grad and y.is_leaf
    assert y.grad is not None and y.grad is not x.grad
    assert_array_equal(y.grad.numpy(), x.grad.numpy())
    with ag.no_grad():
        y[0] = 42.0
        y.grad[1] = 7.0
        y += 1.0
    assert_array_equal(_values(x), [1.0, -2.0, 3.5])
    assert_array_equal(x.grad.numpy(), [2.0, -4.0, 7.0])
    assert_array_equal(_values(y), [43.0, -1.0, 4.5])


def test_deepcopy_memo_keeps_sharing(backend):
    x = _leaf_with_grad()
    a, b = copy.deepcopy([x, x])
    assert a is b and a is not x


def test_deepcopy_non_leaf_refused_as_torch(backend):
    x = _leaf_with_grad()
    with pytest.raises(RuntimeError, match="graph leaves"):
        copy.deepcopy(x * 2.0)
    copy.deepcopy((x * 2.0).detach())  # fine once detached


def test_copy_tensor(backend):
    # As PyTorch's copy.copy: a new leaf with the same data, requires_grad kept, no grad.
    x = _leaf_with_grad()
    y = copy.copy(x)
    assert y is not x and y.data is x.data
    assert y.requires_grad and y.is_leaf and y.grad is None
    z = copy.copy(x * 2.0)
    assert z.is_leaf and z.requires_grad
    assert_array_equal(_values(z), _values(x) * 2.0)


def test_torch_agrees_on_pickle_and_copy():
    torch = pytest.importorskip("torch")
    t = torch.tensor([1.0, 2.0], requires_grad=True)
    (t * t).sum().backward()
    assert pickle.loads(pickle.dumps(t)).grad is None
    assert copy.deepcopy(t).grad is not None
    assert copy.copy(t).grad is None
    assert pickle.loads(pickle.dumps(t * 2)).is_leaf
    with pytest.raises(RuntimeError, match="graph leaves"):
        copy.deepcopy(t * 2)


# -- optimizers -----------------------------------------------------------------------

def _trained(opt_cls, **kw):
    w = ag.tensor([1.0, -2.0, 0.5], requires_grad=True)
    b = ag.tensor([0.25], requires_grad=True)
    opt = opt_cls([{"params": [w]}, {"params": [b], "lr": 0.05}], **kw)
    for _ in range(2):
        opt.zero_grad()
        ((w * w).sum() + (b * w).sum()).backward()
        opt.step()
    return w, b, opt


OPTIMIZERS = [(ag.optim.SGD, {"lr": 0.1, "momentum": 0.9}),
              (ag.optim.Adam, {"lr": 0.1}),
              (ag.optim.AdamW, {"lr": 0.1, "amsgrad": True})]


@pytest.mark.parametrize("opt_cls,kw", OPTIMIZERS, ids=lambda v: getattr(v, "__name__", ""))
def test_deepcopy_optimizer(backend, opt_cls, kw):
    w, b, opt = _trained(opt_cls, **kw)
    before_w, before_b = _values(w).copy(), _values(b).copy()
    state_before = {k: _values(v).copy() for k, v in opt.state[w].items()
                    if isinstance(v, ag.Tensor)}
    opt2 = copy.deepcopy(opt)
    w2 = opt2.param_groups[0]["params"][0]
    b2 = opt2.param_groups[1]["params"][0]
    assert w2 is not w and b2 is not b
    # The copy's state is keyed by the copy's parameters, and is its own.
    assert set(map(id, opt2.state)) == {id(w2), id(b2)}
    assert opt2.param_groups[1]["lr"] == 0.05
    for k, v in opt2.state[w2].items():
        if isinstance(v, ag.Tensor):
            assert v is not opt.state[w][k]
            assert_array_equal(_values(v), state_before[k])
    assert w2.grad is not None and w2.grad is not w.grad
    opt2.step()
    opt2.step()
    assert_array_equal(_values(w), before_w)
    assert_array_equal(_values(b), before_b)
    for k, v in opt.state[w].items():
        if isinstance(v, ag.Tensor):
            assert_array_equal(_values(v), state_before[k])
    assert not np.array_equal(_values(w2), before_w)
    # The original and the copy continue alike from the same point.
    opt.step()
    opt.step()
    np.testing.assert_allclose(_values(w), _values(w2), rtol=1e-6)


@pytest.mark.parametrize("opt_cls,kw", OPTIMIZERS, ids=lambda v: getattr(v, "__name__", ""))
def test_pickle_optimizer_and_state_dict(backend, opt_cls, kw):
    w, b, opt = _trained(opt_cls, **kw)
    opt2 = pickle.loads(pickle.dumps(opt))
    w2 = opt2.param_groups[0]["params"][0]
    assert set(map(id, opt2.state)) == {id(w2), id(opt2.param_groups[1]["params"][0])}
    assert_array_equal(_values(w2), _values(w))

    sd = pickle.loads(pickle.dumps(opt.state_dict()))
    w3 = ag.tensor(w, requires_grad=True)
    b3 = ag.tensor(b, requires_grad=True)
    opt3 = opt_cls([{"params": [w3]}, {"params": [b3], "lr": 0.05}], **kw)
    opt3.load_state_dict(sd)
    for p, q in ((w, w3), (b, b3)):
        q.grad = ag.asarray(p.grad.detach(), copy=True)
    opt.step()
    opt3.step()
    np.testing.assert_allclose(_values(w3), _values(w), rtol=1e-6)


def test_optimizer_required_sentinel_survives_copy_and_pickle():
    from arraygrad.optim import required
    assert copy.deepcopy(required) is required
    assert copy.copy(required) is required
    assert pickle.loads(pickle.dumps(required)) is required


def test_backend_object_pickles_and_copies_as_itself(backend):
    assert pickle.loads(pickle.dumps(backend)) is backend
    assert copy.deepcopy(backend) is backend
    assert copy.copy(backend) is backend
    assert copy.deepcopy({"b": backend, "t": ag.asarray([1.0])})["b"] is backend


class _Tagged(ag.Tensor):
    """A subclass with attributes of its own (it has a __dict__)."""


def test_subclass_attributes_survive_pickle_and_copies(backend):
    x = _Tagged([1.0, 2.0], requires_grad=True)
    x.tag = {"name": "w"}
    for y in (pickle.loads(pickle.dumps(x)), copy.deepcopy(x), copy.copy(x)):
        assert type(y) is _Tagged and y.tag == {"name": "w"} and y.requires_grad
    assert copy.deepcopy(x).tag is not x.tag
    assert copy.copy(x).tag is x.tag


# -- use_backend under threads --------------------------------------------------------

def test_use_backend_blocks_overlapping_in_threads():
    pytest.importorskip("array_api_strict")
    barrier = threading.Barrier(2, timeout=10)
    seen, errors = {}, []

    def run(name):
        try:
            with ag.use_backend(name):
                barrier.wait()  # both blocks open
                seen[name] = ag.asarray([1.0])._backend.name
                barrier.wait()
            seen[name, "after"] = ag.current_backend().name
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)
            barrier.abort()

    names = ["numpy", "array_api_strict"]
    threads = [threading.Thread(target=run, args=(n,)) for n in names]
    _start_and_join(threads)
    assert not errors, errors
    default = ag.current_backend().name
    for n in names:
        assert seen[n] == n
        assert seen[n, "after"] == default


@pytest.mark.parametrize("first_out", ["A", "B"])
def test_shared_saved_tensors_hooks_overlapping_threads(first_out):
    """One saved_tensors_hooks object entered by two threads whose blocks overlap: each
    thread packs inside its block and not after it, whichever exits first."""
    packed = {"A": 0, "B": 0}
    hooks = ag.autograd.graph.saved_tensors_hooks(
        lambda t: (packed.__setitem__(threading.current_thread().name,
                                      packed[threading.current_thread().name] + 1), t)[1],
        lambda t: t)
    entered = {"A": threading.Event(), "B": threading.Event()}
    exited = {"A": threading.Event(), "B": threading.Event()}
    errors: list = []

    def run(me, other):
        try:
            x = ag.asarray([1.0, 2.0], requires_grad=True)
            if me == "B":
                assert entered["A"].wait(10)
            with hooks:
                entered[me].set()
                assert entered[other].wait(10)
                (x * x).sum()
                if me != first_out:
                    assert exited[other].wait(10)
            exited[me].set()
            inside = packed[me]
            (x * x).sum()
            assert packed[me] == inside == 2  # x saved twice inside, nothing after
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
            for e in (*entered.values(), *exited.values()):
                e.set()

    threads = [threading.Thread(target=run, args=("A", "B"), name="A"),
               threading.Thread(target=run, args=("B", "A"), name="B")]
    _start_and_join(threads)
    assert not errors, errors
