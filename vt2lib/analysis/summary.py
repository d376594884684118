"""Each notebook's closing "What this shows", written from its recorded numbers, never typed.

    show_summary(cfg, "06_libfm")      # the last cell of a notebook
    what_this_shows(cfg, "06_libfm")   # the same lines, as a list (tests/test_notebooks.py)

Three parts: ours beside the paper's (the numbers declared with a published value,
vt2lib.analysis.outputs); which method is best, and the notebook's own paired
tests where it has them (their corrected p, or why there is none); what the data can and cannot say.

>>> ranked_methods({"rmse_cold_fm_ids": 0.824, "rmse_cold_user_mean": 0.836, "rmse_warm_fm": 0.57}, "rmse_cold_")
[('fm_ids', 0.824), ('user_mean', 0.836)]
>>> _best_rmse({"rmse_a_bias": 0.77, "rmse_a_user_mean": 0.83, "rmse_a_emb": 0.84}, "rmse_a_", "RMSE")  # named once
['Lowest RMSE: `bias` (0.77), then `user_mean` (0.83).']
>>> _best_rmse({"rmse_a_bias": 0.77, "rmse_a_emb": 0.8, "rmse_a_user_mean": 0.83}, "rmse_a_", "RMSE")
['Lowest RMSE: `bias` (0.77), then `emb` (0.8); the user mean has 0.83.']
>>> m = {"rmse_median_user_mean": 0.82788, "mae_median_user_mean": 0.65521, "rmse_median_emb": 0.82786,
...      "mae_median_emb": 0.6552, "rmse_median_meta": 0.8035, "mae_median_meta": 0.64}
>>> print(_content(None, m)[-1])  # smoke's collapsed embeddings: Eq. 1 gives back the user mean
`emb` scores as the user mean (median RMSE and MAE within 0.005% of its): Eq. 1 gave back the user's mean rating, because its item vectors are so alike that it weighs every rated movie the same, or because it fell back to it (`extra_content_based_fallbacks` counts how often).
>>> print(_content(None, m)[-2])  # `emb`, 2e-5 under the user mean, is not counted as beating it
1 of 2 Eq. 1 variants beat the user mean's median RMSE (`meta`).
"""
from __future__ import annotations

import pandas as pd

from vt2lib.analysis.outputs import all_numbers, numbers_of
from vt2lib.analysis.values import format_number, published_value, scores_as_user_mean
from vt2lib.config import Profile
from vt2lib.results import load_metrics


def ranked_methods(m: dict, prefix: str, suffix: str = "", lower_is_better: bool = True) -> list[tuple[str, float]]:
    """(method, value) of the recorded metrics `prefix<method><suffix>`, best first."""
    rows = [(k[len(prefix):len(k) - len(suffix)], v) for k, v in m.items()
            if k.startswith(prefix) and k.endswith(suffix) and v is not None]
    return sorted(rows, key=lambda kv: kv[1] if lower_is_better else -kv[1])


def _table(cfg: Profile, name: str) -> pd.DataFrame | None:
    path = cfg.figures_dir / f"{name}.csv"
    return pd.read_csv(path, index_col=0) if path.is_file() else None


def _test(p: float) -> str:
    """A corrected p as a reader should take it (NaN: no test was possible, e.g. one fold)."""
    if pd.isna(p):
        return "no test (too few folds, or no variance)"
    return f"corrected p = {p:.3g}, " + ("significant at 5%" if p < 0.05 else "not significant at 5%")


def _best_rmse(m: dict, prefix: str, what: str, leave_out: tuple[str, ...] = ()) -> list[str]:
    ranked = [(k, v) for k, v in ranked_methods(m, prefix) if k not in leave_out]
    if not ranked:
        return []
    (best, v), rest = ranked[0], ranked[1:]
    line = f"Lowest {what}: `{best}` ({format_number(v)})"
    if rest:
        line += f", then `{rest[0][0]}` ({format_number(rest[0][1])})"
    reference = m.get(f"{prefix}user_mean")
    if reference is not None and "user_mean" not in (best, rest[0][0] if rest else None):  # named already
        line += f"; the user mean has {format_number(reference)}"
    return [line + "."]


