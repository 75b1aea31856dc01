"""Manipulation, creation-from-arrays and indexing functions: gradients on every
backend against central differences and ``torch.autograd`` (through
``array_api_compat.torch``, the same standard functions), second derivatives, node
names, shapes and the corner cases (empty, 0-d, complex, repeated indices)."""
from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import arraygrad as ag
from gradcheck_utils import check_hvp, check_vjp, host, to_tensor

torch = pytest.importorskip("torch")

_rng = np.random.default_rng(20250611)


def rnd(*shape):
    return np.asarray(_rng.standard_normal(shape))


def crnd(*shape):
    return np.asarray(_rng.standard_normal(shape) + 1j * _rng.standard_normal(shape))


def ints(*values):
    return np.asarray(values, dtype=np.int64)


def _normalized(i, n):
    """Indices with negatives counted from the end (torch's gather/index_select need it)."""
    return torch.where(i < 0, i + n, i)


# -- first derivatives: (fn(xp, *args), args, torch_fn or None) -----------------------

CASES = {
    # reshape, permute_dims, broadcast_to, expand_dims, squeeze (kept, signatures fixed)
    "reshape": (lambda xp, x: xp.reshape(x, (3, -1)), [rnd(2, 3, 2)]),
    "reshape_0d": (lambda xp, x: xp.reshape(x, (1, 1)), [rnd()]),
    "reshape_empty": (lambda xp, x: xp.reshape(x, (3, 0)), [rnd(0, 3)]),
    "permute_dims": (lambda xp, x: xp.permute_dims(x, (2, 0, 1)), [rnd(2, 3, 2)]),
    "permute_dims_negative": (lambda xp, x: xp.permute_dims(x, (-1, 0, -2)), [rnd(2, 3, 2)]),
    "broadcast_to": (lambda xp, x: xp.broadcast_to(x, (2, 3, 4)), [rnd(3, 1)]),
    "broadcast_to_0d": (lambda xp, x: xp.broadcast_to(x, (2, 3)), [rnd()]),
    "expand_dims": (lambda xp, x: xp.expand_dims(x, axis=1), [rnd(2, 3)]),
    "expand_dims_negative": (lambda xp, x: xp.expand_dims(x, axis=-1), [rnd(2, 3)]),
    "expand_dims_0d": (lambda xp, x: xp.expand_dims(x, axis=0), [rnd()]),
    "expand_dims_tuple": (lambda xp, x: ag.expand_dims(x, axis=(0, -1, 2)), [rnd(2, 3)],
                          lambda x: x[None, :, None, :, None]),
    "squeeze": (lambda xp, x: xp.squeeze(x, axis=1), [rnd(2, 1, 3)]),
    "squeeze_tuple": (lambda xp, x: xp.squeeze(x, axis=(0, -1)), [rnd(1, 3, 1)]),
    "squeeze_to_0d": (lambda xp, x: xp.squeeze(x, axis=(0, 1)), [rnd(1, 1)]),
    # flip, roll, moveaxis
    "flip_all": (lambda xp, x: xp.flip(x), [rnd(2, 3)]),
    "flip_int": (lambda xp, x: xp.flip(x, axis=0), [rnd(2, 3)]),
    "flip_negative": (lambda xp, x: xp.flip(x, axis=-1), [rnd(2, 3)]),
    "flip_tuple": (lambda xp, x: xp.flip(x, axis=(0, 2)), [rnd(2, 2, 3)]),
    "flip_0d": (lambda xp, x: xp.flip(x), [rnd()]),
    "flip_empty": (lambda xp, x: xp.flip(x, axis=0), [rnd(0, 2)]),
    "flip_complex": (lambda xp, x: xp.flip(x, axis=1), [crnd(2, 3)]),
    "roll_flat": (lambda xp, x: xp.roll(x, 4), [rnd(2, 3)]),
    "roll_int": (lambda xp, x: xp.roll(x, -1, axis=1), [rnd(2, 3)]),
    "roll_tuple": (lambda xp, x: xp.roll(x, (1, -2), axis=(0, -1)), [rnd(2, 3)]),
    "roll_one_shift_many_axes": (lambda xp, x: xp.roll(x, 1, axis=(0, 1)), [rnd(2, 3)],
                                 lambda x: torch.roll(x, (1, 1), (0, 1))),
    "roll_complex": (lambda xp, x: xp.roll(x, 2, axis=0), [crnd(3, 2)]),
    "moveaxis": (lambda xp, x: xp.moveaxis(x, 0, -1), [rnd(2, 3, 2)]),
    "moveaxis_tuple": (lambda xp, x: xp.moveaxis(x, (0, 1), (2, 0)), [rnd(2, 3, 2)]),
    # concat, stack
    "concat": (lambda xp, a, b: xp.concat([a, b], axis=0), [rnd(2, 3), rnd(1, 3)]),
    "concat_negative": (lambda xp, a, b, c: xp.concat((a, b, c), axis=-1),
                        [rnd(2, 1), rnd(2, 3), rnd(2, 2)]),
    "concat_none": (lambda xp, a, b: xp.concat([a, b], axis=None), [rnd(2, 3), rnd(4)],
                    lambda a, b: torch.cat([a.reshape(-1), b.reshape(-1)])),
    "concat_empty_piece": (lambda xp, a, b: xp.concat([a, b], axis=1), [rnd(2, 0), rnd(2, 2)]),
    "concat_same_input": (lambda xp, a: xp.concat([a, a * 2, a], axis=0), [rnd(2, 2)]),
    "concat_complex": (lambda xp, a, b: xp.concat([a, b]), [crnd(2), crnd(3)]),
    "stack": (lambda xp, a, b: xp.stack([a, b]), [rnd(2, 3), rnd(2, 3)]),
    "stack_last": (lambda xp, a, b: xp.stack((a, b), axis=-1), [rnd(2, 3), rnd(2, 3)]),
    "stack_middle": (lambda xp, a, b, c: xp.stack([a, b, c], axis=1), [rnd(2), rnd(2), rnd(2)]),
    "stack_0d": (lambda xp, a, b: xp.stack([a, b]), [rnd(), rnd()]),
    "stack_complex": (lambda xp, a, b: xp.stack([a, b], axis=1), [crnd(2), crnd(2)]),
    # unstack (a tuple: some pieces used, others not)
    "unstack_one_piece": (lambda xp, x: xp.unstack(x, axis=1)[1] * 2, [rnd(2, 3)]),
    "unstack_pieces": (lambda xp, x: (lambda u: u[0] - 3 * u[2])(xp.unstack(x, axis=-1)),
                       [rnd(2, 3)]),
    "unstack_size_one": (lambda xp, x: xp.unstack(x)[0], [rnd(1, 3)]),
    "unstack_complex": (lambda xp, x: xp.unstack(x)[1], [crnd(2, 2)]),
    # tile, repeat
    "tile": (lambda xp, x: xp.tile(x, (2, 3)), [rnd(2, 3)]),
    "tile_more_reps": (lambda xp, x: xp.tile(x, (2, 1, 2)), [rnd(2, 3)]),
    "tile_fewer_reps": (lambda xp, x: xp.tile(x, (2,)), [rnd(2, 3)]),
    "tile_0d": (lambda xp, x: xp.tile(x, (3,)), [rnd()]),
    "tile_zero": (lambda xp, x: xp.tile(x, (0, 2)), [rnd(2, 3)]),
    "repeat_flat": (lambda xp, x: xp.repeat(x, 2), [rnd(2, 3)]),
    "repeat_axis": (lambda xp, x: xp.repeat(x, 3, axis=1), [rnd(2, 3)]),
    "repeat_negative_axis": (lambda xp, x: xp.repeat(x, 2, axis=-2), [rnd(2, 3)]),
    "repeat_zero": (lambda xp, x: xp.repeat(x, 0, axis=0), [rnd(2, 3)]),
    "repeat_0d": (lambda xp, x: xp.repeat(x, 3), [rnd()]),
    "repeat_complex": (lambda xp, x: xp.repeat(x, 2, axis=0), [crnd(2, 2)]),
    "repeat_array": (lambda xp, x, r: xp.repeat(x, r, axis=0), [rnd(3, 2), ints(2, 0, 3)]),
    "repeat_array_flat": (lambda xp, x, r: xp.repeat(x, r), [rnd(2, 2), ints(1, 3, 0, 2)]),
    "repeat_array_one_count": (lambda xp, x, r: xp.repeat(x, r, axis=1), [rnd(2, 3), ints(2)]),
    # tril, triu
    "tril": (lambda xp, x: xp.tril(x), [rnd(3, 4)]),
    "tril_k": (lambda xp, x: xp.tril(x, k=-1), [rnd(3, 4)]),
    "tril_batched": (lambda xp, x: xp.tril(x, k=1), [rnd(2, 3, 3)]),
    "triu": (lambda xp, x: xp.triu(x), [rnd(4, 3)]),
    "triu_k": (lambda xp, x: xp.triu(x, k=2), [rnd(3, 4)]),
    "triu_complex": (lambda xp, x: xp.triu(x, k=-1), [crnd(3, 3)]),
    # take: repeated and negative indices, every axis form
    "take_1d": (lambda xp, x, i: ag.take(x, i), [rnd(4), ints(0, 3, 3, -1)],
                lambda x, i: torch.take(x, _normalized(i, 4))),
    "take_axis0": (lambda xp, x, i: xp.take(x, i, axis=0), [rnd(4, 3), ints(1, 1, 3, 0, 1)],
                   lambda x, i: torch.index_select(x, 0, i)),
    "take_axis_negative": (lambda xp, x, i: ag.take(x, i, axis=-1), [rnd(3, 4), ints(-1, 2, -1, 0)],
                           lambda x, i: torch.index_select(x, -1, _normalized(i, 4))),
    "take_flat_nd": (lambda xp, x, i: ag.take(x, i), [rnd(3, 4), ints(5, 0, 5, 11)],
                     lambda x, i: torch.take(x, i)),
    "take_middle_axis": (lambda xp, x, i: xp.take(x, i, axis=1), [rnd(2, 4, 3), ints(2, 0, 2, 2)],
                         lambda x, i: torch.index_select(x, 1, i)),
    "take_one_long_run": (lambda xp, x, i: xp.take(x, i, axis=0), [rnd(3, 2), ints(1, 1, 1, 1, 1)],
                          lambda x, i: torch.index_select(x, 0, i)),
    "take_no_indices": (lambda xp, x, i: xp.take(x, i, axis=0), [rnd(3, 2), ints()],
                        lambda x, i: torch.index_select(x, 0, i)),
    "take_complex": (lambda xp, x, i: xp.take(x, i, axis=0), [crnd(4, 3), ints(2, 2, 0, 3)],
                     lambda x, i: torch.index_select(x, 0, i)),
    # take_along_axis: repeats along the axis, negative indices, broadcasting
    "take_along_axis": (lambda xp, x, i: ag.take_along_axis(x, i),
                        [rnd(3, 4), np.array([[0, 0, 3, 1], [1, -1, 1, 1], [2, 2, 2, 0]])],
                        lambda x, i: torch.take_along_dim(x, _normalized(i, 4), -1)),
    "take_along_axis0": (lambda xp, x, i: ag.take_along_axis(x, i, axis=0),
                         [rnd(3, 2), np.array([[2, 0], [2, 2], [0, 1], [1, 1]])],
                         lambda x, i: torch.take_along_dim(x, i, 0)),
    "take_along_axis_broadcast_x": (lambda xp, x, i: ag.take_along_axis(x, i, axis=1),
                                    [rnd(1, 3), np.array([[0, 2, 2, 1], [1, 1, 0, 0]])],
                                    lambda x, i: torch.take_along_dim(x, i, 1)),
    "take_along_axis_broadcast_indices": (
        lambda xp, x, i: ag.take_along_axis(x, i, axis=0),
        [rnd(3, 2, 2), np.array([[[2]], [[2]], [[-3]]])],
        lambda x, i: torch.take_along_dim(x, _normalized(i, 3), 0)),
    "take_along_axis_empty": (lambda xp, x, i: ag.take_along_axis(x, i, axis=1),
                              [rnd(2, 3), np.zeros((2, 0), dtype=np.int64)],
                              lambda x, i: torch.take_along_dim(x, i, 1)),
    "take_along_axis_complex": (lambda xp, x, i: ag.take_along_axis(x, i, axis=-1),
                                [crnd(2, 3), np.array([[2, 2], [0, 1]])],
                                lambda x, i: torch.take_along_dim(x, i, -1)),
    # broadcast_arrays, meshgrid (tuples, combined into one output)
    "broadcast_arrays": (lambda xp, a, b: (lambda o: o[0] * 2 + o[1])(xp.broadcast_arrays(a, b)),
                         [rnd(3, 1), rnd(2, 1, 4)]),
    "broadcast_arrays_three": (lambda xp, a, b, c: (lambda o: o[2] * 2 - o[0] + o[1])(
        xp.broadcast_arrays(a, b, c)), [rnd(2, 1), rnd(3), rnd()]),
    "meshgrid_xy": (lambda xp, a, b: (lambda o: o[0] - 2 * o[1])(xp.meshgrid(a, b)),
                    [rnd(3), rnd(2)], lambda a, b: (lambda o: o[0] - 2 * o[1])(
                        torch.meshgrid(a, b, indexing="xy"))),
    "meshgrid_ij": (lambda xp, a, b, c: (lambda o: o[0] * 3 + o[2] - o[1])(
        xp.meshgrid(a, b, c, indexing="ij")), [rnd(2), rnd(3), rnd(2)],
        lambda a, b, c: (lambda o: o[0] * 3 + o[2] - o[1])(torch.meshgrid(a, b, c, indexing="ij"))),
    "meshgrid_one": (lambda xp, a: xp.meshgrid(a)[0], [rnd(3)]),
}

