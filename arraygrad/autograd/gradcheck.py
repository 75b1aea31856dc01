"""Gradient checks: a function's analytical derivatives (vector-Jacobian products
through ``autograd.grad``) against central finite differences of the function itself,
as ``torch.autograd.gradcheck`` and ``gradgradcheck`` do.

Everything is computed with arraygrad's operations on the inputs' own backend, so the
checks run on every backend; values are read only to decide each comparison (on a lazy
backend, that is when they are computed). Moved inputs are new tensors: the caller's
tensors are never written.

Complex numbers follow arraygrad's (PyTorch's) convention: the gradient of a real
``L`` with respect to a complex ``z`` is dL/dRe(z) + i dL/dIm(z), and a cotangent ``v``
pulls back the gradient of ``L = Re(sum(conj(v) * y))``. So the Jacobian compared for a
complex input has the entries dy_i/dRe(z_k) + i dy_i/dIm(z_k), and a complex output
is checked as its real part (cotangent 1) and its imaginary part (cotangent 1j).

Precision: the default tolerances are PyTorch's, meant for float64 and complex128 (the
finite differences lose about half the digits). As in PyTorch, an input of lower
precision gets a warning rather than other tolerances: pass looser ``atol``, ``rtol``
and a larger ``eps`` for float32.
"""
from __future__ import annotations

import math
import random
import warnings

from .._tensor import Tensor
from ..backend import use_backend
from ._numerical import central_difference, jacobian_columns, unit
from .engine import grad

_DOUBLE = ("float64", "complex128")
NOT_REENTRANT = (
    "Backward is not reentrant, i.e., running backward with same input and grad_output "
    "multiple times gives different values, although analytical gradient matches "
    "numerical gradient. The tolerance for nondeterminism was {tol}.")


class GradcheckError(RuntimeError):
    """A gradient check failed: the message says which output, which input and how."""


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              nondet_tol=0.0, fast_mode=False) -> bool:
    """Check the gradients of ``func`` at ``inputs`` against central finite differences.

    ``inputs`` is a Tensor or a tuple of arguments; the derivatives with respect to the
    Tensors that require grad are checked, for every output that requires grad:

    * ``fast_mode=False``: the whole Jacobian, one backward per output element against
      one pair of forwards per input element;
    * ``fast_mode=True``: ``v^T J u`` for random ``u`` (per input) and ``v`` (per
      output), one backward per output and one pair of forwards per input, with
      ``atol`` scaled by ``sum(u) * sum(v)`` as in PyTorch.

    Values agree when ``|analytical - numerical| <= atol + rtol * |numerical|``.
    ``nondet_tol`` is how far two backward passes over the same graph may differ. When
    no output requires grad, the finite differences must all be within ``atol`` of zero.
    (PyTorch's ``check_undefined_grad`` has no counterpart: each output is
    differentiated on its own, so every backward already meets outputs that get no
    gradient, and the engine never calls a node that gets none at all.)

    Returns True; on a failure raises ``GradcheckError``, or returns False when
    ``raise_exception=False``. Indices in messages are positions in ``inputs`` and in
    ``func``'s outputs.
    """
    checker = _Checker(func, _as_tuple(inputs), eps, atol, rtol, nondet_tol)
    try:
        with use_backend(checker.backend.name):
            checker.run(fast_mode)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  raise_exception=True, nondet_tol=0.0, fast_mode=False) -> bool:
    """Check the second derivatives of ``func``: ``gradcheck`` of the map from
    ``(inputs, grad_outputs)`` to the first gradients, which are computed with
    ``create_graph=True``.

    ``grad_outputs`` (one per output that requires grad) defaults to uniform values
    in [-1, 1) that require grad, drawn from a fixed private stream (the user's
    ``manual_seed`` stream is left alone), so the second derivatives with respect to
    the cotangents are checked too.
    """
    inputs = _as_tuple(inputs)
    n_inputs = len(inputs)
    if grad_outputs is None:
        backend = _Checker.backend_of(inputs)
        rng = random.Random(0)
        with use_backend(backend.name):
            outputs = [o for o in _outputs(func(*inputs)) if o.requires_grad]
            grad_outputs = tuple(_uniform(rng, o, -1.0, 1.0).requires_grad_(True)
                                 for o in outputs)
    else:
        grad_outputs = _as_tuple(grad_outputs)

    def first_gradients(*args):
        xs, vs = args[:n_inputs], args[n_inputs:]
        outputs = [o for o in _outputs(func(*xs)) if o.requires_grad]
        wrt = [x for x in xs if isinstance(x, Tensor) and x.requires_grad]
        grads = grad(outputs, wrt, vs, create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_gradients, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, nondet_tol=nondet_tol, fast_mode=fast_mode)


