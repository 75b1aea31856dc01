"""PyTorch's keyword spellings on the standard's functions (issue 15): ``sum(x, dim=1,
keepdim=True)``, ``stack([a, b], dim=0)``, ``flip(x, dims=(0,))``, ``max(x, dim=1)``,
``linalg.vector_norm(x, dim=-1)``, ``fft.fft(x, dim=0)``, … beside the standard's
``axis``/``keepdims``, never instead of them.

One mechanism, one table (``SPELLINGS``), applied once where the public package is
assembled (``arraygrad/__init__.py`` calls ``install``): each function of the table is
replaced, in ``arraygrad`` and in ``arraygrad.linalg``/``arraygrad.fft`` wherever the
same function is found there, by a thin wrapper around the very same function, so
gradients are those of the standard function. ``arraygrad.ops`` keeps the unwrapped
functions: Tensor's methods, the composed functions and the rules call them directly.

The rules, and why:

* PyTorch's spellings are **keyword-only** aliases: ``dim`` for ``axis`` (``axes`` in
  ``fftn``/``fftshift``/…), ``keepdim`` for ``keepdims``, ``dims`` for ``flip``/``roll``'s
  ``axis``, ``tile``'s ``repetitions`` and ``tensordot``'s ``axes``, ``shifts`` for
  ``roll``'s ``shift``. A list given for ``dim``/``dims`` is read as a tuple.
* Positional arguments follow the standard, which defines them: ``sum(x, 1)``,
  ``max(x, 1)``, ``max(a, b)``, ``std(x, 1)``, ``flip(x, (0,))`` raise the standard's
  ``TypeError`` (spell them ``sum(x, dim=1)``, ``max(x, dim=1)``, ``maximum(a, b)`` …);
  ``squeeze(x, 1)`` is the standard's (an error where the axis is not of size 1).
* Both spellings of one parameter (``axis=`` and ``dim=``) is a ``TypeError`` naming
  both; an unknown keyword is the standard function's ``TypeError``, as before.
* A call without PyTorch keywords is the standard call: the wrapper is generated with
  the function's own parameters plus PyTorch's keywords (Python binds them: no
  ``**kwargs`` to build and unpack again), tests that no PyTorch keyword came, and
  calls the function with what was given (``fn(x)`` when only ``x`` was: the
  operations' one-argument fast path). About 0.1 µs a call.
* Where PyTorch's meaning differs beyond the spelling, a call that uses a PyTorch
  keyword gets PyTorch's meaning (no standard call passes one, so none changes):

  - ``max``/``min(x, dim=d)`` return PyTorch's ``(values, indices)`` namedtuple (with
    ``keepdim=``), as ``Tensor.max(d)`` does; ``max``/``min(x, other=y)`` is the
    element-wise ``maximum``/``minimum``. ``max(x, axis=d)`` stays the standard's
    reduction (PyTorch reads that as ``dim=`` too: the standard decides).
  - ``sort(x, dim=d)`` returns PyTorch's ``(values, indices)`` namedtuple, always
    stable (ties keep their order, which PyTorch's ``stable=False`` allows);
    ``sort(x, axis=d)`` returns the values, as the standard says.
  - ``std``/``var`` with ``dim=``, ``keepdim=`` or ``unbiased=`` use PyTorch's default
    Bessel correction (``correction=1``) unless ``correction=`` is given;
    ``unbiased=True``/``False`` is ``correction=1``/``0`` (beside ``correction=``: a
    ``TypeError``). ``std(x)`` and ``std(x, axis=…)`` keep the standard's 0.
  - ``squeeze(x, dim=d)`` (an int or a tuple) drops those of the axes that have size
    1 and ignores the others, and ``squeeze(x)`` drops every axis of size 1 (the
    standard's ``axis`` is required, so no standard call lacks it): ``Tensor.squeeze``.
  - ``dim=()`` (or ``[]``) of ``sum``, ``mean``, ``prod``, ``std``, ``var``,
    ``count_nonzero`` and ``linalg.vector_norm`` reduces over every axis, and
    ``roll``'s ``dims=()`` rolls the flattened array, as in PyTorch (the standard's
    ``axis=()`` reduces over none).
    ``all``/``any(x, dim=())`` reduce over none, as in PyTorch and the standard.
  - ``mean(x, dtype=…)`` computes in ``dtype`` (the input cast first), as PyTorch's.

Left out: PyTorch's meaning of ``axis=`` where it differs from the standard's
(``torch.max(x, axis=1)``, ``torch.std(x, axis=1)``: the standard decides); PyTorch's
positional forms (above); ``arraygrad.special``, which is SciPy's (``axis``); functions
that PyTorch names otherwise (``unbind``, ``take_along_dim``, ``repeat_interleave``:
``ops/composed.py`` is their place); ``moveaxis``'s and ``where``'s keyword names;
``nonzero(x)`` and ``meshgrid(a, b)``, whose standard meanings (a tuple; ``"xy"``
indexing) differ from PyTorch's (an ``(n, ndim)`` tensor; ``"ij"``) for the very same
call.

``inspect.signature`` shows the standard's signature (the wrapper carries the
function's ``__signature__``, ``__wrapped__``, ``op``/``ops`` and docstring), and a
wrapper pickles by reference, as ``arraygrad.<name>``.
"""
from __future__ import annotations

