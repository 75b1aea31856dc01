"""The cross-backend test matrix: every test that takes the ``backend`` fixture runs
once per backend profile, and is skipped, with the reason, where that backend cannot
be used here (not installed, or no GPU for CuPy)."""
from __future__ import annotations

import gc
import os

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
