"""PyTorch's spellings beside the standard's (issue 15): the functions of
``ops/composed.py``, the tensor methods of ``ops/torch_methods.py`` (in-place ones
included) and ``inference_mode``, against PyTorch on every backend, and the in-place
methods' safety (a value saved for backward never changes)."""
from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

import arraygrad as ag
from arraygrad.autograd.grad_mode import inference_mode, is_inference_mode_enabled
from pytorch_programs.compare import assert_same, numbers

torch = pytest.importorskip("torch")

LEAF_MSG = "a leaf Variable that requires grad is being used in an in-place operation."
X = [[1.0, -2.0, 3.5], [0.5, 4.0, -1.0]]


def _both(case):
    """``case(module, x)`` on PyTorch and on arraygrad, with ``x`` a float64 leaf:
    (PyTorch's numbers, arraygrad's numbers), gradients included."""
    results = []
    for module in (torch, ag):
        x = module.tensor(X, dtype=module.float64, requires_grad=True)
        out = case(module, x)
        outs = out if isinstance(out, tuple) else (out,)
        loss = sum((o * o).sum() for o in outs if o.requires_grad)
        grad = module.autograd.grad(loss, x, create_graph=True)[0] if loss else None
        second = module.autograd.grad((grad * grad).sum(), x)[0] \
            if grad is not None and grad.requires_grad else None
        results.append(numbers((out, grad, second)))
    return results


IDX = lambda m, v: m.tensor(v)  # noqa: E731  (index tensors: int64 in both)

FUNCTIONS = {
    "cat": lambda m, x: m.cat([x, x * 2], dim=1),
    "cat_default": lambda m, x: m.cat((x, x.sin())),
    "concatenate": lambda m, x: m.concatenate([x, x], 0),
    "gather": lambda m, x: m.gather(x, 1, IDX(m, [[0, 2, 2], [1, 0, 1]])),
    "gather_smaller_index": lambda m, x: x.gather(1, IDX(m, [[2]])),
    "gather_dim0": lambda m, x: x.gather(0, IDX(m, [[1, 0, 1]])),
    "scatter_src": lambda m, x: m.scatter(x, 1, IDX(m, [[2, 0], [1, 2]]), x[:, :2] * 3),
    "scatter_value": lambda m, x: x.scatter(0, IDX(m, [[1, 0, 1]]), value=-7.0),
    "scatter_add": lambda m, x: m.scatter_add(x, 1, IDX(m, [[0, 0, 2], [1, 1, 1]]), x.exp()),
    "index_add": lambda m, x: m.index_add(x, 0, IDX(m, [1, 1, 0]),
                                          m.ones(3, 3, dtype=m.float64) * 2, alpha=0.5),
    "index_select": lambda m, x: m.index_select(x, 1, IDX(m, [2, 0, 2])),
    "masked_fill": lambda m, x: m.masked_fill(x, x > 1, 0.5),
    "masked_fill_tensor": lambda m, x: x.masked_fill(IDX(m, [True, False, True]),
                                                     x[0, 0] * 3),
    "logsumexp": lambda m, x: m.logsumexp(x, dim=1, keepdim=True),
    "logsumexp_all": lambda m, x: m.logsumexp(x, (0, 1)),
    "softmax": lambda m, x: m.softmax(x, dim=0),
    "log_softmax": lambda m, x: m.log_softmax(x, -1),
    "sigmoid": lambda m, x: m.sigmoid(x),
    "relu": lambda m, x: m.relu(x * m.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]],
                                             dtype=m.float64)),
    "flatten": lambda m, x: m.flatten(x.unsqueeze(0), 1),
    "unsqueeze": lambda m, x: m.unsqueeze(x, -1),
    "permute": lambda m, x: m.permute(x, (1, 0)),
    "transpose": lambda m, x: m.transpose(x, 0, 1),
    "t": lambda m, x: m.t(x),
    "mm": lambda m, x: m.mm(x, x.t()),
    "bmm": lambda m, x: m.bmm(x.unsqueeze(0), x.t().unsqueeze(0)),
    "clone": lambda m, x: m.clone(x),
    "amax": lambda m, x: m.amax(x.abs(), dim=0),
    "amin_all": lambda m, x: m.amin(x),
    "norm": lambda m, x: m.norm(x),
    "norm_dim": lambda m, x: m.norm(x, p=1, dim=1, keepdim=True),
    "norm_nuc": lambda m, x: m.norm(x, p="nuc"),
    "norm_inf": lambda m, x: m.norm(x, p=float("inf"), dim=0),
    "cumsum": lambda m, x: m.cumsum(x, dim=1),
    "cumprod": lambda m, x: m.cumprod(x, 0),
    "topk": lambda m, x: tuple(m.topk(x, 2)),
    "topk_smallest": lambda m, x: tuple(m.topk(x, 1, dim=0, largest=False)),
    "chunk": lambda m, x: m.chunk(x, 2, dim=1),
    "split_size": lambda m, x: m.split(x, 2, 1),
    "split_sections": lambda m, x: m.split(x, [1, 2], dim=1),
    "narrow": lambda m, x: m.narrow(x, 1, -2, 2),
    "diag_of_matrix": lambda m, x: m.diag(x, 1),
    "diag_of_vector": lambda m, x: m.diag(x[0, :], -1),
    "trace": lambda m, x: m.trace(x[:, :2]),
    "clamp": lambda m, x: m.clamp(x, min=-1.0, max=2.0),
    "addcmul": lambda m, x: m.addcmul(x, x, x.sin(), value=0.5),
    "addcdiv": lambda m, x: m.addcdiv(x, x.cos(), x * x + 1, value=2),
    "lerp": lambda m, x: m.lerp(x, x.exp(), 0.3),
    "rsqrt": lambda m, x: m.rsqrt(x * x + 1),
}