def _table1(cfg: Profile, m: dict) -> list[str]:
    out = _best_rmse(m, "rmse_median_", "median RMSE in Table 1")
    tests = _table(cfg, "extra_table1_paired_tests")
    if tests is not None:
        for name, row in tests[tests.index.str.startswith("FM vs")].iterrows():
            lower = "the FM lower" if row.mean_diff < 0 else "the FM higher"
            out.append(f"{name}: mean RMSE difference (FM minus the other) {row.mean_diff:+.4f} over "
                       f"{int(row.n_folds)} folds, {lower}; {_test(row.corrected_p)}.")
        out.append(f"{len(tests)} paired tests in all (`extra_table1_paired_tests`), each at 5%, uncorrected for "
                   "multiple comparisons.")
    return out


def _content(cfg: Profile, m: dict) -> list[str]:
    out = _best_rmse(m, "rmse_median_", "median RMSE among 05's methods", leave_out=("fm",))  # 06's
    content = {k: v for k, v in ranked_methods(m, "rmse_median_")
               if k not in ("global_mean", "user_mean", "item_mean", "bias", "fm", "random_similarity")}
    if content and m.get("rmse_median_user_mean") is not None:
        same = [k for k in content if scores_as_user_mean(m, k)]
        better = [k for k, v in content.items() if v < m["rmse_median_user_mean"] and k not in same]
        out.append(f"{len(better)} of {len(content)} Eq. 1 variants beat the user mean's median RMSE"
                   + (f" ({', '.join(f'`{b}`' for b in better)})." if better else ": similarities add nothing here."))
        if same:
            out.append(f"{', '.join(f'`{s}`' for s in same)} score{'s' if len(same) == 1 else ''} as the user mean "
                       "(median RMSE and MAE within 0.005% of its): Eq. 1 gave back the user's mean rating, because "
                       f"{'its' if len(same) == 1 else 'their'} item vectors are so alike that it weighs every rated "
                       "movie the same, or because it fell back to it (`extra_content_based_fallbacks` counts how often).")
    return out


def _fusion(cfg: Profile, m: dict) -> list[str]:
    """One line per fused content model (the paper's and the leak-free one, or a metadata variant): the
    honest fusion's median RMSE against the FM alone; then the k the test folds themselves prefer."""
    from vt2lib.analysis.fusion import fusion_models
    alone = m.get("rmse_fm_alone_median")
    if alone is None:
        return []
    variant = cfg.variant("fusion_variant")
    out = []
    for suffix, (label, method) in fusion_models(cfg, variant).items():
        fused = m.get(f"rmse_best_fusion_median{suffix}")
        if fused is not None:
            out.append(f"Fusion of the FM with `{method.name}` ({label}), k chosen on inner validation: median RMSE "
                       f"{format_number(fused)} against the FM alone {format_number(alone)} ({fused - alone:+.4f}).")
    if m.get("best_k_mean_rmse") is not None:
        out.append(f"On the test folds themselves (optimistic, as the paper's Fig. 7 reads) the best k by mean RMSE "
                   f"is {format_number(m['best_k_mean_rmse'])} (k weighs the FM: 1 is the FM alone, 0 the content "
                   "method alone).")
    return out


def _correlation(cfg: Profile, m: dict) -> list[str]:
    r2, cv, noise = m.get("r2_embeddings"), m.get("r2_embeddings_cv"), m.get("r2_embeddings_noise")
    if r2 is None:
        return ["No trailer embeddings in this profile: Table 3's row (a) is n/a."]
    pca, ridge = m["r2_embeddings_cv_pca"], m["r2_embeddings_cv_ridge"]
    return [f"Embeddings: in-sample R^2 {format_number(r2)}, where noise alone reaches {format_number(noise)}; out of "
            f"fold {format_number(cv)} (OLS), {format_number(pca)} (PCA), {format_number(ridge)} (ridge)."]


