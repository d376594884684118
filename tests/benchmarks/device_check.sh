#!/usr/bin/env bash
# The one device check of issue 22: the rates behind the ml20m projection, measured on a lent GPU
# box (H200, 16 cores, Python 3.12 with its own JAX, numba, numpy; no network). One command,
# under 4 minutes: the inner time limits below add up to 215 s.
#
# Prepare once, here in the repo root (the four wheels the box lacks; ~10 MB, carried as .whl):
#   echo /.whl/ >> .git/info/exclude
#   tests/benchmarks/device_check.sh --download-wheels
# Run with the device tool:  command "bash tests/benchmarks/device_check.sh", carry [".whl"], timeout_s 240
# Named stages instead of the default set (60 s each; choose so that they fit the 4 minutes):
#   bash tests/benchmarks/device_check.sh step:20:one step:10:towers:unrolled
# It writes $OUT/rates.json, $OUT/device.log and $OUT/projection.md (project_ml20m.py --rates).
set -uo pipefail
cd "$(dirname "$0")/../.."

if [ "${1:-}" = "--download-wheels" ]; then
  plat="--platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64"
  rm -rf .whl && python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    $plat -d .whl "keras>=3.12,<4" namex optree "myfm==0.4.0"
  exit $?
fi

OUT="${OUT:-/tmp/vt2_device}"
mkdir -p "$OUT"
exec > >(tee "$OUT/device.log") 2>&1
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .whl/*.whl || exit 1
# the box's own JAX, numba and numpy come first on the path: only the carried four are added
export PYTHONPATH="$PWD:/tmp/site" PYTHONUNBUFFERED=1 MPLBACKEND=Agg KERAS_BACKEND=jax
export VT2_RATES_JSON="$OUT/rates.json"
timeout 10 python3 -c "
import platform, jax, jaxlib, numba, numpy, keras
print('python', platform.python_version(), '| jax', jax.__version__, '| jaxlib', jaxlib.__version__,
      '| numba', numba.__version__, '| numpy', numpy.__version__, '| keras', keras.__version__)
print('devices', jax.devices())"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
bench="python3 tests/benchmarks/bench_gpu_box.py"
if [ $# -gt 0 ]; then  # named stages only, STAGE_SECONDS (60) each: e.g. step:20:towers:unrolled (run_stage)
  for stage in "$@"; do timeout "${STAGE_SECONDS:-60}" $bench "$stage"; done
else
  timeout 35 $bench features
  timeout 70 $bench training_towers
  timeout 35 $bench fm
  XLA_FLAGS=--xla_gpu_deterministic_ops=true timeout 35 $bench fm_repeat
  timeout 25 $bench content
fi
timeout 5 python3 tests/benchmarks/project_ml20m.py --rates tests/benchmarks/rates_h200.json "$OUT/rates.json" | tee "$OUT/projection.md"
