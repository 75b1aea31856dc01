"""``python -m benchmarks --count``: count the array work of one step, call by call.

Times say how long a step took; this says what it did. For one step of a workload
(after one warm-up step that is also the gradient check), every NumPy call that does
array work is recorded with its inputs' shapes and dtypes, its output, the bytes it
reads and the bytes it writes, for hand-written NumPy and for the libraries that run
on NumPy arrays (arraygrad[numpy]; MyGrad and HIPS autograd where installed). The
report lists the calls, totals them by kind, and sets each library beside the
hand-written step: the calls and bytes it adds.

How the calls are caught. The step runs on arrays of ``Counted``, an ``ndarray``
subclass, and every array made from one stays one:

* ufuncs, as functions or operators (``np.tanh(a)``, ``a * b``, ``a -= b``,
  ``-a``, ``a @ b``) and their methods (``np.add.reduce``): ``__array_ufunc__``;
* the NumPy functions that dispatch on their arguments (``np.sum``, ``np.max``,
  ``np.broadcast_to``, ``np.reshape``, ``np.where``, ...): ``__array_function__``;
* the ndarray methods that do work or make views without going through either
  (``astype copy reshape transpose .T .mT __getitem__ __setitem__``, the reduction
  methods, ...): overridden on ``Counted``;
* the namespace functions, ufuncs aside (``asarray zeros ones_like broadcast_to
  reshape where sum``... : every function of the standard's namespace, and those that
  make arrays from nothing or convert, ``CREATION``): wrapped by name, for the step
  only, on the ``numpy`` module, on ``array_api_compat.numpy`` (arraygrad's NumPy
  namespace) and on arraygrad's rule namespace object, which copied that module's
  functions when it was built. This catches what has no Counted argument to dispatch
  on: arrays made from shapes or Python values, and calls on NumPy scalars (a full
  reduction's result). Their results are made ``Counted``.

Only the outermost call is recorded: ``np.sum`` is one call, not also the
``add.reduce`` it runs, and a namespace wrapper is counted as the NumPy calls it
makes. A result that NumPy makes fresh is wrapped so that it still reads as owning
its memory (``.base is None``): arraygrad's fast paths that write into arrays nobody
else holds take the same branches as on plain arrays.

Conventions for bytes:

* an array operand is read once per operand (``h * h`` reads ``h`` twice), all its
  distinct elements: a stride-0 (broadcast) view reads the elements it has, not its
  shape's; Python and NumPy scalars read 0 bytes;
* a result is written whole (distinct elements times item size); a result that is a
  view of an input (shares its memory) reads and writes 0 and is marked ``view``;
* an ``out=``/in-place call (``p -= lr * g``, ``a[k] = v``) writes its target (the
  selected elements for ``a[k] = v``) and is marked ``in-place``; its target is read
  only where the operation reads it (``-=`` does, ``a[k] = v`` does not);
* ``x @ w`` reads each operand once (what caches save or repeat is not modelled).

Not caught: arithmetic on NumPy scalars alone (``loss / n`` where ``loss`` is the
NumPy scalar a full reduction returns), and a ufunc called through a namespace with
scalars only (``xp.exp(np.float32(1))``); array work inside C extensions that do not
call back into NumPy's Python-visible API (BLAS's own buffers, ``scipy`` kernels);
arrays that a library makes through a function captured before the step (a reference
to ``np.asarray`` taken at import, as arraygrad's ``HOST_COPY`` holds) when their
inputs are not ``Counted``; non-NumPy arrays (torch, JAX: those libraries are listed
as not countable). The check that the step stayed on ``Counted`` arrays
(``escaped``) says whether the loss and the gradients did.
"""
from __future__ import annotations

import inspect
import json
import math
import sys
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from .compare import check, reference_values
from .session import Session

# Libraries whose arrays are NumPy's: the counter can see their work.
COUNTABLE = ("numpy", "arraygrad[numpy]", "mygrad", "autograd")
DEFAULT_LIBS = ("numpy", "arraygrad[numpy]")
DEFAULT_WORKLOADS = ("W2",)

