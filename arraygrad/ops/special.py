"""``arraygrad.special``: SciPy's special functions, differentiable, on every backend.

The names and signatures are SciPy's, for every function of SciPy's alternative-backend
list (``scipy.special._support_alternative_backends``), so that SciPy code run with
``SCIPY_ARRAY_API=1`` on arraygrad tensors finds them as ``xp.special.<name>`` and is
differentiated. ``ellipe`` joins them because ``ellipk``'s derivative needs it, and
``logsumexp``, ``softmax`` and ``log_softmax`` are written with arraygrad's own ops.

Each function below is a stub carrying SciPy's signature and a docstring; ``special``
turns it into an operation whose forward is the backend's own function of that name
(``scipy.special`` on NumPy, ``torch.special``, ``jax.scipy.special``,
``cupyx.scipy.special``, block-wise on Dask: see ``arraygrad/backends/special.py``), and
whose rules are given per parameter beside it:

* a rule ``rule(xp, g, <names>)`` as everywhere in ``ops`` (``result`` is the output).
  Rules call special functions as ``xp.special.<name>``, so under ``create_graph=True``
  they are recorded and higher derivatives need nothing more (``psi`` ->
  ``polygamma(1, .)`` -> ``polygamma(2, .)``);
* ``Integer(why)``: an integer argument (an order, a count). It is passed to the
  backend as given, never made floating, and has no derivative;
* ``NoDerivative(why)``: a floating argument whose derivative has no closed form or
  stable series here.

Asking for the gradient of an argument without a derivative raises
``NotImplementedError`` naming the function and the argument: never a silent zero.

Dtypes: floating arguments (Python numbers included) are brought to their common
floating dtype, integer ones to the backend's default float, and the result has that
dtype whatever the library computed in. Real arguments only, except where noted.
"""
from __future__ import annotations

import functools
import inspect
import math

import array_api_compat

from ..backends.special import INTEGER_POSITIONS
from ._define import defop, dispatches
from .._tensor import Tensor, asarray
from .creation import zeros_like
from .elementwise import abs, exp, isfinite, log
from .elementwise import sign as sign_of
from .manipulation import squeeze
from .searching import where
from .statistical import max, sum

__all__ = [
    "bdtr", "bdtrc", "bdtri", "betainc", "betaincc", "betaincinv", "betaln", "binom",
    "boxcox", "boxcox1p", "cbrt", "chdtr", "chdtrc", "chdtri", "cosdg", "cosm1", "cotdg",
    "ellipe", "ellipk", "ellipkm1", "entr", "erf", "erfc", "erfcx", "erfinv", "exp1",
    "exp10", "exp2", "expi", "expit", "expn", "exprel", "fdtr", "fdtrc", "fdtri", "gamma",
    "gammainc", "gammaincc", "gammainccinv", "gammaincinv", "gammaln", "gammasgn", "gdtr",
    "gdtrc", "huber", "hyp1f1", "i0", "i0e", "i1", "i1e", "inv_boxcox", "inv_boxcox1p",
    "j0", "j1", "k0", "k0e", "k1", "k1e", "kl_div", "log_ndtr", "log_softmax", "loggamma",
    "logit", "logsumexp", "lpmv", "multigammaln", "nbdtr", "nbdtrc", "nbdtri", "ndtr",
    "ndtri", "pdtr", "pdtrc", "pdtri", "poch", "polygamma", "pseudo_huber", "psi",
    "radian", "rel_entr", "rgamma", "sinc", "sindg", "softmax", "spence", "stdtr",
    "stdtrit", "tandg", "xlog1py", "xlogy", "y0", "y1", "yn", "zeta", "zetac",
]

_PY_NUMBERS = (int, float, complex, bool)
_SQRT_PI = math.sqrt(math.pi)
_SQRT_2PI = math.sqrt(2 * math.pi)
_DEGREE = math.pi / 180

# -- defining a function -----------------------------------------------------------

class Integer:
    """An integer argument: an order or a count, without a derivative."""

    def __init__(self, why: str):
        self.why = why


class NoDerivative:
    """A floating argument whose derivative arraygrad does not have."""

    def __init__(self, why: str):
        self.why = why


COUNT = Integer("an integer count")
ORDER = Integer("an integer order")


def _refusal(function: str, param: str, why: str):
    """The rule of an argument without a derivative: it raises, naming both."""
    def rule(xp, g):
        raise NotImplementedError(
            f"arraygrad.special.{function}: no derivative with respect to {param!r} "
            f"({why}); pass a value that does not require grad, or detach() it")
    rule.refuses = True  # not a gradient: the registry does not count it
    return rule


def special(zero_safe=False, name=None, node=None, **rules):
    """Make the stub below a special function: its signature is SciPy's, its forward
    the backend's function of the same name (or ``name``), and ``rules`` (per
    parameter: a rule, ``Integer`` or ``NoDerivative``) its gradients."""
    def decorate(stub):
        backend_name = name or stub.__name__
        sig = inspect.signature(stub)
        params = list(sig.parameters)
        integers = {p for p in params if isinstance(rules.get(p), Integer)}
        INTEGER_POSITIONS[backend_name] = tuple(i for i, p in enumerate(params) if p in integers)
        vjps = []
        for p in params:
            rule = rules.get(p)
            if rule is None:
                raise TypeError(f"special.{stub.__name__}: no rule for {p!r}")
            if isinstance(rule, (Integer, NoDerivative)):
                rule = _refusal(backend_name, p, rule.why)
            else:
                rule = _numbers_as_arrays(rule, integers)
            vjps.append(rule)

        def forward(xp, *args):
            return getattr(xp.special, backend_name)(*args)
        forward.__name__ = forward.__qualname__ = stub.__name__
        forward.__doc__ = stub.__doc__
        forward.__module__ = __name__
        forward.__wrapped__ = stub
        xp_param = inspect.Parameter("xp", inspect.Parameter.POSITIONAL_ONLY)
        forward.__signature__ = sig.replace(parameters=[xp_param, *sig.parameters.values()])
        return defop(*vjps, broadcasts="auto", zero_safe=zero_safe, node=node)(forward)
    return decorate