# (case, backend) pairs that cannot run, with the reason.
_DASK_REPEAT = "Dask's repeat takes only an integer count (data-dependent shape)"
UNSUPPORTED = {
    ("repeat_array", "dask"): _DASK_REPEAT,
    ("repeat_array_flat", "dask"): _DASK_REPEAT,
    ("repeat_array_one_count", "dask"): _DASK_REPEAT,
}


# dask/dask#11883 (open): Dask casts the empty meta array of a complex array to an
# integer dtype when it indexes with a Dask array (take, take_along_axis) or builds
# triu's mask, and NumPy warns that the cast drops imaginary parts. Only the empty meta
# is cast, never a value: Dask's warning about its own internals.
@pytest.mark.filterwarnings(
    "ignore:Casting complex values to real:numpy.exceptions.ComplexWarning:dask.array.utils")
@pytest.mark.parametrize("name", list(CASES))
def test_vjp(backend, name):
    fn, args, *ref = CASES[name]
    if (name, backend.name) in UNSUPPORTED:
        with pytest.raises(NotImplementedError, match=backend.name):
            check_vjp(fn, args, torch_fn=ref[0] if ref else None)
        return
    check_vjp(fn, args, torch_fn=ref[0] if ref else None)


# -- second derivatives: each rule differentiated again (create_graph=True) -----------

