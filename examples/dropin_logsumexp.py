"""An existing Array API function, made differentiable with no edits.

``soft_max_pool`` below is written the way array-API libraries are written: it asks
its input for its namespace and uses only standard functions, including an in-place
update. Handing it arraygrad tensors instead of NumPy arrays gives gradients.

    python examples/dropin_logsumexp.py
"""
from __future__ import annotations

import numpy as np
from array_api_compat import array_namespace

import arraygrad as ag


def soft_max_pool(x, temperature=1.0):
    """A smooth maximum over the last axis (third-party code: not edited)."""
    xp = array_namespace(x)
    shift = xp.max(x, axis=-1, keepdims=True)
    z = x - shift
    z /= temperature                      # writes in place
    out = xp.log(xp.sum(xp.exp(z), axis=-1)) * temperature
    return out + shift[..., 0]


def main() -> None:
    values = np.array([[0.5, 2.0, -1.0], [3.0, 3.0, 0.0]])
    print("on NumPy:    ", soft_max_pool(values))

    x = ag.asarray(values.tolist(), dtype=ag.float64, requires_grad=True)
    y = soft_max_pool(x).sum()
    y.backward()
    print("on arraygrad:", y)
    print("gradient:    ", x.grad)

    # The gradient of a smooth maximum is the softmax of the inputs.
    e = np.exp(values - values.max(axis=-1, keepdims=True))
    np.testing.assert_allclose(x.grad.numpy(), e / e.sum(axis=-1, keepdims=True))


main()
