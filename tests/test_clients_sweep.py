"""The client sweep's machinery (``python -m conformance.clients``) on a few calls: the
population has an argument recipe for every call, a worker process classifies a SciPy
special function, a SciPy statistic, a scikit-learn estimator and a metric, and the
classifier itself tells a refusal, a silent graph cut and a wrong forward apart."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("scipy")
pytest.importorskip("sklearn")

from conformance.clients import check, libraries, population, report, sweep  # noqa: E402
from conformance.clients.population import Call, R  # noqa: E402

KNOWN_GOOD = ("scipy.special.logsumexp", "scipy.stats.zscore")
NAMES = KNOWN_GOOD + ("sklearn.StandardScaler()", "sklearn.metrics.r2_score")


@pytest.fixture(scope="module")
def everything():
    return population.population()


def test_every_call_has_arguments(everything):
    assert len(everything) > 500
    assert [c.name for c in everything if c.harness] == []
    assert len({c.name for c in everything}) == len(everything)


def test_sweep_on_a_few_calls(everything):
    calls = [c for c in everything if c.name in NAMES]
    assert sorted(c.name for c in calls) == sorted(NAMES)
    results = sweep.run(calls, ["arraygrad"], timeout=60)
    for c in calls:
        assert results[c.name]["reference"]["status"] == "ok", results[c.name]
        assert results[c.name]["arraygrad"]["status"] in check.STATUSES, results[c.name]
    for name in KNOWN_GOOD:
        assert results[name]["arraygrad"]["status"] == "pass", results[name]
    text = report.render(calls, results, ["arraygrad"], {}, 0.0)
    assert "| total" in text and "scipy.special" in text and "sklearn.metrics" in text


def _classify(fn, *inputs):
    call = Call("synthetic", "synthetic", None, R(lambda f, L, *x: fn(L, *x), *inputs))
    NP, AG = libraries.make("numpy"), libraries.make("arraygrad")
    return check.run_library(call, AG, check.reference(call, NP))


def test_classifier_tells_the_outcomes_apart():
    assert _classify(lambda L, x: L.xp.sum(x * x), "r4").status == "pass"
    # Converting to NumPy: arraygrad refuses.
    refused = _classify(lambda L, x: np.sum(np.asarray(x)), "r4")
    assert refused.status == "refused" and "detach()" in refused.detail
    # A silent graph cut: the forward is right, the gradient missing.
    cut = _classify(lambda L, x: x * 0.0 + L.const(np.asarray(x.tolist()) if L.name != "numpy"
                                                   else x) ** 2, "r4")
    assert cut.status == "wrong"
    # A forward that differs from NumPy's.
    off = _classify(lambda L, x: x * (1.0 if L.name == "numpy" else 1.001), "r4")
    assert off.status == "wrong forward"
    # Constant in the input: no gradient, and finite differences agree it is zero.
    const = _classify(lambda L, x: L.xp.sign(x), "r4")
    assert const.status == "pass"