HVP_CASES = {
    "concat": (lambda xp, a, b: xp.concat([a, b * a[:1, :]], axis=0) ** 2, [rnd(2, 3), rnd(1, 3)]),
    "stack": (lambda xp, a, b: xp.stack([a * b, b], axis=-1) ** 2, [rnd(2, 3), rnd(2, 3)]),
    "flip_roll": (lambda xp, x: xp.roll(xp.flip(x, axis=0), 1, axis=1) * x, [rnd(2, 3)]),
    "moveaxis": (lambda xp, x: xp.moveaxis(x, 0, -1) ** 3, [rnd(2, 3)]),
    "tile": (lambda xp, x: xp.tile(x, (2, 2)) ** 2, [rnd(2, 3)]),
    "repeat": (lambda xp, x: xp.repeat(x, 2, axis=1) ** 3, [rnd(2, 3)]),
    "repeat_array": (lambda xp, x, r: xp.repeat(x, r, axis=0) ** 2, [rnd(3, 2), ints(2, 0, 3)]),
    "unstack": (lambda xp, x: (lambda u: u[0] * u[2])(xp.unstack(x, axis=1)), [rnd(2, 3)]),
    "tril_triu": (lambda xp, x: xp.tril(x) * xp.triu(x, k=-1), [rnd(3, 3)]),
    "expand_squeeze": (lambda xp, x: xp.squeeze(xp.expand_dims(x, axis=0) ** 3, axis=0),
                       [rnd(2, 3)]),
    "take": (lambda xp, x, i: xp.take(x, i, axis=0) ** 3, [rnd(4, 3), ints(3, 0, 3, 3)],
             lambda x, i: torch.index_select(x, 0, i) ** 3),
    "take_along_axis": (lambda xp, x, i: ag.take_along_axis(x, i, axis=-1) ** 2,
                        [rnd(3, 4), np.array([[0, 0, 3, 1], [1, 3, 1, 1], [2, 2, 2, 0]])],
                        lambda x, i: torch.take_along_dim(x, i, -1) ** 2),
    "meshgrid": (lambda xp, a, b: (lambda o: o[0] * o[1])(xp.meshgrid(a, b)), [rnd(3), rnd(2)],
                 lambda a, b: (lambda o: o[0] * o[1])(torch.meshgrid(a, b, indexing="xy"))),
    "broadcast_arrays": (lambda xp, a, b: (lambda o: o[0] * o[1])(xp.broadcast_arrays(a, b)),
                         [rnd(3, 1), rnd(4)]),
}


