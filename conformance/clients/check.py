"""Running one call and classifying it.

**The reference.** The call runs on plain NumPy float64 arrays. Its output is taken apart
into fields (``fields``): arrays and numbers are fields; tuples, lists, namedtuples
(their extra attributes too), dicts and SciPy/scikit-learn result objects (their
attributes) are walked; strings, None and callables are not fields. A fixed random
cotangent ``w`` (``default_rng(1)``, one per field) defines the scalar loss
``sum over float (or complex) fields of sum(w * field)`` (complex: ``w_re*Re + w_im*Im``),
with the entries where the reference field is not finite left out. The reference
gradient is the central finite difference of that loss in float64, ``eps = 1e-6``,
element by element of every differentiated input.

**One library.** The same call runs on leaves that require grad (``libraries.py``).

* ``refused``: it raised the library's refusal to hand a tensor that requires grad to
  NumPy (anywhere in the exception chain);
* ``error``: any other exception (type and first line kept);
* ``wrong forward``: a compared field is missing, or differs: shapes must agree and
  values satisfy ``|lib - ref| <= 1e-9 + 1e-7 |ref|`` elementwise, NaN equal to NaN.
  The compared fields are the float (and complex) ones; integer and boolean fields
  (counts such as ``nfev``, status codes, indices) are compared only when the output
  has no float field at all (labels, masks), and then the same way. Rotations and rigid
  transforms are compared through ``as_quat()`` / ``as_matrix()``;
* then the library's gradient of the same loss, built from its float fields that are
  tensors requiring grad (fields that are not tensors, or have no ``grad_fn``, add
  nothing). ``pass`` when ``max |g - fd| <= 1e-4 max |fd| + 1e-6`` over all the inputs
  together (a leaf the loss does not reach has gradient 0). When no field carries a
  gradient at all, ``pass`` needs the truth to be zero: ``max |fd| <= 1e-9 (1 + max
  |output|)``; otherwise ``wrong`` (missing gradient). A gradient off the tolerance is
  ``wrong``, and so is a backward pass that raises (no gradient; ``refused`` if what it
  raised is the refusal).

Never a pass without both checks: the forward is compared first, and the gradient is
compared to finite differences even where the library returned no gradient. The one
exception is a call with no float array argument at all (a window of length 8, a boolean
image): its pass is a forward-only pass, and the report counts them apart.
"""
from __future__ import annotations

import math
import time
import traceback
import types
import warnings
from dataclasses import dataclass, field

import numpy as np

FD_EPS = 1e-6
FWD_RTOL, FWD_ATOL = 1e-7, 1e-9
GRAD_RTOL, GRAD_ATOL = 1e-4, 1e-6
ZERO_RTOL = 1e-9
MAX_DEPTH = 8
PUBLIC_VIEWS = {"Rotation": "as_quat", "RigidTransform": "as_matrix"}

STATUSES = ("pass", "refused", "wrong", "wrong forward", "error")


# -- outputs as fields -------------------------------------------------------------------

def fields(value, L, path="out", depth=0, seen=None) -> dict:
    """``{path: leaf}`` for every array or number in ``value`` (see the docstring)."""
    seen = set() if seen is None else seen
    found = {}
    if L.is_array(value) or isinstance(value, (np.ndarray, np.generic)):
        found[path] = value
        return found
    if isinstance(value, (bool, int, float, complex)):
        found[path] = value
        return found
    if value is None or isinstance(value, (str, bytes, type, types.ModuleType,
                                           types.FunctionType, types.MethodType,
                                           types.BuiltinFunctionType, slice, np.dtype)):
        return found
    if depth >= MAX_DEPTH or id(value) in seen:
        return found
    seen.add(id(value))
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        names = list(value._fields) + list(getattr(value, "_extra_fields", ()))
        for n in names:
            found.update(fields(getattr(value, n, None), L, f"{path}.{n}", depth + 1, seen))
        return found
    if isinstance(value, (tuple, list)):
        for i, v in enumerate(value):
            found.update(fields(v, L, f"{path}[{i}]", depth + 1, seen))
        return found
    if isinstance(value, dict):
        for k in sorted(value, key=str):
            found.update(fields(value[k], L, f"{path}[{k!r}]", depth + 1, seen))
        return found
    module = type(value).__module__ or ""
    view = PUBLIC_VIEWS.get(type(value).__name__)
    if view and module.startswith("scipy.spatial"):
        # Compare rotations and rigid transforms by what they are, not by how SciPy
        # stores them (NumPy's Cython path keeps a single rotation as shape (1, 4)).
        return fields(getattr(value, view)(), L, f"{path}.{view}()", depth + 1, seen)
    if module.startswith(("scipy", "sklearn")):
        attrs = {}
        if hasattr(value, "__dict__"):
            attrs.update(vars(value))
        for cls in type(value).__mro__:
            for s in getattr(cls, "__slots__", ()):
                if s not in attrs and hasattr(value, s):
                    attrs[s] = getattr(value, s)
        for k in sorted(attrs):
            if k.startswith("__"):
                continue
            found.update(fields(attrs[k], L, f"{path}.{k}", depth + 1, seen))
    return found


