"""``arraygrad.autograd.functional``: PyTorch's ``torch.autograd.functional`` (``vjp``,
``jvp``, ``jacobian``, ``hessian``, ``vhp``, ``hvp``), with its signatures, defaults,
results and errors.

It lives here, in the public package, and is wired in as
``arraygrad.autograd.functional``: it builds on ``arraygrad.func`` and ``arraygrad.ops``,
which ``arraygrad/autograd/`` may not import (the layers point one way).

How it is built, and why not wholly on ``arraygrad.func``'s transforms:

* PyTorch's contract is about *structure*: ``strict=True`` must tell an input that the
  outputs do not reach from one they reach with a zero gradient, and ``create_graph``
  decides whether the results stay differentiable. ``func``'s transforms hide the first
  (they return zeros for an unreached input) and decide the second themselves (by
  whether the caller tracks the inputs). So the reverse passes here call
  ``autograd.grad(..., allow_unused=True)``, which says ``None`` for an unreached input.
* Forward products use the double-backward trick of ``func.jvp``: the reverse pass
  ``u -> J^T u`` is recorded, and its own reverse pass with respect to ``u`` gives
  ``J v``. PyTorch takes ``u = 0``; here ``u`` is ``func``'s placeholder (values in
  [1, 2)), because arraygrad's zero-safe rules give exactly zero where their incoming
  gradient is zero, which would make the product zero (see ``arraygrad/func/_forward.py``).
* ``strategy="forward-mode"`` (``vectorize=True``) is ``func.jacfwd``.

Where it differs from PyTorch:

* ``vectorize=True`` computes the same Jacobian and Hessian, one reverse pass per row as
  without it: arraygrad has no batched gradients (``vmap`` loops too). Its errors
  (``strict`` with ``vectorize``) are PyTorch's.
* ``strategy="forward-mode"`` is the double-backward trick, not forward-mode AD:
  arraygrad has no forward-mode rules. The result is the same.
* Sizes in messages are tuples (``(2, 3)``), not ``torch.Size([2, 3])``.
* With ``create_graph=True`` and ``strict=True``, a Jacobian independent of an input is
  reported with that input's index (PyTorch names the output's).
"""
from __future__ import annotations

from ._tensor import Tensor, edge_of
from .autograd.engine import grad as _autograd_grad
from .autograd.grad_mode import enable_grad, is_grad_enabled, set_grad_enabled
from .func import jacfwd
from .func._forward import _placeholder
from .func._jacobian import from_rows, unit_tensors
from .ops import positive, reshape, zeros_like

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]

_STRATEGIES = ("forward-mode", "reverse-mode")


# -- arguments and results -----------------------------------------------------------

def _as_tuple(value, name: str, fn: str) -> tuple[bool, tuple]:
    """(whether ``value`` was a tuple, ``value`` as a tuple of Tensors)."""
    is_tuple = isinstance(value, tuple)
    values = value if is_tuple else (value,)
    for i, v in enumerate(values):
        if not isinstance(v, Tensor):
            which = f"the value at index {i}" if is_tuple else f"the given {name}"
            raise TypeError(f"The {name} given to {fn} must be either a Tensor or a tuple of "
                            f"Tensors but {which} has type {type(v)}.")
    return is_tuple, values


def _private(tensors, create_graph: bool, need_graph: bool) -> tuple:
    """New tensor objects for ``tensors``, so that what ``func`` computes from them is
    told apart from what it computes from the same tensors captured in its closure.
    With ``create_graph``, one the caller tracks is a recorded copy, so the results
    stay differentiable with respect to it; any other is a new leaf (requiring grad
    when ``need_graph``)."""
    copies = []
    for t in tensors:
        if create_graph and t.requires_grad:
            with enable_grad():
                copies.append(positive(t))
        else:
            copies.append(t.detach().requires_grad_(need_graph))
    return tuple(copies)


def _export(tree, create_graph: bool):
    """The results as returned: detached unless ``create_graph``."""
    if isinstance(tree, tuple):
        return tuple(_export(t, create_graph) for t in tree)
    return tree if create_graph else tree.detach()


def _unpack(result, is_tuple: bool):
    return result if is_tuple else result[0]


def _unpack_nested(result, outer_is_tuple: bool, inner_is_tuple: bool):
    if not inner_is_tuple:
        result = tuple(row[0] for row in result)
    return _unpack(result, outer_is_tuple)


