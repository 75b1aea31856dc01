"""Pictures of the backward graph, after torchviz's ``make_dot``: ``to_dot`` writes the
graph behind some tensors as DOT (Graphviz's text format) and needs nothing installed;
``to_graphviz`` and ``render`` hand that text to the ``graphviz`` package and
Graphviz's ``dot`` program.

One grey box per node, named as ``grad_fn`` prints it (``MulBackward0``); one light
blue box per leaf that collects a gradient (PyTorch's ``AccumulateGrad``), with its
shape and the name ``params`` gives it; the tensors asked about in green, with their
shape. Edges go the way the forward went: from each node's inputs (its
``next_functions``) to the node. ``show_saved`` adds what each node keeps for backward
(orange, with shape and dtype; dashed edges), ``show_attrs`` the Python values it
keeps (axes, shapes, scalars) in its box.
"""
from __future__ import annotations

import shutil

from ._tensor import Tensor
from .autograd.node import FREED, CustomNode, Node, OpNode
from .autograd.graph import Packed
from .backend import backend_of_array, is_backend_array

__all__ = ["GraphvizUnavailable", "render", "to_dot", "to_graphviz"]

_STYLE = ("    graph [size=\"12,12\"]\n"
          "    node [align=left fontname=monospace fontsize=10 height=0.2 ranksep=0.1 "
          "shape=box style=filled]")
_FILL = {"node": "lightgrey", "leaf": "lightblue", "output": "darkolivegreen1",
         "saved": "orange"}


class GraphvizUnavailable(RuntimeError):
    """Drawing needs the ``graphviz`` Python package and Graphviz's ``dot`` program."""


def to_dot(*tensors, params=None, show_saved=False, show_attrs=False,
           max_attr_chars=50) -> str:
    """The DOT source of the graph behind ``tensors``.

    ``params``: a mapping from names to tensors (``{"w": w}``) that labels them.
    ``show_saved``: also draw the arrays each node saved for backward (the ones that
    went through saved-tensor hooks are drawn as packed, not unpacked).
    ``show_attrs``: list in each node's box the Python values it saved, each cut to
    ``max_attr_chars`` characters. The walk is iterative (deep graphs need no recursion)
    and draws each node once.
    """
    drawing = _Drawing(_names(params), max_attr_chars)
    stack = []

    def visit(vertex):
        """Draw ``vertex`` when first seen; a node's inputs are drawn from the stack."""
        if not drawing.first_sight(vertex):
            return
        if isinstance(vertex, Node):
            drawing.node(vertex, show_saved, show_attrs)
            stack.append(vertex)
        else:
            drawing.box(vertex, "leaf", _label(drawing.names.get(id(vertex)), _shape(vertex)))

    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"to_dot draws Tensors; argument {i} is a {type(t).__name__}")
        if not drawing.first_sight(t):
            continue  # asked for twice
        drawing.box(t, "output", _label(drawing.names.get(id(t)), _shape(t)))
        if t.grad_fn is not None:
            visit(t.grad_fn)
            drawing.edge(t.grad_fn, t)
    while stack:
        node = stack.pop()
        for vertex in node._next:
            if vertex is not None:
                visit(vertex)
                drawing.edge(vertex, node)
    return "digraph {\n" + _STYLE + "\n" + "\n".join(drawing.lines) + "\n}\n"


def to_graphviz(*tensors, **options):
    """The picture as a ``graphviz.Source`` (Jupyter displays it); ``options`` as for
    ``to_dot``."""
    return _graphviz().Source(to_dot(*tensors, **options))


def render(tensors, path, format="svg", **options) -> str:
    """Draw the graph behind ``tensors`` (a Tensor or a sequence of them) into the file
    ``path`` in ``format`` ("svg", "png", "pdf", …); returns the path written."""
    if isinstance(tensors, Tensor):
        tensors = (tensors,)
    return to_graphviz(*tensors, **options).render(outfile=path, format=format,
                                                   cleanup=True)


