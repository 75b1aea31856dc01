"""Element-wise functions of the standard, with their vector-Jacobian products.

Complex inputs follow PyTorch's convention: the gradient is the conjugate Wirtinger
derivative, so for a holomorphic ``f`` the rule is ``g * conj(f'(z))`` (JAX's
``grad`` returns the conjugate of this; see README, "Complex numbers").
Piecewise-constant functions of a float (``floor``, ``ceil``, ``round``, ``trunc``,
``sign``) record a node whose gradient is zero, as in PyTorch and JAX; functions with
integer or boolean results (comparisons, ``isnan``, …) have no rule, and their results
never carry a ``grad_fn``. Kinks take PyTorch's subgradients: ``abs`` has
slope 0 at 0, ``maximum``/``minimum`` split ties evenly, ``clip`` passes the gradient
at its edges.
"""
from __future__ import annotations

import cmath
import inspect
import math

from ._define import defop, dispatches, elementwise

_SCALARS = (int, float, complex)


def _is_scalar(v) -> bool:
    return isinstance(v, _SCALARS)


# -- arithmetic -------------------------------------------------------------------

@elementwise(lambda xp, g: g, lambda xp, g: g, node="AddBackward0")
def add(xp, x1, x2, /):
    """The sum ``x1 + x2``, element-wise."""
    return x1 + x2


@elementwise(lambda xp, g: g, lambda xp, g: -g, node="SubBackward0")
def subtract(xp, x1, x2, /):
    """The difference ``x1 - x2``, element-wise."""
    return x1 - x2


@elementwise(lambda xp, g, x2: xp.times(g, xp.conj(x2)),
             lambda xp, g, x1: xp.times(g, xp.conj(x1)), node="MulBackward0")
def multiply(xp, x1, x2, /):
    """The product ``x1 * x2``, element-wise."""
    return x1 * x2


def _divide_x1_rule(xp, g, x2):
    """``g / x2``, exactly 0 wherever ``g`` is 0 (``strong_zero``), as a zero-safe rule.
    Divided by a nonzero Python number (``loss / n``), the quotient is already 0
    wherever ``g`` is, so the guard, a comparison and a select, is not paid."""
    quotient = g / xp.conj(x2)
    if x2.__class__ in _SCALARS and x2 == x2 and x2 != 0:  # x2 == x2: not NaN
        return quotient
    return xp.strong_zero(g, quotient)


@elementwise(_divide_x1_rule,
             lambda xp, g, x2, result: xp.strong_zero(g, -g * xp.conj(result / x2)),
             node="DivBackward0")
def divide(xp, x1, x2, /):
    """The true quotient ``x1 / x2``, element-wise."""
    return x1 / x2


@elementwise(lambda xp, g: -g, node="NegBackward0")
def negative(xp, x, /):
    """The negation ``-x``, element-wise."""
    return -x


@elementwise(lambda xp, g: g, node="PositiveBackward0")
def positive(xp, x, /):
    """``+x``: the values of ``x``, element-wise."""
    return +x


@elementwise(lambda xp, g, result: -g * xp.conj(result * result), node="ReciprocalBackward0", zero_safe=True)
def reciprocal(xp, x, /):
    """The reciprocal ``1 / x``, element-wise."""
    return xp.reciprocal(x)


@elementwise(lambda xp, g, x: g * 2 * xp.conj(x), node="PowBackward0", zero_safe=True)
def square(xp, x, /):
    """The square ``x * x``, element-wise."""
    return xp.square(x)


def _pow_base_rule(xp, g, x1, x2):
    if _is_scalar(x2):
        if x2 == 2:  # x ** 2, the common case: no x ** 1 pass
            return g * xp.conj(2 * x1)
        return g * 0 if x2 == 0 else g * xp.conj(x2 * x1 ** (x2 - 1))
    return xp.where(x2 == 0, xp.zeros_like(g), g * xp.conj(x2 * x1 ** (x2 - 1)))