# Known failures elsewhere, by (backend, case): each must flip once fixed.
KNOWN: dict = {}  # (backend, name) -> why it still differs from PyTorch


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_function_matches_pytorch(backend, name, request):
    """Values, gradients and second derivatives (through ``create_graph``)."""
    if (backend.name, name) in KNOWN:
        request.applymarker(pytest.mark.xfail(strict=True, reason=KNOWN[backend.name, name]))
    want, got = _both(FUNCTIONS[name])
    assert_same(got, want)


METHODS = {
    "max_dim": lambda m, x: tuple(x.max(dim=1)),
    "max_keepdim": lambda m, x: tuple(x.max(0, keepdim=True)),
    "max_all": lambda m, x: x.max(),
    "max_other": lambda m, x: x.max(x.t().t() * 0.5),
    "min_dim": lambda m, x: tuple(x.min(dim=-1)),
    "argmax": lambda m, x: (x * 1, x.argmax(), x.argmax(dim=0, keepdim=True)),
    "sort": lambda m, x: tuple(x.sort(dim=1, descending=True)),
    "std": lambda m, x: (x.std(), x.std(dim=1), x.std(0, False), x.std(1, keepdim=True)),
    "var": lambda m, x: (x.var(), x.var(dim=0, unbiased=False), x.var(1, correction=0)),
    "prod": lambda m, x: x.prod(dim=1, keepdim=True),
    "mean_dtype": lambda m, x: x.mean(dim=0, dtype=m.float64),
    "expand": lambda m, x: x[:1, :].expand(4, -1),
    "expand_new_axes": lambda m, x: x.expand(2, -1, 3),
    "repeat": lambda m, x: x.repeat(2, 1, 2),
    "squeeze_dim": lambda m, x: x.unsqueeze(1).squeeze(1),
    "squeeze_not_one": lambda m, x: x.squeeze(0),
    "squeeze_all": lambda m, x: x.reshape(1, 2, 1, 3).squeeze(),
    "view": lambda m, x: x.view(3, 2),
    "view_as": lambda m, x: x.view(-1).view_as(x.t()),
    "dot": lambda m, x: x[0, :].dot(x[1, :]),
    "add_alpha": lambda m, x: x.add(x.exp(), alpha=-0.5),
    "sub_alpha": lambda m, x: x.sub(2.0, alpha=3),
    "div_trunc": lambda m, x: (x * 1, x.div(0.75, rounding_mode="trunc")),
    "div_floor": lambda m, x: (x * 1, x.div(0.75, rounding_mode="floor")),
    "round_decimals": lambda m, x: (x * 1, (x / 3).round(decimals=2)),
    "where": lambda m, x: x.where(x > 0, x * x),
    "new_ones": lambda m, x: (x * 1, x.new_ones(2, 2), x.new_zeros((3,)),
                              x.new_full((2,), 7.0)),
    "type_as": lambda m, x: x.type_as(m.ones(1, dtype=m.float32)).double(),
    "elementwise": lambda m, x: (x.exp2(), x.expm1(), (x * x + 1).log1p(),
                                 (x * x + 1).log2(), (x * x + 1).log10(), x.square(),
                                 (x * x + 1).reciprocal(), x.tan(), x.sinh(), x.cosh(),
                                 (x / 5).asin(), (x / 5).acos(), x.atan(),
                                 x.atan2(x.t().t() + 5)),
}


