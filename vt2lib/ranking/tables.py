"""Notebook 10's tables and the names of its recorded numbers: means and sd over folds, the chosen
hyper-parameters, and which pairs of methods the paired tests over users compare.

    table = ranking_table(per_fold)                       # per setting and method: mean and sd over folds
    folds_note(table)                                     # "mean and sd over 3 folds" (1 fold: no sd)
    paired_table(per_user, paired_comparisons(ranked, table), PAIRED_METRICS)   # vt2lib.ranking.paired
"""
from __future__ import annotations

import pandas as pd

from vt2lib.config import Profile
from vt2lib.ranking import scorers as RS
from vt2lib.ranking.runs import (CONTENT_MAP, METRICS, NAMES_ONLY, NEW, NEW_AMONG_ALL, SETTING_KEYS, TRAINED_FOR_RANKING,
                                 WARM, Ranked, ranking_methods)


def paired_comparisons(ranked: list[Ranked], table: pd.DataFrame | None = None) -> list[tuple[str, str, str, str]]:
    """The comparisons that matter (issue 33 §4), as (key, setting, a, b): warm, the best ranker trained
    for top-N (by mean Recall@10 in `table`: chosen on the same folds it is tested on, so its p is a
    little optimistic) against the best rating predictor and against popularity; new movies (both
    settings), the trained trailer embedding against the frozen features and against genres, and the
    frozen features against genres, for Eq. 1 and for the ALS maps alike. Without a table the first of
    each group stands in for its best (the keys are what outputs.py declares)."""
    def best(names):
        if table is None:
            return names[0] if names else None
        have = [(table.loc[(WARM, n), "recall@10 (mean)"], n) for n in names if (WARM, n) in table.index]
        return max(have)[1] if have else None
    out = []
    ranker = best([r.name for r in ranked if r.trained in TRAINED_FOR_RANKING])
    predictor = best([r.name for r in ranked if r.method is not None])
    if ranker and predictor:
        out += [("ranker_vs_predictor", WARM, ranker, predictor), ("ranker_vs_popularity", WARM, ranker, RS.POPULARITY)]
    for family, members in (("eq1", [r for r in ranked if r.method is not None and r.content]),
                            ("map", [r for r in ranked if r.trained == CONTENT_MAP])):
        by = {r.content: r.name for r in members}
        for a, b in (("trailer", "frozen"), ("trailer", "genres"), ("frozen", "genres")):
            if a in by and b in by:
                out += [(f"{family}_{a}_vs_{b}", s, by[a], by[b]) for s in (NEW, NEW_AMONG_ALL)]
    return out


def paired_names(cfg: Profile) -> list[tuple[str, str]]:
    """(setting, comparison key) of every paired test notebook 10 makes for this profile."""
    return [(s, key) for key, s, _, _ in paired_comparisons(ranking_methods(cfg, NAMES_ONLY))]


def paired_metric_name(setting: str, key: str, metric: str, stat: str = "") -> str:
    """ranking_paired_<warm|coldnew|coldall>_<comparison>_<recall10|ndcg10>[_ci_low|_ci_high]: a minus b."""
    return f"ranking_paired_{SETTING_KEYS[setting]}_{key}_{metric.replace('@', '')}{stat}"


def hyperparameter_table(per_fold: pd.DataFrame) -> pd.DataFrame:
    """The hyper-parameters each ranker trained for top-N chose per fold, and their inner-split Recall@10."""
    rows = per_fold[per_fold.chosen != ""].drop_duplicates(["method", "fold", "chosen"])
    return rows.set_index(["method", "fold"])[["chosen", "validation recall@10"]]


def ranking_table(per_fold: pd.DataFrame) -> pd.DataFrame:
    """Mean and sd over folds of each metric, per setting and method (in the order ranked)."""
    order = list(dict.fromkeys(per_fold.method))
    g = per_fold.groupby(["setting", "method"], sort=False)
    out = pd.concat({"mean": g[list(METRICS)].mean(), "sd": g[list(METRICS)].std()}, axis=1)
    out.columns = [f"{m} ({stat})" for stat, m in out.columns]
    out["folds"] = g.fold.nunique()
    out["users per fold"] = g.users.mean().round().astype(int)
    # at most K candidates, every hit is in the top K: Recall@K is 1 whatever the method (a small profile's new movies)
    out["median candidates"] = g["median candidates"].median()
    out["most candidates"] = g["most candidates"].max()
    out["seconds per fold"] = g.seconds.mean()
    return out.reindex(order, level="method")


def folds_note(table: pd.DataFrame) -> str:
    """How many folds ranking_table's mean and sd are over, per setting where they differ; with one
    fold the sd is NaN in the table and the figure has no error bar, and this says so.

    >>> t = pd.DataFrame({"folds": [1, 1]}, index=pd.MultiIndex.from_tuples(
    ...     [("warm", "bias"), ("new movies", "bias")], names=["setting", "method"]))
    >>> folds_note(t)
    'mean over 1 fold: its sd over folds is undefined (NaN, no error bar)'
    """
    def phrase(k: int) -> str:
        return f"mean and sd over {k} folds" if k > 1 else "mean over 1 fold: its sd over folds is undefined (NaN, no error bar)"
    counts = table["folds"].groupby(level="setting", sort=False).min()
    if counts.nunique() == 1:
        return phrase(int(counts.iloc[0]))
    return "; ".join(f"{s}: {phrase(int(k))}" for s, k in counts.items())


def few_candidates_notes(table: pd.DataFrame) -> list[str]:
    """A setting where a ranked user has at most K candidate movies: every hit is in the top K, so that
    user's Recall@K is 1 whatever the method. One line per setting where this holds for every user (the
    most candidates <= K) or for at least half of them (the median); ranking_table, or its saved CSV."""
    from vt2lib.ranking.runs import KS
    if "most candidates" not in table:
        return []
    out = []
    per_setting = table.groupby(level=0, sort=False)[["median candidates", "most candidates"]].agg("max")
    for setting, (median, most) in per_setting.iterrows():
        every, half = [f"Recall@{k}" for k in KS if most <= k], [f"Recall@{k}" for k in KS if median <= k < most]
        for metrics, whom, so in ((every, "every ranked user", "cannot tell the methods apart there at this data size "
                                   "(NDCG@10 still can)"), (half, "at least half the ranked users", "tells the methods "
                                   "apart on the other users only")):
            if metrics:
                out.append(f"{setting}: {' and '.join(metrics)} {'is' if len(metrics) == 1 else 'are'} 1 for {whom}, "
                           f"whatever the method (median {median:.4g} candidate movies, at most {most:.4g}): "
                           f"{'it' if len(metrics) == 1 else 'each'} {so}.")
    return out


def metric_name(setting: str, method: str, metric: str) -> str:
    """The recorded number's name: ranking_<warm|coldnew|coldall>_<method>_<recall10|recall20|ndcg10>
    (coldnew: new movies among new movies; coldall: new movies among all)."""
    return f"ranking_{SETTING_KEYS[setting]}_{method}_{metric.replace('@', '')}"
