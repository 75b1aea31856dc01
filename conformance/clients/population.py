"""What the sweep calls, and with which arguments.

The population is the code other people wrote for the array API standard:

* every SciPy function in SciPy's own capability table
  (``scipy._lib._array_api.xp_capabilities_table``, filled as SciPy's public submodules
  are imported) whose entry is not ``np_only``;
* every scikit-learn estimator that scikit-learn's own test suite runs through
  ``check_array_api_input`` with the tag ``array_api_support`` (the instances of
  ``_tested_estimators()``, with the parameters that check uses);
* scikit-learn's array-API metrics: the keys of ``array_api_metric_checkers`` in
  ``sklearn/metrics/tests/test_common.py`` (functools.partial entries included).

Each call gets a ``Recipe`` (``scipy_recipes.py``, ``sklearn_recipes.py``): a function
``fn(f, L, *x)`` that calls ``f`` on the library ``L`` with the differentiated arrays
``x``, and how to draw those arrays. Only float arrays are differentiated: integer orders,
class labels, masks and Python scalars are built inside ``fn`` with ``L.const``. Inputs
come from ``numpy.random.default_rng([0, crc32(name)])``, so a call gets the same inputs
however the sweep is filtered. A call without a recipe, or whose recipe says it cannot be
built, is kept in the population as "error (harness)".
"""
from __future__ import annotations

import importlib
import os
import sys
import zlib
from dataclasses import dataclass, field
from typing import Callable

import numpy as np


def enable_scipy_array_api() -> None:
    """SciPy reads ``SCIPY_ARRAY_API`` once, when it is first imported."""
    os.environ["SCIPY_ARRAY_API"] = "1"
    if "scipy" in sys.modules:
        from scipy._lib import _array_api
        if not _array_api.SCIPY_ARRAY_API:
            raise RuntimeError("scipy was imported before SCIPY_ARRAY_API=1 was set: run "
                               "the client sweep in a fresh process")


@dataclass
class Recipe:
    fn: Callable                      # fn(f, L, *leaves) -> output
    inputs: tuple = ()                # input specs: "r12", "p4x3", "u", or NumPy arrays
    note: str = ""                    # why the arguments are what they are
    harness: str | None = None        # set: the call could not be built, and why


def R(fn, *inputs, note=""):
    return Recipe(fn, inputs, note)


def harness(why: str) -> Recipe:
    return Recipe(None, (), harness=why)


# Input kinds: r normal; p positive (0.5..3); u in (0.1, 0.9); s in (-0.9, 0.9);
# g in (1.5, 4); d degrees (10..80); i increasing (cumulative sums of 0.5..1.5).
_KINDS = {
    "r": lambda rng, shape: rng.standard_normal(shape),
    "p": lambda rng, shape: rng.uniform(0.5, 3.0, shape),
    "u": lambda rng, shape: rng.uniform(0.1, 0.9, shape),
    "s": lambda rng, shape: rng.uniform(-0.9, 0.9, shape),
    "g": lambda rng, shape: rng.uniform(1.5, 4.0, shape),
    "d": lambda rng, shape: rng.uniform(10.0, 80.0, shape),
    "i": lambda rng, shape: np.cumsum(rng.uniform(0.5, 1.5, shape), axis=-1),
}


def draw(spec, rng) -> np.ndarray:
    """One float64 input from its spec: a kind letter and a shape (``"r12"``,
    ``"p4x3"``, ``"u"`` for 0-d), or a NumPy array taken as it is."""
    if not isinstance(spec, str):
        return np.array(spec, dtype=np.float64)
    kind, dims = spec[0], spec[1:]
    shape = tuple(int(d) for d in dims.split("x")) if dims else ()
    return np.asarray(_KINDS[kind](rng, shape), dtype=np.float64)


@dataclass
class Call:
    name: str                         # public name, e.g. scipy.stats.zscore
    group: str                        # row of the table, e.g. scipy.stats
    f: object                         # the table's function / estimator / metric
    recipe: Recipe | None
    meta: dict = field(default_factory=dict)

    @property
    def harness(self) -> str | None:
        if self.recipe is None:
            return "no argument recipe for this call"
        return self.recipe.harness

    def inputs(self) -> list[np.ndarray]:
        rng = np.random.default_rng([0, zlib.crc32(self.name.encode())])
        return [draw(spec, rng) for spec in self.recipe.inputs]

    def run(self, L, leaves):
        return self.recipe.fn(self.f, L, *leaves)