import functools
import inspect

from .._tensor import Tensor, asarray
from .dtypes import astype
from .elementwise import maximum, minimum

__all__ = ["SPELLINGS", "install"]


def _tuple(value):
    """A list of axes as the tuple the standard takes."""
    return tuple(value) if isinstance(value, list) else value


def _every_if_empty(value):
    """PyTorch's reductions read ``dim=()`` (or ``[]``) as every axis."""
    if isinstance(value, (tuple, list)):
        return tuple(value) if value else None
    return value


def _pairs(value):
    """``tensordot``'s ``dims`` (an int, or two lists of axes) as ``axes``."""
    return tuple(_tuple(v) for v in value) if isinstance(value, (tuple, list)) else value


def _tensor(x):
    return x if isinstance(x, Tensor) else asarray(x)


def _only(name, args, kwargs, n=1):
    """The ``n`` positional arguments, after checking that nothing else is left."""
    if len(args) != n:
        raise TypeError(f"{name}() takes {n} positional argument{'s' if n > 1 else ''} "
                        f"but {len(args)} were given")
    if kwargs:
        raise TypeError(f"{name}() got an unexpected keyword argument {next(iter(kwargs))!r}")
    return args


# -- PyTorch's meanings (called after the renaming, with the PyTorch keywords given) --

def _extremum(method, elementwise):
    """``max``/``min``: ``dim=`` gives ``(values, indices)`` (``Tensor.max``/``min``);
    ``other=`` the element-wise ``maximum``/``minimum``."""
    def meaning(fn, args, kwargs, given):
        if "other" in kwargs:
            other = kwargs.pop("other")
            (x,) = _only(fn.__name__, args, kwargs)
            return elementwise(x, other)
        if "dim" in given and kwargs["axis"] is not None:
            axis, keepdims = kwargs.pop("axis"), kwargs.pop("keepdims", False)
            (x,) = _only(fn.__name__, args, kwargs)
            return getattr(_tensor(x), method)(axis, keepdims)
        return fn(*args, **kwargs)
    return meaning


def _bessel(fn, args, kwargs, given):
    """``std``/``var``: PyTorch's default ``correction=1``; ``unbiased=`` as 1 or 0."""
    if "unbiased" in kwargs:
        unbiased = kwargs.pop("unbiased")
        if "correction" in kwargs:
            raise TypeError(f"{fn.__name__}() got both 'correction' and 'unbiased', two "
                            "spellings of one parameter; give one")
        kwargs["correction"] = 1 if unbiased else 0
    kwargs.setdefault("correction", 1)
    return fn(*args, **kwargs)


def _sort(fn, args, kwargs, given):
    """``sort(x, dim=d)``: PyTorch's ``(values, indices)``, as ``Tensor.sort``."""
    axis = kwargs.pop("axis")
    descending = kwargs.pop("descending", False)
    kwargs.pop("stable", None)  # always stable: what stable=False allows too
    (x,) = _only(fn.__name__, args, kwargs)
    return _tensor(x).sort(axis, descending)


def _squeeze(fn, args, kwargs, given):
    """``squeeze(x, dim=d)`` and ``squeeze(x)``: PyTorch's, as ``Tensor.squeeze``."""
    axis = kwargs.pop("axis", None)
    (x,) = _only(fn.__name__, args, kwargs)
    return _tensor(x).squeeze(axis)


def _mean(fn, args, kwargs, given):
    """``mean(x, dtype=…)``: the input cast to ``dtype`` first, as PyTorch's."""
    dtype = kwargs.pop("dtype", None)
    if dtype is not None and args:
        args = (astype(_tensor(args[0]), dtype), *args[1:])
    return fn(*args, **kwargs)