def _pow_exponent_rule(xp, g, x1, x2, result):
    """d(x1 ** x2)/dx2 = x1 ** x2 * log(x1), taken as 0 where x1 == 0 and x2 >= 0
    (PyTorch's choice, which keeps 0 ** x2 differentiable)."""
    if _is_scalar(x1):
        log_x1 = 0.0 if x1 == 0 else cmath.log(x1) if isinstance(x1, complex) or x1 < 0 \
            else math.log(x1)
        return g * xp.conj(result * log_x1)
    grad = g * xp.conj(result * xp.log(x1))
    exponent = xp.real(x2) if xp.is_complex(x2) else x2
    return xp.where((x1 == 0) & (exponent >= 0), xp.zeros_like(grad), grad)


@elementwise(_pow_base_rule, None, node="PowBackward0", zero_safe=True)
def _pow_scalar_exponent(xp, x1, x2, /):
    return x1 ** x2


@elementwise(_pow_base_rule, _pow_exponent_rule, node="PowBackward1", zero_safe=True)
def _pow_tensors(xp, x1, x2, /):
    return x1 ** x2


@dispatches(_pow_scalar_exponent, _pow_tensors)
def pow(x1, x2, /):
    """``x1 ** x2``, element-wise."""
    if _is_scalar(x2):
        return _pow_scalar_exponent(x1, x2)
    return _pow_tensors(x1, x2)


def _remainder_divisor_rule(xp, g, x1, x2):
    return -g * xp.floor(x1 / x2)


@elementwise(lambda xp, g: g, _remainder_divisor_rule, node="RemainderBackward0")
def remainder(xp, x1, x2, /):
    """The remainder of ``x1 / x2``, with the sign of ``x2``, element-wise."""
    return x1 % x2


@defop()
def floor_divide(xp, x1, x2, /):
    """The floored quotient ``x1 // x2``, element-wise."""
    return x1 // x2


# -- exponentials and logarithms --------------------------------------------------

@elementwise(lambda xp, g, result: xp.times(g, xp.conj(result)), node="ExpBackward0")
def exp(xp, x, /):
    """The exponential ``e ** x``, element-wise."""
    return xp.exp(x)


@elementwise(lambda xp, g, result: g * xp.conj(result + 1), node="Expm1Backward0")
def expm1(xp, x, /):
    """``exp(x) - 1``, accurate for ``x`` near 0, element-wise."""
    return xp.expm1(x)


@elementwise(lambda xp, g, x: g / xp.conj(x), node="LogBackward0", zero_safe=True)
def log(xp, x, /):
    """The natural logarithm, element-wise."""
    return xp.log(x)


@elementwise(lambda xp, g, x: g / xp.conj(x + 1), node="Log1PBackward0", zero_safe=True)
def log1p(xp, x, /):
    """``log(1 + x)``, accurate for ``x`` near 0, element-wise."""
    return xp.log1p(x)


@elementwise(lambda xp, g, x: g / xp.conj(x * math.log(2.0)), node="Log2Backward0", zero_safe=True)
def log2(xp, x, /):
    """The base-2 logarithm, element-wise."""
    return xp.log2(x)


@elementwise(lambda xp, g, x: g / xp.conj(x * math.log(10.0)), node="Log10Backward0", zero_safe=True)
def log10(xp, x, /):
    """The base-10 logarithm, element-wise."""
    return xp.log10(x)


@elementwise(lambda xp, g, x1, result: g * xp.exp(x1 - result),
             lambda xp, g, x2, result: g * xp.exp(x2 - result), node="LogaddexpBackward0")
def logaddexp(xp, x1, x2, /):
    """``log(exp(x1) + exp(x2))`` without overflow, element-wise."""
    return xp.logaddexp(x1, x2)


@elementwise(lambda xp, g, result: g / xp.conj(2 * result), node="SqrtBackward0", zero_safe=True)
def sqrt(xp, x, /):
    """The principal square root, element-wise."""
    return xp.sqrt(x)