@pytest.mark.parametrize("name", list(METHODS))
def test_method_matches_pytorch(backend, name):
    want, got = _both(METHODS[name])
    assert_same(got, want)


def test_returned_namedtuples():
    x = ag.tensor([[1.0, 3.0, 2.0]])
    result = x.max(dim=1)
    assert result.values is result[0] and result.indices is result[1]
    assert repr(result) == ("arraygrad.return_types.max(\nvalues=tensor([3.]),\n"
                            "indices=tensor([1]))")
    values, indices = ag.topk(x, 2)
    assert values.tolist() == [[3.0, 2.0]] and indices.tolist() == [[1, 2]]


ERRORS = {
    "gather_rank": lambda m, x: x.gather(1, IDX(m, [0, 1])),
    "gather_larger": lambda m, x: x.gather(1, IDX(m, [[0], [1], [0]])),
    "scatter_larger": lambda m, x: x.scatter(1, IDX(m, [[0], [1], [0]]), 1.0),
    "scatter_add_src": lambda m, x: x.scatter_add(1, IDX(m, [[0, 1]]),
                                                  m.ones(1, 1, dtype=m.float64)),
    "t_3d": lambda m, x: m.t(x.unsqueeze(0)),
    "mm_vector": lambda m, x: m.mm(x[0, :], x),
    "bmm_2d": lambda m, x: m.bmm(x, x),
    "split_sizes": lambda m, x: m.split(x, [2, 2], dim=1),
    "narrow_past_end": lambda m, x: m.narrow(x, 1, 2, 2),
    "chunk_zero": lambda m, x: m.chunk(x, 0),
    "topk_k": lambda m, x: m.topk(x, 4),
    "diag_3d": lambda m, x: m.diag(x.unsqueeze(0)),
    "trace_1d": lambda m, x: m.trace(x[0, :]),
    "flatten_order": lambda m, x: m.flatten(x, 1, 0),
    "index_select_2d": lambda m, x: m.index_select(x, 1, IDX(m, [[0]])),
    "repeat_too_few": lambda m, x: x.repeat(2),
    "dim_out_of_range": lambda m, x: m.cumsum(x, 2),
    "div_rounding_mode": lambda m, x: x.div(2, rounding_mode="up"),
    "masked_fill_value_ndim": lambda m, x: x.masked_fill(x > 0, m.ones(2, dtype=m.float64)),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_match_pytorch(numpy_backend, name):
    caught = []
    for module in (torch, ag):
        x = module.tensor(X, dtype=module.float64)
        with pytest.raises(Exception) as info:
            ERRORS[name](module, x)
        caught.append((type(info.value).__name__, str(info.value)))
    assert caught[1] == caught[0]


# -- in-place methods ----------------------------------------------------------------

IN_PLACE = {
    "add_": lambda t, o, m: t.add_(o, alpha=2), "sub_": lambda t, o, m: t.sub_(o),
    "mul_": lambda t, o, m: t.mul_(o), "div_": lambda t, o, m: t.div_(o + 3),
    "div_floor": lambda t, o, m: t.div_(o + 3, rounding_mode="floor"),
    "pow_": lambda t, o, m: t.pow_(2), "neg_": lambda t, o, m: t.neg_(),
    "abs_": lambda t, o, m: t.abs_(), "exp_": lambda t, o, m: t.exp_(),
    "exp2_": lambda t, o, m: t.exp2_(), "expm1_": lambda t, o, m: t.expm1_(),
    "log_": lambda t, o, m: t.abs_().log_(), "log1p_": lambda t, o, m: t.abs_().log1p_(),
    "log2_": lambda t, o, m: t.abs_().log2_(), "log10_": lambda t, o, m: t.abs_().log10_(),
    "sqrt_": lambda t, o, m: t.abs_().sqrt_(), "rsqrt_": lambda t, o, m: t.abs_().rsqrt_(),
    "square_": lambda t, o, m: t.square_(), "reciprocal_": lambda t, o, m: t.reciprocal_(),
    "sin_": lambda t, o, m: t.sin_(), "cos_": lambda t, o, m: t.cos_(),
    "tan_": lambda t, o, m: t.tan_(), "tanh_": lambda t, o, m: t.tanh_(),
    "sigmoid_": lambda t, o, m: t.sigmoid_(), "relu_": lambda t, o, m: t.relu_(),
    "sign_": lambda t, o, m: t.sign_(), "floor_": lambda t, o, m: t.floor_(),
    "ceil_": lambda t, o, m: t.ceil_(), "trunc_": lambda t, o, m: t.trunc_(),
    "round_": lambda t, o, m: t.round_(decimals=1),
    "clamp_": lambda t, o, m: t.clamp_(min=-1.0, max=1.0), "clip_": lambda t, o, m: t.clip_(0.0),
    "lerp_": lambda t, o, m: t.lerp_(o, 0.25),
    "addcmul_": lambda t, o, m: t.addcmul_(o, o, value=0.5),
    "addcdiv_": lambda t, o, m: t.addcdiv_(o, o * o + 1),
    "masked_fill_": lambda t, o, m: t.masked_fill_(o > 0, 9.0),
    "index_add_": lambda t, o, m: t.index_add_(0, m.tensor([2, 2]), o[:2] * 1),
    "scatter_": lambda t, o, m: t.scatter_(0, m.tensor([1, 0]), o[:2]),
    "scatter_value": lambda t, o, m: t.scatter_(0, m.tensor([2]), value=0.0),
    "scatter_add_": lambda t, o, m: t.scatter_add_(0, m.tensor([1, 1, 0]), o),
    "zero_": lambda t, o, m: t.zero_(), "fill_": lambda t, o, m: t.fill_(2.5),
    "copy_": lambda t, o, m: t.copy_(o),
}


def _leaf(values=(0.5, -1.25, 2.0)):
    return ag.tensor(list(values), dtype=ag.float64, requires_grad=True)


@pytest.mark.parametrize("name", list(IN_PLACE))
def test_in_place_never_changes_a_saved_value(backend, name):
    """``s = y.sin()`` saves ``y``; a write into ``y`` afterwards leaves ``s``'s
    gradient that of the old value (PyTorch refuses such a backward instead)."""
    x = _leaf()
    other = ag.tensor([0.25, 1.5, -0.75], dtype=ag.float64, requires_grad=True)
    y = x * 2
    before = y.detach().numpy().copy()
    s = y.sin() * y
    out = IN_PLACE[name](y, other, ag)
    assert out is y
    s.sum().backward()
    assert_allclose(x.grad.numpy(), 2 * (np.cos(before) * before + np.sin(before)))


@pytest.mark.parametrize("name", list(IN_PLACE))
def test_in_place_on_leaf_requiring_grad_raises(backend, name):
    x = _leaf()
    with pytest.raises(RuntimeError, match=LEAF_MSG):
        IN_PLACE[name](x, ag.tensor([0.25, 1.5, -0.75], dtype=ag.float64), ag)
    assert x.tolist() == [0.5, -1.25, 2.0] and x.is_leaf and x.requires_grad


@pytest.mark.parametrize("name", list(IN_PLACE))
def test_in_place_matches_pytorch(backend, name):
    """The written values and the gradients through the write, on a non-leaf, against
    PyTorch."""
    def run(module):
        x = module.tensor([0.5, -1.25, 2.0], dtype=module.float64, requires_grad=True)
        other = module.tensor([0.25, 1.5, -0.75], dtype=module.float64, requires_grad=True)
        y = x * 2
        IN_PLACE[name](y, other, module)
        (y * y).sum().backward()
        return y, x.grad, other.grad
    assert_same(numbers(run(ag)), numbers(run(torch)))


def test_in_place_under_no_grad_writes_a_leaf(backend):
    x = _leaf()
    with ag.no_grad():
        x.mul_(2).add_(1).clamp_(max=3.0).exp_()
    assert_allclose(x.numpy() if not x.requires_grad else x.detach().numpy(),
                    np.exp(np.minimum(2 * np.array([0.5, -1.25, 2.0]) + 1, 3.0)))
    assert x.is_leaf and x.requires_grad and x.grad_fn is None


def test_arithmetic_in_place_writes_into_the_array_itself(numpy_backend):
    """``add_``/``mul_`` are the in-place operators: under no_grad, an array nobody else
    holds is written, not replaced (an optimizer's step allocates nothing)."""
    w = _leaf()
    ident = id(w.data)
    with ag.no_grad():
        w.mul_(0.5).add_(ag.ones(3, dtype=ag.float64), alpha=-0.1).sub_(1.0).div_(2.0)
    assert id(w.data) == ident
    assert_allclose(w.detach().numpy(), (np.array([0.5, -1.25, 2.0]) * 0.5 - 1.1) / 2)


def test_in_place_through_a_view_reaches_the_base(backend):
    def run(module):
        x = module.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=module.float64, requires_grad=True)
        y = x * 1
        row = y[0, :]
        row.mul_(3)
        y[1, :].exp_()
        ((y * 2).sum() + row.sum()).backward()
        return y, row, x.grad
    assert_same(numbers(run(ag)), numbers(run(torch)))


