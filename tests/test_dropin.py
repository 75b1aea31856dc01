"""Drop-in proof: functions written against the Array API standard by other projects
run unchanged on arraygrad tensors and give the gradients of finite differences.

Each client function is called twice: on arraygrad tensors (for the gradient), and on
plain NumPy arrays in float64 (for central finite differences of the same function).
Several of them write in place (``scale[scale == 0] = 1``, ``out -= max``), which
PyTorch's autograd refuses; arraygrad must differentiate them correctly.
"""
from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

import arraygrad as ag
from arraygrad.autograd._numerical import jacobian_columns

xpx = pytest.importorskip("array_api_extra")
pytest.importorskip("scipy")
sklearn = pytest.importorskip("sklearn")

import scipy  # noqa: E402
import scipy.cluster.vq  # noqa: E402
import scipy.integrate  # noqa: E402
import scipy.signal  # noqa: E402
import scipy.special  # noqa: E402
import scipy.stats  # noqa: E402
from sklearn.metrics.pairwise import euclidean_distances, rbf_kernel  # noqa: E402
from sklearn.preprocessing import MinMaxScaler, Normalizer, StandardScaler  # noqa: E402

RNG = np.random.default_rng(1234)
X = RNG.standard_normal((5, 3))
WEIGHTS = {}  # a fixed random cotangent per output shape


def _weights(shape):
    if shape not in WEIGHTS:
        WEIGHTS[shape] = np.random.default_rng(len(WEIGHTS)).standard_normal(shape)
    return WEIGHTS[shape]


def _sklearn(fn):
    def call(x):
        with sklearn.config_context(array_api_dispatch=True):
            return fn(x)
    return call


CLIENTS = {
    # array-api-extra
    "xpx.cov": lambda x: xpx.cov(x),
    "xpx.sinc": lambda x: xpx.sinc(x),
    "xpx.kron": lambda x: xpx.kron(x, x[:2, :2]),
    "xpx.pad": lambda x: xpx.pad(x, 2),
    "xpx.create_diagonal": lambda x: xpx.create_diagonal(x[0, :]),
    "xpx.apply_where": lambda x: xpx.apply_where(x > 0, x, lambda v: v ** 3, fill_value=0.5),
    "xpx.at.set": lambda x: xpx.at(x * 1.0)[1:3, 0].set(7.0),
    "xpx.at.add": lambda x: xpx.at(x * 1.0)[0, :].add(x[1, :]),
    # scipy, SCIPY_ARRAY_API=1
    "scipy.special.logsumexp": lambda x: scipy.special.logsumexp(x, axis=1),
    "scipy.special.softmax": lambda x: scipy.special.softmax(x, axis=0),
    "scipy.special.log_softmax": lambda x: scipy.special.log_softmax(x, axis=1),
    "scipy.stats.zscore": lambda x: scipy.stats.zscore(x, axis=0),
    "scipy.stats.skew": lambda x: scipy.stats.skew(x, axis=0),
    "scipy.integrate.trapezoid": lambda x: scipy.integrate.trapezoid(x, axis=0),
    "scipy.cluster.vq.whiten": lambda x: scipy.cluster.vq.whiten(x),
    # scikit-learn, array_api_dispatch=True
    "sklearn.StandardScaler": _sklearn(lambda x: StandardScaler().fit_transform(x)),
    "sklearn.MinMaxScaler": _sklearn(lambda x: MinMaxScaler().fit_transform(x)),
    "sklearn.Normalizer": _sklearn(lambda x: Normalizer().fit_transform(x)),
    "sklearn.rbf_kernel": _sklearn(lambda x: rbf_kernel(x, gamma=0.4)),
    "sklearn.euclidean_distances": _sklearn(lambda x: euclidean_distances(x, x[:2, :] + 1.0)),
}

# Backends whose namespace gaps keep a client from running, with the reason.
GAPS = {
    ("dask", "sklearn.StandardScaler"): "scikit-learn indexes with a boolean mask, whose "
                                        "result Dask cannot broadcast lazily (unknown "
                                        "chunk sizes)",
    ("dask", "xpx.apply_where"): "apply_where indexes with a boolean mask: the result has "
                                 "unknown chunk sizes, which Dask cannot broadcast lazily",
}


def _finite_difference_vjp(fn, x, w, eps=1e-6):
    """<w, fn(x)>'s gradient by central differences, element by element (the shared
    implementation: arraygrad.autograd._numerical)."""
    loss = lambda m: float(np.sum(w * np.asarray(fn(m.numpy()), dtype=np.float64)))
    columns = jacobian_columns(loss, ag.asarray(x), eps)
    return np.asarray([d for d, _ in columns]).reshape(x.shape)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name", list(CLIENTS))
