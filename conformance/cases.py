"""One case per differentiable function: how to draw its inputs (respecting its
domain) and how to call it.

A case's ``fn(xp, *args)`` is written once for arraygrad and for
``array_api_compat.torch`` (the reference). ``gen(draw, k, cplx)`` draws the arguments of
example ``k`` from Hypothesis (``draws.Draw``): NumPy arrays (floating ones are
differentiated; integer and boolean ones are indices and masks) and plain Python values
(axes, keys, orders). Where the function allows any shape, the first examples cover the
edge shapes: example 0 an ordinary shape, example 1 a 0-d array (or a broadcast against
one), example 2 an empty array; later examples take whatever shape Hypothesis draws.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np


@dataclass
class Case:
    name: str
    fn: Callable
    gen: Callable
    real: bool = True        # defined on real floating inputs
    complex: bool = False    # defined on complex inputs
    linear: bool = False     # linear (or piecewise linear): no second-derivative check
    torch: bool = True       # torch has the function (through array_api_compat.torch)
    jax: bool = True         # compare with jax.vjp (False: why is in JAX_SKIPPED)
    notes: str = field(default="")
    # Input kinds ("real"/"complex") arraygrad accepts beyond the standard: a backend
    # that follows the standard strictly may refuse them (n/a for that dtype, not FAIL).
    beyond: tuple = ()


CASES: dict[str, Case] = {}

# Functions not compared with jax.vjp, and why.
JAX_SKIPPED = {
    "unique_values": "jax.numpy's unique functions are not differentiable (gradient 0)",
    "unique_all": "jax.numpy's unique functions are not differentiable (gradient 0)",
    "unique_counts": "jax.numpy's unique functions are not differentiable (gradient 0)",
    "unique_inverse": "jax.numpy's unique functions are not differentiable (gradient 0)",
    "svd": "JAX's SVD picks other signs/phases for the singular vectors, and the case's "
           "loss depends on them",
    "sign": "jax.numpy.sign has a zero derivative for complex inputs too (jax.grad of "
            "Re(conj(w) sign(z)) is 0), where x / |x| has PyTorch's sgn gradient",
    "special.spence": "jax.scipy.special.spence's gradient is NaN on (1, 2) (jax.grad at 1.5)",
    "eigvals": "JAX's eig differs from LAPACK's geev by a few times 1e-5 relative on these "
               "non-symmetric matrices (arraygrad agrees with torch and finite differences)",
}


def case(name, fn, gen, **kw):
    CASES[name] = Case(name, fn, gen, **kw)


# -- drawing ----------------------------------------------------------------------

def arr(draw, shape, lo=-2.0, hi=2.0, cplx=False, im=0.7, min_magnitude=0.0):
    a = draw.floats(lo, hi, shape, min_magnitude)
    if cplx:
        a = a + 1j * draw.floats(-im, im, shape)
    return np.asarray(a)


def signed(draw, shape, lo=0.3, hi=2.0, cplx=False):
    """Away from zero, either sign."""
    a = arr(draw, shape, lo, hi, cplx) * draw.signs(shape)
    return np.asarray(a)


# Shape lists: ANY and ND take Hypothesis's shapes (``Draw.shape``), 0-d and empty
# included; a list of shapes is for a function that needs particular ones, taken in turn.
ANY = "any shape"
ND = "at least 1-d"


def unary_shape(draw, k, shapes=ANY):
    if shapes in (ANY, ND):
        return draw.shape(k, min_dims=0 if shapes == ANY else 1)
    return shapes[k % len(shapes)]


def binary_shapes(draw, k):
    return draw.broadcast_pair(k)


def unary(lo=-2.0, hi=2.0, shapes=ANY, im=0.7, sign=False):
    """One array in [lo, hi]; with ``sign``, magnitudes in [0.3, hi] of either sign."""
    def gen(draw, k, cplx):
        shape = unary_shape(draw, k, shapes)
        return [signed(draw, shape, 0.3, hi, cplx) if sign else arr(draw, shape, lo, hi, cplx, im)]
    return gen


def binary(r1=(-2.0, 2.0), r2=(-2.0, 2.0), sign1=False, sign2=False, cplx2=True):
    """Two broadcasting arrays in ranges r1 and r2; ``sign1``/``sign2``: that range is of
    magnitudes, either sign."""
    def gen(draw, k, cplx):
        s1, s2 = binary_shapes(draw, k)
        x1 = signed(draw, s1, *r1, cplx=cplx) if sign1 else arr(draw, s1, *r1, cplx=cplx)
        x2 = signed(draw, s2, *r2, cplx=cplx and cplx2) if sign2 else arr(draw, s2, *r2, cplx=cplx and cplx2)
        return [x1, x2]
    return gen


def square_matrix(n_choices=(3, 2, 4), batch=True, spd=False, wellcond=True):
    def gen(draw, k, cplx):
        n = n_choices[k % len(n_choices)]
        shape = ((2,) if batch and k % 2 else ()) + (n, n)
        a = arr(draw, shape, -1, 1, cplx)
        if spd:
            a = a @ np.conj(np.swapaxes(a, -1, -2)) + n * np.eye(n)
        elif wellcond:
            a = a + 2.0 * np.eye(n)
        return [a]
    return gen


def _mT(xp, x):
    return xp.matrix_transpose(x) if hasattr(xp, "matrix_transpose") else xp.swapaxes(x, -1, -2)


def _herm(xp, x):
    """The Hermitian part, so a rule that assumes Hermitian input sees one."""
    return (x + xp.conj(_mT(xp, x))) / 2


# -- element-wise ------------------------------------------------------------------

_UNARY = {
    "abs": (unary(sign=True), dict(complex=True)),
    "acos": (unary(-0.9, 0.9), dict(complex=True)),
    "acosh": (unary(1.2, 3.0), dict(complex=True)),
    "asin": (unary(-0.9, 0.9), dict(complex=True)),
    "asinh": (unary(), dict(complex=True)),
    "atan": (unary(im=0.5), dict(complex=True)),
    "atanh": (unary(-0.9, 0.9), dict(complex=True)),
    "cos": (unary(), dict(complex=True)),
    "cosh": (unary(), dict(complex=True)),
    "exp": (unary(), dict(complex=True)),
    "expm1": (unary(), dict(complex=True)),
    "log": (unary(0.2, 3.0), dict(complex=True)),
    "log10": (unary(0.2, 3.0), dict(complex=True)),
    "log1p": (unary(-0.5, 3.0), dict(complex=True)),
    "log2": (unary(0.2, 3.0), dict(complex=True)),
    "reciprocal": (unary(sign=True), dict(complex=True)),
    "sin": (unary(), dict(complex=True)),
    "sinh": (unary(), dict(complex=True)),
    "sqrt": (unary(0.2, 3.0), dict(complex=True)),
    "square": (unary(), dict(complex=True)),
    "tan": (unary(-1.2, 1.2), dict(complex=True)),
    "tanh": (unary(), dict(complex=True)),
    "conj": (unary(), dict(complex=True, linear=True)),
    "negative": (unary(), dict(complex=True, linear=True)),
    "positive": (unary(), dict(complex=True, linear=True)),
    "real": (unary(), dict(complex=True, linear=True)),
    "imag": (unary(), dict(complex=True, real=False, linear=True)),
}
for _name, (_gen, _kw) in _UNARY.items():
    case(_name, (lambda n: lambda xp, x: getattr(xp, n)(x))(_name), _gen, **_kw)

case("add", lambda xp, a, b: xp.add(a, b), binary(), complex=True, linear=True)
case("subtract", lambda xp, a, b: xp.subtract(a, b), binary(), complex=True, linear=True)
case("multiply", lambda xp, a, b: xp.multiply(a, b), binary(), complex=True)
case("divide", lambda xp, a, b: xp.divide(a, b), binary(sign2=True, r2=(0.3, 2.0)), complex=True)
# atan2(a, b) jumps by 2 pi across a = 0 where b < 0 (the branch cut).
case("atan2", lambda xp, a, b: xp.atan2(a, b),
     binary(r1=(0.3, 2.0), r2=(0.3, 2.0), sign1=True, sign2=True))
# copysign(a, b) = |a| sign(b) has a kink at a = 0.
case("copysign", lambda xp, a, b: xp.copysign(a, b),
     binary(r1=(0.3, 2.0), r2=(0.3, 2.0), sign1=True, sign2=True), linear=True)
case("hypot", lambda xp, a, b: xp.hypot(a, b), binary(sign2=True, r2=(0.3, 2.0)))
case("logaddexp", lambda xp, a, b: xp.logaddexp(a, b), binary())
case("maximum", lambda xp, a, b: xp.maximum(a, b), binary(), linear=True)
case("minimum", lambda xp, a, b: xp.minimum(a, b), binary(), linear=True)
case("remainder", lambda xp, a, b: xp.remainder(a, b), binary((2.2, 2.8), (1.0, 1.05)), linear=True)


def _pow_gen(draw, k, cplx):
    s1, s2 = binary_shapes(draw, k)
    x1 = arr(draw, s1, 0.5, 2.0, cplx, im=0.5)
    if k % 3 == 1:  # a Python scalar exponent (the other operation)
        return [x1, 2.5]
    return [x1, arr(draw, s2, -1.5, 1.5, cplx, im=0.5)]


case("pow", lambda xp, a, b: xp.pow(a, b), _pow_gen, complex=True)
case("clip", lambda xp, x: xp.clip(x, min=-0.5, max=0.7), unary(), linear=True)
# Real: a zero gradient (piecewise constant); complex: x / |x| (PyTorch's sgn).
case("sign", lambda xp, x: xp.sign(x), unary(sign=True), complex=True)


def _where_gen(draw, k, cplx):
    s1, s2 = binary_shapes(draw, k)
    cond = draw.mask(s1)
    return [np.asarray(cond), arr(draw, s1, cplx=cplx), arr(draw, s2, cplx=cplx)]


case("where", lambda xp, c, a, b: xp.where(c, a, b), _where_gen, complex=True, linear=True)

# -- data types ----------------------------------------------------------------------

case("astype", lambda xp, x: xp.astype(x, xp.complex128), unary(), complex=True, linear=True)
case("copy", lambda xp, x: xp.copy(x), unary(), complex=True, linear=True, torch=False)
case("to_device", lambda xp, x: xp.to_device(x, x.device), unary(), complex=True, linear=True,
     torch=False)

# -- creation (of a matrix from another) -------------------------------------------

_MAT_SHAPES = [(3, 4), (2, 3, 3), (0, 3), (4, 2)]
case("tril", lambda xp, x: xp.tril(x, k=0), unary(shapes=_MAT_SHAPES), complex=True, linear=True)
case("triu", lambda xp, x: xp.triu(x, k=1), unary(shapes=_MAT_SHAPES), complex=True, linear=True)

# -- manipulation --------------------------------------------------------------------

case("broadcast_to", lambda xp, x: xp.broadcast_to(x, (2,) + tuple(x.shape)),
     unary(), complex=True, linear=True)


def _broadcast_arrays(xp, a, b):
    p, q = xp.broadcast_arrays(a, b)
    return p * 2.0 + q


case("broadcast_arrays", _broadcast_arrays, binary(), complex=True, linear=True)
case("concat", lambda xp, a, b: xp.concat([a, b], axis=0),
     lambda draw, k, c: [arr(draw, (2, 3), cplx=c), arr(draw, ((0, 1, 4)[k % 3], 3), cplx=c)],
     complex=True, linear=True)
case("stack", lambda xp, a, b: xp.stack([a, b], axis=-1),
     lambda draw, k, c: [arr(draw, s, cplx=c) for s in [unary_shape(draw, k)] * 2],
     complex=True, linear=True)
case("expand_dims", lambda xp, x: xp.expand_dims(x, axis=0), unary(), complex=True, linear=True)
case("flip", lambda xp, x: xp.flip(x, axis=-1), unary(shapes=ND), complex=True, linear=True)
case("moveaxis", lambda xp, x: xp.moveaxis(x, 0, -1), unary(shapes=ND), complex=True,
     linear=True)
case("permute_dims", lambda xp, x: xp.permute_dims(x, tuple(range(x.ndim))[::-1]), unary(),
     complex=True, linear=True)
case("repeat", lambda xp, x: xp.repeat(x, 2, axis=0), unary(shapes=ND), complex=True,
     linear=True)
case("reshape", lambda xp, x: xp.reshape(x, (-1,)), unary(), complex=True, linear=True)
case("roll", lambda xp, x: xp.roll(x, 1, axis=0), unary(shapes=ND), complex=True, linear=True)
case("squeeze", lambda xp, x: xp.squeeze(x, axis=0),
     unary(shapes=[(1, 3), (1,), (1, 0), (1, 2, 2)]), complex=True, linear=True)
case("tile", lambda xp, x: xp.tile(x, (2,) * max(x.ndim, 1)), unary(), complex=True, linear=True,
     torch=False)


def _unstack(xp, x):
    parts = xp.unstack(x, axis=0)
    return parts[0] * 2.0 + parts[-1]


case("unstack", _unstack, unary(shapes=[(3, 2), (2,), (1, 0), (4, 2, 2)]), complex=True,
     linear=True)

# -- indexing ------------------------------------------------------------------------


def _getitem(xp, x, key_kind):
    if key_kind == 0:
        return x[1:, ::-1]
    if key_kind == 1:
        return x[..., 0]
    if key_kind == 2:
        return x[1, None, ...]
    return x[:, 1:2]


case("getitem", lambda xp, x, kk: _getitem(xp, x, kk),
     lambda draw, k, c: [arr(draw, [(3, 4), (2, 3, 2), (3, 0), (2, 3)][k % 4], cplx=c), k % 4],
     complex=True, linear=True)


def _getitem_array(xp, x, idx):
    return x[idx]


def _setitem(xp, x, v, idx):
    y = x * 1.0
    y[1:3, ...] = v
    return y


case("setitem", _setitem,
     lambda draw, k, c: [arr(draw, (4, 3), cplx=c), arr(draw, [(2, 3), (3,), (1, 3)][k % 3], cplx=c), 0],
     complex=True, linear=True)
case("take", lambda xp, x, i: xp.take(x, i, axis=0),
     lambda draw, k, c: [arr(draw, (4, 3)[: 2 - (k % 2)], cplx=c),
                        np.asarray([3, 0, 0, 2][: 4 - 2 * (k % 3 == 2)], dtype=np.int64)],
     complex=True, linear=True)
case("take_along_axis", lambda xp, x, i: xp.take_along_axis(x, i, axis=-1),
     lambda draw, k, c: [arr(draw, (3, 4), cplx=c),
                        draw.ints(0, 3, (3, (5, 1, 0)[k % 3]))],
     complex=True, linear=True)

# -- searching, sorting, sets --------------------------------------------------------


def _distinct(shapes):
    def gen(draw, k, cplx):
        shape = unary_shape(draw, k, shapes)
        n = int(np.prod(shape))
        vals = (draw.permutation(max(n, 1))[:n] + draw.floats(0.1, 0.9, (n,))) * 0.5
        return [np.asarray(vals.reshape(shape))]
    return gen


case("sort", lambda xp, x: xp.sort(x, axis=-1), _distinct(ND), linear=True)
case("unique_values", lambda xp, x: xp.unique_values(x), _distinct(ANY), linear=True)
case("unique_all", lambda xp, x: xp.unique_all(x).values, _distinct(ANY), linear=True)
case("unique_counts", lambda xp, x: xp.unique_counts(x).values, _distinct(ANY),
     linear=True)
case("unique_inverse", lambda xp, x: xp.unique_inverse(x).values, _distinct(ANY),
     linear=True)

# -- statistical ---------------------------------------------------------------------

case("sum", lambda xp, x: xp.sum(x, axis=0) if x.ndim else xp.sum(x), unary(), complex=True,
     linear=True)
case("mean", lambda xp, x: xp.mean(x, axis=-1) if x.ndim else xp.mean(x),
     unary(shapes=[(2, 3), (), (2, 0), (4,)]), complex=True, linear=True)
case("prod", lambda xp, x: xp.prod(x, axis=-1) if x.ndim else xp.prod(x), unary(sign=True),
     complex=True)
case("std", lambda xp, x: xp.std(x, axis=-1, correction=1), unary(shapes=[(2, 3), (4,), (3, 2)]))
case("var", lambda xp, x: xp.var(x, axis=0),
     unary(shapes=[(2, 3), (4,), (3, 2)]), complex=True, beyond=("complex",))
case("max", lambda xp, x: xp.max(x, axis=-1) if x.ndim else xp.max(x), _distinct([(2, 3), (), (4,)]),
     linear=True)
case("min", lambda xp, x: xp.min(x, axis=0) if x.ndim else xp.min(x), _distinct([(2, 3), (), (4,)]),
     linear=True)
case("cumulative_sum", lambda xp, x: xp.cumulative_sum(x, axis=-1), unary(shapes=ND),
     complex=True, linear=True)
case("cumulative_prod", lambda xp, x: xp.cumulative_prod(x, axis=-1),
     unary(shapes=ND, sign=True), complex=True)
case("diff", lambda xp, x: xp.diff(x, axis=-1), unary(shapes=ND), complex=True,
     linear=True)

# -- linear algebra ------------------------------------------------------------------


def _matmul_gen(draw, k, cplx):
    pairs = [((2, 3), (3, 4)), ((3,), (3,)), ((0, 3), (3, 2)), ((2, 1, 3, 4), (5, 4, 2)),
             ((3,), (3, 2))]
    s1, s2 = pairs[k % len(pairs)]
    return [arr(draw, s1, cplx=cplx), arr(draw, s2, cplx=cplx)]


case("matmul", lambda xp, a, b: xp.matmul(a, b), _matmul_gen, complex=True)
case("outer", lambda xp, a, b: xp.linalg.outer(a, b),
     lambda draw, k, c: [arr(draw, (3,), cplx=c), arr(draw, ((4,), (1,), (0,))[k % 3], cplx=c)],
     complex=True)
case("tensordot", lambda xp, a, b: xp.tensordot(a, b, axes=1),
     lambda draw, k, c: [arr(draw, (2, 3), cplx=c), arr(draw, ((3, 4), (3,), (3, 0))[k % 3], cplx=c)],
     complex=True)
case("vecdot", lambda xp, a, b: xp.vecdot(a, b, axis=-1),
     lambda draw, k, c: [arr(draw, s, cplx=c) for s in [((2, 3), (3,)), ((4,), (2, 4)), ((0, 3), (1, 3))][k % 3]],
     complex=True)
case("cross", lambda xp, a, b: xp.linalg.cross(a, b),
     lambda draw, k, c: [arr(draw, ((3,), (2, 3), (0, 3))[k % 3]), arr(draw, (3,))])
case("matrix_transpose", lambda xp, x: xp.matrix_transpose(x), unary(shapes=_MAT_SHAPES),
     complex=True, linear=True)
case("diagonal", lambda xp, x: xp.linalg.diagonal(x, offset=k_off(x)), unary(shapes=_MAT_SHAPES),
     complex=True, linear=True)


def k_off(x):
    return 1 if x.shape[-1] > 3 else 0


case("trace", lambda xp, x: xp.linalg.trace(x), unary(shapes=[(3, 3), (2, 3, 4), (0, 2)]),
     complex=True, linear=True)
case("det", lambda xp, x: xp.linalg.det(x), square_matrix(), complex=True)
case("inv", lambda xp, x: xp.linalg.inv(x), square_matrix(), complex=True)
def _full_rank(draw, shape, cplx):
    """A matrix (or a stack) of full column rank: Hypothesis's values alone may be
    rank-deficient (tiny or repeated entries), where a factorization has no derivative."""
    return arr(draw, shape, -1, 1, cplx) + 2 * np.eye(*shape[-2:])


case("pinv", lambda xp, x: xp.linalg.pinv(x),
     lambda draw, k, c: [_full_rank(draw, ((3, 2), (2, 4), (2, 3, 3))[k % 3], c)],
     complex=True)
case("solve", lambda xp, a, b: xp.linalg.solve(a, b),
     lambda draw, k, c: square_matrix((3,), batch=False)(draw, 0, c) + [arr(draw, ((3, 2), (3, 1), (3, 0))[k % 3], cplx=c)],
     complex=True)
case("cholesky", lambda xp, x: xp.linalg.cholesky(_herm(xp, x)), square_matrix(spd=True),
     complex=True)


def _slogdet(xp, x):
    s = xp.linalg.slogdet(x)
    return s.logabsdet + s.sign


case("slogdet", _slogdet, square_matrix(), complex=True)


def _matrix_power_gen(draw, k, cplx):
    return square_matrix()(draw, k, cplx) + [(3, -2, 0, 1)[k % 4]]


case("matrix_power", lambda xp, x, n: xp.linalg.matrix_power(x, n), _matrix_power_gen,
     complex=True)


def _matrix_norm_gen(draw, k, cplx):
    shape = ((3, 4), (2, 3, 3), (4, 2), (3, 3), (3, 3))[k % 5]
    return [arr(draw, shape, cplx=cplx), ("fro", "nuc", 2, 1, -np.inf)[k % 5]]


case("matrix_norm", lambda xp, x, o: xp.linalg.matrix_norm(x, ord=o), _matrix_norm_gen,
     complex=True)
case("vector_norm", lambda xp, x, o: xp.linalg.vector_norm(x, ord=o),
     lambda draw, k, c: [signed(draw, unary_shape(draw, k), cplx=c), (2, 1, 3.0, np.inf)[k % 4]],
     complex=True)


def _qr(xp, x):
    q, r = xp.linalg.qr(x)
    return xp.concat([q, r], axis=-2)


case("qr", _qr, lambda draw, k, c: [_full_rank(draw, ((4, 3), (3, 3), (2, 4, 2))[k % 3], c)],
     complex=True)


def _svd(xp, x):
    u, s, vh = xp.linalg.svd(x, full_matrices=False)
    flat = lambda a: xp.reshape(a, (-1,))
    return xp.concat([flat(s), flat(xp.square(xp.abs(u))), flat(xp.square(xp.abs(vh)))])


case("svd", _svd, lambda draw, k, c: [arr(draw, ((3, 2), (3, 3), (2, 4))[k % 3], cplx=c)],
     complex=True)
case("svdvals", lambda xp, x: xp.linalg.svdvals(x),
     lambda draw, k, c: [arr(draw, ((3, 2), (2, 3, 3), (2, 4))[k % 3], cplx=c)], complex=True)


def _eigh(xp, x):
    w, v = xp.linalg.eigh(_herm(xp, x))
    return xp.concat([xp.reshape(w, (-1,)), xp.reshape(xp.square(xp.abs(v)), (-1,))])


case("eigh", _eigh, square_matrix(wellcond=False), complex=True)
case("eigvalsh", lambda xp, x: xp.linalg.eigvalsh(_herm(xp, x)), square_matrix(wellcond=False),
     complex=True)


def _power_sums(xp, w):
    return xp.stack([xp.sum(w, axis=-1), xp.sum(w * w, axis=-1), xp.sum(w * w * w, axis=-1)])


case("eig", lambda xp, x: _power_sums(xp, xp.linalg.eig(x)[0]), square_matrix(wellcond=False),
     complex=True)
case("eigvals", lambda xp, x: _power_sums(xp, xp.linalg.eigvals(x)),
     square_matrix(wellcond=False), complex=True)

# -- fft -------------------------------------------------------------------------------

_FFT_SHAPES = [(4,), (2, 5), (3, 2), (2, 1, 3)]
for _name, _real, _cplx in [("fft", True, True), ("ifft", True, True), ("fftn", False, True),
                            ("ifftn", False, True), ("rfft", True, False),
                            ("irfft", False, True), ("rfftn", True, False),
                            ("irfftn", False, True), ("hfft", False, True),
                            ("ihfft", True, False), ("fftshift", True, True),
                            ("ifftshift", True, True)]:
    case(f"fft.{_name}", (lambda n: lambda xp, x: getattr(xp.fft, n)(x))(_name),
         unary(shapes=_FFT_SHAPES), real=_real, complex=_cplx, linear=True,
         beyond=("real",) if _name in ("fft", "ifft") else ())


# Gradient bugs this suite found in arraygrad's rules and that are not fixed yet:
# {(function, dtype, check): what is wrong}. Such a cell reads "known bug"; it fails the
# run unless ``--allow-known-bugs`` is given. Empty: the bugs found so far (second
# derivatives of complex vector_norm/matrix_norm with ord=1/inf, fixed in 3bebf2f) are
# fixed. Entries look like
#   ("vector_norm", "complex128", "second derivative"): "ord=1 on complex: ...",
KNOWN_BUGS: dict = {}

# The special functions (``arraygrad.special``) register their cases from their own module.
from . import cases_special  # noqa: E402,F401
# So do PyTorch's names (``cat``, ``softmax``, ``gather``, …).
from . import cases_composed  # noqa: E402,F401
