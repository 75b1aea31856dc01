"""Arguments for every SciPy call of the population: ``recipes()`` maps a public name to
its ``Recipe``.

Conventions: 1-d samples of 12 for statistics (24 where a test needs more), positive
values where the domain needs them, 2-d 6x6 images for ``ndimage``, filter coefficients
of a 2nd-order Butterworth low-pass for ``signal``. The differentiated arrays are the
float array arguments; integer orders, labels, masks, knot vectors with fixed end points
and the like are constants (``L.const``) built inside the recipe, and scalar parameters
documented as Python floats stay Python floats. Callables handed to SciPy (integrands,
statistics) are written against the namespace of their argument, so they run on every
library.
"""
from __future__ import annotations

import numpy as np

from .population import R


def ns(x):
    import array_api_compat
    return array_api_compat.array_namespace(x)


# -- fixed arrays ------------------------------------------------------------------------

_RNG = np.random.default_rng(12345)
# A 2nd-order filter with a pair of complex zeros and of complex poles, all distinct
# (butter's double zero at -1 is a point where roots are not differentiable).
B2 = np.array([0.2, 0.1, 0.3])
A2 = np.array([1.0, -0.74778918, 0.27221494])
Z_REAL = np.array([-1.3, -0.4])                                # real zeros / poles
P_REAL = np.array([0.3, 0.5])
P_STABLE = np.array([-0.7, -1.6])      # analog, left half plane, off the sqrt branch points
LABELS = np.array([[0, 1, 1, 0, 2, 2]] * 3 + [[0, 0, 2, 2, 1, 1]] * 3)
INDEX = np.array([1, 2])
MASK = _RNG.uniform(size=(6, 6)) > 0.5
STRUCT = np.ones((3, 3), dtype=bool)


def _quats(n):
    q = _RNG.standard_normal((n, 4))
    return q / np.linalg.norm(q, axis=1, keepdims=True)


Q2, Q3, Q1 = _quats(2), _quats(3), _quats(1)[0]


def _rot_matrices():
    """Rotation matrices off by 1e-3: SciPy projects a matrix that is not exactly
    orthogonal onto SO(3) and skips the projection for one that is, so at an exactly
    orthogonal input the finite differences (which leave SO(3)) and the graph (which
    does not hold the projection) describe two different functions."""
    import scipy.spatial.transform as T
    return T.Rotation.from_quat(Q2).as_matrix() + 1e-3 * _RNG.standard_normal((2, 3, 3))


def _linkage():
    import scipy.cluster.hierarchy as h
    X = np.random.default_rng(0).standard_normal((8, 2))
    Z = h.linkage(X, "average")
    return X, Z


X8, Z8 = _linkage()
HEIGHTS = Z8[:, 2].copy()


def _inconsistent():
    import scipy.cluster.hierarchy as h
    return h.inconsistent(Z8)


def _Z(L, heights):
    """A linkage matrix whose heights (column 2) are differentiated; the merged indices
    and counts are constants (a perturbed index is not an index)."""
    xp = L.xp
    c = lambda col: L.const(Z8[:, col])
    return xp.stack([c(0), c(1), heights, c(3)], axis=1)


def _T(n=2):
    """The top three rows of n homogeneous 4x4 rigid-transform matrices (the last row,
    exactly [0, 0, 0, 1], is a constant: see ``_M``)."""
    import scipy.spatial.transform as T
    rt = T.RigidTransform.from_components(_RNG.standard_normal((n, 3)),
                                          T.Rotation.from_quat(_quats(n)))
    # Off SO(3) by 1e-3, as in _rot_matrices.
    return rt.as_matrix()[:, :3, :] + 1e-3 * _RNG.standard_normal((n, 3, 4))


def _M(L, top):
    """The 4x4 matrices from their differentiated top rows and the constant last row."""
    last = np.array([[0.0, 0.0, 0.0, 1.0]])
    if top.ndim == 3:
        last = np.broadcast_to(last, (top.shape[0], 1, 4)).copy()
    return L.xp.concat([top, L.const(last)], axis=-2)


def _sos(L, b, a12):
    """One second-order section: a0 is exactly 1 (a constant), the rest differentiated."""
    xp = L.xp
    return xp.reshape(xp.concat([b, L.const(np.array([1.0])), a12]), (1, 6))


def _dual_quat():
    import scipy.spatial.transform as T
    top = _T(2)
    last = np.broadcast_to(np.array([[0.0, 0.0, 0.0, 1.0]]), (2, 1, 4))
    return T.RigidTransform.from_matrix(np.concatenate([top, last], axis=1)).as_dual_quat()


# -- scipy.special -----------------------------------------------------------------------

# Argument kinds: float kinds of draw() (differentiated) with 5 elements; k: counts 0..3,
# n: trials 4..8, o: integer orders 0..2 (constants); D: the Python int 3.
_INTS = {"k": np.array([0, 1, 2, 3, 1]), "n": np.array([4, 5, 6, 8, 7]),
         "o": np.array([0, 1, 2, 1, 0])}