def test_client_gradient_matches_finite_differences(backend, name):
    if (backend.name, name) in GAPS:
        pytest.skip(GAPS[backend.name, name])
    fn = CLIENTS[name]
    x = ag.asarray(X.tolist(), dtype=ag.float64, requires_grad=True)
    out = fn(x)
    assert isinstance(out, ag.Tensor), f"{name} returned {type(out).__name__}"
    assert out.grad_fn is not None
    w = _weights(out.shape)
    (out * ag.asarray(w.tolist(), dtype=ag.float64)).sum().backward()
    expected = _finite_difference_vjp(fn, X, w)
    assert_allclose(x.grad.numpy(), expected, rtol=1e-5, atol=1e-6)


# SciPy's statistical tests built on special functions (ndtr, chdtrc, gammaincc, …):
# each takes a 1-d sample of 30 (split where it wants several) and returns its p-value
# or statistic.
SAMPLE = RNG.standard_normal(30)
STATS_CLIENTS = {
    "skewtest": lambda x: scipy.stats.skewtest(x).pvalue,
    "kurtosistest": lambda x: scipy.stats.kurtosistest(x).pvalue,
    "normaltest": lambda x: scipy.stats.normaltest(x).pvalue,
    "jarque_bera": lambda x: scipy.stats.jarque_bera(x).pvalue,
    "alexandergovern": lambda x: scipy.stats.alexandergovern(x[:10], x[10:20] + 1,
                                                             x[20:]).pvalue,
    "power_divergence": lambda x: scipy.stats.power_divergence(
        10 + x[:6], lambda_="log-likelihood").pvalue,
    "chisquare": lambda x: scipy.stats.chisquare(10 + x[:6]).pvalue,
    "combine_pvalues": lambda x: scipy.stats.combine_pvalues(0.01 + (0.1 * x[:5]) ** 2).pvalue,
    "epps_singleton_2samp": lambda x: scipy.stats.epps_singleton_2samp(x[:15], x[15:]).pvalue,
    "bartlett": lambda x: scipy.stats.bartlett(x[:10], 2 * x[10:20], x[20:]).pvalue,
    "signal.minimum_phase": lambda x: scipy.signal.minimum_phase(x[:9]),
}
_UNKNOWN_CHUNKS = ("indexes with a boolean mask, whose result has unknown chunk sizes, "
                   "which Dask cannot broadcast or assign into lazily")
STATS_GAPS = {
    ("dask", "alexandergovern"): "SciPy's variance " + _UNKNOWN_CHUNKS,
    ("dask", "signal.minimum_phase"): "the backward of its x[mask] " + _UNKNOWN_CHUNKS,
    ("dask", "epps_singleton_2samp"): "SciPy's pseudo-inverse takes the SVD of a Dask array "
                                      "chunked along both axes, which Dask refuses",
}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name", list(STATS_CLIENTS))
def test_scipy_statistics_on_special_functions(backend, name):
    """Forward equal to SciPy's on NumPy, gradient equal to finite differences."""
    if (backend.name, name) in STATS_GAPS:
        pytest.skip(STATS_GAPS[backend.name, name])
    fn = STATS_CLIENTS[name]
    x = ag.asarray(SAMPLE.tolist(), dtype=ag.float64, requires_grad=True)
    out = fn(x)
    assert isinstance(out, ag.Tensor) and out.grad_fn is not None
    assert_allclose(np.asarray(out.detach().numpy()), fn(SAMPLE), rtol=1e-10, atol=1e-14)
    w = _weights(tuple(out.shape))
    (out * ag.asarray(w.tolist(), dtype=ag.float64)).sum().backward()
    assert_allclose(x.grad.numpy(), _finite_difference_vjp(fn, SAMPLE, w), rtol=1e-5, atol=1e-8)


def test_numpy_round_trip_is_refused_not_silently_cut():
    """A library that converts to NumPy internally gets a clear error instead of
    gradients that are silently zero."""
    x = ag.asarray(X.tolist(), dtype=ag.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"detach\(\)"):
        np.linalg.norm(x)  # NumPy's own function, not the standard's: converts with __array__
    import scipy.ndimage
    with pytest.raises(RuntimeError, match=r"detach\(\)"):
        scipy.ndimage.gaussian_filter(x, 1.0)  # SciPy runs ndimage on NumPy


def test_example_runs_and_matches_finite_differences():
    from examples import dropin_logsumexp  # noqa: F401  (runs its self-check on import)