@pytest.mark.parametrize("name", list(HVP_CASES))
def test_second_derivative(backend, name):
    fn, args, *ref = HVP_CASES[name]
    if name == "repeat_array" and backend.name == "dask":
        pytest.skip(_DASK_REPEAT)
    check_hvp(fn, args, torch_fn=ref[0] if ref else None)


@pytest.mark.parametrize("name", ["numpy", "torch", "array_api_strict"])
def test_third_derivative_through_repeated_take(name):
    """Differentiate the scatter-add itself twice (third derivative of a cubic). The
    rules' algebra is the same on every backend; this nests create_graph three deep,
    which on JAX (a compile per new shape) and Dask (one ever-growing lazy graph) takes
    ten seconds and more, so it runs on the eager backends."""
    with ag.use_backend(name):
        _third_derivative_through_repeated_take()


def _third_derivative_through_repeated_take():
    x = to_tensor(rnd(4), requires_grad=True)
    i = to_tensor(ints(1, 1, 3, 1, 0))
    y = ag.sum(ag.take(x, i) ** 3)
    (g,) = ag.autograd.grad(y, x, create_graph=True)
    (h,) = ag.autograd.grad(ag.sum(g * g), x, create_graph=True)
    (t,) = ag.autograd.grad(ag.sum(h), x)
    xv, counts = host(x), np.array([1, 3, 0, 1])
    # g = 3 c x^2; sum(g^2) = 9 c^2 x^4; h = 36 c^2 x^3; d sum(h) = 108 c^2 x^2
    assert_allclose(host(g), 3 * counts * xv ** 2, rtol=1e-12)
    assert_allclose(host(h), 36 * counts ** 2 * xv ** 3, rtol=1e-12)
    assert_allclose(host(t), 108 * counts ** 2 * xv ** 2, rtol=1e-12)


