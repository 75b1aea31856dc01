"""Which array namespace is current, and what arraygrad knows about each.

The backend is chosen by configuration, never by editing code:

* the environment variable ``ARRAYGRAD_BACKEND`` (read once, at first use);
* ``arraygrad.set_backend(name)`` for the whole process;
* ``with arraygrad.use_backend(name):`` for a block (per thread and per asyncio task).

Tensors made from an existing backend array keep that array's backend. The facts about
each backend live in its profile, the project's ``backends/<name>.toml`` (see
``backends.profile_dir`` for where an installed copy finds them).
"""
from __future__ import annotations

import contextlib
import importlib
import os
import threading
from contextvars import ContextVar

import array_api_compat

from . import dtypes as _dt
from .backends import (DIRECT, EVALUATE_TOGETHER, HOST_COPY, LAYOUT, OWNS_BUFFER, SPREAD_VALUE,
                       WRITES_IN_PLACE, adopt, profiles, random_array, write_into)
from .backends import seed  # noqa: F401  (arraygrad.manual_seed reaches it here)
from .backends.adapters import install
from .backends.namespace import RuleNamespace
from .backends.special import BackendSpecial, SpecialFunctions

ENV_VAR = "ARRAYGRAD_BACKEND"
DEFAULT = "numpy"


class BackendUnavailable(ImportError):
    """The named backend is known but cannot be used on this machine."""


class Backend:
    """One array library as arraygrad sees it: its Array API namespace, its dtypes and
    devices, and the adapters from its profile."""

    def __init__(self, name: str, xp, profile: dict):
        self.name = name
        self.xp = xp
        self.profile = profile
        self.host_copy = HOST_COPY[profile["host_copy"]]
        # A lazy backend: [arrays] -> [NumPy arrays], evaluated in one pass (else None).
        self.evaluate_together = EVALUATE_TOGETHER.get(profile["host_copy"])
        # The backends whose tensors this one takes in when they meet (profile
        # ``takes_in``): Dask takes in NumPy, as Dask itself does.
        self.takes_in = frozenset(profile.get("takes_in", ()))
        self._layout = LAYOUT.get(profile.get("layout"))
        self.owns_buffer = OWNS_BUFFER[profile["mutation"]]
        # Whether an array's shape may hold NaN for a size not known yet (Tensor.shape).
        self.unknown_sizes = profile.get("unknown_sizes", False)
        info = xp.__array_namespace_info__()
        self.default_device = info.default_device()
        self._refresh_dtypes()
        self._write_into = write_into(name)
        self.ns = self._rule_namespace()

    def _rule_namespace(self):
        """The namespace handed to rules (and forwards) as ``xp`` on this backend."""
        xp, write = self.xp, self._write_into
        ns = RuleNamespace(
            xp,
            is_complex=lambda a: a.dtype in self.complex_natives,
            native=self.native,
            setitem=lambda a, key, value: write(xp.asarray(a, copy=True), key, value),
            zeros_like_shape=lambda g, shape: xp.zeros(
                shape, dtype=g.dtype, device=array_api_compat.device(g)),
            writable=self.owns_buffer if self.profile["mutation"] in WRITES_IN_PLACE else None,
            spread_value=SPREAD_VALUE.get(self.profile.get("spread_value")))
        ns.to_device = array_api_compat.to_device
        ns.write_into = write
        if self._layout is not None:
            ns.expand_to = self._expand_in_layout
        ns.special = BackendSpecial(ns, SpecialFunctions(self.name, xp, self.profile,
                                                          self.host_copy))
        if not self.profile.get("negative_step_slices", True):
            ns.getitem = ns.getitem_via_flip
        # xp.linalg and xp.fft: the adapters the profile names where the library's own
        # fall short of the standard (see backends/adapters.py).
        install(ns, self.profile)
        if "direct" in self.profile:  # see backends.DIRECT
            for name, fn in DIRECT[self.profile["direct"]](xp).items():
                setattr(ns, name, fn)
        return ns

    def _expand_in_layout(self, g, shape, layout):
        if layout is None or any(n != n for n in shape):  # unknown sizes: Dask's NaN
            return self.xp.broadcast_to(g, shape)
        return self._layout[1](g, shape, layout)

    def _refresh_dtypes(self) -> None:
        info = self.xp.__array_namespace_info__()
        natives = info.dtypes()
        self.to_native = {_dt.BY_NAME[k]: v for k, v in natives.items() if k in _dt.BY_NAME}
        self.from_native = {v: k for k, v in self.to_native.items()}
        # An array's .dtype may be a different object from the info's (a NumPy scalar
        # type versus a dtype instance): register both spellings.
        for ours, native in list(self.to_native.items()):
            actual = self.xp.empty((0,), dtype=native).dtype
            self.from_native.setdefault(actual, ours)
        defaults = info.default_dtypes()
        self.default_float = self.from_native[defaults["real floating"]]
        self.default_complex = self.from_native[defaults["complex floating"]]
        self.default_int = self.from_native[defaults["integral"]]
        self.default_index = self.from_native[defaults["indexing"]]
        self.complex_natives = frozenset(
            n for n, d in self.from_native.items() if d.kind == "complex floating")

    def layout(self, array):
        """How ``array`` is laid out beyond its shape (a profile's ``layout``: Dask's
        chunks), or None."""
        return None if self._layout is None else self._layout[0](array)

    def take_in(self, array):
        """An array of a backend named in ``takes_in`` as one of this backend (a Dask
        array of one chunk around a NumPy array: nothing is copied or computed)."""
        return self.xp.asarray(array)

    def native(self, dtype):
        """The backend's dtype object for an arraygrad dtype (or a backend dtype)."""
        if dtype is None:
            return None
        if isinstance(dtype, _dt.DType):
            try:
                return self.to_native[dtype]
            except KeyError:
                self._refresh_dtypes()  # e.g. jax_enable_x64 was switched on since
                if dtype in self.to_native:
                    return self.to_native[dtype]
                raise TypeError(f"the {self.name} backend has no {dtype.name}") from None
        if dtype in self.from_native:
            return dtype
        raise TypeError(f"{dtype!r} is not a data type of the {self.name} backend")

    def dtype(self, dtype) -> _dt.DType:
        """The arraygrad dtype for an arraygrad or backend dtype."""
        return dtype if isinstance(dtype, _dt.DType) else self.from_native[self.native(dtype)]

    def dtype_of(self, array) -> _dt.DType:
        native = array.dtype
        try:
            return self.from_native[native]
        except KeyError:
            self._refresh_dtypes()
            if native in self.from_native:
                return self.from_native[native]
            raise TypeError(f"arrays of dtype {native} are not supported by arraygrad") from None

    def adopt(self, array):
        return adopt(self.name, array)

    def to_host(self, array):
        """A host NumPy array with the values of ``array`` (may share memory)."""
        return self.host_copy(array)

    def random(self, kind: str, shape: tuple, dtype: _dt.DType, device=None):
        """Random samples as an array of this backend (see ``backends.random_array``)."""
        return random_array(self.xp, kind, shape, self.native(dtype), device, dtype.is_complex)

    def __repr__(self) -> str:
        return f"<arraygrad backend {self.name!r}>"

    def __reduce__(self):
        # One Backend per name and process: pickled by name, and copy.copy/deepcopy keep
        # it (its namespace is a module, which cannot be pickled or copied).
        return (get_backend, (self.name,))

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self


