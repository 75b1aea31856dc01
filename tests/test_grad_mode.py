"""Grad mode: ``no_grad``, ``enable_grad`` and ``set_grad_enabled`` as context managers
and decorators (functions, generators, coroutines), nested, per thread and per
asyncio task."""
from __future__ import annotations

import asyncio
import contextvars
import functools
import threading

import numpy as np
import pytest
from numpy.testing import assert_allclose

import arraygrad as ag


def leaf(values):
    return ag.tensor(values, dtype=ag.float64, requires_grad=True)


@pytest.fixture(autouse=True)
def grad_mode_is_restored():
    assert ag.is_grad_enabled()
    yield
    left_on = ag.is_grad_enabled()
    if not left_on:  # do not let one failure turn recording off for later tests
        ag.set_grad_enabled(True)
    assert left_on, "a test left grad mode off"


def isolated(fn):
    """Run ``fn`` in a copy of the current context, so that a grad mode it leaks
    cannot reach the other tests."""
    @functools.wraps(fn)
    def run(*args, **kwargs):
        return contextvars.copy_context().run(fn, *args, **kwargs)
    return run


def test_default_is_enabled():
    assert ag.is_grad_enabled() is True


def test_no_grad_context_manager(backend):
    x = leaf([1.0, 2.0])
    with ag.no_grad():
        assert not ag.is_grad_enabled()
        y = x * 2
        z = (x.exp() + x).sum()
    assert ag.is_grad_enabled()
    for t in (y, z):
        assert t.requires_grad is False
        assert t.grad_fn is None
        assert t.is_leaf
    assert_allclose(y.numpy(), [2.0, 4.0])
    w = x * 2
    assert w.requires_grad and w.grad_fn is not None


def test_no_grad_result_cannot_backward(backend):
    x = leaf([1.0, 2.0])
    with ag.no_grad():
        y = (x * x).sum()
    with pytest.raises(RuntimeError):
        y.backward()


def test_no_grad_restored_after_exception():
    with pytest.raises(KeyError):
        with ag.no_grad():
            raise KeyError("boom")
    assert ag.is_grad_enabled()


def test_enable_grad_inside_no_grad(backend):
    x = leaf([1.0, 2.0])
    with ag.no_grad():
        with ag.enable_grad():
            assert ag.is_grad_enabled()
            y = (x * x).sum()
        assert not ag.is_grad_enabled()
        z = x * 3
    assert y.grad_fn is not None and y.requires_grad
    assert z.grad_fn is None
    y.backward()
    assert_allclose(x.grad.numpy(), [2.0, 4.0])


def test_nesting_deeply():
    with ag.no_grad():
        assert not ag.is_grad_enabled()
        with ag.no_grad():
            assert not ag.is_grad_enabled()
            with ag.enable_grad():
                assert ag.is_grad_enabled()
                with ag.set_grad_enabled(False):
                    assert not ag.is_grad_enabled()
                assert ag.is_grad_enabled()
            assert not ag.is_grad_enabled()
        assert not ag.is_grad_enabled()
    assert ag.is_grad_enabled()


def test_same_no_grad_object_reentered():
    ctx = ag.no_grad()
    with ctx:
        with ag.enable_grad():
            with ctx:
                assert not ag.is_grad_enabled()
            assert ag.is_grad_enabled()
        assert not ag.is_grad_enabled()
    assert ag.is_grad_enabled()


def test_no_grad_decorator_on_function(backend):
    x = leaf([1.0, 2.0])

    @ag.no_grad()
    def f(t):
        assert not ag.is_grad_enabled()
        return t * 2

    y = f(x)
    assert ag.is_grad_enabled()
    assert y.grad_fn is None and not y.requires_grad
    assert f.__name__ == "f"


def test_no_grad_decorator_restores_after_exception():
    @ag.no_grad()
    def f():
        raise ValueError("x")

    with pytest.raises(ValueError):
        f()
    assert ag.is_grad_enabled()