def _numbers_as_arrays(rule, integers):
    """``rule`` with the Python numbers it is given as floating arguments made arrays of
    the gradient's dtype, so that it may call ``xp.log`` on any of them (SciPy code
    passes numbers: ``chdtrc(3, x)``). Integer arguments stay numbers."""
    names = list(inspect.signature(rule).parameters)[2:]  # after (xp, g)
    numbers = tuple(i for i, n in enumerate(names) if n not in integers and n != "result")
    if not numbers:
        return rule

    @functools.wraps(rule)
    def with_arrays(xp, g, *args):
        args = list(args)
        for i in numbers:
            if args[i].__class__ in (int, float):
                args[i] = xp.asarray(args[i], dtype=g.dtype, device=array_api_compat.device(g))
        return rule(xp, g, *args)
    return with_arrays


def _count(xp, k, like):
    """The count ``k`` taken down to an integer, as an array of ``like``'s dtype (a
    count given as a Python number would otherwise be computed with in the backend's
    default float, float32 on torch)."""
    if k.__class__ in (int, float):
        return xp.asarray(math.floor(k), dtype=like.dtype, device=array_api_compat.device(like))
    return xp.floor(k) if xp.isdtype(k.dtype, "real floating") else xp.astype(k, like.dtype)


# -- error function and normal distribution --------------------------------------------

@special(x=lambda xp, g, x: g * xp.conj(2 / _SQRT_PI * xp.exp(-x * x)))
def erf(x, /):
    """The error function, 2/sqrt(pi) * integral of exp(-t**2) from 0 to x."""


@special(x=lambda xp, g, x: g * xp.conj(-2 / _SQRT_PI * xp.exp(-x * x)))
def erfc(x, /):
    """The complementary error function, 1 - erf(x)."""


@special(x=lambda xp, g, x, result: g * xp.conj(2 * x * result - 2 / _SQRT_PI))
def erfcx(x, /):
    """The scaled complementary error function, exp(x**2) * erfc(x)."""


@special(zero_safe=True, x=lambda xp, g, result: g * (_SQRT_PI / 2) * xp.exp(result * result))
def erfinv(x, /):
    """The inverse of erf."""


@special(x=lambda xp, g, x: g * xp.exp(-x * x / 2) / _SQRT_2PI)
def ndtr(x, /):
    """The standard normal distribution function."""


@special(zero_safe=True, x=lambda xp, g, result: g * _SQRT_2PI * xp.exp(result * result / 2))
def ndtri(x, /):
    """The inverse of ndtr."""


@special(x=lambda xp, g, x, result: g * xp.exp(-x * x / 2 - result) / _SQRT_2PI)
def log_ndtr(x, /):
    """The logarithm of ndtr, accurate far into the left tail."""


# -- logistic, entropies, losses -------------------------------------------------------

@special(x=lambda xp, g, result: g * xp.conj(result * (1 - result)))
def expit(x, /):
    """The logistic sigmoid, 1 / (1 + exp(-x))."""


@special(zero_safe=True, x=lambda xp, g, x: g / xp.conj(x * (1 - x)))
def logit(x, /):
    """The inverse of expit, log(x / (1 - x))."""


@special(zero_safe=True, x=lambda xp, g, x: -g * (xp.log(x) + 1))
def entr(x, /):
    """-x * log(x) for x > 0, 0 at 0, -inf below."""


def _log_or_zero_at_origin(xp, x, log_y):
    """d/dx of x * log(y): log(y), except at x = 0 with log(y) = -inf, where the function
    (0 there, -inf beside) has no derivative and the gradient is taken as 0, not -inf."""
    return xp.where((x == 0) & xp.isinf(log_y), xp.zeros_like(log_y), log_y)


@special(zero_safe=True,
         x=lambda xp, g, x, y: g * _log_or_zero_at_origin(xp, x, xp.log(y)),
         y=lambda xp, g, x, y: g * x / y)
def xlogy(x, y, /):
    """x * log(y), 0 where x is 0."""


@special(zero_safe=True,
         x=lambda xp, g, x, y: g * _log_or_zero_at_origin(xp, x, xp.log1p(y)),
         y=lambda xp, g, x, y: g * x / (1 + y))
def xlog1py(x, y, /):
    """x * log1p(y), 0 where x is 0."""


@special(zero_safe=True,
         x=lambda xp, g, x, y: g * (xp.log(x / y) + 1),
         y=lambda xp, g, x, y: -g * x / y)
def rel_entr(x, y, /):
    """x * log(x / y) for x, y > 0; 0 where x is 0 and y >= 0; inf elsewhere."""


@special(zero_safe=True,
         x=lambda xp, g, x, y: g * xp.log(x / y),
         y=lambda xp, g, x, y: g * (1 - x / y))
def kl_div(x, y, /):
    """x * log(x / y) - x + y for x, y > 0; y where x is 0 and y >= 0; inf elsewhere."""


def _huber_r(xp, g, delta, r):
    inside = xp.abs(r) <= delta
    return g * xp.where(inside, r, delta * xp.sign(r))


def _huber_delta(xp, g, delta, r):
    inside = xp.abs(r) <= delta
    return g * xp.where(inside, xp.zeros_like(r), xp.abs(r) - delta)


@special(delta=_huber_delta, r=_huber_r)
def huber(delta, r, /):
    """r**2 / 2 where |r| <= delta, else delta * (|r| - delta / 2); inf for delta < 0."""


def _pseudo_huber_root(xp, delta, r):
    return xp.sqrt(1 + (r / delta) ** 2)


@special(delta=lambda xp, g, delta, r: g * (
             2 * delta * (_pseudo_huber_root(xp, delta, r) - 1)
             - r * r / (delta * _pseudo_huber_root(xp, delta, r))),
         r=lambda xp, g, delta, r: g * r / _pseudo_huber_root(xp, delta, r))
