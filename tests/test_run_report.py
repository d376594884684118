"""The report after a partial run (issue 35 §6): each notebook's row and artifact list come from
its own latest run, and `--only 07` replaces 07's alone.

Two runs are recorded with the real recording functions (start_run_log, the store's requests
under VT2_NOTEBOOK, write_run_provenance), no notebook is executed: a second."""
import dataclasses
import json
import types
from datetime import datetime

import pandas as pd
import pytest

from vt2lib import run_log
from vt2lib.analysis.report import derived_from, write_report
from vt2lib.provenance import load_provenance, write_run_provenance
from vt2lib.run_log import load_artifact_log, notebook_artifacts, start_run_log
from vt2lib.store import Store

FULL, PARTIAL = datetime(2026, 11, 30, 9, 0, 0), datetime(2026, 12, 1, 14, 30, 0)


@pytest.fixture
def cfg(smoke_cfg, tmp_path, monkeypatch):
    monkeypatch.setenv("VT2_OUTPUT_ROOT", str(tmp_path))
    starts = iter([FULL, PARTIAL])  # the two runs' start times
    monkeypatch.setattr(run_log, "datetime", types.SimpleNamespace(now=lambda: next(starts)))
    return dataclasses.replace(smoke_cfg, name="reporttest")


def _run(cfg, monkeypatch, only, work):
    """One run: `work` {notebook: what it does with a Store}; returns the timings the runner would."""
    start_run_log(cfg, only)
    for nb, step in work.items():
        monkeypatch.setenv("VT2_NOTEBOOK", nb)
        step(Store(cfg))
    monkeypatch.delenv("VT2_NOTEBOOK")
    return {nb: {"seconds": float(k + 1) + (0.5 if only else 0), "peak_rss_gib": 0.25} for k, nb in enumerate(work)}


def _table(name):  # a one-row table under `name`
    return {name: pd.DataFrame({"x": [1.0]})}


def _notebook_02(s):
    with s.produce("features") as art:
        (art.path / "a.npy").write_bytes(b"x" * 1000)
    s.save_tables("keyframe_status", _table("status"))
    s.save_tables("evaluation_ratings", _table("ratings"))


def _notebook_07(s):
    s.require("folds")
    s.save_tables("predictions/fusion_toy", _table("predictions"))