class _Checker:
    """One gradcheck: the function, its arguments and the tolerances."""

    def __init__(self, func, inputs, eps, atol, rtol, nondet_tol):
        self.func = func
        self.inputs = inputs
        self.eps, self.atol, self.rtol, self.nondet_tol = eps, atol, rtol, nondet_tol
        self.backend = self.backend_of(inputs)
        self.wrt = tuple(i for i, x in enumerate(inputs)
                         if isinstance(x, Tensor) and x.requires_grad)
        for i in self.wrt:
            if inputs[i].dtype.name not in _DOUBLE:
                warnings.warn(
                    f"Input #{i} requires gradient and is not a double precision floating "
                    "point or complex. This check will likely fail if all the inputs are not "
                    "of double precision floating point or complex.", UserWarning, stacklevel=3)

    @staticmethod
    def backend_of(inputs):
        tensors = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
        if not tensors:
            raise ValueError("gradcheck expects at least one input tensor to require gradient, "
                             "but none of them have requires_grad=True.")
        return tensors[0]._backend

    def run(self, fast_mode):
        outputs = _outputs(self.func(*self.inputs))
        checked = [o for o, out in enumerate(outputs) if out.requires_grad]
        if not checked:
            self._expect_constant(fast_mode)
            return
        if fast_mode:
            self._fast(outputs, checked)
        else:
            self._slow(outputs, checked)

    # -- finite differences --------------------------------------------------------

    def _outputs_at(self, j, moved):
        """Every output (detached) with input ``j`` replaced by ``moved``; None for an
        integer or boolean output."""
        args = list(self.inputs)
        args[j] = moved.requires_grad_(args[j].requires_grad)
        return [out.detach() if out.dtype.is_differentiable else None
                for out in _outputs(self.func(*args))]

    def _derivatives(self, j, direction):
        """d/dt at t = 0 of every output, with input ``j`` moved to ``x + t * direction``
        (a central difference; ``x`` itself is left as it is). None for an integer or
        boolean output."""
        return central_difference(lambda m: self._outputs_at(j, m[0]),
                                  [self.inputs[j].detach()], [direction], self.eps)

    def _numerical(self, j, outputs, checked):
        """For each checked output and each of its parts: the (elements of input ``j``)
        x (elements of the output) matrix of finite differences."""
        x = self.inputs[j]
        rows = {o: {part: [] for part, _, _ in _parts(outputs[o])} for o in checked}
        for d, d_im in jacobian_columns(lambda m: self._outputs_at(j, m), x.detach(),
                                        self.eps):
            for o in checked:
                for part, take, _ in _parts(outputs[o]):
                    row = _flat(take(d[o]))
                    if d_im is not None:
                        row = _complex(row, _flat(take(d_im[o])), x.dtype)
                    rows[o][part].append(row)
        return {o: {part: _stack(r, 0, (math.prod(x.shape), math.prod(outputs[o].shape)),
                                 x)
                    for part, r in by_part.items()}
                for o, by_part in rows.items()}

    # -- vector-Jacobian products ------------------------------------------------------

    def _vjp(self, output, v):
        """The gradients of every checked input pulled back by ``v`` (zeros where
        backward gave none)."""
        xs = [self.inputs[j] for j in self.wrt]
        grads = grad(output, xs, v, retain_graph=True, allow_unused=True)
        result = []
        for j, x, g in zip(self.wrt, xs, grads):
            if g is None:
                g = _ns(x).zeros_like(x.detach())
            elif tuple(g.shape) != tuple(x.shape):
                raise GradcheckError(f"Analytical gradient has incorrect size: shape "
                                     f"{tuple(g.shape)} for input {j} of shape {tuple(x.shape)}")
            result.append(g.detach())
        return result

    def _analytical(self, output, scale):
        """Per checked input: the (elements of the input) x (elements of ``output``)
        matrix whose column i is the gradient pulled back by ``scale * e_i``."""
        m = math.prod(output.shape)
        columns = [[] for _ in self.wrt]
        for i in range(m):
            for cols, g in zip(columns, self._vjp(output, scale * unit(output, i))):
                cols.append(_flat(g))
        return [_stack(cols, 1, (math.prod(self.inputs[j].shape), m), self.inputs[j])
                for cols, j in zip(columns, self.wrt)]

    # -- the checks ------------------------------------------------------------------

    def _slow(self, outputs, checked):
        """Every Jacobian, element by element."""
        numerical = [self._numerical(j, outputs, checked) for j in self.wrt]
        for o in checked:
            for part, _, scale in _parts(outputs[o]):
                first = self._analytical(outputs[o], scale)
                second = self._analytical(outputs[o], scale)
                for p, j in enumerate(self.wrt):
                    if not _within(first[p], second[p], self.nondet_tol, 0.0):
                        raise GradcheckError(NOT_REENTRANT.format(tol=self.nondet_tol))
                    n = numerical[p][o][part]
                    if not _within(first[p], n, self.atol, self.rtol):
                        raise GradcheckError(_mismatch(o, j, n, first[p], part, outputs[o]))

    def _fast(self, outputs, checked):
        """v^T J u for every (checked output, checked input) pair."""
        rng = random.Random(0)
        us = [_direction(rng, self.inputs[j]) for j in self.wrt]
        vs = {o: _direction(rng, outputs[o]) for o in checked}
        moved = [self._derivatives(j, u) for j, (u, _) in zip(self.wrt, us)]
        for o in checked:
            v, v_sum = vs[o]
            first = self._vjp(outputs[o], v)
            second = self._vjp(outputs[o], v)
            for p, j in enumerate(self.wrt):
                u, u_sum = us[p]
                a, a2 = _inner(first[p], u), _inner(second[p], u)
                n = _inner(v, moved[p][o])
                if not _within(a, a2, self.nondet_tol, 0.0):
                    raise GradcheckError(NOT_REENTRANT.format(tol=self.nondet_tol))
                if not _within(a, n, self.atol * u_sum * v_sum, self.rtol):
                    raise GradcheckError(_mismatch(o, j, n, a, "real", None)
                                         + self._slow_report(outputs, o, p))

    def _slow_report(self, outputs, o, p):
        """The full Jacobians of one pair, to show under a fast-mode failure."""
        numerical = self._numerical(self.wrt[p], outputs, [o])[o]
        lines = ["\nThe numbers above are v^T J u for random u and v (fast mode). The full "
                 "Jacobians (slow mode):"]
        for part, _, scale in _parts(outputs[o]):
            a = self._analytical(outputs[o], scale)[p]
            label = f" ({part} part of the output)" if outputs[o].dtype.is_complex else ""
            lines.append(f"numerical{label}:\n{numerical[part]}\nanalytical{label}:\n{a}")
        return "\n".join(lines) + "\n"

    def _expect_constant(self, fast_mode):
        """No output requires grad: then the outputs must not move with the inputs."""
        rng = random.Random(0)
        for j in self.wrt:
            x = self.inputs[j]
            if fast_mode:
                directions = [_direction(rng, x)[0]]
            else:
                directions = [unit(x, k) for k in range(math.prod(x.shape))]
                if x.dtype.is_complex:
                    directions += [1j * e for e in directions]
            for direction in directions:
                for o, d in enumerate(self._derivatives(j, direction)):
                    if d is not None and not bool(_ns(d).all(_ns(d).abs(d) <= self.atol)):
                        raise GradcheckError(
                            "Numerical gradient for function expected to be zero: output "
                            f"{o} does not require grad, yet it changes with input {j}:\n{d}")