def test_in_place_into_a_view_of_a_leaf_raises(backend):
    x = _leaf()
    with pytest.raises(RuntimeError, match="view of a leaf Variable"):
        x[:2].exp_()


def test_in_place_keeps_shape_and_dtype(numpy_backend):
    y = ag.ones(2, dtype=ag.float64)
    with pytest.raises(ValueError, match="shape"):
        y.add_(ag.ones((2, 2), dtype=ag.float64))
    with pytest.raises(TypeError, match="dtype"):
        ag.ones(2, dtype=ag.int64).exp_()
    with pytest.raises(TypeError, match="add_.*list"):
        y.add_([1.0, 2.0])
    y32 = ag.ones(2, dtype=ag.float32)
    y32.mul_(ag.ones(2, dtype=ag.float64) * 3)
    assert y32.dtype == ag.float32 and y32.tolist() == [3.0, 3.0]


def test_version_counter_counts_in_place_writes(numpy_backend):
    x = ag.ones(3, dtype=ag.float64)
    versions = [x._version]
    for write in (lambda: x.add_(1), lambda: x.exp_(), lambda: x.__setitem__(0, 2.0),
                  lambda: x.__iadd__(1)):
        write()
        versions.append(x._version)
    assert versions == [0, 1, 2, 3, 4]
    from arraygrad._tensor import _VERSIONS
    key = id(x)
    del x  # the count is kept beside the tensor, and goes with it
    assert key not in _VERSIONS


