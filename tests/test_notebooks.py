"""Run every numbered notebook on the smoke profile with papermill and check what they record."""
import json
import math

import pytest

from vt2lib.analysis.outputs import all_numbers, numbers_of
from vt2lib.profiles import load_profile
from vt2lib.results import load_metrics
from vt2lib.runner import main, numbered_notebooks

# Plausible ranges by metric name prefix (a recorded number outside is a bug, not a result).
RANGES = {"rmse_": (0.05, 4.5), "mae_": (0.05, 4.5), "val_genre_auc": (0, 1), "genre_auc": (0, 1),
          "val_id_": (0, 1), "explained_var": (0, 1), "best_k": (0, 1), "r2_embeddings_noise": (0, 1),
          "r2_": (-50, 1), "mean_rating": (0.5, 5), "median_rating": (0.5, 5), "n_": (0, 1e9),
          "best_epoch": (1, 1000), "seconds_per_epoch": (0, 1e5), "feature_dim": (1, 1e5), "val_rating_rmse": (0, 4.5),
          "ranking_": (0, 1), "ranking_paired_": (-1, 1), "networks_": (0, 1000), "fm_chain_sd": (0, 1), "trailer_gain_": (-4.5, 4.5), "frozen_mean_vs_trained_mean_diff": (-4.5, 4.5), "frozen_mean_vs_trained_corrected_p": (0, 1)}


def _range(metric):
    return next(r for prefix, r in sorted(RANGES.items(), key=lambda kv: -len(kv[0])) if metric.startswith(prefix))

@pytest.fixture(scope="module")
def smoke_run():
    main(["smoke"])
    cfg = load_profile("smoke")
    return cfg, load_metrics(cfg)


def assert_recorded_numbers(cfg, metrics, notebooks):
    """Every number `notebooks` declare (vt2lib.analysis.outputs) is recorded, finite and in range; nothing else is."""
    for nb in notebooks:
        for n in numbers_of(cfg, nb):
            assert n.metric in metrics, f"notebook {nb} did not record {n.metric}"
            value = metrics[n.metric]
            if value is None and n.optional:
                continue
            assert isinstance(value, (int, float)) and math.isfinite(value), f"{n.metric} = {value!r}"
            low, high = _range(n.metric)
            assert low <= value <= high, f"{n.metric} = {value} outside [{low}, {high}]"
    assert {n.metric for nb in notebooks for n in numbers_of(cfg, nb)} == set(metrics)  # nothing beside the declaration


@pytest.mark.notebooks
def test_every_notebook_records_its_numbers(smoke_run):
    """Every number declared in vt2lib.analysis.outputs is recorded by its notebook, finite and in range."""
    cfg, metrics = smoke_run
    assert_recorded_numbers(cfg, metrics, [nb.stem for nb in numbered_notebooks()])
    assert {n.metric for _, n in all_numbers(cfg)} == set(metrics)
    assert (cfg.run_dir / "REPORT.md").is_file()
    prov = json.loads((cfg.run_dir / "provenance.json").read_text())
    assert prov["inputs"]["ratings"]["sha256"] and prov["environment"]["python"]
    assert set(prov["notebooks"]) == {p.stem for p in numbered_notebooks()} and not prov["skipped"]
    assert all(v["seconds"] > 0 and v["peak_rss_gib"] > 0.05 for v in prov["notebooks"].values())
    assert prov["artifacts"] and all(a["status"] in ("computed", "reused") for a in prov["artifacts"].values())


@pytest.mark.notebooks
def test_every_saved_figure_shows_in_its_executed_notebook(smoke_run):
    """One inline PNG per saved figure, in the notebook that made it (papermill draws on Agg and
    shows nothing by itself): the PNG files written equal the images shown, by name."""
    cfg, _ = smoke_run
    shown = []
    for nb in sorted((cfg.run_dir / "notebooks").glob("*.ipynb")):
        for cell in json.loads(nb.read_text())["cells"]:
            for out in cell.get("outputs", []):
                if "image/png" in out.get("data", {}):
                    shown.append(out.get("metadata", {}).get("vt2_figure"))
    saved = sorted(p.stem for p in cfg.figures_dir.glob("*.png"))
    assert saved and sorted(shown) == saved