def pseudo_huber(delta, r, /):
    """delta**2 * (sqrt(1 + (r / delta)**2) - 1)."""


# -- gamma and beta functions ---------------------------------------------------------

@special(x=lambda xp, g, x, result: g * xp.conj(result * xp.special.psi(x)))
def gamma(x, /):
    """The gamma function."""


@special(x=lambda xp, g, x: g * xp.special.psi(x))
def gammaln(x, /):
    """The logarithm of the absolute value of the gamma function."""


@special(x=lambda xp, g, x: g * xp.conj(xp.special.psi(x)))
def loggamma(x, /):
    """The principal branch of the logarithm of the gamma function."""


@special(x=lambda xp, g, x, result: -g * xp.conj(result * xp.special.psi(x)))
def rgamma(x, /):
    """1 / gamma(x)."""


@special(x=lambda xp, g: xp.zeros_like(g))
def gammasgn(x, /):
    """The sign of the gamma function (piecewise constant: its derivative is 0)."""


@special(x=lambda xp, g, x: g * xp.conj(xp.special.polygamma(1, x)))
def psi(x, /):
    """The digamma function, the derivative of gammaln."""


@special(n=ORDER, x=lambda xp, g, n, x: g * xp.special.polygamma(n + 1, x))
def polygamma(n, x, /):
    """The n-th derivative of the digamma function."""


def _multigammaln_a(xp, g, a, d):
    grad = xp.special.psi(a)
    for j in range(1, d):
        grad = grad + xp.special.psi(a - j / 2)
    return g * grad


@special(a=_multigammaln_a, d=Integer("the integer dimension"))
def multigammaln(a, d, /):
    """The logarithm of the multivariate gamma function of dimension d."""


@special(a=lambda xp, g, a, b: g * (xp.special.psi(a) - xp.special.psi(a + b)),
         b=lambda xp, g, a, b: g * (xp.special.psi(b) - xp.special.psi(a + b)))
def betaln(a, b, /):
    """The logarithm of the absolute value of the beta function."""


@special(z=lambda xp, g, z, m, result: g * result * (xp.special.psi(z + m) - xp.special.psi(z)),
         m=lambda xp, g, z, m, result: g * result * xp.special.psi(z + m))
def poch(z, m, /):
    """The Pochhammer symbol, gamma(z + m) / gamma(z)."""


@special(n=lambda xp, g, n, k, result: g * result * (
             xp.special.psi(n + 1) - xp.special.psi(n - k + 1)),
         k=lambda xp, g, n, k, result: g * result * (
             xp.special.psi(n - k + 1) - xp.special.psi(k + 1)))
def binom(n, k, /):
    """The binomial coefficient as a function of two real variables."""


# -- incomplete gamma function and its distributions ----------------------------------

# How many terms the series of a shape derivative sums (gammainc's and betainc's), and
# how many at once (one array of BLOCK times the inputs' size).
SERIES_TERMS = {"gammainc": 256, "betainc": 512}
SERIES_BLOCK = 64


def _series(xp, like, terms, term):
    """The sums over n = 0 .. terms - 1 of t_n * s_n for each slope s_n, where
    ``term(n)`` returns (t_n, s_n, ...) in closed form for a block of n (on a new
    leading axis, broadcast against ``like``): a few array operations per block rather
    than a recurrence per term, which keeps a Dask graph or a create_graph tape small.
    The t_n must be non-negative and eventually decreasing; where the last is still
    significant next to their sum, the sums are NaN: never a truncated number. On an
    eager backend the sum stops at the first block whose last terms are all negligible
    (most arguments need one block); a lazy one (Dask, JAX) sums every block, since
    looking would compute."""
    offsets_shape = (SERIES_BLOCK,) + (1,) * len(tuple(like.shape))
    device = array_api_compat.device(like)
    eager = not array_api_compat.is_lazy_array(like._data if isinstance(like, Tensor) else like)
    sums = None
    for start in range(0, terms, SERIES_BLOCK):
        n = xp.reshape(xp.arange(start, start + SERIES_BLOCK, dtype=like.dtype, device=device),
                       offsets_shape)
        t, *slopes = term(n)
        block = [xp.sum(t, axis=0)] + [xp.sum(t * slope, axis=0) for slope in slopes]
        sums = block if sums is None else [u + v for u, v in zip(sums, block)]
        unconverged = t[-1, ...] > 1e-15 * sums[0]
        if eager and not xp.any(unconverged):
            break
    nan = xp.full_like(sums[0], math.nan)
    return [xp.where(unconverged, nan, weighted) for weighted in sums[1:]]


def _gammainc_dx(xp, a, x):
    """d/dx gammainc(a, x): the gamma density, x**(a-1) exp(-x) / gamma(a)."""
    return xp.exp(xp.special.xlogy(a - 1, x) - x - xp.special.gammaln(a))


def _gammainc_da(xp, a, x):
    """d/da gammainc(a, x), from the series gammainc(a, x) = sum over n >= 0 of
    t_n = x**(a+n) exp(-x) / gamma(a+n+1), differentiated term by term:
    d t_n / da = t_n (log x - psi(a+n+1)).

    The t_n are Poisson-like weights in a + n (each at most 1, so nothing overflows),
    peaked at n = x - a with width sqrt(x): the sum starts 8 widths below the peak,
    and its 256 terms hold the weights for x up to about 240 whatever a is (NaN
    beyond). (JAX differentiates gammainc in its shape; PyTorch does not.)"""
    log_x = xp.log(x)
    first = xp.floor(xp.maximum(x - a - 8 * xp.sqrt(x) - 5, xp.zeros_like(x)))

    def term(n):
        shape = a + first + n
        return (xp.exp(shape * log_x - x - xp.special.gammaln(shape + 1)),
                log_x - xp.special.psi(shape + 1))
    (grad,) = _series(xp, first, SERIES_TERMS["gammainc"], term)
    return xp.where(x == 0, xp.zeros_like(grad), grad)


@special(zero_safe=True,
         a=lambda xp, g, a, x: g * _gammainc_da(xp, a, x),
         x=lambda xp, g, a, x: g * _gammainc_dx(xp, a, x))
