"""arraygrad's layers point one way: each module imports only modules of its own layer or
of the layers below it, at module level and inside functions alike.

    backend  dtypes, backend selection and profiles, printing, grad-mode state
    tensor   the Tensor class
    autograd the graph: nodes, the engine, hooks, anomaly mode, graph breaks
    ops      the namespace's operations and their rules; installs Tensor's operators
    package  the public package: arraygrad, fft, linalg, special, func, optim, ...

``python tests/test_layering.py`` prints the import graph, layer by layer, with every
import that goes up a layer marked.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "arraygrad"

# Module name prefixes of each layer, lowest first; a module belongs to the layer of its
# longest matching prefix, and anything unlisted is the public package.
LAYERS = {
    "backend": ("arraygrad.dtypes", "arraygrad.backend", "arraygrad.backends",
                "arraygrad.printing", "arraygrad._refcount", "arraygrad.autograd._tokens",
                "arraygrad.autograd.grad_mode"),
    "tensor": ("arraygrad._tensor",),
    "autograd": ("arraygrad.autograd",),
    "ops": ("arraygrad.ops", "arraygrad.torch_methods"),
}
ORDER = [*LAYERS, "package"]


def layer_of(module: str) -> str:
    best, found = "", "package"
    for layer, prefixes in LAYERS.items():
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > len(best):
                best, found = prefix, layer
    return found


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports(module: str, path: Path, known: dict) -> list[tuple[str, int, bool]]:
    """(imported arraygrad module, line, at module level) for each import in ``path``."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([node.module] if node.module else []))
            # ``from pkg import mod`` imports the module pkg.mod when there is one.
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base
                       for a in node.names]
        else:
            continue
        for target in targets:
            if target.split(".")[0] == "arraygrad" and target != module:
                found.append((target, node.lineno, node.col_offset == 0))
    return found


def upward_imports() -> list[str]:
    known = modules()
    bad = []
    for module, path in known.items():
        own = ORDER.index(layer_of(module))
        for target, line, _ in imports(module, path, known):
            if ORDER.index(layer_of(target)) > own:
                bad.append(f"{path.relative_to(PACKAGE.parent)}:{line} ({layer_of(module)}) "
                           f"imports {target} ({layer_of(target)})")
    return bad


def test_every_module_has_a_layer_and_the_layers_are_populated():
    layers = {layer_of(m) for m in modules()}
    assert layers == set(ORDER)


def test_no_import_goes_up_a_layer():
    bad = upward_imports()
    assert not bad, "imports that go up a layer:\n" + "\n".join(bad)


def test_autograd_imports_nothing_from_ops():
    known = modules()
    for module, path in known.items():
        if layer_of(module) == "autograd":
            assert not [t for t, _, _ in imports(module, path, known)
                        if layer_of(t) in ("ops", "package")], module


@pytest.mark.parametrize("source, expected", [
    ("from ..ops import add", "arraygrad.ops"),
    ("from .. import ops", "arraygrad.ops"),
    ("import arraygrad", "arraygrad"),
])
def test_the_checker_sees_relative_and_absolute_imports(tmp_path, source, expected):
    path = tmp_path / "engine.py"
    path.write_text(f"def f():\n    {source}\n")
    found = imports("arraygrad.autograd.engine", path, modules())
    assert [(t, inner) for t, _, inner in found] == [(expected, False)]


def print_graph(out=sys.stdout) -> None:
    known = modules()
    for layer in ORDER:
        print(f"[{layer}]", file=out)
        for module, path in known.items():
            if layer_of(module) != layer:
                continue
            edges = sorted({t for t, _, top in imports(module, path, known) if top})
            inner = sorted({t for t, _, top in imports(module, path, known) if not top}
                           - set(edges))
            mark = lambda t: t + (" (UP)" if ORDER.index(layer_of(t)) > ORDER.index(layer)
                                  else "")
            line = f"  {module}: {', '.join(map(mark, edges)) or '-'}"
            if inner:
                line += f"; in functions: {', '.join(map(mark, inner))}"
            print(line, file=out)


if __name__ == "__main__":
    print_graph()