_loaded: dict[str, Backend] = {}
_by_namespace: dict[str, str] = {}
_global_name: str | None = None
_override: ContextVar[Backend | None] = ContextVar("arraygrad_backend", default=None)
# Held while a backend is built (re-entrant: building one may look up another).
_loading = threading.RLock()


def available_names() -> tuple[str, ...]:
    """The names of the backend profiles, installed or not."""
    return tuple(profiles())


def get_backend(name: str) -> Backend:
    """The backend called ``name``, loading it on first use.

    Thread-safe: the first use builds one ``Backend`` under a lock, so tensors that
    several threads make at once all share it (and can be combined); every later call
    is a dict lookup, without the lock."""
    backend = _loaded.get(name)
    if backend is not None:
        return backend
    with _loading:
        backend = _loaded.get(name)  # another thread may have built it meanwhile
        if backend is not None:
            return backend
        return _load(name)


def _load(name: str) -> Backend:
    all_profiles = profiles()
    if name not in all_profiles:
        raise ValueError(
            f"unknown arraygrad backend {name!r}: choose one of {', '.join(all_profiles)}")
    profile = all_profiles[name]
    try:
        for module in profile["requires"]:
            importlib.import_module(module)
        xp = importlib.import_module(profile["namespace"])
    except ImportError as exc:
        raise BackendUnavailable(
            f"the {name!r} backend is not installed ({exc}); install it with: "
            f"{profile['install']}") from exc
    if profile["needs_gpu"]:
        _require_gpu(name, xp)
    backend = Backend(name, xp, profile)
    _by_namespace[xp.__name__] = name
    _loaded[name] = backend  # published last: a lookup that finds it finds it whole
    return backend


def _require_gpu(name: str, xp) -> None:
    try:
        xp.zeros(1)
    except Exception as exc:
        raise BackendUnavailable(
            f"the {name!r} backend needs an NVIDIA GPU with a working CUDA driver: {exc}") from exc


def current() -> Backend:
    """The backend new tensors are made on."""
    backend = _override.get()
    if backend is not None:
        return backend
    return get_backend(_global_name or os.environ.get(ENV_VAR) or DEFAULT)


def set_backend(name: str) -> None:
    """Make ``name`` the backend for new tensors in the whole process."""
    global _global_name
    get_backend(name)
    _global_name = name


@contextlib.contextmanager
def use_backend(name: str):
    """Make ``name`` the backend for new tensors inside a ``with`` block."""
    token = _override.set(get_backend(name))
    try:
        yield _override.get()
    finally:
        _override.reset(token)


def backend_of_array(array) -> Backend:
    """The backend of a raw array of any Array API library."""
    try:
        xp = array_api_compat.array_namespace(array)
    except TypeError:
        raise TypeError(f"{type(array).__module__}.{type(array).__qualname__} is not an array "
                        "of any Array API library arraygrad knows") from None
    name = _by_namespace.get(xp.__name__)
    if name is None:
        name = next((n for n, p in profiles().items() if p["namespace"] == xp.__name__), None)
        if name is None:
            raise TypeError(f"arrays of namespace {xp.__name__} have no arraygrad backend profile")
    return get_backend(name)


def is_backend_array(value) -> bool:
    """Whether ``value`` is an array of some Array API library (not a Python scalar)."""
    return array_api_compat.is_array_api_obj(value) and not isinstance(value, (int, float, complex))

