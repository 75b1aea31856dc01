"""The cases of ``arraygrad.special``: one per differentiable special function, with
inputs drawn inside its domain.

An argument is drawn as a floating array (differentiated), a Python float or a Python
integer (not differentiated: the integer orders and counts, and the parameters
``arraygrad.special`` refuses to differentiate, such as ``hyp1f1``'s ``a`` and ``b``). The
references are ``torch.special`` and ``jax.scipy.special`` under their own names where
they have the function (``special_of``); where they lack it the check is skipped.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .cases import ANY, arr, binary_shapes, case, unary_shape


@dataclass(frozen=True)
class A:
    """A floating array in [lo, hi] (away from 0 by ``lo`` with either sign if signed),
    whose nonzero entries are at least ``min_magnitude`` in size."""
    lo: float
    hi: float
    signed: bool = False
    min_magnitude: float = 0.0


@dataclass(frozen=True)
class F:
    """A Python float in [lo, hi]."""
    lo: float
    hi: float


@dataclass(frozen=True)
class I:
    """A Python integer in [lo, hi]."""
    lo: int
    hi: int


def arguments(*specs):
    """A generator of arguments following ``specs``: one array takes the unary shapes,
    two arrays broadcasting pairs, a third the first's shape."""
    n_arrays = sum(isinstance(s, A) for s in specs)

    def gen(draw, k, cplx):
        if n_arrays == 1:
            shapes = [unary_shape(draw, k, ANY)]
        else:
            s1, s2 = binary_shapes(draw, k)
            shapes = [s1, s2, s1][:n_arrays]
        out = []
        for spec in specs:
            if isinstance(spec, A):
                shape = shapes.pop(0)
                a = arr(draw, shape, spec.lo, spec.hi, min_magnitude=spec.min_magnitude)
                if spec.signed:
                    a = a * draw.signs(shape)
                out.append(np.asarray(a))
            elif isinstance(spec, F):
                out.append(draw.floats(spec.lo, spec.hi))
            else:
                out.append(draw.ints(spec.lo, spec.hi))
        return out
    return gen


def special_of(xp):
    """The special functions of a namespace under SciPy's names: ``arraygrad.special``,
    ``torch.special`` or ``jax.scipy.special``."""
    name = getattr(xp, "__name__", "")
    if name == "arraygrad":
        return xp.special
    if "torch" in name:
        import torch
        return _Renamed(torch.special, _profile_names("torch"))
    if name.startswith("jax"):
        import jax.scipy.special
        return _Renamed(jax.scipy.special, _profile_names("jax"))
    raise AttributeError(f"no special functions known for {name}")


def _profile_names(backend):
    from arraygrad.backends import profiles
    return profiles()[backend].get("special", {}).get("names", {})


class _Renamed:
    def __init__(self, module, names):
        self._module = module
        self._names = names

    def __getattr__(self, name):
        return getattr(self._module, self._names.get(name, name))


# torch.special's Bessel functions have no derivatives (torch.autograd returns none).
NO_TORCH_DERIVATIVE = {"j0", "j1", "y0", "y1", "k0", "k1", "k0e", "k1e"}


def _special_case(name, *specs, linear=False):
    case(f"special.{name}",
         (lambda n: lambda xp, *args: getattr(special_of(xp), n)(*args))(name),
         arguments(*specs), linear=linear, torch=name not in NO_TORCH_DERIVATIVE)


_UNARY = {
    "erf": A(-2, 2), "erfc": A(-2, 2), "erfcx": A(-2, 2), "erfinv": A(-0.9, 0.9),
    "ndtr": A(-3, 3), "ndtri": A(0.05, 0.95), "log_ndtr": A(-5, 3),
    "expit": A(-4, 4), "logit": A(0.05, 0.95), "entr": A(0.1, 3),
    "gamma": A(0.2, 4), "gammaln": A(0.2, 4), "loggamma": A(0.2, 4), "rgamma": A(0.2, 4),
    "psi": A(0.2, 4),
    "i0": A(-3, 3), "i0e": A(0.3, 3, True), "i1": A(-3, 3), "i1e": A(0.3, 3, True),
    "j0": A(-5, 5), "j1": A(-5, 5), "y0": A(0.3, 5), "y1": A(0.3, 5),
    "k0": A(0.3, 4), "k0e": A(0.3, 4), "k1": A(0.3, 4), "k1e": A(0.3, 4),
    "exp1": A(0.2, 3), "expi": A(0.3, 3, True), "exprel": A(-2, 2), "exp10": A(-1, 1),
    "exp2": A(-2, 2), "cbrt": A(0.3, 3, True), "cosm1": A(-2, 2),
    "cosdg": A(-200, 200), "sindg": A(-200, 200), "tandg": A(-60, 60), "cotdg": A(20, 160),
    "sinc": A(-2, 2), "spence": A(0.2, 3),
    "ellipk": A(-1, 0.9), "ellipkm1": A(0.1, 0.95), "ellipe": A(-1, 0.9),
}
for _name, _spec in _UNARY.items():
    _special_case(_name, _spec)
