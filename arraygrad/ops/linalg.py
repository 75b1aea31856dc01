"""Linear algebra: the standard's ``matmul``, ``matrix_transpose``, ``tensordot`` and
``vecdot`` (main namespace and ``linalg``) and every function of the ``linalg``
extension (2025.12), with their vector-Jacobian products.

The rules follow PyTorch's derivative formulas (``derivatives.yaml`` and
``FunctionsManual.cpp``: ``linalg_eig_backward``, ``svd_backward``,
``cholesky_backward``, ``linalg_det_backward``, ``slogdet_backward``,
``pinv_backward``, ``linalg_qr_backward``, ``linalg_solve_backward``), on stacks of
matrices and on complex inputs (the conjugate Wirtinger convention). Every rule is
written with the standard's functions only, so under ``create_graph=True`` it runs on
Tensors and is differentiable again; the linear-algebra calls inside rules go through
``xp.run``, which records this module's own operations on Tensors and calls their
forwards on raw arrays.

Multi-output functions return namedtuples of Tensors with the standard's field names
(``EighResult``, ``EigResult``, ``QRResult``, ``SlogdetResult``, ``SVDResult``).
Decompositions are not unique: as in PyTorch, a loss must not depend on the phase (or,
for real inputs, the sign) of eigenvectors and singular vectors; PyTorch checks this on
the values, which a lazy backend cannot, so the check is not made here.

Backends: the forwards call the standard's ``xp.linalg`` and nothing else. A backend
whose library falls short of it (2-D arrays only, missing functions) has an adapter
there, named by its profile, which fills the gaps or raises ``NotImplementedError``
(``arraygrad/backends/adapters.py``).
"""
from __future__ import annotations

import math
from collections import namedtuple

import array_api_compat

from .. import _tensor
from ..autograd.node import will_record
from ._axes import expand_reduced
from ._define import defop, dispatches

Tensor = _tensor.Tensor

EighResult = namedtuple("EighResult", ["eigenvalues", "eigenvectors"])
EigResult = namedtuple("EigResult", ["eigenvalues", "eigenvectors"])
QRResult = namedtuple("QRResult", ["Q", "R"])
SlogdetResult = namedtuple("SlogdetResult", ["sign", "logabsdet"])
SVDResult = namedtuple("SVDResult", ["U", "S", "Vh"])


# -- helpers shared by forwards and rules (shapes and Python values only) -------------

def _ns():
    """The namespace's operations (``arraygrad.ops``), for the functions composed of
    other operations."""
    from .. import ops
    return ops


def _array(xp, a):
    """A 0-d result as a 0-d array: NumPy gives scalars (np.float64 is a float), which
    the graph would take for Python constants when it saves them."""
    return xp.asarray(a) if isinstance(a, (int, float, complex)) else a


def _mH(xp, a):
    """The conjugate transpose of a stack of matrices."""
    return xp.conj(xp.matrix_transpose(a))


def _constant(xp, like, build):
    """A constant made by ``build(ns, dtype, device)`` on the backend and device of
    ``like`` (a Tensor when ``like`` is one, so it can meet it in a recorded rule)."""
    if isinstance(like, Tensor):
        backend = like._backend
        data = like._data
        return Tensor._wrap(build(backend.ns, data.dtype, array_api_compat.device(data)),
                            backend)
    return build(xp, like.dtype, array_api_compat.device(like))


def _band(xp, like, n: int, m: int, k: int = 0, where: str = "eq"):
    """An ``n`` x ``m`` 0/1 matrix of ``like``'s dtype, with ones where the column
    minus the row is ``k`` (``eq``: an identity), at most ``k`` (``le``: a lower
    triangle) or at least ``k`` (``ge``: an upper triangle). Built from ``arange``,
    which every backend computes alike (not every backend's ``eye`` takes more columns
    than rows)."""
    def build(ns, dtype, device):
        rows = ns.reshape(ns.arange(n, device=device), (n, 1)) + k
        cols = ns.reshape(ns.arange(m, device=device), (1, m))
        mask = {"eq": rows == cols, "le": cols <= rows, "ge": cols >= rows}[where]
        return ns.astype(mask, dtype)
    return _constant(xp, like, build)


def _eye(xp, like, n: int, m: int | None = None, k: int = 0):
    return _band(xp, like, n, n if m is None else m, k, "eq")


def _diag_embed(xp, v, eye):
    """Square matrices with ``v`` (..., n) on their diagonals."""
    return xp.expand_dims(v, axis=-2) * eye


def _diag(xp, a):
    return xp.run(diagonal, a)


def _eps(xp, a) -> float:
    """The machine epsilon of ``a``'s precision."""
    single = a.dtype == xp.float32 or a.dtype == xp.complex64
    return 1.1920928955078125e-07 if single else 2.220446049250313e-16