# -- trigonometric and hyperbolic -------------------------------------------------

@elementwise(lambda xp, g, x: g * xp.conj(xp.cos(x)), node="SinBackward0")
def sin(xp, x, /):
    """The sine, element-wise."""
    return xp.sin(x)


@elementwise(lambda xp, g, x: -g * xp.conj(xp.sin(x)), node="CosBackward0")
def cos(xp, x, /):
    """The cosine, element-wise."""
    return xp.cos(x)


@elementwise(lambda xp, g, result: g * xp.conj(1 + result * result), node="TanBackward0")
def tan(xp, x, /):
    """The tangent, element-wise."""
    return xp.tan(x)


@elementwise(lambda xp, g, x: g / xp.conj(xp.sqrt(1 - x * x)), node="AsinBackward0", zero_safe=True)
def asin(xp, x, /):
    """The inverse sine, element-wise."""
    return xp.asin(x)


@elementwise(lambda xp, g, x: -g / xp.conj(xp.sqrt(1 - x * x)), node="AcosBackward0", zero_safe=True)
def acos(xp, x, /):
    """The inverse cosine, element-wise."""
    return xp.acos(x)


@elementwise(lambda xp, g, x: g / xp.conj(1 + x * x), node="AtanBackward0")
def atan(xp, x, /):
    """The inverse tangent, element-wise."""
    return xp.atan(x)


@elementwise(lambda xp, g, x1, x2: g * x2 / (x1 * x1 + x2 * x2),
             lambda xp, g, x1, x2: -g * x1 / (x1 * x1 + x2 * x2), node="Atan2Backward0")
def atan2(xp, x1, x2, /):
    """The inverse tangent of ``x1 / x2`` in the quadrant of ``(x2, x1)``, element-wise."""
    return xp.atan2(x1, x2)


@elementwise(lambda xp, g, x: g * xp.conj(xp.cosh(x)), node="SinhBackward0")
def sinh(xp, x, /):
    """The hyperbolic sine, element-wise."""
    return xp.sinh(x)


@elementwise(lambda xp, g, x: g * xp.conj(xp.sinh(x)), node="CoshBackward0")
def cosh(xp, x, /):
    """The hyperbolic cosine, element-wise."""
    return xp.cosh(x)


@elementwise(lambda xp, g, result: g * xp.conj(1 - result * result), node="TanhBackward0")
def tanh(xp, x, /):
    """The hyperbolic tangent, element-wise."""
    return xp.tanh(x)


@elementwise(lambda xp, g, x: g / xp.conj(xp.sqrt(x * x + 1)), node="AsinhBackward0")
def asinh(xp, x, /):
    """The inverse hyperbolic sine, element-wise."""
    return xp.asinh(x)


@elementwise(lambda xp, g, x: g / xp.conj(xp.sqrt(x - 1) * xp.sqrt(x + 1)),
             node="AcoshBackward0", zero_safe=True)
def acosh(xp, x, /):
    """The inverse hyperbolic cosine, element-wise."""
    return xp.acosh(x)


@elementwise(lambda xp, g, x: g / xp.conj(1 - x * x), node="AtanhBackward0", zero_safe=True)
def atanh(xp, x, /):
    """The inverse hyperbolic tangent, element-wise."""
    return xp.atanh(x)


@elementwise(lambda xp, g, x1, result: g * x1 / result,
             lambda xp, g, x2, result: g * x2 / result, node="HypotBackward0")
def hypot(xp, x1, x2, /):
    """``sqrt(x1 ** 2 + x2 ** 2)`` without overflow, element-wise."""
    return xp.hypot(x1, x2)


# -- complex parts and signs ------------------------------------------------------

@elementwise(lambda xp, g, x: g * xp.sgn(x), node="AbsBackward0", broadcasts=True)
def abs(xp, x, /):
    """The absolute value (the modulus of a complex ``x``), element-wise."""
    return xp.abs(x)