@pytest.mark.notebooks
def test_every_notebook_opens_with_its_settings_beside_the_papers_and_the_caveats(smoke_run):
    """The fields a notebook uses (vt2lib.paper.NOTEBOOK_FIELDS) beside the paper's, before its
    first result; on smoke the caveats "synthetic data" and "random weights" in every notebook."""
    cfg, _ = smoke_run
    for nb in sorted((cfg.run_dir / "notebooks").glob("*.ipynb")):
        code = [c for c in json.loads(nb.read_text())["cells"] if c["cell_type"] == "code"]
        opening = next(c for c in code if "show_settings(" in "".join(c["source"]))
        text = "".join("".join(o.get("text", "")) for o in opening["outputs"] if o.get("name") == "stdout")
        assert "settings this notebook uses differ from the paper's" in text, nb.name
        assert "Note: Synthetic data" in text and "random weights (no ImageNet weights here)" in text, nb.name
        assert any("paper's source" in "".join(o.get("data", {}).get("text/plain", "")) for o in opening["outputs"])


@pytest.mark.notebooks
def test_each_notebook_ends_with_what_it_shows_from_its_recorded_numbers(smoke_run):
    """The closing "What this shows" is generated: the executed cell's lines are what
    vt2lib.analysis.summary writes from the recorded numbers, and the numbers it quotes are those."""
    from vt2lib.analysis.summary import what_this_shows
    cfg, metrics = smoke_run
    for nb in sorted((cfg.run_dir / "notebooks").glob("*.ipynb")):
        last = [c for c in json.loads(nb.read_text())["cells"] if c["cell_type"] == "code"][-1]
        assert "show_summary(" in "".join(last["source"]), nb.name
        shown = "".join("".join(o.get("text", "")) for o in last["outputs"] if o.get("name") == "stdout")
        lines = what_this_shows(cfg, nb.stem)
        assert lines and shown == "\n".join(f"- {line}" for line in lines) + "\n", nb.name
    lines = what_this_shows(cfg, "06_libfm")
    assert any(f"ours {metrics['rmse_median_fm']:.4g}" in line for line in lines)
    assert any("corrected p" in line for line in lines) and any("synthetic" in line.lower() for line in lines)


@pytest.mark.notebooks
def test_smoke_cleaning_numbers(smoke_run):
    cfg, m = smoke_run
    assert 0 < m["n_movies_filtered"] < m["n_movies_mapped"]
    assert 0 < m["n_trailers_unavailable"] and 0.5 <= m["median_rating_filtered"] <= 5.0
    for name in ("fig05_trailer_durations.png", "fig06_rating_histogram.pdf", "tab02_dataset_statistics.md"):
        assert (cfg.figures_dir / name).is_file(), name


@pytest.mark.notebooks
def test_same_profile_and_seed_give_identical_numbers(smoke_run, tmp_path, monkeypatch):
    """A second smoke run from scratch (own data, artifacts and outputs) records the same numbers,
    with 03's networks trained side by side this time (vt2lib.embedding.side_by_side): each
    worker process seeds its network as the notebook's process does. Its figures are not drawn
    (figure_formats = []): the numbers are compared.

    Only XLA's compilation cache is shared (conftest): a cached program is the one a fresh compile gives."""
    _, first = smoke_run
    monkeypatch.setenv("VT2_OUTPUT_ROOT", str(tmp_path))
    side_by_side = tmp_path / "smoke.toml"
    side_by_side.write_text('base = "smoke"\ntrain_workers = 2\nfigure_formats = []\n')
    main([str(side_by_side)])
    cfg = load_profile(side_by_side)
    assert cfg.name == "smoke" and cfg.train_workers == 2
    second = load_metrics(cfg)
    timing = {k for k in first if k.startswith("seconds_")}
    assert {k: v for k, v in first.items() if k not in timing} == {k: v for k, v in second.items() if k not in timing}