# -- helpers -------------------------------------------------------------------------

def _as_tuple(x) -> tuple:
    if isinstance(x, tuple):
        return x
    if isinstance(x, list):
        return tuple(x)
    return (x,)


def _outputs(result) -> tuple:
    outputs = _as_tuple(result)
    for o, out in enumerate(outputs):
        if not isinstance(out, Tensor):
            raise TypeError(f"gradcheck: the function must return Tensors, but output {o} is "
                            f"a {type(out).__name__}")
    return outputs


def _parts(output):
    """How an output is checked: (name, take the part, the cotangent that pulls back
    the gradient of that part) for its real part and, if complex, its imaginary part."""
    if not output.dtype.is_complex:
        return (("real", lambda t: t, 1),)
    xp = _ns(output)
    return (("real", xp.real, 1), ("imag", xp.imag, 1j))


def _ns(t):
    """The namespace of the tensor ``t`` (arraygrad's): gradcheck sits in ``autograd``,
    below the operations, and reaches them through the arrays it checks, as any
    array-API code does."""
    return t.__array_namespace__()


def _flat(t):
    return _ns(t).reshape(t, (-1,))


def _complex(re, im, dtype):
    xp = _ns(re)
    return xp.astype(re, dtype) + 1j * xp.astype(im, dtype)