def gammainc(a, x, /):
    """The regularized lower incomplete gamma function P(a, x)."""


@special(zero_safe=True,
         a=lambda xp, g, a, x: -g * _gammainc_da(xp, a, x),
         x=lambda xp, g, a, x: -g * _gammainc_dx(xp, a, x))
def gammaincc(a, x, /):
    """The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x)."""


@special(zero_safe=True,
         a=lambda xp, g, a, result: -g * _gammainc_da(xp, a, result) / _gammainc_dx(xp, a, result),
         y=lambda xp, g, a, result: g / _gammainc_dx(xp, a, result))
def gammaincinv(a, y, /):
    """The inverse of gammainc in x."""


@special(zero_safe=True,
         a=lambda xp, g, a, result: -g * _gammainc_da(xp, a, result) / _gammainc_dx(xp, a, result),
         y=lambda xp, g, a, result: -g / _gammainc_dx(xp, a, result))
def gammainccinv(a, y, /):
    """The inverse of gammaincc in x."""


@special(zero_safe=True,
         v=lambda xp, g, v, x: g * _gammainc_da(xp, v / 2, x / 2) / 2,
         x=lambda xp, g, v, x: g * _gammainc_dx(xp, v / 2, x / 2) / 2)
def chdtr(v, x, /):
    """The chi-square distribution function, gammainc(v / 2, x / 2)."""


@special(zero_safe=True,
         v=lambda xp, g, v, x: -g * _gammainc_da(xp, v / 2, x / 2) / 2,
         x=lambda xp, g, v, x: -g * _gammainc_dx(xp, v / 2, x / 2) / 2)
def chdtrc(v, x, /):
    """The chi-square survival function, gammaincc(v / 2, x / 2)."""


@special(zero_safe=True,
         v=lambda xp, g, v, result: -g * _gammainc_da(xp, v / 2, result / 2)
         / _gammainc_dx(xp, v / 2, result / 2),
         p=lambda xp, g, v, result: -2 * g / _gammainc_dx(xp, v / 2, result / 2))
def chdtri(v, p, /):
    """The inverse of chdtrc in x."""


@special(zero_safe=True,
         a=lambda xp, g, a, b, x: g * x * _gammainc_dx(xp, b, a * x),
         b=lambda xp, g, a, b, x: g * _gammainc_da(xp, b, a * x),
         x=lambda xp, g, a, b, x: g * a * _gammainc_dx(xp, b, a * x))
def gdtr(a, b, x, /):
    """The gamma distribution function (rate a, shape b), gammainc(b, a * x)."""


@special(zero_safe=True,
         a=lambda xp, g, a, b, x: -g * x * _gammainc_dx(xp, b, a * x),
         b=lambda xp, g, a, b, x: -g * _gammainc_da(xp, b, a * x),
         x=lambda xp, g, a, b, x: -g * a * _gammainc_dx(xp, b, a * x))
def gdtrc(a, b, x, /):
    """The gamma survival function (rate a, shape b), gammaincc(b, a * x)."""


def _poisson_dm(xp, k, m):
    """d/dm pdtr(k, m) = -m**k exp(-m) / k!, with k taken down to an integer."""
    k = _count(xp, k, m)
    return -xp.exp(xp.special.xlogy(k, m) - m - xp.special.gammaln(k + 1))


@special(zero_safe=True, k=COUNT, m=lambda xp, g, k, m: g * _poisson_dm(xp, k, m))
def pdtr(k, m, /):
    """The Poisson distribution function, P(X <= floor(k)) for X ~ Poisson(m)."""


@special(zero_safe=True, k=COUNT, m=lambda xp, g, k, m: -g * _poisson_dm(xp, k, m))
def pdtrc(k, m, /):
    """The Poisson survival function, P(X > floor(k)) for X ~ Poisson(m)."""


@special(zero_safe=True, k=COUNT, y=lambda xp, g, k, result: g / _poisson_dm(xp, k, result))
def pdtri(k, y, /):
    """The inverse of pdtr in m."""


# -- incomplete beta function and its distributions -----------------------------------

def _betainc_dx(xp, a, b, x):
    """d/dx betainc(a, b, x): the beta density, x**(a-1) (1-x)**(b-1) / B(a, b)."""
    return xp.exp(xp.special.xlogy(a - 1, x) + xp.special.xlog1py(b - 1, -x)
                  - xp.special.betaln(a, b))


def _betainc_dab(xp, a, b, x):
    """(d/da, d/db) betainc(a, b, x), from the series betainc(a, b, x) = sum over
    n >= 0 of t_n = x**(a+n) (1-x)**b gamma(a+b+n) / (gamma(b) gamma(a+1+n))
    (x**a (1-x)**b 2F1(a+b, 1; a+1; x) / (a B(a, b))), differentiated term by term:
    d log t_n / da = log x + psi(a+b+n) - psi(a+1+n),
    d log t_n / db = log(1-x) + psi(a+b+n) - psi(b).

    Beyond x = (a+1) / (a+b+2) it uses betainc(a, b, x) = 1 - betainc(b, a, 1-x), so
    the terms' ratio x (a+b+n) / (a+1+n) is below 1 from the first term on; the 512
    terms converge for a + b up to a few hundred (NaN beyond). Neither PyTorch nor JAX
    differentiates betainc in its shapes."""
    swap = x > (a + 1) / (a + b + 2)
    a1, b1, x1 = xp.where(swap, b, a), xp.where(swap, a, b), xp.where(swap, 1 - x, x)
    log_x, log_1mx = xp.log(x1), xp.log1p(-x1)
    base = a1 * log_x + b1 * log_1mx - xp.special.gammaln(b1)
    psi_b = xp.special.psi(b1)

    def term(n):
        psi_ab = xp.special.psi(a1 + b1 + n)
        return (xp.exp(base + n * log_x + xp.special.gammaln(a1 + b1 + n)
                       - xp.special.gammaln(a1 + 1 + n)),
                log_x + psi_ab - xp.special.psi(a1 + 1 + n),
                log_1mx + psi_ab - psi_b)
    da1, db1 = _series(xp, base, SERIES_TERMS["betainc"], term)
    edge = (x == 0) | (x == 1)  # betainc is 0 or 1 there, whatever a and b
    zero = xp.zeros_like(da1)
    return (xp.where(edge, zero, xp.where(swap, -db1, da1)),
            xp.where(edge, zero, xp.where(swap, -da1, db1)))