SPECIAL = {
    "bdtr": "k n u", "bdtrc": "k n u", "bdtri": "k n u", "betainc": "p p u",
    "betaincc": "p p u", "betaincinv": "p p u", "betaln": "p p", "binom": "g u",
    "boxcox": "p s", "boxcox1p": "p s", "cbrt": "r", "chdtr": "p p", "chdtrc": "p p",
    "chdtri": "p u", "cosdg": "d", "cosm1": "r", "cotdg": "d", "ellipk": "u",
    "ellipkm1": "u", "entr": "p", "erf": "r", "erfc": "r", "erfcx": "r", "erfinv": "s",
    "exp1": "p", "exp10": "r", "exp2": "r", "exprel": "r", "expi": "p", "expit": "r",
    "expn": "o p", "fdtr": "p p p", "fdtrc": "p p p", "fdtri": "p p u", "gamma": "p",
    "gammainc": "p p", "gammaincc": "p p", "gammainccinv": "p u", "gammaincinv": "p u",
    "gammaln": "p", "gammasgn": "r", "gdtr": "p p p", "gdtrc": "p p p", "huber": "p r",
    "hyp1f1": "s p s", "inv_boxcox": "u u", "inv_boxcox1p": "u u", "i0": "r", "i0e": "r",
    "i1": "r", "i1e": "r", "j0": "r", "j1": "r", "k0": "p", "k0e": "p", "k1": "p",
    "k1e": "p", "kl_div": "p p", "log_ndtr": "r", "loggamma": "p", "logit": "u",
    "lpmv": "o g s", "multigammaln": "g D", "nbdtr": "k n u", "nbdtrc": "k n u",
    "nbdtri": "k n u", "ndtr": "r", "ndtri": "u", "pdtr": "k p", "pdtrc": "k p",
    "pdtri": "k u", "poch": "p s", "pseudo_huber": "p r", "polygamma": "o p", "psi": "p",
    "radian": "r r r", "rel_entr": "p p", "rgamma": "p", "sinc": "r", "sindg": "d",
    "spence": "p", "stdtr": "p r", "stdtrit": "p u", "tandg": "d", "xlog1py": "r p",
    "xlogy": "r p", "y0": "p", "y1": "p", "yn": "o p", "zeta": "g p", "zetac": "g",
}


def _special(kinds: str):
    kinds = kinds.split()
    floats = [k for k in kinds if k not in _INTS and k != "D"]

    def fn(f, L, *xs):
        it = iter(xs)
        args = [3 if k == "D" else L.const(_INTS[k]) if k in _INTS else next(it)
                for k in kinds]
        return f(*args)
    return R(fn, *[k + "5" for k in floats])


# -- statistics helpers ------------------------------------------------------------------

def _mean_stat(*samples, axis=-1):
    x = samples[0]
    return ns(x).mean(x, axis=axis)


def _diff_means(x, y, axis=-1):
    xp = ns(x)
    return xp.mean(x, axis=axis) - xp.mean(y, axis=axis)


def _ndtr(x):
    import scipy.special
    return scipy.special.ndtr(x)


def _pvalue_of_ttest(x, axis=-1):
    import scipy.stats
    return scipy.stats.ttest_1samp(x, 0.0, axis=axis).pvalue


