"""Checking one (function, backend, dtype): arraygrad's vector-Jacobian product against
central finite differences in float64, against the NumPy backend's gradient (within the
backend profile's ``[tolerance]``), against ``torch.autograd`` and ``jax.vjp`` where they have the
function, and, for functions that are not linear, a Hessian-vector product against
finite differences of gradients. The finite differences are arraygrad's own
(``arraygrad.autograd._numerical``, as in ``gradcheck``); the torch and JAX references
are in references.py (shared with the test suite)."""
from __future__ import annotations

import contextlib
import math
import warnings
from dataclasses import dataclass, field

import numpy as np

import arraygrad as ag
from arraygrad.autograd._numerical import central_difference

from . import references

FD_EPS = 1e-6           # central differences of the loss, float64
FD_RTOL = 1e-5          # relative to sum |g| |u|
HVP_EPS = 1e-5          # central differences of gradients, float64
HVP_RTOL = 1e-4
LOW_RTOL = 2e-3         # the same checks when the backend computes in single precision
N_DIRECTIONS = 2

_AG = {"float64": "float64", "float32": "float32", "complex128": "complex128",
       "complex64": "complex64", "int64": "int64", "bool": "bool"}
REAL_OF = {"float32": "float32", "float64": "float64", "complex64": "float32",
           "complex128": "float64"}
COMPLEX_OF = {"float32": "complex64", "float64": "complex128", "complex64": "complex64",
              "complex128": "complex128"}


class NotAvailable(Exception):
    """The backend lacks the function (the reason is the message)."""


@dataclass
class Outcome:
    status: str                  # "pass" | "FAIL" | "n/a"
    error: float = 0.0           # the largest error relative to its tolerance (FAIL)
    detail: str = ""
    checks: list = field(default_factory=list)


# -- values in and out -------------------------------------------------------------

def _tensor(a, dtype_name, requires_grad=False):
    a = np.asarray(a)
    if a.dtype == np.bool_:
        dt = ag.bool
    elif a.dtype.kind in "iu":
        dt = ag.int64
    else:
        dt = getattr(ag, dtype_name)
    flat = a.ravel().tolist()
    t = ag.reshape(ag.asarray(flat, dtype=dt), a.shape)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _host(t):
    return np.asarray(t.detach().numpy())


def input_dtype(a, dtype):
    """The dtype name an input array takes in a run at ``dtype``."""
    return COMPLEX_OF[dtype] if np.iscomplexobj(a) else REAL_OF[dtype]


def prepare(args, dtype):
    """The arguments rounded to ``dtype`` (held as float64/complex128 NumPy arrays),
    and the indices of the differentiable ones."""
    out, wrt = [], []
    for i, a in enumerate(args):
        if isinstance(a, np.ndarray) and a.dtype.kind in "fc":
            name = input_dtype(a, dtype)
            a = a.astype(name).astype(np.complex128 if name.startswith("complex") else np.float64)
            wrt.append(i)
        out.append(a)
    return out, tuple(wrt)


def _loss_value(out, v):
    return float(np.real(np.vdot(v, out))) if out.size else 0.0


def run_vjp(case, args, wrt, v_for, dtype, *, hvp_dirs=None):
    """On the current backend: the forward value, the gradients of <v, f(args)> and,
    when ``hvp_dirs`` = (u, w) is given, Re<H u, w>."""
    tensors = [(_tensor(a, input_dtype(a, dtype), i in wrt) if isinstance(a, np.ndarray) else a)
               for i, a in enumerate(args)]
    out = case.fn(ag, *tensors)
    value = _host(out)
    v = v_for(value)
    leaves = [tensors[i] for i in wrt]
    if not out.requires_grad:
        raise AssertionError("the result does not require grad")
    vt = _tensor(v, out.dtype.name if hasattr(out.dtype, "name") else str(out.dtype))
    create = hvp_dirs is not None
    grads = ag.autograd.grad(out, leaves, vt, create_graph=create, allow_unused=True)
    grads = [ag.zeros_like(l) if g is None else g for g, l in zip(grads, leaves)]
    host = [_host(g) for g in grads]
    for g, l, i in zip(grads, leaves, wrt):
        assert tuple(g.shape) == tuple(l.shape), f"gradient of input {i}: shape {g.shape}, not {l.shape}"
        assert g.dtype == l.dtype, f"gradient of input {i}: dtype {g.dtype}, not {l.dtype}"
    hv = None
    if create:
        u, w = hvp_dirs
        h = None
        for g, ui in zip(grads, u):
            term = ag.sum(ag.real(ag.conj(g) * _tensor(ui, input_dtype(ui, dtype))))
            h = term if h is None else h + term
        if h is None or not h.requires_grad:
            hv = 0.0
        else:
            second = ag.autograd.grad(h, leaves, allow_unused=True)
            hv = sum(float(np.real(np.vdot(_host(s), wi)))
                     for s, wi in zip(second, w) if s is not None)
    return value, host, hv