# -- node names ---------------------------------------------------------------------

NODE_NAMES = {
    "concat": (lambda x: ag.concat([x, x]), "CatBackward0"),
    "stack": (lambda x: ag.stack([x, x]), "StackBackward0"),
    "flip": (lambda x: ag.flip(x), "FlipBackward0"),
    "roll": (lambda x: ag.roll(x, 1), "RollBackward0"),
    "tile": (lambda x: ag.tile(x, (2, 1)), "RepeatBackward0"),
    "repeat_int": (lambda x: ag.repeat(x, 2, axis=0), "ViewBackward0"),
    "repeat_array": (lambda x: ag.repeat(x, ag.asarray([1, 2], dtype=ag.int64), axis=0),
                     "IndexSelectBackward0"),
    "permute_dims": (lambda x: ag.permute_dims(x, (1, 0)), "PermuteBackward0"),
    "moveaxis": (lambda x: ag.moveaxis(x, 0, 1), "PermuteBackward0"),
    "broadcast_to": (lambda x: ag.broadcast_to(x, (3, 2, 3)), "ExpandBackward0"),
    "broadcast_arrays": (lambda x: ag.broadcast_arrays(x, ag.zeros((4, 1, 1)))[0],
                         "ExpandBackward0"),
    "expand_dims": (lambda x: ag.expand_dims(x, axis=0), "UnsqueezeBackward0"),
    "squeeze_int": (lambda x: ag.squeeze(ag.reshape(x, (1, 2, 3)), 0), "SqueezeBackward1"),
    "squeeze_tuple": (lambda x: ag.squeeze(ag.reshape(x, (1, 2, 3)), (0,)), "SqueezeBackward2"),
    "reshape": (lambda x: ag.reshape(x, (3, 2)), "ViewBackward0"),
    "tril": (lambda x: ag.tril(x), "TrilBackward0"),
    "triu": (lambda x: ag.triu(x), "TriuBackward0"),
    "unstack": (lambda x: ag.unstack(x)[0], "UnbindBackward0"),
    "unstack_single": (lambda x: ag.unstack(x[:1, :])[0], "UnbindBackward0"),
    "take_flat": (lambda x: ag.take(x, ag.asarray([0, 4], dtype=ag.int64)), "TakeBackward0"),
    "take_axis": (lambda x: ag.take(x, ag.asarray([0, 1], dtype=ag.int64), axis=1),
                  "IndexSelectBackward0"),
    "take_along_axis": (lambda x: ag.take_along_axis(x, ag.zeros((2, 1), dtype=ag.int64)),
                        "GatherBackward0"),
    "meshgrid": (lambda x: ag.meshgrid(x[0, :], x[1, :])[0], "ExpandBackward0"),
}


