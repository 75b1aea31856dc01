#!/usr/bin/env bash
# On a machine WITH network, before going to an offline GPU machine: download the pinned
# pure-Python wheels that benchmarks/run_gpu.sh and conformance/run_gpu.sh install from
# (the pins: GPU_WHEELS in benchmarks/gpu_env.sh) into .whl/ at the repository root
# (ignored by git), then copy the clone, .whl/ included, to the GPU machine:
#   bash benchmarks/fetch_wheels.sh
#   rsync -a --exclude .venv --exclude .gpu-site ./ GPU-HOST:arraygrad/
# Only py3-none-any wheels are taken (--platform any --abi none), for Python 3.10 and
# later (arraygrad's floor), so the GPU machine's Python version and CPU do not matter.
# This machine's pip configuration (index, proxy) is used as is.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
. "$here/benchmarks/gpu_env.sh"
gpu_env_python
mkdir -p "$GPU_WHEEL_DIR"
"$GPU_PY" -m pip download --disable-pip-version-check --only-binary=:all: --no-deps \
  --platform any --implementation py --abi none --python-version 3.10 \
  --dest "$GPU_WHEEL_DIR" "${GPU_WHEELS[@]%%;*}"   # markers off: pip would judge them by this Python
echo "fetch_wheels: in $GPU_WHEEL_DIR:"
ls -1 "$GPU_WHEEL_DIR"
