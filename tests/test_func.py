"""``arraygrad.func`` on every backend: each transform against ``torch.func`` (and
the Hessian against ``jax.hessian``) on float64 inputs, composition against closed
forms, which results stay in the caller's graph, and the errors."""
from __future__ import annotations

import numpy as np
import pytest
from gradcheck_utils import host, leaf, reseed, rnd, to_tensor
from numpy.testing import assert_allclose

import arraygrad as ag
import arraygrad.func as F

torch = pytest.importorskip("torch")
torch_xp = pytest.importorskip("array_api_compat.torch")
tf = torch.func

RTOL, ATOL = 1e-9, 1e-11

# torch's forward mode (torch.func.jvp, jacfwd, hessian: the references) scripts its
# decompositions with torch.jit.script, which torch itself now deprecates: torch's
# warning about its own internals, provoked by the tests that call those references.
TORCH_FORWARD_MODE = pytest.mark.filterwarnings(
    "ignore:`torch.jit.script` is deprecated:DeprecationWarning")


@pytest.fixture(autouse=True)
def _seed_inputs(request):
    reseed(request.node.nodeid)


# -- functions written once for both libraries: fn(xp, x, y) ------------------------

def sin_times_square(xp, x, y):
    return xp.sum(xp.sin(x) * y ** 2)


def logsumexp(xp, x, y):
    z = x * y
    return xp.log(xp.sum(xp.exp(z - 1.0))) + 1.0


def tanh_layer_loss(xp, w, x):
    return xp.sum(xp.tanh(xp.matmul(w, x)) ** 2)


SCALAR = {  # name: (fn, shape of x, shape of y)
    "sum(sin(x)*y**2)": (sin_times_square, (2, 3), (2, 3)),
    "logsumexp(x*y)": (logsumexp, (4,), (4,)),
    "sum(tanh(w@x)**2)": (tanh_layer_loss, (2, 3), (3,)),
}


def tanh_layer(xp, w, x):
    return xp.tanh(xp.matmul(w, x))


def softmax(xp, x, y):
    e = xp.exp(x * y)
    return e / xp.sum(e)


VECTOR = {
    "tanh(w@x)": (tanh_layer, (2, 3), (3,)),
    "softmax(x*y)": (softmax, (3,), (3,)),
}


def draw(shape_x, shape_y):
    """The same float64 values as (arraygrad tensors, torch tensors)."""
    xs = [rnd(*shape_x), rnd(*shape_y)]
    return [to_tensor(a) for a in xs], [torch.tensor(a) for a in xs]


def on(xp, fn):
    return lambda *args: fn(xp, *args)


def assert_same(ours, theirs, what=""):
    """Two results of the same structure (tuples, lists, tensors) hold the same
    values; ours are arraygrad tensors that are not in any graph."""
    if isinstance(theirs, (tuple, list)):
        assert isinstance(ours, tuple) and len(ours) == len(theirs), f"{what}: {ours!r}"
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_same(a, b, f"{what}[{i}]")
        return
    assert isinstance(ours, ag.Tensor), f"{what}: {type(ours).__name__}"
    assert not ours.requires_grad, f"{what}: results of untracked inputs must be detached"
    expected = theirs.detach().numpy()
    assert ours.shape == expected.shape, f"{what}: shape {ours.shape}, not {expected.shape}"
    assert_allclose(host(ours), expected, rtol=RTOL, atol=ATOL, err_msg=what)


# -- each transform against torch.func -----------------------------------------------

@pytest.mark.parametrize("name", SCALAR)
def test_grad_and_value_and_grad_match_torch(backend, name):
    fn, sx, sy = SCALAR[name]
    ours, theirs = draw(sx, sy)
    assert_same(F.grad(on(ag, fn))(*ours), tf.grad(on(torch_xp, fn))(*theirs), "grad")
    value, grads = F.value_and_grad(on(ag, fn), argnums=(0, 1))(*ours)
    t_grads, t_value = tf.grad_and_value(on(torch_xp, fn), argnums=(0, 1))(*theirs)
    assert_same(value, t_value, "value")
    assert_same(grads, t_grads, "grads for argnums (0, 1)")
    assert_same(F.grad(on(ag, fn), argnums=-1)(*ours),
                tf.grad(on(torch_xp, fn), argnums=1)(*theirs), "grad for argnums -1")


