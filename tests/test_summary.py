"""The closing summaries' lines and the report's paper-item rows, from small saved tables: their text,
not only that the notebook printed what the function returns (tests/test_notebooks.py)."""
import dataclasses

import pandas as pd
import pytest

from vt2lib.analysis import summary as S
from vt2lib.analysis.outputs import ITEMS
from vt2lib.analysis.report import _absent, _backbone, _item_state, _networks


@pytest.fixture
def cfg(smoke_cfg, tmp_path, monkeypatch):
    monkeypatch.setenv("VT2_OUTPUT_ROOT", str(tmp_path))  # each test its own figures folder
    cfg = dataclasses.replace(smoke_cfg, name="summarytest")
    cfg.figures_dir.mkdir(parents=True)
    return cfg


def test_keyframes_count_failed_trailers_by_reason(cfg):
    pd.DataFrame({"trailers": [209, 1, 2]}, index=pd.Index(["ok", "empty_file", "unreadable"], name="status")) \
        .to_csv(cfg.figures_dir / "extra_keyframe_status.csv")
    line, = S._keyframes(cfg, {"n_trailers_ok": 209, "n_trailers_failed": 3})
    assert line.startswith("209 trailers gave keyframes, 3 failed (1 empty_file, 2 unreadable): ")
    assert "too short for one sequence stays out" in line  # too_short is not tried again (stored features)
    assert S._keyframes(cfg, {"n_trailers_ok": 5, "n_trailers_failed": 0}) == ["All 5 trailers gave keyframes."]
    assert S._keyframes(cfg, {}) == []


def _paired(rows):
    cols = ["comparison", "setting", "a", "b", "metric", "users", "mean_diff", "ci_low", "ci_high", "t_p", "fold_sd"]
    return pd.DataFrame(rows, columns=cols)


def test_ranking_paired_tests_are_one_line_per_setting(cfg):
    _paired([
        ("x", "warm", "als", "popularity", "recall@10", 1438, 0.05, 0.02, 0.08, 0.001, 0.01),
        ("x", "warm", "als", "bias", "recall@10", 1438, 0.001, -0.01, 0.012, 0.6, 0.01),
        ("x", "warm", "als", "bias", "ndcg@10", 1438, 0.001, -0.01, 0.012, 0.6, 0.01),      # not Recall@10: left out
        ("y", "new movies", "emb", "genres", "recall@10", 1, 0.3, float("nan"), float("nan"), float("nan"), 0.0),
        ("z", "new among all", "emb", "genres", "recall@10", 990, -0.04, -0.06, -0.02, 0.001, 0.05),
        ("z", "new among all", "emb", "frozen", "recall@10", 1000, 0.01, -0.01, 0.03, 0.3, 0.02),
    ]).to_csv(cfg.figures_dir / "extra_ranking_paired.csv", index=False)
    warm, new, among = S._ranking_paired(cfg, {})
    assert warm == ("Paired Recall@10, warm, over 1,438 users of its folds (a user in several: their mean; a - b, its 95% "
                    "interval):"
                    "\n  - `als` - `popularity`: 0.05 [0.02, 0.08], als better"
                    "\n  - `als` - `bias`: 0.001 [-0.01, 0.012], no difference shown")
    assert new.startswith("Paired Recall@10, new movies, over 1 user of its folds (") and "no interval, no test" in new
    # genres better, but its fold sd (0.05) is as large as the difference: not stable
    assert "990 to 1,000 users" in among and "genres better for these fitted models, not across refits" in among


