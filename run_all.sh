#!/usr/bin/env bash
# Reproduce every table and figure of the paper, or run the test suite.
#
#   ./run_all.sh                       # demo profile: all notebooks, figures/demo/, runs/demo/REPORT.md
#   ./run_all.sh ml20m                 # the paper's setting (real data; a GPU box)
#   ./run_all.sh my_profile.toml --only 01,05
#   ./run_all.sh --tests [pytest args] # the test suite
#
# On first use it creates .venv (Python 3.11) and installs vt2lib with its dependencies;
# later runs reuse it (and reinstall only when pyproject.toml changed).
set -euo pipefail
cd "$(dirname "$0")"

VENV=${VT2_VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
  PY=$(command -v python3.11 || command -v python3.12 || command -v python3)
  "$PY" -m venv "$VENV"
fi
STAMP="$VENV/.vt2-installed"
if [ ! -f "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ]; then
  "$VENV/bin/python" -m pip install -q --upgrade pip "setuptools<82" wheel
  EXTRA=""  # a GPU box gets the CUDA build of JAX (the FM sampler, KERAS_BACKEND=jax)
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then EXTRA="[gpu]"; fi
  "$VENV/bin/python" -m pip install -q -e ".$EXTRA"
  "$VENV/bin/python" -m ipykernel install --sys-prefix --name vt2 --display-name "Python (vt2)" >/dev/null
  touch "$STAMP"
fi
export PYTHONHASHSEED=0 TF_CPP_MIN_LOG_LEVEL=2 MPLBACKEND=Agg

if [ "${1:-}" = "--tests" ]; then
  shift
  # test modules on up to 4 cores (pytest-xdist; a module stays on one worker, so its fixtures run
  # once); add -n 0 for one process
  exec "$VENV/bin/python" -m pytest -n auto --maxprocesses 4 --dist loadscope "$@"
fi
exec "$VENV/bin/python" -m vt2lib.runner "$@"