@TORCH_FORWARD_MODE
@pytest.mark.parametrize("name", VECTOR)
def test_vjp_and_jvp_match_torch(backend, name):
    fn, sx, sy = VECTOR[name]
    ours, theirs = draw(sx, sy)
    out, vjp_fn = F.vjp(on(ag, fn), *ours)
    t_out, t_vjp_fn = tf.vjp(on(torch_xp, fn), *theirs)
    assert_same(out, t_out, "output")
    cot = rnd(*t_out.shape)
    assert_same(vjp_fn(to_tensor(cot)), t_vjp_fn(torch.tensor(cot)), "vjp")
    tangents = [rnd(*sx), rnd(*sy)]
    out, derivative = F.jvp(on(ag, fn), tuple(ours), tuple(to_tensor(t) for t in tangents))
    t_out, t_derivative = tf.jvp(on(torch_xp, fn), tuple(theirs),
                                 tuple(torch.tensor(t) for t in tangents))
    assert_same(out, t_out, "output")
    assert_same(derivative, t_derivative, "jvp")


@TORCH_FORWARD_MODE
def test_vjp_and_jvp_of_several_outputs_match_torch(backend):
    def fn(xp, x, y):
        return xp.sin(x) * y, xp.sum(x * y)
    ours, theirs = draw((3,), (3,))
    out, vjp_fn = F.vjp(on(ag, fn), *ours)
    t_out, t_vjp_fn = tf.vjp(on(torch_xp, fn), *theirs)
    cots = (rnd(3), rnd())
    assert_same(out, t_out, "outputs")
    assert_same(vjp_fn(tuple(to_tensor(c) for c in cots)),
                t_vjp_fn(tuple(torch.tensor(c) for c in cots)), "vjp")
    tangents = (rnd(3), rnd(3))
    _, derivative = F.jvp(on(ag, fn), ours, tuple(to_tensor(t) for t in tangents))
    _, t_derivative = tf.jvp(on(torch_xp, fn), tuple(theirs),
                             tuple(torch.tensor(t) for t in tangents))
    assert_same(derivative, t_derivative, "jvp")


@TORCH_FORWARD_MODE
def test_jvp_of_a_complex_function_matches_torch(backend):
    """The double-VJP trick gives the forward derivative of a non-holomorphic
    function too (PyTorch's convention makes the reverse pass real-linear)."""
    def fn(xp, z):
        return xp.sin(z) * xp.conj(z)
    z = rnd(3) + 1j * rnd(3)
    t = rnd(3) + 1j * rnd(3)
    _, derivative = F.jvp(on(ag, fn), (to_tensor(z),), (to_tensor(t),))
    _, t_derivative = tf.jvp(on(torch_xp, fn), (torch.tensor(z),), (torch.tensor(t),))
    assert_same(derivative, t_derivative, "jvp")


@TORCH_FORWARD_MODE
@pytest.mark.parametrize("name", VECTOR)
@pytest.mark.parametrize("mode", ["jacrev", "jacfwd"])
def test_jacobians_match_torch(backend, name, mode):
    fn, sx, sy = VECTOR[name]
    ours, theirs = draw(sx, sy)
    ours_jac = getattr(F, mode)(on(ag, fn), argnums=(0, 1))(*ours)
    theirs_jac = getattr(tf, mode)(on(torch_xp, fn), argnums=(0, 1))(*theirs)
    assert_same(ours_jac, theirs_jac, mode)
    assert_same(getattr(F, mode)(on(ag, fn))(*ours),
                getattr(tf, mode)(on(torch_xp, fn))(*theirs), f"{mode}, argnums 0")


def test_jacobian_is_jacrev_and_shapes_blocks_output_by_input(numpy_backend):
    assert F.jacobian is F.jacrev
    jac = F.jacrev(lambda w, x: ag.tanh(w @ x))(to_tensor(rnd(2, 3)), to_tensor(rnd(3, 4)))
    assert jac.shape == (2, 4, 2, 3)


