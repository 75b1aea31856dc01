"""A two-layer perceptron on scikit-learn's digits, with ``arraygrad.optim.AdamW``.

The 1,797 8x8 images of handwritten digits ship with scikit-learn (no download). The
network is 64 pixels -> 128 tanh units -> 10 classes, trained full-batch on 1,400
images with a softmax cross-entropy written with the max-shift of ``logsumexp``; the
other 397 images are the test set. It reaches a test accuracy of at least 0.97
(asserted at the end), on any backend:

    python examples/mlp.py
    ARRAYGRAD_BACKEND=jax python examples/mlp.py

Everything after loading the data is arraygrad (an Array API namespace) only.

On NumPy it takes about 2 s. On Dask it is much slower (minutes for the MLP): Dask is lazy,
so each step's update adds to the parameters' task graph, and every printed loss
computes the whole history again.
"""
from __future__ import annotations

import time

import arraygrad as ag
from digits import accuracy, cross_entropy, linear, load_digits_split

REQUIRED_ACCURACY = 0.97
STEPS = 200
HIDDEN = 128


def forward(params, x):
    w1, b1, w2, b2 = params
    return ag.tanh(x @ w1 + b1) @ w2 + b2


def main() -> float:
    start = time.perf_counter()
    x_train, y_train, x_test, y_test = load_digits_split()
    n_features, n_classes = x_train.shape[1], 10
    ag.manual_seed(0)
    params = [*linear(n_features, HIDDEN), *linear(HIDDEN, n_classes)]
    opt = ag.optim.AdamW(params, lr=0.01, weight_decay=1e-2)

    print(f"backend {ag.current_backend().name}: MLP {n_features}-{HIDDEN}-{n_classes}, "
          f"{x_train.shape[0]} train / {x_test.shape[0]} test images")
    for step in range(1, STEPS + 1):
        opt.zero_grad()
        logits = forward(params, x_train)
        loss = cross_entropy(logits, y_train, n_classes)
        loss.backward()
        opt.step()
        if step % 50 == 0 or step == 1:
            with ag.no_grad():
                train_acc = accuracy(logits, y_train)
            print(f"step {step:4d}  loss {float(loss.detach()):.4f}  "
                  f"train accuracy {train_acc:.4f}")

    with ag.no_grad():
        test_acc = accuracy(forward(params, x_test), y_test)
    print(f"test accuracy: {test_acc:.4f} (required >= {REQUIRED_ACCURACY}) "
          f"in {time.perf_counter() - start:.1f} s")
    assert test_acc >= REQUIRED_ACCURACY, f"test accuracy {test_acc:.4f} < {REQUIRED_ACCURACY}"
    return test_acc


if __name__ == "__main__":
    main()