def _betainc_da(xp, a, b, x):
    return _betainc_dab(xp, a, b, x)[0]


def _betainc_db(xp, a, b, x):
    return _betainc_dab(xp, a, b, x)[1]


@special(zero_safe=True,
         a=lambda xp, g, a, b, x: g * _betainc_da(xp, a, b, x),
         b=lambda xp, g, a, b, x: g * _betainc_db(xp, a, b, x),
         x=lambda xp, g, a, b, x: g * _betainc_dx(xp, a, b, x))
def betainc(a, b, x, /):
    """The regularized incomplete beta function I_x(a, b)."""


@special(zero_safe=True,
         a=lambda xp, g, a, b, x: -g * _betainc_da(xp, a, b, x),
         b=lambda xp, g, a, b, x: -g * _betainc_db(xp, a, b, x),
         x=lambda xp, g, a, b, x: -g * _betainc_dx(xp, a, b, x))
def betaincc(a, b, x, /):
    """1 - betainc(a, b, x)."""


@special(zero_safe=True,
         a=lambda xp, g, a, b, result: -g * _betainc_da(xp, a, b, result)
         / _betainc_dx(xp, a, b, result),
         b=lambda xp, g, a, b, result: -g * _betainc_db(xp, a, b, result)
         / _betainc_dx(xp, a, b, result),
         y=lambda xp, g, a, b, result: g / _betainc_dx(xp, a, b, result))
def betaincinv(a, b, y, /):
    """The inverse of betainc in x."""


def _binomial_dp(xp, k, n, p):
    """d/dp bdtr(k, n, p) = -(n - k) C(n, k) p**k (1-p)**(n-k-1), k taken down to an
    integer (bdtr is I_{1-p}(n - k, k + 1))."""
    k, n = _count(xp, k, p), _count(xp, n, p)
    return -_betainc_dx(xp, n - k, k + 1, 1 - p)


@special(zero_safe=True, k=COUNT, n=COUNT, p=lambda xp, g, k, n, p: g * _binomial_dp(xp, k, n, p))
def bdtr(k, n, p, /):
    """The binomial distribution function, P(X <= floor(k)) for X ~ Bin(n, p)."""


@special(zero_safe=True, k=COUNT, n=COUNT, p=lambda xp, g, k, n, p: -g * _binomial_dp(xp, k, n, p))
def bdtrc(k, n, p, /):
    """The binomial survival function, P(X > floor(k)) for X ~ Bin(n, p)."""


@special(zero_safe=True, k=COUNT, n=COUNT,
         y=lambda xp, g, k, n, result: g / _binomial_dp(xp, k, n, result))
def bdtri(k, n, y, /):
    """The inverse of bdtr in p."""


def _negative_binomial_dp(xp, k, n, p):
    """d/dp nbdtr(k, n, p), which is I_p(n, k + 1)."""
    k, n = _count(xp, k, p), _count(xp, n, p)
    return _betainc_dx(xp, n, k + 1, p)


@special(zero_safe=True, k=COUNT, n=COUNT,
         p=lambda xp, g, k, n, p: g * _negative_binomial_dp(xp, k, n, p))
def nbdtr(k, n, p, /):
    """The negative binomial distribution function."""


@special(zero_safe=True, k=COUNT, n=COUNT,
         p=lambda xp, g, k, n, p: -g * _negative_binomial_dp(xp, k, n, p))
def nbdtrc(k, n, p, /):
    """The negative binomial survival function."""


@special(zero_safe=True, k=COUNT, n=COUNT,
         y=lambda xp, g, k, n, result: g / _negative_binomial_dp(xp, k, n, result))
def nbdtri(k, n, y, /):
    """The inverse of nbdtr in p."""


def _f_parts(xp, dfn, dfd, x):
    """fdtr(dfn, dfd, x) is betainc(dfn/2, dfd/2, u) with u = dfn x / (dfd + dfn x):
    u and its derivatives in x, dfn and dfd."""
    denominator = dfd + dfn * x
    u = dfn * x / denominator
    squared = denominator * denominator
    return u, dfn * dfd / squared, x * dfd / squared, -dfn * x / squared


def _fdtr_dx(xp, dfn, dfd, x):
    u, du_dx, _, _ = _f_parts(xp, dfn, dfd, x)
    return _betainc_dx(xp, dfn / 2, dfd / 2, u) * du_dx


def _fdtr_ddfn(xp, dfn, dfd, x):
    u, _, du_ddfn, _ = _f_parts(xp, dfn, dfd, x)
    return (_betainc_da(xp, dfn / 2, dfd / 2, u) / 2
            + _betainc_dx(xp, dfn / 2, dfd / 2, u) * du_ddfn)


def _fdtr_ddfd(xp, dfn, dfd, x):
    u, _, _, du_ddfd = _f_parts(xp, dfn, dfd, x)
    return (_betainc_db(xp, dfn / 2, dfd / 2, u) / 2
            + _betainc_dx(xp, dfn / 2, dfd / 2, u) * du_ddfd)


@special(zero_safe=True,
         dfn=lambda xp, g, dfn, dfd, x: g * _fdtr_ddfn(xp, dfn, dfd, x),
         dfd=lambda xp, g, dfn, dfd, x: g * _fdtr_ddfd(xp, dfn, dfd, x),
         x=lambda xp, g, dfn, dfd, x: g * _fdtr_dx(xp, dfn, dfd, x))
def fdtr(dfn, dfd, x, /):
    """The F distribution function."""