def _dot(grads, u):
    return sum(float(np.real(np.vdot(g, ui))) for g, ui in zip(grads, u))


def _scale(grads, u):
    return sum(float(np.sum(np.abs(g) * np.abs(ui))) for g, ui in zip(grads, u))


def _placed(args, wrt, moved):
    """``args`` with the inputs ``wrt`` replaced by ``moved`` (a point of the finite
    differences)."""
    out = list(args)
    for i, m in zip(wrt, moved):
        out[i] = np.asarray(m)
    return out


def directions(rng, args, wrt):
    u = []
    for i in wrt:
        a = args[i]
        d = rng.standard_normal(a.shape)
        if np.iscomplexobj(a):
            d = d + 1j * rng.standard_normal(a.shape)
        u.append(np.asarray(d))
    return u


def cotangent(rng, value):
    v = rng.standard_normal(value.shape)
    if np.iscomplexobj(value):
        v = v + 1j * rng.standard_normal(value.shape)
    return np.asarray(v)


@contextlib.contextmanager
def backend(name):
    with ag.use_backend(name), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


class Reference:
    """What one example is checked against, computed once on the NumPy backend in
    float64: the cotangent, finite differences along random directions, and the
    finite differences of gradients for the second-derivative check."""

    def __init__(self, case, args, dtype, seed, want_hvp):
        self.case = case
        self.args, self.wrt = prepare(args, dtype)
        rng = np.random.default_rng(seed)
        wide = "complex128" if dtype.startswith("complex") else "float64"
        x = [self.args[i] for i in self.wrt]
        at = lambda moved: _placed(self.args, self.wrt, moved)
        with backend("numpy"):
            value = _host(case.fn(ag, *self._tensors(self.args, wide)))
            self.v = cotangent(rng, value)
            self.value = value
            self.dirs = [directions(rng, self.args, self.wrt) for _ in range(N_DIRECTIONS)]
            loss = lambda m: _loss_value(_host(case.fn(ag, *self._tensors(at(m), wide))), self.v)
            self.fd = [central_difference(loss, x, u, FD_EPS) for u in self.dirs]
            self.hvp = None
            if want_hvp and self.wrt and value.size:
                u, w = self.dirs[0], directions(rng, self.args, self.wrt)

                def along_u(m):  # the gradients at m, projected on u, and their scale
                    g = run_vjp(case, at(m), self.wrt, lambda _: self.v, wide)[1]
                    return _dot(g, u), _scale(g, u)

                (fd2, _), plus, minus = central_difference(along_u, x, w, HVP_EPS, sides=True)
                scale = (plus[1] + minus[1]) / (2 * HVP_EPS) * 1e-3 + abs(fd2)
                self.hvp = (u, w, fd2, scale)

    def _tensors(self, args, dtype):
        return [(_tensor(a, input_dtype(a, dtype)) if isinstance(a, np.ndarray) else a)
                for a in args]


def _reference_args(ref, dtype):
    """The example's arguments for a reference library: the inputs ``wrt`` in the
    run's dtype."""
    return [a.astype(input_dtype(a, dtype)) if i in ref.wrt else a
            for i, a in enumerate(ref.args)]


def torch_vjp(case, ref, dtype):
    """torch.autograd's gradients of <v, f(args)> (references.torch_vjp), or None
    where torch lacks the function."""
    txp = references.torch_namespace()
    try:
        _, grads = references.torch_vjp(lambda *ts: case.fn(txp, *ts),
                                        _reference_args(ref, dtype), ref.wrt, ref.v)
    except (AttributeError, NotImplementedError, TypeError, RuntimeError) as exc:
        return None, f"torch: {type(exc).__name__}: {exc}"[:120]
    return grads, ""


