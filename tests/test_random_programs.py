"""Random programs, differentiated: arraygrad's gradients against finite differences
and against ``torch.autograd``.

Hypothesis draws small programs over the namespace: chains of element-wise functions
(with broadcasting), reductions over axes, reshapes, permutations and matmul, mixed
with casts to int64 and bool and back to float, integer and boolean paths
(comparisons, ``where`` on masks), indexing (integer lists with repeats, boolean masks,
negative steps) and in-place writes (``y[key] = v``, ``y[key] += z``). A program is a
list of ``Step``s: data that one interpreter runs on any namespace, so the same
program runs on arraygrad (on each CPU backend) and, through array_api_compat, on
PyTorch. The gradient of ``sum(out * w)`` with respect to the float inputs must match

* central finite differences of the same program, run by arraygrad under ``no_grad``
  in float64, along random directions;
* ``torch.autograd.grad`` of the same program, where PyTorch runs it (it refuses
  negative slice steps, and a backward through a value written in place after it was
  saved).

A cast to an integer or boolean dtype cuts the graph, as in PyTorch: the cast value is
a constant to backward. Finite differences see the same thing away from the points
where a discrete choice (a cast's truncation, a comparison, ``abs``, ``maximum``, a
``max`` reduction's winner) changes: a step drawn within ``MARGIN`` of one is not
taken, and an example whose differences with steps EPS and EPS / 2 disagree (a choice
changed within the step, where derivatives are large) is rejected. A wrong gradient
never makes them disagree.

The conformance suite checks each rule on its own; these programs check how rules
compose: broadcasting's reductions, gradients accumulating through repeated indices
and reused values, writes over values the graph still needs, and graph cuts.
"""
from __future__ import annotations

import itertools
import operator
import warnings
from dataclasses import dataclass
from typing import Callable

import array_api_compat.numpy as npx
import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st
from hypothesis.errors import HypothesisWarning
from hypothesis.extra.array_api import make_strategies_namespace

import arraygrad as ag
from arraygrad.autograd._numerical import central_difference

EPS = 1e-6            # central differences, float64
FD_RTOL = 1e-6        # relative to sum |g| |u|
FD_ATOL = 1e-7        # rounding: about 1e-16 * BOUND / EPS, a few terms over
MARGIN = 1e-3         # how far every discrete choice stays from changing
BOUND = 1e3           # larger values (a chain of exp, pow) are not taken
MAX_STEPS = 12
# What PyTorch refuses that arraygrad runs: the torch comparison is skipped for these.
TORCH_REFUSES = ("step must be greater than zero", "modified by an inplace operation")
ELEMENTS = st.one_of(st.floats(-2.0, -0.1), st.floats(0.1, 2.0))


@dataclass(frozen=True)
class Step:
    op: str
    args: tuple      # register numbers: the chain's latest value first, then partners
    param: object


@dataclass(frozen=True)
class Program:
    inputs: tuple    # backend arrays: x, y broadcastable to x, and a 0-d s
    steps: tuple
    weights: object  # a backend array shaped as the output


@dataclass(frozen=True)
class Op:
    run: Callable       # run(xp, kink, param, value, *partners) -> array
    partners: int
    params: Callable    # params(value) -> a strategy for param, or None: not applicable


OPS: dict[str, Op] = {}


def op(partners=0, params=lambda x: st.none(), name=None):
    def register(run):
        OPS[name or run.__name__] = Op(run, partners, params)
        return run
    return register


# -- the operations ----------------------------------------------------------------
# ``kink(distances)`` names, as a function computing them on NumPy values, how far each
# discrete choice of the step is from changing; only the drawing calls it.

SMOOTH = {  # smooth on the whole real line (log and sqrt made so)
    "sin": lambda xp, x: xp.sin(x),
    "tanh": lambda xp, x: xp.tanh(x),
    "exp": lambda xp, x: xp.exp(x),
    "asinh": lambda xp, x: xp.asinh(x),
    "log": lambda xp, x: xp.log(x * x + 0.5),
    "sqrt": lambda xp, x: xp.sqrt(xp.square(x) + 0.5),
    "cube": lambda xp, x: x ** 3,
    "rsub": lambda xp, x: 2.0 - x,
}
ARITHMETIC = {
    "add": lambda xp, x, y: x + y,
    "subtract": lambda xp, x, y: xp.subtract(x, y),
    "multiply": lambda xp, x, y: xp.multiply(x, y),
    "divide": lambda xp, x, y: x / (y * y + 0.5),
    "pow": lambda xp, x, y: xp.pow(x * x + 0.5, y),
    "atan2": lambda xp, x, y: xp.atan2(x, y * y + 0.5),
}
INPLACE = {"+=": operator.iadd, "-=": operator.isub, "*=": operator.imul}


