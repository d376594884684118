"""Provenance of a run: input checksums, code version, environment, device, timings.

    record_inputs(cfg, raw.files)          # provenance.json's "inputs" (sha256 per input file)
    record_provenance(cfg, "backbone_weights", "imagenet")
    write_run_provenance(cfg, timings)     # runs/<profile>/provenance.json
    lock_summary()                         # "match requirements lock", or which versions differ from it
"""
from __future__ import annotations

import hashlib
import os
import platform
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from vt2lib.config import PROJECT_ROOT, Profile
from vt2lib.io import read_json, update_json, write_json_atomic

LOCK_FILE = PROJECT_ROOT / "requirements-lock.txt"  # the tested versions run_all.sh installs
PACKAGES = ("numpy", "pandas", "scipy", "numba", "scikit-learn", "statsmodels", "tensorflow-cpu",
            "tensorflow", "keras", "jax", "myfm", "opencv-python-headless", "yt-dlp", "papermill", "pyarrow")


def sha256_file(path: Path, block: int = 1 << 22) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(block), b""):
            h.update(chunk)
    return h.hexdigest()


def _provenance_file(cfg: Profile) -> Path:
    return cfg.run_dir / "provenance.json"


def load_provenance(cfg: Profile) -> dict:
    return read_json(_provenance_file(cfg))


def record_provenance(cfg: Profile, key: str, value) -> None:
    update_json(_provenance_file(cfg), key, value)


def record_inputs(cfg: Profile, files: dict[str, Path]) -> dict:
    """Checksum every input file (a folder: its file count and total size)."""
    out = {}
    for name, path in files.items():
        path = Path(path)
        if path.is_dir():
            sizes = [p.stat().st_size for p in path.iterdir() if p.is_file()]
            out[name] = {"path": str(path), "n_files": len(sizes), "bytes": sum(sizes)}
        elif path.is_file():
            out[name] = {"path": str(path), "bytes": path.stat().st_size, "sha256": sha256_file(path)}
    record_provenance(cfg, "inputs", out)
    return out


def git_commit() -> str:
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=PROJECT_ROOT,
                               capture_output=True, text=True).stdout.strip()
        return commit + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def environment() -> dict:
    versions = {}
    for pkg in PACKAGES:
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    device = platform.processor() or platform.machine()
    try:
        gpu = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=10)
        if gpu.returncode == 0 and gpu.stdout.strip():
            device = gpu.stdout.strip().replace("\n", ", ")
    except (OSError, subprocess.TimeoutExpired):
        pass
    return {"python": sys.version.split()[0], "platform": platform.platform(), "packages": versions,
            "device": device, "cpu_count": os.cpu_count(), "requirements_lock": lock_summary(),
            "keras_backend_env": os.environ.get("KERAS_BACKEND", "(unset: each profile's keras_backend)")}


def lock_entries(path: Path = LOCK_FILE) -> list[tuple[str, str, str]]:
    """(name as PEP 503 normalises it, pinned version, marker or "") for each pin of the lock."""
    out = []
    for line in Path(path).read_text().splitlines():
        req, _, marker = line.split("#", 1)[0].strip().partition(";")
        if not req or req.startswith("-"):
            continue
        name, sep, version = req.partition("==")
        if not sep:
            raise ValueError(f"{Path(path).name}: not an exact pin: {line.strip()}")
        out.append((re.sub(r"[-_.]+", "-", name.split("[")[0].strip()).lower(), version.strip(), marker.strip()))
    return out


def lock_differences(path: Path = LOCK_FILE) -> list[tuple[str, str | None, str]]:
    """(name, installed version or None, locked version) for each pin whose marker holds in this
    interpreter and whose installed version differs from it."""
    from packaging.markers import Marker
    from packaging.version import Version
    out = []
    for name, locked, marker in lock_entries(path):
        if marker and not Marker(marker).evaluate():
            continue
        try:
            have = metadata.version(name)
        except metadata.PackageNotFoundError:
            have = None
        if have is None or Version(have) != Version(locked):
            out.append((name, have, locked))
    return out


def lock_summary(path: Path = LOCK_FILE) -> str:
    """The report's line on package versions against requirements-lock.txt."""
    if not Path(path).is_file():
        return f"not compared: no {Path(path).name}"
    diff = lock_differences(path)
    if not diff:
        return "match requirements lock"
    return "differ from the lock: " + ", ".join(f"{n} installed {have or 'none'}, locked {locked}"
                                                for n, have, locked in diff)


def write_run_provenance(cfg: Profile, timings: dict[str, dict]) -> dict:
    """Commit, resolved profile, environment, the notebooks skipped and why (`timings` {notebook:
    {"skipped": why}}), and per notebook, from its own latest run (a partial run replaces only its
    notebooks'): that run (`run`: started, label), wall time, peak RSS, the artifacts it asked for
    (key, computed or reused, bytes) and the bytes it wrote. `artifacts`: this run's, all notebooks."""
    from vt2lib.run_log import latest_run_artifacts, load_artifact_log, run_info
    prov = load_provenance(cfg)
    run, requests = run_info(cfg), latest_run_artifacts(cfg)
    skipped = {nb: t["skipped"] for nb, t in timings.items() if "skipped" in t}
    # a notebook that asked for nothing this run keeps no list from an earlier one
    ran = {nb: {**t, "run": run, "artifacts": requests.get(nb, {})} for nb, t in timings.items() if nb not in skipped}
    notebooks = {nb: t for nb, t in {**prov.get("notebooks", {}), **ran}.items() if nb not in skipped}
    written = {nb: sum(int(a.get("bytes") or 0) for a in t["artifacts"].values() if a.get("status") == "computed")
               if "artifacts" in t else prov.get("bytes_written", {}).get(nb, 0)  # recorded before per-notebook logs
               for nb, t in notebooks.items()}
    prov.update(git_commit=git_commit(), profile=cfg.as_dict(), environment=environment(), run=run,
                notebooks=notebooks,
                skipped={**{nb: why for nb, why in prov.get("skipped", {}).items() if nb not in ran}, **skipped},
                artifacts=load_artifact_log(cfg), bytes_written=written)
    write_json_atomic(_provenance_file(cfg), prov)
    return prov