# Functions that make or convert arrays without dispatching on a Counted argument:
# patched by name on NumPy, beside the standard's functions (see ``patched``).
CREATION = ("asarray", "array", "asanyarray", "ascontiguousarray", "zeros", "ones",
            "empty", "full", "eye", "arange", "linspace", "zeros_like", "ones_like",
            "empty_like", "full_like", "from_dlpack")

# Functions that read only their arguments' shapes and dtypes: 0 bytes read.
_READS_NOTHING = frozenset({"zeros_like", "ones_like", "empty_like", "full_like"})

# NumPy functions that only answer questions about arrays (no array work): not recorded.
_METADATA = frozenset({"shape", "ndim", "size", "result_type", "can_cast", "may_share_memory",
                       "shares_memory", "iscomplexobj", "isrealobj", "min_scalar_type",
                       "array_equal", "isdtype"})


# -- the record ---------------------------------------------------------------------

@dataclass
class Call:
    name: str        # "multiply", "matmul", "sum", "astype", "getitem", ...
    inputs: list     # "f32[128,784]" per array operand, "scalar" per number
    output: str      # the same for the result ("—" for none)
    read: int        # bytes read
    written: int     # bytes written
    note: str = ""   # "view", "in-place" or ""
    site: str = ""   # where the library made the call: "arraygrad/ops/elementwise.py:46"

    @property
    def kind(self) -> str:
        return self.name + (f" ({self.note})" if self.note else "")

    def signature(self) -> tuple:
        return (self.kind, tuple(self.inputs), self.output)

    def as_dict(self) -> dict:
        return {"name": self.name, "inputs": self.inputs, "output": self.output,
                "read": self.read, "written": self.written, "note": self.note,
                "site": self.site}


class _Recorder:
    """The calls of the step being counted; ``depth`` > 0 inside a counted call, whose
    inner calls are not recorded again."""

    def __init__(self):
        self.active = False
        self.depth = 0
        self.calls: list[Call] = []


_REC = _Recorder()


@contextmanager
def _call():
    """``with _call() as outermost:``; ``outermost`` says whether to record it."""
    outermost = _REC.active and _REC.depth == 0
    _REC.depth += 1
    try:
        yield outermost
    finally:
        _REC.depth -= 1


_SHORT = {"float16": "f16", "float32": "f32", "float64": "f64", "complex64": "c64",
          "complex128": "c128", "int8": "i8", "int16": "i16", "int32": "i32",
          "int64": "i64", "uint8": "u8", "uint16": "u16", "uint32": "u32", "uint64": "u64",
          "bool": "bool"}


def _describe(a) -> str:
    if isinstance(a, np.ndarray):
        shape = ",".join(str(n) for n in a.shape)
        kind = "" if a.strides == () or _contiguous_distinct(a) == a.size else "~"
        return f"{_SHORT.get(a.dtype.name, a.dtype.name)}[{shape}]{kind}"
    if isinstance(a, np.generic):
        return f"{_SHORT.get(a.dtype.name, a.dtype.name)} scalar"
    if isinstance(a, (int, float, complex)):
        return "scalar"
    return type(a).__name__


def _contiguous_distinct(a: np.ndarray) -> int:
    """How many distinct elements ``a`` addresses: its size, less the repeats of its
    stride-0 (broadcast) axes."""
    if a.size == 0:
        return 0
    return math.prod(n for n, s in zip(a.shape, a.strides) if s != 0)


def _bytes(a) -> int:
    """The bytes an operand reads (or a result writes): distinct elements times item
    size for an array; 0 for a scalar."""
    if isinstance(a, np.ndarray):
        return _contiguous_distinct(a) * a.itemsize
    return 0


def _arrays_in(values) -> list:
    """The array operands among call arguments (one level into lists and tuples, as
    ``concatenate`` takes them)."""
    found = []
    for v in values:
        if isinstance(v, (np.ndarray, np.generic)):
            found.append(v)
        elif isinstance(v, (list, tuple)):
            found.extend(x for x in v if isinstance(x, (np.ndarray, np.generic)))
    return found


def _plain(a):
    return a.view(np.ndarray) if isinstance(a, Counted) else a


def _shares(out: np.ndarray, inputs) -> bool:
    return any(isinstance(i, np.ndarray) and np.may_share_memory(_plain(out), _plain(i))
               for i in inputs)


