"""The libraries compared, each behind one adapter that turns a ``Problem`` into a
zero-argument step: forward, backward (and the SGD update when the problem has one),
returning ``(loss, gradients)`` once the device is done.

Three kinds of adapter:

* ``HandWritten``: the problem's hand-derived reference on NumPy or CuPy;
* ``Tape``: libraries that record on tensors that require grad and fill ``.grad`` on
  ``loss.backward()`` (arraygrad on each backend, torch eager, MyGrad);
* ``Functional``: libraries that turn a function into its gradient function (HIPS
  autograd, JAX without jit, as the issue's "JAX eager").

A forward sees the library through an ``Ops`` namespace of the few functions the
workloads use, spelled alike for all: ``sin asin exp log sqrt tanh``, ``sum(x,
axis=None)`` and ``max_const(x, axis)`` (the maximum along an axis, keeping it, as a
constant: the shift of a log-sum-exp). Operators (``+ * @ **``) are the library's own.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np

from . import threads

CPU_LIBRARIES = ("numpy", "arraygrad[numpy]", "arraygrad[torch]", "torch", "mygrad",
                 "autograd", "jax")
GPU_LIBRARIES = ("cupy", "arraygrad[cupy]", "torch-cuda", "arraygrad[torch-cuda]")
HAND_WRITTEN = ("numpy", "cupy")


class Unavailable(Exception):
    """The library cannot run here; the message says why."""


@dataclass
class Native:
    """How NumPy inputs become one array library's arrays, and back."""
    make: Callable         # NumPy array -> a fresh array of the library (a copy)
    to_numpy: Callable     # array of the library -> NumPy array
    sync: Callable = lambda: None  # wait for the device (GPU); the CPU needs nothing


class HandWritten:
    def __init__(self, name: str, xp, native: Native):
        self.name, self.xp, self.native = name, xp, native

    def program(self, problem):
        xp, reference, lr, sync = self.xp, problem.reference, problem.sgd_lr, self.native.sync
        params = [self.native.make(p) for p in problem.params]
        consts = [self.native.make(c) for c in problem.consts]

        def step():
            loss, grads = reference(xp, *params, *consts)
            if lr is not None:
                for p, g in zip(params, grads):
                    p -= lr * g
            sync()
            return loss, grads
        return step

    def to_numpy(self, a):
        return self.native.to_numpy(a)


class Tape:
    def __init__(self, name: str, ops, leaf: Callable, const: Callable, value: Callable,
                 update: Callable, to_numpy: Callable, sync: Callable,
                 grads_accumulate: bool = True):
        self.name, self.ops, self.leaf, self.const, self.value = name, ops, leaf, const, value
        self.update, self._to_numpy, self.sync = update, to_numpy, sync
        self.grads_accumulate = grads_accumulate

    def program(self, problem):
        forward, ops, lr, value, update, sync = (problem.forward, self.ops, problem.sgd_lr,
                                                 self.value, self.update, self.sync)
        params = [self.leaf(p) for p in problem.params]
        consts = [self.const(c) for c in problem.consts]
        clear = self.grads_accumulate

        def step():
            if clear:  # as optimizer.zero_grad(set_to_none=True)
                for p in params:
                    p.grad = None
            loss = forward(ops, *params, *consts)
            loss.backward()
            grads = [p.grad for p in params]
            if lr is not None:
                update(params, grads, lr)
            sync()
            return value(loss), grads
        return step

    def to_numpy(self, a):
        return self._to_numpy(a)


class Functional:
    def __init__(self, name: str, ops, value_and_grad: Callable, native: Native,
                 block: Callable = lambda tree: None):
        self.name, self.ops, self.value_and_grad = name, ops, value_and_grad
        self.native, self.block = native, block

    def program(self, problem):
        forward, ops, lr, block = problem.forward, self.ops, problem.sgd_lr, self.block
        params = [self.native.make(p) for p in problem.params]
        consts = [self.native.make(c) for c in problem.consts]
        value_and_grad = self.value_and_grad(lambda ps: forward(ops, *ps, *consts))

        def step():
            loss, grads = value_and_grad(params)
            if lr is not None:
                params[:] = [p - lr * g for p, g in zip(params, grads)]
            block((loss, grads))
            return loss, grads
        return step

    def to_numpy(self, a):
        return self.native.to_numpy(a)


# -- the array libraries underneath -------------------------------------------------

def _numpy_native() -> Native:
    return Native(make=lambda a: np.array(a, copy=True), to_numpy=np.asarray)


def _torch(device: str):
    try:
        import torch
    except ImportError as exc:
        raise Unavailable(f"torch is not installed ({exc})") from None
    if device == "cuda" and not torch.cuda.is_available():
        raise Unavailable("torch has no CUDA device here")
    threads.limit_torch(torch)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    native = Native(make=lambda a: torch.tensor(a, device=device),
                    to_numpy=lambda t: t.detach().cpu().numpy(), sync=sync)
    return torch, native


def _cupy():
    try:
        import cupy
        cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # not installed, or no CUDA device / driver
        raise Unavailable(f"CuPy cannot run here ({type(exc).__name__}: {exc})") from None
    native = Native(make=cupy.asarray, to_numpy=cupy.asnumpy,
                    sync=cupy.cuda.Device().synchronize)
    return cupy, native


