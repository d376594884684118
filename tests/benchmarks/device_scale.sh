#!/usr/bin/env bash
# Device check for the "ml20m on one GPU box" projection (RESULTS.md): the rates of the heavy
# stages at ML20M's sizes on one H100/H200-class GPU with 16 cores; no network, < 4 minutes.
#   features (MobileNetV2 224x224, JAX, mixed precision), training (paper network, 200 steps),
#   training_side_by_side (5 such networks at once, one process each: notebook 03 on ml20m),
#   fm (JAX sampler, rank 32, ML20M-sized fold), content (Eq. 1, one ML20M-sized fold, 16 cores).
#
# Prepare once, here in the repo root (wheels the device lacks; JAX is already there):
#   echo /.whl/ >> .git/info/exclude
#   tests/benchmarks/device_fm.sh --download-wheels
# Run with the device tool:  command "bash tests/benchmarks/device_scale.sh", carry [".whl"], timeout_s 300
# It prints `RATE <stage> <value> <unit>` lines; put them into RESULTS.md's projection table.
set -uo pipefail
cd "$(dirname "$0")/../.."
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD PYTHONUNBUFFERED=1 MPLBACKEND=Agg KERAS_BACKEND=jax
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
nproc
timeout 60 python3 tests/benchmarks/bench_gpu_box.py features
timeout 60 python3 tests/benchmarks/bench_gpu_box.py training
timeout 90 python3 tests/benchmarks/bench_gpu_box.py training_side_by_side
timeout 70 python3 tests/benchmarks/bench_gpu_box.py fm
timeout 60 python3 tests/benchmarks/bench_gpu_box.py content
