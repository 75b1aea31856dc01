#!/usr/bin/env bash
# Shared set-up for benchmarks/run_gpu.sh and conformance/run_gpu.sh, for an NVIDIA GPU
# machine that reaches NO package registry. That machine is expected to have CuPy,
# torch, NumPy, SciPy, hypothesis and pytest (JAX optional). The few pure-Python
# packages it may lack (below) are installed from wheels in .whl/ (ignored by git),
# and arraygrad is imported from this checkout: it is not pip-installed there.
#
# Beforehand, on a machine with network, in this clone:
#   bash benchmarks/fetch_wheels.sh                  # fills .whl/ with the pinned wheels
#   rsync -a --exclude .venv --exclude .gpu-site ./ GPU-HOST:arraygrad/   # .whl/ included
# On the GPU machine, in that copy (about 10 minutes at most: 300 s + 300 s):
#   bash benchmarks/run_gpu.sh; bash conformance/run_gpu.sh
#
# Set-up only, no GPU needed (installs from .whl/, imports arraygrad from this checkout,
# builds a tensor on NumPy and takes a gradient, then exits 0):
#   bash benchmarks/gpu_env.sh        (or: bash benchmarks/run_gpu.sh --check-setup)
#
# Sourcing this file only defines the names below; gpu_env_setup does the work.
# Python: $PYTHON if set, else the active virtualenv's, else .venv/ of this clone if
# there is one, else python3.
#
# Where the wheels go: `pip install --no-index --no-deps --target .gpu-site/pyX.Y`, a
# folder inside this checkout (ignored by git) put on PYTHONPATH, rather than a venv:
# the machine's own Python and its CUDA builds of CuPy, torch and JAX are used as they
# are, nothing outside the checkout is written, no venv module is needed (Debian ships
# it separately), and an "externally managed" system Python (PEP 668) does not refuse a
# --target install. PYTHONPATH comes before site-packages, so the pinned versions win
# over any the machine has. pip runs with --isolated and PIP_CONFIG_FILE=/dev/null: no
# pip.conf or PIP_* variable can add an index, find-links or constraints; only .whl/.

# The pins: the versions in the project's .venv when chosen; each a py3-none-any wheel.
GPU_WHEELS=(
  "array-api-compat==1.16.0"                 # arraygrad's one dependency beyond NumPy
  "array-api-strict==2.6.1"                  # optional: conformance --backends ...,array_api_strict
  "threadpoolctl==3.8.0"                     # python -m benchmarks pins BLAS threads with it
  "tomli==2.4.1; python_version < '3.11'"    # arraygrad reads its TOML profiles with it on 3.10
)
GPU_ENV_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GPU_WHEEL_DIR="$GPU_ENV_ROOT/.whl"

gpu_env_die() {  # gpu_env_die STATUS MESSAGE...
  local status="$1"; shift
  echo "$(basename "$0"): $*" >&2
  exit "$status"
}

gpu_env_python() {  # sets GPU_PY
  if [ -n "${PYTHON:-}" ]; then
    GPU_PY="$PYTHON"
  elif [ -z "${VIRTUAL_ENV:-}" ] && [ -x "$GPU_ENV_ROOT/.venv/bin/python" ]; then
    . "$GPU_ENV_ROOT/.venv/bin/activate"
    GPU_PY=python
  elif [ -n "${VIRTUAL_ENV:-}" ] || ! command -v python3 >/dev/null; then
    GPU_PY=python
  else
    GPU_PY=python3
  fi
  command -v "$GPU_PY" >/dev/null || gpu_env_die 2 "no Python found ($GPU_PY); set PYTHON"
}