def _skipped_folders() -> tuple:
    import array_api_compat
    return tuple(str(Path(m.__file__).resolve().parent) for m in (np, array_api_compat)) + (
        str(Path(__file__).resolve()),)


_SKIPPED = _skipped_folders()


def _site() -> str:
    """The first frame outside NumPy, array_api_compat and this module: the line of the
    library (or workload) that made the call, from its package folder down."""
    frame = sys._getframe(2)
    while frame is not None:
        path = frame.f_code.co_filename
        if not path.startswith(_SKIPPED) and not path.startswith("<frozen"):
            parts = Path(path).parts
            for top in ("arraygrad", "benchmarks", "tests", "site-packages"):
                if top in parts:
                    i = len(parts) - 1 - parts[::-1].index(top)
                    parts = parts[i + (top == "site-packages"):]
                    break
            else:
                parts = parts[-1:]
            return f"{'/'.join(parts)}:{frame.f_lineno}"
        frame = frame.f_back
    return "?"


def _record(name, operands, result, *, inplace_target=None, reads_target=True,
            written_override=None) -> None:
    """One call: ``operands`` its inputs (arrays and numbers), ``result`` its output
    (an array, a scalar, a tuple of them, or None)."""
    outs = [r for r in (result if isinstance(result, (tuple, list)) else (result,))
            if isinstance(r, (np.ndarray, np.generic))]
    arrays = [o for o in operands if isinstance(o, (np.ndarray, np.generic))]
    note, read, written = "", 0, 0
    if inplace_target is not None:
        note = "in-place"
        read = sum(_bytes(o) for o in arrays if o is not inplace_target or reads_target)
        written = _bytes(inplace_target) if written_override is None else written_override
    elif outs and all(isinstance(o, np.ndarray) and _shares(o, arrays) for o in outs):
        note = "view"
    else:
        read = 0 if name in _READS_NOTHING else sum(_bytes(o) for o in arrays)
        written = sum(_bytes(o) if isinstance(o, np.ndarray) else o.itemsize for o in outs)
    shown = [_describe(o) for o in operands]
    output = ", ".join(_describe(o) for o in outs) if outs else "—"
    _REC.calls.append(Call(name, shown, output, read, written, note, _site()))


# -- the array subclass ---------------------------------------------------------------

def _wrap(result, like=()):
    """``result`` with its plain ndarrays made Counted; one that is a plain view of a
    Counted input with its exact layout is that input (``np.asarray(a)`` is ``a``)."""
    if isinstance(result, (tuple, list)):
        return type(result)(_wrap(r, like) for r in result)
    if type(result) is not np.ndarray:
        return result
    for x in like:
        if isinstance(x, Counted) and result.shape == x.shape and result.dtype == x.dtype \
                and result.strides == x.strides and _address(result) == _address(x):
            return x
    c = result.view(Counted)
    c._shell = True  # noqa: SLF001  (the view only carries ``result``: see Counted.base)
    return c


def _address(a: np.ndarray) -> int:
    return a.__array_interface__["data"][0]