@special(zero_safe=True,
         dfn=lambda xp, g, dfn, dfd, x: -g * _fdtr_ddfn(xp, dfn, dfd, x),
         dfd=lambda xp, g, dfn, dfd, x: -g * _fdtr_ddfd(xp, dfn, dfd, x),
         x=lambda xp, g, dfn, dfd, x: -g * _fdtr_dx(xp, dfn, dfd, x))
def fdtrc(dfn, dfd, x, /):
    """The F survival function."""


@special(zero_safe=True,
         dfn=lambda xp, g, dfn, dfd, result: -g * _fdtr_ddfn(xp, dfn, dfd, result)
         / _fdtr_dx(xp, dfn, dfd, result),
         dfd=lambda xp, g, dfn, dfd, result: -g * _fdtr_ddfd(xp, dfn, dfd, result)
         / _fdtr_dx(xp, dfn, dfd, result),
         p=lambda xp, g, dfn, dfd, result: g / _fdtr_dx(xp, dfn, dfd, result))
def fdtri(dfn, dfd, p, /):
    """The inverse of fdtr in x."""


def _t_density(xp, df, t):
    """Student's t density with df degrees of freedom."""
    return xp.exp(xp.special.gammaln((df + 1) / 2) - xp.special.gammaln(df / 2)
                  - xp.log(df * math.pi) / 2 - (df + 1) / 2 * xp.log1p(t * t / df))


def _stdtr_ddf(xp, df, t):
    """d/ddf stdtr(df, t), from stdtr = 1/2 + sign(t) (1 - betainc(df/2, 1/2, z)) / 2
    with z = df / (df + t**2). Near t = 0, z rounds toward 1: the closed form loses its
    digits (30% off at t = 1e-6, df = 40) and then gives -inf or NaN (once t**2 vanishes
    beside df); there its Taylor term takes its place, t times the df-derivative of the
    density at 0 (relative error about t**2 / 2)."""
    def closed(t):
        t2 = t * t
        z = df / (df + t2)
        dz_ddf = t2 / ((df + t2) * (df + t2))
        half = xp.full_like(z, 0.5)
        dI = (_betainc_da(xp, df / 2, half, z) / 2
              + _betainc_dx(xp, df / 2, half, z) * dz_ddf)
        return -xp.sign(t) * dI / 2

    def series(t):
        return t * _t_density(xp, df, xp.zeros_like(t)) * (
            xp.special.psi((df + 1) / 2) - xp.special.psi(df / 2) - 1 / df) / 2
    return _near_zero(xp, t, series, closed, radius=1e-3)


@special(df=lambda xp, g, df, t: g * _stdtr_ddf(xp, df, t),
         t=lambda xp, g, df, t: g * _t_density(xp, df, t))
def stdtr(df, t, /):
    """Student's t distribution function."""


@special(zero_safe=True,
         df=lambda xp, g, df, result: -g * _stdtr_ddf(xp, df, result) / _t_density(xp, df, result),
         p=lambda xp, g, df, result: g / _t_density(xp, df, result))
def stdtrit(df, p, /):
    """The inverse of stdtr in t."""


# -- Bessel functions -------------------------------------------------------------------

def _near_zero(xp, x, series, closed, radius=1e-4):
    """``closed(x)``, a form that divides by x, with its Taylor ``series(x)`` in its place
    for |x| < ``radius``. Near 0 the closed form loses digits (relative error about
    eps / |x|), and differentiated again it overflows (1 / x**2 at x = 1e-200); the
    series truncated at x**2 is exact to about 1e-12 there. The closed form is evaluated
    at a safe point where the series is taken, so its derivative is not NaN either: a NaN
    in the branch ``where`` does not take would still reach the gradient as 0 * NaN."""
    near = xp.abs(x) < radius
    safe = xp.where(near, xp.full_like(x, radius), x)
    return xp.where(near, series(x), closed(safe))


@special(x=lambda xp, g, x: g * xp.special.i1(x))
def i0(x, /):
    """The modified Bessel function of the first kind of order 0."""


@special(x=lambda xp, g, x, result: g * (xp.special.i1e(x) - xp.sign(x) * result))
def i0e(x, /):
    """exp(-|x|) * i0(x)."""


@special(x=lambda xp, g, x: g * _near_zero(
    xp, x, lambda x: 0.5 + 3 * x * x / 16, lambda s: xp.special.i0(s) - xp.special.i1(s) / s))
def i1(x, /):
    """The modified Bessel function of the first kind of order 1."""


@special(x=lambda xp, g, x: g * _near_zero(
    xp, x, lambda x: 0.5 - xp.abs(x) + 15 * x * x / 16,
    lambda s: xp.special.i0e(s) - xp.special.i1e(s) * (1 / s + xp.sign(s))))
def i1e(x, /):
    """exp(-|x|) * i1(x)."""


@special(x=lambda xp, g, x: -g * xp.special.j1(x))
def j0(x, /):
    """The Bessel function of the first kind of order 0."""


@special(x=lambda xp, g, x: g * _near_zero(
    xp, x, lambda x: 0.5 - 3 * x * x / 16, lambda s: xp.special.j0(s) - xp.special.j1(s) / s))
def j1(x, /):
    """The Bessel function of the first kind of order 1."""


@special(x=lambda xp, g, x: -g * xp.special.y1(x))
def y0(x, /):
    """The Bessel function of the second kind of order 0."""


@special(x=lambda xp, g, x, result: g * (xp.special.y0(x) - result / x))
def y1(x, /):
    """The Bessel function of the second kind of order 1."""


@special(n=ORDER,
         x=lambda xp, g, n, x: g * (xp.special.yn(n - 1, x) - xp.special.yn(n + 1, x)) / 2)
def yn(n, x, /):
    """The Bessel function of the second kind of integer order n."""


@special(x=lambda xp, g, x: -g * xp.special.k1(x))
def k0(x, /):
    """The modified Bessel function of the second kind of order 0."""


@special(x=lambda xp, g, x, result: g * (result - xp.special.k1e(x)))
def k0e(x, /):
    """exp(x) * k0(x)."""