def test_enable_grad_decorator_under_no_grad(backend):
    x = leaf([3.0])

    @ag.enable_grad()
    def f(t):
        return t * t

    with ag.no_grad():
        y = f(x)
        assert not ag.is_grad_enabled()
    assert y.grad_fn is not None
    y.sum().backward()
    assert_allclose(x.grad.numpy(), [6.0])


@isolated
def test_no_grad_decorator_on_generator(backend):
    x = leaf([1.0, 2.0])

    @ag.no_grad()
    def gen():
        for k in range(3):
            assert not ag.is_grad_enabled()
            yield x * k

    outs = list(gen())
    assert ag.is_grad_enabled()
    assert all(o.grad_fn is None and not o.requires_grad for o in outs)
    assert_allclose(outs[2].numpy(), [2.0, 4.0])


@isolated
def test_generator_mode_does_not_leak_to_caller_between_yields():
    # PyTorch runs only the generator's own steps under the mode: while it is
    # suspended, the caller's mode is in force.
    seen_inside = []

    @ag.no_grad()
    def gen():
        for _ in range(3):
            seen_inside.append(ag.is_grad_enabled())
            yield

    g = gen()
    try:
        next(g)
        assert ag.is_grad_enabled(), "no_grad leaked out of a suspended generator"
        next(g)
        assert ag.is_grad_enabled()
        with ag.no_grad():
            next(g)  # the caller's mode does not change the generator's
        with pytest.raises(StopIteration):
            next(g)
    finally:
        g.close()  # in this context, so a failure above leaves nothing behind
    assert seen_inside == [False, False, False]
    assert ag.is_grad_enabled()


@isolated
def test_enable_grad_generator_under_caller_no_grad():
    @ag.enable_grad()
    def gen():
        yield ag.is_grad_enabled()
        yield ag.is_grad_enabled()

    g = gen()
    try:
        with ag.no_grad():
            first = next(g)
            assert not ag.is_grad_enabled(), "enable_grad leaked out of a suspended generator"
            second = next(g)
            assert not ag.is_grad_enabled()
    finally:
        g.close()
    assert first is True and second is True


@isolated
def test_generator_send_and_return_value():
    @ag.no_grad()
    def gen():
        got = yield 1
        got2 = yield got * 10
        return got2

    g = gen()
    assert next(g) == 1
    assert g.send(4) == 40
    with pytest.raises(StopIteration) as info:
        g.send("done")
    assert info.value.value == "done"
    assert ag.is_grad_enabled()


def test_no_grad_decorator_on_coroutine(backend):
    x = leaf([1.0, 2.0])

    @ag.no_grad()
    async def f():
        await asyncio.sleep(0)
        assert not ag.is_grad_enabled()
        return x * 2

    assert asyncio.iscoroutinefunction(f)
    y = asyncio.run(f())
    assert y.grad_fn is None and not y.requires_grad
    assert ag.is_grad_enabled()


def test_enable_grad_decorator_on_coroutine(backend):
    x = leaf([1.0, 2.0])

    @ag.enable_grad()
    async def f():
        await asyncio.sleep(0)
        return x * 2

    async def main():
        with ag.no_grad():
            return await f()

    y = asyncio.run(main())
    assert y.grad_fn is not None


def test_set_grad_enabled_as_call():
    ag.set_grad_enabled(False)
    try:
        assert not ag.is_grad_enabled()
        x = leaf([1.0])
        assert (x * 2).grad_fn is None
    finally:
        ag.set_grad_enabled(True)
    assert ag.is_grad_enabled()
    assert (leaf([1.0]) * 2).grad_fn is not None


def test_set_grad_enabled_as_context_manager(backend):
    x = leaf([1.0])
    with ag.set_grad_enabled(False):
        assert not ag.is_grad_enabled()
        y = x * 2
        with ag.set_grad_enabled(True):
            z = x * 2
            assert ag.is_grad_enabled()
        assert not ag.is_grad_enabled()
    assert ag.is_grad_enabled()
    assert y.grad_fn is None and z.grad_fn is not None


def test_set_grad_enabled_context_under_no_grad_restores_no_grad():
    with ag.no_grad():
        with ag.set_grad_enabled(True):
            assert ag.is_grad_enabled()
        assert not ag.is_grad_enabled()
    assert ag.is_grad_enabled()


