"""The autograd tutorial (/work/shared/seed/autograd_tutorial.md) as a test, cell by
cell, on every backend.

Deterministic cells must print exactly what PyTorch printed in the tutorial; object
addresses are matched by pattern. Cells that draw random numbers are checked by the
relations that must hold. The tutorial's ``y.data.norm()`` is ``y.detach().norm()``
here (arraygrad's ``.data`` is the raw backend array) and ``torch.float`` is
``arraygrad.float``.

The tutorial code is also run, unchanged but for the module, under PyTorch itself
(``run_tutorial(torch)``) on inputs exactly representable in float32, and arraygrad's
printout must equal PyTorch's, cell for cell.
"""
from __future__ import annotations

import contextlib
import io
import re
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import arraygrad as ag

ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+>")
NON_LEAF = "not a leaf Tensor"


@contextlib.contextmanager
def cell(capsys):
    """Collects what a cell prints: ``with cell(capsys) as out: ...; out.text``."""
    capsys.readouterr()

    class Out:
        text = None

    out = Out()
    yield out
    out.text = capsys.readouterr().out


def same_output(got: str, expected: str) -> bool:
    """Equal once object addresses are masked (``<AddBackward0 object at 0x…>``)."""
    return ADDRESS.sub(" at 0x…>", got) == ADDRESS.sub(" at 0x…>", expected)


# -- "Following example in Andrej's lecture" (cells 2-10) -----------------------------

def test_andrej_example(backend, capsys):
    # In [2]
    x = ag.tensor(-2.0, requires_grad=True)
    y = ag.tensor(5.0, requires_grad=True)
    z = ag.tensor(-4.0, requires_grad=True)
    # In [3]
    assert repr(x) == "tensor(-2., requires_grad=True)"
    assert repr(y) == "tensor(5., requires_grad=True)"
    assert repr(z) == "tensor(-4., requires_grad=True)"
    assert x.is_leaf and x.grad_fn is None and x.grad is None
    assert x.dtype == backend.default_float
    # In [4], In [5]
    q = x + y
    f = z * q
    assert repr(q) == "tensor(3., grad_fn=<AddBackward0>)"
    assert repr(f) == "tensor(-12., grad_fn=<MulBackward0>)"
    # In [6]
    f.backward()
    # In [7]: .grad of a non-leaf is None, and reading it warns.
    with cell(capsys) as out, pytest.warns(UserWarning, match=NON_LEAF) as record:
        print(f.grad)
        print(q.grad)
    assert out.text == "None\nNone\n"
    assert sum(issubclass(w.category, UserWarning) and NON_LEAF in str(w.message)
               for w in record) == 2
    # In [8], In [9], In [10]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a leaf's .grad does not warn
        assert repr(x.grad) == "tensor(-4.)"
        assert repr(y.grad) == "tensor(-4.)"
        assert repr(z.grad) == "tensor(3.)"
    assert x.grad.dtype == x.dtype
    assert not x.grad.requires_grad and x.grad.grad_fn is None


def test_backward_twice_without_retain_graph_fails(backend):
    """The tutorial: "if you try to call .backward() again, the intermediary results
    don't exist and the backward pass cannot be performed"."""
    x = ag.tensor(-2.0, requires_grad=True)
    z = ag.tensor(-4.0, requires_grad=True)
    f = z * (x * x)
    f.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        f.backward()


# -- "Following pytorch tutorial" (cells 12-24) -----------------------------------------

