"""The differentiable functions of arraygrad's namespace, found from the section
modules' ``__all__`` and the ``linalg``, ``fft`` and ``special`` extensions.

A function made by ``defop`` carries its operation as ``.op``; it is differentiable
when that operation has a rule (``vjps`` with one entry that is not ``None``, or a
``joint`` rule). A public function that dispatches between several operations (``pow``,
``sum``, ``matmul``, ``getitem``, …) has no ``.op``: it declares the operations it runs
with ``@dispatches(...)`` (``_define.py``), as ``.ops``, and is differentiable when one
of them has a rule. Nothing is read from a function's code: a dispatching function
without a declaration is not found.
"""
from __future__ import annotations

import sys

__all__ = ["differentiable_functions", "rule_ops"]


def _has_rule(op) -> bool:
    """Whether ``op`` has a gradient for some input (a rule that only refuses, such as
    a special function's for an integer order, is not one; nor is the zero rule of a
    piecewise-constant function such as ``floor``)."""
    return op.joint is not None or any(
        r is not None and not getattr(r, "refuses", False)
        and not getattr(r, "constant", False) for r in op.vjps)


def _declared_op(fn, entry):
    """The operation that an entry of ``fn.ops`` names: a function made by ``defop``,
    or its name in ``fn``'s module or in the namespace."""
    if isinstance(entry, str):
        from . import linalg
        from .. import ops
        name = entry
        entry = next((getattr(m, name) for m in (sys.modules.get(fn.__module__), ops, linalg)
                      if m is not None and hasattr(m, name)), None)
        if entry is None:
            raise NameError(f"{fn.__name__} declares {name!r}, which is not defined")
    op = getattr(entry, "op", None)
    if op is None:
        raise TypeError(f"{fn.__name__} declares {entry!r}, which is not made by defop")
    return op


def rule_ops(fn) -> tuple:
    """The operations with gradient rules that the public function ``fn`` runs: its
    ``.op``, or those of the operations it declares (``.ops``), in their order."""
    op = getattr(fn, "op", None)
    if op is not None:
        return (op,) if _has_rule(op) else ()
    found = []
    for entry in getattr(fn, "ops", ()) or ():
        op = _declared_op(fn, entry)
        if _has_rule(op) and op not in found:
            found.append(op)
    return tuple(found)


def differentiable_functions() -> dict[str, object]:
    """Every public function with a gradient rule, by its name in the namespace
    (``linalg.<name>``/``fft.<name>``/``special.<name>`` for those found only in an
    extension, ``linalg.`` only where the name is taken in the main namespace)."""
    from . import SECTIONS, fft, linalg, special

    found: dict[str, object] = {}
    for section in SECTIONS:
        for name in section.__all__:
            fn = getattr(section, name)
            if callable(fn) and not isinstance(fn, type) and rule_ops(fn):
                found[name] = fn
    # The extensions as arraygrad.linalg, arraygrad.fft and arraygrad.special show them.
    for prefix, module in (("linalg", linalg), ("fft", fft), ("special", special)):
        for name in module.__all__:
            fn = getattr(module, name)
            if not callable(fn) or isinstance(fn, type) or not rule_ops(fn):
                continue
            if found.get(name) is fn:
                continue
            found[f"{prefix}.{name}" if name in found or prefix != "linalg" else name] = fn
    return dict(sorted(found.items()))