def axes(x):
    return st.none() | st.integers(-x.ndim, x.ndim - 1) if x.ndim else st.none()


def positions(x, unique):
    """An integer list per axis, together naming 1 to 4 elements (``x[[0, 2]]`` on one
    axis, ``x[[0, 2], [1, 1]]`` on two): the standard's integer-array indexing."""
    if x.size == 0:
        return None
    element = st.tuples(*(st.integers(-n, n - 1) for n in x.shape))
    wrap = lambda e: tuple(i % n for i, n in zip(e, x.shape))
    elements = st.lists(element, min_size=1, max_size=4, unique_by=wrap if unique else None)
    return elements.map(lambda es: tuple(list(axis) for axis in zip(*es)))


def read_keys(x):
    """Keys that read: integer lists (repeats allowed), negative steps, slices and
    integers on the first axis."""
    if x.ndim == 0 or x.size == 0:
        return None
    return positions(x, unique=False) | st.sampled_from(
        [(slice(None, None, -2), ...), (slice(None, None, -1), ...), (slice(1, None), ...),
         (0, ...), (-1, ...), (..., slice(None, None, -2))])


def write_keys(x):
    """Basic keys that write: slices (a negative step too), integers, ``...``."""
    if x.ndim == 0 or x.size == 0:
        return None
    return st.sampled_from([(slice(None, None, -2), ...), (slice(1, None), ...), (0, ...), ...])


def to_integer(v):
    """How far each value is from an integer, where truncation changes."""
    return v - np.round(v)


def runner_up_gap(name, x, axis):
    s = np.sort(np.reshape(x, (-1,)) if axis is None else np.moveaxis(x, axis, -1), axis=-1)
    if s.shape[-1] < 2:
        return s[..., :0]
    return s[..., -1] - s[..., -2] if name == "max" else s[..., 1] - s[..., 0]


@op(params=lambda x: st.sampled_from(sorted(SMOOTH)))
def smooth(xp, kink, name, x):
    return SMOOTH[name](xp, x)


@op()
def absolute(xp, kink, _, x):
    kink(lambda: x)
    return xp.abs(x)


@op(partners=1, params=lambda x: st.sampled_from(sorted(ARITHMETIC)))
def arithmetic(xp, kink, name, x, y):
    return ARITHMETIC[name](xp, x, y)


@op(partners=1, params=lambda x: st.sampled_from(["maximum", "minimum"]))
def extremum(xp, kink, name, x, y):
    kink(lambda: x - y)
    return getattr(xp, name)(x, y)


@op(params=lambda x: st.tuples(st.sampled_from(["sum", "prod", "mean"][:3 if x.size else 2]),
                               axes(x), st.booleans()))
def reduce(xp, kink, param, x):
    name, axis, keepdims = param
    return getattr(xp, name)(x, axis=axis, keepdims=keepdims)


@op(params=lambda x: st.tuples(st.sampled_from(["max", "min"]), axes(x), st.booleans())
    if x.size else None)
def reduce_extreme(xp, kink, param, x):
    name, axis, keepdims = param
    kink(lambda: runner_up_gap(name, x, axis))
    return getattr(xp, name)(x, axis=axis, keepdims=keepdims)


@op(params=lambda x: st.sampled_from(["flatten", "reverse"]))
def reshape(xp, kink, how, x):
    return xp.reshape(x, (-1,) if how == "flatten" else tuple(x.shape)[::-1])


@op(params=lambda x: st.permutations(range(x.ndim)).map(tuple) if x.ndim > 1 else None)
def permute_dims(xp, kink, perm, x):
    return xp.permute_dims(x, perm)


@op(partners=1)
def matmul(xp, kink, _, x, y):
    return xp.matmul(x, xp.matrix_transpose(y) if y.ndim > 1 else y)


