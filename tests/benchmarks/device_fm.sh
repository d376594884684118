#!/usr/bin/env bash
# Device check (one H100/H200-class GPU, no network; sized to finish in < 4 minutes):
#   1. the JAX FM sampler: seconds per sweep at rank 8 and 32 on an ML20M-sized fold,
#      10-fold RMSE agreement with myfm on planted ML-100k-sized data, same-seed repeatability;
#   2. the Keras model tests on KERAS_BACKEND=jax on the GPU (cached features == end to end).
#
# Prepare once, here in the repo root (wheels the device lacks; JAX is already there):
#   echo /.whl/ >> .git/info/exclude
#   tests/benchmarks/device_fm.sh --download-wheels
# Run with the device tool:  command "bash tests/benchmarks/device_fm.sh", carry [".whl"], timeout_s 300
set -uo pipefail
cd "$(dirname "$0")/../.."

if [ "${1:-}" = "--download-wheels" ]; then
  plat="--platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64"
  python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp $plat \
    -d .whl "keras>=3.12,<4" namex optree "myfm==0.4.0" numba llvmlite  # numba: the content stage of device_scale.sh
  exit $?
fi

python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD PYTHONUNBUFFERED=1 MPLBACKEND=Agg
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader

echo "== FM sampler (default XLA flags)"
timeout 150 python3 tests/benchmarks/bench_fm.py --device
echo "== same-seed repeatability with --xla_gpu_deterministic_ops=true"
XLA_FLAGS=--xla_gpu_deterministic_ops=true timeout 40 python3 - <<'PY'
import numpy as np, sys
sys.path[:0] = ["tests", "tests/benchmarks"]
from test_fm_gibbs import planted, ratings
from vt2lib.rating import fm_gibbs as G
u, i, y, _ = planted()
d = G.FMData.build(ratings(u[1000:], i[1000:], y[1000:], 943, 1682))
a, b = (G.gibbs_fm(d, u[:1000], i[:1000], rank=8, n_iter=30, seed=1).prediction for _ in range(2))
print(f"  max abs difference {np.abs(a - b).max():.2e}")
PY
echo "== Keras model tests on JAX (GPU)"
KERAS_BACKEND=jax timeout 120 python3 -m pytest -q -p no:cacheprovider tests/test_model.py \
  -k "cached_features or not_chaotic or shapes"