@special(x=lambda xp, g, x, result: -g * (xp.special.k0(x) + result / x))
def k1(x, /):
    """The modified Bessel function of the second kind of order 1."""


@special(x=lambda xp, g, x, result: g * (result - xp.special.k0e(x) - result / x))
def k1e(x, /):
    """exp(x) * k1(x)."""


# -- exponential integrals, zeta, and the rest -----------------------------------------

@special(x=lambda xp, g, x: -g * xp.conj(xp.exp(-x) / x))
def exp1(x, /):
    """The exponential integral E1(x)."""


@special(x=lambda xp, g, x: g * xp.conj(xp.exp(x) / x))
def expi(x, /):
    """The exponential integral Ei(x)."""


def _expn_x(xp, g, n, x):
    """d/dx E_n(x) = -E_{n-1}(x), with E_{-1}(x) = exp(-x) (x + 1) / x**2."""
    below_zeroth = xp.exp(-x) * (x + 1) / (x * x)
    if n.__class__ is int:
        return -g * (below_zeroth if n == 0 else xp.special.expn(n - 1, x))
    lower = xp.special.expn(xp.where(n == 0, xp.ones_like(n), n - 1), x)
    return -g * xp.where(n == 0, below_zeroth, lower)


@special(n=ORDER, x=_expn_x)
def expn(n, x, /):
    """The generalized exponential integral E_n(x)."""


def _exprel_slope(xp, x, result):
    """d/dx (exp(x) - 1) / x = (exp(x) - exprel(x)) / x, by its Taylor series near 0
    where that difference cancels (there x is moved off 0 first, so that no branch
    divides by 0, this one's derivative included)."""
    small = xp.abs(x) < 1e-3
    safe = xp.where(small, xp.ones_like(x), x)
    series = 0.5 + x / 3 + x * x / 8 + x * x * x / 30
    return xp.where(small, series, (xp.exp(safe) - result) / safe)


@special(x=lambda xp, g, x, result: g * _exprel_slope(xp, x, result))
def exprel(x, /):
    """(exp(x) - 1) / x, 1 at 0."""


@special(x=lambda xp, g, result: g * math.log(10) * result)
def exp10(x, /):
    """10**x."""


@special(x=lambda xp, g, result: g * math.log(2) * result)
def exp2(x, /):
    """2**x."""


@special(zero_safe=True, x=lambda xp, g, result: g / (3 * result * result))
def cbrt(x, /):
    """The real cube root."""


@special(x=lambda xp, g, x: -g * xp.sin(x))
def cosm1(x, /):
    """cos(x) - 1, accurate near 0."""


@special(x=lambda xp, g, x: -g * _DEGREE * xp.special.sindg(x))
def cosdg(x, /):
    """The cosine of x degrees."""


@special(x=lambda xp, g, x: g * _DEGREE * xp.special.cosdg(x))
def sindg(x, /):
    """The sine of x degrees."""


@special(x=lambda xp, g, result: g * _DEGREE * (1 + result * result))
def tandg(x, /):
    """The tangent of x degrees."""


@special(x=lambda xp, g, result: -g * _DEGREE * (1 + result * result))
def cotdg(x, /):
    """The cotangent of x degrees."""


@special(d=lambda xp, g: g * _DEGREE, m=lambda xp, g: g * (_DEGREE / 60),
         s=lambda xp, g: g * (_DEGREE / 3600))
def radian(d, m, s, /):
    """The angle d degrees, m minutes and s seconds, in radians."""


def _sinc_slope(xp, x):
    """d/dx sin(pi x) / (pi x) = (cos(pi x) - sinc(x)) / x, by its Taylor series near 0
    where that difference cancels."""
    small = xp.abs(x) < 1e-3
    safe = xp.where(small, xp.ones_like(x), x)
    c = math.pi ** 2
    series = -c * x / 3 + c * c * x * x * x / 30
    return xp.where(small, series, (xp.cos(math.pi * safe) - xp.special.sinc(safe)) / safe)


@special(x=lambda xp, g, x: g * _sinc_slope(xp, x))
def sinc(x, /):
    """The normalized sinc function, sin(pi x) / (pi x), 1 at 0."""


@special(zero_safe=True, z=lambda xp, g, z: g * xp.conj(_near_zero(
    xp, 1 - z, lambda u: -1 - u / 2 - u * u / 3, lambda u: xp.log1p(-u) / u)))
def spence(z, /):
    """Spence's function (the dilogarithm), integral of log(t) / (1 - t) from 1 to z."""


def _dK_dm(xp, m):
    """K'(m) = (E - (1 - m) K) / (2 m (1 - m)); near m = 0 the series of K,
    pi/2 (1 + m/4 + 9 m**2/64 + 25 m**3/256 + ...), differentiated."""
    return _near_zero(
        xp, m, lambda m: math.pi / 2 * (0.25 + 9 * m / 32 + 75 * m * m / 256),
        lambda s: (xp.special.ellipe(s) - (1 - s) * xp.special.ellipk(s)) / (2 * s * (1 - s)))


@special(zero_safe=True, m=lambda xp, g, m: g * _dK_dm(xp, m))
def ellipk(m, /):
    """The complete elliptic integral of the first kind, K(m)."""


@special(zero_safe=True, p=lambda xp, g, p: -g * _dK_dm(xp, 1 - p))
def ellipkm1(p, /):
    """K(1 - p), accurate near p = 0."""


@special(zero_safe=True, m=lambda xp, g, m: g * _near_zero(
    xp, m, lambda m: -math.pi / 2 * (0.25 + 3 * m / 32 + 15 * m * m / 256),
    lambda s: (xp.special.ellipe(s) - xp.special.ellipk(s)) / (2 * s)))
def ellipe(m, /):
    """The complete elliptic integral of the second kind, E(m)."""


@special(a=NoDerivative("no closed form for a parameter of the confluent hypergeometric "
                        "function"),
         b=NoDerivative("no closed form for a parameter of the confluent hypergeometric "
                        "function"),
         x=lambda xp, g, a, b, x: g * a / b * xp.special.hyp1f1(a + 1, b + 1, x))
