"""Graph-break detection: while it is on, a tensor that requires grad turned into a
Python value (``float(t)``, ``t.item()``, ...) during recording raises or warns, naming
the conversion and the first line outside arraygrad that made it. Nothing else
triggers it, and it is off by default."""
from __future__ import annotations

import math
import operator
import warnings

import pytest

import arraygrad as ag
from arraygrad.autograd import (GraphBreakError, GraphBreakWarning, detect_graph_breaks,
                                is_graph_break_detection_enabled, set_detect_graph_breaks)


def convert(conversion, t):
    return conversion(t)  # the user's line: every report must point here


CONVERT_LINE = convert.__code__.co_firstlineno + 1


def real_scalar(requires_grad=True):
    return ag.asarray(0.5, dtype=ag.float64, requires_grad=requires_grad)


def complex_scalar(requires_grad=True):
    return ag.asarray(0.5 + 1j, dtype=ag.complex128, requires_grad=requires_grad)


def vector(requires_grad=True):
    return ag.asarray([0.5, 1.5], dtype=ag.float64, requires_grad=requires_grad)


# The conversions are C callables, so the first Python frame outside arraygrad is
# ``convert`` itself.
CONVERSIONS = {
    "float(tensor)": (float, real_scalar, 0.5),
    "int(tensor)": (int, real_scalar, 0),
    "bool(tensor)": (bool, real_scalar, True),
    "complex(tensor)": (complex, complex_scalar, 0.5 + 1j),
    "tensor.item()": (operator.methodcaller("item"), real_scalar, 0.5),
    "tensor.tolist()": (operator.methodcaller("tolist"), vector, [0.5, 1.5]),
}
# No ``operator.index(tensor)``: it takes only an integer tensor, and an integer tensor
# never requires grad (a cast to int64 cuts the graph, as in PyTorch), so it breaks
# no graph (tests/test_trust_gradients.py).


@pytest.fixture(autouse=True)
def detection_off_around_each_test():
    assert not is_graph_break_detection_enabled()
    yield
    assert not is_graph_break_detection_enabled()


@pytest.mark.parametrize("name", CONVERSIONS)
def test_each_conversion_raises_naming_itself_and_the_callers_line(backend, name):
    conversion, make, _ = CONVERSIONS[name]
    t = make()
    with detect_graph_breaks(), pytest.raises(GraphBreakError) as info:
        convert(conversion, t)
    message = str(info.value)
    assert message.startswith(f"{name} turns a tensor that requires grad (shape {t.shape}, "
                              f"dtype {t.dtype.name}, ")
    assert f'File "{__file__}", line {CONVERT_LINE}, in convert' in message
    assert "return conversion(t)  # the user's line" in message
    assert "the gradient along that path is silently dropped" in message


@pytest.mark.parametrize("name", CONVERSIONS)
def test_each_conversion_warns_at_the_callers_line_and_still_converts(backend, name):
    conversion, make, expected = CONVERSIONS[name]
    with detect_graph_breaks("warn"), pytest.warns(GraphBreakWarning) as record:
        value = convert(conversion, make())
    assert value == expected
    assert len(record) == 1
    assert str(record[0].message).startswith(f"{name} turns a tensor that requires grad")
    assert (record[0].filename, record[0].lineno) == (__file__, CONVERT_LINE)


def test_the_message_names_the_node_or_says_leaf():
    x = real_scalar()
    with detect_graph_breaks():
        with pytest.raises(GraphBreakError, match=r"\(shape \(\), dtype float64, a leaf\)"):
            float(x)
        with pytest.raises(GraphBreakError, match=r"grad_fn=MulBackward0\)"):
            float(x * 2.0)


@pytest.mark.parametrize("mode", ["raise", "warn"])
def test_tensors_without_grad_and_no_grad_blocks_never_trigger(backend, mode):
    with detect_graph_breaks(mode), warnings.catch_warnings():
        warnings.simplefilter("error")
        for conversion, make, expected in CONVERSIONS.values():
            assert convert(conversion, make(requires_grad=False)) == expected
            t = make()
            with ag.no_grad():
                assert convert(conversion, t) == expected
                assert convert(conversion, t * 1) == expected  # recorded nothing


def test_off_by_default_conversions_cut_silently():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for conversion, make, expected in CONVERSIONS.values():
            assert convert(conversion, make()) == expected