def _as_float(xp, a):
    """``a``, in the backend's default real floating dtype if it is of an integer or
    boolean dtype (as NumPy's ``inv`` promotes; not every backend's ``pinv`` does)."""
    if xp.isdtype(a.dtype, ("integral", "bool")):
        info = array_api_compat.array_namespace(a).__array_namespace_info__()
        return xp.astype(a, info.default_dtypes(device=array_api_compat.device(a))[
            "real floating"])
    return a


def _vector_axis(axis: int, *shapes) -> int:
    """``axis`` of the broadcast vectors as a negative index (the standard's form;
    array_api_strict accepts no other)."""
    ndim = max(len(s) for s in shapes)
    if not -ndim <= axis < ndim:
        raise IndexError(f"axis {axis} is out of bounds for arrays of dimension {ndim}")
    return axis - ndim if axis >= 0 else axis


def _square(name, x):
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(f"linalg.{name} needs square matrices (shape (..., n, n)), "
                         f"not shape {tuple(x.shape)}")


def _exclusive_prod(xp, s, eye):
    """``prod_{j != i} s_j`` for every ``i`` of the last axis, without division (zeros
    allowed): PyTorch's ``prod_safe_zeros_backward``, as a product over the rows of a
    matrix whose diagonal is 1."""
    m = xp.expand_dims(s, axis=-2) * (1 - eye) + eye
    n = s.shape[-1]
    out = m[..., :, 0]
    for j in range(1, n):
        out = out * m[..., :, j]
    return out


# -- matmul, matrix_transpose (main namespace and linalg) ------------------------------

def _matmul_x1_rule(xp, g, x2, x1_shape):
    x2 = xp.conj(x2)
    if len(x1_shape) == 1 and x2.ndim == 1:
        return g * x2
    if x2.ndim == 1:
        return xp.sum_to(xp.expand_dims(g, axis=-1) * x2, x1_shape)
    if len(x1_shape) == 1:
        return xp.sum_to(xp.matmul(x2, xp.expand_dims(g, axis=-1))[..., 0], x1_shape)
    return xp.sum_to(xp.matmul(g, xp.matrix_transpose(x2)), x1_shape)


def _matmul_x2_rule(xp, g, x1, x2_shape):
    x1 = xp.conj(x1)
    if x1.ndim == 1 and len(x2_shape) == 1:
        return g * x1
    if x1.ndim == 1:
        return xp.sum_to(xp.expand_dims(x1, axis=-1) * xp.expand_dims(g, axis=-2), x2_shape)
    if len(x2_shape) == 1 and x1.ndim == 2:  # a matrix-vector product: x1^H g
        return xp.matmul(xp.matrix_transpose(x1), g)
    if len(x2_shape) == 1:
        return xp.sum_to(
            xp.matmul(xp.matrix_transpose(x1), xp.expand_dims(g, axis=-1))[..., 0], x2_shape)
    return xp.sum_to(xp.matmul(xp.matrix_transpose(x1), g), x2_shape)


def _matmul_forward(xp, x1, x2, /):
    return xp.matmul(x1, x2)


# PyTorch's node names for the shapes matmul takes.
_MATMUL = {
    (1, 1): defop(_matmul_x1_rule, _matmul_x2_rule, node="DotBackward0")(_matmul_forward),
    (2, 1): defop(_matmul_x1_rule, _matmul_x2_rule, node="MvBackward0")(_matmul_forward),
    (2, 2): defop(_matmul_x1_rule, _matmul_x2_rule, node="MmBackward0")(_matmul_forward),
}
_matmul_batched = defop(_matmul_x1_rule, _matmul_x2_rule, node="MatmulBackward0")(_matmul_forward)


@dispatches(*_MATMUL.values(), _matmul_batched)
def matmul(x1, x2, /):
    """The matrix product, with the standard's rules for 1-d operands and stacks."""
    return _MATMUL.get((_ndim(x1), _ndim(x2)), _matmul_batched)(x1, x2)


def _ndim(x):
    return getattr(x, "ndim", None)


@defop(lambda xp, g: xp.matrix_transpose(g), node="TransposeBackward0")
def matrix_transpose(xp, x, /):
    """Each matrix of the stack transposed (its last two axes swapped)."""
    return xp.matrix_transpose(x)


# -- tensordot, vecdot (main namespace and linalg) ------------------------------------

def _tensordot_axes(axes, nd1: int, nd2: int):
    """The contracted axes of ``x1`` and ``x2`` as two lists of non-negative ints."""
    if isinstance(axes, int):
        if axes < 0 or axes > min(nd1, nd2):
            raise ValueError(f"tensordot: axes={axes} must be in [0, {min(nd1, nd2)}]")
        return list(range(nd1 - axes, nd1)), list(range(axes))
    a, b = axes
    a = [a] if isinstance(a, int) else list(a)
    b = [b] if isinstance(b, int) else list(b)
    if len(a) != len(b):
        raise ValueError("tensordot: both sequences of axes must have the same length")
    return [i % nd1 if nd1 else i for i in a], [j % nd2 if nd2 else j for j in b]