def hyp1f1(a, b, x, /):
    """The confluent hypergeometric function 1F1(a; b; x)."""


_NO_DEGREE_DERIVATIVE = NoDerivative("no closed form for the degree")


@special(zero_safe=True, m=ORDER, v=_NO_DEGREE_DERIVATIVE,
         x=lambda xp, g, m, v, x, result: g * (
             (v + m) * xp.special.lpmv(m, v - 1, x) - v * x * result) / (1 - x * x))
def lpmv(m, v, x, /):
    """The associated Legendre function of integer order m and real degree v."""


def _boxcox_lambda(xp, log_x, lmbda):
    """d/dlmbda (x**lmbda - 1) / lmbda = log(x)**2 f(u) / u**2 with u = lmbda log(x) and
    f(u) = u exp(u) - expm1(u); by f's Taylor series near u = 0, where it cancels."""
    u = lmbda * log_x
    small = xp.abs(u) < 1e-3
    safe = xp.where(small, xp.ones_like(u), u)
    series = 0.5 + u / 3 + u * u / 8 + u * u * u / 30
    exact = (safe * xp.exp(safe) - xp.expm1(safe)) / (safe * safe)
    return log_x * log_x * xp.where(small, series, exact)


@special(zero_safe=True,
         x=lambda xp, g, x, lmbda: g * x ** (lmbda - 1),
         lmbda=lambda xp, g, x, lmbda: g * _boxcox_lambda(xp, xp.log(x), lmbda))
def boxcox(x, lmbda, /):
    """The Box-Cox transformation, (x**lmbda - 1) / lmbda, log(x) for lmbda = 0."""


@special(zero_safe=True,
         x=lambda xp, g, x, lmbda: g * (1 + x) ** (lmbda - 1),
         lmbda=lambda xp, g, x, lmbda: g * _boxcox_lambda(xp, xp.log1p(x), lmbda))
def boxcox1p(x, lmbda, /):
    """The Box-Cox transformation of 1 + x."""


def _inv_boxcox_lambda(xp, y, lmbda, x):
    """d/dlmbda x for x = (1 + lmbda y)**(1/lmbda): x y**2 h(v) / v**2 with v = lmbda y
    and h(v) = v / (1 + v) - log1p(v); by h's Taylor series near v = 0."""
    v = lmbda * y
    small = xp.abs(v) < 1e-3
    safe = xp.where(small, xp.ones_like(v), v)
    series = -0.5 + 2 * v / 3 - 3 * v * v / 4 + 4 * v * v * v / 5
    exact = (safe / (1 + safe) - xp.log1p(safe)) / (safe * safe)
    return x * y * y * xp.where(small, series, exact)


@special(zero_safe=True,
         y=lambda xp, g, y, lmbda, result: g * result / (1 + lmbda * y),
         lmbda=lambda xp, g, y, lmbda, result: g * _inv_boxcox_lambda(xp, y, lmbda, result))
def inv_boxcox(y, lmbda, /):
    """The inverse of boxcox in x."""


@special(zero_safe=True,
         y=lambda xp, g, y, lmbda, result: g * (result + 1) / (1 + lmbda * y),
         lmbda=lambda xp, g, y, lmbda, result: g * _inv_boxcox_lambda(xp, y, lmbda, result + 1))
def inv_boxcox1p(y, lmbda, /):
    """The inverse of boxcox1p in x."""


_NO_ZETA_X = NoDerivative("no closed form for the exponent of the zeta function")


@special(name="zeta", node="ZetaBackward0", x=_NO_ZETA_X, q=lambda xp, g, x, q: -g * x * xp.special.zeta(x + 1, q))
def _hurwitz_zeta(x, q, /):
    """The Hurwitz zeta function."""


@special(x=_NO_ZETA_X)
def zetac(x, /):
    """The Riemann zeta function minus 1."""


@dispatches(_hurwitz_zeta, zetac)
def zeta(x, q=None):
    """The Riemann zeta function of x, or with ``q`` the Hurwitz zeta function,
    sum of (k + q)**-x over k >= 0."""
    if q is None:
        return zetac(x) + 1
    return _hurwitz_zeta(x, q)


# -- reductions, written with arraygrad's own ops ----------------------------------------

# The operations of logsumexp (besides sum, squeeze and sign, which declare their own).
_LOGSUMEXP = (max, where, isfinite, exp, log, abs)


@dispatches(*_LOGSUMEXP)
def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
    """log(sum(b * exp(a))) over ``axis`` (all axes by default), without overflow;
    with ``return_sign``, the log of the sum's absolute value and the sum's sign
    (SciPy's signature)."""
    a = asarray(a)
    axes = tuple(range(a.ndim)) if axis is None else axis
    axes = axes if isinstance(axes, tuple) else (axes,)
    if a.ndim == 0 or not axes:
        shift = zeros_like(a)
    else:  # the largest term is exp(0): a constant shift, not differentiated
        shift = max(a, axis=axes, keepdims=True).detach()
        shift = where(isfinite(shift), shift, zeros_like(shift))
    terms = exp(a - shift)
    if b is not None:
        terms = terms * b
    total = sum(terms, axis=axes, keepdims=True) if a.ndim else terms
    sign = sign_of(total) if return_sign else None
    out = log(abs(total) if return_sign else total) + shift
    if not keepdims and a.ndim and axes:
        out = squeeze(out, axis=axes)
        sign = None if sign is None else squeeze(sign, axis=axes)
    return (out, sign) if return_sign else out


@dispatches(exp, *_LOGSUMEXP)
def softmax(x, axis=None):
    """exp(x) / sum(exp(x)) over ``axis`` (all axes by default)."""
    return exp(log_softmax(x, axis=axis))


@dispatches(*_LOGSUMEXP)
def log_softmax(x, axis=None):
    """x - logsumexp(x) over ``axis`` (all axes by default)."""
    return x - logsumexp(x, axis=axis, keepdims=True)