def test_pytorch_tutorial_cells(backend, capsys):
    # In [12]
    with cell(capsys) as out:
        x = ag.ones(2, 2, requires_grad=True)
        print(x)
    assert out.text == "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)\n"
    # In [13], In [14]
    y = x + 2
    with cell(capsys) as out:
        print(y)
    assert out.text == "tensor([[3., 3.],\n        [3., 3.]], grad_fn=<AddBackward0>)\n"
    # In [15]
    with cell(capsys) as out:
        print(y.grad_fn)
    assert re.fullmatch(r"<AddBackward0 object at 0x[0-9a-f]+>\n", out.text), out.text
    # In [16]
    with cell(capsys) as out:
        print(x.grad_fn)
    assert out.text == "None\n"
    # In [17], In [18], In [19]
    z = y * y * 3
    out_ = z.mean()
    with cell(capsys) as out:
        print(z)
    assert out.text == "tensor([[27., 27.],\n        [27., 27.]], grad_fn=<MulBackward0>)\n"
    with cell(capsys) as out:
        print(out_)
    assert out.text == "tensor(27., grad_fn=<MeanBackward0>)\n"
    # In [23], In [24]
    out_.backward()
    with cell(capsys) as out:
        print(x.grad)
    assert out.text == "tensor([[4.5000, 4.5000],\n        [4.5000, 4.5000]])\n"
    assert x.grad.dtype == backend.default_float


def test_backward_of_scalar_equals_backward_of_one(backend):
    """"``out.backward()`` is equivalent to ``out.backward(torch.tensor(1.))``"."""
    grads = []
    for seed in (None, ag.tensor(1.0)):
        x = ag.ones(2, 2, requires_grad=True)
        out = ((x + 2) * (x + 2) * 3).mean()
        out.backward() if seed is None else out.backward(seed)
        grads.append(x.grad.numpy())
    assert_array_equal(grads[0], grads[1])
    assert_allclose(grads[0], np.full((2, 2), 4.5))


def test_requires_grad_in_place(backend, capsys):
    # In [20]
    ag.manual_seed(0)
    a = ag.randn(2, 2)
    a0 = a.numpy()
    a = ((a * 3) / (a - 1))
    with cell(capsys) as out:
        print(a.requires_grad)
    assert out.text == "False\n"
    assert a.grad_fn is None
    assert_allclose(a.numpy(), a0 * 3 / (a0 - 1), rtol=1e-6)
    # In [21]
    same = a.requires_grad_(True)
    assert same is a
    with cell(capsys) as out:
        print(a.requires_grad)
    assert out.text == "True\n"
    assert a.is_leaf
    # In [22]
    b = (a * a).sum()
    with cell(capsys) as out:
        print(b.grad_fn)
    assert re.fullmatch(r"<SumBackward0 object at 0x[0-9a-f]+>\n", out.text), out.text
    b.backward()
    assert_allclose(a.grad.numpy(), 2 * a.detach().numpy(), rtol=1e-6)


def test_requires_grad_false_on_non_leaf_fails(backend):
    x = ag.ones(2, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)


# -- "Another example" (cells 25-27) with random x: the relations that must hold -----

@pytest.mark.parametrize("seed", [0, 1, 2])
def test_vjp_doubling_random(backend, capsys, seed):
    # In [25]
    ag.manual_seed(seed)
    x = ag.randn(3, requires_grad=True)
    x0 = x.detach().numpy()
    y = x * 2
    ys = []
    with cell(capsys) as out:
        while y.detach().norm() < 1000:
            y = y * 2
            print(y)
            ys.append(y)
    k = len(ys)  # the doublings inside the loop; y == 2 ** (k + 1) * x
    norm = np.linalg.norm(x0)
    assert 2 ** (k + 1) * norm >= 1000 * (1 - 1e-6)
    assert k == 0 or 2 ** k * norm < 1000 * (1 + 1e-6)
    lines = out.text.splitlines()
    assert len(lines) == k
    for i, (line, yi) in enumerate(zip(lines, ys)):
        assert re.fullmatch(r"tensor\(\[ *-?[0-9.e+-]+, +-?[0-9.e+-]+, +-?[0-9.e+-]+\], "
                            r"grad_fn=<MulBackward0>\)", line), line
        assert line == repr(yi)
        assert_allclose(yi.detach().numpy(), 2 ** (i + 2) * x0, rtol=1e-6)
    # In [26]
    v = ag.tensor([0.1, 1.0, 0.0001], dtype=ag.float)
    assert v.dtype == ag.float32
    y.backward(v, retain_graph=True)
    scale = 2.0 ** (k + 1)
    v_host = np.array([0.1, 1.0, 0.0001], dtype=np.float32).astype(np.float64)
    assert x.grad.dtype == x.dtype
    assert_allclose(x.grad.numpy(), scale * v_host, rtol=1e-6)
    # In [27]: a second backward adds into x.grad.
    y.backward(ag.ones_like(y), retain_graph=True)
    assert_allclose(x.grad.numpy(), scale * (v_host + 1), rtol=1e-6)
    # .grad of the non-leaf y is None and warns.
    with pytest.warns(UserWarning, match=NON_LEAF):
        assert y.grad is None


