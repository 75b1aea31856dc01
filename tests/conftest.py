"""The cross-backend test matrix: every test that takes the ``backend`` fixture runs
once per backend profile, and is skipped, with the reason, where that backend cannot
be used here (not installed, or no GPU for CuPy)."""
from __future__ import annotations

import gc
import os
import zlib
from collections import Counter, defaultdict

# SciPy reads this once, at import: its array-API dispatch must be on before any test
# imports it (tests/test_dropin.py).
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import pytest  # noqa: E402

import arraygrad  # noqa: E402
from arraygrad.backend import BackendUnavailable, available_names, get_backend


def _enable_jax_float64() -> None:
    """Gradients are checked in float64, which JAX gives only when asked first."""
    try:
        import jax
    except ImportError:
        return
    jax.config.update("jax_enable_x64", True)


_enable_jax_float64()


def _usable() -> dict[str, str | None]:
    """Backend name -> None if usable here, else why not."""
    status = {}
    for name in available_names():
        try:
            get_backend(name)
            status[name] = None
        except BackendUnavailable as exc:
            status[name] = str(exc)
    return status


BACKENDS = _usable()


# The default run takes 1 in N of a test's parametrized cases on these backends, where
# each call costs milliseconds of dispatch, compilation or graph building: measured on
# 2 cores, the JAX cases took 64% and the Dask cases 18% of the suite's test time. Every
# differentiable function is still checked on them by ``python -m conformance``;
# ``--every-case`` runs all cases. JAX went from 1 in 8 to 1 in 12 when CI's run of the
# README's test command reached 572 s, too near its 10-minute budget.
SAMPLED = {"jax": 12, "dask": 3}


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False,
                     help="also run the long sweeps marked slow")
    parser.addoption("--every-case", action="store_true", default=False,
                     help="run every parametrized case on JAX and Dask (the default run "
                          "takes a fixed sample: tests/conftest.py SAMPLED)")


def pytest_collection_modifyitems(config, items):
    """Tests marked ``slow`` run only with ``--runslow`` (or when ``-m`` names them);
    on the backends in ``SAMPLED``, a test's cases are sampled unless ``--every-case``."""
    if not (config.getoption("--runslow") or "slow" in (config.option.markexpr or "")):
        skip = pytest.mark.skip(reason="long sweep: run with --runslow")
        for item in items:
            if "slow" in item.keywords:
                item.add_marker(skip)
    if not config.getoption("--every-case"):
        _sample_cases(items)


def _sample_cases(items):
    """Skip all but 1 in N of each test function's cases on a backend of ``SAMPLED``,
    chosen by a hash of the case's id (the same cases on every run and machine), and
    never all of them: a test with few cases keeps its first."""
    cases = defaultdict(list)
    for item in items:
        name = getattr(item, "callspec", None) and item.callspec.params.get("backend")
        if name in SAMPLED:
            cases[item.module.__name__, item.originalname, name].append(item)
    for (_, _, name), group in cases.items():
        n = SAMPLED[name]
        kept = {i.nodeid for i in group if zlib.crc32(i.nodeid.encode()) % n == 0} \
            or {group[0].nodeid}
        skip = pytest.mark.skip(reason=f"{name}: 1 in {n} cases of a parametrized test "
                                       "in the default run (--every-case runs all)")
        for item in group:
            if item.nodeid not in kept:
                item.add_marker(skip)


def pytest_report_header(config):
    lines = ["arraygrad backends:"]
    for name, why in BACKENDS.items():
        lines.append(f"  {name}: {'tested' if why is None else 'skipped: ' + why}")
    return lines


def pytest_terminal_summary(terminalreporter):
    """Why tests were skipped: one line per distinct reason, with its count, over the
    whole run. pytest's ``-rs`` gives a line per test location instead: one missing
    backend alone (the fixture below) would fill hundreds of lines."""
    skipped = terminalreporter.stats.get("skipped", [])
    if not skipped:
        return
    # A skip's longrepr is (path, line, "Skipped: reason").
    reasons = Counter(r.longrepr[2].removeprefix("Skipped: ") for r in skipped)
    terminalreporter.section(f"{len(skipped)} skipped, by reason", sep="-")
    for reason, n in reasons.most_common():
        terminalreporter.write_line(f"{n:5d}  {reason}")


@pytest.fixture(params=list(BACKENDS))
def backend(request):
    """Each backend in turn, made current for the test."""
    why = BACKENDS[request.param]
    if why is not None:
        pytest.skip(f"backend {request.param} unavailable: {why}")
    with arraygrad.use_backend(request.param) as b:
        yield b


@pytest.fixture
def numpy_backend():
    """The NumPy backend, whatever ARRAYGRAD_BACKEND says."""
    with arraygrad.use_backend("numpy") as b:
        yield b


@pytest.fixture
def no_gc():
    """The cycle collector off: what is freed is freed by reference counting alone."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