@TORCH_FORWARD_MODE
@pytest.mark.parametrize("name", SCALAR)
def test_hessian_and_hvp_match_torch(backend, name):
    fn, sx, sy = SCALAR[name]
    ours, theirs = draw(sx, sy)
    assert_same(F.hessian(on(ag, fn), argnums=(0, 1))(*ours),
                tf.hessian(on(torch_xp, fn), argnums=(0, 1))(*theirs), "hessian")
    tangents = [rnd(*sx), rnd(*sy)]
    value, products = F.hvp(on(ag, fn), tuple(ours), tuple(to_tensor(t) for t in tangents))
    t_value, t_products = torch.autograd.functional.hvp(
        on(torch_xp, fn), tuple(theirs), tuple(torch.tensor(t) for t in tangents))
    assert_same(value, t_value, "value")
    assert_same(products, t_products, "hvp")


def test_hessian_matches_jax(backend):
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    fn, sx, sy = SCALAR["logsumexp(x*y)"]
    x, y = rnd(*sx), rnd(*sy)
    ours = F.hessian(on(ag, fn), argnums=(0, 1))(to_tensor(x), to_tensor(y))
    theirs = jax.hessian(on(jnp, fn), argnums=(0, 1))(jnp.asarray(x), jnp.asarray(y))
    for i in range(2):
        for j in range(2):
            assert_allclose(host(ours[i][j]), np.asarray(theirs[i][j]), rtol=RTOL, atol=ATOL)


def test_hvp_of_one_tensor_is_one_tensor(numpy_backend):
    x, v = to_tensor(rnd(3)), to_tensor(rnd(3))
    value, product = F.hvp(lambda x: ag.sum(x ** 3), x, v)
    assert_allclose(host(product), 6 * host(x) * host(v))
    assert_allclose(host(value), np.sum(host(x) ** 3))


# -- vmap ---------------------------------------------------------------------------

@pytest.mark.parametrize("in_dims,out_dims,shapes", [
    (0, 0, [(4, 3), (4, 3)]),
    ((1, None), 1, [(3, 4), (3,)]),
    ((0, -1), -1, [(4, 3), (3, 4)]),
])
def test_vmap_matches_torch(backend, in_dims, out_dims, shapes):
    def fn(xp, x, y):
        return xp.sin(x) * y + xp.sum(x * y)
    arrays = [rnd(*s) for s in shapes]
    ours = F.vmap(on(ag, fn), in_dims, out_dims)(*[to_tensor(a) for a in arrays])
    theirs = tf.vmap(on(torch_xp, fn), in_dims, out_dims)(*[torch.tensor(a) for a in arrays])
    assert_same(ours, theirs, "vmap")


def test_vmap_of_grad_and_of_several_outputs_match_torch(backend):
    xs, y = rnd(4, 3), rnd(3)
    ours = F.vmap(F.grad(on(ag, sin_times_square)), (0, None))(to_tensor(xs), to_tensor(y))
    theirs = tf.vmap(tf.grad(on(torch_xp, sin_times_square)), (0, None))(
        torch.tensor(xs), torch.tensor(y))
    assert_same(ours, theirs, "vmap(grad)")

    def two(xp, x):
        return xp.sum(x), x * 2
    ours = F.vmap(on(ag, two), out_dims=(0, 1))(to_tensor(xs))
    theirs = tf.vmap(on(torch_xp, two), out_dims=(0, 1))(torch.tensor(xs))
    assert_same(ours, theirs, "vmap with two outputs")


def test_vmap_is_differentiable(backend):
    x = to_tensor(rnd(4, 3), requires_grad=True)
    ag.sum(F.vmap(lambda row: ag.sum(row) ** 2)(x)).backward()
    assert_allclose(host(x.grad), np.repeat(2 * np.sum(host(x), axis=1, keepdims=True), 3,
                                            axis=1))


# -- composition ---------------------------------------------------------------------

def test_repeated_grad_gives_the_derivatives_of_sin(backend):
    x = np.array(0.7)
    d = ag.sin
    expected = [np.cos(x), -np.sin(x), -np.cos(x)]
    for order, e in enumerate(expected, start=1):
        d = F.grad(d)
        result = d(to_tensor(x))
        assert not result.requires_grad
        assert_allclose(host(result), e, rtol=1e-12, err_msg=f"derivative {order}")


