"""Paired tests over users for notebook 10's comparisons (issue 33 §4).

The table's means over 1-5 folds say nothing about noise. Two methods rank the same users on the same
folds, so their difference is measured per user: each user's metric under a minus under b, averaged
over the folds where both ranked that user (a user is a test user of several folds, and the folds'
scores of one user are not independent), then a paired t-test over users, two-sided, with its 95%
t interval. Thousands of users make the mean difference near normal even though one user's Recall@10
takes few values; the users themselves are a sample, so the interval says how much another sample of
users (of this dataset) would move the difference, not how another dataset would. Each fold's fitted
models are held fixed: how much a method moves from one fit to the next (the sd over folds of notebook
10's table) is not in the interval; `fold_sd`, the sd over folds of each fold's mean difference, shows it.

>>> per_user = pd.DataFrame({"setting": "warm", "method": ["a"] * 3 + ["b"] * 3, "fold": 0,
...                          "user": [1, 2, 3] * 2, "recall@10": [0.5, 1.0, 0.0, 0.0, 0.5, 0.0]})
>>> r = paired_over_users(per_user, "warm", "a", "b", "recall@10")
>>> r["users"], round(r["mean_diff"], 4), round(r["ci_low"], 4), round(r["ci_high"], 4)   # d = .5, .5, 0
(3, 0.3333, -0.3838, 1.0504)
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from vt2lib.rating.evaluation import mean_interval

CONFIDENCE = 0.95


def pair_differences(per_user: pd.DataFrame, setting: str, a: str, b: str, metric: str) -> pd.Series:
    """metric(a) - metric(b) per (fold, user) where both ranked the user (a user without a hit has no
    metric and drops out, as from the table's means)."""
    rows = per_user[(per_user.setting == setting) & per_user.method.isin([a, b])]
    wide = rows.pivot_table(index=["fold", "user"], columns="method", values=metric, aggfunc="first")
    if a not in wide or b not in wide:
        return pd.Series(dtype=float, index=pd.MultiIndex.from_arrays([[], []], names=["fold", "user"]))
    return (wide[a] - wide[b]).dropna()


def user_differences(per_user: pd.DataFrame, setting: str, a: str, b: str, metric: str) -> pd.Series:
    """Per user: metric(a) - metric(b), averaged over the folds where both ranked the user."""
    return pair_differences(per_user, setting, a, b, metric).groupby(level="user").mean()


def paired_over_users(per_user: pd.DataFrame, setting: str, a: str, b: str, metric: str) -> dict:
    """a against b in one setting: users, mean difference, its 95% t interval and the t-test's p, and
    fold_sd, the sd over folds of each fold's mean difference (what refitting moves; NaN with one fold).
    Where every user differs by the same amount there is no variance: the interval is that point, p is
    NaN and `note` says so; with fewer than 2 users everything is NaN."""
    from scipy import stats
    pairs = pair_differences(per_user, setting, a, b, metric)
    d = pairs.groupby(level="user").mean().to_numpy(np.float64)
    per_fold = pairs.groupby(level="fold").mean()  # how much the difference moves when the models are refitted
    out = {"setting": setting, "a": a, "b": b, "metric": metric, "users": int(len(d)),
           "mean_diff": float(d.mean()) if len(d) else np.nan,
           "fold_sd": float(per_fold.std()) if len(per_fold) > 1 else np.nan, "note": ""}
    if len(d) < 2:
        return out | {"ci_low": np.nan, "ci_high": np.nan, "t_p": np.nan,
                      "note": f"{len(d)} paired user(s): a test needs at least 2"}
    sd = d.std(ddof=1)
    if sd == 0:
        return out | {"ci_low": float(d[0]), "ci_high": float(d[0]), "t_p": np.nan,
                      "note": f"every user differs by {d[0]:+.4g}: no variance, so no t-test"}
    low, high = mean_interval(d, n_folds=None, level=CONFIDENCE)  # the plain t interval: users, not folds
    return out | {"ci_low": float(low), "ci_high": float(high), "t_p": float(stats.ttest_1samp(d, 0.0).pvalue)}


def paired_table(per_user: pd.DataFrame, comparisons: list[tuple[str, str, str, str]], metrics) -> pd.DataFrame:
    """One row per (comparison, metric); comparisons: (key, setting, a, b), key naming it in the numbers."""
    rows = [{"comparison": key, **paired_over_users(per_user, setting, a, b, m)}
            for key, setting, a, b in comparisons for m in metrics]
    columns = ["comparison", "setting", "a", "b", "metric", "users", "mean_diff", "ci_low", "ci_high", "t_p", "fold_sd",
               "note"]
    return pd.DataFrame(rows, columns=columns)


def verdict(row) -> str:
    """What a row's interval allows: 'a better', 'b better' (higher is better), 'no difference shown', or
    'no test' where there was none (fewer than 2 users, or no variance)."""
    if pd.isna(row["t_p"]):
        return "no test"
    if row["ci_low"] > 0:
        return f"{row['a']} better"
    if row["ci_high"] < 0:
        return f"{row['b']} better"
    return "no difference shown"