# -- inference_mode ------------------------------------------------------------------

def test_inference_mode_is_no_grad_with_a_flag(backend):
    x = _leaf()
    assert not is_inference_mode_enabled()
    with inference_mode():
        assert is_inference_mode_enabled() and not ag.is_grad_enabled()
        y = x * 2
        with inference_mode(False):
            assert not is_inference_mode_enabled() and ag.is_grad_enabled()
            z = x * 2
        assert is_inference_mode_enabled() and not ag.is_grad_enabled()
    assert not is_inference_mode_enabled() and ag.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn is not None
    (y * x).sum().backward()  # an ordinary tensor afterwards (PyTorch's would refuse)
    assert x.grad.tolist() == y.tolist()


def test_inference_mode_restores_an_outer_no_grad():
    with ag.no_grad():
        with inference_mode(False):
            assert ag.is_grad_enabled()
        assert not ag.is_grad_enabled() and not is_inference_mode_enabled()


def test_inference_mode_decorates():
    @inference_mode
    def bare():
        return is_inference_mode_enabled(), ag.is_grad_enabled()

    @inference_mode()
    def called():
        return is_inference_mode_enabled(), ag.is_grad_enabled()

    @inference_mode()
    def generator():
        yield is_inference_mode_enabled()
        yield is_inference_mode_enabled()

    @inference_mode(False)
    async def coroutine():
        return is_inference_mode_enabled(), ag.is_grad_enabled()

    import asyncio
    assert bare() == called() == (True, False)
    gen = generator()
    assert next(gen) is True
    assert not is_inference_mode_enabled()  # not while suspended
    assert next(gen) is True
    with inference_mode():
        assert asyncio.run(coroutine()) == (False, True)
    assert bare.__name__ == "bare"
    with pytest.raises(TypeError, match="bool"):
        inference_mode("yes")


def test_inference_mode_is_exported():
    assert ag.inference_mode is ag.autograd.inference_mode is inference_mode
    assert ag.is_inference_mode_enabled() is False