def _cold_start(cfg: Profile, m: dict) -> list[str]:
    out = _best_rmse(m, "rmse_cold_", "RMSE for new movies (0 ratings)")
    out.append("Paired tests of each method against the user mean and the FM on ids: `extra_cold_start_table`.")
    user_mean = m.get("rmse_cold_user_mean")
    worse = [k for k, v in ranked_methods(m, "rmse_cold_")
             if k != "user_mean" and user_mean is not None and v > user_mean]
    if worse:
        out.append(f"Worse than the user mean for new movies: {', '.join(f'`{w}`' for w in worse)}.")
    sd = m.get("fm_chain_sd_cold")
    if sd is not None:
        c = cfg.fm_side_chains
        out.append(f"Monte Carlo error: for new movies one chain's fold RMSE moves by up to sd {format_number(sd)} "
                   f"from chain to chain; each FM with side features averages {c} chains (~{format_number(sd / c ** 0.5)}"
                   "), `extra_fm_chain_spread`.")
    for setting, label in (("cold", "new movies"), ("warm", "warm")):
        gain, low, high = (m.get(f"trailer_gain_{setting}{s}") for s in ("", "_ci_low", "_ci_high"))
        if gain is None:
            continue
        verdict = ("the interval excludes 0: the trailers help" if low is not None and low > 0 else
                   "the interval excludes 0: the real rows do worse than shuffled ones" if high is not None and high < 0
                   else "the interval includes 0: no evidence that the trailers help")
        out.append(f"What trailers buy the FM ({label}; the shuffled-trailer control's RMSE minus the real one's): "
                   f"{format_number(gain)}, 95% interval [{format_number(low)}, {format_number(high)}]; {verdict}.")
    return out


def _ranking(cfg: Profile, m: dict) -> list[str]:
    from vt2lib.ranking.runs import NEW, SETTING_KEYS, SETTINGS  # the settings as 10's tables name them
    from vt2lib.ranking.tables import metric_name
    out = []
    for label in SETTINGS:
        ranked = ranked_methods(m, f"ranking_{SETTING_KEYS[label]}_", "_recall10", lower_is_better=False)
        if len(ranked) >= 2:
            (best, b), (second, c) = ranked[:2]
            out.append(f"Recall@10, {label}: best `{best}` ({format_number(b)}), then `{second}` "
                       f"({format_number(c)}).")
    floor = m.get(metric_name(NEW, "popularity", "recall@10"))
    if floor is not None:  # ties count at their expected place (vt2lib.ranking.metrics): a random order's value
        out.append(f"{NEW.capitalize()}: `popularity` and `bias` give every new movie the same score (none "
                   f"has a training rating), so their Recall@10 ({format_number(floor)}) is a random order's: the "
                   "chance level the other methods are read against.")
    return out + _few_candidates(cfg) + _ranking_paired(cfg, m)


def _few_candidates(cfg: Profile) -> list[str]:
    from vt2lib.ranking.tables import few_candidates_notes
    table = _table(cfg, "extra_ranking_table")
    return [] if table is None else few_candidates_notes(table)


