"""The registry of differentiable functions (``arraygrad/ops/registry.py``) is built from
the definitions: a function's ``.op`` (``defop``) or the operations it declares with
``@dispatches`` (``.ops``), never from its code. And every public function says what it
computes: a docstring, the forward's for a function made by ``defop``."""
from __future__ import annotations

import ast
import inspect
import sys
from pathlib import Path

import pytest

import arraygrad
from arraygrad.ops import elementwise, registry
from arraygrad.ops._define import dispatches
from arraygrad.ops.registry import differentiable_functions, rule_ops

ROOT = Path(__file__).resolve().parents[1]


def test_the_registry_reads_no_bytecode():
    tree = ast.parse(Path(registry.__file__).read_text(encoding="utf-8"))
    imported = {a.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, (ast.Import, ast.ImportFrom)) for a in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert not imported & {"dis", "types", "inspect"}, imported
    names = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    names |= {node.value for node in ast.walk(tree)
              if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    assert not names & {"__code__", "__globals__", "co_consts"}


def test_every_function_with_a_conformance_case_is_found():
    sys.path.insert(0, str(ROOT))
    from conformance.cases import CASES
    missing = sorted(set(CASES) - set(differentiable_functions()))
    assert not missing, f"not found (declare what they run with @dispatches): {missing}"


def test_a_dispatching_function_is_found_by_its_declaration_only(monkeypatch):
    def pick(x, y=None):  # runs exp or add, but says nothing
        return elementwise.exp(x) if y is None else elementwise.add(x, y)

    monkeypatch.setattr(elementwise, "pick", pick, raising=False)
    monkeypatch.setattr(elementwise, "__all__", [*elementwise.__all__, "pick"])
    assert rule_ops(pick) == ()
    assert "pick" not in differentiable_functions()

    dispatches(elementwise.exp, "add")(pick)  # a defop function, or its name
    assert rule_ops(pick) == (elementwise.exp.op, elementwise.add.op)
    assert differentiable_functions()["pick"] is pick


def test_a_declaration_counts_only_operations_with_rules():
    # sign runs _sign_real (a zero gradient, not counted) or _sign_complex.
    assert rule_ops(arraygrad.sign) == (elementwise._sign_complex.op,)
    assert rule_ops(arraygrad.equal) == ()
    with pytest.raises(TypeError, match="not made by defop"):
        rule_ops(dispatches(len)(lambda x: x))


def _public_functions():
    found = {}
    for prefix, module in (("", arraygrad), ("linalg.", arraygrad.linalg),
                           ("fft.", arraygrad.fft)):
        for name in module.__all__:
            fn = getattr(module, name)
            if callable(fn) and not isinstance(fn, type) and id(fn) not in found:
                found[id(fn)] = (prefix + name, fn)
    return sorted(found.values(), key=lambda item: item[0])


def test_every_public_function_has_a_docstring():
    missing = [name for name, fn in _public_functions() if not (fn.__doc__ or "").strip()]
    assert not missing, f"public functions without a docstring: {missing}"


def test_a_defop_function_shows_its_forward_and_rule():
    made = [(name, fn) for name, fn in _public_functions() if hasattr(fn, "op")]
    assert len(made) > 100
    for name, fn in made:
        assert fn.__wrapped__ is fn.op.forward, name
    source = inspect.getsource(arraygrad.sin)
    assert "def sin(xp, x, /)" in source and 'node="SinBackward0"' in source