def _argsort(perm):
    return tuple(sorted(range(len(perm)), key=perm.__getitem__))


def _tensordot_x1_rule(xp, g, x2, x1_shape, axes):
    nd1 = len(x1_shape)
    a_ax, b_ax = _tensordot_axes(axes, nd1, x2.ndim)
    a_free = [i for i in range(nd1) if i not in a_ax]
    b_free = [j for j in range(x2.ndim) if j not in b_ax]
    fa = len(a_free)
    r = xp.run(tensordot, g, xp.conj(x2), axes=(list(range(fa, g.ndim)), b_free))
    # r's axes: x1's free axes, then x1's axes paired with x2's contracted ones in
    # x2's order.
    perm = a_free + [a_ax[b_ax.index(j)] for j in sorted(b_ax)]
    return xp.permute_dims(r, _argsort(perm)) if perm != sorted(perm) else r


def _tensordot_x2_rule(xp, g, x1, x2_shape, axes):
    nd2 = len(x2_shape)
    a_ax, b_ax = _tensordot_axes(axes, x1.ndim, nd2)
    a_free = [i for i in range(x1.ndim) if i not in a_ax]
    b_free = [j for j in range(nd2) if j not in b_ax]
    fa = len(a_free)
    r = xp.run(tensordot, xp.conj(x1), g, axes=(a_free, list(range(fa))))
    perm = [b_ax[a_ax.index(i)] for i in sorted(a_ax)] + b_free
    return xp.permute_dims(r, _argsort(perm)) if perm != sorted(perm) else r


# PyTorch's tensordot is a composite whose result is a view: its grad_fn prints
# ViewBackward0.
@defop(_tensordot_x1_rule, _tensordot_x2_rule, node="ViewBackward0")
def tensordot(xp, x1, x2, /, *, axes=2):
    """The sum of products of ``x1`` and ``x2`` over the axes that ``axes`` pairs (the
    last ``axes`` of ``x1`` with the first ``axes`` of ``x2`` for an integer)."""
    if not isinstance(axes, int):
        a, b = axes
        axes = ([a] if isinstance(a, int) else list(a), [b] if isinstance(b, int) else list(b))
    return _array(xp, xp.tensordot(x1, x2, axes=axes))


def _vecdot_expand(xp, g, axis):
    """The gradient of the dot products with the reduced axis put back (size 1)."""
    if axis >= 0:
        axis -= g.ndim + 1
    return xp.expand_dims(g, axis=axis)


# PyTorch's vecdot is (x1.conj() * x2).sum(axis): its grad_fn prints SumBackward1.
@defop(lambda xp, g, x2, axis: xp.conj(_vecdot_expand(xp, g, axis)) * x2,
       lambda xp, g, x1, axis: _vecdot_expand(xp, g, axis) * x1,
       node="SumBackward1", broadcasts=True)
def vecdot(xp, x1, x2, /, *, axis=-1):
    """The dot products of the vectors along ``axis``, conjugating ``x1``."""
    axis = _vector_axis(axis, x1.shape, x2.shape)
    return _array(xp, xp.vecdot(x1, x2, axis=axis))


# -- the extension's structural functions -------------------------------------------

def _diagonal_rule(xp, g, x_shape, offset):
    m, n = x_shape[-2:]
    band = _band(xp, g, m, n, offset)
    length = g.shape[-1]
    if offset >= 0:  # the k-th element sits in row k
        return xp.expand_dims(g @ _eye(xp, g, length, m), axis=-1) * band
    return xp.expand_dims(g @ _eye(xp, g, length, n), axis=-2) * band  # in column k


@defop(_diagonal_rule, node="DiagonalBackward0")
def diagonal(xp, x, /, *, offset=0):
    """The ``offset``-th diagonal of each matrix."""
    return xp.linalg.diagonal(x, offset=offset)


def _trace_rule(xp, g, x_shape, offset):
    m, n = x_shape[-2:]
    return xp.reshape(g, tuple(g.shape) + (1, 1)) * _band(xp, g, m, n, offset)


@defop(_trace_rule, node="TraceBackward0", broadcasts=True)
def trace(xp, x, /, *, offset=0, dtype=None):
    """The sum along the ``offset``-th diagonal of each matrix."""
    return _array(xp, xp.linalg.trace(x, offset=offset, dtype=xp.native(dtype)))


