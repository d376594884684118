#!/usr/bin/env bash
# Does requirements-lock.txt install on Python 3.13 (or on the versions given)? pip's resolver, wheels
# only, Linux on this machine's architecture, reading metadata only (PEP 658: nothing large is
# downloaded, ~30 s). Fails, naming the version, if pip cannot install the lock or would install
# other versions than it pins. .ci/run calls it when python3.13 is on PATH.
#   .ci/check_python313.sh                      # 3.13
#   .ci/check_python313.sh 3.11.2 3.12 3.13
# An interpreter of that version (python3.13 on PATH, or pyenv's) runs pip itself: the check is exact.
# Without one, this venv's pip resolves with --python-version, which sets the wheel tags and
# Requires-Python but not the environment markers (they stay this interpreter's): the lock's own
# lines are filtered for the version here, but what the packages' markers add is only a note.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VT2_VENV:-.venv} LOCK=${VT2_LOCK:-requirements-lock.txt}  # VT2_LOCK: another lock file
if [ -x "$VENV/bin/python" ]; then PY="$VENV/bin/python"; else PY=$("$BASH" .ci/find_python.sh); fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

interpreter() {  # a runnable Python of version $1 (3.13 or 3.13.0) with pip, else nothing
  local mm cand
  mm=$(echo "$1" | cut -d. -f1,2)
  for cand in "python$mm" "$(pyenv root 2>/dev/null || echo /nonexistent)"/versions/"$mm"*/bin/"python$mm"; do
    if "$cand" -c "import sys, pip; v = '%d.%d.%d' % sys.version_info[:3]; sys.exit(not (v + '.').startswith('$1.'))" \
        2>/dev/null; then echo "$cand"; return; fi
  done
}

check() {
  local v=$1 pip full exact=1
  pip=$(interpreter "$v")
  if [ -n "$pip" ]; then
    full=$("$pip" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])'); pip_args=()
  else
    exact=0; pip=$PY; full=$v
    case "$v" in *.*.*) ;; *) full="$v.0" ;; esac
    pip_args=(--python-version "$full")
  fi
  "$PY" - "$full" "$LOCK" > "$TMP/lock-$v.txt" <<'PY'
import sys
try:
    from packaging.markers import Marker
except ImportError:  # a bare Python: pip's own copy
    from pip._vendor.packaging.markers import Marker
full, lock = sys.argv[1], sys.argv[2]
env = {"python_full_version": full, "python_version": ".".join(full.split(".")[:2]), "sys_platform": "linux",
       "os_name": "posix", "platform_system": "Linux", "implementation_name": "cpython",
       "platform_python_implementation": "CPython"}
for line in open(lock):
    req, _, marker = line.split("#", 1)[0].strip().partition(";")
    if req and not req.startswith("-") and (not marker.strip() or Marker(marker).evaluate(env)):
        print(req.strip())
PY
  if ! "$pip" -m pip install -q --disable-pip-version-check --dry-run --ignore-installed --only-binary :all: \
      "${pip_args[@]}" --target "$TMP/target-$v" -r "$TMP/lock-$v.txt" --report "$TMP/report-$v.json" \
      2> "$TMP/err-$v.txt"; then
    grep -v "is ignored: it is neither" "$TMP/err-$v.txt" | tail -5 >&2
    echo "FAIL: $LOCK does not install on Python $full (wheels only)" >&2
    return 1
  fi
  "$PY" - "$full" "$exact" "$TMP/lock-$v.txt" "$TMP/report-$v.json" "$LOCK" <<'PY'
import json, re, sys
full, exact, lock, report, name = sys.argv[1], sys.argv[2] == "1", *sys.argv[3:]
canon = lambda s: re.sub(r"[-_.]+", "-", s).lower()
pins = {canon(l.split("==")[0]): l.split("==")[1].strip() for l in open(lock) if "==" in l}
got = {canon(i["metadata"]["name"]): i["metadata"]["version"] for i in json.load(open(report))["install"]}
added = sorted(f"{n} {got[n]}" for n in got.keys() - pins.keys())
other = sorted(f"{n} {got.get(n, 'nothing')} (locked {pins[n]})" for n in pins if got.get(n) != pins[n])
how = f"Python {full}'s pip" if exact else f"pip --python-version {full}"
if other or (added and exact):
    sys.exit(f"FAIL: {how} installs other than {name}: {', '.join(other + added)}")
note = f" (and {', '.join(added)}: markers evaluated for the running Python, not {full})" if added else ""
print(f"ok: {how}: {name} resolves, {len(pins)} pinned packages, wheels only{note}")
PY
}

status=0
for v in "${@:-3.13}"; do check "$v" & done
for job in $(jobs -p); do wait "$job" || status=1; done
exit $status
