"""Run every numbered notebook on the smoke profile with papermill and check what they record."""
import json

import pytest

from vt2lib.config import load_profile
from vt2lib.results import load_metrics
from vt2lib.runner import main, numbered_notebooks

# Metrics each notebook must record (issues: foundation, keyframes, embedding, evaluation, fusion).
REQUIRED = {
    "01": ["n_movies_mapped", "n_trailers_unavailable", "n_movies_filtered", "n_users_filtered",
           "n_ratings_filtered", "mean_rating_filtered", "median_rating_filtered"],
    "02": ["n_trailers_ok", "n_trailers_failed", "n_keyframes_total", "n_sequences_s10", "n_sequences_s20",
           "feature_dim"],
    "03": ["best_epoch_s10", "best_epoch_s20", "val_genre_auc_s10", "val_id_top5_s10", "val_rating_rmse_s10",
           "val_genre_auc_s20", "val_id_top5_s20", "val_rating_rmse_s20", "genre_auc_unseen_trailers_s10",
           "val_genre_auc_s10_leakfree"],
    "04": ["explained_var_pc1", "explained_var_pc2", "n_trailer_embeddings"],
    "05": ["rmse_median_emb512_s10", "rmse_median_emb512_s10_leakfree", "rmse_median_metadata", "rmse_median_user_mean", "rmse_median_item_mean",
           "rmse_median_global_mean", "rmse_median_random_similarity"],
    "06": ["rmse_median_fm"],
    "07": ["best_k_mean_rmse", "rmse_fm_alone_median", "rmse_best_fusion_median"],
    "08": ["r2_embeddings", "r2_embeddings_cv", "r2_embeddings_cv_pca", "r2_embeddings_cv_ridge",
           "r2_views_likes_dislikes", "r2_like_ratio"],
    "09": ["rmse_cold_fm_ids", "rmse_cold_content_best", "rmse_cold_content_best_leakfree", "rmse_cold_fm_side",
           "rmse_warm_fm_side", "rmse_warm_fm"],
}


@pytest.fixture(scope="module")
def smoke_run():
    main(["smoke"])
    cfg = load_profile("smoke")
    return cfg, load_metrics(cfg)


@pytest.mark.notebooks
def test_every_notebook_records_its_numbers(smoke_run):
    cfg, metrics = smoke_run
    present = {p.name[:2] for p in numbered_notebooks()}
    for nb, names in REQUIRED.items():
        if nb in present:
            missing = [n for n in names if n not in metrics]
            assert not missing, f"notebook {nb} did not record {missing}"
    assert (cfg.run_dir / "REPORT.md").is_file()
    prov = json.loads((cfg.run_dir / "provenance.json").read_text())
    assert prov["inputs"]["ratings"]["sha256"] and prov["environment"]["python"]


@pytest.mark.notebooks
def test_smoke_cleaning_numbers(smoke_run):
    cfg, m = smoke_run
    assert 0 < m["n_movies_filtered"] < m["n_movies_mapped"]
    assert 0 < m["n_trailers_unavailable"] and 0.5 <= m["median_rating_filtered"] <= 5.0
    for name in ("fig05_trailer_durations.png", "fig06_rating_histogram.pdf", "tab02_dataset_statistics.md"):
        assert (cfg.figures_dir / name).is_file(), name


@pytest.mark.notebooks
def test_same_profile_and_seed_give_identical_numbers(smoke_run, tmp_path, monkeypatch):
    """A second smoke run from scratch (own data, caches and outputs) records the same numbers."""
    _, first = smoke_run
    monkeypatch.setenv("VT2_OUTPUT_ROOT", str(tmp_path))
    main(["smoke"])
    second = load_metrics(load_profile("smoke"))
    timing = {k for k in first if k.startswith("seconds_")}
    assert {k: v for k, v in first.items() if k not in timing} == {k: v for k, v in second.items() if k not in timing}


@pytest.mark.notebooks
def test_demo_embedding_network_learns_genre_and_identity(tmp_path, monkeypatch):
    """On the demo the trailers carry genre and identity signal: 01-03 must find it (issue: embedding).

    S = 10 only and at most 8 epochs, to keep the suite's time: 03 trains three models per S
    (paper, leak-free, the unseen-trailer diagnostic)."""
    monkeypatch.setenv("VT2_OUTPUT_ROOT", str(tmp_path))
    profile = tmp_path / "demo_s10.toml"
    profile.write_text('base = "demo"\nsequence_lengths = [10]\npca_sequence_length = 10\nmax_epochs = 8\n')
    main([str(profile), "--only", "01,02,03"])
    m = load_metrics(load_profile(profile))
    assert m["val_id_top5_s10"] > 5 * m["val_id_chance_top5_s10"]
    # genres are learnt, not only trailers memorised: AUC on trailers the diagnostic model never saw.
    # Measured 0.59 here (8 epochs); the generator mixes a movie's genres into two background hues,
    # which transfers to unseen trailers far less than identity does (seen-trailer tails: 0.74-0.95).
    assert m["genre_auc_unseen_trailers_s10"] > 0.55