def _kind(a: np.ndarray) -> str:
    return "c" if np.iscomplexobj(a) else "f" if np.issubdtype(a.dtype, np.floating) else "i"


# -- the reference -----------------------------------------------------------------------

@dataclass
class Reference:
    inputs: list                       # NumPy float64 arrays
    values: dict                       # path -> NumPy array (the forward)
    compared: list                     # the paths whose forward is compared
    weights: dict                      # path -> (w_re, w_im or None, finite mask)
    fd: list                           # finite-difference gradient per input
    scale: float                       # max |output| over the float fields
    seconds: float = 0.0


class ReferenceFailed(Exception):
    pass


def _np_fields(out, NP) -> dict:
    return {k: np.asarray(v) for k, v in fields(out, NP).items()}


def _loss_np(values: dict, weights: dict) -> float:
    total = 0.0
    for k, (w_re, w_im, mask) in weights.items():
        v = values.get(k)
        if v is None or v.shape != mask.shape:
            raise ReferenceFailed(f"the output's field {k} changed under perturbation")
        v = np.where(mask, v, 0)
        total += float(np.sum(w_re * np.real(v)))
        if w_im is not None:
            total += float(np.sum(w_im * np.imag(v)))
    return total


def reference(call, NP) -> Reference:
    t0 = time.perf_counter()
    inputs = call.inputs()

    def run(xs):
        with NP.active():
            return _np_fields(call.run(NP, [x.copy() for x in xs]), NP)
    try:
        values = run(inputs)
    except Exception as exc:
        raise ReferenceFailed(_describe(exc)) from exc
    rng = np.random.default_rng(1)
    weights, scale = {}, 0.0
    for k in sorted(values):
        v = values[k]
        kind = _kind(v)
        if kind == "i" or v.dtype == object:
            continue
        mask = np.isfinite(v)
        w_re = rng.standard_normal(v.shape)
        w_im = rng.standard_normal(v.shape) if kind == "c" else None
        weights[k] = (w_re, w_im, mask)
        if mask.any():
            scale = max(scale, float(np.max(np.abs(v[mask]))))
    fd = []
    for i, x in enumerate(inputs):
        g = np.zeros_like(x)
        if weights:
            for idx in np.ndindex(x.shape):
                plus = [a.copy() for a in inputs]
                minus = [a.copy() for a in inputs]
                plus[i][idx] += FD_EPS
                minus[i][idx] -= FD_EPS
                try:
                    lp = _loss_np(run(plus), weights)
                    lm = _loss_np(run(minus), weights)
                except ReferenceFailed:
                    raise
                except Exception as exc:
                    raise ReferenceFailed("finite differences: " + _describe(exc)) from exc
                g[idx] = (lp - lm) / (2 * FD_EPS)
        fd.append(g)
    compared = list(weights) or list(values)
    return Reference(inputs, values, compared, weights, fd, scale, time.perf_counter() - t0)


# -- one library -------------------------------------------------------------------------

@dataclass
class Result:
    status: str
    detail: str = ""
    seconds: float = 0.0
    notes: list = field(default_factory=list)

    def as_dict(self) -> dict:
        d = {"status": self.status, "detail": self.detail,
             "seconds": round(self.seconds, 3)}
        if self.notes:
            d["notes"] = self.notes
        return d


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:300] if text else ''}"


def _forward_mismatch(ref: Reference, got: dict, L) -> str | None:
    for k in ref.compared:
        want = ref.values[k]
        if k not in got:
            return f"field {k} missing"
        v = got[k]
        try:
            have = L.to_numpy(v) if L.is_array(v) else np.asarray(v)
        except Exception as exc:
            return f"field {k} cannot be read: {_describe(exc)}"
        if have.shape != want.shape:
            return f"field {k}: shape {have.shape} != {want.shape}"
        if want.dtype == object or have.dtype == object:
            if not all(a == b for a, b in zip(have.ravel(), want.ravel())):
                return f"field {k} differs"
            continue
        try:
            ok = np.allclose(have, want, rtol=FWD_RTOL, atol=FWD_ATOL, equal_nan=True)
        except TypeError:
            ok = np.array_equal(have, want)
        if not ok:
            with np.errstate(all="ignore"):
                diff = np.abs(have.astype(complex) - want.astype(complex))
            err = float(np.nanmax(diff)) if diff.size else 0.0
            return f"field {k}: max |diff| {err:.3g}"
    return None