# -- SciPy ------------------------------------------------------------------------------

SCIPY_SUBMODULES = ("cluster", "constants", "differentiate", "fft", "integrate",
                    "interpolate", "io", "linalg", "ndimage", "optimize", "signal",
                    "sparse", "spatial", "special", "stats")


def scipy_table() -> dict:
    """SciPy's capability table, complete: entries are added as the modules holding the
    decorated functions are imported, so import every public submodule first."""
    enable_scipy_array_api()
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for sub in SCIPY_SUBMODULES:
            try:
                importlib.import_module(f"scipy.{sub}")
            except ImportError:
                pass
    from scipy._lib._array_api import xp_capabilities_table
    return xp_capabilities_table


def _public_name(f) -> str:
    module = ".".join(p for p in f.__module__.split(".") if not p.startswith("_"))
    return f"{module}.{getattr(f, '__qualname__', f.__name__)}"


def _scipy_group(name: str) -> str:
    return ".".join(name.split(".")[:2])


def scipy_calls() -> list[Call]:
    from . import scipy_recipes
    recipes = scipy_recipes.recipes()
    calls, names = [], set()
    for f, caps in scipy_table().items():
        if caps.get("np_only") or caps.get("out_of_scope"):
            continue
        name = _public_name(f)
        if name in names:
            # The same name twice: scipy.signal's wrapper of a scipy.signal.windows function.
            name = f"scipy.{f.__module__.split('.')[1]}.{f.__name__}"
        names.add(name)
        calls.append(Call(name, _scipy_group(name), f, recipes.get(name),
                          {"cpu_only": bool(caps.get("cpu_only"))}))
    return calls


# -- scikit-learn ------------------------------------------------------------------------

def sklearn_estimators() -> list:
    """The estimator instances scikit-learn's test suite checks with array-API inputs."""
    import warnings
    from sklearn.utils._test_common.instance_generator import (
        _tested_estimators, _yield_instances_for_check)
    from sklearn.utils.estimator_checks import check_array_api_input
    found = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for est in _tested_estimators():
            for inst in _yield_instances_for_check(check_array_api_input, est):
                try:
                    if inst.__sklearn_tags__().array_api_support:
                        found.append(inst)
                except Exception:
                    pass
    return found


def sklearn_metrics() -> list:
    """The keys of scikit-learn's ``array_api_metric_checkers``."""
    import warnings
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from sklearn.metrics.tests.test_common import array_api_metric_checkers
        return list(array_api_metric_checkers)
    except Exception:   # the tests are not installed, or need pytest
        from . import sklearn_recipes
        return sklearn_recipes.fallback_metrics()


def _estimator_name(est) -> str:
    import sklearn
    with sklearn.config_context(print_changed_only=True):
        text = " ".join(repr(est).split())
    return "sklearn." + text.replace("( ", "(").replace(" )", ")")


def _metric_name(m) -> str:
    import functools
    if isinstance(m, functools.partial):
        kw = ",".join(f"{k}={v}" for k, v in m.keywords.items())
        return f"sklearn.metrics.{m.func.__name__}({kw})"
    return f"sklearn.metrics.{m.__name__}"


def sklearn_calls() -> list[Call]:
    from . import sklearn_recipes
    calls = []
    for est in sklearn_estimators():
        calls.append(Call(_estimator_name(est), "sklearn estimators", est,
                          sklearn_recipes.estimator_recipe(est)))
    for m in sklearn_metrics():
        name = _metric_name(m)
        calls.append(Call(name, "sklearn.metrics", m, sklearn_recipes.metric_recipe(m)))
    return calls


def population(only: str | None = None) -> list[Call]:
    """Every call, in table order; ``only``: comma-separated substrings of names."""
    enable_scipy_array_api()
    calls = scipy_calls() + sklearn_calls()
    if only:
        pats = [p.strip() for p in only.split(",") if p.strip()]
        calls = [c for c in calls if any(p in c.name for p in pats)]
    return calls
