"""The artifact run log, runs/<profile>/artifacts.json: per notebook, the artifacts its latest
run asked for, `computed` or `reused` (vt2lib.store logs every request, under the notebook
the runner names in VT2_NOTEBOOK). A partial run replaces only its own notebooks' entries.

>>> import os, tempfile
>>> from vt2lib.profiles import load_profile
>>> os.environ["VT2_OUTPUT_ROOT"] = tempfile.mkdtemp()
>>> cfg = load_profile("smoke")
>>> start_run_log(cfg)                                      # ./run_all.sh smoke
>>> log_request(cfg, "01_clean_dataset", "clean", {"key": "k1", "status": "computed", "bytes": 10})
>>> start_run_log(cfg, {"07"})                              # ./run_all.sh smoke --only 07
>>> log_request(cfg, "07_fusion", "clean", {"key": "k1", "status": "reused", "bytes": 10})
>>> {nb: e["run"]["label"] for nb, e in notebook_artifacts(cfg).items()}   # each notebook's latest run
{'01_clean_dataset': 'all notebooks', '07_fusion': '--only 07'}
>>> load_artifact_log(cfg)["clean"]["notebook"]             # the latest run's requests, all notebooks
'07_fusion'
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from vt2lib.config import Profile
from vt2lib.io import file_lock, read_json, write_json_atomic

# {"run": the latest run {id, started, label}, "notebooks": {notebook: {"run", "artifacts": {name:
# {key, status, bytes}}}}}, each notebook's entry from the latest run that ran it
EARLIER_RUN = {"id": "earlier", "started": None, "label": "a run before per-notebook logs"}


def _path(cfg: Profile) -> Path:
    return cfg.run_dir / "artifacts.json"


def _read(path: Path) -> dict:
    log = read_json(path)
    if log and "notebooks" not in log:  # a flat log of one run, written before per-notebook logs
        by_nb: dict = {}
        for name, e in log.items():
            by_nb.setdefault(e.get("notebook", "interactive"), {"run": EARLIER_RUN, "artifacts": {}}
                             )["artifacts"][name] = {k: e.get(k) for k in ("key", "status", "bytes")}
        log = {"notebooks": by_nb}
    return {"run": log.get("run", {}), "notebooks": log.get("notebooks", {})}


def _this_run(log: dict, notebook: str) -> dict:
    """What `notebook` logged in the log's latest run ({} when its entry is from an earlier one)."""
    entry = log["notebooks"].get(notebook, {})
    return dict(entry.get("artifacts", {})) if entry.get("run", {}).get("id") == log["run"].get("id") else {}


def start_run_log(cfg: Profile, only: set[str] | None = None) -> None:
    """A new run (the runner calls this first; `only`: the notebook numbers it runs, None: all):
    each notebook it runs starts a new entry; the other notebooks' stay."""
    now = datetime.now().astimezone()
    run = {"id": now.isoformat(timespec="microseconds"), "started": now.isoformat(timespec="seconds"),
           "label": f"--only {','.join(sorted(only))}" if only else "all notebooks"}
    with file_lock(_path(cfg)):
        write_json_atomic(_path(cfg), {"run": run, "notebooks": _read(_path(cfg))["notebooks"]})


def log_request(cfg: Profile, notebook: str, name: str, entry: dict, only_if_new: bool = False) -> None:
    """Log `entry` ({key, status, bytes}) for `name` under `notebook` in the latest run; a notebook's
    first request of a run drops what its earlier run logged (under a lock: networks trained side
    by side log at once)."""
    with file_lock(_path(cfg)):
        log = _read(_path(cfg))
        entries = _this_run(log, notebook)
        if only_if_new and name in entries:
            return
        log["notebooks"][notebook] = {"run": log["run"], "artifacts": {**entries, name: entry}}
        write_json_atomic(_path(cfg), log)


def run_info(cfg: Profile) -> dict:
    """The latest run: {"id", "started" (local time, ISO), "label" ("all notebooks", "--only 07")}."""
    return _read(_path(cfg))["run"]


def notebook_artifacts(cfg: Profile) -> dict[str, dict]:
    """{notebook: {"run": its latest run, "artifacts": {name: {key, status, bytes}}}}: each notebook's
    requests in the latest run that ran it (a partial run replaces only its own notebooks')."""
    return _read(_path(cfg))["notebooks"]


def latest_run_artifacts(cfg: Profile) -> dict[str, dict]:
    """{notebook: {name: {key, status, bytes}}} of what each notebook asked for in the latest run
    ({} for a notebook whose entry is from an earlier run)."""
    log = _read(_path(cfg))
    return {nb: _this_run(log, nb) for nb in sorted(log["notebooks"])}


def load_artifact_log(cfg: Profile) -> dict:
    """{name: {key, status, notebook, bytes}} of the latest run: `computed` where a notebook of it
    computed the artifact (that notebook), else `reused` (the first notebook, in run order, that asked)."""
    out: dict = {}
    for nb, requests in latest_run_artifacts(cfg).items():
        for name, e in requests.items():
            if name not in out or e["status"] == "computed":
                out[name] = {**e, "notebook": nb}
    return out
