"""Reverse mode: ``vjp``, ``grad``, ``value_and_grad`` and ``jacrev`` (``jacobian``)."""
from __future__ import annotations

import functools

from ..ops import ones_like
from ._args import Argnums, check_like, scalar_output, split_aux, substitute
from ._jacobian import arrange, from_rows, unit_tensors
from ._level import Level
from ._tree import tensor_leaves


def vjp(f, *primals, has_aux=False):
    """``(f(*primals), vjp_fn)``, plus ``aux`` with ``has_aux``.

    ``vjp_fn(cotangents)`` takes cotangents in the structure of f's output (a Tensor,
    or a tuple, list or dict of them) and returns a tuple with one gradient per
    primal: sum_i <cotangents[i], d out[i] / d primal>. It may be called many times.
    """
    level = Level(primals, "vjp")
    out, aux = split_aux(level.call(f, level.inputs), has_aux, "vjp")
    outs, spec = tensor_leaves(out, "vjp: f's output")

    def vjp_fn(cotangents):
        cots, cot_spec = tensor_leaves(cotangents, "vjp_fn: the cotangents")
        if cot_spec != spec:
            raise ValueError("vjp_fn: the cotangents must have the structure of f's output "
                             f"({len(outs)} tensor(s), as returned), got {len(cots)}")
        check_like(cots, outs, "vjp_fn", "cotangent", "output")
        return level.vjp(outs, level.inputs, cots, level.keeps(outs, cots))

    result = (level.export(out), vjp_fn)
    return result + (level.export(aux),) if has_aux else result


def value_and_grad(f, argnums=0, has_aux=False):
    """A function returning ``(f(*args), gradient)`` (JAX's order), or ``((value, aux),
    gradient)`` with ``has_aux``; f must return a real 0-d Tensor."""
    return _value_and_grad(f, argnums, has_aux, "value_and_grad")


def grad(f, argnums=0, has_aux=False):
    """A function returning the gradient of ``f`` (a real 0-d Tensor) with respect to
    the argument ``argnums`` (a tuple of gradients for a tuple), or ``(gradient, aux)``
    with ``has_aux``."""
    value_and_grad_f = _value_and_grad(f, argnums, has_aux, "grad")

    @functools.wraps(f)
    def grad_f(*args, **kwargs):
        value, gradient = value_and_grad_f(*args, **kwargs)
        return (gradient, value[1]) if has_aux else gradient
    return grad_f


def _value_and_grad(f, argnums, has_aux, what):
    argnums = Argnums(argnums, what)

    @functools.wraps(f)
    def value_and_grad_f(*args, **kwargs):
        indices = argnums.resolve(len(args))
        level = Level([args[i] for i in indices], what)
        result = level.call(f, substitute(args, indices, level.inputs), kwargs)
        out, aux = split_aux(result, has_aux, what)
        out = scalar_output(out, what)
        grads = level.vjp([out], level.inputs, [ones_like(out)], level.keeps([out]))
        value = level.export(out)
        return ((value, level.export(aux)) if has_aux else value), argnums.pack(grads)
    return value_and_grad_f


def jacrev(f, argnums=0):
    """A function returning the Jacobian of ``f`` with respect to the argument(s)
    ``argnums``, by one reverse pass per element of the output: a block shaped
    ``output.shape + input.shape`` for each output (in f's output structure) and, for a
    tuple ``argnums``, a tuple of blocks per output."""
    argnums = Argnums(argnums, "jacrev")

    @functools.wraps(f)
    def jacrev_f(*args, **kwargs):
        indices = argnums.resolve(len(args))
        level = Level([args[i] for i in indices], "jacrev")
        out = level.call(f, substitute(args, indices, level.inputs), kwargs)
        outs, spec = tensor_leaves(out, "jacrev: f's output")
        keep = level.keeps(outs)
        blocks = []
        for o in outs:
            rows = [level.vjp([o], level.inputs, [e], keep) for e in unit_tensors(o)]
            blocks.append([from_rows([r[j] for r in rows], o, x)
                           for j, x in enumerate(level.inputs)])
        return arrange(blocks, spec, argnums)
    return jacrev_f


# JAX's choice (``jax.jacobian`` is ``jax.jacrev``); torch.autograd.functional.jacobian
# is reverse mode by default too.
jacobian = jacrev