@dispatches("multiply", "expand_dims")  # through the namespace
def outer(x1, x2, /):
    """The outer product of two vectors (PyTorch's composite: a multiply)."""
    if _ndim(x1) is None and _ndim(x2) is None:  # nested sequences
        x1, x2 = _tensor.asarray(x1), _tensor.asarray(x2)
    for name, v in (("x1", x1), ("x2", x2)):
        if _ndim(v) not in (None, 1):
            raise ValueError(f"linalg.outer: {name} must be 1-dimensional, not "
                             f"{_ndim(v)}-dimensional")
    ag = _ns()
    return ag.multiply(ag.expand_dims(x1, axis=-1), x2)


@defop(lambda xp, g, x2, axis: xp.run(cross, xp.conj(x2), g, axis=axis),
       lambda xp, g, x1, axis: xp.run(cross, g, xp.conj(x1), axis=axis),
       node="LinalgCrossBackward0", broadcasts=True)
def cross(xp, x1, x2, /, *, axis=-1):
    """The cross product of the 3-element vectors along ``axis``."""
    axis = _vector_axis(axis, x1.shape, x2.shape)
    return xp.linalg.cross(x1, x2, axis=axis)


# -- inverse, solve, determinants --------------------------------------------------

@defop(lambda xp, g, result: -(_mH(xp, result) @ g @ _mH(xp, result)),
       node="LinalgInvExBackward0")
def inv(xp, x, /):
    """The inverse of each square matrix."""
    return xp.linalg.inv(x)


def _solve_rule(xp, g, x1, result, x2_shape, needs):
    """X = A^{-1} B: gB = A^{-H} gX, gA = -gB X^H (broadcasting undone by the
    machinery)."""
    vector = len(x2_shape) == 1
    gX = xp.expand_dims(g, axis=-1) if vector else g
    X = xp.expand_dims(result, axis=-1) if vector else result
    gB = xp.run(solve, _mH(xp, x1), gX)
    gA = -(gB @ _mH(xp, X)) if needs[0] else None
    if vector:
        gB = gB[..., 0]
    return [gA, gB if needs[1] else None]


@defop(joint=_solve_rule, node="LinalgSolveExBackward0", broadcasts=True)
def solve(xp, x1, x2, /):
    """The solution X of x1 @ X = x2 (x2 a vector when 1-dimensional)."""
    return xp.linalg.solve(x1, x2)


def _det_rule(xp, g, x, result):
    """PyTorch's linalg_det_backward: d det(A) = conj(det A) A^{-H} g, through a solve
    where |det A| >= 100 eps, and through the adjugate from an SVD where A is
    (numerically) singular. Both are computed and the choice is made element-wise
    (never in Python on values), each on an input that keeps the other one finite, so
    second derivatives carry no NaN from the branch not taken."""
    n = x.shape[-1]
    if n == 0 or 0 in tuple(x.shape):
        return xp.zeros_like(x)
    eye = _eye(xp, x, n)
    singular = xp.abs(result) < 100 * _eps(xp, x)
    pick = xp.expand_dims(xp.expand_dims(singular, axis=-1), axis=-1)
    d = g * xp.conj(result)
    regular = xp.run(solve, _mH(xp, xp.where(pick, eye, x)),
                   xp.reshape(d, tuple(d.shape) + (1, 1)) * eye)
    # The adjugate of A = U diag(S) Vh: conj(det U det Vh) U diag(prod_{j!=i} S_j) Vh.
    distinct = eye * _constant(xp, x, lambda ns, dt, dev: ns.astype(
        ns.reshape(ns.arange(1, n + 1, device=dev), (n, 1)), dt))
    U, S, Vh = xp.run(_svd, xp.where(pick, x, distinct), full_matrices=False)
    alpha = xp.conj(xp.run(det, U) * xp.run(det, Vh)) * g
    excl = _exclusive_prod(xp, S, _eye(xp, S, n))
    adjugate = (U * xp.expand_dims(xp.expand_dims(alpha, axis=-1) * excl, axis=-2)) @ Vh
    return xp.where(pick, adjugate, regular)


@defop(_det_rule, node="LinalgDetBackward0")
def det(xp, x, /):
    """The determinant of each square matrix."""
    return _array(xp, xp.linalg.det(x))


def _slogdet_rule(xp, g, x, result):
    """PyTorch's slogdet_backward: (g_logabs - i Im(conj(g_sign) sign)) A^{-H}; the
    sign of a real determinant carries no gradient."""
    g_sign, g_log = g
    sign, _ = result
    n = x.shape[-1]
    if n == 0 or 0 in tuple(x.shape):
        return xp.zeros_like(x)
    complex_input = xp.is_complex(x)
    if not complex_input or g_sign is None:
        if g_log is None:
            return xp.zeros_like(x)
        w = xp.astype(g_log, x.dtype) if complex_input else g_log
    else:
        w = xp.astype(xp.imag(xp.conj(g_sign) * sign), x.dtype) * (-1j)
        if g_log is not None:
            w = w + xp.astype(g_log, x.dtype)
    eye = _eye(xp, x, n)
    return xp.run(solve, _mH(xp, x), xp.reshape(w, tuple(w.shape) + (1, 1)) * eye)


