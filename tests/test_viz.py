"""``arraygrad.viz``: the DOT text of a backward graph (one box per node, leaves with
their names and shapes, edges along ``next_functions``, saved values on request), and
drawing through the graphviz package and the ``dot`` program, or a clear refusal."""
from __future__ import annotations

import os
import re
import sys

import pytest

import arraygrad as ag
from arraygrad import viz
from arraygrad.autograd import Function
from arraygrad.autograd.graph import saved_tensors_hooks
from gradcheck_utils import const, leaf, reseed, rnd

NODE = re.compile(r'    (n\d+) \[label="((?:[^"\\]|\\.)*)" fillcolor=(\w+)\]')
EDGE = re.compile(r"    (n\d+) -> (n\d+)( \[style=dashed dir=none\])?")
HEADER = 3  # "digraph {", the graph and the node styles


@pytest.fixture(autouse=True)
def _stream(request):
    reseed(request.node.nodeid)


class Picture:
    """A parsed ``to_dot`` text: every line is a node, an edge or the header, every
    node is declared once, and every edge joins declared nodes."""

    def __init__(self, text):
        lines = text.splitlines()
        assert lines[0] == "digraph {" and lines[-1] == "}"
        self.nodes, self.edges = {}, []
        for line in lines[HEADER:-1]:
            if m := NODE.fullmatch(line):
                assert m[1] not in self.nodes, f"{m[1]} declared twice"
                label = re.sub(r"\\(.)", lambda c: "\n" if c[1] == "n" else c[1], m[2])
                self.nodes[m[1]] = (label, m[3])
            elif m := EDGE.fullmatch(line):
                self.edges.append((m[1], m[2], bool(m[3])))
            else:
                raise AssertionError(f"not a node or an edge: {line!r}")
        for a, b, _ in self.edges:
            assert a in self.nodes and b in self.nodes

    def ids(self, label, color=None):
        return [n for n, (lab, c) in self.nodes.items()
                if lab == label and (color is None or c == color)]

    def one(self, label, color=None):
        (n,) = self.ids(label, color)
        return n

    def labels(self, color):
        return sorted(lab for lab, c in self.nodes.values() if c == color)

    def edges_between(self, source, target, dashed=False):
        return sum(1 for a, b, d in self.edges if (a, b, d) == (source, target, dashed))


def mlp():
    w, b = leaf(rnd(3, 2)), leaf(rnd(2))
    y = ag.sum(ag.tanh(const(rnd(4, 3)) @ w + b))
    return y, w, b


def test_nodes_leaves_and_output(backend):
    y, w, b = mlp()
    pic = Picture(viz.to_dot(y, params={"w": w, "b": b}))
    assert pic.labels("lightgrey") == ["AddBackward0", "MmBackward0", "SumBackward0",
                                       "TanhBackward0"]
    assert pic.labels("lightblue") == ["b\n(2,)", "w\n(3, 2)"]
    assert pic.labels("darkolivegreen1") == ["()"]
    n = {label: pic.one(label) for label in ("AddBackward0", "MmBackward0", "SumBackward0",
                                             "TanhBackward0", "b\n(2,)", "w\n(3, 2)", "()")}
    assert sorted((a, b) for a, b, _ in pic.edges) == sorted([
        (n["w\n(3, 2)"], n["MmBackward0"]), (n["MmBackward0"], n["AddBackward0"]),
        (n["b\n(2,)"], n["AddBackward0"]), (n["AddBackward0"], n["TanhBackward0"]),
        (n["TanhBackward0"], n["SumBackward0"]), (n["SumBackward0"], n["()"])])


