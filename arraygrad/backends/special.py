"""Where each backend's special functions come from (the ``[special]`` table of its
profile), for ``arraygrad.special``.

A profile names the library module that holds the backend's own special functions
(``module``), the names that differ from SciPy's (``names``), and what to do for a
function that module lacks (``fallback``):

* ``"host"``: SciPy on a host NumPy copy, and the result brought back to the input's
  device (NumPy-compatible memory only: a CPU tensor, not a CUDA one);
* ``"blocks"``: SciPy on each block of a Dask array, so the result stays lazy (the
  functions are element-wise, so a block's result depends on that block alone);
* absent: the function is missing on this backend, and the error says so.

The functions here take and return the backend's raw arrays; dtypes, broadcasting of
Python numbers and gradients are ``arraygrad.ops.special``'s business.
"""
from __future__ import annotations

import functools
import importlib

import array_api_compat

import numpy as np

SCIPY_INSTALL = "pip install scipy  (or: pip install 'arraygrad[special]')"


class SpecialFunctionUnavailable(NotImplementedError):
    """A special function the backend's library does not have."""


def _scipy_special():
    try:
        return importlib.import_module("scipy.special")
    except ImportError as exc:
        raise SpecialFunctionUnavailable(
            f"arraygrad.special needs SciPy on this backend ({exc}); install it with: "
            f"{SCIPY_INSTALL}") from exc


class SpecialFunctions:
    """The special functions of one backend, on its raw arrays: ``funcs.erf(x)``.

    Looked up once per name, on first use."""

    def __init__(self, backend_name: str, xp, profile: dict, host_copy):
        spec = profile.get("special", {})
        self._backend = backend_name
        self._xp = xp
        self._module_name = spec.get("module")
        self._names = spec.get("names", {})
        self._fallback = spec.get("fallback")
        self._host_copy = host_copy

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        fn = self._resolve(name)
        setattr(self, name, fn)  # found once: later lookups skip __getattr__
        return fn

    def _resolve(self, name: str):
        if self._module_name is not None:
            module = (_scipy_special() if self._module_name == "scipy.special"
                      else importlib.import_module(self._module_name))
            fn = getattr(module, self._names.get(name, name), None)
            if fn is not None:
                return fn
        if self._fallback == "host":
            return functools.partial(_on_host, getattr(_scipy_special(), name), name,
                                     self._backend, self._xp, self._host_copy)
        if self._fallback == "blocks":
            return functools.partial(_on_blocks, getattr(_scipy_special(), name))
        where = self._module_name or "its library"
        raise SpecialFunctionUnavailable(
            f"special function {name!r} is not available on the {self._backend!r} backend "
            f"({where} has no {self._names.get(name, name)!r})")


def _on_host(fn, name, backend_name, xp, host_copy, *args):
    """``fn`` (SciPy's) on host copies of ``args``, the result back beside them."""
    arrays = [a for a in args if hasattr(a, "shape")]
    device = getattr(arrays[0], "device", None) if arrays else None
    if device is not None and backend_name == "torch" and device.type != "cpu":
        raise SpecialFunctionUnavailable(
            f"special function {name!r} is not available on the torch backend on "
            f"{device}: torch.special lacks it, and SciPy's runs only on CPU tensors")
    out = fn(*[host_copy(a) if hasattr(a, "shape") else a for a in args])
    if device is None:
        return xp.asarray(out)
    return xp.asarray(np.asarray(out), device=device)


def _on_blocks(fn, *args):
    """``fn`` on each block of Dask arrays (element-wise: blocks are independent). The
    result's dtype is the floating arguments' (as ``arraygrad.ops.special.call`` made
    them), given so that Dask does not call ``fn`` on empty arrays to find it."""
    from dask.array.core import elemwise
    floating = [a.dtype for a in args if getattr(a, "dtype", None) is not None
                and a.dtype.kind in "fc"]
    return elemwise(fn, *args, dtype=np.result_type(*floating) if floating else np.float64)


# -- calling them on raw arrays ------------------------------------------------------

_PY_NUMBERS = (int, float, complex, bool)

# Per function, the positions of its integer arguments (passed to the backend as given).
INTEGER_POSITIONS: dict[str, tuple] = {}


class BackendSpecial:
    """A backend's special functions as rules and forwards call them on raw arrays:
    ``xp.special.erf(x)``. Each call brings the floating arguments to one dtype and
    the result to it (see ``call``)."""

    def __init__(self, xp, functions):
        self._xp = xp
        self._functions = functions

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        fn = functools.partial(call, self._xp, getattr(self._functions, name),
                               INTEGER_POSITIONS.get(name, ()))
        setattr(self, name, fn)
        return fn


def call(xp, fn, integers, *args):
    """``fn(*args)`` on raw arrays with the floating arguments (Python numbers and
    integer arrays included) brought to their common floating dtype first: some
    libraries take no Python numbers (torch's ``igamma``) and some compute only in
    float64 (SciPy's double-only loops). The arguments at ``integers`` pass as given."""
    floating = [a for i, a in enumerate(args) if i not in integers]
    arrays = [a for a in floating if a.__class__ not in _PY_NUMBERS]
    dtype = xp.result_type(*arrays) if arrays else None
    if dtype is None or not xp.isdtype(dtype, ("real floating", "complex floating")):
        complex_number = any(a.__class__ is complex for a in floating)
        dtype = xp.asarray(0j if complex_number else 0.0).dtype  # the backend's default
    device = array_api_compat.device(arrays[0]) if arrays else None
    prepared = []
    for i, a in enumerate(args):
        if i not in integers:
            if a.__class__ in _PY_NUMBERS:
                a = xp.asarray(a, dtype=dtype, device=device)
            elif a.dtype != dtype:
                a = xp.astype(a, dtype)
        prepared.append(a)
    out = fn(*prepared)
    return out if out.dtype == dtype else xp.astype(out, dtype)
