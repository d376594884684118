#!/usr/bin/env bash
# Regenerate requirements-lock.txt, the exact versions run_all.sh installs: pyproject.toml's
# dependencies resolved for Python 3.11-3.13 on every platform (`uv pip compile --universal`, one
# lock with markers), pinned to the tested venv's versions (its `pip freeze` as constraints).
#
#   .ci/update_lock.sh           # after changing pyproject.toml's dependencies or upgrading .venv
#   .ci/check_python313.sh 3.11.2 3.12 3.13   # then: pip's resolver installs it on each, wheels only
#
# uv is taken from PATH, or installed with pip into a throwaway venv (never into the tested one).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VT2_VENV:-.venv}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
UV=$(command -v uv || true)
if [ -z "$UV" ]; then
  "$VENV/bin/python" -m venv "$TMP/uv" && "$TMP/uv/bin/python" -m pip install -q uv && UV="$TMP/uv/bin/uv"
fi
mkdir -p build
# Two pins cannot hold on every Python: soupsieve 4.1.4 needs Python >= 3.11.5 (Debian 12 ships 3.11.2),
# so older 3.11s get an older one; myfm 0.4.0's cp312-abi3 wheel holds a cpython-312 extension that
# Python 3.13 cannot import, so 3.13 gets myfm 0.5.0, the first with a real abi3 build (RESULTS.md).
"$VENV/bin/python" -m pip freeze --all --exclude-editable \
  | sed -E -e "s/^(soupsieve==.*)$/\1 ; python_full_version >= '3.11.5'/I" \
           -e "s/^(myfm==.*)$/\1 ; python_full_version < '3.13'/I" > build/venv-freeze.txt
echo "myfm==0.5.0 ; python_full_version >= '3.13'" >> build/venv-freeze.txt
"$UV" pip compile --quiet pyproject.toml --universal --python-version 3.11 -c build/venv-freeze.txt \
  --annotation-style line --custom-compile-command ".ci/update_lock.sh" -o requirements-lock.txt
rm build/venv-freeze.txt && rmdir build 2>/dev/null || true
