"""The one declaration of what a run produces: paper items, their files, and every recorded number.

The report (vt2lib.analysis.report), figures/README.md (`python -m vt2lib.analysis.outputs` writes it) and
the notebook test (tests/test_notebooks.py: it fails on a recorded name that is not declared here) read it.

>>> from vt2lib.profiles import load_profile
>>> cfg = load_profile("smoke")
>>> [n.metric for n in numbers_of(cfg, "03_train_embedding")][:2]
['best_epoch_s10', 'seconds_per_epoch_s10']
>>> item = next(i for i in ITEMS if i.item == "Table 1")
>>> [(n.metric, n.published) for n in item.numbers(cfg) if n.report][:2]
[('rmse_median_fm', (1, 'fm', 'rmse_median')), ('mae_median_fm', (1, 'fm', 'mae_median'))]
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from vt2lib.config import PROJECT_ROOT, Profile


@dataclass(frozen=True)
class Number:
    label: str
    metric: str                       # the name notebooks record (runs/<profile>/metrics.json)
    published: object = None          # a paper/counts.csv name, (table, row, column), or None
    optional: bool = False            # may be None (e.g. adjusted R^2 when regressors >= movies)
    report: bool = True               # listed under its item in REPORT.md (else only in "all numbers")
    recorded_by: str = ""             # the notebook that records it, where not the item's
    absent: str = ""                  # why an optional number may be None: the report says it beside "n/a"


@dataclass(frozen=True)
class Item:
    item: str                         # "Table 1", "Fig. 7", or "—" for outputs beyond the paper
    what: str
    notebook: str
    files: tuple[str, ...]            # output names (figures/<profile>/<name>.png|pdf|csv|md)
    numbers: Callable[[Profile], list[Number]] = field(default=lambda cfg: [])

    def recorder(self, n: Number) -> str:
        """The notebook that records `n`: its own recorded_by, else this item's notebook."""
        return n.recorded_by or self.notebook


def _per_s(cfg: Profile, rows) -> list[Number]:
    # validation numbers are None where trailers are too short for validation windows (smoke, S = 20)
    return [Number(label.format(S=S), metric.format(S=S), report=report, optional=metric.startswith("val_"),
                   absent=f"no validation windows: trailers too short for S = {S}" if metric.startswith("val_") else "")
            for S in cfg.sequence_lengths for label, metric, report in rows]


def _table1(cfg: Profile) -> list[Number]:
    from vt2lib.paper import published_table
    from vt2lib.rating.methods import table1_methods
    published = published_table(1).index
    out = []
    for m in table1_methods(cfg):
        ref = (1, m.name, "rmse_median") if m.name in published else None
        label = f"{m.description}{', ' + m.sequence if m.sequence != '—' else ''}: median RMSE"
        if m.name == "fm":  # 06 fits the FM; 05 records every other row
            out += [Number(label, "rmse_median_fm", ref),
                    Number("libFM median MAE", "mae_median_fm", (1, "fm", "mae_median")),
                    Number("libFM max RMSE", "rmse_max_fm", (1, "fm", "rmse_max"), report=False)]
        else:
            out += [Number(label + ("" if ref else " (not in paper)"), f"rmse_median_{m.name}", ref,
                           recorded_by="05_content_based"),
                    Number(f"{m.name} median MAE", f"mae_median_{m.name}", report=False,
                           recorded_by="05_content_based")]
    return out


def _table2(cfg: Profile) -> list[Number]:
    shown = [("movies after filtering", "n_movies_filtered"), ("users after filtering", "n_users_filtered"),
             ("ratings after filtering", "n_ratings_filtered"), ("mean rating (filtered)", "mean_rating_filtered"),
             ("median rating (filtered)", "median_rating_filtered"),
             ("unavailable trailers (3.1.1)", "n_trailers_unavailable")]
    quiet = ("n_movies_ml20m", "n_users_ml20m", "n_ratings_ml20m", "n_movies_mapped", "n_trailers_mapped")
    # n/a (None) where the step could not run: no ML20M-YT mapping or no availability file
    optional = ("n_trailers_unavailable", "n_trailers_mapped")
    # 02 drops the movies whose trailer gave no keyframes (and users left with too few ratings): 03-10's data
    evaluated = [Number(f"{what} evaluated (after 02's trailer check; not in paper)", f"n_{what}_evaluated",
                        recorded_by="02_keyframes") for what in ("movies", "users", "ratings")]
    return ([Number(label, m, m, optional=m in optional) for label, m in shown] + evaluated
            + [Number(m, m, report=False, optional=m in optional) for m in quiet])


