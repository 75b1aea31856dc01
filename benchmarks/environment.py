"""What the figures depend on: versions, machine, threads, BLAS, load."""
from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from . import threads

PACKAGES = ("arraygrad", "numpy", "array-api-compat", "torch", "jax", "jaxlib", "mygrad",
            "autograd", "cupy-cuda12x", "cupy-cuda13x", "threadpoolctl", "matplotlib")
ROOT = Path(__file__).resolve().parents[1]


def _versions() -> dict:
    found = {}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                             capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "arraygrad"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() + ("+uncommitted arraygrad/ changes" if dirty else "") \
        if out.returncode == 0 else None


def _numpy_blas() -> dict | None:
    import numpy as np
    try:
        return np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    except Exception:  # older NumPy: no dict mode
        return None


def load_average() -> list | None:
    """1, 5 and 15-minute load averages: other work on the machine skews timings."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def describe() -> dict:
    return {"python": sys.version.split()[0], "implementation": platform.python_implementation(),
            "platform": platform.platform(), "cpu": _cpu_model(), "cpu_count": os.cpu_count(),
            "versions": _versions(), "arraygrad_commit": _commit(),
            "threads": threads.describe(), "numpy_blas_build": _numpy_blas()}
