"""The cross-backend test matrix: every test that takes the ``backend`` fixture runs
once per backend profile, and is skipped, with the reason, where that backend cannot
be used here (not installed, or no GPU for CuPy)."""
from __future__ import annotations

import gc
import os
from collections import Counter

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


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False,
                     help="also run the long sweeps marked slow")


def pytest_collection_modifyitems(config, items):
    """Tests marked ``slow`` run only with ``--runslow`` (or when ``-m`` names them)."""
    if config.getoption("--runslow") or "slow" in (config.option.markexpr or ""):
        return
    skip = pytest.mark.skip(reason="long sweep: run with --runslow")
    for item in items:
        if "slow" in item.keywords:
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