def test_no_grad_and_detach(backend, capsys):
    ag.manual_seed(3)
    x = ag.randn(3, requires_grad=True)
    # In [28]
    with cell(capsys) as out:
        print(x.requires_grad)
        print((x ** 2).requires_grad)
        with ag.no_grad():
            print((x ** 2).requires_grad)
    assert out.text == "True\nTrue\nFalse\n"
    # In [29]
    with cell(capsys) as out:
        print(x.requires_grad)
        y = x.detach()
        print(y.requires_grad)
        print(x.eq(y).all())
    assert out.text == "True\nFalse\ntensor(True)\n"
    assert y.grad_fn is None and y.is_leaf
    assert_array_equal(y.numpy(), x.detach().numpy())


# -- the whole tutorial, under PyTorch and under arraygrad ---------------------------

# Values exactly representable in float32, so that float32 (PyTorch, arraygrad on
# torch) and float64 (arraygrad elsewhere) hold the same numbers: y = 2**k * x is then
# exact in both and every printout must be identical. Both give ten doublings, as in
# the tutorial.
X_FIXED = [
    np.array([0.015625, -0.046875, -0.6875], dtype=np.float32).tolist(),
    np.array([0.010149, -0.0308, -0.6935], dtype=np.float32).tolist(),
]


def run_tutorial(lib, x_values):
    """The tutorial's code for ``lib`` (``torch`` or ``arraygrad``): returns, per cell,
    what it printed and the warnings it raised. Random draws are replaced by fixed
    values (``x_values``) so that both libraries see the same numbers."""
    cells = {}

    def run(n, body):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf), warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            body()
        cells[n] = (buf.getvalue(), [str(x.category.__name__) for x in w])

    ns = {}

    def c2():
        ns["x"] = lib.tensor(-2.0, requires_grad=True)
        ns["y"] = lib.tensor(5.0, requires_grad=True)
        ns["z"] = lib.tensor(-4.0, requires_grad=True)

    def c3():
        print(repr(ns["x"]))

    def c4_6():
        ns["q"] = ns["x"] + ns["y"]
        ns["f"] = ns["z"] * ns["q"]
        ns["f"].backward()

    def c7():
        print(ns["f"].grad)
        print(ns["q"].grad)

    def c8_10():
        print(repr(ns["x"].grad))
        print(repr(ns["y"].grad))
        print(repr(ns["z"].grad))

    def c12():
        ns["x"] = lib.ones(2, 2, requires_grad=True)
        print(ns["x"])

    def c13_14():
        ns["y"] = ns["x"] + 2
        print(ns["y"])

    def c15_16():
        print(ns["y"].grad_fn)
        print(ns["x"].grad_fn)

    def c17_19():
        ns["z"] = ns["y"] * ns["y"] * 3
        ns["out"] = ns["z"].mean()
        print(ns["z"])
        print(ns["out"])

    def c20_22():
        a = lib.tensor([[0.5, -1.25], [2.0, 0.75]])
        a = ((a * 3) / (a - 1))
        print(a.requires_grad)
        a.requires_grad_(True)
        print(a.requires_grad)
        b = (a * a).sum()
        print(b.grad_fn)

    def c23_24():
        ns["out"].backward()
        print(ns["x"].grad)

    def c25():
        x = lib.tensor(x_values, requires_grad=True)
        y = x * 2
        while y.detach().norm() < 1000:
            y = y * 2
            print(y)
        ns["x"], ns["y"] = x, y

    def c26():
        v = lib.tensor([0.1, 1.0, 0.0001], dtype=lib.float)
        ns["y"].backward(v, retain_graph=True)
        print(ns["x"].grad)

    def c27():
        ns["y"].backward(lib.ones_like(ns["y"]), retain_graph=True)
        print(ns["x"].grad)

    def c28():
        x = ns["x"]
        print(x.requires_grad)
        print((x ** 2).requires_grad)
        with lib.no_grad():
            print((x ** 2).requires_grad)

    def c29():
        x = ns["x"]
        print(x.requires_grad)
        y = x.detach()
        print(y.requires_grad)
        print(x.eq(y).all())

    for n, body in [(2, c2), (3, c3), (6, c4_6), (7, c7), (10, c8_10), (12, c12),
                    (14, c13_14), (16, c15_16), (19, c17_19), (22, c20_22), (24, c23_24),
                    (25, c25), (26, c26), (27, c27), (28, c28), (29, c29)]:
        run(n, body)
    return cells


