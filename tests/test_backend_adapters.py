"""Backend knowledge lives in the backend layer only.

``arraygrad.ops`` is written against the Array API standard alone: what a backend's
library lacks or does differently is filled in by an adapter of the backend layer
(``arraygrad/backends/adapters.py``) that the profile names (``linalg = "dask"``) and
the backend's rule namespace carries (as ``xp.linalg``, ``xp.fft``).

The rule pinned here: no module under ``arraygrad/ops/`` names Dask or PyTorch in its
code, that is in an identifier, an attribute, an import or a string literal (f-strings
included), matched case-insensitively on ``dask`` and ``torch``. Comments and
docstrings may name them (to say where a standard-terms formula comes from, or which
library motivated a fallback). The one exception is arraygrad's own PyTorch-style
method API (``ops/torch_methods.py``, class ``TorchMethods``), which is named after
PyTorch's spelling and knows nothing about the torch backend.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import arraygrad as ag
from arraygrad.backend import get_backend
from arraygrad.backends import profiles
from arraygrad.backends.adapters import FFT, LINALG, DaskFFT, DaskLinalg, install

OPS = Path(__file__).resolve().parents[1] / "arraygrad" / "ops"
BACKEND_NAMES = re.compile(r"dask|torch", re.IGNORECASE)
# arraygrad's PyTorch-style methods: an API spelled after PyTorch, not its backend.
ALLOWED = {"torch_methods", "TorchMethods"}


def _docstrings(tree) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                found.add(id(body[0].value))
    return found


def _names_in_code(path: Path):
    """(line, text) for each identifier, attribute, import and string literal of the
    module's code (its docstrings and comments left out)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            texts = [node.id]
        elif isinstance(node, ast.Attribute):
            texts = [node.attr]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            texts = [node.name]
        elif isinstance(node, ast.arg):
            texts = [node.arg]
        elif isinstance(node, ast.keyword):
            texts = [node.arg or ""]
        elif isinstance(node, ast.alias):
            texts = [node.name, node.asname or ""]
        elif isinstance(node, ast.ImportFrom):
            texts = [node.module or ""]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) in docstrings:
                continue
            texts = [node.value]
        else:
            continue
        for text in texts:
            yield getattr(node, "lineno", 0), text


def _backend_names_in_ops() -> list[str]:
    found = []
    for path in sorted(OPS.rglob("*.py")):
        for line, text in _names_in_code(path):
            parts = [p for p in text.split(".") if p not in ALLOWED]
            if any(BACKEND_NAMES.search(p) for p in parts):
                found.append(f"{path.relative_to(OPS.parent.parent)}:{line}: {text[:80]!r}")
    return found


def test_ops_name_no_backend_in_code():
    found = _backend_names_in_ops()
    assert not found, ("backend knowledge in arraygrad/ops/ (move it to an adapter in "
                       "arraygrad/backends/):\n  " + "\n  ".join(found))


def test_the_scan_sees_code_but_not_docstrings(tmp_path):
    module = tmp_path / "m.py"
    module.write_text('"""Dask and torch may be named here."""\n'
                      "# and in comments: dask\n"
                      "def f(x):\n"
                      '    """On Dask, too."""\n'
                      "    return is_dask_array(x), f'on the {x} torch backend'\n")
    texts = [text for _, text in _names_in_code(module)]
    assert "is_dask_array" in texts
    assert any("torch backend" in t for t in texts)
    assert not any("may be named" in t or "On Dask" in t for t in texts)


# -- selection from the profile ---------------------------------------------------------

def test_adapters_are_selected_by_the_profile():
    assert profiles()["dask"]["linalg"] == "dask" and profiles()["dask"]["fft"] == "dask"
    assert LINALG["dask"] is DaskLinalg and FFT["dask"] is DaskFFT
    for name, profile in profiles().items():
        assert profile.get("linalg", "dask") in LINALG, name
        assert profile.get("fft", "dask") in FFT, name


def test_install_wraps_the_namespaces_own_extensions():
    own_linalg, own_fft = SimpleNamespace(inv=len), SimpleNamespace(fftshift=len)
    ns = SimpleNamespace(linalg=own_linalg, fft=own_fft)
    install(ns, {"name": "plain"})  # no fields: the namespace's own, untouched
    assert ns.linalg is own_linalg and ns.fft is own_fft
    install(ns, {"name": "lazy", "linalg": "dask", "fft": "dask"})
    assert isinstance(ns.linalg, DaskLinalg) and isinstance(ns.fft, DaskFFT)
    assert ns.linalg.inv.__self__ is ns.linalg  # adapted
    assert ns.fft.fftshift is len               # passed through
    with pytest.raises(ValueError, match="unknown linalg adapter 'nope'.*dask"):
        install(SimpleNamespace(linalg=own_linalg), {"name": "odd", "linalg": "nope"})