def _tile(fn, args, kwargs, given):
    """``tile(x, dims=…)``: ``repetitions`` is positional-only in the standard."""
    if "repetitions" not in kwargs:
        return fn(*args, **kwargs)  # the standard's TypeError
    repetitions = kwargs.pop("repetitions")
    if len(args) > 1:
        raise TypeError("tile() got both 'repetitions' and 'dims', two spellings of one "
                        "parameter; give one")
    return fn(*args, repetitions, **kwargs)


# -- the table ------------------------------------------------------------------------

class _Missing:
    """The default of every parameter of a wrapper that the caller may leave out: it
    tells a parameter not given from one given its default value."""
    __slots__ = ()

    def __repr__(self):
        return "<not given>"


_NO = _Missing()


def _given(*values) -> tuple:
    """The positional arguments given: those before the first one left out."""
    for k, v in enumerate(values):
        if v is _NO:
            return values[:k]
    return values


class Spelling:
    """The PyTorch keywords of one function: ``renames`` maps each to the standard
    keyword it spells (and how its value is read); ``extra`` names PyTorch keywords
    with no standard counterpart, read by ``meaning``; ``meaning(fn, args, kwargs,
    given)`` runs a call that used PyTorch keywords, after the renaming (default: the
    standard function), or one that left out a required parameter that a PyTorch
    keyword can give (``tile(x, dims=…)``; ``squeeze(x)``)."""

    __slots__ = ("renames", "meaning", "names")

    def __init__(self, renames, meaning=None, extra=()):
        self.renames = {k: v if isinstance(v, tuple) else (v, None)
                        for k, v in renames.items()}
        self.meaning = meaning
        self.names = (*self.renames, *extra)

    def translate(self, fn, args, kwargs):
        given = []
        for alias, (name, read) in self.renames.items():
            if alias in kwargs:
                if name in kwargs:
                    raise TypeError(f"{fn.__name__}() got both {name!r} and {alias!r}, two "
                                    "spellings of one parameter; give one")
                value = kwargs.pop(alias)
                kwargs[name] = value if read is None else read(value)
                given.append(alias)
        if self.meaning is None:
            return fn(*args, **kwargs)
        return self.meaning(fn, args, kwargs, given)

    def wrap(self, fn, module: str):
        """``fn`` taking PyTorch's keywords too, as a function of ``module``.

        The wrapper is generated with ``fn``'s own parameters plus PyTorch's keywords,
        so that Python binds the arguments (no ``**kwargs`` dict to build and unpack
        again): a call without PyTorch keywords costs one identity test per keyword
        and one call, and one without any keyword reaches ``fn`` as ``fn(x)`` (the
        operations' one-argument fast path)."""
        aliased = {name for name, _ in self.renames.values()}
        env = {"fn": fn, "_NO": _NO, "_given": _given, "_translate": self.translate}
        only, either, keywords = [], [], []  # the standard's parameters, by kind
        # The plain call's arguments; the required ones a PyTorch keyword can give; the
        # positional parameters a call may leave out.
        call, needed, optional = [], [], set()
        for p in inspect.signature(fn).parameters.values():
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or p.name in self.names:
                raise TypeError(f"{fn.__name__}: no keyword spelling for {p}")
            if p.default is not p.empty:
                env[f"_d_{p.name}"] = p.default
            if p.kind is p.KEYWORD_ONLY:
                keywords.append(p.name)
                continue
            (only if p.kind is p.POSITIONAL_ONLY else either).append(p.name)
            if p.default is not p.empty:
                call.append(f"_d_{p.name} if {p.name} is _NO else {p.name}")
                optional.add(p.name)
            else:
                call.append(p.name)
                if p.name in aliased:  # required, unless a PyTorch keyword gives it
                    needed.append(p.name)
                    optional.add(p.name)
        head = [n + "=_NO" if n in optional else n for n in only]
        head += ["/"] if only else []
        head += [n + "=_NO" if n in optional else n for n in either]
        head += ["*", *(n + "=_NO" for n in keywords), *(n + "=_NO" for n in self.names)]
        plain = " and ".join([f"{n} is _NO" for n in self.names]
                             + [f"{n} is not _NO" for n in needed])
        lines = [f"def {fn.__name__}({', '.join(head)}):", f"    if {plain}:"]
        if keywords:
            given = ", ".join(f"{n}=_d_{n} if {n} is _NO else {n}" for n in keywords)
            lines += [f"        if {' and '.join(f'{n} is _NO' for n in keywords)}:",
                      f"            return fn({', '.join(call)})",
                      f"        return fn({', '.join([*call, given])})"]
        else:
            lines += [f"        return fn({', '.join(call)})"]
        by_name = ", ".join(f"({n!r}, {n})" for n in [*either, *keywords, *self.names])
        lines += [f"    return _translate(fn, _given({', '.join(only)}), "
                  f"{{k: v for k, v in ({by_name},) if v is not _NO}})"]
        source = "\n".join(lines)
        exec(compile(source, f"<keyword spellings of {module}.{fn.__name__}>", "exec"), env)
        spelled = env[fn.__name__]
        functools.update_wrapper(spelled, fn)
        # A function made by defop shows its forward (tests/test_registry.py).
        spelled.__wrapped__ = getattr(fn, "__wrapped__", fn)
        spelled.__module__ = module  # pickled by reference, as arraygrad.<name>
        spelled.spellings = self.names  # the keywords it adds
        return spelled