def jax_vjp(case, ref, dtype):
    """jax.vjp's gradients of <v, f(args)> in PyTorch's convention
    (references.jax_vjp), or None where JAX lacks the function."""
    jnp = references.jax_namespace()
    try:
        _, grads = references.jax_vjp(lambda *xs: case.fn(jnp, *xs),
                                      _reference_args(ref, dtype), ref.wrt, ref.v)
    except Exception as exc:  # JAX lacks the function or this form of it
        return None, f"jax: {type(exc).__name__}: {exc}"[:120]
    return grads, ""


def _excess(a, b, rtol, atol):
    """max |a - b| / (atol + rtol |b|): above 1 is a mismatch."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return float("inf")
    if a.size == 0:
        return 0.0
    with np.errstate(all="ignore"):
        # atol is relative to the gradient's largest entry (as rtol is to each entry):
        # a tiny entry next to large ones carries their rounding error.
        big = float(np.nanmax(np.abs(b))) if np.isfinite(np.abs(b)).any() else 1.0
        r = np.abs(a - b) / (atol * max(1.0, big) + rtol * np.abs(b))
    r = np.where(np.isnan(a) & np.isnan(b), 0.0, r)
    return float(np.nanmax(np.where(np.isnan(r), np.inf, r)))


def tolerance(profile, dtype):
    tol = profile.get("tolerance", {}).get(dtype)
    if tol is None:
        tol = {"rtol": 1e-4, "atol": 1e-5} if dtype in ("float32", "complex64") else \
            {"rtol": 1e-7, "atol": 1e-9}
    return tol["rtol"], tol["atol"]


def fd_excess(grads, ref, dtype) -> float:
    """How far ``grads`` (NumPy arrays, one per differentiated input) are from the central
    differences along the reference's directions, as a multiple of the tolerance."""
    fd_rtol = LOW_RTOL if dtype in ("float32", "complex64") else FD_RTOL
    worst = 0.0
    for u, fd in zip(ref.dirs, ref.fd):
        if not math.isfinite(fd):  # the function itself is not finite here (mean of
            continue               # an empty axis): differences cannot judge
        got = _dot(grads, u)
        scale = _scale(grads, u) + abs(fd) + 1e-3
        excess = abs(got - fd) / (fd_rtol * scale)
        if not excess <= worst:  # a NaN gradient included: max() would drop it
            worst = excess if excess == excess else float("inf")
    return worst


def check_example(case, backend_name, dtype, ref, numpy_grads, torch_grads, profile,
                  jax_grads=None, *, second_order=True):
    """The checks of one example on one backend: ([(check, excess, detail)], gradients);
    the Hessian-vector product only if ``second_order``."""
    low = dtype in ("float32", "complex64")
    rtol, atol = tolerance(profile, dtype)
    results = []
    with backend(backend_name):
        want_hvp = ref.hvp is not None and second_order
        _, grads, hv = run_vjp(case, ref.args, ref.wrt, lambda _: ref.v, dtype,
                               hvp_dirs=ref.hvp[:2] if want_hvp else None)
    # 1. finite differences
    results.append(("finite differences", fd_excess(grads, ref, dtype), ""))
    # 2. the NumPy backend
    if numpy_grads is not None:
        e = max([_excess(g, n, rtol, atol) for g, n in zip(grads, numpy_grads)] or [0.0])
        results.append(("numpy backend", e, ""))
    # 3. torch.autograd
    if torch_grads is not None:
        e = max([_excess(g, t, rtol * (10 if low else 100), atol * 10)
                 for g, t in zip(grads, torch_grads)] or [0.0])
        results.append(("torch.autograd", e, ""))
    # 4. jax.vjp
    if jax_grads is not None:
        e = max([_excess(g, j, rtol * (10 if low else 100), atol * 10)
                 for g, j in zip(grads, jax_grads)] or [0.0])
        results.append(("jax.vjp", e, ""))
    # 5. Hessian-vector product
    if want_hvp:
        _, _, fd2, scale = ref.hvp
        h_rtol = LOW_RTOL * 10 if low else HVP_RTOL
        results.append(("second derivative", abs(hv - fd2) / (h_rtol * (scale + 1e-3)), ""))
    return results, grads