def test_grad_of_grad_of_two_arguments(backend):
    # f = x**2 y**3: d/dy (df/dx) = 6 x y**2
    def dfdx(x, y):
        return F.grad(lambda x, y: x ** 2 * y ** 3)(x, y)
    x, y = 0.5, -1.5
    mixed = F.grad(dfdx, argnums=1)(to_tensor(np.array(x)), to_tensor(np.array(y)))
    assert_allclose(host(mixed), 6 * x * y ** 2, rtol=1e-12)


def test_jacfwd_of_jacrev_is_the_hessian(backend):
    # f = sum(x**4) / 4 + x0 * x1: H = diag(3 x**2) + [[0, 1], [1, 0]]
    x = rnd(2)
    h = F.jacfwd(F.jacrev(lambda x: ag.sum(x ** 4) / 4 + x[0] * x[1]))(to_tensor(x))
    assert_allclose(host(h), np.diag(3 * x ** 2) + [[0, 1], [1, 0]], rtol=1e-12)


def test_nested_transforms_do_not_confuse_their_variables(numpy_backend):
    # d/dx [x * d/dy (x * y)] = d/dx x**2 = 2x (the inner derivative is with respect
    # to y only, though x is in its graph)
    def outer(x):
        return x * F.grad(lambda y: x * y)(ag.asarray(1.0, dtype=ag.float64))
    assert_allclose(host(F.grad(outer)(to_tensor(np.array(3.0)))), 6.0)


# -- which results stay in the caller's graph ------------------------------------------

def test_results_stay_in_the_callers_graph_through_tensors_it_tracks(backend):
    """A gradient penalty: the gradient with respect to x of a function closing over
    w, squared and differentiated with respect to w, as torch.func composes."""
    wx = [rnd(2, 3), rnd(3)]
    w = to_tensor(wx[0], requires_grad=True)
    g = F.grad(lambda x: tanh_layer_loss(ag, w, x))(to_tensor(wx[1]))
    assert g.requires_grad
    ag.sum(g ** 2).backward()
    tw = torch.tensor(wx[0], requires_grad=True)
    tg = tf.grad(lambda x: tanh_layer_loss(torch_xp, tw, x))(torch.tensor(wx[1]))
    torch.sum(tg ** 2).backward()
    assert_allclose(host(w.grad), tw.grad.numpy(), rtol=RTOL, atol=ATOL)


def test_results_are_detached_under_no_grad_and_the_transform_still_works(numpy_backend):
    x = leaf([0.5, 1.0])
    with ag.no_grad():
        g = F.grad(lambda x: ag.sum(x ** 3))(x)
    assert not g.requires_grad
    assert_allclose(host(g), [0.75, 3.0])
    assert x.grad is None


def test_has_aux_returns_aux_undifferentiated(backend):
    def f(x):
        y = ag.sin(x)
        return ag.sum(y), {"y": y, "note": "kept"}
    x = rnd(3)
    g, aux = F.grad(f, has_aux=True)(to_tensor(x))
    assert_allclose(host(g), np.cos(x))
    assert aux["note"] == "kept" and not aux["y"].requires_grad
    assert_allclose(host(aux["y"]), np.sin(x))
    (value, aux), g = F.value_and_grad(f, has_aux=True)(to_tensor(x))
    assert_allclose(host(value), np.sum(np.sin(x)))
    _, _, aux = F.vjp(lambda x: (ag.exp(x), x.shape), to_tensor(x), has_aux=True)
    assert aux == (3,)
    _, _, aux = F.jvp(lambda x: (ag.exp(x), 1), to_tensor(x), to_tensor(x), has_aux=True)
    assert aux == 1


def test_gradient_of_an_unused_argument_is_zero(numpy_backend):
    _, gy = F.grad(lambda x, y: ag.sum(x * 2), argnums=(0, 1))(to_tensor(rnd(2)),
                                                                to_tensor(rnd(3)))
    assert_allclose(host(gy), np.zeros(3))
    assert_allclose(host(F.grad(lambda x: ag.asarray(1.0, dtype=ag.float64))(
        to_tensor(rnd(2)))), np.zeros(2))


