"""Backend profiles: the declarative facts about each array library, and the few
adapters the Array API standard leaves to the implementation.

Each ``<name>.toml`` in the project's top-level ``backends/`` folder is one backend's
profile (see numpy.toml for the fields); ``profile_dir`` says where they are found:
inside an installed package (the wheel carries them as ``arraygrad/_profiles/``), or
the project's ``backends/`` itself when arraygrad runs from its source tree (a checkout
or an editable install). The package, the tests and the conformance suite read the
same files. Backend-specific code lives in this package and nowhere else: the
adapters below (how to make a host NumPy copy, when an array may be written in place,
how to take in a foreign array), the rule namespace (``namespace.py``), the linalg and
fft adapters a profile selects (``adapters.py``) and the special functions
(``special.py``).
"""
from __future__ import annotations

import sys
from functools import cache
from operator import attrgetter
from pathlib import Path

import numpy as np

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

# The arraygrad package folder, and the folder inside it where the wheel puts the
# profiles (pyproject.toml maps the project's backends/ there).
PACKAGE_DIR = Path(__file__).resolve().parent.parent
INSTALLED_PROFILES = "_profiles"


def profile_dir(package_dir: Path = PACKAGE_DIR) -> Path:
    """The folder of backend profiles: ``arraygrad/_profiles/`` in an installed wheel,
    else the project's ``backends/`` beside the package in a source tree (a checkout,
    or an editable install, which imports the package from the checkout)."""
    installed = package_dir / INSTALLED_PROFILES
    if installed.is_dir():
        return installed
    source = package_dir.parent / "backends"
    # The source tree's pyproject.toml beside it: never some other "backends" folder
    # (say, a package of that name in site-packages).
    if source.is_dir() and (package_dir.parent / "pyproject.toml").is_file():
        return source
    raise FileNotFoundError(
        f"arraygrad's backend profiles are missing: looked in {installed} (an installed "
        f"wheel) and {source} (a source checkout, beside pyproject.toml). Reinstall "
        f"arraygrad, or run it from a complete checkout.")


@cache
def profiles() -> dict[str, dict]:
    """Every backend profile, keyed by backend name, in a stable order."""
    folder = profile_dir()
    found = {}
    for path in sorted(folder.glob("*.toml")):
        with path.open("rb") as f:
            profile = tomllib.load(f)
        found[profile["name"]] = profile
    if not found:
        raise FileNotFoundError(f"arraygrad's backend profiles are missing: no *.toml "
                                f"in {folder}")
    return found


def _dask_compute(arrays):
    import dask
    return [np.asarray(a) for a in dask.compute(*arrays)]


# How a lazy backend evaluates several arrays at once, sharing the work they have in
# common (a loss and the gradients of its parameters: one pass over the data), keyed
# like HOST_COPY; eager backends have no entry.
EVALUATE_TOGETHER = {"compute": _dask_compute}


def _dask_expand(g, shape, chunks):
    """``g`` broadcast to ``shape``: the new and the size-1 axes in ``chunks`` (the
    input's), the others in ``g``'s own (Dask cannot rechunk while broadcasting).

    Made by ``map_blocks``, whose Blockwise layers Dask's optimiser fuses, rather than
    by ``da.broadcast_to``, whose layer it cannot fuse: each output block is a stride-0
    view of ``g``'s block, made inside the task of the rule that consumes it. On issue
    14's logistic step (a 0-d loss gradient spread over the rows) that saves a task
    per row block."""
    import dask.array as da
    g = da.asarray(g)
    lead = len(shape) - g.ndim
    wanted = tuple(chunks[i] if i < lead or g.shape[i - lead] == 1 else g.chunks[i - lead]
                   for i in range(len(shape)))
    spread = [i for i in range(len(shape))
              if i < lead or (g.shape[i - lead] == 1 and shape[i] != 1)]
    if len(spread) > lead:  # size-1 axes too: map_blocks needs them gone from ``g``
        g = g.reshape(tuple(n for i, n in enumerate(g.shape) if i + lead not in spread))
    return da.map_blocks(_spread_block, g, spread, new_axis=spread, chunks=wanted,
                         dtype=g.dtype, meta=da.utils.meta_from_array(g, ndim=len(shape)))


def _spread_block(block, axes, block_info=None):
    """One block of ``_dask_expand``: ``block`` with ``axes`` put back as size 1,
    broadcast (a view) to its output block's shape."""
    from array_api_compat import array_namespace
    shape = block_info[None]["chunk-shape"]
    sizes = iter(block.shape)
    grown = tuple(1 if i in axes else next(sizes) for i in range(len(shape)))
    return array_namespace(block).broadcast_to(block.reshape(grown), shape)