class Counted(np.ndarray):
    """An ndarray whose array work is recorded while a count runs (see the module)."""

    @property
    def base(self):
        # A Counted made around a fresh result (``_wrap``) reports that result's base:
        # None when NumPy made it fresh, as a plain array would.
        b = np.ndarray.base.__get__(self)
        if self.__dict__.get("_shell"):
            return b.base
        return b

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        plain_inputs = [_plain(i) for i in inputs]
        kwargs = {k: _plain(v) for k, v in kwargs.items()}  # where=
        if out is not None:
            kwargs["out"] = tuple(_plain(o) for o in out)
        with _call() as outermost:
            result = getattr(ufunc, method)(*plain_inputs, **kwargs)
            if out is not None:
                result = out[0] if len(out) == 1 else tuple(out)
            else:
                result = _wrap(result)
            if outermost:
                name = ufunc.__name__ if method == "__call__" else f"{ufunc.__name__}.{method}"
                name = REDUCTION_NAMES.get(name, name)
                target = out[0] if out is not None else None
                _record(name, list(inputs), result, inplace_target=target,
                        reads_target=any(i is target for i in inputs))
        return result

    def __array_function__(self, func, types, args, kwargs):
        with _call() as outermost:
            result = super().__array_function__(func, types, args, kwargs)
            result = _wrap(result, _arrays_in(args))
            if outermost and func.__name__ not in _METADATA and \
                    _arrays_in(result if isinstance(result, (tuple, list)) else [result]):
                target = kwargs.get("out")
                _record(func.__name__, _arrays_in(args) + _arrays_in(kwargs.values()),
                        result, inplace_target=target if isinstance(target, np.ndarray)
                        else None)
        return result

    def __getitem__(self, key):
        with _call() as outermost:
            result = _wrap(np.ndarray.__getitem__(self, key))
            if outermost:
                index_arrays = _arrays_in(key if isinstance(key, tuple) else (key,))
                if isinstance(result, np.ndarray) and _shares(result, [self]):
                    _record("getitem", [self], result)
                else:  # a gather: the elements it takes, and its index arrays
                    _REC.calls.append(Call(
                        "getitem", [_describe(self)] + [_describe(i) for i in index_arrays],
                        _describe(result), _bytes(result) + sum(map(_bytes, index_arrays)),
                        _bytes(result) if isinstance(result, np.ndarray)
                        else result.itemsize, "", _site()))
        return result

    def __setitem__(self, key, value):
        with _call() as outermost:
            np.ndarray.__setitem__(self, key, _plain(value))
            if outermost:  # reads the value and the index arrays, writes the selection
                selected = np.ndarray.__getitem__(self.view(np.ndarray), key)
                written = _bytes(selected) if isinstance(selected, np.ndarray) \
                    else selected.itemsize
                index_arrays = _arrays_in(key if isinstance(key, tuple) else (key,))
                _record("setitem", [self, value] + index_arrays, None, inplace_target=self,
                        reads_target=False, written_override=written)


def _method(name):
    impl = getattr(np.ndarray, name)

    def method(self, *args, **kwargs):
        with _call() as outermost:
            result = _wrap(impl(self, *args, **kwargs), (self,))
            if outermost:
                _record(name, [self] + _arrays_in(args), result)
        return result
    method.__name__ = name
    return method


def _attribute(name):
    impl = getattr(np.ndarray, name)

    def get(self):
        with _call() as outermost:
            result = impl.__get__(self)
            if outermost:
                _record(name, [self], result)
        return result
    return property(get)


for _name in ("astype", "copy", "reshape", "transpose", "swapaxes", "ravel", "flatten",
              "squeeze", "sum", "prod", "max", "min", "mean", "std", "var", "any", "all",
              "argmax", "argmin", "cumsum", "cumprod", "clip", "round", "conj",
              "conjugate", "dot", "take", "repeat", "fill", "item", "tolist", "nonzero",
              "sort", "argsort"):
    setattr(Counted, _name, _method(_name))
for _name in ("T", "mT", "real", "imag"):
    if hasattr(np.ndarray, _name):
        setattr(Counted, _name, _attribute(_name))
del _name


# A reduction ufunc's method under the name of the NumPy function that runs it
# (``numpy.sum`` is ``add.reduce`` with two Python frames in front, and arraygrad's NumPy
# backend calls ``add.reduce`` directly: ``backends.DIRECT``), so that the same work
# lines up under one name beside the hand-written step's ``np.sum``.
REDUCTION_NAMES = {"add.reduce": "sum", "multiply.reduce": "prod",
                   "maximum.reduce": "max", "minimum.reduce": "min"}


def counted(a) -> Counted:
    """A fresh Counted copy of a NumPy array (owning its memory)."""
    return _wrap(np.array(a, copy=True))


# -- patching the namespaces ------------------------------------------------------------

