"""What the digits examples share: the data split, the loss, the accuracy and the
layers' initialisation.

The 1,797 8x8 images of handwritten digits ship with scikit-learn (no download); the
first 1,400 after a fixed shuffle train, the other 397 test.
"""
from __future__ import annotations

import arraygrad as ag

N_TRAIN = 1400


def load_digits_split():
    """(x_train, y_train, x_test, y_test) on the current backend: pixels scaled to
    [0, 1] in float32, labels as int64, split after a fixed shuffle."""
    import numpy as np
    from sklearn.datasets import load_digits

    digits = load_digits()
    order = np.random.default_rng(0).permutation(len(digits.target))
    x = (digits.data[order] / 16.0).astype(np.float32)
    y = digits.target[order].astype(np.int64)
    b = ag.current_backend()
    x, y = ag.asarray(x, backend=b), ag.asarray(y, backend=b)
    return x[:N_TRAIN, :], y[:N_TRAIN], x[N_TRAIN:, :], y[N_TRAIN:]


def cross_entropy(logits, labels, n_classes):
    """Mean softmax cross-entropy: logsumexp (shifted by the row maximum) minus the
    logit of the true class."""
    shift = ag.max(logits, axis=1, keepdims=True).detach()
    z = logits - shift
    log_norm = ag.log(ag.sum(ag.exp(z), axis=1))
    one_hot = ag.astype(labels[:, None] == ag.arange(n_classes)[None, :], z.dtype)
    return ag.mean(log_norm - ag.sum(one_hot * z, axis=1))


def accuracy(logits, labels) -> float:
    hits = ag.argmax(logits, axis=1) == labels
    return float(ag.mean(ag.astype(hits, ag.float32)))


def linear(n_in, n_out):
    """A layer's parameters: a weight (scaled normal, as LeCun's initialisation) and a
    zero bias, float32, requiring grad."""
    w = ag.randn(n_in, n_out, dtype=ag.float32) * (1.0 / n_in) ** 0.5
    return w.requires_grad_(True), ag.zeros(n_out, dtype=ag.float32, requires_grad=True)