@defop(_slogdet_rule, node="LinalgSlogdetBackward0", outputs=2)
def _slogdet(xp, x, /):
    sign, logabsdet = xp.linalg.slogdet(x)
    return (_array(xp, sign), _array(xp, logabsdet))


@dispatches(_slogdet)
def slogdet(x, /):
    """The sign (a unit complex number for complex input) and the natural logarithm of
    the absolute value of the determinant of each square matrix."""
    return SlogdetResult(*_slogdet(x))


# -- factorizations ----------------------------------------------------------------

def _cholesky_rule(xp, g, result, upper):
    """PyTorch's cholesky_backward (Iain Murray, arXiv 1602.07527):
    gA = L^{-H} Phi(L^H gL) L^{-1}, Phi(X) = (tril(X) + tril(X, -1)^H) / 2."""
    L, gL = (_mH(xp, result), _mH(xp, g)) if upper else (result, g)
    n = L.shape[-1]
    if n == 0:
        return xp.zeros_like(g)
    P = (_mH(xp, L) @ gL) * _band(xp, L, n, n, 0, "le")
    P = 0.5 * (P + _mH(xp, P * _band(xp, L, n, n, -1, "le")))
    Lh = _mH(xp, L)
    X = xp.run(solve, Lh, P)                        # L^{-H} P
    return _mH(xp, xp.run(solve, Lh, _mH(xp, X)))   # ... L^{-1}


@defop(_cholesky_rule, node="LinalgCholeskyExBackward0")
def cholesky(xp, x, /, *, upper=False):
    """The Cholesky factor of each Hermitian positive-definite matrix: lower (x = L L^H)
    or, with ``upper``, upper (x = U^H U)."""
    return xp.linalg.cholesky(x, upper=upper)


def _qr_rule(xp, g, result, x_shape, mode):
    """PyTorch's linalg_qr_backward."""
    gQ, gR = g
    Q, R = result
    m, n = x_shape[-2:]
    if mode == "complete" and m > n:
        raise NotImplementedError("The QR decomposition is not differentiable when "
                                  "mode='complete' and nrows > ncols.")
    if gQ is not None and gR is not None:
        gA = gR @ _mH(xp, R) - _mH(xp, Q) @ gQ
    elif gQ is not None:
        gA = -(_mH(xp, Q) @ gQ)
    else:
        gA = gR @ _mH(xp, R)
    k = gA.shape[-1]
    if m >= n:
        upper = gA * _band(xp, gA, k, k, 1, "ge")
        d = _diag(xp, gA)
        eye = _eye(xp, gA, k)
        # syminvadj(triu(gA)): the strict upper part mirrored, the real diagonal kept.
        sym = upper + _mH(xp, upper) + _diag_embed(xp, xp.real(d) if xp.is_complex(d) else d,
                                                    eye)
        gA = Q @ sym
        if gQ is not None:
            gA = gA + gQ
        return _mH(xp, xp.run(solve, R, _mH(xp, gA)))  # gA R^{-H}
    # m < n: trilImInvAdjSkew(-gA), whose diagonal (purely imaginary) is halved.
    Y = -gA
    Z = (Y - _mH(xp, Y)) * (_band(xp, gA, m, m, -1, "le") + 0.5 * _eye(xp, gA, m))
    gA = Q @ Z
    gA = _mH(xp, xp.run(solve, R[..., :, :m], _mH(xp, gA)))  # gA R1^{-H}
    gA = gA @ _eye(xp, gA, m, n)  # padded with zeros to m x n
    if gR is not None:
        gA = gA + Q @ gR
    return gA


@defop(_qr_rule, node="LinalgQrBackward0", outputs=2)
def _qr(xp, x, /, *, mode="reduced"):
    if mode not in ("reduced", "complete"):
        raise ValueError(f"linalg.qr: mode must be 'reduced' or 'complete', not {mode!r}")
    q, r = xp.linalg.qr(x, mode=mode)
    return (q, r)


@dispatches(_qr)
def qr(x, /, *, mode="reduced"):
    """The QR decomposition of each matrix: ``QRResult(Q, R)``."""
    return QRResult(*_qr(x, mode=mode))


