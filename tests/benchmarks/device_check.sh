#!/usr/bin/env bash
# The device check of issue 22 on a lent GPU box (16 cores, no network) that may hold nothing but
# Python 3.11-3.13, JAX (CUDA) and numpy: the rates behind the ml20m projection, and in a second run
# the smoke profile's notebooks 01-10 on the GPU (they do not fit beside the rates in 4 minutes).
# Each run's inner time limits add up to 230 s (tests/test_device_check.py holds them under 240).
#
# Prepare once, here in the repo root: the wheels such a box lacks, for CPython 3.11-3.13, into .whl/
# (git-ignored; 49 MB, 36 of them pandas's; no 3.10: vt2lib needs tomllib):
#   tests/benchmarks/device_check.sh --download-wheels
# Run with the device tool, carry [".whl"], timeout_s 240, one call each:
#   bash tests/benchmarks/device_check.sh                  # the rates: $OUT/rates.json, $OUT/projection.md
#   bash tests/benchmarks/device_check.sh smoke_notebooks  # 01-10 on JAX: each notebook's seconds
# or named stages instead (STAGE_SECONDS each, 60; choose so that they fit the 4 minutes):
#   bash tests/benchmarks/device_check.sh step:20:one step:10:towers:unrolled
#   STAGE_SECONDS=200 bash tests/benchmarks/device_check.sh side_by_side   # 03's lever (project_ml20m.py)
#   bash tests/benchmarks/device_check.sh fm_ranking   # 10's FM sweep over every pair: ranking_fm_factor
# Every run writes $OUT/device.log. A stage whose packages the box lacks (content: numba; fm_repeat:
# scikit-learn; smoke_notebooks: the scientific stack) says so in one line and is skipped.
set -uo pipefail
cd "$(dirname "$0")/../.."

# Pinned to the versions checked together (RESULTS.md). A package the box has is not installed.
KERAS_WHEELS=(keras==3.15.1 absl-py==2.5.1 rich==15.0.0 markdown-it-py==4.3.0 mdurl==0.1.2 pygments==2.21.0
  namex==0.1.0 optree==0.20.0 typing-extensions==4.16.0 packaging==26.4)  # h5py: only to save models
VT2LIB_WHEELS=(pandas==3.1.1 python-dateutil==4.0.0 tzdata==2026.6 tqdm==4.70.1)  # 03's SequenceData is pandas
# papermill and an IPython kernel, less what today's box has (KINDS.md) and their optional debugpy and jedi
NOTEBOOK_WHEELS=(papermill==2.7.0 nbclient==0.11.0 nbformat==5.11.1 jupyter-client==8.10.0 jupyter-core==5.9.1
  ipykernel==7.4.0 ipython==9.19.1 ipython-pygments-lexers==1.1.1 traitlets==5.16.1 pyzmq==27.3.0 tornado==6.6.1
  comm==0.2.3 matplotlib-inline==0.2.2 nest-asyncio2==1.7.4 pexpect==4.9.0 ptyprocess==0.7.0 prompt-toolkit==3.0.53
  wcwidth==0.9.5 stack-data==0.6.3 executing==2.3.0 asttokens==3.0.2 pure-eval==0.2.4 platformdirs==4.14.9
  entrypoints==0.4.2 tenacity==9.2.1 fastjsonschema==2.22.3 jsonschema==4.26.0 jsonschema-specifications==2025.9.1
  referencing==0.37.0 rpds-py==2026.9.1)

download_wheels() {
  rm -rf .whl
  for py in 3.11 3.12 3.13; do  # a pure-Python wheel is fetched once; binary ones once per version
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version "$py" --implementation cp \
      --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
      --platform manylinux2014_x86_64 --platform manylinux1_x86_64 -d .whl \
      "${KERAS_WHEELS[@]}" "${VT2LIB_WHEELS[@]}" "${NOTEBOOK_WHEELS[@]}" || return 1
  done
  du -sh .whl
}

if [ "${1:-}" = "--download-wheels" ]; then
  download_wheels
  exit $?
fi

OUT="${OUT:-/tmp/vt2_device}"
mkdir -p "$OUT"
exec > >(tee "$OUT/device.log") 2>&1
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || { echo "device_check: vt2lib needs Python >= 3.11 (tomllib); this box has $(python3 -V)"; exit 1; }
# /tmp/site holds only what the box lacks, so nothing carried shadows the box's own packages
export PYTHONPATH="$PWD:/tmp/site" PYTHONUNBUFFERED=1 MPLBACKEND=Agg KERAS_BACKEND=jax
# a fresh XLA cache: compile times are measured, not loaded (a rerun on a warm box would load them)
export VT2_RATES_JSON="$OUT/rates.json" JAX_COMPILATION_CACHE_DIR="$(mktemp -d -t vt2_xla_cache.XXXX)"
rm -rf /tmp/site  # pip --target keeps what an earlier run left there
timeout 15 python3 - <<'EOF' || exit 1
import importlib.metadata as md, pathlib, subprocess, sys
carried = sorted({p.name.split("-")[0] for p in pathlib.Path(".whl").glob("*.whl")})
if not carried:
    sys.exit("device_check: no wheels in .whl: run tests/benchmarks/device_check.sh --download-wheels first")
own, lacking = [], []
for name in carried:
    try:
        own.append(f"{name} {md.version(name)}")
    except md.PackageNotFoundError:
        lacking.append(name)
print("the box's own:", ", ".join(own) or "none")
print("carried, installed to /tmp/site:", ", ".join(lacking) or "none")
if lacking:  # pip picks each package's wheel for this Python
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--no-compile",
                    "--no-cache-dir", "--find-links", ".whl", "--target", "/tmp/site", *lacking], check=True)
EOF
timeout 10 python3 - <<'EOF'
import importlib.metadata as md, platform, jax
def version(name):
    try:
        return md.version(name)
    except md.PackageNotFoundError:
        return "absent"
names = ("jax", "jaxlib", "numpy", "keras", "pandas", "scipy", "numba", "papermill", "ipykernel")
print("python", platform.python_version(), "|", " | ".join(f"{n} {version(n)}" for n in names))
print("devices", jax.devices())
EOF
timeout 5 nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
bench="python3 tests/benchmarks/bench_gpu_box.py"
case "${1:-}" in
  "")  # the rates; the features' limit leaves room for XLA compiling MobileNetV2 at batch 256
    timeout 60 $bench features
    timeout 65 $bench training_towers
    timeout 30 $bench fm
    XLA_FLAGS=--xla_gpu_deterministic_ops=true timeout 20 $bench fm_repeat
    timeout 20 $bench content ;;
  smoke_notebooks)  # STAGE_SECONDS (200)
    timeout "${STAGE_SECONDS:-200}" $bench smoke_notebooks
    exit $? ;;
  *)  # named stages, STAGE_SECONDS (60) each: e.g. step:20:towers:unrolled (bench_gpu_box.run_stage)
    for stage in "$@"; do timeout "${STAGE_SECONDS:-60}" $bench "$stage"; done ;;
esac
timeout 5 python3 tests/benchmarks/project_ml20m.py --rates tests/benchmarks/rates_h200.json tests/benchmarks/rates_cpu.json "$OUT/rates.json" \
  | tee "$OUT/projection.md"