# A backend whose arrays have a layout beyond their shape (profile ``layout``): how to
# read it from an array, and how to broadcast a gradient to an input's shape in that
# layout. A reduction's gradient is its output's broadcast over the input: on Dask,
# made in the input's chunks it fuses into the rules that consume it, where a broadcast
# of one chunk would be computed whole and then split to meet them.
LAYOUT = {"chunks": (lambda a: a.chunks, _dask_expand)}

def _dask_host(a):
    """A Dask array's values on the host. One that holds them in its graph, as a single
    NumPy chunk (``da.asarray`` of a NumPy array: a loss whose value backward has
    computed, see ``autograd.landing``), is read from the graph: ``compute`` would send
    that one task to a distributed scheduler and back, about 15 ms per ``loss.item()``
    on a ``LocalCluster`` (``python -m benchmarks.distributed``)."""
    graph = a.__dask_graph__()
    if len(graph) == 1:
        (value,) = graph.values()
        if isinstance(value, np.ndarray) and value.shape == a.shape:
            return value
    return np.asarray(a.compute())


# How to make a host NumPy array from a backend array (profile field ``host_copy``).
HOST_COPY = {
    "asarray": np.asarray,
    "dlpack": np.from_dlpack,
    "compute": _dask_host,
    "cupy": lambda a: a.get(),
    "torch": lambda a: a.detach().cpu().resolve_conj().resolve_neg().numpy(),
}

def _numpy_direct(xp) -> dict:
    """NumPy's own functions where array-api-compat's wrapper only passes the call on
    (two Python calls more: ``matmul`` measured 16.8 against 16.0 µs for 128x256 @
    256x10 float32, and 0.5 µs on 3 elements); ``matrix_transpose`` as the array's own
    ``.mT`` (NumPy 2; a ValueError below 2 dimensions, as the standard asks), read by
    ``attrgetter`` without a Python frame, where NumPy's function takes three;
    ``ones_like`` (backward's seed) without compat's device check;
    ``broadcast_to`` as a strided view (``_numpy_broadcast_view``); ``sum``
    as the ``add.reduce`` that ``numpy.sum`` ends in, without its two Python frames and
    its ``__array_function__`` dispatch (1.5 of ``numpy.sum``'s 2.5 µs on 3 elements;
    a sum's forward and the rules' sums both run it: the MLP step makes five)."""
    import numpy
    direct = {"matmul": numpy.matmul, "ones_like": numpy.ones_like}
    if hasattr(numpy.ndarray, "mT"):
        direct["matrix_transpose"] = attrgetter("mT")
    add_reduce = numpy.add.reduce

    def sum(x, /, *, axis=None, dtype=None, keepdims=False):
        # ufunc.reduce's own default axis is 0, not None: always passed.
        return add_reduce(x, axis, dtype, None, keepdims)
    direct["sum"] = sum
    direct["broadcast_to"] = _numpy_broadcast_view(numpy)
    return direct


def _numpy_broadcast_view(numpy):
    """``broadcast_to`` for a C-contiguous ndarray as the read-only view NumPy's gives,
    made by the ndarray constructor over the array's own buffer with the broadcast
    axes' strides set to 0: 1.4-1.7 against 2.8-2.9 µs, where ``numpy.broadcast_to``
    builds an ``nditer``. Sum's rule spreads every reduced gradient this way (three
    times a step of W2). Anything else (another layout, a subclass, a NumPy scalar,
    shapes that do not broadcast, for NumPy's own error) goes to NumPy's."""
    ndarray, broadcast_to = numpy.ndarray, numpy.broadcast_to

    def broadcast_view(x, /, shape):
        if x.__class__ is not ndarray or not x.flags.c_contiguous:
            return broadcast_to(x, shape)
        lead = len(shape) - x.ndim
        if lead < 0:
            return broadcast_to(x, shape)
        strides = [0] * lead
        for n, m, stride in zip(x.shape, shape[lead:], x.strides):
            if n == m:
                strides.append(stride)
            elif n == 1:
                strides.append(0)
            else:
                return broadcast_to(x, shape)
        view = ndarray(shape, x.dtype, x, 0, strides)
        view.flags.writeable = False  # as NumPy's: a write would land in every copy
        return view
    return broadcast_view