def test_edges_follow_next_functions(numpy_backend):
    x, z = leaf(rnd(3)), leaf(rnd(3))
    y = ag.exp(x) * ag.sin(z) + x
    pic = Picture(viz.to_dot(y))
    # One incoming edge per entry of each node's next_functions.
    add = y.grad_fn
    into_add = sorted(pic.nodes[a][0] for a, b, _ in pic.edges if b == pic.one("AddBackward0"))
    assert into_add == sorted(["MulBackward0", "(3,)"])
    assert [f.name() for f, _ in add.next_functions] == \
        ["MulBackward0", "torch::autograd::AccumulateGrad"]  # PyTorch's names
    mul = pic.one("MulBackward0")
    assert sorted(pic.nodes[a][0] for a, b, _ in pic.edges if b == mul) == \
        ["ExpBackward0", "SinBackward0"]


def test_each_node_is_drawn_once(numpy_backend):
    x = leaf(rnd(3))
    h = ag.sin(x)
    y = h * h + ag.exp(h)
    pic = Picture(viz.to_dot(y))
    sin = pic.one("SinBackward0")
    assert pic.edges_between(sin, pic.one("MulBackward0")) == 2  # h * h: two inputs
    assert pic.edges_between(sin, pic.one("ExpBackward0")) == 1
    assert len(pic.ids("(3,)", "lightblue")) == 1


def test_several_tensors_share_their_graph(numpy_backend):
    x = leaf(rnd(2))
    h = ag.exp(x)
    a, b = ag.sin(h), ag.cos(h)
    pic = Picture(viz.to_dot(a, b, a, params={"a": a, "b": b, "x": x}))
    assert pic.labels("darkolivegreen1") == ["a\n(2,)", "b\n(2,)"]
    assert len(pic.ids("ExpBackward0")) == 1
    assert pic.labels("lightblue") == ["x\n(2,)"]


def test_a_tensor_without_graph_is_one_box(numpy_backend):
    pic = Picture(viz.to_dot(const([1.0, 2.0])))
    assert list(pic.nodes.values()) == [("(2,)", "darkolivegreen1")] and not pic.edges


def test_saved_values_with_shape_and_dtype(backend):
    x = leaf(rnd(3))
    h = ag.sin(x)
    y = ag.sum(h * h + ag.tanh(h))
    pic = Picture(viz.to_dot(y, show_saved=True))
    mul, tanh, sin = (pic.one(n) for n in ("MulBackward0", "TanhBackward0", "SinBackward0"))
    # h is saved by * twice (x1, x2: one array, drawn once), and tanh saves its result.
    saved_h = [n for n, (lab, c) in pic.nodes.items() if c == "orange" and
               pic.edges_between(n, mul, dashed=True)]
    assert len(saved_h) == 1 and pic.edges_between(saved_h[0], mul, dashed=True) == 2
    assert pic.nodes[saved_h[0]][0] in ("x1\n(3,) float64", "x2\n(3,) float64")
    result = pic.one("result\n(3,) float64")
    assert pic.edges_between(result, tanh, dashed=True) == 1
    assert pic.edges_between(pic.one("x\n(3,) float64"), sin, dashed=True) == 1
    assert "orange" not in viz.to_dot(y)


def test_attributes_and_freed_values(numpy_backend):
    x = leaf(rnd(2, 3))
    y = ag.sum(ag.mean(x * x, axis=1, keepdims=True))
    text = viz.to_dot(y, show_attrs=True)
    assert "axis: 1" in text and "keepdims: True" in text
    assert "x_shape: (2, 3)" in text
    assert "x_shape: (2..." in viz.to_dot(y, show_attrs=True, max_attr_chars=14)
    y.backward()
    pic = Picture(viz.to_dot(y, show_saved=True, show_attrs=True))
    assert pic.one("MulBackward0\n(saved values freed)")
    assert pic.labels("orange") == []


class Scale(Function):
    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        ctx.save_for_backward(x)
        return x * k

    @staticmethod
    def backward(ctx, g):
        return g * ctx.k, None