def _eigh_rule(xp, g, result):
    """PyTorch's linalg_eig_backward for Hermitian matrices:
    gA = V (skew(V^H gV) / 2 / E + diag(gL)) V^H, E_ij = L_j - L_i (1 on the diagonal)."""
    gL, gV = g
    L, V = result
    Vh = _mH(xp, V)
    if gV is None:
        return (V * xp.expand_dims(gL, axis=-2)) @ Vh
    n = L.shape[-1]
    eye = _eye(xp, L, n)
    VhgV = Vh @ gV
    VhgV = 0.5 * (VhgV - _mH(xp, VhgV))
    E = xp.expand_dims(L, axis=-2) - xp.expand_dims(L, axis=-1) + eye
    inner = VhgV / E
    if gL is not None:
        inner = inner * (1 - eye) + _diag_embed(xp, gL, eye)
    return V @ (inner @ Vh)


@defop(_eigh_rule, node="LinalgEighBackward0", outputs=2)
def _eigh(xp, x, /):
    eigenvalues, eigenvectors = xp.linalg.eigh(x)
    return (eigenvalues, eigenvectors)


@dispatches(_eigh)
def eigh(x, /):
    """The eigenvalues (ascending, real) and eigenvectors of each Hermitian matrix:
    ``EighResult(eigenvalues, eigenvectors)``."""
    return EighResult(*_eigh(x))


@defop()
def _eigvalsh(xp, x, /):
    return xp.linalg.eigvalsh(x)


@defop(_eigh_rule, node="LinalgEighBackward0", outputs=2)
def _eigvalsh_and_vectors(xp, x, /):
    """The eigenvalues as ``eigvalsh`` computes them (so that they do not depend on
    whether a gradient is wanted), with the eigenvectors their gradient needs."""
    return (_eigvalsh.op.forward(xp, x), _eigh.op.forward(xp, x)[1])


@dispatches(_eigvalsh, _eigvalsh_and_vectors)
def eigvalsh(x, /):
    """The eigenvalues (ascending, real) of each Hermitian matrix. Differentiable
    through the eigenvectors, which are then computed as well (as PyTorch does)."""
    if will_record(x):
        return _eigvalsh_and_vectors(x)[0]
    return _eigvalsh(x)


def _eig_rule(xp, g, result, x_dtype):
    """PyTorch's linalg_eig_backward: gA = V^{-H} (diag(gL) + (V^H gV - V^H V
    diag(Re(V^H gV))) / conj(E)) V^H; the real part for a real input."""
    gL, gV = g
    L, V = result
    Vh = _mH(xp, V)
    if gV is None:
        gA = xp.run(solve, Vh, xp.expand_dims(gL, axis=-1) * Vh)
    else:
        n = L.shape[-1]
        eye = _eye(xp, L, n)
        VhgV = Vh @ gV
        VhgV = VhgV - Vh @ (V * xp.expand_dims(xp.real(_diag(xp, VhgV)), axis=-2))
        Lc = xp.conj(L)
        E = xp.expand_dims(Lc, axis=-2) - xp.expand_dims(Lc, axis=-1) + eye
        inner = VhgV / E
        if gL is not None:
            inner = inner * (1 - eye) + _diag_embed(xp, gL, eye)
        gA = xp.run(solve, Vh, inner @ Vh)
    return gA if x_dtype.is_complex else xp.real(gA)


@defop(_eig_rule, node="LinalgEigBackward0", outputs=2)
def _eig(xp, x, /):
    eigenvalues, eigenvectors = xp.linalg.eig(x)
    # Some backends (NumPy) give real results for real spectra: the standard's are
    # always complex.
    cdtype = xp.result_type(x.dtype, xp.complex64)
    if eigenvalues.dtype != cdtype:
        eigenvalues = xp.astype(eigenvalues, cdtype)
        eigenvectors = xp.astype(eigenvectors, cdtype)
    return (eigenvalues, eigenvectors)


@dispatches(_eig)
def eig(x, /):
    """The (complex) eigenvalues and unit-norm eigenvectors of each square matrix:
    ``EigResult(eigenvalues, eigenvectors)``."""
    return EigResult(*_eig(x))


@dispatches(_eig)
def eigvals(x, /):
    """The (complex) eigenvalues of each square matrix. Always those of ``eig`` (whose
    eigenvectors their gradient needs): an eigenvalues-only solver may order them
    differently."""
    return _eig(x)[0]