_REDUCE = {"dim": ("axis", _every_if_empty), "keepdim": "keepdims"}
_AXES = {"dim": ("axis", _tuple), "keepdim": "keepdims"}
_DIM = {"dim": "axis"}
_FFTN = {"dim": ("axes", _tuple)}

# By the name in arraygrad (``linalg.``/``fft.`` for the extensions' own functions).
SPELLINGS = {
    # statistical
    "sum": Spelling(_REDUCE),
    "mean": Spelling(_REDUCE, _mean, extra=("dtype",)),
    "prod": Spelling(_REDUCE),
    "std": Spelling(_REDUCE, _bessel, extra=("unbiased",)),
    "var": Spelling(_REDUCE, _bessel, extra=("unbiased",)),
    "max": Spelling(_AXES, _extremum("max", maximum), extra=("other",)),
    "min": Spelling(_AXES, _extremum("min", minimum), extra=("other",)),
    "cumulative_sum": Spelling(_DIM),
    "cumulative_prod": Spelling(_DIM),
    # searching, sorting, utility
    "argmax": Spelling(_AXES),
    "argmin": Spelling(_AXES),
    "count_nonzero": Spelling(_REDUCE),
    "sort": Spelling(_DIM, _sort),
    "argsort": Spelling(_DIM),
    "all": Spelling(_AXES),
    "any": Spelling(_AXES),
    "diff": Spelling(_DIM),
    # manipulation
    "concat": Spelling(_DIM),
    "stack": Spelling(_DIM),
    "squeeze": Spelling({"dim": ("axis", _tuple)}, _squeeze),
    "flip": Spelling({"dims": ("axis", _tuple)}),
    "roll": Spelling({"dims": ("axis", _every_if_empty), "shifts": ("shift", _tuple)}),
    "tile": Spelling({"dims": ("repetitions", tuple)}, _tile),
    # linear algebra (tensordot and vecdot are also arraygrad.linalg's)
    "tensordot": Spelling({"dims": ("axes", _pairs)}),
    "vecdot": Spelling(_DIM),
    "linalg.cross": Spelling(_DIM),
    "linalg.vector_norm": Spelling(_REDUCE),
    "linalg.matrix_norm": Spelling({"keepdim": "keepdims"}),
    # fft
    **{f"fft.{name}": Spelling(_DIM)
       for name in ("fft", "ifft", "rfft", "irfft", "hfft", "ihfft")},
    **{f"fft.{name}": Spelling(_FFTN)
       for name in ("fftn", "ifftn", "rfftn", "irfftn", "fftshift", "ifftshift")},
}


def install(package) -> None:
    """Put the wrappers in place in ``package`` (``arraygrad``) and its ``linalg`` and
    ``fft`` modules; a function held by several of them gets one wrapper."""
    modules = (package, package.linalg, package.fft)
    for key, spelling in SPELLINGS.items():
        prefix, _, name = key.rpartition(".")
        fn = getattr(getattr(package, prefix) if prefix else package, name)
        if hasattr(fn, "spellings"):
            continue  # installed already
        home = getattr(package, prefix) if prefix else package
        spelled = spelling.wrap(fn, home.__name__)
        for module in modules:
            if getattr(module, name, None) is fn:
                setattr(module, name, spelled)