def _entry(name, impl):
    """``impl`` (a namespace function or ufunc) recording its calls as ``name``."""
    is_ufunc = isinstance(impl, np.ufunc)

    def entry(*args, **kwargs):
        if _REC.depth:  # inside a counted call (compat's asarray calls np.array): as is
            return impl(*args, **kwargs)
        with _call() as outermost:
            result = impl(*(_plain(a) for a in args),
                          **{k: _plain(v) for k, v in kwargs.items()})
            like = _arrays_in(args) + _arrays_in(kwargs.values())
            result = _wrap(result, like)
            if outermost and name not in _METADATA and _arrays_in(
                    result if isinstance(result, (tuple, list)) else [result]):
                operands = [a for a in args if isinstance(a, (np.ndarray, np.generic))
                            or is_ufunc and isinstance(a, (int, float, complex))]
                operands += _arrays_in(kwargs.values())
                target = kwargs.get("out")
                if isinstance(target, tuple) and len(target) == 1:
                    target = target[0]
                target = target if isinstance(target, np.ndarray) else None
                _record(name, operands, result, inplace_target=target,
                        reads_target=any(a is target for a in args))
        return result
    entry.__name__ = entry.__qualname__ = name
    entry.__wrapped__ = impl
    entry._counting = True  # noqa: SLF001
    return entry


def _patchable(value) -> bool:
    """A function to wrap: not a class (dtypes), a module, or a ufunc (code reaches
    ``np.add.reduce`` through them; Counted operands catch their calls)."""
    return callable(value) and not isinstance(value, (type, np.ufunc)) \
        and not inspect.ismodule(value) and not getattr(value, "_counting", False)


def _targets() -> list:
    """(object, names) to patch: array_api_compat's NumPy namespace (arraygrad's
    ``xp``), arraygrad's rule namespace for NumPy if built (it copied that module's
    functions), and the ``numpy`` module (hand-written code's ``xp``), each for the
    standard's function names and ``CREATION``."""
    import array_api_compat.numpy as compat_np
    names = sorted({n for n in dir(compat_np) if not n.startswith("_")} | set(CREATION))
    found = [(compat_np, names), (np, names)]
    if "arraygrad" in sys.modules:
        from arraygrad import backend as ag_backend
        loaded = ag_backend._loaded.get("numpy")  # noqa: SLF001  (built by its first use)
        if loaded is not None:
            found.append((loaded.ns, [n for n in names if n in vars(loaded.ns)]))
    return found


@contextmanager
def patched():
    """Every function of the namespaces of ``_targets`` replaced by one that records
    it; put back on exit."""
    saved = []
    try:
        for obj, names in _targets():
            own = vars(obj)
            for name in names:
                impl = getattr(obj, name, None)
                if impl is None or not _patchable(impl):
                    continue
                saved.append((obj, name, impl, name in own))
                setattr(obj, name, _entry(name, impl))
        yield
    finally:
        for obj, name, impl, was_own in reversed(saved):
            if was_own:
                setattr(obj, name, impl)
            else:
                delattr(obj, name)


@contextmanager
def recording():
    _REC.calls, _REC.active, _REC.depth = [], True, 0
    try:
        yield _REC.calls
    finally:
        _REC.active = False


# -- counting one step of a library ----------------------------------------------------

def _raw(value):
    """The NumPy array (or scalar) behind a library's loss or gradient."""
    if isinstance(value, (np.ndarray, np.generic)):
        return value
    for attr in ("_data", "data"):  # arraygrad's Tensor; MyGrad's Tensor
        inner = getattr(value, attr, None)
        if isinstance(inner, (np.ndarray, np.generic)):
            return inner
    return value


def _escaped(loss, grads) -> list:
    """The results the step made as plain arrays (or not NumPy's at all): work on
    them after it was made was not counted."""
    named = [("loss", loss)] + [(f"gradient {i}", g) for i, g in enumerate(grads)]
    return [name for name, v in named
            if not isinstance(_raw(v), (Counted, np.generic))]


def _totals(calls: list) -> dict:
    by_kind: dict = {}
    for c in calls:
        k = by_kind.setdefault(c.kind, {"calls": 0, "read": 0, "written": 0})
        k["calls"] += 1
        k["read"] += c.read
        k["written"] += c.written
    return {"calls": len(calls), "read": sum(c.read for c in calls),
            "written": sum(c.written for c in calls),
            "views": sum(c.note == "view" for c in calls),
            "in_place": sum(c.note == "in-place" for c in calls),
            "by_kind": dict(sorted(by_kind.items()))}