def test_set_grad_enabled_as_decorator():
    @ag.set_grad_enabled(False)
    def f():
        return ag.is_grad_enabled()

    assert ag.is_grad_enabled()  # decorating changes nothing
    assert f() is False
    assert ag.is_grad_enabled()


def test_set_grad_enabled_rejects_non_bool():
    with pytest.raises(TypeError):
        ag.set_grad_enabled("no")
    assert ag.is_grad_enabled()


def test_grad_mode_is_per_thread(backend):
    x = leaf([1.0, 2.0])
    barrier = threading.Barrier(2, timeout=10)
    results = {}
    errors = []

    def in_no_grad():
        try:
            with ag.no_grad():
                barrier.wait()  # 1: both threads are inside their blocks
                results["no_grad_mode"] = ag.is_grad_enabled()
                results["no_grad_out"] = x * 2
                barrier.wait()  # 2
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
            barrier.abort()

    def recording():
        try:
            barrier.wait()  # 1: the other thread is inside no_grad now
            results["mode"] = ag.is_grad_enabled()
            results["out"] = x * 2
            barrier.wait()  # 2
        except Exception as exc:  # pragma: no cover
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=in_no_grad), threading.Thread(target=recording)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert not errors
    assert results["no_grad_mode"] is False
    assert results["mode"] is True
    assert results["no_grad_out"].grad_fn is None
    assert results["out"].grad_fn is not None
    assert ag.is_grad_enabled()


def test_set_grad_enabled_call_in_thread_does_not_affect_main():
    barrier = threading.Barrier(2, timeout=10)
    seen = {}

    def worker():
        ag.set_grad_enabled(False)
        seen["worker"] = ag.is_grad_enabled()
        barrier.wait()
        barrier.wait()

    t = threading.Thread(target=worker)
    t.start()
    barrier.wait()
    seen["main"] = ag.is_grad_enabled()
    barrier.wait()
    t.join(20)
    assert seen == {"worker": False, "main": True}


def test_grad_mode_is_per_asyncio_task(backend):
    x = leaf([1.0, 2.0])
    log = []

    async def quiet():
        with ag.no_grad():
            for i in range(3):
                log.append(("quiet", i, ag.is_grad_enabled()))
                out = x * 2
                assert out.grad_fn is None
                await asyncio.sleep(0)
        return x * 2

    async def loud():
        for i in range(3):
            log.append(("loud", i, ag.is_grad_enabled()))
            out = x * 2
            assert out.grad_fn is not None
            await asyncio.sleep(0)
        return x * 2

    async def main():
        return await asyncio.gather(quiet(), loud())

    a, b = asyncio.run(main())
    # The two tasks really interleaved.
    names = [entry[0] for entry in log]
    assert names[:2] in (["quiet", "loud"], ["loud", "quiet"])
    assert all(mode is False for name, _, mode in log if name == "quiet")
    assert all(mode is True for name, _, mode in log if name == "loud")
    assert a.grad_fn is not None and b.grad_fn is not None


def test_decorated_coroutines_interleave_per_task():
    log = []

    @ag.no_grad()
    async def quiet():
        for _ in range(3):
            log.append(("quiet", ag.is_grad_enabled()))
            await asyncio.sleep(0)

    @ag.enable_grad()
    async def loud():
        for _ in range(3):
            log.append(("loud", ag.is_grad_enabled()))
            await asyncio.sleep(0)

    async def main():
        await asyncio.gather(quiet(), loud())

    asyncio.run(main())
    assert [n for n, _ in log][:2] == ["quiet", "loud"]
    assert all(m is False for n, m in log if n == "quiet")
    assert all(m is True for n, m in log if n == "loud")


def test_in_place_and_grad_mode_interplay(backend):
    # Under no_grad, results of operations with a leaf never require grad.
    x = leaf([1.0, 2.0])
    with ag.no_grad():
        y = x + 1
        assert not y.requires_grad
    assert x.requires_grad and x.is_leaf
    assert_allclose(np.asarray(y.numpy()), [2.0, 3.0])
