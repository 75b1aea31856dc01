#!/usr/bin/env bash
# One command on an NVIDIA GPU machine: W2 and W3 (the issue's GPU targets) for arraygrad
# on CuPy against hand-written CuPy and, when torch has CUDA, arraygrad on torch CUDA
# against torch's own eager autograd; every step ends with a device synchronize before
# the clock is read. Stops after $BENCH_TIMEOUT seconds (default 300) and writes
# benchmarks/results/gpu-<gpu>.{json,md,png}.
#
#   bash benchmarks/run_gpu.sh [extra arguments for python -m benchmarks, e.g. --quick]
#
# Run from a clone with its virtualenv active (or .venv beside this directory).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
if [ -z "${VIRTUAL_ENV:-}" ] && [ -f .venv/bin/activate ]; then . .venv/bin/activate; fi
command -v nvidia-smi >/dev/null || { echo "run_gpu.sh: no nvidia-smi: not an NVIDIA GPU machine" >&2; exit 2; }
if ! python -c "import cupy; cupy.cuda.runtime.getDeviceCount()" 2>/dev/null; then
  cuda_major="$(nvidia-smi | sed -n 's/.*CUDA Version: *\([0-9]*\).*/\1/p' | head -1)"
  if [ "${cuda_major:-12}" -ge 13 ]; then pkg=cupy-cuda13x; else pkg=cupy-cuda12x; fi
  python -m pip install "$pkg"
fi
libs="cupy,arraygrad[cupy]"
if python -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
  libs="$libs,torch-cuda,arraygrad[torch-cuda]"
fi
gpu="$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1 | tr ' ' '-')"
timeout "${BENCH_TIMEOUT:-300}" python -m benchmarks --only W2,W3 --libs "$libs" \
  --baseline cupy --name "gpu-${gpu}" "$@"
echo "report: benchmarks/results/gpu-${gpu}.md"
