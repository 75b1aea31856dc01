"""``python -m benchmarks.cpu_split``: perf samples of a W2 step, summed by shared object."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import cpu_split

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("dso, group", [
    ("libscipy_openblas64_-32a4b2a6.so", "BLAS"),
    ("libmkl_core.so.2", "BLAS"),
    ("_multiarray_umath.cpython-311-x86_64-linux-gnu.so", "NumPy's C core"),
    ("libpython3.11.so.1.0", "Python interpreter"),
    ("python3.12", "Python interpreter"),
    ("libc.so.6", "libc (malloc, memcpy)"),
    ("[kernel.kallsyms]", "kernel"),
    ("libm.so.6", "other"),
])
def test_shared_objects_are_grouped_by_what_they_are(dso, group):
    assert cpu_split._group(dso) == group


def test_report_sets_the_libraries_side_by_side_with_their_difference():
    split = {"command": "python -m benchmarks.cpu_split", "cpu": "a CPU", "threads": 1,
             "dtype": "float32", "seconds": 6.0, "commit": "abc1234", "libraries": {
                 "numpy": {"us_per_step": 1600.0,
                           "by_group": {"BLAS": 1200.0, "Python interpreter": 80.0}},
                 "arraygrad[numpy]": {"us_per_step": 2300.0,
                                      "by_group": {"BLAS": 1210.0, "Python interpreter": 600.0,
                                                   "other": 0.4}}}}
    text = cpu_split.markdown(split)
    assert "| spent in | numpy | arraygrad[numpy] | difference |" in text
    assert "| BLAS | 1,200 | 1,210 | +10 |" in text
    assert "| Python interpreter | 80 | 600 | +520 |" in text
    assert "| total sampled | 1,280 | 1,810 | +530 |" in text
    assert "| step time (wall) | 1,600 | 2,300 | +700 |" in text
    assert "| other |" not in text  # under 1 µs everywhere: left out


def _perf_can_sample() -> bool:
    perf = shutil.which("perf")
    if perf is None:
        return False
    probe = subprocess.run([perf, "record", "-q", "-o", "/dev/null", "--", "true"],
                           capture_output=True)
    return probe.returncode == 0


def test_a_short_window_accounts_for_most_of_each_step(tmp_path):
    if not _perf_can_sample():  # asked here, not at collection: perf runs only for this test
        pytest.skip("Linux perf is missing or may not sample")
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.cpu_split", "--seconds", "1", "--out", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    split = json.loads((tmp_path / "cpu-split-W2-f32.json").read_text())
    for lib in ("numpy", "arraygrad[numpy]"):
        found = split["libraries"][lib]
        # One thread: the samples of the process account for its wall time per step.
        assert 0.6 < sum(found["by_group"].values()) / found["us_per_step"] < 1.3
        assert found["by_group"]["BLAS"] > 0.3 * found["us_per_step"]
    assert (tmp_path / "cpu-split-W2-f32.md").read_text().startswith("# CPU time")
