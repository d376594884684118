#!/usr/bin/env bash
# The interpreter run_all.sh builds .venv with: the first of python3.11, python3.12, python3.13 and
# python3 on PATH that is Python 3.11-3.13 and can create a venv (VT2_PYTHON=/path/to/python: that
# one, checked the same way). Prints its path; without one, says in one line what to install, exit 1.
found=""
for cand in ${VT2_PYTHON:-python3.11 python3.12 python3.13 python3}; do
  path=$(command -v "$cand") || continue
  # a pyenv shim of a version that is not selected fails here, as intended
  ver=$("$path" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) || continue
  case "$ver" in
    3.11|3.12|3.13) ;;
    *) found="$found $cand ($ver)"; continue ;;
  esac
  if "$path" -c 'import ensurepip, venv' 2>/dev/null; then echo "$path"; exit 0; fi
  found="$found $cand ($ver, no venv module)"
done
echo "run_all.sh needs Python 3.11, 3.12 or 3.13 with venv (found:${found:- none}): install one, e.g. apt install python3.13 python3.13-venv, or point VT2_PYTHON at it" >&2
exit 1