def _ranking_paired(cfg: Profile, m: dict) -> list[str]:
    """Per setting, one item of its paired tests of Recall@10 (extra_ranking_paired) with a sub-item per
    comparison: a - b over users, its 95% interval and verdict (the settings' best methods stay the headline)."""
    from vt2lib.ranking.paired import verdict
    table = _table(cfg, "extra_ranking_paired")
    if table is None:
        return []
    out = []
    for setting, rows in table[table.metric == "recall@10"].groupby("setting", sort=False):
        parts = []
        for _, row in rows.iterrows():
            said = verdict(row)
            interval = ("no interval" if pd.isna(row.ci_low) else
                        f"[{format_number(row.ci_low)}, {format_number(row.ci_high)}]")
            fold_sd = row.get("fold_sd", float("nan"))  # the interval holds each fold's fitted model fixed
            if said.endswith(" better") and fold_sd >= abs(row.mean_diff):
                said += (f" for these fitted models, not across refits: from fold to fold the difference moves by "
                         f"sd {format_number(fold_sd)}")
            parts.append(f"\n  - `{row.a}` - `{row.b}`: {format_number(row.mean_diff)} {interval}, {said}")
        low, high = int(rows.users.min()), int(rows.users.max())
        over = f"{low:,}" if low == high else f"{low:,} to {high:,}"
        out.append(f"Paired Recall@10, {setting}, over {over} user{'s' if high != 1 else ''} of its folds (a user "
                   f"in several: their mean; a - b, its 95% interval):{''.join(parts)}")
    return out


def _keyframes(cfg: Profile, m: dict) -> list[str]:
    ok, failed = m.get("n_trailers_ok"), m.get("n_trailers_failed")
    table = _table(cfg, "extra_keyframe_status")
    if ok is None or failed is None:
        return []
    if not failed:
        return [f"All {ok} trailers gave keyframes."]
    reasons = ", ".join(f"{n} {status}" for status, n in table.trailers.items() if status != "ok") \
        if table is not None else "see the table above"
    return [f"{ok} trailers gave keyframes, {failed} failed ({reasons}): each is listed with its YouTube id and "
            "reason in 02's table of failed trailers, and left out of every later notebook; a rerun tries failed "
            "downloads and decodes again (a trailer too short for one sequence stays out)."]


def _training(cfg: Profile, m: dict) -> list[str]:
    out = []
    auc = m.get(f"genre_auc_unseen_trailers_s{cfg.sequence_lengths[0]}")  # declared only with trailers
    if auc is not None:
        out.append(f"Genre AUC on trailers the network never saw: {format_number(auc)} (chance 0.5).")
    if m.get("networks_not_converged"):
        out.append(f"{m['networks_not_converged']} of {m.get('networks_trained')} networks had not converged "
                   "(best epoch = max_epochs).")
    return out


BEST = {"02_keyframes": _keyframes, "03_train_embedding": _training, "05_content_based": _content,
        "06_libfm": _table1, "07_fusion": _fusion, "08_correlation": _correlation,
        "09_cold_start_and_side_features": _cold_start, "10_ranking": _ranking}


def what_this_shows(cfg: Profile, notebook: str, with_caveats: bool = True) -> list[str]:
    """The closing lines of `notebook`, from the numbers it recorded and the tables it saved
    (only the numbers this profile declares: an earlier run's leftovers never count); with_caveats
    False leaves out what these data can say (REPORT.md gives it once, at its top)."""
    from vt2lib.paper import CAVEAT_PREFIX, ML20M_ONLY, caveats
    declared = {n.metric for _, n in all_numbers(cfg)}
    m = {k: v for k, v in load_metrics(cfg).items() if k in declared}
    lines = []
    for n in numbers_of(cfg, notebook):
        published = published_value(n.published) if n.published else None
        if n.report and published is not None and m.get(n.metric) is not None:
            try:
                lines.append(f"{n.label}: ours {format_number(m[n.metric])}, paper {format_number(float(published))}.")
            except (TypeError, ValueError):
                continue
    lines += BEST.get(notebook, lambda cfg, m: [])(cfg, m)
    notes = caveats(cfg) if with_caveats else []
    if notes:
        lines += [f"{CAVEAT_PREFIX}{c}" for c in notes]
        lines.append(ML20M_ONLY)
    return lines


def show_summary(cfg: Profile, notebook: str) -> list[str]:
    """Print `what_this_shows` as the notebook's last output (one line per point)."""
    lines = what_this_shows(cfg, notebook)
    print("\n".join(f"- {line}" for line in lines) if lines else "- (nothing recorded to summarise)")
    return lines
