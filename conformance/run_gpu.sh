#!/usr/bin/env bash
# One command on an NVIDIA GPU machine: the gradient conformance matrix on cupy (and on
# torch, on CUDA when it has it), with numpy as the reference, written to
# conformance/reports/gpu-<machine>-<gpu>.md/.html. Stops after $CONFORMANCE_TIMEOUT
# seconds (default 300).
#
# Runs offline: it calls no package index, and installs no CuPy (it stops, saying which
# to install, when CuPy is missing). arraygrad is imported from this checkout, and
# array-api-compat comes from the wheels in .whl/ (see benchmarks/gpu_env.sh, the set-up
# shared with benchmarks/run_gpu.sh). Beforehand, on a machine with network, in the clone:
#   bash benchmarks/fetch_wheels.sh
#   rsync -a --exclude .venv --exclude .gpu-site ./ GPU-HOST:arraygrad/
# On the GPU machine (CuPy, hypothesis installed; torch and JAX optional):
#   bash conformance/run_gpu.sh [extra arguments for python -m conformance]
#   bash conformance/run_gpu.sh --check-setup    # the set-up alone; no GPU needed
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
. benchmarks/gpu_env.sh
gpu_env_setup hypothesis
if [ "${1:-}" = --check-setup ]; then exit 0; fi
gpu_env_require_cupy
# JAX, when installed, is only a reference here (jax.vjp): on the CPU, so that each
# worker process does not take (preallocate) most of the GPU that CuPy and torch use.
export JAX_PLATFORMS="${JAX_PLATFORMS:-cpu}" XLA_PYTHON_CLIENT_PREALLOCATE=false
machine="$(hostname -s 2>/dev/null || hostname)"
backends="numpy,cupy"
torch_device=()
if "$GPU_PY" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
  backends="$backends,torch"
  torch_device=(--torch-device cuda)   # torch's arrays (and the torch.autograd reference) on the GPU
fi
gpu_env_timed "${CONFORMANCE_TIMEOUT:-300}" CONFORMANCE_TIMEOUT "$GPU_PY" -m conformance \
  --backends "$backends" --dtypes float64,float32,complex128 ${torch_device[@]+"${torch_device[@]}"} \
  --report conformance/reports --name "gpu-${machine}-${GPU_NAME}" "$@"
echo "report: conformance/reports/gpu-${machine}-${GPU_NAME}.md"
