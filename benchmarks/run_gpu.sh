#!/usr/bin/env bash
# One command on an NVIDIA GPU machine: W2 and W3 (the issue's GPU targets) for arraygrad
# on CuPy against hand-written CuPy and, when torch has CUDA, arraygrad on torch CUDA
# against torch's own eager autograd; every step ends with a device synchronize before
# the clock is read. Stops after $BENCH_TIMEOUT seconds (default 300) and writes
# benchmarks/results/gpu-<gpu>.{json,md} (and .png where matplotlib is installed).
#
# Runs offline: it calls no package index. arraygrad is imported from this checkout,
# and array-api-compat and threadpoolctl come from the wheels in .whl/ (see
# benchmarks/gpu_env.sh, the set-up shared with conformance/run_gpu.sh). Beforehand, on a
# machine with network, in the clone:
#   bash benchmarks/fetch_wheels.sh
#   rsync -a --exclude .venv --exclude .gpu-site ./ GPU-HOST:arraygrad/
# On the GPU machine (CuPy installed; torch with CUDA optional):
#   bash benchmarks/run_gpu.sh [extra arguments for python -m benchmarks, e.g. --quick]
#   bash benchmarks/run_gpu.sh --check-setup     # the set-up alone; no GPU needed
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
. benchmarks/gpu_env.sh
gpu_env_setup threadpoolctl
if [ "${1:-}" = --check-setup ]; then exit 0; fi
gpu_env_require_cupy
libs="cupy,arraygrad[cupy]"
if "$GPU_PY" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
  libs="$libs,torch-cuda,arraygrad[torch-cuda]"
fi
gpu_env_timed "${BENCH_TIMEOUT:-300}" BENCH_TIMEOUT "$GPU_PY" -m benchmarks --only W2,W3 \
  --libs "$libs" --baseline cupy --name "gpu-${GPU_NAME}" "$@"
echo "report: benchmarks/results/gpu-${GPU_NAME}.md"