@elementwise(lambda xp, g: xp.conj(g), node="ConjBackward0")
def conj(xp, x, /):
    """The complex conjugate, element-wise."""
    return xp.conj(x)


@elementwise(lambda xp, g: g, node="RealBackward0", broadcasts=True)
def real(xp, x, /):
    """The real part, element-wise."""
    return xp.real(x)


@elementwise(lambda xp, g: g * 1j, node="ImagBackward0", broadcasts=True)
def imag(xp, x, /):
    """The imaginary part, element-wise."""
    return xp.imag(x)


def _copysign_rule(xp, g, x1, result):
    return g * xp.where(x1 == 0, xp.zeros_like(result), result / x1)


def _zero_rule(xp, g):
    """The gradient of a piecewise-constant function (or of an input a function does
    not depend on smoothly): zero, of the output's shape and dtype."""
    return xp.zeros_like(g)


_zero_rule.constant = True  # not a gradient: the registry does not count it


@elementwise(_copysign_rule, _zero_rule, node="CopysignBackward0")
def copysign(xp, x1, x2, /):
    """The magnitude of ``x1`` with the sign of ``x2``, element-wise."""
    return xp.copysign(x1, x2)


# -- maxima and clipping --------------------------------------------------------

def _tie_split(xp, g, mine, other, wins):
    """The gradient of a binary max/min for one input: all of it where this input
    wins, half where the two tie (PyTorch's choice), none where it loses."""
    zero = xp.zeros_like(g)
    return xp.where(wins, g, xp.where(mine == other, g / 2, zero))


@elementwise(lambda xp, g, x1, x2: _tie_split(xp, g, x1, x2, x1 > x2),
             lambda xp, g, x1, x2: _tie_split(xp, g, x2, x1, x2 > x1), node="MaximumBackward0")
def maximum(xp, x1, x2, /):
    """The larger of ``x1`` and ``x2``, element-wise."""
    return xp.maximum(x1, x2)


@elementwise(lambda xp, g, x1, x2: _tie_split(xp, g, x1, x2, x1 < x2),
             lambda xp, g, x1, x2: _tie_split(xp, g, x2, x1, x2 < x1), node="MinimumBackward0")
def minimum(xp, x1, x2, /):
    """The smaller of ``x1`` and ``x2``, element-wise."""
    return xp.minimum(x1, x2)


def _clip_masks(xp, x, min, max):
    """Where the result is ``x`` itself, where it is ``min``, and where ``max``."""
    inside = None
    takes_min = takes_max = None
    if min is not None:
        inside = x >= min
        takes_min = x < min
    if max is not None:
        below_max = x <= max
        inside = below_max if inside is None else inside & below_max
        takes_max = ~below_max
        if takes_min is not None:
            # With min > max the standard's result is max.
            takes_min = takes_min & (min <= max)
            takes_max = ~(inside | takes_min)
    return inside, takes_min, takes_max


def _masked(xp, g, mask):
    return g if mask is None else xp.where(mask, g, xp.zeros_like(g))


@elementwise(lambda xp, g, x, min, max: _masked(xp, g, _clip_masks(xp, x, min, max)[0]),
             lambda xp, g, x, min, max: _masked(xp, g, _clip_masks(xp, x, min, max)[1]),
             lambda xp, g, x, min, max: _masked(xp, g, _clip_masks(xp, x, min, max)[2]),
             node="ClampBackward1", inputs=("x", "min", "max"))
def clip(xp, x, /, min=None, max=None):
    """``x`` held within ``[min, max]`` (either bound optional), element-wise."""
    return xp.clip(x, min, max)


# -- functions without gradients: integer, boolean and piecewise-constant results --

