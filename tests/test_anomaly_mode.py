"""Anomaly mode names the first backward function that returns NaN or infinity and
shows the forward line that recorded it; while off it costs nothing, even lazily."""
from __future__ import annotations

import math

import numpy as np
import pytest

import arraygrad as ag
from arraygrad.autograd import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from gradcheck_utils import host, leaf


class BadBackward(ag.autograd.Function):
    """The identity, with a backward that returns NaN (PyTorch's own example)."""

    @staticmethod
    def forward(ctx, x):
        return x * 1.0

    @staticmethod
    def backward(ctx, grad):
        return grad * math.nan


def test_names_the_function_and_shows_the_forward_line(backend):
    x = leaf([1.0, 2.0])
    with detect_anomaly():
        y = ag.sum(ag.exp(BadBackward.apply(x)))  # the forward line to report
        with pytest.raises(RuntimeError) as info:
            y.backward()
    message = str(info.value)
    assert message.startswith("Function 'BadBackwardBackward' returned nan values in its "
                              "0th output.")
    assert "Traceback of forward call that caused the error:" in message
    assert "y = ag.sum(ag.exp(BadBackward.apply(x)))  # the forward line to report" in message
    assert __file__ in message
    assert "arraygrad/ops" not in message  # only the user's frames


def test_infinity_is_reported_too():
    x = leaf([0.0, 4.0])
    with detect_anomaly():
        y = ag.sum(ag.sqrt(x))
        with pytest.raises(RuntimeError, match="'SqrtBackward0' returned inf values in its "
                                               "0th output"):
            with np.errstate(divide="ignore"):
                y.backward()


def test_the_first_bad_node_in_backward_order_is_named():
    x = leaf([-1.0, 2.0])
    with detect_anomaly(), np.errstate(invalid="ignore"):
        y = ag.sum(ag.exp(ag.log(x) * 2.0))  # log(-1) is NaN already in forward
        # backward meets exp first: its gradient is g * exp(NaN)
        with pytest.raises(RuntimeError, match="^Function 'ExpBackward0' returned nan"):
            y.backward()


def test_off_by_default_and_gradients_may_then_hold_nan():
    assert not is_anomaly_enabled()
    x = leaf([1.0, 2.0])
    ag.sum(BadBackward.apply(x)).backward()
    assert np.isnan(host(x.grad)).all()


def test_set_detect_anomaly_and_the_decorator():
    set_detect_anomaly(True)
    try:
        assert is_anomaly_enabled()
    finally:
        set_detect_anomaly(False)
    assert not is_anomaly_enabled()

    @detect_anomaly()
    def run():
        assert is_anomaly_enabled()
        ag.sum(BadBackward.apply(leaf([1.0]))).backward()

    with pytest.raises(RuntimeError, match="returned nan values"):
        run()
    assert not is_anomaly_enabled()


def test_check_nan_false_records_traces_without_checking():
    x = leaf([1.0])
    with detect_anomaly(check_nan=False):
        ag.sum(BadBackward.apply(x)).backward()
    assert np.isnan(host(x.grad)).all()


def test_other_errors_in_backward_carry_the_forward_traceback():
    class Broken(ag.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1.0

        @staticmethod
        def backward(ctx, grad):
            raise ValueError("broken backward")

    x = leaf([1.0])
    with detect_anomaly():
        y = ag.sum(Broken.apply(x))  # where Broken was applied
        with pytest.raises(ValueError, match="broken backward") as info:
            y.backward()
    notes = "\n".join(getattr(info.value, "__notes__", []))
    assert "Error detected in BrokenBackward" in notes
    assert "y = ag.sum(Broken.apply(x))  # where Broken was applied" in notes


def test_a_node_recorded_before_anomaly_mode_says_so():
    x = leaf([1.0])
    y = ag.sum(BadBackward.apply(x))
    with detect_anomaly(), pytest.raises(RuntimeError, match="recorded while anomaly mode "
                                                             "was off"):
        y.backward()


def test_double_backward_is_checked(backend):
    x = leaf([0.0, 1.0])
    with detect_anomaly():
        y = ag.sum(x ** 1.5)  # d2/dx2 = 0.75 x**-0.5: infinite at 0
        (g,) = ag.autograd.grad(y, x, create_graph=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            with pytest.raises(RuntimeError, match="returned (nan|inf) values"):
                ag.sum(g).backward()


class TestLazy:
    """On Dask: no computation at all while anomaly mode is off; with it on, one read
    per node that ran in backward."""

    @pytest.fixture
    def computes(self):
        dask = pytest.importorskip("dask")

        class Counting:
            computes = 0

            def __call__(self, dsk, keys, **kwargs):
                Counting.computes += 1
                return dask.get(dsk, keys, **kwargs)

        with ag.use_backend("dask"), dask.config.set(scheduler=Counting()):
            yield Counting

    @staticmethod
    def _loss(x):
        return ag.sum(ag.tanh(x) * ag.exp(x))  # four nodes: tanh, exp, mul, sum

    def test_off_computes_nothing(self, computes):
        x = leaf([0.5, -1.0])
        self._loss(x).backward()
        assert computes.computes == 0

    def test_on_reads_once_per_node(self, computes):
        x = leaf([0.5, -1.0])
        with detect_anomaly():
            self._loss(x).backward()
        assert computes.computes == 4