@pytest.mark.notebooks
def test_a_tweak_computes_only_what_its_change_touches(smoke_run):
    """`--set top_k=3 --only 05` after a smoke run (issue 35's tweak): a profile of its own,
    smoke+top_k=3, that reuses every upstream artifact and every 05 prediction top_k does not
    enter, computes the Eq. 1 ones, gets OVERRIDES in its parameters cell, and leaves the smoke
    profile's figures and artifact log byte-identical."""
    import hashlib

    from vt2lib.store import load_artifact_log
    cfg, _ = smoke_run
    files = lambda: {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(cfg.figures_dir.rglob("*"))  # noqa: E731
                     if p.is_file()}
    before, log_before = files(), (cfg.run_dir / "artifacts.json").read_bytes()
    main(["smoke", "--set", "top_k=3", "--only", "05"])
    tweak = load_profile("smoke", {"top_k": 3})
    log = load_artifact_log(tweak)
    computed = {n for n, a in log.items() if a["status"] == "computed"}
    from vt2lib.rating.methods import BASELINES  # the rest of 05's predictions are Eq. 1's: top_k enters them
    eq1 = {n for n in log if n.startswith("predictions/")} - {f"predictions/{m.name}" for m in BASELINES}
    assert computed == eq1 and "predictions/emb512_s10" in computed and "predictions/user_mean" in log
    assert {"clean", "features", "evaluation_ratings", "folds", "embeddings/s10"} <= set(log) - computed
    executed = json.loads((tweak.run_dir / "notebooks" / "05_content_based.ipynb").read_text())["cells"]
    [injected] = [c for c in executed if "injected-parameters" in c["metadata"].get("tags", [])]
    assert 'OVERRIDES = {"top_k": 3}' in "".join(injected["source"])
    assert load_metrics(tweak)["rmse_median_emb512_s10"] != load_metrics(cfg)["rmse_median_emb512_s10"]
    assert files() == before and (cfg.run_dir / "artifacts.json").read_bytes() == log_before


def test_09_with_one_fit_shared_by_its_new_movie_settings(smoke_run):
    """`--set cold_shared_fit=true --only 09` (ml20m's setting) after a smoke run: one stored run per method
    for the few-ratings settings instead of one per setting; the fully cold runs and the warm ones reused,
    so 09's recorded numbers (fully cold and warm) are the smoke run's; every setting in the table."""
    import pandas as pd

    from vt2lib.store import load_artifact_log
    cfg, _ = smoke_run
    main(["smoke", "--set", "cold_shared_fit=true", "--only", "09"])
    shared = load_profile("smoke", {"cold_shared_fit": True})
    log = load_artifact_log(shared)
    computed = {n for n, a in log.items() if a["status"] == "computed" and n.startswith("predictions/")}
    assert computed and all(n.startswith("predictions/cold_shared_") for n in computed)
    assert not [n for n in log if n.startswith(tuple(f"predictions/cold{n}_" for n in cfg.cold_n_ratings))]
    reused = {n for n in log if n.startswith("predictions/")} - computed
    assert {"predictions/fm", "predictions/cold0_fm_ids"} <= reused
    assert all(log[n]["status"] == "reused" for n in reused)  # the smoke run's
    median = pd.read_csv(shared.figures_dir / "extra_cold_start_rmse_median.csv", index_col=0)
    assert median.notna().all().all() and len(median.columns) == len(cfg.cold_n_ratings) + 2
    assert [c.endswith("(own movies)") for c in median.columns] == [False, True, True, True, False]
    assert load_metrics(shared)["rmse_cold_fm_ids"] == load_metrics(cfg)["rmse_cold_fm_ids"]
    executed = (shared.run_dir / "notebooks" / "09_cold_start_and_side_features.ipynb").read_text()
    assert "are each scored on their own movies" in executed and "too few to compare these settings" in executed

