"""The reproduction report: every table and figure of the paper, our file, our numbers
beside the published ones, and what differs by design.

    write_report(cfg)   # -> runs/<profile>/REPORT.md

Called by the runner after the last notebook; it only reads what the notebooks saved
(figures/<profile>/, runs/<profile>/metrics.json, provenance.json) and `paper/`.
"""
from __future__ import annotations

from pathlib import Path

from .config import Profile
from .io import write_text_atomic
from .paper import paper_settings, published_counts, published_table
from .provenance import load_provenance
from .results import load_metrics

# (paper item, notebook, output name, [(label, our metric, published value or (table, row, col))])
ITEMS = (
    ("Table 1", "06_libfm", "tab01_rmse_mae", [
        ("libFM median RMSE", "rmse_median_fm", (1, "fm", "rmse_median")),
        ("512-d S=10 median RMSE", "rmse_median_emb512_s10", (1, "emb512_s10", "rmse_median")),
        ("256-d S=10 median RMSE", "rmse_median_emb256_s10", (1, "emb256_s10", "rmse_median")),
        ("512-d S=20 median RMSE", "rmse_median_emb512_s20", (1, "emb512_s20", "rmse_median")),
        ("256-d S=20 median RMSE", "rmse_median_emb256_s20", (1, "emb256_s20", "rmse_median")),
        ("metadata median RMSE", "rmse_median_metadata", (1, "metadata", "rmse_median")),
        ("512-d S=10, leak-free model (not in paper)", "rmse_median_emb512_s10_leakfree", None),
        ("user-mean median RMSE (not in paper)", "rmse_median_user_mean", None),
        ("global-mean median RMSE (not in paper)", "rmse_median_global_mean", None),
    ]),
    ("Table 2", "01_clean_dataset", "tab02_dataset_statistics", [
        ("movies after filtering", "n_movies_filtered", "n_movies_filtered"),
        ("users after filtering", "n_users_filtered", "n_users_filtered"),
        ("ratings after filtering", "n_ratings_filtered", "n_ratings_filtered"),
        ("mean rating (filtered)", "mean_rating_filtered", "mean_rating_filtered"),
        ("median rating (filtered)", "median_rating_filtered", "median_rating_filtered"),
        ("unavailable trailers (3.1.1)", "n_trailers_unavailable", "n_trailers_unavailable"),
    ]),
    ("Table 3", "08_correlation", "tab03_correlation", [
        ("R^2 embeddings (in-sample)", "r2_embeddings", (3, "embeddings", "r2")),
        ("R^2 embeddings (10-fold CV, not in paper)", "r2_embeddings_cv", None),
        ("R^2 embeddings, CV, PCA inside (not in paper)", "r2_embeddings_cv_pca", None),
        ("R^2 embeddings, CV, ridge inside (not in paper)", "r2_embeddings_cv_ridge", None),
        ("R^2 that noise reaches, p/(n-1)", "r2_embeddings_noise", None),
        ("R^2 log views/likes/dislikes", "r2_views_likes_dislikes", (3, "views_likes_dislikes", "r2")),
        ("R^2 log like/dislike ratio", "r2_like_ratio", (3, "like_ratio", "r2")),
    ]),
    ("Fig. 5", "01_clean_dataset", "fig05_trailer_durations", []),
    ("Fig. 6", "01_clean_dataset", "fig06_rating_histogram", []),
    ("Fig. 7", "07_fusion", "fig07_fusion_rmse", [
        ("best k by mean RMSE", "best_k_mean_rmse", None),
        ("FM alone median RMSE", "rmse_fm_alone_median", (1, "fm", "rmse_median")),
        ("best fusion median RMSE", "rmse_best_fusion_median", None),
    ]),
    ("Fig. 8", "07_fusion", "fig08_fusion_mae", []),
    ("Fig. 9", "04_extract_embeddings", "fig09_pca_harry_potter", [
        ("explained variance PC1", "explained_var_pc1", "explained_var_pc1"),
        ("explained variance PC2", "explained_var_pc2", "explained_var_pc2"),
    ]),
    ("Fig. 10", "04_extract_embeddings", "fig10_pca_lord_of_the_rings", []),
    ("Fig. 11", "04_extract_embeddings", "fig11_pca_star_wars", []),
    ("Fig. 12", "08_correlation", "fig12_like_ratio_fit", []),
    ("Fig. 13", "08_correlation", "fig13_like_ratio_residuals", []),
)

# Not in the paper (notebook 09); listed after the paper's items.
BEYOND = (
    ("Embedding network", "03_train_embedding", "extra_embedding_validation", [
        ("genre AUC, validation tails (S=10)", "val_genre_auc_s10", None),
        ("genre AUC, unseen trailers (S=10)", "genre_auc_unseen_trailers_s10", None),
    ]),
    ("Cold start", "09_cold_start_and_side_features", "extra_cold_start_rmse", [
        ("new movies: FM on ids, median RMSE", "rmse_cold_fm_ids", None),
        ("new movies: FM + genres + trailer", "rmse_cold_fm_side", None),
        ("new movies: best content-based", "rmse_cold_content_best", None),
        ("new movies: best content-based, leak-free", "rmse_cold_content_best_leakfree", None),
        ("new movies: user mean", "rmse_cold_user_mean", None),
    ]),
    ("FM side features", "09_cold_start_and_side_features", "extra_fm_side_features_tests", [
        ("warm: FM on ids, median RMSE", "rmse_warm_fm", None),
        ("warm: FM + genres + trailer", "rmse_warm_fm_side", None),
    ]),
)