def _svd_rule(xp, g, result, x_shape, full_matrices):
    """PyTorch's svd_backward; with ``full_matrices`` only the first min(m, n) singular
    vectors carry gradients (the rest are an arbitrary basis), as in PyTorch."""
    gU, gS, gVh = g
    U, S, Vh = result
    m, n = x_shape[-2:]
    k = min(m, n)
    if full_matrices:
        U = U[..., :, :k]
        Vh = Vh[..., :k, :]
        gU = None if gU is None else gU[..., :, :k]
        gVh = None if gVh is None else gVh[..., :k, :]
    if gU is None and gVh is None:
        if m >= n:
            return U @ (xp.expand_dims(gS, axis=-1) * Vh)
        return (U * xp.expand_dims(gS, axis=-2)) @ Vh
    eye = _eye(xp, S, k)
    skew = lambda a: a - _mH(xp, a)  # noqa: E731
    UhgU = skew(_mH(xp, U) @ gU) if gU is not None else None
    VhgV = skew(Vh @ _mH(xp, gVh)) if gVh is not None else None
    S2 = S * S
    E = xp.expand_dims(S2, axis=-2) - xp.expand_dims(S2, axis=-1) + eye
    row, col = xp.expand_dims(S, axis=-2), xp.expand_dims(S, axis=-1)
    if UhgU is not None and VhgV is not None:
        gA = (UhgU * row + col * VhgV) / E
    elif UhgU is not None:
        gA = (UhgU / E) * row
    else:
        gA = col * (VhgV / E)
    if gS is not None:
        gA = gA + _diag_embed(xp, gS, eye)
    if xp.is_complex(U) and UhgU is not None and VhgV is not None:
        gA = gA + _diag_embed(xp, _diag(xp, UhgU) / (2 * S), eye)
    if m > n and gU is not None:
        gA = U @ gA
        gUSinv = gU / row
        gA = gA + gUSinv - U @ (_mH(xp, U) @ gUSinv)
        return gA @ Vh
    if m < n and gVh is not None:
        gA = gA @ Vh
        SinvgVh = gVh / col
        gA = gA + SinvgVh - (SinvgVh @ _mH(xp, Vh)) @ Vh
        return U @ gA
    return U @ (gA @ Vh) if m >= n else (U @ gA) @ Vh


@defop(_svd_rule, node="LinalgSvdBackward0", outputs=3)
def _svd(xp, x, /, *, full_matrices=True):
    u, s, vh = xp.linalg.svd(x, full_matrices=full_matrices)
    return (u, s, vh)


@dispatches(_svd)
def svd(x, /, *, full_matrices=True):
    """The singular value decomposition of each matrix: ``SVDResult(U, S, Vh)``, the
    singular values descending."""
    return SVDResult(*_svd(x, full_matrices=full_matrices))


@defop()
def _svdvals(xp, x, /):
    return xp.linalg.svdvals(x)


@defop(_svd_rule, node="LinalgSvdBackward0", outputs=3)
def _svdvals_and_vectors(xp, x, /, *, full_matrices=False):
    """The singular values as ``svdvals`` computes them (so that they do not depend on
    whether a gradient is wanted), with the singular vectors their gradient needs."""
    u, _, vh = _svd.op.forward(xp, x, full_matrices=False)
    return (u, _svdvals.op.forward(xp, x), vh)


@dispatches(_svdvals, _svdvals_and_vectors)
def svdvals(x, /):
    """The singular values of each matrix, descending. Differentiable through the
    singular vectors, computed as well when a gradient is needed (as PyTorch does)."""
    if will_record(x):
        return _svdvals_and_vectors(x)[1]
    return _svdvals(x)


def _pinv_rule(xp, g, x, result):
    """PyTorch's pinv_backward."""
    m, n = x.shape[-2:]
    pinvA = result
    pinvAh = _mH(xp, pinvA)
    gh = _mH(xp, g)
    if m <= n:
        K = gh @ pinvA
        KpinvAh = K @ pinvAh
        return (-_mH(xp, pinvA @ K) + KpinvAh - (x @ pinvA) @ KpinvAh
                + (pinvAh @ pinvA) @ (gh - K @ x))
    K = pinvA @ gh
    pinvAhK = pinvAh @ K
    return (-_mH(xp, K @ pinvA) + (gh - x @ K) @ pinvA @ pinvAh + pinvAhK
            - pinvAhK @ pinvA @ x)


@defop(_pinv_rule, node="LinalgPinvBackward0")
def pinv(xp, x, /, *, rtol=None):
    """The Moore-Penrose pseudo-inverse of each matrix; singular values at most
    ``rtol`` times the largest are taken as zero."""
    if isinstance(rtol, Tensor):
        rtol = rtol._data
    x = _as_float(xp, x)
    return xp.linalg.pinv(x, rtol=rtol)


@defop()
def matrix_rank(xp, x, /, *, rtol=None):
    """The number of singular values above ``rtol`` times the largest (integer: no
    gradient)."""
    if isinstance(rtol, Tensor):
        rtol = rtol._data
    return _array(xp, xp.linalg.matrix_rank(x, rtol=rtol))


# -- powers and norms (composites, as in PyTorch) ---------------------------------------

@defop(lambda xp, g: g, node="CloneBackward0")
def _clone(xp, x, /):
    return xp.asarray(x, copy=True)


