"""``arraygrad.func``: composable function transforms, as ``torch.func`` and JAX have.

================  ============================================================
``grad``           gradient of a function returning a real 0-d Tensor
``value_and_grad`` the value and the gradient (JAX's order)
``vjp``            the value and a function computing vector-Jacobian products
``jvp``            the value and a Jacobian-vector product (double VJP, below)
``jacrev``         Jacobian by one reverse pass per output element
``jacobian``       ``jacrev`` (as ``jax.jacobian``)
``jacfwd``         Jacobian by one JVP per input element
``hessian``        ``jacfwd(jacrev(f))``
``hvp``            Hessian-vector product, reverse over reverse
``vmap``           map over an axis (a Python loop, below)
================  ============================================================

Every transform calls ``f`` on its own copies of the arguments it differentiates,
so they may be tensors that do not require grad; and transforms compose:
``grad(grad(f))``, ``jacfwd(jacrev(f))``, ``vmap(grad(f))`` (see ``_level.py`` for how).
A result stays in the caller's graph only when it depends on tensors the caller
tracks; otherwise it is returned detached, as ``torch.func`` returns it.

Two things differ from ``torch.func`` in how, not in what:

* arraygrad has no forward-mode rules: ``jvp`` and ``jacfwd`` use the double-VJP
  trick (``_forward.py``), two reverse passes per product instead of one forward.
* ``vmap`` loops over the mapped axis, calling ``f`` once per slice and stacking the
  results (``_vmap.py``): the standard gives no general batching and the rules have
  no batched forms.
"""
from ._forward import jacfwd, jvp
from ._reverse import grad, jacobian, jacrev, value_and_grad, vjp
from ._second_order import hessian, hvp
from ._vmap import vmap

__all__ = ["grad", "hessian", "hvp", "jacfwd", "jacobian", "jacrev", "jvp", "value_and_grad",
           "vjp", "vmap"]