def _check_v(v: tuple, like: tuple, like_is_tuple: bool) -> None:
    """``v`` has one tensor per tensor of ``like``, of its shape."""
    if len(v) != len(like):
        if like_is_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(like)} but "
                               f"got {len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (a, b) in enumerate(zip(v, like)):
        if a.shape != b.shape:
            where = f"Entry {i} in " if like_is_tuple else ""
            raise RuntimeError(f"{where}v has invalid size: should be {b.shape} but got "
                               f"{a.shape}.")


def _vector(v, like: tuple, like_is_tuple: bool, create_graph: bool, fn: str, role: str):
    """``v`` checked against ``like`` (the outputs or the inputs), as private tensors;
    ``None`` only where ``like`` is a single one-element tensor (then ``1`` is meant)."""
    if v is None:
        if len(like) != 1 or like[0].numel() != 1:
            raise RuntimeError(f"The vector v can only be None if {role} a single Tensor "
                               "with a single element.")
        return None
    _, v = _as_tuple(v, "v", fn)
    v = _private(v, create_graph, need_graph=False)
    _check_v(v, like, like_is_tuple)
    return v


_ROLE_OUTPUT = "the user-provided function returns"
_ROLE_INPUT = "the input to the user-provided function is"


# -- strict mode ---------------------------------------------------------------------

def _check_tracked(tensors, kind: str, strict: bool) -> None:
    """Under ``strict``: each of ``tensors`` exists and requires grad (``kind`` says
    which tensors they are, for PyTorch's message)."""
    if not strict:
        return
    for i, t in enumerate(tensors):
        if t is None:  # only gradients can be missing
            raise RuntimeError(f"The output of the user-provided function is independent of "
                               f"input {i}. This is not allowed in strict mode.")
        if t.requires_grad:
            continue
        if kind == "outputs":
            raise RuntimeError(f"Output {i} of the user-provided function does not require "
                               "gradients. The outputs must be computed in a differentiable "
                               "manner from the input when running in strict mode.")
        if kind == "grad_inputs":
            raise RuntimeError(f"The gradient with respect to input {i} is independent of the "
                               "inputs of the user-provided function. This is not allowed in "
                               "strict mode.")
        raise RuntimeError("While computing the hessian, found that the jacobian of the "
                           f"user-provided function with respect to input {i} is independent "
                           "of the input. This is not allowed in strict mode. You should "
                           "ensure that your function is twice differentiable and that the "
                           "jacobian depends on the inputs (this would be violated by a "
                           "linear function for example).")


_MISSING = {
    "back": "The output of the user-provided function is independent of input {i}. This is "
            "not allowed in strict mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the "
                  "grad_outputs when using the double backward trick to compute forward mode "
                  "gradients. This is not allowed in strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. "
                   "This is not allowed in strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry "
                         "{i} in the grad_jacobian. This is not allowed in strict mode as it "
                         "prevents from using the double backward trick to replace forward "
                         "mode AD.",
}


def _zeros_for_missing(grads, like, strict: bool, create_graph: bool, stage: str) -> tuple:
    """``grads`` with zeros shaped like ``like`` where a gradient is missing (the
    outputs do not reach that tensor), which ``strict`` refuses, as it refuses, with
    ``create_graph``, a gradient that does not depend on the inputs."""
    out = []
    for i, (g, ref) in enumerate(zip(grads, like)):
        if g is None:
            if strict:
                raise RuntimeError(_MISSING[stage].format(i=i))
            g = zeros_like(ref)
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if stage.startswith("double") else "jacobian"
            raise RuntimeError(f"The {what} of the user-provided function is independent of "
                               f"input {i}. This is not allowed in strict mode when "
                               "create_graph=True.")
        out.append(g)
    return tuple(out)