def test_numpy_uses_its_own_linalg():
    backend = get_backend("numpy")
    assert "linalg" not in backend.profile and "fft" not in backend.profile
    assert backend.ns.linalg is backend.xp.linalg
    assert backend.ns.fft is backend.xp.fft


@pytest.fixture
def dask_backend():
    pytest.importorskip("dask.array")
    return get_backend("dask")


def test_dask_carries_its_adapters(dask_backend):
    ns = dask_backend.ns
    assert isinstance(ns.linalg, DaskLinalg) and isinstance(ns.fft, DaskFFT)
    assert ns.linalg.vector_norm is dask_backend.xp.linalg.vector_norm  # needs no adapting
    with pytest.raises(NotImplementedError) as info:
        ns.linalg.det(dask_backend.xp.ones((2, 2)))
    assert str(info.value) == ("linalg.det is not available on the dask backend: dask.array "
                               "(and array-api-compat dask namespace) has no det")


def test_dask_adapters_stay_lazy(dask_backend):
    """Forwards and rules through the adapters compute nothing."""
    import dask

    computes = []

    def scheduler(dsk, keys, **kwargs):
        computes.append(keys)
        return dask.get(dsk, keys, **kwargs)

    rng = np.random.default_rng(0)
    a = rng.standard_normal((2, 3, 3))
    spd = a @ np.swapaxes(a, -1, -2) + 3 * np.eye(3)
    with ag.use_backend("dask"), dask.config.set(scheduler=scheduler):
        x = ag.asarray(spd.tolist(), requires_grad=True)
        b = ag.asarray(rng.standard_normal((2, 3)).tolist(), requires_grad=True)
        tall = ag.asarray(rng.standard_normal((2, 4, 3)).tolist(), requires_grad=True)
        U, S, Vh = ag.linalg.svd(tall, full_matrices=False)
        Q, R = ag.linalg.qr(tall)
        loss = (ag.sum(ag.linalg.inv(x)) + ag.sum(ag.linalg.solve(x, b[0]))
                + ag.sum(ag.linalg.cholesky(x, upper=True)) + ag.sum(ag.linalg.pinv(tall))
                + ag.sum(ag.linalg.svdvals(tall)) + ag.sum(U) + ag.sum(S) + ag.sum(Vh)
                + ag.sum(Q) + ag.sum(R) + ag.sum(ag.linalg.cross(b, b[:, ::-1]))
                + ag.sum(ag.abs(ag.fft.fft(b, axis=1))))
        ag.linalg.matrix_rank(x)
        (g,) = ag.autograd.grad(loss, [x], create_graph=True)
        ag.sum(g * g).backward()
        assert not computes
        assert type(x.grad.data).__module__.startswith("dask")
        x.grad.numpy()  # reading values computes: the counter sees it
        assert computes


def test_the_numpy_namespace_calls_numpy_where_the_wrapper_only_passes_the_call_on():
    ns = get_backend("numpy").ns
    assert ns.matmul is np.matmul


def test_torch_direct_calls_keep_the_standard_where_torch_differs():
    """The torch backend calls torch's own functions for the common case (operands of
    one dtype) and array-api-compat's wrappers for the rest (backends.DIRECT)."""
    torch = pytest.importorskip("torch")
    backend = get_backend("torch")
    ns = backend.ns
    assert ns.matmul is not backend.xp.matmul
    f32, f64 = torch.ones((2, 3), dtype=torch.float32), torch.ones((3, 2), dtype=torch.float64)
    assert ns.matmul(f32, f64).dtype == torch.float64  # torch.matmul refuses mixed dtypes
    assert ns.matmul(f32, f32.T).dtype == torch.float32
    mask = torch.tensor([True, False])
    assert ns.where(mask, torch.ones(2, dtype=torch.float32), 2.0).dtype == torch.float32
    assert ns.where(mask, torch.ones(2), torch.zeros(2)).tolist() == [1.0, 0.0]
    assert ns.sum(f64, axis=None, keepdims=True).shape == (1, 1)  # torch: no keepdim here
    assert ns.sum(f64, axis=1, keepdims=True).shape == (3, 1)
    assert ns.matrix_transpose(f32).shape == (3, 2)
    with pytest.raises(ValueError, match="2-dimensional"):
        ns.matrix_transpose(torch.ones(3))