@op(partners=1, params=lambda x: st.sampled_from(["int64", "bool"]))
def cast(xp, kink, dtype, x, y):
    """x times a constant made from y through an int64 or bool value."""
    if dtype == "int64":
        kink(lambda: to_integer(2.7 * y))
        c = xp.astype(xp.astype(2.7 * y, xp.int64) % 3 - 1, xp.float64)
    else:
        kink(lambda: y)
        c = xp.astype(xp.astype(y, xp.bool), xp.float64)
    return x * c


@op(partners=2, params=lambda x: st.sampled_from(["float", "int"]))
def where(xp, kink, compare, x, c, y):
    if compare == "float":
        kink(lambda: c)
        mask = c > 0
    else:  # the parity of a truncated value: an integer path to the mask
        kink(lambda: to_integer(2.7 * c))
        mask = xp.astype(2.7 * c, xp.int64) % 2 == 0
    return xp.where(mask, x, y)


@op(params=read_keys)
def getitem(xp, kink, key, x):
    return x[key]


@op(partners=1)
def getitem_mask(xp, kink, _, x, m):
    kink(lambda: m)
    return x[xp.broadcast_to(m > 0, x.shape)]


# The same write through integer lists without repeats (which write would win is
# unspecified): beyond the standard, so not drawn where the backend refuses it.
@op(partners=1, params=lambda x: positions(x, unique=True) if x.ndim else None,
    name="setitem_positions")
@op(partners=1, params=write_keys)
def setitem(xp, kink, key, x, v):
    y = x * 1.0
    y[key] = v
    return y


@op(partners=2)
def setitem_mask(xp, kink, _, x, m, v):
    kink(lambda: m)
    y = x * 1.0
    y[xp.broadcast_to(m > 0, y.shape)] = v
    return y


@op(partners=1, params=lambda x: st.tuples(
    st.sampled_from(sorted(INPLACE)),
    st.sampled_from([None, (slice(1, None), ...), (slice(None, None, -1), ...), (0, ...)]
                    if x.ndim and x.shape[0] else [None]),
    st.booleans()))
def inplace(xp, kink, param, x, z):
    """``y[key] op= z`` (``y op= z`` without a key); with ``read_first``, y was read by
    a function that saved it before the write."""
    name, key, read_first = param
    y = x * 1.0
    before = xp.sin(y) if read_first else 0.0
    if key is None:
        y = INPLACE[name](y, z)
        if y.shape != x.shape:  # NumPy's 0-d product is a scalar, which rebinds
            raise ValueError("an in-place operation keeps the shape")
    else:
        y[key] = INPLACE[name](y[key], z)
    return y + before


# -- programs --------------------------------------------------------------------------

def numpy_step(op, param, x, partners):
    """The step's value on NumPy, or None where it fails, comes within MARGIN of a
    kink or leaves BOUND."""
    distances = []
    try:
        with np.errstate(all="ignore"):
            value = np.asarray(op.run(npx, lambda d: distances.append(np.abs(d())),
                                      param, x, *partners))
    except (ValueError, IndexError, TypeError):
        return None
    if any(d.size and d.min() < MARGIN for d in distances):
        return None
    return value if np.all(np.abs(value) < BOUND) else None


@dataclass(frozen=True, repr=False)
class Backend:
    name: str
    xps: object      # Hypothesis's strategies over the backend's own namespace
    ops: dict        # the operations its programs are drawn from

    def __repr__(self):
        return self.name


@st.composite
def programs(draw, backend):
    shape = draw(backend.xps.array_shapes(min_dims=1, max_dims=3, max_side=4))
    shapes = [shape, draw(backend.xps.broadcastable_shapes(shape, max_side=4)), ()]
    inputs = [draw(backend.xps.arrays("float64", s, elements=ELEMENTS, unique=True))
              for s in shapes]
    registers = [np.from_dlpack(a) for a in inputs]
    steps = []
    for _ in range(draw(st.integers(3, MAX_STEPS))):
        head = len(registers) - 1 if steps else 0
        x = registers[head]
        usable = {name: op.params(x) for name, op in backend.ops.items()}
        name = draw(st.sampled_from([n for n, p in usable.items() if p is not None]))
        op, param = backend.ops[name], draw(usable[name])
        fits = {}
        for partners in itertools.product(range(len(registers)), repeat=op.partners):
            value = numpy_step(op, param, x, [registers[i] for i in partners])
            if value is not None:
                fits[partners] = value
        if fits:
            partners = draw(st.sampled_from(sorted(fits)))
            steps.append(Step(name, (head, *partners), param))
            registers.append(fits[partners])
    assume(steps)
    weights = draw(backend.xps.arrays("float64", registers[-1].shape, elements=ELEMENTS))
    return Program(tuple(inputs), tuple(steps), weights)


