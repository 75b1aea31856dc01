"""Forward mode, ``jvp`` and ``jacfwd``, by the double-VJP trick (arraygrad has no
forward-mode rules).

For ``out = f(x)`` with Jacobian J, the reverse pass ``u -> J^T u`` is linear in the
cotangent ``u``; its own VJP, taken with respect to ``u`` with cotangent ``t``, is
``J t``: the forward derivative along ``t``. So a JVP is two reverse passes: one
through f's graph, recorded (``create_graph=True``) with a placeholder ``u``, and one
through that recorded pass. It works through every operation, because every rule of
arraygrad is itself differentiable, and with complex numbers as well (PyTorch's
convention makes the pass ``u -> J^T u`` real-linear, and its VJP the JVP).

The value of ``u`` matters in one way: rules marked ``zero_safe`` give exactly zero
where their incoming gradient is zero (``where(g == 0, 0, ...)``), which makes the pass
linear only away from the ``u`` for which some incoming gradient vanishes; ``u = 0``
would give a zero JVP through such rules (division, for one). So ``u`` is a fixed
generic placeholder: values spread in [1, 2) by the golden ratio, which no ordinary
function cancels exactly.
"""
from __future__ import annotations

import functools

from .._tensor import Tensor
from ._args import Argnums, check_like, split_aux, substitute, tensor_tuple
from ._jacobian import arrange, from_columns, unit_tensors
from ._level import Level
from ._tree import tensor_leaves, unflatten

_GOLDEN = 0.6180339887498949


def _placeholder(o) -> Tensor:
    """The cotangent ``u`` for the output ``o`` (see the module docstring)."""
    b, ns = o._backend, o._backend.ns
    spread = 1.0 + (ns.arange(float(o.size), device=o.device) * _GOLDEN) % 1.0
    return Tensor._wrap(ns.reshape(ns.astype(spread, o._data.dtype), o.shape), b)


def _transposed(level, outs, what):
    """(placeholder cotangents u, J^T u for each input of the level), recorded."""
    for i, o in enumerate(outs):
        if not o.dtype.is_differentiable:
            raise TypeError(f"{what}: output {i} of f is {o.dtype.name}, which has no "
                            "derivative")
    us = [level.own_leaf(_placeholder(o)) for o in outs]
    return us, level.vjp(outs, level.inputs, us, create_graph=True)


def jvp(f, primals, tangents, *, has_aux=False):
    """``(f(*primals), J @ tangents)`` (plus ``aux`` with ``has_aux``): the value and its
    derivative along ``tangents``, in the structure of f's output. ``primals`` and
    ``tangents`` are tuples of Tensors (or single Tensors) of matching shapes."""
    primals = tensor_tuple(primals, "jvp", "primals")
    tangents = tensor_tuple(tangents, "jvp", "tangents")
    check_like(tangents, primals, "jvp", "tangent", "primal")
    level = Level(primals, "jvp")
    out, aux = split_aux(level.call(f, level.inputs), has_aux, "jvp")
    outs, spec = tensor_leaves(out, "jvp: f's output")
    us, transposed = _transposed(level, outs, "jvp")
    keep = level.keeps(outs, tangents)
    derivatives = level.vjp(transposed, us, tangents, keep)
    result = (level.export(out), unflatten(spec, derivatives))
    return result + (level.export(aux),) if has_aux else result


def jacfwd(f, argnums=0):
    """A function returning the Jacobian of ``f`` with respect to the argument(s)
    ``argnums``, by one forward product (JVP) per element of the input, shaped as
    ``jacrev`` shapes it. The recorded reverse pass is made once and shared by all the
    products."""
    argnums = Argnums(argnums, "jacfwd")

    @functools.wraps(f)
    def jacfwd_f(*args, **kwargs):
        indices = argnums.resolve(len(args))
        level = Level([args[i] for i in indices], "jacfwd")
        out = level.call(f, substitute(args, indices, level.inputs), kwargs)
        outs, spec = tensor_leaves(out, "jacfwd: f's output")
        us, transposed = _transposed(level, outs, "jacfwd")
        keep = level.keeps(outs)
        columns = [[level.vjp([g], us, [e], keep) for e in unit_tensors(x)]
                   for g, x in zip(transposed, level.inputs)]
        blocks = [[from_columns([c[i] for c in cols], o, x)
                   for cols, x in zip(columns, level.inputs)] for i, o in enumerate(outs)]
        return arrange(blocks, spec, argnums)
    return jacfwd_f