def _ranking(cfg: Profile) -> list[Number]:
    from vt2lib.ranking.runs import METRICS, PAIRED_METRICS, SETTINGS, ranked_names
    from vt2lib.ranking.tables import metric_name, paired_metric_name, paired_names
    # the items table lists Recall@10; the rest, and the paired tests (with their methods and intervals), are in
    # the report's "What each notebook shows" and in extra_ranking_table / extra_ranking_paired
    means = [Number(f"{s}: {m}, {k}", metric_name(s, m, k), report=k == "recall@10")
             for s in SETTINGS for m in ranked_names(cfg, s) for k in METRICS]
    # a - b per user; the bounds NaN (None) where fewer than 2 users, or no variance, allow no interval
    return means + [Number(f"{s}: {key}, {k}{label}", paired_metric_name(s, key, k, stat), optional=bool(stat),
                           report=False)
                    for s, key in paired_names(cfg) for k in PAIRED_METRICS
                    for stat, label in (("", ", mean difference over users"), ("_ci_low", ", 95% low"),
                                        ("_ci_high", ", 95% high"))]


def _frozen_vs_trained(cfg: Profile) -> list[Number]:
    from vt2lib.rating.methods import frozen_mean_methods  # none without trailers: nothing to test
    return [Number("frozen_mean minus best trained embedding, mean RMSE difference over folds",
                   "frozen_mean_vs_trained_mean_diff", optional=True),
            Number("frozen_mean vs best trained embedding, corrected p", "frozen_mean_vs_trained_corrected_p",
                   optional=True)] if frozen_mean_methods(cfg) else []


def _table3(cfg: Profile) -> list[Number]:
    none = cfg.variant("correlation_variant") is None  # no trailers: row (a) is n/a
    return [Number("R^2 embeddings (in-sample: read it beside the R^2 noise reaches)", "r2_embeddings",
                   (3, "embeddings", "r2"), optional=none),
            Number("adjusted R^2 embeddings", "r2_embeddings_adj", optional=True, report=False),
            Number(f"R^2 embeddings ({cfg.cv_folds_r2}-fold CV, not in paper)", "r2_embeddings_cv", optional=none),
            Number("R^2 embeddings, CV, PCA inside (not in paper)", "r2_embeddings_cv_pca", optional=none),
            Number("R^2 embeddings, CV, ridge inside (not in paper)", "r2_embeddings_cv_ridge", optional=none),
            Number("R^2 that noise reaches, p/(n-1)", "r2_embeddings_noise", optional=none),
            Number("R^2 log views/likes/dislikes", "r2_views_likes_dislikes", (3, "views_likes_dislikes", "r2"),
                   optional=True),
            Number("R^2 log like/dislike ratio", "r2_like_ratio", (3, "like_ratio", "r2"), optional=True)]


def _fusion(cfg: Profile) -> list[Number]:
    """Fig. 7's numbers: one honest fusion per model of the fusion variant (paper's and leak-free, or genres)."""
    from vt2lib.analysis.fusion import fusion_models
    models = fusion_models(cfg, cfg.variant("fusion_variant"))
    return ([Number("best k by mean RMSE", "best_k_mean_rmse"),
             Number("FM alone median RMSE", "rmse_fm_alone_median", (1, "fm", "rmse_median"))]
            + [Number(f"best fusion median RMSE (k chosen on inner validation; {label})", f"rmse_best_fusion_median{s}")
               for s, (label, _) in models.items()]
            + [Number("best fusion median RMSE (k chosen on the test folds)", "rmse_best_fusion_in_sample_median",
                      report=False)])


