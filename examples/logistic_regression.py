"""Softmax (multinomial) logistic regression on scikit-learn's digits, with
``arraygrad.optim.Adam``.

The 1,797 8x8 images of handwritten digits ship with scikit-learn (no download). The
model is one linear layer, 64 pixels to 10 classes, trained full-batch on 1,400 images
with a softmax cross-entropy written with the max-shift of ``logsumexp``; the other
397 images are the test set. It reaches a test accuracy of at least 0.95 (asserted at
the end), on any backend:

    python examples/logistic_regression.py
    ARRAYGRAD_BACKEND=torch python examples/logistic_regression.py

Everything after loading the data is arraygrad (an Array API namespace) only.

On NumPy it takes about 5 s. On Dask it is much slower (minutes for the MLP): Dask is lazy,
so each step's update adds to the parameters' task graph, and every printed loss
computes the whole history again.
"""
from __future__ import annotations

import time

import arraygrad as ag
from digits import accuracy, cross_entropy, load_digits_split

REQUIRED_ACCURACY = 0.95
STEPS = 200


def main() -> float:
    start = time.perf_counter()
    x_train, y_train, x_test, y_test = load_digits_split()
    n_features, n_classes = x_train.shape[1], 10
    ag.manual_seed(0)
    w = ag.randn(n_features, n_classes, dtype=ag.float32) * 0.01
    w.requires_grad_(True)
    b = ag.zeros(n_classes, dtype=ag.float32, requires_grad=True)
    opt = ag.optim.Adam([w, b], lr=0.05)

    print(f"backend {ag.current_backend().name}: softmax regression, "
          f"{x_train.shape[0]} train / {x_test.shape[0]} test images")
    for step in range(1, STEPS + 1):
        opt.zero_grad()
        logits = x_train @ w + b
        loss = cross_entropy(logits, y_train, n_classes)
        loss.backward()
        opt.step()
        if step % 50 == 0 or step == 1:
            with ag.no_grad():
                train_acc = accuracy(logits, y_train)
            print(f"step {step:4d}  loss {float(loss.detach()):.4f}  "
                  f"train accuracy {train_acc:.4f}")

    with ag.no_grad():
        test_acc = accuracy(x_test @ w + b, y_test)
    print(f"test accuracy: {test_acc:.4f} (required >= {REQUIRED_ACCURACY}) "
          f"in {time.perf_counter() - start:.1f} s")
    assert test_acc >= REQUIRED_ACCURACY, f"test accuracy {test_acc:.4f} < {REQUIRED_ACCURACY}"
    return test_acc


if __name__ == "__main__":
    main()