def test_a_partial_run_replaces_only_its_notebooks_entries(cfg, monkeypatch):
    full = _run(cfg, monkeypatch, None, {"01_clean_dataset": lambda s: s.save_tables("clean", _table("ratings")),
                                         "02_keyframes": _notebook_02,
                                         "05_content_based": lambda s: s.save_tables("folds", _table("folds")),
                                         "07_fusion": _notebook_07})
    write_run_provenance(cfg, full)
    first = notebook_artifacts(cfg)
    assert {n for n, a in first["07_fusion"]["artifacts"].items() if a["status"] == "computed"} == {"predictions/fusion_toy"}

    partial = _run(cfg, monkeypatch, {"07"}, {"07_fusion": _notebook_07})  # ./run_all.sh --only 07
    prov = write_run_provenance(cfg, partial)
    report = write_report(cfg).read_text()

    # the run log: 07's entry is the new run's (all reused now), the others' are the full run's, intact
    logged = notebook_artifacts(cfg)
    assert logged["07_fusion"]["run"]["label"] == "--only 07"
    assert all(a["status"] == "reused" for a in logged["07_fusion"]["artifacts"].values())
    assert {nb: logged[nb] for nb in ("01_clean_dataset", "02_keyframes", "05_content_based")} == \
        {nb: first[nb] for nb in ("01_clean_dataset", "02_keyframes", "05_content_based")}
    # load_artifact_log keeps its meaning: the latest run's requests, all 07's
    assert {a["notebook"] for a in load_artifact_log(cfg).values()} == {"07_fusion"}
    assert load_provenance(cfg)["artifacts"] == prov["artifacts"] == load_artifact_log(cfg)

    # the report: one row per notebook, each with its own run's start, time and counts
    for nb, started, label in [("01_clean_dataset", "2026-11-30 09:00:00", "all notebooks"),
                               ("02_keyframes", "2026-11-30 09:00:00", "all notebooks"),
                               ("05_content_based", "2026-11-30 09:00:00", "all notebooks"),
                               ("07_fusion", "2026-12-01 14:30:00", "--only 07")]:
        timing, arts = (partial if label != "all notebooks" else full)[nb], logged[nb]["artifacts"]
        computed = sum(a["status"] == "computed" for a in arts.values())
        reused = len(arts) - computed
        written = sum(a["bytes"] for a in arts.values() if a["status"] == "computed") / 1e6
        assert (f"| {nb} | {started} ({label}) | {timing['seconds']} | 0.25 | {written:,.1f} | {computed} | {reused} |"
                in report), nb
        assert f"### {nb}: {computed} computed, {reused} reused; run of {started} ({label})" in report
    assert logged["02_keyframes"]["artifacts"]["features"]["status"] == "computed"  # 02 wrote bytes, kept
    assert prov["bytes_written"]["02_keyframes"] > 1000 and prov["bytes_written"]["07_fusion"] == 0
    n_07 = len(logged["07_fusion"]["artifacts"])
    assert f"The latest run, 2026-12-01 14:30:00 (--only 07), computed 0 and reused {n_07} artifacts." in report
    # the paper items: a notebook with no run under this profile is "not run", one that ran without its file
    # "not produced"; an item none of whose notebooks ran is one row (no column of n/a), and Table 1, whose
    # file 06 writes, lists the rows 05 recorded
    assert "| Table 3 | 08_correlation | **not run** under this profile |  |  |  |\n| " in report
    assert ("| Table 1 | 06_libfm | **not run** under this profile (06_libfm writes it); the numbers 05_content_based "
            "recorded: | ") in report
    assert "libFM median MAE" not in report  # 06's own row
    assert "| Fig. 7 | 07_fusion | **not produced** |" in report
    undrawn = dataclasses.replace(cfg, figure_formats=())  # asked for no figure files: none is missing
    assert "| Fig. 7 | 07_fusion | not drawn (figure_formats = []) |" in write_report(undrawn).read_text()
    cfg.figures_dir.mkdir(parents=True, exist_ok=True)
    (cfg.figures_dir / "fig07_fusion_rmse.pdf").write_bytes(b"%PDF")  # left by a run with the default formats
    assert "| Fig. 7 | 07_fusion | not drawn (figure_formats = []) |" in write_report(undrawn).read_text()
    assert "| Fig. 7 | 07_fusion | fig07_fusion_rmse.pdf |" in write_report(cfg).read_text()
    # a derived profile names its base and what it changes, and where the base's items are
    assert "derived from" not in report  # a profile of its own
    from vt2lib.profiles import load_profile
    assert derived_from(load_profile("smoke", {"top_k": 3, "seed": 7})) == [
        "- derived from profile `smoke`, changing `seed` = 7 (base: 42), `top_k` = 3 (base: none); it reuses every "
        "artifact these fields do not enter. The items of notebooks not run under `smoke+seed=7+top_k=3` are in "
        "`smoke`'s report, once it has run: `../smoke/REPORT.md`"]
    assert derived_from(dataclasses.replace(cfg, base="")) == []  # a named profile


def test_a_run_log_written_before_per_notebook_logs_is_kept(cfg):
    """A flat artifacts.json of an earlier version: each entry goes under the notebook it names."""
    path = cfg.run_dir / "artifacts.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"clean": {"key": "k", "status": "computed", "notebook": "01_clean_dataset",
                                          "bytes": 10}}))
    start_run_log(cfg, {"07"})
    old = notebook_artifacts(cfg)["01_clean_dataset"]
    assert old["artifacts"] == {"clean": {"key": "k", "status": "computed", "bytes": 10}}
    assert old["run"]["label"] == "a run before per-notebook logs" and load_artifact_log(cfg) == {}


def test_the_backbone_line_appears_only_where_the_weights_used_are_not_the_asked_ones(smoke_cfg):
    """`none` records "none, BatchNorm calibrated on N keyframes": what it asked for, no line (a new
    user read "used `none, ...` (profile asked for `none`)" as a mismatch); a failed ImageNet download is one."""
    from vt2lib.analysis.report import differences
    calibrated = "none, BatchNorm calibrated on 480 keyframes"
    assert not [s for s in differences(smoke_cfg, {"backbone_weights": calibrated}) if "backbone used" in s]
    fallback = dataclasses.replace(smoke_cfg, backbone_weights="imagenet")
    [line] = [s for s in differences(fallback, {"backbone_weights": "none (random init: imagenet download failed), "
                                                                    + calibrated[6:]}) if "backbone used" in s]
    assert "where the profile asked for `imagenet`" in line
