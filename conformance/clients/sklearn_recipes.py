"""Arguments for the scikit-learn calls: estimators and array-API metrics.

Estimators: X is 24 x 3 standard normal (differentiated), y three balanced classes
(0, 1, 2) for classifiers and positive floats for regressors (both constants). The
differentiated output is the first of ``fit_transform``, ``transform``,
``predict_proba``, ``decision_function``, ``score_samples``, ``predict`` that the
estimator has; the fit and the method run on the same tensor X, so the gradient flows
through the fit. A fresh clone is fitted each time, with ``random_state=0`` where the
estimator takes one. ``KernelCenterer`` gets a square 8 x 8 kernel, ``LabelEncoder``
the class labels (it takes no float input).

Metrics, by the check scikit-learn's own tests run them with: label metrics get binary
labels (constants) and differentiated positive ``sample_weight``; score metrics
(``roc_curve``, ``average_precision_score``, ...) differentiate ``y_score``; the
probability metrics ``y_proba`` in (0.1, 0.9); regression metrics ``y_true`` and
``y_pred``, both positive (the deviances and log errors need it) and both
differentiated; pairwise metrics X (5 x 3) and Y (4 x 3), positive.
"""
from __future__ import annotations

import functools

import numpy as np

from .population import R, Recipe, harness

Y_CLASSES = np.repeat(np.arange(3), 8)
Y_TRUE_BIN = np.array([0, 1] * 10)
Y_PRED_BIN = np.array([0, 1, 1, 0, 1, 1, 0, 0, 1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 1])
Y_REG = np.random.default_rng(7).uniform(0.5, 3.0, 24)

METHODS = ("fit_transform", "transform", "predict_proba", "decision_function",
           "score_samples", "predict")

LABEL_METRICS = {"accuracy_score", "balanced_accuracy_score", "cohen_kappa_score",
                 "confusion_matrix", "f1_score", "fbeta_score", "jaccard_score",
                 "multilabel_confusion_matrix", "precision_score", "recall_score",
                 "zero_one_loss", "hamming_loss"}
SCORE_METRICS = {"average_precision_score", "det_curve", "precision_recall_curve",
                 "roc_curve"}
PROBA_METRICS = {"brier_score_loss", "log_loss", "d2_brier_score", "d2_log_loss_score"}
PAIRWISE = {"cosine_similarity", "paired_cosine_distances", "additive_chi2_kernel",
            "chi2_kernel", "paired_euclidean_distances", "paired_manhattan_distances",
            "cosine_distances", "euclidean_distances", "manhattan_distances",
            "linear_kernel", "laplacian_kernel", "polynomial_kernel", "rbf_kernel",
            "sigmoid_kernel", "pairwise_kernels", "pairwise_distances",
            "pairwise_distances_argmin"}
PAIRED = {"paired_cosine_distances", "paired_euclidean_distances",
          "paired_manhattan_distances"}


def _method(est) -> str | None:
    for m in METHODS:
        if hasattr(est, m):
            return m
    return None


def estimator_recipe(est) -> Recipe:
    from sklearn.base import clone, is_classifier, is_regressor
    name = type(est).__name__
    if name == "LabelEncoder":
        return R(lambda e, L: clone(e).fit_transform(L.const(Y_CLASSES)),
                 note="labels only: no float input")
    method = _method(est)
    if method is None:
        return harness(f"{name} has none of {', '.join(METHODS)}")
    classifier, regressor = is_classifier(est), is_regressor(est)

    def fn(e, L, X):
        e = clone(e)
        if "random_state" in e.get_params() and e.get_params()["random_state"] is None:
            e.set_params(random_state=0)
        y = (L.const(Y_CLASSES) if classifier else
             L.const(Y_REG[:X.shape[0]]) if regressor else None)
        if method == "fit_transform":
            return e.fit_transform(X, y) if y is not None else e.fit_transform(X)
        e.fit(X, y) if y is not None else e.fit(X)
        return getattr(e, method)(X)
    if name == "KernelCenterer":
        rng = np.random.default_rng(3)
        A = rng.standard_normal((8, 3))
        return R(fn, A @ A.T, note=f"{method} of an 8 x 8 linear kernel")
    return R(fn, "r24x3", note=method)


def _metric_base(m):
    return m.func.__name__ if isinstance(m, functools.partial) else m.__name__


def metric_recipe(m) -> Recipe:
    base = _metric_base(m)
    if base in LABEL_METRICS:
        extra = {"beta": 0.5} if base == "fbeta_score" else {}

        def fn(f, L, w):
            return f(L.const(Y_TRUE_BIN), L.const(Y_PRED_BIN), sample_weight=w, **extra)
        return R(fn, "p20", note="binary labels; sample_weight differentiated")
    if base in SCORE_METRICS:
        return R(lambda f, L, s: f(L.const(Y_TRUE_BIN), s), "r20",
                 note="binary labels; y_score differentiated")
    if base in PROBA_METRICS:
        return R(lambda f, L, p: f(L.const(Y_TRUE_BIN), p), "u20",
                 note="binary labels; y_proba differentiated")
    if base in PAIRWISE:
        shape_y = "p5x3" if base in PAIRED else "p4x3"
        return R(lambda f, L, x, y: f(x, y), "p5x3", shape_y)
    # regression metrics
    return R(lambda f, L, t, p: f(t, p), "p20", "p20")


def fallback_metrics() -> list:
    """scikit-learn 1.9's ``array_api_metric_checkers`` keys, for an installation
    without its tests."""
    import sklearn.metrics as M
    import sklearn.metrics.pairwise as P
    names = ["accuracy_score", "average_precision_score", "balanced_accuracy_score",
             "cohen_kappa_score", "confusion_matrix", "det_curve", "f1_score",
             "fbeta_score", "jaccard_score", "multilabel_confusion_matrix",
             "precision_score", "precision_recall_curve", "recall_score", "zero_one_loss",
             "hamming_loss", "brier_score_loss", "log_loss", "d2_brier_score",
             "d2_log_loss_score", "mean_tweedie_deviance", ("mean_tweedie_deviance", -0.5),
             ("mean_tweedie_deviance", 1.5), "r2_score", "cosine_similarity",
             "explained_variance_score", "mean_absolute_error", "mean_pinball_loss",
             "mean_squared_error", "mean_squared_log_error", "median_absolute_error",
             "d2_absolute_error_score", "d2_pinball_score", ("d2_pinball_score", 0.1),
             ("d2_pinball_score", 0.9), "d2_tweedie_score", "paired_cosine_distances",
             "mean_poisson_deviance", "additive_chi2_kernel", "mean_gamma_deviance",
             "max_error", "mean_absolute_percentage_error", "chi2_kernel",
             "paired_euclidean_distances", "paired_manhattan_distances", "cosine_distances",
             "euclidean_distances", "manhattan_distances", "linear_kernel",
             "laplacian_kernel", "polynomial_kernel", "rbf_kernel",
             "root_mean_squared_error", "root_mean_squared_log_error", "sigmoid_kernel",
             "pairwise_kernels", "roc_curve", "pairwise_distances",
             "pairwise_distances_argmin"]
    found = []
    for n in names:
        if isinstance(n, tuple):
            fname, value = n
            kw = "power" if fname == "mean_tweedie_deviance" else "alpha"
            found.append(functools.partial(getattr(M, fname), **{kw: value}))
        else:
            found.append(getattr(M, n, None) or getattr(P, n))
    return found
