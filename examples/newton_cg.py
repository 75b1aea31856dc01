"""Newton-CG: L2-regularised logistic regression on scikit-learn's breast-cancer data,
with Hessian-vector products from ``arraygrad.func.hvp``.

The 569 tumours, 30 features each (standardised here), labelled malignant or benign,
ship with scikit-learn (no download). The loss, of the weights w and the bias b, is

    L(w, b) = mean_i log(1 + exp(-y_i (x_i . w + b))) + LAMBDA / 2 |w|^2,  y_i = +-1.

Each Newton iteration solves H p = -g by conjugate gradients (CG) without ever forming
the Hessian H: CG needs only products H v, and ``arraygrad.func.hvp`` gives each one by
reverse over reverse (the gradient recorded, then differentiated along v). CG stops
at the relative residual min(0.5, sqrt|g|), which makes Newton's convergence
superlinear; a backtracking line search keeps every step a decrease. The loss is
strictly convex, so the curvature CG meets is always positive.

It converges to a gradient norm below 1e-8 within 12 Newton iterations (asserted at
the end), on any backend, in float64:

    python examples/newton_cg.py
    ARRAYGRAD_BACKEND=jax python examples/newton_cg.py

Everything after loading the data is arraygrad (an Array API namespace) only.
"""
from __future__ import annotations

import os
import time

# Newton's method is run in float64, which JAX gives only when asked before it starts.
os.environ.setdefault("JAX_ENABLE_X64", "1")

import arraygrad as ag
import arraygrad.func as F

LAMBDA = 1e-2
GRADIENT_TOLERANCE = 1e-8
MAX_NEWTON_ITERATIONS = 12
ARMIJO = 1e-4


def load_breast_cancer():
    """(features, labels): features standardised, labels +1 (malignant) / -1, float64
    tensors on the current backend."""
    import numpy as np
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    x = (data.data - data.data.mean(axis=0)) / data.data.std(axis=0)
    y = np.where(data.target == 0, 1.0, -1.0)
    b = ag.current_backend()
    return ag.asarray(x, backend=b), ag.asarray(y, backend=b)


def loss(theta, x, y):
    """The regularised logistic loss; theta holds the weights, then the bias."""
    w, b = theta[:-1], theta[-1]
    margins = y * (x @ w + b)
    return ag.mean(ag.logaddexp(ag.zeros_like(margins), -margins)) + \
        0.5 * LAMBDA * ag.sum(w * w)


def dot(a, b) -> float:
    return float(ag.vecdot(a, b))


def conjugate_gradient(hessian_times, g, tolerance):
    """An approximate solution p of H p = -g, and the number of products used."""
    p = ag.zeros_like(g)
    r = -g  # the residual -g - H p
    d = r
    rr = dot(r, r)
    products = 0
    while rr ** 0.5 > tolerance and products < g.shape[0]:
        hd = hessian_times(d)
        products += 1
        alpha = rr / dot(d, hd)
        p = p + alpha * d
        r = r - alpha * hd
        rr, rr_old = dot(r, r), rr
        d = r + (rr / rr_old) * d
    return p, products


def newton_direction(objective, theta, g, g_norm):
    """CG on H p = -g at ``theta``, to the relative residual min(0.5, sqrt|g|)."""
    return conjugate_gradient(lambda v: F.hvp(objective, theta, v)[1], g,
                              min(0.5, g_norm ** 0.5) * g_norm)


def main() -> int:
    start = time.perf_counter()
    x, y = load_breast_cancer()
    theta = ag.zeros(x.shape[1] + 1, dtype=ag.float64)

    def objective(theta):
        return loss(theta, x, y)

    print(f"backend {ag.current_backend().name}: Newton-CG, logistic regression on "
          f"{x.shape[0]} tumours x {x.shape[1]} features, lambda {LAMBDA}")

    value, g = F.value_and_grad(objective)(theta)
    g_norm = dot(g, g) ** 0.5
    iteration = 0
    print(f"iter {iteration:2d}  loss {float(value):.12f}  |g| {g_norm:.2e}")
    while g_norm >= GRADIENT_TOLERANCE and iteration < MAX_NEWTON_ITERATIONS:
        iteration += 1
        p, products = newton_direction(objective, theta, g, g_norm)
        slope = dot(g, p)
        step = 1.0
        while float(objective(theta + step * p)) > float(value) + ARMIJO * step * slope:
            step /= 2
        theta = theta + step * p
        value, g = F.value_and_grad(objective)(theta)
        g_norm = dot(g, g) ** 0.5
        print(f"iter {iteration:2d}  loss {float(value):.12f}  |g| {g_norm:.2e}  "
              f"CG products {products:2d}  step {step:g}")

    hits = ag.astype((x @ theta[:-1] + theta[-1]) * y > 0, ag.float64)
    print(f"train accuracy {float(ag.mean(hits)):.4f}")
    print(f"converged: |g| {g_norm:.1e} (required < {GRADIENT_TOLERANCE:.0e}) after "
          f"{iteration} Newton iterations (at most {MAX_NEWTON_ITERATIONS}) in "
          f"{time.perf_counter() - start:.1f} s")
    assert g_norm < GRADIENT_TOLERANCE, \
        f"|g| = {g_norm:.1e} after {MAX_NEWTON_ITERATIONS} Newton iterations"
    return iteration


if __name__ == "__main__":
    main()
