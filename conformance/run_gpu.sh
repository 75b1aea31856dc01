#!/usr/bin/env bash
# One command on an NVIDIA GPU machine: install CuPy for the machine's CUDA, then run the
# gradient conformance matrix on cupy (and on torch, which uses CUDA when it has it),
# with numpy as the reference, and write conformance/reports/gpu-<machine>.md/.html.
#
#   bash conformance/run_gpu.sh [extra arguments for python -m conformance]
#
# Run from a clone with its virtualenv active (or .venv beside this directory).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
if [ -z "${VIRTUAL_ENV:-}" ] && [ -f .venv/bin/activate ]; then . .venv/bin/activate; fi
command -v nvidia-smi >/dev/null || { echo "run_gpu.sh: no nvidia-smi: not an NVIDIA GPU machine" >&2; exit 2; }
cuda_major="$(nvidia-smi | sed -n 's/.*CUDA Version: *\([0-9]*\).*/\1/p' | head -1)"
if ! python -c "import cupy; cupy.cuda.runtime.getDeviceCount()" 2>/dev/null; then
  if [ "${cuda_major:-12}" -ge 13 ]; then pkg=cupy-cuda13x; else pkg=cupy-cuda12x; fi
  python -m pip install "$pkg"
fi
machine="$(hostname -s 2>/dev/null || hostname)"
gpu="$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1 | tr ' ' '-')"
backends="numpy,cupy"
if python -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
  backends="$backends,torch"
  torch_device=(--torch-device cuda)   # torch's arrays (and the torch.autograd reference) on the GPU
else
  torch_device=()
fi
python -m conformance --backends "$backends" --dtypes float64,float32,complex128 \
  "${torch_device[@]}" --report conformance/reports --name "gpu-${machine}-${gpu}" "$@"
echo "report: conformance/reports/gpu-${machine}-${gpu}.md"