NOT_REPRODUCED = ("Figs. 1-4 are diagrams; Fig. 4's worked example (4.19) is the unit test "
                  "`test_paper_worked_example` of the content-based predictor.")


def _published(ref):
    if ref is None:
        return None
    if isinstance(ref, str):
        return published_counts().get(ref)
    table, row, col = ref
    return published_table(table).loc[row, col]


def _fmt(v) -> str:
    if v is None:
        return "n/a"
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    return f"{int(f):,}" if f.is_integer() and abs(f) >= 100 else f"{f:.4g}"


# Choices in the code (not profile fields) where we differ from the paper or the authors' code, with the reason.
CODE_CHOICES = (
    "Eq. 2 as printed: k weights the FM and is swept on every fold (the authors' script weighted the content "
    "model with k and swept one fold only).",
    "One set of CV folds for every method. The authors' content-based script used KFold(10, shuffle=True, "
    "random_state=42), but their libFM splits came from an unseeded shuffle and KFold(shuffle=False), so their "
    "two models were not scored on the same folds; ours are, which makes paired tests possible.",
    "Table 3 row (b) regresses on log1p(views, likes, dislikes), so zero counts stay finite (the paper: log).",
    "The frozen MobileNetV2 runs once per keyframe and its features are cached as float16 (the authors ran it "
    "on every sequence in every epoch): the same function, a different cost.",
    "The paper model's rating head learns each movie's mean over all cleaned ratings, as in the authors' code, so "
    "the CV test ratings leak into its embeddings (kept for Table 1's paper rows); a second, leak-free model "
    "without the rating head gives the _leakfree rows beside them, so the leak's effect is measured.",
)


def _plain(v):
    """Profile and TOML values on one footing: tuples as lists, None as 'none'."""
    if isinstance(v, (tuple, list)):
        return [_plain(x) for x in v]
    return "none" if v is None else v


def differences(cfg: Profile, prov: dict | None = None) -> list[str]:
    """Every way this run differs from the paper: data, weights actually used, each profile field
    whose value is not the paper's (paper/settings.toml), and the code-level choices."""
    prov = prov or {}
    out = []
    if cfg.ratings_source == "synthetic":
        out.append("Ratings, movies and trailers are the synthetic demo dataset (vt2lib.synthetic), not "
                   "ML20M: counts and errors are not comparable in value, only in shape and ranking.")
    w = prov.get("backbone_weights")
    if w and w != "imagenet" and w != cfg.backbone_weights:
        out.append(f"The MobileNetV2 backbone used `{w}` weights (profile asked for `{cfg.backbone_weights}`).")
    for field, spec in paper_settings().items():
        ours, paper = _plain(getattr(cfg, field)), _plain(spec["value"])
        if ours != paper:
            out.append(f"`{field}` = `{ours}` (paper: `{paper}`; {spec['source']}).")
    return out + list(CODE_CHOICES)


def write_report(cfg: Profile) -> Path:
    metrics, prov = load_metrics(cfg), load_provenance(cfg)
    lines = [f"# Reproduction report: profile `{cfg.name}`", ""]
    env = prov.get("environment", {})
    lines += [f"- git commit: `{prov.get('git_commit', 'unknown')}`",
              f"- device: {env.get('device', 'unknown')}, Python {env.get('python', '?')}, "
              f"Keras backend {env.get('keras_backend', '?')}",
              f"- backbone weights used: {prov.get('backbone_weights', 'n/a')}",
              f"- wall time per notebook (s): {prov.get('notebook_seconds', {})}",
              f"- full provenance (profile as resolved, package versions, input checksums): "
              f"`{cfg.run_dir / 'provenance.json'}`", ""]
    lines += ["## Paper items", "", "| item | notebook | our file | number | ours | paper |", "|---|---|---|---|---|---|"]
    for item, notebook, name, comparisons in ITEMS + BEYOND:
        files = sorted(p.name for p in cfg.figures_dir.glob(f"{name}.*")) if cfg.figures_dir.is_dir() else []
        produced = ", ".join(files) if files else "**not produced**"
        rows = comparisons or [("", None, None)]
        for k, (label, metric, ref) in enumerate(rows):
            ours = _fmt(metrics.get(metric)) if metric else ""
            paper = _fmt(_published(ref)) if metric else ""
            lead = (item, notebook, produced) if k == 0 else ("", "", "")
            lines.append(f"| {' | '.join(lead)} | {label} | {ours} | {paper} |")
    lines += ["", NOT_REPRODUCED, "", "## What differs by design", ""]
    lines += [f"- {d}" for d in differences(cfg, prov)]
    lines += ["", "## All recorded numbers", "", "| metric | value |", "|---|---|"]
    lines += [f"| {k} | {_fmt(v)} |" for k, v in sorted(metrics.items())]
    path = cfg.run_dir / "REPORT.md"
    write_text_atomic(path, "\n".join(lines) + "\n")
    return path