def test_set_detect_graph_breaks_switches_the_process():
    try:
        set_detect_graph_breaks("warn")
        assert is_graph_break_detection_enabled()
        with pytest.warns(GraphBreakWarning):
            float(real_scalar())
        set_detect_graph_breaks("raise")
        with pytest.raises(GraphBreakError):
            float(real_scalar())
        set_detect_graph_breaks(False)
        assert not is_graph_break_detection_enabled()
        set_detect_graph_breaks("raise")
        set_detect_graph_breaks(None)
        assert not is_graph_break_detection_enabled()
    finally:
        set_detect_graph_breaks(None)


@pytest.mark.parametrize("bad", ["error", True, "RAISE"])
def test_a_bad_mode_is_a_value_error(bad):
    with pytest.raises(ValueError, match=r"must be 'raise' or 'warn', not"):
        detect_graph_breaks(bad)
    with pytest.raises(ValueError, match=r"must be 'raise' or 'warn', not"):
        set_detect_graph_breaks(bad)


def test_nesting_restores_each_previous_mode_also_on_errors():
    x = real_scalar()
    with detect_graph_breaks("warn"):
        with detect_graph_breaks("raise"):
            with pytest.raises(GraphBreakError):
                float(x)
        with pytest.warns(GraphBreakWarning):
            float(x)
        with pytest.raises(KeyError):
            with detect_graph_breaks("raise"):
                raise KeyError("unrelated")
        with pytest.warns(GraphBreakWarning):
            float(x)
    assert float(x) == 0.5


def test_one_instance_can_be_entered_again_while_active():
    outer = detect_graph_breaks("warn")
    with outer:
        with detect_graph_breaks("raise"):
            with outer:
                with pytest.warns(GraphBreakWarning):
                    float(real_scalar())
            with pytest.raises(GraphBreakError):
                float(real_scalar())


def test_decorator_form():
    @detect_graph_breaks("warn")
    def loss(lmb):
        return math.log(lmb)

    with pytest.warns(GraphBreakWarning) as record:
        assert loss(real_scalar()) == math.log(0.5)
    assert record[0].lineno == loss.__wrapped__.__code__.co_firstlineno + 2
    assert not is_graph_break_detection_enabled()

    @detect_graph_breaks()
    def strict_loss(lmb):
        return math.log(lmb)

    with pytest.raises(GraphBreakError, match=r"in strict_loss\n +return math\.log\(lmb\)"):
        strict_loss(real_scalar())


# -- the case that asked for it -------------------------------------------------------

DATA = [0.5, 1.0, 2.0, 3.0, 5.0]


def skipped_on_jax(backend) -> None:
    if backend.name == "jax":
        pytest.skip("JAX compiles each of SciPy's operations on first use (about 5 s for "
                    "boxcox_llf and its backward); the conversions are checked on JAX above")


def test_scipy_boxcox_llf_is_caught_in_scipys_own_file(backend):
    """``scipy.stats.boxcox_llf`` computes ``math.log(abs(lmb))``: the report points
    into SciPy, at that line."""
    skipped_on_jax(backend)
    stats = pytest.importorskip("scipy.stats")
    lmb = ag.asarray(0.5, dtype=ag.float64, requires_grad=True)
    x = ag.asarray(DATA, dtype=ag.float64)
    with detect_graph_breaks(), pytest.raises(GraphBreakError) as info:
        stats.boxcox_llf(lmb, x)
    message = str(info.value)
    assert message.startswith("float(tensor) turns a tensor that requires grad (shape (), "
                              "dtype float64, grad_fn=AbsBackward0)")
    assert "_morestats.py" in message and "math.log(abs(lmb))" in message
    with detect_graph_breaks("warn"), pytest.warns(GraphBreakWarning) as record:
        stats.boxcox_llf(lmb, x)
    assert [w.filename.endswith("_morestats.py") for w in record] == [True]


def test_scipy_boxcox_llf_gradient_is_silently_wrong_without_the_mode(backend):
    """Without the mode the cut goes unnoticed: the gradient misses the dropped term
    ``N * log|lmb|`` (derivative ``N / lmb``) against central finite differences."""
    skipped_on_jax(backend)
    stats = pytest.importorskip("scipy.stats")
    lmb = ag.asarray(0.5, dtype=ag.float64, requires_grad=True)
    x = ag.asarray(DATA, dtype=ag.float64)
    stats.boxcox_llf(lmb, x).backward()
    h = 1e-6
    with ag.no_grad():
        fd = (float(stats.boxcox_llf(lmb + h, x)) - float(stats.boxcox_llf(lmb - h, x))) / (2 * h)
    grad = float(lmb.grad)
    assert grad != pytest.approx(fd, rel=0.1)
    assert grad == pytest.approx(fd - len(DATA) / 0.5, rel=1e-6)