@pytest.mark.parametrize("name", list(NODE_NAMES))
def test_node_names(name):
    make, expected = NODE_NAMES[name]
    x = ag.asarray([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    assert make(x).grad_fn.name() == expected


def test_node_names_match_torch():
    """The names above are what torch 2.x records for the same operations."""
    x = torch.ones(2, 3, requires_grad=True)
    i = torch.zeros(2, 1, dtype=torch.long)
    assert torch.movedim(x, 0, 1).grad_fn.name() == "PermuteBackward0"
    assert x.repeat_interleave(2, dim=0).grad_fn.name() == "ViewBackward0"
    assert x.repeat_interleave(torch.tensor([1, 2]), dim=0).grad_fn.name() == "IndexSelectBackward0"
    assert x.tile((2, 1)).grad_fn.name() == "RepeatBackward0"
    assert torch.take_along_dim(x, i, 1).grad_fn.name() == "GatherBackward0"
    assert x[None].squeeze(0).grad_fn.name() == "SqueezeBackward1"
    assert x[None].squeeze((0,)).grad_fn.name() == "SqueezeBackward2"
    assert torch.unbind(x)[0].grad_fn.name() == "UnbindBackward0"


# -- forward values and shapes, on every backend ---------------------------------------

def test_forward_values(backend):
    a = np.arange(12.0).reshape(3, 4)
    x = to_tensor(a)
    assert_array_equal(host(ag.flip(x, axis=(0, 1))), np.flip(a))
    assert_array_equal(host(ag.roll(x, (1, -1), axis=(0, 1))), np.roll(a, (1, -1), (0, 1)))
    assert_array_equal(host(ag.moveaxis(x, 0, 1)), a.T)
    assert_array_equal(host(ag.tile(x, (2, 1, 2))), np.tile(a, (2, 1, 2)))
    assert_array_equal(host(ag.repeat(x, 2, axis=1)), np.repeat(a, 2, axis=1))
    assert_array_equal(host(ag.repeat(x, 2)), np.repeat(a, 2))
    assert_array_equal(host(ag.concat([x, x], axis=None)), np.concatenate([a.ravel()] * 2))
    assert_array_equal(host(ag.stack([x, x], axis=1)), np.stack([a, a], axis=1))
    assert_array_equal(host(ag.tril(x, k=1)), np.tril(a, 1))
    assert_array_equal(host(ag.triu(x, k=-1)), np.triu(a, -1))
    assert_array_equal(host(ag.expand_dims(x, axis=(0, 3))), a[None, :, :, None])
    assert_array_equal(host(ag.expand_dims(x, axis=(-1, 0))), a[None, :, :, None])
    assert_array_equal(host(ag.permute_dims(x, (-1, -2))), a.T)
    i = to_tensor(ints(3, -1, 0))
    assert_array_equal(host(ag.take(x, i, axis=1)), a[:, [3, 3, 0]])
    assert_array_equal(host(ag.take(x, i)), a.ravel()[[3, 11, 0]])
    j = to_tensor(np.array([[0, -1], [1, 1], [3, 2]]))
    assert_array_equal(host(ag.take_along_axis(x, j, axis=1)),
                       a[[[0], [1], [2]], [[0, 3], [1, 1], [3, 2]]])
    pieces = ag.unstack(x, axis=1)
    assert isinstance(pieces, tuple) and len(pieces) == 4
    assert_array_equal(host(pieces[2]), a[:, 2])
    assert ag.unstack(to_tensor(np.zeros((0, 2)))) == ()
    grids = ag.meshgrid(to_tensor(np.arange(3.0)), to_tensor(np.arange(2.0)))
    assert isinstance(grids, tuple)
    for mine, ref in zip(grids, np.meshgrid(np.arange(3.0), np.arange(2.0))):
        assert_array_equal(host(mine), ref)
    grids = ag.meshgrid(to_tensor(np.arange(3.0)), to_tensor(np.arange(2.0)), indexing="ij")
    for mine, ref in zip(grids, np.meshgrid(np.arange(3.0), np.arange(2.0), indexing="ij")):
        assert_array_equal(host(mine), ref)
    assert ag.meshgrid() == ()
    out = ag.broadcast_arrays(x, to_tensor(np.ones((2, 1, 1))))
    assert isinstance(out, tuple) and [o.shape for o in out] == [(2, 3, 4)] * 2


def test_broadcast_arrays_keeps_an_already_broadcast_input(backend):
    x = to_tensor(rnd(2, 3), requires_grad=True)
    y = to_tensor(rnd(3))
    a, b = ag.broadcast_arrays(x, y)
    assert a is x and b.shape == (2, 3)


def test_broadcast_shapes():
    assert ag.broadcast_shapes() == ()
    assert ag.broadcast_shapes((2, 1), (3,)) == (2, 3)
    assert ag.broadcast_shapes((1,), (4, 1, 5), ()) == (4, 1, 5)
    assert ag.broadcast_shapes((None, 3), (2, 1)) == (2, 3)
    assert ag.broadcast_shapes((None, 3), (1, 3)) == (None, 3)
    assert ag.broadcast_shapes((float("nan"), 3), (1, 3)) == (None, 3)
    with pytest.raises(ValueError):
        ag.broadcast_shapes((2, 3), (3, 2))


def test_invalid_axes_raise(backend):
    x = to_tensor(rnd(2, 3))
    with pytest.raises(IndexError):
        ag.expand_dims(x, axis=3)
    with pytest.raises(IndexError):
        ag.expand_dims(x, axis=(0, 4))
    with pytest.raises(IndexError):
        ag.expand_dims(x, axis=(0, -4))  # both the first position
    with pytest.raises(IndexError):
        ag.permute_dims(x, (0, 2))
    with pytest.raises(ValueError):
        ag.permute_dims(x, (0, -2))
    with pytest.raises(IndexError):
        ag.unstack(x, axis=2)
    with pytest.raises(IndexError):
        ag.take(x, to_tensor(ints(0)), axis=2)
    with pytest.raises(ValueError):
        ag.squeeze(x, axis=0)  # not a singleton axis
    with pytest.raises(ValueError):
        ag.tril(to_tensor(rnd(3)))  # not a matrix (NumPy alone would broadcast it)
    with pytest.raises(ValueError):
        ag.take_along_axis(x, to_tensor(ints(0, 1)), axis=0)  # fewer axes than x


def test_signatures_are_the_standards():
    import inspect
    expected = {
        "broadcast_arrays": "(*arrays)", "broadcast_shapes": "(*shapes)",
        "broadcast_to": "(x, /, shape)", "concat": "(arrays, /, *, axis=0)",
        "expand_dims": "(x, /, axis)", "flip": "(x, /, *, axis=None)",
        "moveaxis": "(x, source, destination, /)", "permute_dims": "(x, /, axes)",
        "repeat": "(x, repeats, /, *, axis=None)", "reshape": "(x, /, shape, *, copy=None)",
        "roll": "(x, /, shift, *, axis=None)", "squeeze": "(x, /, axis)",
        "stack": "(arrays, /, *, axis=0)", "tile": "(x, repetitions, /)",
        "unstack": "(x, /, *, axis=0)", "tril": "(x, /, *, k=0)", "triu": "(x, /, *, k=0)",
        "meshgrid": "(*arrays, indexing='xy')",
        "from_dlpack": "(x, /, *, device=None, copy=None)",
        "take": "(x, indices, /, *, axis=None)", "take_along_axis": "(x, indices, /, *, axis=-1)",
    }
    for name, sig in expected.items():
        fn = getattr(ag, name)
        got = str(inspect.signature(fn)).split(" ->")[0]
        assert got == sig, f"{name}{got} is not the standard's {name}{sig}"


# -- gradients: exact values, dtypes and the scatter-add -------------------------------

def test_take_gradient_adds_repeated_indices(backend):
    # A run of five equal indices (as -1) among six needs all three scan steps.
    x = to_tensor(np.zeros((3, 2)), requires_grad=True)
    i = to_tensor(ints(2, 0, 2, 2, -1, 2))
    ag.take(x, i, axis=0).backward(to_tensor(np.arange(12.0).reshape(6, 2)))
    assert_array_equal(host(x.grad), [[2.0, 3.0], [0.0, 0.0],
                                      [0 + 4 + 6 + 8 + 10, 1 + 5 + 7 + 9 + 11]])


def test_scatter_add_sums_each_run_alone(backend):
    """A run's sum never goes through the running total of earlier runs: in float32,
    4 x 1e8 into one place does not swallow 4 x 1.0 into the next (a cumulative-sum
    difference would give 0 there)."""
    x = to_tensor(np.zeros(2, dtype=np.float32), requires_grad=True)
    i = to_tensor(ints(0, 0, 0, 0, 1, 1, 1, 1))
    g = np.array([1e8] * 4 + [1.0] * 4, dtype=np.float32)
    ag.take(x, i).backward(to_tensor(g))
    assert x.grad.dtype == ag.float32
    assert_array_equal(host(x.grad), np.array([4e8, 4.0], dtype=np.float32))


def test_scatter_add_keeps_non_finite_gradients_in_place(backend):
    x = to_tensor(np.zeros(4), requires_grad=True)
    i = to_tensor(ints(1, 3, 1))
    ag.take(x, i).backward(to_tensor(np.array([np.inf, 2.0, 1.0])))
    assert_array_equal(host(x.grad), [0.0, np.inf, 0.0, 2.0])


def test_take_gradient_of_many_indices_is_fast():
    """2e5 indices into 1e5 rows: linear memory (a one-hot matrix would be 2e10)."""
    with ag.use_backend("numpy"):
        n, m = 100_000, 200_000
        idx = np.random.default_rng(0).integers(0, n, m)
        x = ag.asarray(np.zeros(n), requires_grad=True)
        g = np.random.default_rng(1).standard_normal(m)
        ag.take(x, ag.asarray(idx)).backward(ag.asarray(g))
        expected = np.zeros(n)
        np.add.at(expected, idx, g)
        assert_allclose(host(x.grad), expected, rtol=1e-12, atol=1e-12)


def test_take_along_axis_gradient_adds_repeats_per_row(backend):
    x = to_tensor(np.zeros((2, 3)), requires_grad=True)
    i = to_tensor(np.array([[2, 2, 0, 2], [1, 1, 1, -3]]))
    ag.take_along_axis(x, i, axis=1).backward(to_tensor(np.arange(1.0, 9.0).reshape(2, 4)))
    assert_array_equal(host(x.grad), [[3.0, 0.0, 1 + 2 + 4], [8.0, 5 + 6 + 7, 0.0]])


def test_concat_and_stack_restore_each_inputs_dtype(backend):
    a = to_tensor(rnd(2).astype(np.float32), requires_grad=True)
    b = to_tensor(rnd(3), requires_grad=True)
    y = ag.concat([a, b])
    assert y.dtype == ag.float64
    y.backward(to_tensor(np.arange(5.0)))
    assert a.grad.dtype == ag.float32 and b.grad.dtype == ag.float64
    assert_array_equal(host(a.grad), [0.0, 1.0])
    assert_array_equal(host(b.grad), [2.0, 3.0, 4.0])
    c = to_tensor(rnd(2).astype(np.float32), requires_grad=True)
    d = to_tensor(rnd(2), requires_grad=True)
    ag.stack([c, d], axis=1).backward(to_tensor(np.arange(4.0).reshape(2, 2)))
    assert c.grad.dtype == ag.float32
    assert_array_equal(host(c.grad), [0.0, 2.0])
    assert_array_equal(host(d.grad), [1.0, 3.0])


def test_concat_with_constant_input(backend):
    """Only the input that requires grad gets a gradient."""
    check_vjp(lambda xp, a, b: xp.concat([a, b], axis=1), [rnd(2, 2), rnd(2, 3)], wrt=(1,))


def test_unstack_gradient_of_unused_pieces_is_zero(backend):
    x = to_tensor(rnd(3, 2), requires_grad=True)
    ag.unstack(x)[1].backward(to_tensor(np.ones(2)))
    assert_array_equal(host(x.grad), [[0.0, 0.0], [1.0, 1.0], [0.0, 0.0]])


def test_results_without_grad_carry_no_node(backend):
    x = to_tensor(rnd(2, 3))
    assert ag.concat([x, x]).grad_fn is None
    assert ag.take(x, to_tensor(ints(0)), axis=0).grad_fn is None
    i = to_tensor(np.array([[1, 0, 2], [0, 0, 0]]))
    assert ag.take_along_axis(i, i, axis=1).grad_fn is None  # integer values


# -- from_dlpack ---------------------------------------------------------------------

def test_from_dlpack_keeps_the_arrays_backend(backend):
    x = to_tensor(np.arange(6.0).reshape(2, 3))
    if backend.name == "dask":
        with pytest.raises(NotImplementedError, match="dask"):
            ag.from_dlpack(x)
        return
    y = ag.from_dlpack(x)
    assert y._backend is x._backend and y.grad_fn is None and not y.requires_grad
    assert_array_equal(host(y), np.arange(6.0).reshape(2, 3))
    assert_array_equal(host(ag.from_dlpack(x, copy=True)), host(x))


def test_from_dlpack_of_foreign_arrays():
    t = ag.from_dlpack(torch.arange(4.0))
    assert t._backend.name == "torch"
    assert_array_equal(host(t), [0.0, 1.0, 2.0, 3.0])
    n = ag.from_dlpack(np.arange(3))
    assert n._backend.name == "numpy" and n.dtype == ag.int64


def test_from_dlpack_refuses_a_tensor_that_requires_grad():
    x = ag.asarray([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError):
        ag.from_dlpack(x)
    assert_array_equal(host(ag.from_dlpack(x.detach())), [1.0, 2.0])