def _cold_start(cfg: Profile) -> list[Number]:
    from vt2lib.rating.cold_start import cold_start_numbers, fm_side_set  # 09's numbers: genres only without trailers
    out = [Number(label, metric) for metric, (label, _, _) in cold_start_numbers(cfg).items()]
    # the Monte Carlo error of the FMs with side features (None with one chain), and the permutation control
    out.append(Number("new movies: sd across chains of one chain's fold RMSE (FMs with side features, largest)",
                      "fm_chain_sd_cold", optional=cfg.fm_side_chains < 2,
                      absent="one chain per FM (fm_side_chains = 1): no spread across chains"))
    if fm_side_set(cfg) == "genres+trailer":
        for label, setting in (("new movies", "cold"), ("warm", "warm")):
            out += [Number(f"{label}: what trailers buy the FM (shuffled-trailer control RMSE minus real), mean over folds",
                           f"trailer_gain_{setting}"),
                    Number(f"{label}: what trailers buy, 95% interval low", f"trailer_gain_{setting}_ci_low",
                           optional=True, report=False),
                    Number(f"{label}: what trailers buy, 95% interval high", f"trailer_gain_{setting}_ci_high",
                           optional=True, report=False)]
    return out


def _static(*numbers: Number) -> Callable[[Profile], list[Number]]:
    return lambda cfg: list(numbers)


ITEMS: tuple[Item, ...] = (
    Item("Table 1", "RMSE/MAE per method over the CV folds (+ leak-free embedding rows and baselines)",
         "06_libfm", ("tab01_rmse_mae",), _table1),
    Item("Table 2", "dataset statistics (ML20M, ML20M-YT original, filtered)", "01_clean_dataset",
         ("tab02_dataset_statistics", "tab02_filters"), _table2),
    Item("Table 3", "R / R² of mean-rating regressions (+ flag where p is close to n, out-of-fold R² of OLS, "
         "PCA and ridge)", "08_correlation", ("tab03_correlation",), _table3),
    Item("Fig. 5", "trailer duration histogram", "01_clean_dataset", ("fig05_trailer_durations",)),
    Item("Fig. 6", "rating histogram", "01_clean_dataset", ("fig06_rating_histogram",)),
    Item("Fig. 7", "fusion RMSE vs k", "07_fusion", ("fig07_fusion_rmse",), _fusion),
    Item("Fig. 8", "fusion MAE vs k", "07_fusion", ("fig08_fusion_mae",)),
    Item("Fig. 9", "PCA of sequence embeddings, Harry Potter + references", "04_extract_embeddings",
         ("fig09_pca_harry_potter",), _static(
             Number("explained variance PC1", "explained_var_pc1", "explained_var_pc1"),
             Number("explained variance PC2", "explained_var_pc2", "explained_var_pc2"),
             Number("trailer embeddings", "n_trailer_embeddings", report=False))),
    Item("Fig. 10", "PCA, Lord of the Rings + references", "04_extract_embeddings", ("fig10_pca_lord_of_the_rings",)),
    Item("Fig. 11", "PCA, Star Wars + references", "04_extract_embeddings", ("fig11_pca_star_wars",)),
    Item("Fig. 12", "fitted mean rating vs like/dislike ratio", "08_correlation", ("fig12_like_ratio_fit",)),
    Item("Fig. 13", "residuals of that fit", "08_correlation", ("fig13_like_ratio_residuals",)),
    Item("—", "cleaning log (every filter step)", "01_clean_dataset", ("extra_cleaning_log",)),
    Item("—", "keyframe status, keyframes per trailer, keyframe strip, trailer feedback into cleaning",
         "02_keyframes", ("extra_keyframe_status", "extra_keyframes_per_trailer", "extra_keyframe_strip",
                          "extra_cleaning_log_trailers"),
         lambda cfg: [Number(m, m, report=False) for m in ("n_trailers_ok", "n_trailers_failed", "n_keyframes_total",
                                                            "feature_dim")]
         + _per_s(cfg, [("sequences, S={S}", "n_sequences_s{S}", False)])),
    Item("—", "training curves and history per S and model (paper / leak-free), validation quality per head, "
         "genre AUC on unseen trailers", "03_train_embedding",
         ("extra_training_curves_s10", "extra_training_curves_s10_leakfree", "extra_training_history_s10",
          "extra_embedding_validation"),
         lambda cfg: _per_s(cfg, [("best epoch, S={S}", "best_epoch_s{S}", False),
                                  ("seconds per epoch, S={S}", "seconds_per_epoch_s{S}", False),
                                  ("genre AUC, validation tails (S={S})", "val_genre_auc_s{S}", True),
                                  ("trailer-id top-5, validation tails (S={S})", "val_id_top5_s{S}", False),
                                  ("trailer-id top-5 by chance (S={S})", "val_id_chance_top5_s{S}", False),
                                  ("rating RMSE, validation tails (S={S})", "val_rating_rmse_s{S}", False),
                                  ("genre AUC, leak-free model (S={S})", "val_genre_auc_s{S}_leakfree", False)])
         + [Number(f"genre AUC, unseen trailers (S={cfg.sequence_lengths[0]})",
                   f"genre_auc_unseen_trailers_s{cfg.sequence_lengths[0]}"),
            Number("networks not converged (best epoch = max_epochs)", "networks_not_converged"),
            Number("networks trained", "networks_trained", report=False)]),
    Item("—", "per-method summary and fallback counts of Eq. 1", "05_content_based",
         ("extra_content_based_summary", "extra_content_based_fallbacks")),
    Item("—", "paired tests 256 vs 512, S=10 vs S=20, paper vs leak-free model, frozen features vs the best "
         "trained embedding (Wilcoxon, t, Nadeau–Bengio corrected t)", "06_libfm", ("extra_table1_paired_tests",),
         _frozen_vs_trained),
    Item("—", "fusion for every variant, k chosen on inner validation (paper's and leak-free model)", "07_fusion",
         ("extra_fusion_mean_rmse_all_variants", "extra_fusion_honest_k", "extra_fusion_honest_k_leakfree")),
    Item("—", "cold start from 0 ratings to warm, FM with side features", "09_cold_start_and_side_features",
         ("extra_cold_start_rmse", "extra_cold_start_rmse_median", "extra_cold_start_table",
          "extra_fm_side_features_tests", "extra_fm_chain_spread", "extra_trailer_permutation_control"), _cold_start),
    Item("—", "top-N ranking (Recall@10/20, NDCG@10) of every method, EASE and ALS trained for top-N, content mapped "
         "to ALS factors: warm, new movies among new, new movies among all; paired tests over users",
         "10_ranking",
         ("extra_ranking", "extra_ranking_table", "extra_ranking_paired", "extra_ranking_hyperparameters"), _ranking),
)