def _grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None) -> tuple:
    """``autograd.grad`` of the outputs that are in a graph (a missing output, or one
    that requires no grad, contributes nothing), with ``None`` for each input they do
    not reach."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs)
             if o is not None and edge_of(o) is not None]
    if not pairs:
        return (None,) * len(inputs)
    outs, gouts = zip(*pairs)
    return _autograd_grad(outs, inputs, gouts, retain_graph=retain_graph,
                          create_graph=create_graph, allow_unused=True)


def _call(func, inputs: tuple, fn: str, strict: bool) -> tuple[bool, tuple]:
    """``func(*inputs)`` as (whether it returned a tuple, its outputs as a tuple)."""
    is_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", fn)
    _check_tracked(outputs, "outputs", strict)
    return is_tuple, outputs


# -- products ------------------------------------------------------------------------

def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(*inputs), v^T J)``: the vector-Jacobian product, shaped as the inputs
    (a Tensor for a Tensor, a tuple for a tuple). ``v`` is shaped as the outputs, and
    may be omitted for a single one-element output."""
    with enable_grad():
        inputs_are_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _private(inputs, create_graph, need_graph=True)
        outputs_are_tuple, outputs = _call(func, inputs, "vjp", strict)
        v = _vector(v, outputs, outputs_are_tuple, create_graph, "vjp", _ROLE_OUTPUT)
    with set_grad_enabled(create_graph or is_grad_enabled()):
        grads = _grad(outputs, inputs, v, create_graph)
        result = _zeros_for_missing(grads, inputs, strict, create_graph, "back")
    return (_unpack(_export(outputs, create_graph), outputs_are_tuple),
            _unpack(_export(result, create_graph), inputs_are_tuple))


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(*inputs), J v)``: the Jacobian-vector product, shaped as the outputs.
    ``v`` is shaped as the inputs, and may be omitted for a single one-element input.
    Computed by the double-backward trick (see the module's docstring)."""
    with enable_grad():
        inputs_are_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _private(inputs, create_graph, need_graph=True)
        v = _vector(v, inputs, inputs_are_tuple, create_graph, "jvp", _ROLE_INPUT)
        outputs_are_tuple, outputs = _call(func, inputs, "jvp", strict)
        us = tuple(_placeholder(o).requires_grad_(True) for o in outputs)
        transposed = _grad(outputs, inputs, us, create_graph=True)
        _check_tracked(transposed, "grad_inputs", strict)
    with set_grad_enabled(create_graph or is_grad_enabled()):
        grads = _grad(transposed, us, v, create_graph)
        result = _zeros_for_missing(grads, outputs, strict, create_graph, "back_trick")
    return (_unpack(_export(outputs, create_graph), outputs_are_tuple),
            _unpack(_export(result, create_graph), outputs_are_tuple))


def _scalar_function(func, fn: str, strict: bool, inputs: tuple) -> Tensor:
    """``func(*inputs)``, checked to be a single one-element Tensor (``vhp``, ``hvp``,
    ``hessian`` take functions to the reals)."""
    is_tuple, outputs = _call(func, inputs, fn, strict)
    if is_tuple:
        raise RuntimeError(f"The function given to {fn} should return a single Tensor")
    if outputs[0].numel() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {fn} should "
                           "contain a single element")
    return outputs[0]


def _recorded_gradient(func, inputs, v, create_graph, strict, fn: str):
    """What ``vhp`` and ``hvp`` both begin with (under ``enable_grad``): the inputs and
    ``v`` checked, ``func``'s single-element output, and its gradient, recorded so that
    it can be differentiated again. Returns ``(inputs_are_tuple, inputs, v, output,
    gradient)``."""
    inputs_are_tuple, inputs = _as_tuple(inputs, "inputs", fn)
    inputs = _private(inputs, create_graph, need_graph=True)
    v = _vector(v, inputs, inputs_are_tuple, create_graph, fn, _ROLE_INPUT)
    output = _scalar_function(func, fn, strict, inputs)
    gradient = _grad((output,), inputs, create_graph=True)
    _check_tracked(gradient, "jacobian", strict)
    return inputs_are_tuple, inputs, v, output, gradient


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(*inputs), v^T H)`` for ``func`` returning a single element: the
    vector-Hessian product, shaped as the inputs, by reverse over reverse."""
    with enable_grad():
        inputs_are_tuple, inputs, v, output, gradient = _recorded_gradient(
            func, inputs, v, create_graph, strict, "vhp")
    with set_grad_enabled(create_graph or is_grad_enabled()):
        grads = _grad(gradient, inputs, v, create_graph)
        result = _zeros_for_missing(grads, inputs, strict, create_graph, "double_back")
    return (_export(output, create_graph), _unpack(_export(result, create_graph),
                                                   inputs_are_tuple))


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(*inputs), H v)`` for ``func`` returning a single element: the
    Hessian-vector product, shaped as the inputs. ``H v`` is the forward product of the
    gradient, by the double-backward trick; for a twice continuously differentiable
    ``func``, H is symmetric and ``vhp`` gives the same at less cost."""
    with enable_grad():
        inputs_are_tuple, inputs, v, output, gradient = _recorded_gradient(
            func, inputs, v, create_graph, strict, "hvp")
        us = tuple(_placeholder(x).requires_grad_(True) for x in inputs)
        transposed = _grad(gradient, inputs, us, create_graph=True)
    with set_grad_enabled(create_graph or is_grad_enabled()):
        grads = _grad(transposed, us, v, create_graph)
        result = _zeros_for_missing(grads, inputs, strict, create_graph, "double_back_trick")
    return (_export(output, create_graph), _unpack(_export(result, create_graph),
                                                   inputs_are_tuple))