def test_custom_function_node(numpy_backend):
    x = leaf(rnd(2))
    y = Scale.apply(x, 3.0)
    pic = Picture(viz.to_dot(y, params={"x": x}, show_saved=True, show_attrs=True))
    node = pic.one("ScaleBackward\nk: 3.0")
    assert pic.edges_between(pic.one("saved_tensors[0]\n(2,) float64"), node, dashed=True) == 1
    assert pic.edges_between(pic.one("x\n(2,)", "lightblue"), node) == 1
    ag.sum(y).backward()
    assert "ScaleBackward\\n(saved values freed)\\nk: 3.0" in viz.to_dot(y, show_saved=True,
                                                                         show_attrs=True)


def test_packed_values_are_not_unpacked(numpy_backend):
    unpacked = []
    x = leaf(rnd(2))
    with saved_tensors_hooks(lambda t: t, lambda t: unpacked.append(t) or t):
        y = ag.exp(x)
    pic = Picture(viz.to_dot(y, show_saved=True))
    assert pic.one("result\n(packed by saved_tensors_hooks)", "orange")
    assert unpacked == []


def test_deep_graph_needs_no_recursion(numpy_backend):
    depth = 3 * sys.getrecursionlimit()
    x = leaf([0.5])
    y = x
    for _ in range(depth):
        y = y * 1.0
    pic = Picture(viz.to_dot(y))
    assert len(pic.ids("MulBackward0")) == depth
    assert len(pic.edges) == depth + 1


def test_labels_are_escaped(numpy_backend):
    x = leaf([1.0])
    name = 'w "1" \\ two\nlines'
    pic = Picture(viz.to_dot(ag.sin(x), params={name: x}))
    assert pic.labels("lightblue") == [name + "\n(1,)"]


def test_bad_arguments(numpy_backend):
    with pytest.raises(TypeError, match="to_dot draws Tensors; argument 1 is a list"):
        viz.to_dot(leaf([1.0]), [1.0])
    with pytest.raises(TypeError, match=r"params\['w'\] is a float, not a Tensor"):
        viz.to_dot(leaf([1.0]), params={"w": 1.0})


# -- drawing -------------------------------------------------------------------------

FAKE_DOT = """#!/bin/sh
# Graphviz's dot, as far as graphviz.Source.render needs it: the DOT text goes to -o.
out=""; src=""
while [ $# -gt 0 ]; do
  case "$1" in -o) out="$2"; shift;; -o*) out="${1#-o}";; -*) ;; *) src="$1";; esac
  shift
done
cat "$src" > "$out"
"""


def test_without_dot_the_error_says_what_to_install(numpy_backend, tmp_path, monkeypatch):
    pytest.importorskip("graphviz")
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot there
    y = ag.sin(leaf([1.0]))
    for draw in (lambda: viz.to_graphviz(y), lambda: viz.render(y, tmp_path / "g.svg")):
        with pytest.raises(viz.GraphvizUnavailable, match="Graphviz's dot program is not on "
                                                          "PATH: install Graphviz"):
            draw()


def test_without_the_graphviz_package(numpy_backend, monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    with pytest.raises(viz.GraphvizUnavailable, match=r"pip install graphviz"):
        viz.to_graphviz(ag.sin(leaf([1.0])))


@pytest.mark.skipif(sys.platform == "win32", reason="the stand-in dot is a shell script")
def test_render_goes_through_dot(numpy_backend, tmp_path, monkeypatch):
    graphviz = pytest.importorskip("graphviz")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "dot").write_text(FAKE_DOT)
    (bin_dir / "dot").chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir) + os.pathsep + os.environ.get("PATH", ""))
    y, w, b = mlp()
    source = viz.to_graphviz(y, params={"w": w})
    assert isinstance(source, graphviz.Source)
    assert source.source == viz.to_dot(y, params={"w": w})
    path = viz.render(y, tmp_path / "graph.png", format="png", params={"w": w})
    assert path.endswith("graph.png")
    assert (tmp_path / "graph.png").read_text() == viz.to_dot(y, params={"w": w})
