"""Second derivatives: ``hessian`` and the Hessian-vector product ``hvp``."""
from __future__ import annotations

from ..ops import ones_like
from ._args import check_like, scalar_output, tensor_tuple
from ._forward import jacfwd
from ._level import Level
from ._reverse import jacrev


def hessian(f, argnums=0):
    """A function returning the Hessian of ``f`` (a real 0-d Tensor): ``jacfwd`` of
    ``jacrev``, as torch.func builds it. The reverse pass records the gradient once;
    the forward products then cost one reverse pass each (jacrev of jacrev would cost
    one per element of the gradient, each through the whole recorded graph)."""
    return jacfwd(jacrev(f, argnums), argnums)


def hvp(f, primals, tangents):
    """``(f(*primals), H @ tangents)`` for ``f`` returning a real 0-d Tensor, by
    reverse over reverse: the gradient is recorded, then its VJP with the tangents is
    the Hessian-vector product (H is symmetric). ``primals`` and ``tangents`` are
    Tensors or tuples of them; the product has their structure (as
    ``torch.autograd.functional.hvp``)."""
    single = not isinstance(primals, (tuple, list))
    primals = tensor_tuple(primals, "hvp", "primals")
    tangents = tensor_tuple(tangents, "hvp", "tangents")
    check_like(tangents, primals, "hvp", "tangent", "primal")
    level = Level(primals, "hvp")
    out = scalar_output(level.call(f, level.inputs), "hvp")
    gradient = level.vjp([out], level.inputs, [ones_like(out)], create_graph=True)
    products = level.vjp(gradient, level.inputs, tangents, level.keeps([out], tangents))
    return level.export(out), products[0] if single else products