_special_case("gammasgn", A(0.2, 4), linear=True)

_OTHERS = {
    "xlogy": (A(-2, 2), A(0.2, 3)),
    "xlog1py": (A(-2, 2), A(-0.5, 3)),
    "rel_entr": (A(0.1, 3), A(0.1, 3)),
    "kl_div": (A(0.1, 3), A(0.1, 3)),
    "huber": (A(0.5, 2), A(-3, 3)),
    "pseudo_huber": (A(0.5, 2), A(-3, 3)),
    "betaln": (A(0.3, 3), A(0.3, 3)),
    "poch": (A(0.5, 3), A(0.0, 2)),
    "binom": (A(2, 5), A(0.2, 1.8)),
    "polygamma": (I(0, 3), A(0.3, 4)),
    "multigammaln": (A(2, 5), I(1, 4)),
    "gammainc": (A(0.5, 5), A(0.1, 6)),
    "gammaincc": (A(0.5, 5), A(0.1, 6)),
    "gammaincinv": (A(0.5, 5), A(0.1, 0.9)),
    "gammainccinv": (A(0.5, 5), A(0.1, 0.9)),
    "chdtr": (A(1, 6), A(0.1, 8)),
    "chdtrc": (A(1, 6), A(0.1, 8)),
    "chdtri": (A(1, 6), A(0.1, 0.9)),
    "gdtr": (A(0.5, 2), A(0.5, 4), A(0.1, 4)),
    "gdtrc": (A(0.5, 2), A(0.5, 4), A(0.1, 4)),
    "pdtr": (I(0, 5), A(0.5, 4)),
    "pdtrc": (I(0, 5), A(0.5, 4)),
    "pdtri": (I(0, 5), A(0.1, 0.9)),
    "betainc": (A(0.5, 4), A(0.5, 4), A(0.05, 0.95)),
    "betaincc": (A(0.5, 4), A(0.5, 4), A(0.05, 0.95)),
    "betaincinv": (A(0.5, 4), A(0.5, 4), A(0.05, 0.95)),
    "bdtr": (I(0, 4), I(5, 9), A(0.05, 0.95)),
    "bdtrc": (I(0, 4), I(5, 9), A(0.05, 0.95)),
    "bdtri": (I(0, 4), I(5, 9), A(0.05, 0.95)),
    "nbdtr": (I(0, 4), I(1, 6), A(0.05, 0.95)),
    "nbdtrc": (I(0, 4), I(1, 6), A(0.05, 0.95)),
    "nbdtri": (I(0, 4), I(1, 6), A(0.05, 0.95)),
    "fdtr": (A(1, 6), A(1, 6), A(0.1, 4)),
    "fdtrc": (A(1, 6), A(1, 6), A(0.1, 4)),
    "fdtri": (A(1, 6), A(1, 6), A(0.1, 0.9)),
    "stdtr": (A(1, 6), A(-3, 3)),
    "stdtrit": (A(1, 6), A(0.05, 0.95)),
    "expn": (I(0, 4), A(0.2, 3)),
    "yn": (I(0, 3), A(0.5, 5)),
    "lpmv": (I(0, 2), F(2, 4), A(-0.9, 0.9)),
    "hyp1f1": (F(0.5, 2), F(1, 3), A(-2, 2)),
    "boxcox": (A(0.2, 3), A(-1, 2)),
    "boxcox1p": (A(-0.5, 3), A(-1, 2)),
    "inv_boxcox": (A(0.1, 1), A(-0.5, 1.5)),
    # SciPy returns y itself for 0 < |lmbda y| < 1e-154 (not expm1(y)).
    "inv_boxcox1p": (A(0.1, 1), A(-0.5, 1.5, min_magnitude=1e-100)),
    "radian": (A(-90, 90), A(0, 60), A(0, 60)),
    "zeta": (F(1.5, 4), A(0.5, 3)),
}
for _name, _specs in _OTHERS.items():
    _special_case(_name, *_specs, linear=_name == "radian")


def _reduction_gen(draw, k, cplx):
    shape = [(2, 3), (4,), (3, 2, 2), (1, 5)][k % 4]
    return [np.asarray(arr(draw, shape, -3, 3)), -1 if k % 2 else 0]


for _name in ("logsumexp", "softmax", "log_softmax"):
    case(f"special.{_name}",
         (lambda n: lambda xp, x, axis: _reduction(xp, n, x, axis))(_name), _reduction_gen)


def _reduction(xp, name, x, axis):
    if getattr(xp, "__name__", "") == "arraygrad":
        return getattr(xp.special, name)(x, axis=axis)
    if "torch" in getattr(xp, "__name__", ""):
        import torch
        return getattr(torch, name)(x, dim=axis)
    import jax
    return getattr(jax.nn if name != "logsumexp" else jax.scipy.special, name)(x, axis=axis)