def _no_gradient(name, fn, *params, doc):
    """An operation without a rule, with the standard's signature ``name(params, /)``
    and the docstring ``doc``."""
    def forward(xp, *args):
        return fn(xp, *args)
    positional = inspect.Parameter.POSITIONAL_ONLY
    forward.__name__ = forward.__qualname__ = name
    forward.__doc__ = doc
    forward.__signature__ = inspect.Signature(
        [inspect.Parameter(p, positional) for p in ("xp", *params)])
    return defop()(forward)


def _binary_method(name):
    return lambda xp, x1, x2: getattr(xp, name)(x1, x2)


def _unary_method(name):
    return lambda xp, x: getattr(xp, name)(x)


equal = _no_gradient("equal", lambda xp, x1, x2: x1 == x2, "x1", "x2",
                     doc="Whether ``x1 == x2``, element-wise.")
not_equal = _no_gradient("not_equal", lambda xp, x1, x2: x1 != x2, "x1", "x2",
                         doc="Whether ``x1 != x2``, element-wise.")
less = _no_gradient("less", lambda xp, x1, x2: x1 < x2, "x1", "x2",
                    doc="Whether ``x1 < x2``, element-wise.")
less_equal = _no_gradient("less_equal", lambda xp, x1, x2: x1 <= x2, "x1", "x2",
                          doc="Whether ``x1 <= x2``, element-wise.")
greater = _no_gradient("greater", lambda xp, x1, x2: x1 > x2, "x1", "x2",
                       doc="Whether ``x1 > x2``, element-wise.")
greater_equal = _no_gradient("greater_equal", lambda xp, x1, x2: x1 >= x2, "x1", "x2",
                             doc="Whether ``x1 >= x2``, element-wise.")
bitwise_and = _no_gradient("bitwise_and", lambda xp, x1, x2: x1 & x2, "x1", "x2",
                           doc="The bitwise AND of ``x1`` and ``x2``, element-wise.")
bitwise_or = _no_gradient("bitwise_or", lambda xp, x1, x2: x1 | x2, "x1", "x2",
                          doc="The bitwise OR of ``x1`` and ``x2``, element-wise.")
bitwise_xor = _no_gradient("bitwise_xor", lambda xp, x1, x2: x1 ^ x2, "x1", "x2",
                           doc="The bitwise XOR of ``x1`` and ``x2``, element-wise.")
bitwise_left_shift = _no_gradient("bitwise_left_shift", lambda xp, x1, x2: x1 << x2, "x1", "x2",
                                  doc="``x1`` shifted left by ``x2`` bits, element-wise.")
bitwise_right_shift = _no_gradient("bitwise_right_shift", lambda xp, x1, x2: x1 >> x2, "x1", "x2",
                                   doc="``x1`` shifted right by ``x2`` bits, element-wise.")
bitwise_invert = _no_gradient("bitwise_invert", lambda xp, x: ~x, "x",
                              doc="The bitwise NOT ``~x``, element-wise.")
logical_and = _no_gradient("logical_and", _binary_method("logical_and"), "x1", "x2",
                           doc="The logical AND of ``x1`` and ``x2``, element-wise.")
logical_or = _no_gradient("logical_or", _binary_method("logical_or"), "x1", "x2",
                          doc="The logical OR of ``x1`` and ``x2``, element-wise.")
logical_xor = _no_gradient("logical_xor", _binary_method("logical_xor"), "x1", "x2",
                           doc="The logical XOR of ``x1`` and ``x2``, element-wise.")
nextafter = _no_gradient("nextafter", _binary_method("nextafter"), "x1", "x2",
                         doc="The next float after ``x1`` toward ``x2``, element-wise.")
logical_not = _no_gradient("logical_not", _unary_method("logical_not"), "x",
                           doc="The logical NOT of ``x``, element-wise.")
isfinite = _no_gradient("isfinite", _unary_method("isfinite"), "x",
                        doc="Whether ``x`` is finite (neither infinite nor NaN), element-wise.")
isinf = _no_gradient("isinf", _unary_method("isinf"), "x",
                     doc="Whether ``x`` is infinite, element-wise.")