def _graphviz():
    try:
        import graphviz
    except ImportError:
        raise GraphvizUnavailable(
            "drawing the graph needs the graphviz Python package (pip install graphviz) "
            "and Graphviz's dot program; arraygrad.viz.to_dot gives the DOT text without "
            "either") from None
    if shutil.which("dot") is None:
        raise GraphvizUnavailable(
            "Graphviz's dot program is not on PATH: install Graphviz (apt install graphviz, "
            "brew install graphviz or conda install graphviz); arraygrad.viz.to_dot gives "
            "the DOT text without it")
    return graphviz


class _Drawing:
    """The DOT lines so far, and the name given to each object drawn."""

    def __init__(self, names, max_attr_chars):
        self.names = names
        self.max_attr_chars = max_attr_chars
        self.lines = []
        self._ids = {}

    def first_sight(self, obj) -> bool:
        """Whether ``obj`` is new to the drawing (it gets its name now)."""
        if id(obj) in self._ids:
            return False
        self._ids[id(obj)] = f"n{len(self._ids)}"
        return True

    def box(self, obj, kind, label):
        """Declare ``obj`` (named already by ``first_sight``)."""
        self.lines.append(f"    {self._ids[id(obj)]} [label={_quote(label)} "
                          f"fillcolor={_FILL[kind]}]")

    def edge(self, source, target, dashed=False):
        style = " [style=dashed dir=none]" if dashed else ""
        self.lines.append(f"    {self._ids[id(source)]} -> {self._ids[id(target)]}{style}")

    def node(self, node, show_saved, show_attrs):
        saved, attrs = _kept(node)
        lines = [node.name()]
        if saved is None and (show_saved or show_attrs):
            lines.append("(saved values freed)")
        if show_attrs:
            lines += [_cut(f"{name}: {value!r}", self.max_attr_chars) for name, value in attrs]
        self.box(node, "node", "\n".join(lines))
        if show_saved:
            for name, value in saved or ():
                if self.first_sight(value):
                    self.box(value, "saved", _label(name, _describe(value)))
                self.edge(value, node, dashed=True)


# What the ctx of every Function carries (not the user's own attributes).
_CTX_OWN = frozenset({"needs_input_grad", "materialize_grads"})


def _kept(node):
    """What ``node`` keeps for backward: ([(name, array)], [(name, Python value)]), the
    arrays None once backward has freed them."""
    freed = node._saved is FREED
    arrays, attrs = [], []
    if isinstance(node, CustomNode):
        attrs = [(k, v) for k, v in vars(node.ctx).items()
                 if not k.startswith("_") and k not in _CTX_OWN]
        if not freed:
            arrays = [(f"saved_tensors[{k}]", data) for k, data in enumerate(node._saved)]
    elif isinstance(node, OpNode) and not freed:
        op = node.op
        for (kind, key), value in zip(node._plan.sources, node._saved):
            if kind == "input":
                name = op.inputs[key]
            elif kind == "result":
                name = "result"
            else:
                attrs.append((key if kind == "kwarg" else f"{op.inputs[key]}_{kind}", value))
                continue
            if isinstance(value, (list, tuple)):  # a sequence of inputs, several results
                arrays += [(f"{name}[{k}]", v) for k, v in enumerate(value)]
            else:
                arrays.append((name, value))
    if freed:
        return None, attrs
    return [(n, v) for n, v in arrays if v is not None], attrs


def _describe(value) -> str:
    if type(value) is Packed:
        return "(packed by saved_tensors_hooks)"
    if is_backend_array(value):
        return f"{tuple(value.shape)} {backend_of_array(value).dtype_of(value).name}"
    return repr(value)  # a Python number saved as an input


def _names(params) -> dict:
    if params is None:
        return {}
    names = {}
    for name, t in dict(params).items():
        if not isinstance(t, Tensor):
            raise TypeError(f"params[{name!r}] is a {type(t).__name__}, not a Tensor")
        names[id(t)] = str(name)
    return names


def _shape(t) -> str:
    return str(tuple(t.shape))


def _label(name, text) -> str:
    return text if name is None else f"{name}\n{text}"


def _cut(text, limit) -> str:
    return text if len(text) <= limit else text[:max(limit - 3, 0)] + "..."


def _quote(text) -> str:
    """A DOT string: backslashes and quotes escaped, line breaks as \\n."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'