def run(program, xp, inputs):
    """The program's value on the namespace ``xp``, from ``inputs`` (its arrays)."""
    registers = list(inputs)
    for step in program.steps:
        registers.append(OPS[step.op].run(xp, lambda d: None, step.param,
                                          *(registers[i] for i in step.args)))
    return registers[-1]


def loss(program, xp, inputs, weights):
    return xp.sum(run(program, xp, inputs) * weights)


def arraygrad_gradients(program):
    leaves = [ag.asarray(a, requires_grad=True) for a in program.inputs]
    grads = ag.autograd.grad(loss(program, ag, leaves, ag.asarray(program.weights)), leaves,
                             allow_unused=True)
    return [np.zeros(x.shape) if g is None else g.numpy() for g, x in zip(grads, leaves)]


def finite_differences(program, backend, values, weights, directions):
    """The loss's central differences along ``directions`` with steps EPS and EPS / 2,
    run by arraygrad under ``no_grad`` on ``backend``. They agree unless a discrete
    choice (a cast, a comparison, a max) changed within the step."""
    def f(point):
        shifted = [ag.asarray(np.asarray(p), backend=backend) for p in point]
        with ag.no_grad():
            return float(loss(program, ag, shifted, ag.asarray(weights, backend=backend)))
    return [central_difference(f, values, directions, h) for h in (EPS, EPS / 2)]


def torch_gradients(program, values, weights):
    """torch.autograd's gradients of the same loss, or None where PyTorch refuses the
    program (``TORCH_REFUSES``) or is not installed."""
    try:
        import array_api_compat.torch as txp
        import torch
    except ImportError:
        return None
    leaves = [torch.tensor(v, requires_grad=True) for v in values]
    try:
        total = loss(program, txp, leaves, torch.tensor(weights))
        grads = torch.autograd.grad(total, leaves, allow_unused=True)
    except (ValueError, RuntimeError) as exc:
        if any(reason in str(exc) for reason in TORCH_REFUSES):
            return None
        raise
    return [np.zeros(v.shape) if g is None else g.numpy() for g, v in zip(grads, values)]


def writes_through_integer_arrays(xp):
    a = xp.zeros(2)
    try:
        a[xp.asarray([1])] = 1.0
    except IndexError:  # array-api-strict: not in the standard
        return False
    return True


@pytest.fixture(scope="module", params=["numpy", "array_api_strict", "torch"])
def backend(request):
    if request.param != "numpy":
        pytest.importorskip(request.param)
    with ag.use_backend(request.param) as b, warnings.catch_warnings():
        warnings.simplefilter("ignore", HypothesisWarning)  # array_api_compat.torch
        xps = make_strategies_namespace(b.xp)
    ops = {name: op for name, op in OPS.items()
           if name != "setitem_positions" or writes_through_integer_arrays(b.xp)}
    return Backend(request.param, xps, ops)


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(data=st.data())
def test_gradients_of_random_programs(backend, data):
    with ag.use_backend(backend.name):
        program = data.draw(programs(backend))
        grads = arraygrad_gradients(program)
        values = [np.from_dlpack(a) for a in program.inputs]
        weights = np.from_dlpack(program.weights)
        rng = np.random.default_rng(0)
        for _ in range(2):
            directions = [rng.standard_normal(v.shape) for v in values]
            fd, fd_half = finite_differences(program, backend.name, values, weights, directions)
            along = sum(float(np.sum(g * u)) for g, u in zip(grads, directions))
            scale = sum(float(np.sum(np.abs(g * u))) for g, u in zip(grads, directions))
            tol = FD_RTOL * (scale + abs(fd)) + FD_ATOL
            assume(abs(fd - fd_half) <= tol)  # no choice changed within the step
            assert abs(along - fd) <= tol, \
                f"gradient along a random direction: {along}, finite differences: {fd}"

    reference = torch_gradients(program, values, weights)
    if reference is not None:
        for i, (g, r) in enumerate(zip(grads, reference)):
            atol = 1e-9 * max(1.0, float(np.abs(r).max(initial=0)))
            np.testing.assert_allclose(g, r, rtol=1e-7, atol=atol,
                                       err_msg=f"input {i}: arraygrad against torch.autograd")
