#!/usr/bin/env bash
# Reproduce every table and figure of the paper, or run the test suite.
#
#   ./run_all.sh                       # demo profile: all notebooks, figures/demo/, runs/demo/REPORT.md
#   ./run_all.sh ml20m                 # the paper's setting (real data; a GPU box)
#   ./run_all.sh my_profile.toml --only 01,05
#   ./run_all.sh demo --set top_k=20 --only 05   # one field changed: profile demo+top_k=20, only what it touches
#   ./run_all.sh --tests [pytest args] # the test suite
#
# On first use it creates .venv (Python 3.11, else 3.12 or 3.13: .ci/find_python.sh; VT2_PYTHON
# names one) and installs the exact versions of requirements-lock.txt, then vt2lib
# (VT2_UNLOCKED=1: pyproject.toml's ranges instead); later runs reuse it (and reinstall only when
# pyproject.toml, the lock or VT2_UNLOCKED changed).
set -euo pipefail
cd "$(dirname "$0")"

VENV=${VT2_VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
  PY=$("$BASH" .ci/find_python.sh) || exit 1  # none: it said in one line what to install
  "$PY" -m venv "$VENV"
fi
STAMP="$VENV/.vt2-installed" LOCK=requirements-lock.txt
UV=uv==0.13.9  # installs the lock in ~35 s where pip takes ~90 (parallel downloads; RESULTS.md); VT2_INSTALLER=pip skips it
install_locked() {  # pip install "$@", by uv where it can, else by pip
  if [ -z "${INSTALLER:-}" ]; then  # chosen at the first call: uv where it installs, else pip
    INSTALLER=pip
    # uv reads no pip configuration: where it names an index in PyPI's place, pip installs from that index
    if [ "${VT2_INSTALLER:-uv}" = uv ] && ! "$VENV/bin/python" -m pip config list 2>/dev/null | grep '\.index-url=' >/dev/null; then
      if "$VENV/bin/python" -m pip install -q --only-binary=:all: "$UV"; then INSTALLER=uv
      else echo "run_all.sh: $UV did not install; pip installs the packages" >&2; fi
    fi
  fi
  if [ "$INSTALLER" = uv ]; then
    if "$VENV/bin/python" -m uv pip install -q --compile-bytecode --python "$VENV/bin/python" "$@"; then return; fi
    echo "run_all.sh: uv could not install $*; pip installs it" >&2
  fi
  "$VENV/bin/python" -m pip install -q "$@"
}
MODE=lock; if [ "${VT2_UNLOCKED:-0}" = 1 ]; then MODE=ranges; fi
if [ ! -f "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ] || [ "$LOCK" -nt "$STAMP" ] || [ "$(cat "$STAMP")" != "$MODE" ]; then
  EXTRA=""  # a GPU box gets the CUDA build of JAX (the FM sampler, KERAS_BACKEND=jax)
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then EXTRA="[gpu]"; fi
  if [ "$MODE" = ranges ]; then
    "$VENV/bin/python" -m pip install -q --upgrade pip "setuptools<82" wheel
    "$VENV/bin/python" -m pip install -q -e ".$EXTRA"
  else  # the tested versions (setuptools and wheel included); the gpu extra's CUDA plugin follows the locked jax
    "$VENV/bin/python" -m pip install -q --upgrade pip
    install_locked -r "$LOCK"
    if [ -n "$EXTRA" ]; then install_locked -e ".$EXTRA" -c "$LOCK"
    else install_locked -e . --no-deps; fi
  fi
  "$VENV/bin/python" -m ipykernel install --sys-prefix --name vt2 --display-name "Python (vt2)" >/dev/null
  echo "$MODE" > "$STAMP"
fi
export PYTHONHASHSEED=0 TF_CPP_MIN_LOG_LEVEL=2 MPLBACKEND=Agg

if [ "${1:-}" = "--tests" ]; then
  shift
  # test modules on up to 4 cores (pytest-xdist; a module stays on one worker, so its fixtures run
  # once), the longest first (tests/conftest.py); add -n 0 for one process
  exec "$VENV/bin/python" -m pytest -n auto --maxprocesses 4 --dist loadscope --no-loadscope-reorder "$@"
fi
exec "$VENV/bin/python" -m vt2lib.runner "$@"