isnan = _no_gradient("isnan", _unary_method("isnan"), "x",
                     doc="Whether ``x`` is NaN, element-wise.")
signbit = _no_gradient("signbit", _unary_method("signbit"), "x",
                       doc="Whether the sign bit of ``x`` is set, element-wise.")


# -- piecewise-constant functions: a node whose gradient is zero (PyTorch, JAX) ------

@elementwise(_zero_rule, node="FloorBackward0")
def floor(xp, x, /):
    """The largest integer not above ``x``, element-wise."""
    return xp.floor(x)


@elementwise(_zero_rule, node="CeilBackward0")
def ceil(xp, x, /):
    """The smallest integer not below ``x``, element-wise."""
    return xp.ceil(x)


@elementwise(_zero_rule, node="TruncBackward0")
def trunc(xp, x, /):
    """``x`` rounded toward zero, element-wise."""
    return xp.trunc(x)


@elementwise(_zero_rule, node="RoundBackward0")
def round(xp, x, /):
    """``x`` rounded to the nearest integer (halves to even), element-wise."""
    return xp.round(x)


@elementwise(_zero_rule, node="SignBackward0")
def _sign_real(xp, x, /):
    return xp.sign(x)


def _sgn_rule(xp, g, x, result):
    """PyTorch's ``sgn`` gradient: for s = x / |x|, (g - s Re(g conj(s))) / |x|, which
    keeps the part of ``g`` that turns s and drops the part that would stretch it; 0 at
    0 (where |x| is moved off 0 first, so that its own derivative is finite too)."""
    magnitude = xp.abs(x)
    zero = magnitude == 0
    safe = xp.where(zero, xp.ones_like(magnitude), magnitude)
    grad = (g - result * xp.real(g * xp.conj(result))) / safe
    return xp.where(zero, xp.zeros_like(grad), grad)


@elementwise(_sgn_rule, node="SgnBackward0")
def _sign_complex(xp, x, /):
    # x / |x|, 0 at 0, with |x| moved off 0 first: array_api_compat's sign divides
    # 0 by 0 there (and then writes 0), which NumPy and Dask warn about for a valid input.
    magnitude = xp.abs(x)
    zero = magnitude == 0
    return xp.where(zero, xp.zeros_like(x), x / xp.where(zero, xp.ones_like(magnitude), magnitude))


@dispatches(_sign_real, _sign_complex)
def sign(x, /):
    """The sign of ``x``, element-wise: -1, 0 or 1 for real ``x`` (a zero gradient);
    ``x / |x|`` (0 at 0) for complex ``x`` (PyTorch's ``sgn`` and its gradient)."""
    dtype = getattr(x, "dtype", None)
    if getattr(dtype, "is_complex", False):
        return _sign_complex(x)
    return _sign_real(x)

__all__ = [
    "abs",
    "acos",
    "acosh",
    "add",
    "asin",
    "asinh",
    "atan",
    "atan2",
    "atanh",
    "bitwise_and",
    "bitwise_invert",
    "bitwise_left_shift",
    "bitwise_or",
    "bitwise_right_shift",
    "bitwise_xor",
    "ceil",
    "clip",
    "conj",
    "copysign",
    "cos",
    "cosh",
    "divide",
    "equal",
    "exp",
    "expm1",
    "floor",
    "floor_divide",
    "greater",
    "greater_equal",
    "hypot",
    "imag",
    "isfinite",
    "isinf",
    "isnan",
    "less",
    "less_equal",
    "log",
    "log10",
    "log1p",
    "log2",
    "logaddexp",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "maximum",
    "minimum",
    "multiply",
    "negative",
    "nextafter",
    "not_equal",
    "positive",
    "pow",
    "real",
    "reciprocal",
    "remainder",
    "round",
    "sign",
    "signbit",
    "sin",
    "sinh",
    "sqrt",
    "square",
    "subtract",
    "tan",
    "tanh",
    "trunc",
]
