"""Where the conformance inputs come from: Hypothesis, through the Array API strategies
of ``hypothesis.extra.array_api`` over NumPy.

A case's generator receives a :class:`Draw` (one example's source of choices) and the
example's index ``k``. Shapes, values, masks, indices and signs all come from Hypothesis,
so the edge cases (0-d, empty, broadcasting, extreme and repeated magnitudes) come from
the library built to find them. The first three examples are steered toward the shapes
every rule must handle (``Draw.shape``): an ordinary shape, a 0-d array (or a broadcast
against one), an empty array; the later ones are unconstrained.

:func:`examples` draws each example under its own seeded Hypothesis run, so a report is
reproducible.
"""
from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.extra.array_api import make_strategies_namespace

xps = make_strategies_namespace(np)

MAX_DIMS = 3
MAX_SIDE = 4


class Draw:
    """One example's inputs, drawn from a Hypothesis ``data`` object.

    Every array is drawn with distinct elements (``unique=True``): a tie, such as two
    equal entries of a vector whose maximum is taken, is a point where the function has
    no derivative, and a finite difference there measures a one-sided slope.
    """

    def __init__(self, data):
        self._data = data

    def _draw(self, strategy):
        return self._data.draw(strategy)

    # -- shapes ------------------------------------------------------------------------

    def shape(self, k, min_dims=0):
        """An array shape for example ``k``: 0, an ordinary shape (sides 1 to 4); 1, a 0-d
        shape (1-d when ``min_dims`` is 1); 2, a shape with an empty axis; later, any."""
        if k == 0:
            return self._draw(xps.array_shapes(min_dims=max(min_dims, 1), max_dims=MAX_DIMS,
                                               min_side=1, max_side=MAX_SIDE))
        if k == 1:
            return () if min_dims == 0 else (self._draw(st.integers(1, MAX_SIDE)),)
        if k == 2:
            shape = list(self._draw(xps.array_shapes(min_dims=max(min_dims, 1),
                                                     max_dims=MAX_DIMS, min_side=1,
                                                     max_side=MAX_SIDE)))
            shape[self._draw(st.integers(0, len(shape) - 1))] = 0
            return tuple(shape)
        return self._draw(xps.array_shapes(min_dims=min_dims, max_dims=MAX_DIMS, min_side=0,
                                           max_side=MAX_SIDE))

    def broadcast_pair(self, k):
        """Two shapes that broadcast together: 0, ordinary; 1, one of them 0-d; 2, an empty
        axis in the broadcast result; later, any pair."""
        if k == 1:
            other = self.shape(0)
            return ((), other) if self._draw(st.booleans()) else (other, ())
        if k == 2:
            base = self.shape(2)
            return base, self._draw(xps.broadcastable_shapes(base, min_side=0,
                                                             max_side=MAX_SIDE))
        pair = self._draw(xps.mutually_broadcastable_shapes(
            2, min_dims=1 if k == 0 else 0, max_dims=MAX_DIMS, min_side=1 if k == 0 else 0,
            max_side=MAX_SIDE))
        return pair.input_shapes

    # -- values ------------------------------------------------------------------------

    def floats(self, lo, hi, shape=None, min_magnitude=0.0):
        """Floats in [lo, hi], distinct within the array (a Python float if no shape);
        each 0 or at least ``min_magnitude`` in size."""
        elements = st.floats(lo, hi, allow_nan=False, allow_subnormal=False)
        if min_magnitude:
            elements = elements.filter(lambda v: v == 0 or abs(v) >= min_magnitude)
        if shape is None:
            return self._draw(elements)
        return self._draw(xps.arrays(np.float64, shape, elements=elements, unique=True))

    def signs(self, shape):
        return self._draw(xps.arrays(np.float64, shape, elements=st.sampled_from([-1.0, 1.0])))

    def mask(self, shape):
        return self._draw(xps.arrays(np.bool_, shape))

    def ints(self, lo, hi, shape=None):
        """Integers in [lo, hi] (inclusive; a Python int if no shape)."""
        if shape is None:
            return self._draw(st.integers(lo, hi))
        return self._draw(xps.arrays(np.int64, shape, elements=st.integers(lo, hi)))

    def permutation(self, n):
        return np.asarray(self._draw(st.permutations(range(n))), dtype=np.int64)


def examples(gen, n, seed):
    """The arguments ``gen(draw, k)`` returns for examples ``k = 0 .. n-1`` (or the
    exception it raised, to be reported as that example's failure).

    Each example is its own seeded Hypothesis run of two calls, of which the second is
    kept: Hypothesis always tries the simplest input first (every choice at its minimum,
    all elements equal), and a run must draw the same way on every call, so ``k`` cannot
    change between the calls of one run. No shrinking and no example database: a run
    costs two draws (about 20 ms), and the same seed and Hypothesis version give the same
    inputs.
    """
    return [example(gen, k, seed + k) for k in range(n)]


def example(gen, k, seed):
    """Example ``k`` alone (see :func:`examples`)."""
    drawn = []

    @hypothesis_seed(seed)
    @settings(max_examples=2, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), print_blob=False)
    @given(st.data())
    def run(data):
        try:
            drawn.append(gen(Draw(data), k))
        except Exception as exc:  # the case's own error: that example fails
            drawn.append(exc)

    run()
    return drawn[-1]