def recipes() -> dict:
    import scipy.cluster.hierarchy as hier
    import scipy.ndimage as ndi
    import scipy.spatial.transform as T

    Rot, RT, Slerp = T.Rotation, T.RigidTransform, T.Slerp
    r = {}

    # scipy.special
    for name, kinds in SPECIAL.items():
        r[f"scipy.special.{name}"] = _special(kinds)
    for name in ("logsumexp", "softmax", "log_softmax"):
        r[f"scipy.special.{name}"] = R(lambda f, L, x: f(x, axis=-1), "r4x3")

    # scipy.linalg, scipy.constants, scipy.optimize
    r["scipy.linalg.block_diag"] = R(lambda f, L, a, b: f(a, b), "r2x2", "r3x2")
    r["scipy.linalg.fiedler"] = R(lambda f, L, a: f(a), "r5")
    r["scipy.linalg.orthogonal_procrustes"] = R(lambda f, L, a, b: f(a, b), "r5x3", "r5x3")
    r["scipy.constants.convert_temperature"] = R(
        lambda f, L, v: f(v, "Celsius", "Kelvin"), "r3")
    r["scipy.constants.lambda2nu"] = R(lambda f, L, v: f(v), "p3")
    r["scipy.constants.nu2lambda"] = R(lambda f, L, v: f(v), "p3")
    r["scipy.optimize.rosen"] = R(lambda f, L, x: f(x), "r5")
    r["scipy.optimize.rosen_der"] = R(lambda f, L, x: f(x), "r5")
    r["scipy.optimize.rosen_hess"] = R(lambda f, L, x: f(x), "r5")
    r["scipy.optimize.rosen_hess_prod"] = R(lambda f, L, x, p: f(x, p), "r5", "r5")

    # scipy.spatial.transform: Rotation, Slerp, RigidTransform
    sp = "scipy.spatial.transform."
    r[sp + "_promote"] = R(lambda f, L, x: f(x, xp=L.xp), "r3")
    r[sp + "Rotation.from_quat"] = R(lambda f, L, q: Rot.from_quat(q), Q2)
    r[sp + "Rotation.from_matrix"] = R(lambda f, L, m: Rot.from_matrix(m), _rot_matrices())
    r[sp + "Rotation.from_rotvec"] = R(lambda f, L, v: Rot.from_rotvec(v), "s2x3")
    r[sp + "Rotation.from_euler"] = R(lambda f, L, a: Rot.from_euler("xyz", a), "s2x3")
    r[sp + "Rotation.from_davenport"] = R(
        lambda f, L, a: Rot.from_davenport(L.const(np.eye(3)), "extrinsic", a), "s2x3")
    r[sp + "Rotation.from_mrp"] = R(lambda f, L, p: Rot.from_mrp(p), "s2x3")
    r[sp + "Rotation.as_quat"] = R(lambda f, L, q: Rot.from_quat(q).as_quat(), Q2)
    r[sp + "Rotation.as_matrix"] = R(lambda f, L, q: Rot.from_quat(q).as_matrix(), Q2)
    r[sp + "Rotation.as_rotvec"] = R(lambda f, L, q: Rot.from_quat(q).as_rotvec(), Q2)
    r[sp + "Rotation.as_euler"] = R(lambda f, L, q: Rot.from_quat(q).as_euler("xyz"), Q2)
    r[sp + "Rotation.as_davenport"] = R(
        lambda f, L, q: Rot.from_quat(q).as_davenport(L.const(np.eye(3)), "extrinsic"), Q2)
    r[sp + "Rotation.as_mrp"] = R(lambda f, L, q: Rot.from_quat(q).as_mrp(), Q2)
    r[sp + "Rotation.concatenate"] = R(
        lambda f, L, a, b: Rot.concatenate([Rot.from_quat(a), Rot.from_quat(b)]), Q2, Q3)
    r[sp + "Rotation.apply"] = R(lambda f, L, q, v: Rot.from_quat(q).apply(v), Q2, "r2x3")
    r[sp + "Rotation.__mul__"] = R(
        lambda f, L, a, b: Rot.from_quat(a) * Rot.from_quat(b), Q2, Q2[::-1])
    r[sp + "Rotation.__pow__"] = R(lambda f, L, q: Rot.from_quat(q) ** 0.5, Q2)
    r[sp + "Rotation.inv"] = R(lambda f, L, q: Rot.from_quat(q).inv(), Q2)
    r[sp + "Rotation.magnitude"] = R(lambda f, L, q: Rot.from_quat(q).magnitude(), Q2)
    r[sp + "Rotation.approx_equal"] = R(
        lambda f, L, a, b: Rot.from_quat(a).approx_equal(Rot.from_quat(b)), Q2, Q2[::-1])
    r[sp + "Rotation.mean"] = R(lambda f, L, q: Rot.from_quat(q).mean(), Q3)
    r[sp + "Rotation.reduce"] = R(lambda f, L, q: Rot.from_quat(q).reduce(), Q3)
    r[sp + "Rotation.__getitem__"] = R(lambda f, L, q: Rot.from_quat(q)[1], Q3)

    def rot_setitem(f, L, a, b):
        rot = Rot.from_quat(a)
        rot[0] = Rot.from_quat(b)
        return rot
    r[sp + "Rotation.__setitem__"] = R(rot_setitem, Q3, Q1)
    r[sp + "Rotation.align_vectors"] = R(lambda f, L, a, b: Rot.align_vectors(a, b),
                                         "r4x3", "r4x3")
    r[sp + "Rotation.__repr__"] = R(lambda f, L, q: repr(Rot.from_quat(q)), Q2)
    r[sp + "Rotation.__iter__"] = R(lambda f, L, q: list(Rot.from_quat(q)), Q2)
    r[sp + "Slerp.__init__"] = R(lambda f, L, t, q: Slerp(t, Rot.from_quat(q)),
                                 [0.0, 1.0, 2.0], Q3)
    r[sp + "Slerp.__call__"] = R(lambda f, L, t, q, s: Slerp(t, Rot.from_quat(q))(s),
                                 [0.0, 1.0, 2.0], Q3, [0.3, 1.2, 1.7])
    r[sp + "normalize_dual_quaternion"] = R(lambda f, L, d: f(d), _dual_quat() * 1.01)
    r[sp + "RigidTransform.from_matrix"] = R(lambda f, L, m: RT.from_matrix(_M(L, m)), _T())
    r[sp + "RigidTransform.from_rotation"] = R(
        lambda f, L, q: RT.from_rotation(Rot.from_quat(q)), Q2)
    r[sp + "RigidTransform.from_translation"] = R(
        lambda f, L, t: RT.from_translation(t), "r2x3")
    r[sp + "RigidTransform.from_components"] = R(
        lambda f, L, t, q: RT.from_components(t, Rot.from_quat(q)), "r2x3", Q2)
    r[sp + "RigidTransform.from_exp_coords"] = R(
        lambda f, L, e: RT.from_exp_coords(e), "s2x6")
    r[sp + "RigidTransform.from_dual_quat"] = R(
        lambda f, L, d: RT.from_dual_quat(d), _dual_quat())
    r[sp + "RigidTransform.identity"] = R(lambda f, L: RT.identity(2),
                                          note="no array argument")
    r[sp + "RigidTransform.concatenate"] = R(
        lambda f, L, a, b: RT.concatenate([RT.from_matrix(_M(L, a)), RT.from_matrix(_M(L, b))]),
        _T(), _T(1))
    r[sp + "RigidTransform.mean"] = R(lambda f, L, m: RT.from_matrix(_M(L, m)).mean(), _T(3))
    for method in ("as_matrix", "as_components", "as_exp_coords", "as_dual_quat", "inv"):
        r[sp + f"RigidTransform.{method}"] = R(
            lambda f, L, m, method=method: getattr(RT.from_matrix(_M(L, m)), method)(), _T())
    r[sp + "RigidTransform.__getitem__"] = R(lambda f, L, m: RT.from_matrix(_M(L, m))[1], _T())

    def rt_setitem(f, L, a, b):
        rt = RT.from_matrix(_M(L, a))
        rt[0] = RT.from_matrix(_M(L, b))
        return rt
    r[sp + "RigidTransform.__setitem__"] = R(rt_setitem, _T(), _T(1)[0])
    r[sp + "RigidTransform.__mul__"] = R(
        lambda f, L, a, b: RT.from_matrix(_M(L, a)) * RT.from_matrix(_M(L, b)), _T(), _T())
    r[sp + "RigidTransform.__pow__"] = R(lambda f, L, m: RT.from_matrix(_M(L, m)) ** 0.5, _T())
    r[sp + "RigidTransform.apply"] = R(lambda f, L, m, v: RT.from_matrix(_M(L, m)).apply(v),
                                       _T(), "r2x3")
    r[sp + "RigidTransform.__iter__"] = R(lambda f, L, m: list(RT.from_matrix(_M(L, m))), _T())

    # scipy.cluster
    cv, ch = "scipy.cluster.vq.", "scipy.cluster.hierarchy."
    r[cv + "whiten"] = R(lambda f, L, x: f(x), "r10x3")
    r[cv + "vq"] = R(lambda f, L, x, c: f(x, c), "r10x3", "r3x3")
    r[cv + "kmeans"] = R(lambda f, L, x, c: f(x, c), "r10x3", "r3x3",
                         note="k_or_guess: the initial code book")
    r[cv + "kmeans2"] = R(lambda f, L, x, c: f(x, c, minit="matrix"), "r10x3", "r3x3")
    for method in ("single", "complete", "average", "weighted", "centroid", "median",
                   "ward"):
        r[ch + method] = R(lambda f, L, x: f(x), X8, note="observation vectors")
    r[ch + "linkage"] = R(lambda f, L, x: f(x, "average"), X8)
    Zrecipe = lambda fn, *more, note="": R(lambda f, L, h, *m: fn(f, L, _Z(L, h), *m),
                                           HEIGHTS, *more,
                                           note="linkage heights differentiated")
    r[ch + "to_tree"] = Zrecipe(lambda f, L, Z: f(Z))
    r[ch + "optimal_leaf_ordering"] = Zrecipe(lambda f, L, Z, x: f(Z, x), X8)
    r[ch + "cophenet"] = Zrecipe(lambda f, L, Z: f(Z))
    r[ch + "inconsistent"] = Zrecipe(lambda f, L, Z: f(Z))

    def from_mlab(f, L, h):
        xp = L.xp
        c = lambda col: L.const(Z8[:, col] + 1.0)
        return f(xp.stack([c(0), c(1), h], axis=1))
    r[ch + "from_mlab_linkage"] = R(from_mlab, HEIGHTS)
    r[ch + "to_mlab_linkage"] = Zrecipe(lambda f, L, Z: f(Z))
    r[ch + "is_monotonic"] = Zrecipe(lambda f, L, Z: f(Z))
    r[ch + "is_valid_im"] = R(lambda f, L, R_: f(R_), _inconsistent())
    r[ch + "is_valid_linkage"] = Zrecipe(lambda f, L, Z: f(Z))
    r[ch + "num_obs_linkage"] = Zrecipe(lambda f, L, Z: f(Z))
    r[ch + "correspond"] = Zrecipe(lambda f, L, Z, y: f(Z, y), "p28")
    r[ch + "fcluster"] = Zrecipe(lambda f, L, Z: f(Z, 3, criterion="maxclust"))
    r[ch + "fclusterdata"] = R(lambda f, L, x: f(x, 3, criterion="maxclust"), X8)
    r[ch + "leaves_list"] = Zrecipe(lambda f, L, Z: f(Z))
    r[ch + "dendrogram"] = Zrecipe(lambda f, L, Z: f(Z, no_plot=True))
    r[ch + "is_isomorphic"] = R(lambda f, L: f(L.const(np.array([1, 1, 2, 3])),
                                               L.const(np.array([2, 2, 3, 1]))),
                                note="cluster assignments only")
    r[ch + "maxdists"] = Zrecipe(lambda f, L, Z: f(Z))
    r[ch + "maxinconsts"] = Zrecipe(lambda f, L, Z: f(Z, L.const(_inconsistent())),
                                    note="R (derived from Z) a constant")
    r[ch + "maxRstat"] = Zrecipe(lambda f, L, Z: f(Z, L.const(_inconsistent()), 3),
                                 note="R (derived from Z) a constant")
    r[ch + "leaders"] = Zrecipe(
        lambda f, L, Z: f(Z, L.const(hier.fcluster(Z8, 3, criterion="maxclust"))))

    # scipy.differentiate
    r["scipy.differentiate.derivative"] = R(lambda f, L, x: f(lambda t: t**3 + t * t, x),
                                            "r4")
    r["scipy.differentiate.jacobian"] = R(lambda f, L, x: f(lambda t: t**3 + 2.0 * t, x),
                                          "r3")
    r["scipy.differentiate.hessian"] = R(
        lambda f, L, x: f(lambda t: ns(t).sum(t**3 + t * t, axis=0), x), "r3")

    # scipy.fft
    for name in ("fft", "ifft", "rfft", "ihfft", "dct", "idct", "dst", "idst",
                 "fftshift", "ifftshift"):
        r[f"scipy.fft.{name}"] = R(lambda f, L, x: f(x), "r8")
    for name in ("irfft", "hfft"):
        r[f"scipy.fft.{name}"] = R(lambda f, L, x: f(x), "r5")
    for name in ("fftn", "ifftn", "fft2", "ifft2", "rfftn", "rfft2", "irfftn", "irfft2",
                 "hfftn", "hfft2", "ihfftn", "ihfft2", "dctn", "idctn", "dstn", "idstn"):
        r[f"scipy.fft.{name}"] = R(lambda f, L, x: f(x), "r4x4")
    r["scipy.fft.fht"] = R(lambda f, L, a: f(a, 0.1, 0.5), "r8")
    r["scipy.fft.ifht"] = R(lambda f, L, a: f(a, 0.1, 0.5), "r8")
    r["scipy.fft.fftfreq"] = R(lambda f, L: f(8, 0.1, xp=L.xp), note="no array argument")
    r["scipy.fft.rfftfreq"] = R(lambda f, L: f(8, 0.1, xp=L.xp), note="no array argument")

    # scipy.integrate
    r["scipy.integrate.trapezoid"] = R(lambda f, L, y, x: f(y, x=x), "r9", "i9")
    r["scipy.integrate.cumulative_trapezoid"] = R(lambda f, L, y, x: f(y, x=x), "r9", "i9")
    r["scipy.integrate.cumulative_simpson"] = R(lambda f, L, y, x: f(y, x=x), "r9", "i9")
    r["scipy.integrate.romb"] = R(lambda f, L, y: f(y, dx=0.5), "r9")

    def qmc_quad(f, L, a, b):
        from scipy.stats import qmc
        return f(lambda x: x[0] * x[0] + x[1], a, b, n_estimates=2, n_points=16,
                 qrng=qmc.Halton(2, seed=0))
    r["scipy.integrate.qmc_quad"] = R(qmc_quad, [0.0, 0.1], [1.0, 1.2])
    r["scipy.integrate.tanhsinh"] = R(lambda f, L, a, b: f(lambda x: x * x + 1.0, a, b),
                                      [0.0, 0.5], [1.0, 2.0])
    r["scipy.integrate.nsum"] = R(lambda f, L, a, b: f(lambda k: 1.0 / (k * k), a, b),
                                  [1.2], [10.5])
    r["scipy.integrate.cubature"] = R(
        lambda f, L, a, b: f(lambda x: x[:, 0] ** 2 + x[:, 1], a, b), [0.0, 0.1], [1.0, 1.2])

    # scipy.interpolate
    ip = "scipy.interpolate."
    X_NEW = [1.7, 2.9, 4.1, 5.6, 6.3]
    r[ip + "BSpline"] = R(lambda f, L, t, c, x: f(t, c, 3)(x), np.arange(12.0), "r8",
                          [3.2, 4.5, 5.1, 6.7, 7.9])
    r[ip + "make_interp_spline"] = R(lambda f, L, x, y: f(x, y), "i8", "r8")
    r[ip + "make_lsq_spline"] = R(
        lambda f, L, x, y: f(x, y, L.const(np.r_[[0.0] * 4, 4.0, 8.0, [13.0] * 4])),
        np.linspace(0.5, 12.5, 14), "r14", note="knots a constant")
    r[ip + "make_smoothing_spline"] = R(lambda f, L, x, y: f(x, y), "i12", "r12")
    r[ip + "PPoly"] = R(lambda f, L, c, x, xn: f(c, x)(xn), "r4x3", [0.0, 2.0, 4.5, 7.0],
                        X_NEW)
    r[ip + "BPoly"] = R(lambda f, L, c, x, xn: f(c, x)(xn), "r4x3", [0.0, 2.0, 4.5, 7.0],
                        X_NEW)
    r[ip + "RBFInterpolator"] = R(lambda f, L, y, d, xn: f(y, d)(xn), "r10x2", "r10",
                                  "s4x2")
    X7 = [1.0, 2.0, 3.1, 4.0, 5.2, 6.0, 7.0]
    r[ip + "CubicHermiteSpline"] = R(lambda f, L, x, y, dy, xn: f(x, y, dy)(xn), X7, "r7",
                                     "r7", X_NEW)
    for name in ("PchipInterpolator", "Akima1DInterpolator", "CubicSpline"):
        r[ip + name] = R(lambda f, L, x, y, xn: f(x, y)(xn), X7, "r7", X_NEW)
    r[ip + "generate_knots"] = R(lambda f, L, x, y: list(f(x, y, s=0.5)), "i12", "r12")
    r[ip + "make_splrep"] = R(lambda f, L, x, y: f(x, y, s=0.5), "i12", "r12")
    r[ip + "make_splprep"] = R(lambda f, L, a, b: f([a, b], s=0.1), "r12", "r12")
    r[ip + "NdBSpline"] = R(
        lambda f, L, t1, t2, c, xi: f((t1, t2), c, 1)(xi),
        np.arange(5.0), np.arange(5.0), "r3x3", [[1.2, 1.7], [2.5, 1.4], [2.9, 2.2]])
    r[ip + "RegularGridInterpolator"] = R(
        lambda f, L, x1, x2, v, xi: f((x1, x2), v)(xi),
        [0.0, 1.0, 2.5, 4.0], [0.0, 1.5, 2.0, 3.0, 4.5], "r4x5",
        [[0.5, 0.7], [1.8, 2.2], [3.1, 4.0]])

    # scipy.ndimage
    nd = "scipy.ndimage."
    img = "r6x6"
    simple = ("laplace", "prewitt", "sobel", "spline_filter", "spline_filter1d")
    for name in simple:
        r[nd + name] = R(lambda f, L, x: f(x), img)
    for name in ("black_tophat", "white_tophat", "grey_closing", "grey_dilation",
                 "grey_erosion", "grey_opening", "morphological_gradient",
                 "morphological_laplace", "maximum_filter", "minimum_filter",
                 "median_filter", "uniform_filter"):
        r[nd + name] = R(lambda f, L, x: f(x, size=3), img)
    for name in ("maximum_filter1d", "minimum_filter1d", "uniform_filter1d"):
        r[nd + name] = R(lambda f, L, x: f(x, 3), img)
    for name in ("gaussian_filter", "gaussian_filter1d", "gaussian_gradient_magnitude",
                 "gaussian_laplace"):
        r[nd + name] = R(lambda f, L, x: f(x, 1.0), img)
    for name in ("fourier_ellipsoid", "fourier_uniform"):
        r[nd + name] = R(lambda f, L, x: f(x, 2.0), img)
    r[nd + "fourier_gaussian"] = R(lambda f, L, x: f(x, 1.0), img)
    r[nd + "fourier_shift"] = R(lambda f, L, x: f(x, 1.0), img)
    for name in ("binary_closing", "binary_dilation", "binary_erosion", "binary_fill_holes",
                 "binary_hit_or_miss", "binary_opening", "binary_propagation",
                 "distance_transform_bf", "distance_transform_cdt",
                 "distance_transform_edt"):
        r[nd + name] = R(lambda f, L: f(L.const(MASK)), note="boolean image only")
    r[nd + "iterate_structure"] = R(lambda f, L: f(L.const(STRUCT), 2),
                                    note="boolean structure only")
    r[nd + "label"] = R(lambda f, L: f(L.const(MASK)), note="boolean image only")
    r[nd + "find_objects"] = R(lambda f, L: f(L.const(LABELS)), note="labels only")
    r[nd + "value_indices"] = R(lambda f, L: f(L.const(LABELS)), note="labels only")
    r[nd + "watershed_ift"] = R(
        lambda f, L: f(L.const((LABELS * 60).astype(np.uint8)),
                       L.const(np.where(LABELS == 1, 1, 0) - np.eye(6, dtype=int))),
        note="integer image and markers only")
    for name in ("center_of_mass", "extrema", "maximum", "maximum_position", "mean",
                 "median", "minimum", "minimum_position", "standard_deviation", "sum",
                 "sum_labels", "variance"):
        r[nd + name] = R(lambda f, L, x: f(x, L.const(LABELS), L.const(INDEX)), "p6x6")
    r[nd + "histogram"] = R(lambda f, L, x: f(x, -2.0, 2.0, 5), img)
    r[nd + "labeled_comprehension"] = R(
        lambda f, L, x: f(x, L.const(LABELS), L.const(INDEX), np.mean, np.float64, 0.0), img)
    r[nd + "affine_transform"] = R(lambda f, L, x, m: f(x, m), img,
                                   [[0.9, 0.1], [-0.1, 1.05]])
    r[nd + "map_coordinates"] = R(lambda f, L, x, c: f(x, c), img,
                                  [[0.5, 1.5, 2.7, 3.3, 4.1], [1.2, 0.7, 3.5, 2.2, 4.4]])
    r[nd + "convolve"] = R(lambda f, L, x, w: f(x, w), img, "r3x3")
    r[nd + "correlate"] = R(lambda f, L, x, w: f(x, w), img, "r3x3")
    r[nd + "convolve1d"] = R(lambda f, L, x, w: f(x, w), img, "r3")
    r[nd + "correlate1d"] = R(lambda f, L, x, w: f(x, w), img, "r3")
    r[nd + "generic_filter"] = R(lambda f, L, x: f(x, np.mean, size=3), img)

    def _shift1d(inp, out):
        out[:] = 0.5 * (inp[:-2] + inp[2:])
    r[nd + "generic_filter1d"] = R(lambda f, L, x: f(x, _shift1d, 3), img)
    r[nd + "generic_gradient_magnitude"] = R(lambda f, L, x: f(x, ndi.sobel), img)

    def _d2(inp, axis, output, mode, cval):
        return ndi.correlate1d(inp, [1.0, -2.0, 1.0], axis, output, mode, cval, 0)
    r[nd + "generic_laplace"] = R(lambda f, L, x: f(x, _d2), img)
    r[nd + "geometric_transform"] = R(
        lambda f, L, x: f(x, lambda c: (c[0] - 0.5, c[1] - 0.5)), img)
    r[nd + "percentile_filter"] = R(lambda f, L, x: f(x, 50, size=3), img)
    r[nd + "rank_filter"] = R(lambda f, L, x: f(x, 1, size=3), img)
    r[nd + "rotate"] = R(lambda f, L, x: f(x, 30.0), img)
    r[nd + "shift"] = R(lambda f, L, x: f(x, 0.5), img)
    r[nd + "zoom"] = R(lambda f, L, x: f(x, 1.5), img)
    r[nd + "vectorized_filter"] = R(
        lambda f, L, x: f(x, lambda w, axis: ns(w).mean(w, axis=axis), size=3), img)

    # scipy.signal: windows
    sg = "scipy.signal."
    for name in ("boxcar", "triang", "parzen", "bohman", "blackman", "nuttall",
                 "blackmanharris", "flattop", "bartlett", "hann", "barthann", "hamming",
                 "cosine", "exponential", "taylor", "lanczos"):
        r[sg + "windows." + name] = R(lambda f, L: f(8, xp=L.xp), note="no array argument")
    for name, args in (("tukey", (0.5,)), ("general_hamming", (0.6,)), ("kaiser", (5.0,)),
                       ("kaiser_bessel_derived", (5.0,)), ("gaussian", (1.5,)),
                       ("general_gaussian", (1.5, 2.0)), ("chebwin", (100,))):
        r[sg + "windows." + name] = R(lambda f, L, args=args: f(8, *args, xp=L.xp),
                                      note="scalar parameters only")
    r[sg + "windows.general_cosine"] = R(lambda f, L, a: f(8, a), [0.5, 0.5])
    r[sg + "windows.get_window"] = R(lambda f, L: f("hann", 8, xp=L.xp),
                                     note="no array argument")
    r[sg + "get_window"] = R(lambda f, L: f("hann", 8, xp=L.xp), note="no array argument")

    # scipy.signal: filter design (the cut-off frequencies are the differentiated arrays)
    r[sg + "abcd_normalize"] = R(lambda f, L, A, B, C, D: f(A, B, C, D), "r2x2", "r2x1",
                                 "r1x2", "r1x1")
    r[sg + "bessel"] = R(lambda f, L, w: f(4, w), 0.3)
    r[sg + "butter"] = R(lambda f, L, w: f(4, w), 0.3)
    r[sg + "cheby1"] = R(lambda f, L, w: f(4, 1.0, w), 0.3)
    r[sg + "cheby2"] = R(lambda f, L, w: f(4, 30.0, w), 0.3)
    r[sg + "ellip"] = R(lambda f, L, w: f(4, 1.0, 30.0, w), 0.3)
    r[sg + "iirfilter"] = R(lambda f, L, w: f(4, w), [0.2, 0.5])
    r[sg + "besselap"] = R(lambda f, L: f(4, xp=L.xp), note="no array argument")
    r[sg + "buttap"] = R(lambda f, L: f(4, xp=L.xp), note="no array argument")
    r[sg + "cheb1ap"] = R(lambda f, L: f(4, 1.0, xp=L.xp), note="no array argument")
    r[sg + "cheb2ap"] = R(lambda f, L: f(4, 30.0, xp=L.xp), note="no array argument")
    r[sg + "ellipap"] = R(lambda f, L: f(4, 1.0, 30.0, xp=L.xp), note="no array argument")
    for name in ("buttord", "cheb1ord", "cheb2ord", "ellipord", "iirdesign"):
        r[sg + name] = R(lambda f, L, wp, ws: f(wp, ws, 3.0, 40.0), [0.2], [0.3])
    r[sg + "iircomb"] = R(lambda f, L: f(1000.0, 30.0, fs=8000.0, xp=L.xp),
                          note="scalar parameters only")
    r[sg + "iirnotch"] = R(lambda f, L: f(0.3, 30.0, xp=L.xp), note="scalar parameters only")
    r[sg + "iirpeak"] = R(lambda f, L: f(0.3, 30.0, xp=L.xp), note="scalar parameters only")
    r[sg + "gammatone"] = R(lambda f, L: f(440.0, "fir", fs=16000.0, xp=L.xp),
                            note="scalar parameters only")
    r[sg + "savgol_coeffs"] = R(lambda f, L: f(5, 2, xp=L.xp), note="no array argument")
    r[sg + "bilinear"] = R(lambda f, L, b, a: f(b, a, fs=10.0), [1.0, 0.5], [1.0, 2.0, 1.5])
    r[sg + "bilinear_zpk"] = R(lambda f, L, z, p, k: f(z, p, k, 10.0), Z_REAL, P_STABLE,
                               [1.5])
    for name in ("lp2bp", "lp2bs", "lp2hp", "lp2lp"):
        r[sg + name] = R(lambda f, L, b, a: f(b, a), [1.0, 0.5], [1.0, 2.0, 1.5])
    for name in ("lp2bp_zpk", "lp2bs_zpk", "lp2hp_zpk", "lp2lp_zpk"):
        r[sg + name] = R(lambda f, L, z, p, k: f(z, p, k), Z_REAL, P_STABLE, [1.5])
    r[sg + "bode"] = R(lambda f, L, b, a, w: f((b, a), w=w), [1.0, 0.5], [1.0, 2.0, 1.5],
                       [0.1, 0.5, 1.0, 3.0])
    r[sg + "impulse"] = R(
        lambda f, L, b, a: f((b, a), T=L.const(np.linspace(0.0, 3.0, 7))), [1.0, 0.5],
        [1.0, 2.0, 1.5], note="time steps a constant (they must stay equally spaced)")
    r[sg + "freqs"] = R(lambda f, L, b, a, w: f(b, a, worN=w), [1.0, 0.5], [1.0, 2.0, 1.5],
                        [0.1, 0.5, 1.0, 3.0])
    r[sg + "freqs_zpk"] = R(lambda f, L, z, p, k, w: f(z, p, k, worN=w), Z_REAL, P_STABLE,
                            [1.5], [0.1, 0.5, 1.0, 3.0])
    r[sg + "freqz"] = R(lambda f, L, b, a: f(b, a, worN=16), B2, A2)
    r[sg + "freqz_zpk"] = R(lambda f, L, z, p, k: f(z, p, k, worN=16), Z_REAL, P_REAL,
                            [1.5])
    r[sg + "freqz_sos"] = R(lambda f, L, b, a: f(_sos(L, b, a), worN=16), B2, A2[1:])
    r[sg + "sosfreqz"] = R(lambda f, L, b, a: f(_sos(L, b, a), worN=16), B2, A2[1:])
    r[sg + "group_delay"] = R(lambda f, L, b, a: f((b, a), w=16), B2, A2)
    r[sg + "firls"] = R(lambda f, L, bands, d: f(7, bands, d), [0.05, 0.3, 0.5, 0.95],
                        [1.0, 1.0, 0.05, 0.05])
    r[sg + "firwin"] = R(lambda f, L, c: f(9, c), [0.3])
    r[sg + "firwin2"] = R(lambda f, L, g: f(9, L.const(np.array([0.0, 0.5, 1.0])), g),
                          [1.0, 0.5, 0.0], note="frequencies fixed at 0 and Nyquist")
    r[sg + "remez"] = R(lambda f, L, d: f(11, L.const(np.array([0.0, 0.1, 0.2, 0.5])), d),
                        [1.0, 0.0], note="band edges fixed at 0 and Nyquist")
    r[sg + "minimum_phase"] = R(lambda f, L, h: f(h), [0.1, 0.3, 1.0, 0.3, 0.1])
    r[sg + "normalize"] = R(lambda f, L, b, a: f(b, a), B2, A2 * 2.0)
    r[sg + "tf2sos"] = R(lambda f, L, b, a: f(b, a), B2, A2)
    r[sg + "tf2zpk"] = R(lambda f, L, b, a: f(b, a), B2, A2)
    r[sg + "zpk2sos"] = R(lambda f, L, z, p, k: f(z, p, k), Z_REAL, P_REAL, [1.5])
    r[sg + "zpk2tf"] = R(lambda f, L, z, p, k: f(z, p, k), Z_REAL, P_REAL, [1.5])
    for name in ("sos2tf", "sos2zpk", "sosfilt_zi"):
        r[sg + name] = R(lambda f, L, b, a: f(_sos(L, b, a)), B2, A2[1:])
    r[sg + "lfilter_zi"] = R(lambda f, L, b, a: f(b, a), B2, A2)
    r[sg + "lfiltic"] = R(lambda f, L, b, a, y, x: f(b, a, y, x), B2, 1.25 * A2, "r3", "r3",
                          note="a[0] != 1: lfiltic divides by a[0] only when it is not 1")
    r[sg + "place_poles"] = R(lambda f, L, A, B, p: f(A, B, p), "r3x3", "r3x1",
                              [-1.0, -2.0, -3.0])

    # scipy.signal: filtering, convolution, splines
    r[sg + "lfilter"] = R(lambda f, L, b, a, x: f(b, a, x), B2, A2, "r12")
    r[sg + "filtfilt"] = R(lambda f, L, b, a, x: f(b, a, x), B2, A2, "r30")
    r[sg + "sosfilt"] = R(lambda f, L, b, a, x: f(_sos(L, b, a), x), B2, A2[1:], "r12")
    r[sg + "sosfiltfilt"] = R(lambda f, L, b, a, x: f(_sos(L, b, a), x), B2, A2[1:], "r30")
    for name in ("convolve", "correlate", "fftconvolve", "oaconvolve", "choose_conv_method"):
        r[sg + name] = R(lambda f, L, a, b: f(a, b), "r8", "r3")
    for name in ("convolve2d", "correlate2d"):
        r[sg + name] = R(lambda f, L, a, b: f(a, b), "r5x5", "r3x3")
    r[sg + "deconvolve"] = R(lambda f, L, s, d: f(s, d), "r8", "p3")
    r[sg + "cspline1d"] = R(lambda f, L, x: f(x), "r10")
    r[sg + "qspline1d"] = R(lambda f, L, x: f(x), "r10")
    r[sg + "cspline1d_eval"] = R(lambda f, L, c, x: f(c, x), "r10", [0.5, 2.2, 4.7, 7.1])
    r[sg + "qspline1d_eval"] = R(lambda f, L, c, x: f(c, x), "r10", [0.5, 2.2, 4.7, 7.1])
    r[sg + "cspline2d"] = R(lambda f, L, x: f(x), "r12x12",
                            note="smaller images do not converge")
    r[sg + "spline_filter"] = R(lambda f, L, x: f(x), "r28x28",
                                note="smaller images do not converge")
    r[sg + "detrend"] = R(lambda f, L, x: f(x), "r10")
    r[sg + "envelope"] = R(lambda f, L, x: f(x), "r16")
    r[sg + "gauss_spline"] = R(lambda f, L, x: f(x, 3), "r8")
    r[sg + "hilbert"] = R(lambda f, L, x: f(x), "r8")
    r[sg + "hilbert2"] = R(lambda f, L, x: f(x), "r4x4")
    r[sg + "medfilt"] = R(lambda f, L, x: f(x), "r9")
    r[sg + "medfilt2d"] = R(lambda f, L, x: f(x), "r5x5")
    r[sg + "order_filter"] = R(lambda f, L, x: f(x, L.const(np.ones((3, 3))), 4), "r5x5")
    r[sg + "resample"] = R(lambda f, L, x: f(x, 12), "r8")
    r[sg + "resample_poly"] = R(lambda f, L, x: f(x, 3, 2), "r8")
    r[sg + "savgol_filter"] = R(lambda f, L, x: f(x, 5, 2), "r11")
    r[sg + "upfirdn"] = R(lambda f, L, h, x: f(h, x, 2), "r3", "r8")
    r[sg + "vectorstrength"] = R(lambda f, L, e, p: f(e, p), "p10", [0.7])
    r[sg + "wiener"] = R(lambda f, L, x: f(x), "r6x6")

    # scipy.stats
    st = "scipy.stats."
    one = lambda *kw, inp="r12": R(lambda f, L, x: f(x, *kw), inp)
    for name in ("differential_entropy", "tmean", "tvar", "tmin", "tmax", "tstd", "tsem",
                 "skew", "kurtosis", "describe", "jarque_bera", "sem", "zscore", "iqr",
                 "median_abs_deviation", "sigmaclip", "rankdata", "lmoment", "mode",
                 "circmean", "circvar", "circstd", "kstat", "kstatvar"):
        r[st + name] = one()
    for name in ("skewtest", "kurtosistest", "normaltest"):
        r[st + name] = one(inp="r24")
    for name in ("entropy", "gmean", "hmean", "gzscore", "gstd", "variation",
                 "power_divergence", "chisquare"):
        r[st + name] = one(inp="p12")
    r[st + "pmean"] = one(1.5, inp="p12")
    r[st + "moment"] = R(lambda f, L, x: f(x, order=3), "r12")
    r[st + "trim_mean"] = one(0.1)
    r[st + "zmap"] = R(lambda f, L, a, b: f(a, b), "r6", "r12")
    r[st + "combine_pvalues"] = one(inp="u8")
    r[st + "false_discovery_control"] = one(inp="u8")
    r[st + "directional_stats"] = one(inp="r10x3")
    r[st + "quantile"] = R(lambda f, L, x, p: f(x, p), "r12", "u3")
    r[st + "_xp_searchsorted"] = R(lambda f, L, x, y: f(x, y), "i12", "g5")
    r[st + "ttest_1samp"] = R(lambda f, L, x: f(x, 0.0), "r12")
    r[st + "ks_1samp"] = R(lambda f, L, x: f(x, _ndtr), "r12", note="cdf: special.ndtr")
    r[st + "cramervonmises"] = R(lambda f, L, x: f(x, _ndtr), "r12",
                                 note="cdf: special.ndtr")
    for name in ("pearsonr", "ttest_ind", "ttest_rel", "brunnermunzel", "epps_singleton_2samp",
                 "cramervonmises_2samp", "ansari", "mood", "wilcoxon", "mannwhitneyu",
                 "chatterjeexi", "spearmanrho"):
        r[st + name] = R(lambda f, L, x, y: f(x, y), "r12", "r12")
    for name in ("f_oneway", "alexandergovern", "kruskal", "friedmanchisquare", "bartlett",
                 "levene", "fligner"):
        r[st + name] = R(lambda f, L, a, b, c: f(a, b, c), "r10", "r10", "r10")
    r[st + "ttest_ind_from_stats"] = R(
        lambda f, L, m1, s1, m2, s2: f(m1, s1, L.const(np.array([10, 12, 15])), m2, s2,
                                       L.const(np.array([11, 9, 14]))),
        "r3", "p3", "r3", "p3")
    r[st + "boxcox_llf"] = R(lambda f, L, lmb, x: f(lmb, x), "s", "p12")
    r[st + "yeojohnson_llf"] = R(lambda f, L, lmb, x: f(lmb, x), "s", "r12")
    r[st + "bootstrap"] = R(
        lambda f, L, x: f((x,), _mean_stat, n_resamples=99, method="percentile", rng=0),
        "r12")
    r[st + "permutation_test"] = R(
        lambda f, L, x, y: f((x, y), _diff_means, n_resamples=99, rng=0), "r12", "r12")

    def monte_carlo(f, L, x):
        rng = np.random.default_rng(0)
        return f(x, lambda size: L.const(rng.standard_normal(size)), _mean_stat,
                 n_resamples=99)
    r[st + "monte_carlo_test"] = R(monte_carlo, "r12")

    def power(f, L, sig):
        rng = np.random.default_rng(0)
        return f(_pvalue_of_ttest, lambda size: L.const(rng.standard_normal(size) + 0.5),
                 L.const(np.array([10, 20])), significance=sig, n_resamples=99)
    r[st + "power"] = R(power, [0.05, 0.1], note="significance differentiated")
    return r
