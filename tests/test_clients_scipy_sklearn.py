"""SciPy and scikit-learn calls, run on arraygrad tensors, that once gave wrong values
or failed (issue 11): each forward must equal the same call on NumPy arrays, and each
gradient central finite differences of that NumPy call.

* ``sklearn.mixture.GaussianMixture(init_params="random")`` (array_api_dispatch=True)
  adds ``reg_covar`` through ``_add_to_diagonal(covariances[k, :, :], …)``, a write
  into a view; arraygrad dropped it until basic indexing gave views (ops/indexing.py).
* ``scipy.stats.spearmanrho``: its pearsonr writes ``xpx.at(r, mask).set(nan)`` into a
  0-d result, which the NumPy backend holds as a NumPy scalar, with no item
  assignment; arraygrad's setitem now writes such data through a 0-d copy.
* ``scipy.signal.minimum_phase`` takes ``h.real``: ``Tensor.real`` is an attribute.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose

import arraygrad as ag
from gradcheck_utils import host, to_tensor

pytest.importorskip("scipy")
sklearn = pytest.importorskip("sklearn")

import scipy.signal  # noqa: E402
import scipy.stats  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.mixture import GaussianMixture  # noqa: E402

from test_dropin import _finite_difference_vjp  # noqa: E402

RNG = np.random.default_rng(11)


# -- sklearn.mixture.GaussianMixture ---------------------------------------------------

@pytest.mark.parametrize("n_components", [2, 3])
@pytest.mark.parametrize("max_iter", [1, 5])
def test_gaussian_mixture_matches_numpy(numpy_backend, n_components, max_iter):
    """Before basic indexing gave views, the covariances lacked ``reg_covar`` on their
    diagonal (1e-6), and every fitted value was off from NumPy's by ~1e-7..1e-5."""
    X = np.concatenate([RNG.normal(0.0, 1.0, (30, 2)), RNG.normal(3.0, 1.0, (30, 2))])

    def fit(data):
        model = GaussianMixture(n_components=n_components, init_params="random",
                                max_iter=max_iter, random_state=0)
        with sklearn.config_context(array_api_dispatch=True), warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(data)
            return model, model.score_samples(data)

    expected, expected_scores = fit(X)
    model, scores = fit(to_tensor(X))
    for name in ("means_", "covariances_", "weights_", "precisions_cholesky_"):
        got = getattr(model, name)
        assert isinstance(got, ag.Tensor), name
        assert_allclose(host(got), getattr(expected, name), rtol=1e-10, atol=1e-10,
                        err_msg=name)
    assert_allclose(host(scores), expected_scores, rtol=1e-10, atol=1e-10)


# -- scipy.stats.spearmanrho -----------------------------------------------------------

SPEARMAN_X = RNG.standard_normal(8)
SPEARMAN_Y = SPEARMAN_X + RNG.standard_normal(8)


def test_spearmanrho_matches_numpy_and_has_zero_gradient(backend):
    """The ranks are piecewise constant in the data, so the gradient is zero wherever
    it is defined. The ranks come from argsort, which records nothing: the statistic
    does not require grad, as with PyTorch tensors (checked below)."""
    if backend.name == "dask":
        pytest.skip("rankdata slices by the result of a boolean mask, whose chunk sizes "
                    "Dask does not know lazily")
    expected = scipy.stats.spearmanrho(SPEARMAN_X, SPEARMAN_Y)
    x = to_tensor(SPEARMAN_X, requires_grad=True)
    res = scipy.stats.spearmanrho(x, to_tensor(SPEARMAN_Y))
    assert isinstance(res.statistic, ag.Tensor)
    assert_allclose(host(res.statistic), expected.statistic, rtol=1e-12)
    # SciPy's generic (non-NumPy) special functions give the p-value on the other
    # backends; they agree with NumPy's to ~1e-9.
    assert_allclose(host(res.pvalue), expected.pvalue, rtol=1e-12 if backend.name == "numpy"
                    else 1e-7)

    # No path from x to the statistic: its gradient is zero, as differences say.
    assert not res.statistic.requires_grad and res.statistic.grad_fn is None
    fd = _finite_difference_vjp(
        lambda v: scipy.stats.spearmanrho(v, SPEARMAN_Y).statistic, SPEARMAN_X, 1.0)
    assert not fd.any()

    torch = pytest.importorskip("torch")
    t = torch.tensor(SPEARMAN_X, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch.asarray's requires_grad note
        assert not scipy.stats.spearmanrho(t, torch.tensor(SPEARMAN_Y)).statistic.requires_grad


# -- scipy.signal.minimum_phase --------------------------------------------------------

# A symmetric (linear-phase) filter whose spectrum has no zeros: log|H| is smooth in it,
# so central differences are accurate (a windowed low-pass such as firwin(7, 0.3) has
# near-zeros in its stop band, where they are not, at any step).
FILTER = np.array([0.3, 0.5, 1.0, 0.5, 0.3])


@pytest.mark.parametrize("method", ["homomorphic", "hilbert"])
def test_minimum_phase_matches_numpy(backend, method):
    h = scipy.signal.firwin(7, 0.3)  # a low-pass the Hilbert method handles (FILTER: NaN)
    expected = scipy.signal.minimum_phase(h, method=method)
    got = scipy.signal.minimum_phase(to_tensor(h), method=method)
    assert isinstance(got, ag.Tensor)
    assert np.isfinite(expected).all()
    assert_allclose(host(got), expected, rtol=1e-10, atol=1e-12)


def test_minimum_phase_gradient_matches_finite_differences(backend):
    """The homomorphic method (SciPy's default). The Hilbert method has no gradient by
    the chain rule: it takes ``sqrt(H + ds)`` where ``ds = -min(H)``, so the smallest
    element is sqrt of an exact zero, whose derivative (infinite) meets the zero
    derivative of ``H[argmin] - min(H)``: NaN, in any autodiff (PyTorch refuses the
    call earlier, as it writes ``H += 1e-10`` into the saved result of sqrt)."""
    if backend.name == "dask":
        pytest.skip("the gradient of h_temp[h_temp > 0] scatters into a boolean mask, "
                    "whose chunk sizes Dask does not know lazily")
    x = to_tensor(FILTER, requires_grad=True)
    out = scipy.signal.minimum_phase(x)
    assert out.grad_fn is not None
    w = np.random.default_rng(0).standard_normal(out.shape)
    (out * to_tensor(w)).sum().backward()
    expected = _finite_difference_vjp(scipy.signal.minimum_phase, FILTER, w)
    assert_allclose(host(x.grad), expected, rtol=1e-5, atol=1e-6)