@defop(lambda xp, g: xp.zeros_like(g), node="CopyBackwards")
def _identity_power(xp, x, /):
    n = x.shape[-1]
    eye = xp.eye(n, dtype=x.dtype, device=array_api_compat.device(x))
    return xp.asarray(xp.broadcast_to(eye, tuple(x.shape)), copy=True)


# matmul's stacked operation stands for the 2-d one too (the same forward and rules).
@dispatches(_identity_power, inv, _clone, _matmul_batched)
def matrix_power(x, n, /):
    """``x`` raised to the integer power ``n`` (the inverse's power for ``n < 0``), by
    repeated squaring, as PyTorch composes it."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"linalg.matrix_power: n must be an integer, not {type(n).__name__}")
    if not isinstance(x, Tensor):
        x = _tensor.asarray(x)
    _square("matrix_power", x)
    if n == 0:
        return _identity_power(x)
    if n < 0:
        x = inv(x)
        n = -n
        if n == 1:
            return x
    if n == 1:
        return _clone(x)
    result = None
    z = x
    while n:
        if n & 1:
            result = z if result is None else matmul(result, z)
        n >>= 1
        if n:
            z = matmul(z, z)
    return result


_MATRIX_NORMS = ("fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf)


@dispatches("vector_norm", _svdvals, _svdvals_and_vectors, "max", "min")
def matrix_norm(x, /, *, keepdims=False, ord="fro"):
    """The matrix norm of each matrix: Frobenius (``"fro"``), nuclear (``"nuc"``), the
    largest/smallest singular value (2/-2), column sum (1/-1) or row sum (inf/-inf)."""
    if isinstance(ord, str):
        valid = ord in ("fro", "nuc")
    else:
        valid = not isinstance(ord, bool) and ord in (1, -1, 2, -2, math.inf, -math.inf)
    if not valid:
        raise ValueError(f"linalg.matrix_norm: ord must be one of {_MATRIX_NORMS}, "
                         f"not {ord!r}")
    ag = _ns()
    if ord == "fro":
        return vector_norm(x, axis=(-2, -1), keepdims=keepdims, ord=2)
    if not isinstance(x, Tensor):
        x = _tensor.asarray(x)
    if ord == "nuc":
        r = ag.sum(svdvals(x), axis=-1)
    elif ord in (2, -2):
        r = (ag.max if ord == 2 else ag.min)(svdvals(x), axis=-1)
    else:
        # 1/-1: the columns' absolute sums; inf/-inf: the rows'.
        sums = vector_norm(x, axis=-2 if ord in (1, -1) else -1, ord=1)
        r = (ag.max if ord > 0 else ag.min)(sums, axis=-1)
    if keepdims:
        r = ag.reshape(r, tuple(r.shape) + (1, 1))
    return r


def _vector_norm_rule(xp, g, x, result, axis, keepdims, ord):
    shape = tuple(x.shape)
    g = expand_reduced(xp, g, shape, axis, keepdims)
    norm = expand_reduced(xp, result, shape, axis, keepdims)
    if ord == 0:
        return xp.zeros_like(x)
    if ord == 1:
        return g * xp.sgn(x)
    if ord in (math.inf, -math.inf):
        # The gradient is shared evenly by the elements that reach the max (or min).
        hits = xp.astype(xp.abs(x) == norm, g.dtype)
        return g * xp.sgn(x) * hits / xp.sum(hits, axis=axis, keepdims=True)
    safe_norm = xp.where(norm == 0, xp.ones_like(norm), norm)
    if ord == 2:
        return g * x / safe_norm
    return g * x * xp.abs(x) ** (ord - 2) / safe_norm ** (ord - 1)


@defop(_vector_norm_rule, node="LinalgVectorNormBackward0")
def vector_norm(xp, x, /, *, axis=None, keepdims=False, ord=2):
    """The ``ord``-norm of the vectors along ``axis`` (of all elements by default)."""
    return _array(xp, xp.linalg.vector_norm(x, axis=axis, keepdims=keepdims, ord=ord))


# The extension's functions (Array API 2025.12), which arraygrad.linalg exposes.
LINALG_NAMESPACE = (
    "cholesky", "cross", "det", "diagonal", "eig", "eigh", "eigvals", "eigvalsh", "inv",
    "matmul", "matrix_norm", "matrix_power", "matrix_rank", "matrix_transpose", "outer",
    "pinv", "qr", "slogdet", "solve", "svd", "svdvals", "tensordot", "trace", "vecdot",
    "vector_norm",
)
# Those only in arraygrad.linalg, not in the main namespace.
EXTENSION_ONLY = tuple(n for n in LINALG_NAMESPACE
                       if n not in ("matmul", "matrix_transpose", "tensordot", "vecdot"))

__all__ = list(LINALG_NAMESPACE)