def test_transforms_compute_nothing_on_dask():
    """Every transform records and differentiates lazily; only reading values
    computes."""
    dask = pytest.importorskip("dask")
    computes = []

    def counting(dsk, keys, **kwargs):
        computes.append(keys)
        return dask.get(dsk, keys, **kwargs)

    with ag.use_backend("dask"), dask.config.set(scheduler=counting):
        x, v = to_tensor(rnd(3)), to_tensor(rnd(3))
        f = F.vmap(lambda x: ag.sum(ag.exp(x / (1 + x * x))))
        results = [F.grad(lambda x: ag.sum(f(ag.reshape(x, (3, 1)))))(x),
                   F.jvp(ag.tanh, x, v)[1], F.jacfwd(ag.sin)(x),
                   F.hessian(lambda x: ag.sum(x ** 3))(x), F.hvp(lambda x: ag.sum(x ** 3), x, v)[1]]
        assert not computes
        assert all(type(r.data).__module__.startswith("dask") for r in results)


# -- errors ------------------------------------------------------------------------

def test_errors_name_the_problem(numpy_backend):
    x = to_tensor(rnd(3))
    with pytest.raises(ValueError, match=r"scalar \(0-d\) Tensor, got shape \(3,\)"):
        F.grad(ag.sin)(x)
    with pytest.raises(TypeError, match="must return a Tensor, got float"):
        F.grad(lambda x: 1.0)(x)
    with pytest.raises(IndexError, match="argnums 2 is out of range for f called with 2"):
        F.grad(lambda x, y: ag.sum(x), argnums=2)(x, x)
    with pytest.raises(ValueError, match="names an argument twice"):
        F.grad(lambda x, y: ag.sum(x), argnums=(0, -2))(x, x)
    with pytest.raises(TypeError, match="argnums must be an int or a non-empty tuple"):
        F.grad(ag.sum, argnums=[0])
    with pytest.raises(TypeError, match="position 0 must be a Tensor, not float"):
        F.grad(ag.sum)(1.0)
    with pytest.raises(TypeError, match="must be floating point or complex, not int64"):
        F.grad(ag.sum)(ag.asarray([1, 2], dtype=ag.int64))
    with pytest.raises(TypeError, match=r"has_aux=True\): f must return a pair"):
        F.grad(ag.sum, has_aux=True)(x)
    with pytest.raises(TypeError, match="f's output must be a Tensor or a tuple"):
        F.jacrev(lambda x: [x, 2.0])(x)
    _, vjp_fn = F.vjp(ag.sin, x)
    with pytest.raises(ValueError, match=r"cotangent 0 has shape \(2,\), but output 0 has"):
        vjp_fn(to_tensor(rnd(2)))
    with pytest.raises(ValueError, match="the structure of f's output"):
        vjp_fn((x, x))
    with pytest.raises(ValueError, match=r"tangent 0 has shape \(2,\), but primal 0"):
        F.jvp(ag.sin, (x,), (to_tensor(rnd(2)),))


def test_vmap_errors_name_the_problem(numpy_backend):
    def f(x, y):
        return x + y
    with pytest.raises(ValueError, match="differ in size: 3 before, 2 for argument 1"):
        F.vmap(f)(to_tensor(rnd(3, 2)), to_tensor(rnd(2, 2)))
    with pytest.raises(TypeError, match="argument 1 is mapped .* float, not a Tensor"):
        F.vmap(f)(to_tensor(rnd(3)), 1.0)
    with pytest.raises(ValueError, match="no argument is mapped"):
        F.vmap(f, in_dims=None)(to_tensor(rnd(3)), 1.0)
    with pytest.raises(ValueError, match="one entry per argument"):
        F.vmap(f, in_dims=(0,))(to_tensor(rnd(3)), 1.0)
    with pytest.raises(IndexError, match="argument 0 has 1 dimension.*axis 1 is out of range"):
        F.vmap(f, in_dims=(1, None))(to_tensor(rnd(3)), 1.0)