# What the tutorial printed in its deterministic cells (cells 25-27 use the fixed x
# values above, which give the tutorial's ten doublings and so its cells 26 and 27).
TUTORIAL_OUTPUT = {
    3: "tensor(-2., requires_grad=True)\n",
    7: "None\nNone\n",
    10: "tensor(-4.)\ntensor(-4.)\ntensor(3.)\n",
    12: "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)\n",
    14: "tensor([[3., 3.],\n        [3., 3.]], grad_fn=<AddBackward0>)\n",
    16: "<AddBackward0 object at 0x7f1cbfab5d68>\nNone\n",
    19: "tensor([[27., 27.],\n        [27., 27.]], grad_fn=<MulBackward0>)\n"
        "tensor(27., grad_fn=<MeanBackward0>)\n",
    22: "False\nTrue\n<SumBackward0 object at 0x7f1d3061b208>\n",
    24: "tensor([[4.5000, 4.5000],\n        [4.5000, 4.5000]])\n",
    26: "tensor([2.0480e+02, 2.0480e+03, 2.0480e-01])\n",
    27: "tensor([2252.8000, 4096.0000, 2048.2048])\n",
    28: "True\nTrue\nFalse\n",
    29: "True\nFalse\ntensor(True)\n",
}


@pytest.fixture(scope="module")
def torch_runs():
    torch = pytest.importorskip("torch")
    return [run_tutorial(torch, xv) for xv in X_FIXED]


@pytest.mark.parametrize("which", range(len(X_FIXED)))
def test_tutorial_prints_what_pytorch_prints(backend, torch_runs, which):
    expected = torch_runs[which]
    got = run_tutorial(ag, X_FIXED[which])
    for n, (torch_text, torch_warnings) in expected.items():
        text, warned = got[n]
        assert same_output(text, torch_text), (
            f"cell {n}:\narraygrad printed\n{text}\nPyTorch printed\n{torch_text}")
        assert sorted(warned) == sorted(torch_warnings), f"cell {n}: warnings {warned}"
    for n, literal in TUTORIAL_OUTPUT.items():
        assert same_output(got[n][0], literal), (
            f"cell {n}:\narraygrad printed\n{got[n][0]}\nthe tutorial printed\n{literal}")
    assert got[25][0].count("\n") == 10  # ten doublings, as in the tutorial
    assert got[7][1] == ["UserWarning", "UserWarning"]