def count_step(adapter, problem, want) -> dict:
    """One library's counted step: it is built and run once (the gradient check, and
    the warm-up), then run again while recording."""
    problem = replace(problem, params=[counted(p) for p in problem.params],
                      consts=[counted(c) for c in problem.consts])
    with patched():
        step, why = check(adapter, problem, want)
        if step is None:
            return {"status": "FAILED", "note": why}
        try:
            with recording() as calls:
                loss, grads = step()
        except Exception as exc:  # noqa: BLE001  (a library the counter breaks is reported)
            return {"status": "FAILED", "note": f"counted step: {type(exc).__name__}: {exc}"}
    return {"status": "ok", "escaped": _escaped(loss, grads),
            "totals": _totals(calls), "calls": [c.as_dict() for c in calls],
            "_calls": calls}


def compare_steps(base: list, other: list) -> dict:
    """``other``'s calls beside ``base``'s: the difference per kind, and the calls (by
    kind, operand shapes and result) that one makes and the other does not."""
    tb, to = _totals(base), _totals(other)
    kinds = sorted(set(tb["by_kind"]) | set(to["by_kind"]))
    zero = {"calls": 0, "read": 0, "written": 0}
    by_kind = {}
    for k in kinds:
        b, o = tb["by_kind"].get(k, zero), to["by_kind"].get(k, zero)
        delta = {f: o[f] - b[f] for f in ("calls", "read", "written")}
        if any(delta.values()):
            by_kind[k] = {"baseline": b["calls"], "library": o["calls"], **delta}
    sig_b = Counter(c.signature() for c in base)
    sig_o = Counter(c.signature() for c in other)
    first = {}
    for c in other + base:
        first.setdefault(c.signature(), c)

    def listing(counter):
        return [{"kind": s[0], "inputs": list(s[1]), "output": s[2], "times": n,
                 "read": first[s].read * n, "written": first[s].written * n}
                for s, n in sorted(counter.items(), key=lambda kv: str(kv[0]))]
    return {"calls": to["calls"] - tb["calls"], "read": to["read"] - tb["read"],
            "written": to["written"] - tb["written"], "by_kind": by_kind,
            "only_in_library": listing(sig_o - sig_b),
            "only_in_baseline": listing(sig_b - sig_o)}


def count_problem(problem, session, baseline: str = "numpy") -> dict:
    want = reference_values(problem)
    rows = {}
    for name, adapter in session.adapters.items():
        if name not in COUNTABLE:
            rows[name] = {"status": "not countable",
                          "note": "its arrays are not NumPy's: the counter sees NumPy calls only"}
            continue
        rows[name] = count_step(adapter, problem, want)
    for name, why in session.skipped.items():
        rows[name] = {"status": "skipped", "note": why}
    comparison = {}
    base = rows.get(baseline, {})
    for name, row in rows.items():
        if name != baseline and row.get("status") == "ok" and base.get("status") == "ok":
            comparison[name] = compare_steps(base["_calls"], row["_calls"])
    for row in rows.values():
        row.pop("_calls", None)
    return {"title": problem.title, "dtype": str(problem.dtype), "libraries": rows,
            "comparison": comparison}


# -- the report ---------------------------------------------------------------------------

def _n(b: int) -> str:
    return f"{b:,}"


def _signed(b: int) -> str:
    return f"{b:+,}" if b else "0"