def _loss(ref: Reference, got: dict, L, notes: list):
    xp = L.xp
    terms = []
    for k, (w_re, w_im, mask) in ref.weights.items():
        v = got[k]
        if not L.is_array(v):
            notes.append(f"{k} is a {type(v).__name__}, not a tensor")
            continue
        if not L.requires_grad(v):
            continue
        m = L.const(mask)
        if w_im is None:
            re = v if not xp.isdtype(v.dtype, "complex floating") else xp.real(v)
            terms.append(xp.sum(xp.where(m, re, xp.zeros_like(re)) * L.const(w_re)))
        else:
            re, im = xp.real(v), xp.imag(v)
            terms.append(xp.sum(xp.where(m, re, xp.zeros_like(re)) * L.const(w_re)))
            terms.append(xp.sum(xp.where(m, im, xp.zeros_like(im)) * L.const(w_im)))
    if not terms:
        return None
    loss = terms[0]
    for t in terms[1:]:
        loss = loss + t
    return loss


def run_library(call, L, ref: Reference) -> Result:
    t0 = time.perf_counter()
    notes: list = []

    def done(status, detail=""):
        return Result(status, detail, time.perf_counter() - t0, notes)

    try:
        leaves = [L.leaf(x) for x in ref.inputs]
        with L.active():
            out = call.run(L, leaves)
        got = fields(out, L)
    except Exception as exc:
        return done("refused" if L.refused(exc) else "error", _describe(exc))
    bad = _forward_mismatch(ref, got, L)
    if bad:
        return done("wrong forward", bad)
    try:
        loss = _loss(ref, got, L, notes)
        grads = L.grads(loss, leaves) if (loss is not None and leaves) else None
    except Exception as exc:
        # The forward matched; a backward that raises gives no gradient: wrong.
        status = "refused" if L.refused(exc) else "wrong"
        return done(status, "backward raised " + _describe(exc))
    fd_max = max((float(np.max(np.abs(g))) for g in ref.fd if g.size), default=0.0)
    if not leaves:
        return done("pass", "no differentiated argument: forward only")
    if grads is None or all(g is None for g in grads):
        if fd_max <= ZERO_RTOL * (1.0 + ref.scale):
            return done("pass", "no gradient; finite differences are zero")
        why = "; ".join(notes) if notes else "no output field has a grad_fn"
        return done("wrong", f"gradient missing ({why}), finite differences max {fd_max:.3g}")
    err = 0.0
    for g, fd in zip(grads, ref.fd):
        g = np.zeros_like(fd) if g is None else np.asarray(g, dtype=np.float64).reshape(fd.shape)
        if fd.size:
            with np.errstate(invalid="ignore"):
                e = float(np.max(np.abs(g - fd)))
            err = max(err, e if math.isfinite(e) else math.inf)
    tol = GRAD_RTOL * fd_max + GRAD_ATOL
    if err <= tol:
        return done("pass")
    extra = f" ({'; '.join(notes)})" if notes else ""
    return done("wrong", f"gradient off: max |g - fd| {err:.3g} > tol {tol:.3g}{extra}")


def check(call, libraries: list, NP, report=None) -> dict:
    """Reference, then each library; ``report(kind, payload)`` is told each step as it
    finishes (the worker streams them, so a hang loses only the step that hangs)."""
    report = report or (lambda kind, payload: None)
    if call.harness:
        for L in libraries:
            report(L.name, Result("error", "harness: " + call.harness).as_dict())
        return {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            try:
                ref = reference(call, NP)
            except ReferenceFailed as exc:
                report("reference", {"status": "n/a", "detail": "numpy fails: " + str(exc)})
                return {}
            except Exception as exc:
                report("reference", {"status": "n/a",
                                     "detail": "numpy fails: " + _describe(exc)})
                return {}
            n = int(sum(x.size for x in ref.inputs))
            report("reference", {"status": "ok", "seconds": round(ref.seconds, 3),
                                 "inputs": n, "fields": len(ref.values),
                                 "float_fields": len(ref.weights)})
            for L in libraries:
                try:
                    res = run_library(call, L, ref)
                except Exception as exc:   # a bug of the harness itself
                    res = Result("error", "harness: " + _describe(exc) + " | " +
                                 traceback.format_exc(limit=2).replace("\n", " "))
                report(L.name, res.as_dict())
    return {}