def _natives(backend: str):
    """(module, Native) of an arraygrad backend name as this harness spells it."""
    if backend == "numpy":
        return np, _numpy_native()
    if backend in ("torch", "torch-cuda"):
        return _torch("cuda" if backend == "torch-cuda" else "cpu")
    if backend == "cupy":
        return _cupy()
    raise ValueError(f"no arraygrad backend {backend!r} in the harness")


# -- the adapters --------------------------------------------------------------------

def _sgd_under(no_grad):
    def update(params, grads, lr):
        with no_grad():
            for p, g in zip(params, grads):
                p -= lr * g
    return update


def _hand_written(name: str):
    module, native = _natives(name)
    return HandWritten(name, module, native)


def _arraygrad(backend: str):
    import arraygrad as ag
    _, native = _natives(backend)
    ops = SimpleNamespace(
        sin=ag.sin, asin=ag.asin, exp=ag.exp, log=ag.log, sqrt=ag.sqrt, tanh=ag.tanh,
        sum=ag.sum,
        max_const=lambda z, axis: ag.max(z.detach(), axis=axis, keepdims=True))
    return Tape(f"arraygrad[{backend}]", ops,
                leaf=lambda a: ag.asarray(native.make(a)).requires_grad_(True),
                const=lambda a: ag.asarray(native.make(a)),
                value=lambda loss: loss.detach(), update=_sgd_under(ag.no_grad),
                to_numpy=lambda t: native.to_numpy(t.data), sync=native.sync)


def _torch_eager(name: str):
    torch, native = _torch("cuda" if name == "torch-cuda" else "cpu")
    ops = SimpleNamespace(
        sin=torch.sin, asin=torch.asin, exp=torch.exp, log=torch.log, sqrt=torch.sqrt,
        tanh=torch.tanh, sum=torch.sum,
        max_const=lambda z, axis: torch.amax(z.detach(), dim=axis, keepdim=True))
    return Tape(name, ops, leaf=lambda a: native.make(a).requires_grad_(True),
                const=native.make, value=lambda loss: loss.detach(),
                update=_sgd_under(torch.no_grad), to_numpy=native.to_numpy,
                sync=native.sync)


def _mygrad(_name: str):
    try:
        import mygrad as mg
    except ImportError as exc:
        raise Unavailable(f"mygrad is not installed ({exc})") from None

    def update(params, grads, lr):  # MyGrad's tensors hold their NumPy array in .data
        for p, g in zip(params, grads):
            p.data -= lr * g
    ops = SimpleNamespace(
        sin=mg.sin, asin=mg.arcsin, exp=mg.exp, log=mg.log, sqrt=mg.sqrt, tanh=mg.tanh,
        sum=mg.sum,
        max_const=lambda z, axis: mg.max(z, axis=axis, keepdims=True, constant=True))
    # MyGrad replaces .grad on each backward (it has no setter): nothing to clear.
    return Tape("mygrad", ops, leaf=lambda a: mg.tensor(a, copy=True),
                const=lambda a: np.array(a, copy=True), value=lambda loss: loss.data,
                update=update, to_numpy=np.asarray, sync=lambda: None,
                grads_accumulate=False)


def _hips_autograd(_name: str):
    try:
        import autograd
        import autograd.numpy as anp
        from autograd.tracer import getval
    except ImportError as exc:
        raise Unavailable(f"HIPS autograd is not installed ({exc})") from None
    ops = SimpleNamespace(
        sin=anp.sin, asin=anp.arcsin, exp=anp.exp, log=anp.log, sqrt=anp.sqrt,
        tanh=anp.tanh, sum=anp.sum,
        max_const=lambda z, axis: np.max(getval(z), axis=axis, keepdims=True))
    return Functional("autograd", ops, autograd.value_and_grad, _numpy_native())


def _jax_eager(_name: str):
    try:
        import jax
        import jax.numpy as jnp
    except ImportError as exc:
        raise Unavailable(f"jax is not installed ({exc})") from None
    jax.config.update("jax_enable_x64", True)  # the float64 workloads stay float64
    ops = SimpleNamespace(
        sin=jnp.sin, asin=jnp.asin, exp=jnp.exp, log=jnp.log, sqrt=jnp.sqrt,
        tanh=jnp.tanh, sum=jnp.sum,
        max_const=lambda z, axis: jnp.max(jax.lax.stop_gradient(z), axis=axis,
                                          keepdims=True))
    native = Native(make=jnp.asarray, to_numpy=np.asarray)
    return Functional("jax", ops, jax.value_and_grad, native,
                      block=jax.block_until_ready)


_FACTORIES = {
    "numpy": _hand_written, "cupy": _hand_written,
    "torch": _torch_eager, "torch-cuda": _torch_eager,
    "mygrad": _mygrad, "autograd": _hips_autograd, "jax": _jax_eager,
}


def load(name: str):
    """The adapter of a library name; ``Unavailable`` (with the reason) if it cannot
    run here, ``ValueError`` if the name is unknown."""
    if name.startswith("arraygrad[") and name.endswith("]"):
        backend = name[len("arraygrad["):-1]
        if backend not in ("numpy", "torch", "torch-cuda", "cupy"):
            raise ValueError(f"unknown arraygrad backend in {name!r}; known: numpy, "
                             "torch, torch-cuda, cupy")
        return _arraygrad(backend)
    if name not in _FACTORIES:
        known = ", ".join(CPU_LIBRARIES + GPU_LIBRARIES)
        raise ValueError(f"unknown library {name!r}; known: {known}")
    return _FACTORIES[name](name)
