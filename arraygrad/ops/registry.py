"""The differentiable functions of arraygrad's namespace, found from the section
modules' ``__all__`` and the ``linalg`` and ``fft`` extensions.

A function made by ``defop`` carries its operation as ``.op``; it is differentiable
when that operation has a rule (``vjps`` with one entry that is not ``None``, or a
``joint`` rule). A public function that dispatches between several operations (``pow``,
``sum``, ``matmul``, ``getitem``, …) has no ``.op``: it is found through the
module-level ``defop`` functions its code loads as globals (followed through the
module's private helpers), or through an ``ops`` attribute naming the operations
(``outer.ops``) where the dispatch goes through the namespace object.
"""
from __future__ import annotations

import dis
import types

__all__ = ["differentiable_functions", "rule_ops"]


def _has_rule(op) -> bool:
    """Whether ``op`` has a gradient for some input (a rule that only refuses, such as
    a special function's for an integer order, is not one; nor is the zero rule of a
    piecewise-constant function such as ``floor``)."""
    return op.joint is not None or any(
        r is not None and not getattr(r, "refuses", False)
        and not getattr(r, "constant", False) for r in op.vjps)


def _global_loads(code):
    for ins in dis.get_instructions(code):
        if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME"):
            yield ins.argval
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _global_loads(const)


def rule_ops(fn, _depth: int = 0, _seen=None) -> tuple:
    """The operations with gradient rules that the public function ``fn`` runs."""
    seen = set() if _seen is None else _seen
    op = getattr(fn, "op", None)
    if op is not None:
        return (op,) if _has_rule(op) else ()
    found = []
    for entry in getattr(fn, "ops", ()) or ():
        if isinstance(entry, str):
            from .. import _tensor  # noqa: F401  (arraygrad is imported by now)
            import arraygrad
            target = getattr(arraygrad, entry, None) or getattr(arraygrad.linalg, entry, None)
            entry = getattr(target, "op", None)
        else:
            entry = getattr(entry, "op", entry)
        if entry is not None and _has_rule(entry) and entry not in found:
            found.append(entry)
    code = getattr(fn, "__code__", None)
    if code is None or _depth > 4:
        return tuple(found)
    namespace = getattr(fn, "__globals__", {})
    for name in _global_loads(code):
        value = namespace.get(name)
        if value is None or id(value) in seen:
            continue
        seen.add(id(value))
        if hasattr(value, "op"):
            if _has_rule(value.op) and value.op not in found:
                found.append(value.op)
        elif isinstance(value, types.FunctionType) and value.__module__ == fn.__module__:
            found.extend(o for o in rule_ops(value, _depth + 1, seen) if o not in found)
    return tuple(found)


def differentiable_functions() -> dict[str, object]:
    """Every public function with a gradient rule, by its name in the namespace
    (``linalg.<name>``/``fft.<name>`` for those found only in an extension)."""
    import arraygrad
    from . import SECTIONS

    found: dict[str, object] = {}
    for section in SECTIONS:
        for name in section.__all__:
            fn = getattr(section, name)
            if callable(fn) and not isinstance(fn, type) and rule_ops(fn):
                found[name] = fn
    for prefix, module in (("linalg", arraygrad.linalg), ("fft", arraygrad.fft),
                           ("special", arraygrad.special)):
        for name in module.__all__:
            fn = getattr(module, name)
            if not callable(fn) or isinstance(fn, type) or not rule_ops(fn):
                continue
            if found.get(name) is fn:
                continue
            found[f"{prefix}.{name}" if name in found or prefix != "linalg" else name] = fn
    return dict(sorted(found.items()))