# -- Jacobians and Hessians ----------------------------------------------------------

def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: for output i and input j a block shaped
    ``output_i.shape + input_j.shape``; a Tensor for a single input and output, a tuple
    where one of them is a tuple, ``J[i][j]`` where both are."""
    if strategy not in _STRATEGIES:
        raise AssertionError('Expected strategy to be either "forward-mode" or '
                             '"reverse-mode". Hint: If your function has more outputs than '
                             'inputs, "forward-mode" tends to be more performant. Otherwise, '
                             'prefer to use "reverse-mode".')
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError(
                "torch.autograd.functional.jacobian: `create_graph=True` and "
                '`strategy="forward-mode"` are not supported together (yet). Please either '
                'set `create_graph=False` or `strategy="reverse-mode"`.')
        return _jacobian_forward(func, inputs, strict, vectorize)

    with enable_grad():
        inputs_are_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _private(inputs, create_graph, need_graph=True)
        outputs_are_tuple, outputs = _call(func, inputs, "jacobian", strict)
        if vectorize and strict:
            raise RuntimeError(
                "torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are "
                "not supported together. Please either set `strict=False` or "
                "`vectorize=False`.")
        blocks = tuple(_jacobian_rows(i, out, inputs, create_graph, strict)
                       for i, out in enumerate(outputs))
    return _unpack_nested(_export(blocks, create_graph), outputs_are_tuple, inputs_are_tuple)


def _jacobian_rows(i: int, out: Tensor, inputs: tuple, create_graph: bool,
                   strict: bool) -> tuple:
    """The blocks d out / d input for each input, one reverse pass per element of
    ``out`` (the row of the Jacobian it picks out)."""
    rows = [[] for _ in inputs]
    for e in unit_tensors(out):
        grads = _grad((out,), inputs, (e,), create_graph, retain_graph=True)
        for j, (g, x) in enumerate(zip(grads, inputs)):
            if g is None:
                if strict:
                    raise RuntimeError(f"Output {i} of the user-provided function is "
                                       f"independent of input {j}. This is not allowed in "
                                       "strict mode.")
                g = zeros_like(x)
            elif strict and create_graph and not g.requires_grad:
                raise RuntimeError("The jacobian of the user-provided function is "
                                   f"independent of input {j}. This is not allowed in "
                                   "strict mode when create_graph=True.")
            rows[j].append(g)
    return tuple(from_rows(r, out, x) for r, x in zip(rows, inputs))


def _jacobian_forward(func, inputs, strict: bool, vectorize: bool):
    """``strategy="forward-mode"``: ``func.jacfwd`` (one forward product per element
    of the inputs), after PyTorch's checks."""
    if strict:
        raise RuntimeError(
            "torch.autograd.functional.jacobian: `strict=True` and "
            '`strategy="forward-mode"` are not supported together (yet). Please either set '
            '`strict=False` or `strategy="reverse-mode"`.')
    inputs_are_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    if not vectorize:
        raise NotImplementedError(
            "Computing Jacobian using forward-AD or forward-over-reverse Hessian is"
            "only implemented for `vectorize=True`.")
    returned = []

    def outputs_as_tuple(*xs):
        is_tuple, outputs = _as_tuple(func(*xs), "outputs", "jacobian")
        returned.append(is_tuple)
        return outputs

    blocks = jacfwd(outputs_as_tuple, argnums=tuple(range(len(inputs))))(*inputs)
    # Lists, not tuples, where nothing is unpacked: PyTorch's forward mode returns them.
    blocks = [list(_export(row, False)) for row in blocks]
    return _unpack_nested(blocks, returned[0], inputs_are_tuple)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """The Hessian of ``func`` (returning a single element) at ``inputs``: the Jacobian
    of its gradient, ``H[i][j]`` shaped ``input_i.shape + input_j.shape`` (a Tensor for a
    single input). The gradient is taken in reverse mode, the outer Jacobian by
    ``outer_jacobian_strategy``."""
    inputs_are_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in _STRATEGIES:
        raise AssertionError('Expected strategy to be either "forward-mode" or '
                             '"reverse-mode".')

    def scalar(*xs):
        return reshape(_scalar_function(func, "hessian", strict, xs), ())

    def gradient(*xs):
        g = jacobian(scalar, xs, create_graph=True)
        _check_tracked(g, "jacobian", strict)
        return g

    blocks = jacobian(gradient, inputs, create_graph=create_graph, strict=strict,
                      vectorize=vectorize, strategy=outer_jacobian_strategy)
    return _unpack_nested(blocks, inputs_are_tuple, inputs_are_tuple)