NOT_REPRODUCED = ("Figs. 1-4 are diagrams; Fig. 4's worked example (4.19) is the unit test "
                  "`test_paper_worked_example` of the content-based predictor.")

def all_numbers(cfg: Profile) -> list[tuple[Item, Number]]:
    return [(item, n) for item in ITEMS for n in item.numbers(cfg)]


def numbers_of(cfg: Profile, notebook: str) -> list[Number]:
    """The numbers `notebook` records."""
    return [n for item, n in all_numbers(cfg) if item.recorder(n) == notebook]


def figures_readme() -> str:
    """figures/README.md, generated from ITEMS."""
    lines = ["# Paper item → notebook → file", "",
             "Generated by `python -m vt2lib.analysis.outputs` from `vt2lib/analysis/outputs.py` (a test checks it is current).",
             "Each run writes into `figures/<profile>/` (`demo`, `ml20m`, ...; git-ignored). Figures are",
             "PNG + PDF, tables CSV + Markdown; every number below is in `runs/<profile>/metrics.json`.", "",
             "| paper item | what | notebook | file | numbers recorded |", "|---|---|---|---|---|"]
    from vt2lib.profiles import load_profile
    cfg = load_profile("ml20m")
    for item in ITEMS:
        names = ", ".join(f"`{n.metric}`" + (f" ({n.recorded_by})" if n.recorded_by else "") for n in item.numbers(cfg))
        files = ", ".join(f"`{f}`" for f in item.files)
        lines.append(f"| {item.item} | {item.what} | `{item.notebook}` | {files} | {names} |")
    lines += ["", NOT_REPRODUCED.replace("`test_paper_worked_example` of the content-based predictor",
                                         "of the content-based predictor"), ""]
    return "\n".join(lines)


README_PATH = PROJECT_ROOT / "figures" / "README.md"

if __name__ == "__main__":
    README_PATH.write_text(figures_readme())
    print(f"wrote {README_PATH}")
