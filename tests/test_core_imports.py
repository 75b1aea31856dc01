"""The core of arraygrad is written against the Array API only: no module outside
``arraygrad/backend.py`` and ``arraygrad/backends/`` may import an array library
(``array_api_compat`` is allowed: it is how the standard is reached)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "arraygrad"
FORBIDDEN = {"numpy", "cupy", "torch", "jax", "jaxlib", "dask", "array_api_strict"}
EXEMPT = {PACKAGE / "backend.py"}
EXEMPT_DIRS = {PACKAGE / "backends"}


def core_modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        if path in EXEMPT or any(d in path.parents for d in EXEMPT_DIRS):
            continue
        yield path


def imported_roots(tree):
    """(top-level module name, line) for every import in ``tree``, including imports
    inside functions and ``importlib.import_module("...")`` / ``__import__("...")``
    calls with a literal name."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                yield node.module.split(".")[0], node.lineno
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in ("import_module", "__import__") and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    yield arg.value.split(".")[0], node.lineno


MODULES = list(core_modules())


def test_core_modules_found():
    names = {p.relative_to(PACKAGE).as_posix() for p in MODULES}
    assert "_tensor.py" in names
    assert "autograd/engine.py" in names
    assert "ops/_define.py" in names
    assert "backend.py" not in names
    assert not any(n.startswith("backends/") for n in names)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_core_module_imports_no_array_library(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    bad = [(root, line) for root, line in imported_roots(tree) if root in FORBIDDEN]
    assert not bad, f"{path.relative_to(PACKAGE.parent)} imports " + ", ".join(
        f"{root} (line {line})" for root, line in bad)


def test_checker_catches_forbidden_imports():
    sample = ast.parse(
        "import numpy as np\n"
        "from torch import nn\n"
        "import jax.numpy\n"
        "def f():\n"
        "    import dask.array\n"
        "    importlib.import_module('cupy')\n"
        "from array_api_strict import asarray\n"
        "import array_api_compat\n"
        "from . import numpy_like\n")
    roots = {root for root, _ in imported_roots(sample)}
    assert FORBIDDEN - {"jaxlib"} <= roots
    assert "array_api_compat" in roots
    assert "numpy_like" not in roots