def _stack(vectors, axis, shape, like):
    """The vectors stacked along ``axis``, or zeros of ``shape`` (``like``'s dtype and
    device) if there are none."""
    xp = _ns(like)
    if not vectors:
        return xp.zeros(shape, dtype=like.dtype, device=like.device)
    return xp.stack(vectors, axis=axis)


def _inner(a, b):
    """Re(sum(conj(a) * b)): how much ``b`` moves along ``a``."""
    xp = _ns(a)
    if a.dtype.is_complex or b.dtype.is_complex:
        return xp.sum(xp.real(xp.conj(a) * b))
    return xp.sum(a * b)


def _within(a, b, atol, rtol) -> bool:
    """|a - b| <= atol + rtol |b| everywhere (torch.allclose, without NaN equality)."""
    xp = _ns(a)
    return bool(xp.all(xp.abs(a - b) <= atol + rtol * xp.abs(b)))


def _mismatch(o, j, numerical, analytical, part, output) -> str:
    prefix = ""
    if output is not None and output.dtype.is_complex:
        prefix = f"While considering the {'imaginary' if part == 'imag' else 'real'} part " \
                 "of complex outputs only, "
    return (f"{prefix}Jacobian mismatch for output {o} with respect to input {j},\n"
            f"numerical:{numerical}\nanalytical:{analytical}\n")


def _direction(rng, like):
    """A random direction with ``like``'s shape, dtype and device: uniform [0, 1)
    entries scaled to unit norm (the real and imaginary parts each, if complex), as
    PyTorch's fast mode draws them; and the sum of its entries' parts, which scales
    ``atol``."""
    n = math.prod(like.shape)
    parts = [_unit_uniform(rng, n) for _ in range(2 if like.dtype.is_complex else 1)]
    values = parts[0] if len(parts) == 1 else [complex(r, i) for r, i in zip(*parts)]
    xp = _ns(like)
    t = xp.asarray(values, dtype=like.dtype, device=like.device)
    return xp.reshape(t, like.shape), sum(math.fsum(p) for p in parts)


def _unit_uniform(rng, n):
    values = [rng.random() for _ in range(n)]
    norm = math.sqrt(math.fsum(v * v for v in values)) or 1.0
    return [v / norm for v in values]


def _uniform(rng, like, lo, hi):
    """Uniform values in [lo, hi) with ``like``'s shape, dtype and device."""
    n = math.prod(like.shape)
    draw = lambda: lo + (hi - lo) * rng.random()
    values = [complex(draw(), draw()) if like.dtype.is_complex else draw() for _ in range(n)]
    xp = _ns(like)
    return xp.reshape(xp.asarray(values, dtype=like.dtype, device=like.device), like.shape)