def test_new_movies_name_the_chance_level_and_fusion_says_what_k_is(cfg):
    lines = S._ranking(cfg, {"ranking_coldnew_popularity_recall10": 0.24, "ranking_coldnew_bias_recall10": 0.24})
    assert any("`popularity` and `bias` give every new movie the same score" in t and "(0.24)" in t for t in lines)
    assert not any("chance level" in t for t in S._ranking(cfg, {"ranking_warm_bias_recall10": 0.3}))
    fused = {"rmse_best_fusion_median": 0.81, "rmse_best_fusion_median_leakfree": 0.8, "rmse_fm_alone_median": 0.8,
             "best_k_mean_rmse": 1.0}
    paper, leakfree, k = S._fusion(cfg, fused)
    assert paper.startswith("Fusion of the FM with `emb512_s10` (paper's model, leaky), k chosen on inner validation:")
    assert "`emb512_s10_leakfree` (leak-free model)" in leakfree and leakfree.endswith("the FM alone 0.8 (+0.0000).")
    assert k == ("On the test folds themselves (optimistic, as the paper's Fig. 7 reads) the best k by mean RMSE is 1 "
                 "(k weighs the FM: 1 is the FM alone, 0 the content method alone).")


def test_report_marks_a_row_that_scores_as_the_user_mean():
    from vt2lib.analysis.report import _shown
    m = {"rmse_median_user_mean": 0.82788, "mae_median_user_mean": 0.65521, "rmse_median_emb": 0.82786,
         "mae_median_emb": 0.6552, "rmse_median_meta": 0.8035, "mae_median_meta": 0.64}
    assert _shown(m, "rmse_median_emb") == "0.8279 (= user mean)"
    assert _shown(m, "mae_median_emb").endswith("(= user mean)")
    assert _shown(m, "rmse_median_meta") == "0.8035" and _shown(m, "rmse_median_user_mean") == "0.8279"
    assert _shown(m, "rmse_max_emb") == "n/a" and _shown(m, "fm_chain_sd_cold", "one chain") == "n/a (one chain)"


def test_report_lists_the_rows_of_the_notebooks_that_ran(cfg):
    """Table 1: 06 writes it, 05 records most rows. Only 05 ran: its rows, not 06's; only 06 ran: 06's;
    neither: one row; a skipped notebook's rows stay, n/a, beside its reason."""
    table1 = next(i for i in ITEMS if i.item == "Table 1")
    by = lambda numbers: {table1.recorder(n) for n in numbers}  # noqa: E731
    cell, numbers = _item_state(cfg, table1, {}, {"05_content_based"})
    assert cell.startswith("**not run** under this profile (06_libfm writes it)")
    assert by(numbers) == {"05_content_based"}
    cell, numbers = _item_state(cfg, table1, {}, {"06_libfm"})
    assert cell == "**not produced**" and by(numbers) == {"06_libfm"}
    assert _item_state(cfg, table1, {}, {"01_clean_dataset"}) == ("**not run** under this profile", [])
    cell, numbers = _item_state(cfg, table1, {"05_content_based": "no trailers"}, {"06_libfm"})
    assert by(numbers) == {"05_content_based", "06_libfm"}


def test_a_skipped_notebook_s_rows_say_why_and_the_header_says_what_ran(cfg):
    """Ratings only: 02 is skipped, so Table 2's counts after its trailer check are n/a with its reason;
    the header's Keras and backbone lines say what ran, not a bare n/a."""
    table2 = next(i for i in ITEMS if i.item == "Table 2")
    skipped = {"02_keyframes": "no trailers (trailer_source = none)"}
    _, numbers = _item_state(cfg, table2, skipped, {"01_clean_dataset"})
    evaluated = [n for n in numbers if n.metric == "n_movies_evaluated"]
    reasons = [_absent(table2, n, skipped) for n in evaluated]
    assert reasons == ["02_keyframes skipped: no trailers (trailer_source = none)"]
    assert _networks(cfg, {"notebooks": {"01_clean_dataset": {}}}) == "no network run under this profile"
    two = {"notebooks": {"02_keyframes": {}}}
    assert _networks(cfg, two) == "02's MobileNetV2 features on tensorflow; no network trained under this profile"
    assert _networks(cfg, {"keras_backend": "jax", "notebooks": {"02_keyframes": {}, "03_train_embedding": {}}}) == \
        "Keras backend jax for 03's networks (02's MobileNetV2 features on tensorflow)"
    assert _backbone(two).startswith("as stored with the reused features")
    assert _backbone({}) == "none (02 did not run under this profile)"
    assert _backbone({"backbone_weights": "imagenet"}) == "imagenet"
