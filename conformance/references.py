"""The reference libraries' derivatives that arraygrad's are compared against: one
implementation of each, used by the conformance suite (check.py) and by the test
suite (tests/gradcheck_utils.py).

* ``torch_vjp`` / ``torch_hvp``: ``torch.autograd``;
* ``jax_vjp``: ``jax.vjp``, turned into PyTorch's (and arraygrad's) convention.

The inputs are NumPy arrays, in the dtype the reference is to compute in, and anything
else (Python scalars, axes, keys), which is passed through as is. Values come back as
NumPy arrays. Both libraries are imported only when asked for, so that the conformance
suite runs where either is missing.

A vector-Jacobian product pulls back the gradient of ``L = Re(sum(conj(v) * y))``, and
the gradient with respect to a complex ``z`` is dL/dRe(z) + i dL/dIm(z).
"""
from __future__ import annotations

import numpy as np


def torch_namespace():
    """``array_api_compat.torch``: the standard's names over PyTorch, for functions
    written as ``fn(xp, *args)``."""
    import array_api_compat.torch as txp
    return txp


def jax_namespace():
    """``jax.numpy``, for functions written as ``fn(xp, *args)``."""
    import jax.numpy as jnp
    return jnp


# -- torch.autograd ----------------------------------------------------------------

def _torch_args(args, wrt):
    """The arguments as torch tensors on torch's default device (those in ``wrt``
    requiring grad); what is not a NumPy array is passed through."""
    import torch
    device = torch.get_default_device()
    return [torch.tensor(np.array(a, order="C"), device=device, requires_grad=i in wrt)
            if isinstance(a, np.ndarray) else a
            for i, a in enumerate(args)]


def _torch_host(t) -> np.ndarray:
    return t.detach().resolve_conj().cpu().numpy()


def torch_vjp(fn, args, wrt, cotangent):
    """``torch.autograd``'s forward value and gradients of <cotangent, fn(*args)> for
    the inputs ``wrt``: ``(value, [gradient per input])``. ``fn`` takes the arguments
    as torch tensors. A gradient that torch leaves undefined, and every gradient of an
    output that does not require grad, is zeros."""
    import torch
    tensors = _torch_args(args, wrt)
    out = fn(*tensors)
    leaves = [tensors[i] for i in wrt]
    if not out.requires_grad:
        grads = [None] * len(leaves)
    else:
        v = torch.tensor(np.asarray(cotangent), dtype=out.dtype, device=out.device)
        grads = torch.autograd.grad(out, leaves, v, allow_unused=True)
    return _torch_host(out), [np.zeros(np.shape(args[i]), np.asarray(args[i]).dtype)
                              if g is None else _torch_host(g)
                              for i, g in zip(wrt, grads)]


def torch_hvp(fn, args, wrt, weights, directions):
    """``torch.autograd``'s Hessian-vector products of L = sum(weights * fn(*args))
    (real): returns (first gradients, H @ directions) for the inputs ``wrt``."""
    import torch
    tensors = _torch_args(args, wrt)
    leaves = [tensors[i] for i in wrt]
    out = fn(*tensors)
    loss = torch.sum(out * torch.tensor(weights))
    grads = torch.autograd.grad(loss, leaves, create_graph=True)
    dot = sum(torch.sum(g * torch.tensor(d)) for g, d in zip(grads, directions))
    hvps = torch.autograd.grad(dot, leaves, allow_unused=True, materialize_grads=True)
    return [_torch_host(g) for g in grads], [_torch_host(h) for h in hvps]


# -- jax.vjp -----------------------------------------------------------------------

def jax_vjp(fn, args, wrt, cotangent):
    """``jax.vjp``'s forward value and gradients of <cotangent, fn(*args)> for the
    inputs ``wrt``, in PyTorch's convention: ``(value, [gradient per input])``. ``fn``
    takes the arguments as JAX arrays. JAX pulls back the holomorphic linearization,
    so for complex values PyTorch's gradient is conj(vjp(conj(v))); for real values they
    agree. An output that is not inexact has zero gradients."""
    import jax
    import jax.numpy as jnp
    values = [jnp.asarray(a) if isinstance(a, np.ndarray) else a for a in args]

    def f(*wrt_values):
        full = list(values)
        for i, value in zip(wrt, wrt_values):
            full[i] = value
        return fn(*full)

    out, pullback = jax.vjp(f, *[values[i] for i in wrt])
    if not jnp.issubdtype(out.dtype, jnp.inexact):
        return np.asarray(out), [np.zeros_like(np.asarray(args[i])) for i in wrt]
    v = jnp.conj(jnp.asarray(cotangent, dtype=out.dtype))
    return np.asarray(out), [np.conj(np.asarray(g)) for g in pullback(v)]