def _torch_direct(xp) -> dict:
    """torch's own functions for the calls in which they already do what the standard
    says, array-api-compat's wrappers for the others. The wrappers exist for mixed
    dtypes (torch promotes differently, or not at all) and for the corners the
    comments name; for the calls rules and forwards make nearly always (operands of
    one dtype) they only cost: compat's ``matmul`` takes 7.4 µs where ``torch.matmul``
    takes 1.9 µs on 3-element float64 vectors, as it asks ``result_type`` twice."""
    import torch
    wrapped_matmul, wrapped_where, wrapped_sum = xp.matmul, xp.where, xp.sum

    def matmul(x1, x2, /):
        if isinstance(x1, torch.Tensor) and isinstance(x2, torch.Tensor) \
                and x1.dtype == x2.dtype:
            return torch.matmul(x1, x2)
        return wrapped_matmul(x1, x2)

    def matrix_transpose(x, /):
        if x.ndim < 2:
            raise ValueError("x must be at least 2-dimensional for matrix_transpose")
        return torch.transpose(x, -1, -2)

    def where(condition, x1, x2, /):
        if isinstance(x1, torch.Tensor) and isinstance(x2, torch.Tensor) \
                and x1.dtype == x2.dtype:
            return torch.where(condition, x1, x2)
        return wrapped_where(condition, x1, x2)

    def sum(x, /, *, axis=None, dtype=None, keepdims=False):
        if axis is None or axis == ():  # torch has no keepdims there; () copies
            return wrapped_sum(x, axis=axis, dtype=dtype, keepdims=keepdims)
        return torch.sum(x, axis, dtype=dtype, keepdim=keepdims)

    return {"matmul": matmul, "matrix_transpose": matrix_transpose, "where": where,
            "sum": sum}


# The backend's own functions that replace array-api-compat's in the namespace rules and
# forwards run in (profile field ``direct``): the hot calls of the benchmarks, each where
# the library already does what the standard says (measured in each docstring).
DIRECT = {"numpy": _numpy_direct, "torch": _torch_direct}


def _numpy_spread_value(a):
    """The value a NumPy array holds everywhere when it is one element spread over its
    shape (every stride 0: a broadcast), as a Python number; else None."""
    if a.ndim and a.size and not any(a.strides):
        return a.item(0)
    return None


def _torch_spread_value(a):
    """As ``_numpy_spread_value``, for torch tensors in host memory (reading a device
    tensor's value would wait for the device)."""
    if a.ndim and a.device.type == "cpu" and a.numel() and not any(a.stride()):
        return a[(0,) * a.ndim].item()
    return None


# How to read the one value of an array that is a single element spread over its shape
# (profile field ``spread_value``), for backends where that is cheap: see
# ``RuleNamespace.times``. Lazy and device backends have none.
SPREAD_VALUE = {"numpy": _numpy_spread_value, "torch": _torch_spread_value}


# Whether writing into an array in place can only affect that array (profile field
# ``mutation``). Arraygrad adds its own check that nothing else holds the array; these
# say whether the buffer could still be shared through a view.
OWNS_BUFFER = {
    "owned_base": lambda a: getattr(a, "base", None) is None,
    "torch_view": lambda a: not a._is_view(),
    # In-place operators on immutable arrays rebind to a new array: always safe.
    "immutable": lambda a: True,
    # Never write in place: every in-place operator makes a new array.
    "copy": lambda a: False,
}

# The mutation kinds whose arrays ``a[key] = value`` writes into, in their own memory
# (where OWNS_BUFFER says so): the others make a new array, or must not be written.
WRITES_IN_PLACE = frozenset({"owned_base", "torch_view"})


def adopt(name: str, array):
    """Take in an array of backend ``name`` so arraygrad's graph is the only graph."""
    if name == "torch" and array.requires_grad:
        return array.detach()
    return array


def pickle_array(name: str, array):
    """The array to pickle for a tensor of backend ``name``: the array itself (every
    backend's arrays pickle), except a PyTorch view, which would carry its whole base's
    storage along: its own values then."""
    if name == "torch" and array._is_view():
        return array.clone()
    return array


# The random source for every backend: one NumPy PCG64 stream whose numbers are copied
# to the backend's device, so one seed gives the same numbers on every backend.
_generator = np.random.default_rng()


def seed(value: int) -> None:
    global _generator
    _generator = np.random.default_rng(value)


def get_rng_state() -> dict:
    """A copy of the stream's state, to go back to with ``set_rng_state``."""
    return _generator.bit_generator.state


def set_rng_state(state: dict) -> None:
    _generator.bit_generator.state = state


def random_array(xp, kind: str, shape: tuple, dtype, device, is_complex: bool):
    """Samples from ``kind`` ("normal" or "uniform") as a backend array of ``dtype``;
    complex ones draw the real and imaginary parts independently."""
    draw = _generator.standard_normal if kind == "normal" else _generator.random
    host = draw(shape)
    if is_complex:
        host = host + 1j * draw(shape)
    return xp.asarray(host, dtype=dtype, device=device)


def write_into(name: str):
    """``write(array, key, value) -> array``: ``array`` with ``value`` at ``key``, written
    in place where the backend allows it (the array must be one nobody else holds)."""
    if name == "jax":
        return lambda a, key, value: a.at[key].set(value)

    def write(a, key, value):
        a[key] = value
        return a
    return write