# gpu_env_setup [MODULE...]: install the pins from .whl/ into .gpu-site/pyX.Y (once per
# set of pins), export PYTHONPATH, then check in Python that arraygrad comes from this
# checkout, that array_api_compat and MODULE... import, and that a gradient on NumPy is
# right. Sets GPU_PY and GPU_SITE. Never calls pip against an index.
gpu_env_setup() {
  gpu_env_python
  local tag pins
  tag="$("$GPU_PY" -c 'import sys; print("py%d.%d" % sys.version_info[:2])')"
  GPU_SITE="$GPU_ENV_ROOT/.gpu-site/$tag"
  pins="$(printf '%s\n' "${GPU_WHEELS[@]}")"
  if [ "$(cat "$GPU_SITE/.pins" 2>/dev/null)" != "$pins" ]; then
    if ! compgen -G "$GPU_WHEEL_DIR/*.whl" >/dev/null; then
      "$GPU_PY" -c "import array_api_compat, threadpoolctl" 2>/dev/null ||
        gpu_env_die 3 "no wheels in $GPU_WHEEL_DIR, and this Python lacks array-api-compat" \
          "or threadpoolctl. On a machine with network run: bash benchmarks/fetch_wheels.sh," \
          "then copy .whl/ here. Nothing is installed from an index."
      echo "gpu_env: no $GPU_WHEEL_DIR: using this Python's own array-api-compat and threadpoolctl"
      GPU_SITE=""
    else
      "$GPU_PY" -m pip --version >/dev/null 2>&1 ||
        gpu_env_die 3 "$GPU_PY has no pip (python -m ensurepip --user installs it offline)"
      rm -rf "$GPU_SITE"
      mkdir -p "$GPU_SITE"
      PIP_CONFIG_FILE=/dev/null "$GPU_PY" -m pip --isolated install --no-index \
          --find-links "$GPU_WHEEL_DIR" --no-deps --target "$GPU_SITE" \
          --disable-pip-version-check --no-cache-dir --quiet "${GPU_WHEELS[@]}" ||
        gpu_env_die 3 "installing the pinned wheels from $GPU_WHEEL_DIR failed (a wheel" \
          "missing?): run bash benchmarks/fetch_wheels.sh again on a machine with network"
      printf '%s\n' "$pins" >"$GPU_SITE/.pins"
      echo "gpu_env: installed from $GPU_WHEEL_DIR into $GPU_SITE (no index)"
    fi
  fi
  export PYTHONPATH="$GPU_ENV_ROOT${GPU_SITE:+:$GPU_SITE}${PYTHONPATH:+:$PYTHONPATH}"
  "$GPU_PY" - "$GPU_ENV_ROOT" "$@" <<'EOF' || gpu_env_die 3 "the set-up check failed (above)"
import importlib, os, sys
from importlib import metadata

root, extra = os.path.realpath(sys.argv[1]), sys.argv[2:]
import numpy as np
import array_api_compat
import arraygrad as ag
from arraygrad.backends import profile_dir

def origin(module):
    return os.path.dirname(os.path.realpath(module.__file__))

if not origin(ag).startswith(root + os.sep):
    sys.exit(f"arraygrad comes from {origin(ag)}, not from this checkout {root}")
a = np.array([0.0, 1.0, 2.0])
x = ag.tensor(a, requires_grad=True)
(ag.sin(x) * x).sum().backward()
if not np.allclose(np.asarray(x.grad.data), np.sin(a) + a * np.cos(a)):
    sys.exit(f"wrong gradient of sum(sin(x) * x) on NumPy: {x.grad}")
print(f"gpu_env: Python {sys.version.split()[0]} ({sys.executable})")
print(f"gpu_env: arraygrad from {origin(ag)}, backend profiles from {profile_dir()}")
for name in ["array_api_compat", *extra]:
    module = importlib.import_module(name)
    try:
        version = metadata.version(name.replace("_", "-"))
    except metadata.PackageNotFoundError:
        version = getattr(module, "__version__", "?")
    print(f"gpu_env: {name} {version} from {origin(module)}")
print("gpu_env: set-up ok: gradient of sum(sin(x) * x) on NumPy checked")
EOF
}

# gpu_env_require_cupy: an NVIDIA GPU with CuPy working on it, or a clear failure (no
# install: this machine reaches no index). Sets GPU_NAME (spaces as dashes).
gpu_env_require_cupy() {
  command -v nvidia-smi >/dev/null ||
    gpu_env_die 2 "no nvidia-smi: not an NVIDIA GPU machine"
  local err cuda_major pkg
  if ! err="$("$GPU_PY" -c "import cupy; cupy.cuda.runtime.getDeviceCount()" 2>&1)"; then
    cuda_major="$(nvidia-smi | sed -n 's/.*CUDA Version: *\([0-9]*\).*/\1/p' | head -1)"
    if [ "${cuda_major:-12}" -ge 13 ]; then pkg=cupy-cuda13x; else pkg=cupy-cuda12x; fi
    gpu_env_die 3 "CuPy is missing or sees no GPU: $(printf '%s' "$err" | tail -1)" \
      "-- this script installs nothing: install $pkg for this machine's CUDA" \
      "${cuda_major:-?} (offline: pip download --only-binary=:all: $pkg on a networked" \
      "machine, then pip install --no-index that wheel here), and run again."
  fi
  GPU_NAME="$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1 | tr ' ' '-')"
}

# gpu_env_timed SECONDS VARIABLE COMMAND...: run COMMAND under timeout (its whole
# process group, worker processes included); say so when the time ran out.
gpu_env_timed() {
  local seconds="$1" variable="$2" status=0
  shift 2
  timeout --kill-after=20 "$seconds" "$@" || status=$?
  if [ "$status" = 124 ] || [ "$status" = 137 ]; then
    echo "$(basename "$0"): stopped after $seconds s (set $variable to allow longer)" >&2
  fi
  return "$status"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then   # run, not sourced: the set-up check alone
  set -euo pipefail
  gpu_env_setup threadpoolctl hypothesis
fi