def markdown(everything: dict) -> str:
    lines = [f"# Array work of one step: {everything['workload']}", "",
             f"`{everything['command']}` — NumPy {everything['versions']['numpy']}, "
             f"array_api_compat {everything['versions']['array_api_compat']}. "
             "One step counted after one warm-up step (the gradient check); nothing is "
             "timed. Bytes: every array operand read once, all its distinct elements (a "
             "broadcast view reads what it holds); results written whole; views read and "
             "write 0; `in-place` writes its target. `~` after a shape: a stride-0 "
             "(broadcast) view. See `benchmarks/count.py`.", ""]
    base = everything["baseline"]
    for key, prob in everything["problems"].items():
        libs = prob["libraries"]
        lines += [f"## {key}: {prob['title']}", "",
                  "| library | calls | bytes read | bytes written | views | in-place |",
                  "|---|---:|---:|---:|---:|---:|"]
        for name, row in libs.items():
            if row["status"] != "ok":
                lines.append(f"| {name} | {row['status']}: {row['note']} | | | | |")
                continue
            t = row["totals"]
            lines.append(f"| {name} | {t['calls']} | {_n(t['read'])} | {_n(t['written'])} "
                         f"| {t['views']} | {t['in_place']} |")
            if row["escaped"]:
                lines.append(f"| | left NumPy's counted arrays: {', '.join(row['escaped'])}"
                             " | | | | |")
        lines.append("")
        for name, cmp in prob["comparison"].items():
            lines += [f"### {name} − {base}: {_signed(cmp['calls'])} calls, "
                      f"{_signed(cmp['read'])} bytes read, {_signed(cmp['written'])} "
                      "bytes written", "",
                      f"| call kind | {base} | {name} | Δ calls | Δ read | Δ written |",
                      "|---|---:|---:|---:|---:|---:|"]
            for kind, d in cmp["by_kind"].items():
                lines.append(f"| {kind} | {d['baseline']} | {d['library']} | "
                             f"{_signed(d['calls'])} | {_signed(d['read'])} | "
                             f"{_signed(d['written'])} |")
            for label, listing in ((f"Calls only {name} makes", cmp["only_in_library"]),
                                   (f"Calls only {base} makes", cmp["only_in_baseline"])):
                lines += ["", f"{label} (kind, operands → result, × times: bytes read / "
                              "written):", ""]
                lines += [f"* {e['kind']}({', '.join(e['inputs'])}) → {e['output']}"
                          f" × {e['times']}: {_n(e['read'])} / {_n(e['written'])}"
                          for e in listing] or ["* none"]
            lines.append("")
        for name, row in libs.items():
            if row["status"] != "ok":
                continue
            lines += [f"### {key} calls: {name}", "",
                      "| # | call | inputs | output | read | written | note | made at |",
                      "|---:|---|---|---|---:|---:|---|---|"]
            for i, c in enumerate(row["calls"], 1):
                lines.append(f"| {i} | {c['name']} | {', '.join(c['inputs'])} | "
                             f"{c['output']} | {_n(c['read'])} | {_n(c['written'])} | "
                             f"{c['note']} | {c['site']} |")
            kinds = ", ".join(f"{k} {v['calls']}" for k, v in row["totals"]["by_kind"].items())
            lines += ["", f"By kind: {kinds}.", ""]
    return "\n".join(lines).rstrip() + "\n"


def _problems(key: str, module) -> list:
    if not hasattr(module, "problems"):
        raise SystemExit(f"--count counts workloads made of Problems (W1, W2, W3, W5); "
                         f"{key} is not one")
    return module.problems(True)  # the quick sizes: W2 is the same either way


def main(args, argv, keys: list) -> int:
    """``python -m benchmarks --count``: ``args`` from ``runner.parser``; ``keys`` the
    workloads (W2 unless ``--only`` says otherwise)."""
    import array_api_compat

    from .workloads import WORKLOADS
    names = [n.strip() for n in (args.libs or ",".join(DEFAULT_LIBS)).split(",") if n.strip()]
    if args.baseline != "numpy":
        raise SystemExit("--count compares with hand-written NumPy (--baseline numpy)")
    if "numpy" not in names:
        names.insert(0, "numpy")
    try:
        session = Session.load(names, quick=True)
    except ValueError as exc:
        raise SystemExit(str(exc)) from None
    paths = []
    for key in keys:
        everything = {
            "mode": "count", "workload": key,
            "command": " ".join(["python -m benchmarks"] + list(
                argv if argv is not None else sys.argv[1:])),
            "versions": {"numpy": np.__version__,
                         "array_api_compat": array_api_compat.__version__},
            "baseline": "numpy",
            "problems": {p.key: count_problem(p, session) for p in
                         _problems(key, WORKLOADS[key])}}
        text = markdown(everything)
        print(text)
        stem = f"count-{key}" if not args.name else \
            args.name if len(keys) == 1 else f"{args.name}-{key}"
        args.out.mkdir(parents=True, exist_ok=True)
        md, js = args.out / f"{stem}.md", args.out / f"{stem}.json"
        md.write_text(text)
        js.write_text(json.dumps(everything, indent=1) + "\n")
        paths += [md, js]
    print("wrote " + ", ".join(str(p) for p in paths))
    return 0
