"""Notebook 10's ranking runs: which methods are ranked, on which folds and users, and the tables.

    ranked = ranking_methods(cfg, side)                      # popularity ... frozen_mean
    table = rank_setting(cfg, warm, ranked, {WARM: ALL})     # one row per method and fold
    table = rank_setting(cfg, cold, ranked, {NEW: NEW_ONLY, NEW_AMONG_ALL: ALL})  # 09's item-disjoint folds
    folds_note(ranking_table(table))                         # "mean and sd over 3 folds" (1 fold: no sd)

The new-movie folds are ranked two ways from the same scores: among the fold's new movies only
(the standard item cold-start protocol: can content order new movies?) and among every unrated
movie (can trailers get a new movie into a top-10 at all, against the old ones?).

>>> import dataclasses
>>> from vt2lib.profiles import load_profile
>>> [r.name for r in ranking_methods(load_profile("smoke"), side=None)]
['popularity', 'bias', 'fm_ids', 'content_metadata', 'content_emb256_s10_leakfree', 'content_frozen_mean']
>>> ranked_names(dataclasses.replace(load_profile("smoke"), trailer_source="none"))   # ratings only
['popularity', 'bias', 'fm_ids', 'fm_genres', 'content_metadata']
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from vt2lib.config import Profile
from vt2lib.rating import methods as M
from vt2lib.rating import ranking_scores as RS
from vt2lib.rating.cold_start import fm_side_set, side_fm_name
from vt2lib.rating.item_vectors import load_vectors
from vt2lib.rating.ranking import evaluate_rankings, ranked_users, summarise

KS = (10, 20)
METRICS = ("recall@10", "recall@20", "ndcg@10")
# the settings' names (tables, figures, the report) and the candidates each ranks
WARM, NEW, NEW_AMONG_ALL = "warm", "new movies among new", "new movies among all"
ALL, NEW_ONLY = "every unrated movie", "the fold's new movies"
SETTING_KEYS = {WARM: "warm", NEW: "coldnew", NEW_AMONG_ALL: "coldall"}  # in the recorded numbers' names


@dataclass(frozen=True)
class Ranked:
    name: str
    method: M.Method | None      # the registry's rating predictor; None: popularity (ranked only)


def ranking_methods(cfg: Profile, side) -> list[Ranked]:
    """Popularity, the bias baseline, FM on ids, FM + genres + trailer (FM + genres without trailers;
    `side`: its SideFeatures, or None to leave it out), Eq. 1 with genres, with the analyses' trained
    embedding, and frozen_mean (these two where the profile has trailers). Each FM scores with the
    mean of fm_side_chains chains, as 09's FMs with side features (one chain's Monte Carlo error)."""
    chains = cfg.fm_side_chains
    out = [Ranked(RS.POPULARITY, None), Ranked("bias", M.get(cfg, "bias")), Ranked("fm_ids", M.fm(cfg, chains=chains))]
    if side is not None:
        name = side_fm_name(fm_side_set(cfg))
        out.append(Ranked(name, M.fm(cfg, side, name=name, chains=chains)))
    trained = [M.side_method(cfg)] if M.content_methods(cfg) else []  # trailers
    content = M.metadata_methods(cfg)[:1] + trained
    return out + [Ranked(f"content_{m.name}", m) for m in content + M.frozen_mean_methods(cfg)]


_NAMES_ONLY = object()  # stands in for the side features: an FM reads them only when it is built


def ranked_names(cfg: Profile) -> list[str]:
    """The names ranking_methods gives notebook 10's methods (outputs.py declares their numbers)."""
    return [r.name for r in ranking_methods(cfg, _NAMES_ONLY)]


def ranking_folds(cfg: Profile, n_folds: int) -> range:
    return range(min(n_folds, cfg.evaluate_folds or n_folds, cfg.ranking_folds or n_folds))


def _scorer(cfg: Profile, data, r: Ranked, train, users, fold: int, eq1: dict):
    if r.method is None:
        return RS.popularity_rows(train)
    if r.name in eq1:
        return eq1[r.name](train)
    if r.method.name == "bias":
        return RS.bias_rows(train)
    return RS.pair_rows(r.method.predictor(cfg, data)[0], train, users, fold)


def rank_setting(cfg: Profile, data, ranked: list[Ranked], settings: dict[str, str], progress: bool = True
                 ) -> pd.DataFrame:
    """Every method on the first ranking folds of `data`, in each of `settings` ({name: candidates}:
    ALL, every movie the user has not rated in training, or NEW_ONLY, only the fold's test movies,
    which on item-disjoint folds are the new movies); each chunk of users is scored once for every
    setting. One row per (setting, method, fold): the mean metrics over its ranked users, their
    count, and the seconds the method took on that fold (scoring and every setting's metrics)."""
    from vt2lib.progress import tqdm  # text under the runner: a widget in an executed copy stays at 0/N
    unknown = set(settings.values()) - {ALL, NEW_ONLY}
    if unknown:
        raise ValueError(f"unknown candidates {sorted(unknown)}; valid: {ALL!r}, {NEW_ONLY!r}")
    eq1 = {r.name: RS.vector_scorer(cfg, data, r.method.vectors, *load_vectors(cfg, r.method.vectors))
           for r in ranked if r.method and r.method.vectors}  # a similarity matrix built once per method
    rating = data.table.rating.to_numpy(np.float32)
    rows = []
    folds = ranking_folds(cfg, data.n_folds)
    with tqdm(total=len(folds) * len(ranked), desc=f"ranking, {', '.join(settings)}", disable=not progress) as bar:
        for k in folds:
            train, test = data.split(k)
            u, i, r_ = data.user[test], data.item[test], rating[test]
            users = ranked_users(u, r_, cfg.ranking_users, cfg.seed + k)
            test_movies = np.zeros(data.n_items, bool)
            test_movies[i] = True
            for r in ranked:
                t0 = time.perf_counter()
                per_user = evaluate_rankings(_scorer(cfg, data, r, train, users, k, eq1), train, u, i, r_, users,
                                             {s: test_movies if c == NEW_ONLY else None for s, c in settings.items()},
                                             KS)
                seconds = time.perf_counter() - t0  # one scoring, every setting's metrics
                rows += [{"setting": s, "method": r.name, "fold": k, **summarise(per_user[s]), "seconds": seconds}
                         for s in settings]
                bar.update()
    return pd.DataFrame(rows)


def ranking_table(per_fold: pd.DataFrame) -> pd.DataFrame:
    """Mean and sd over folds of each metric, per setting and method (in the order ranked)."""
    order = list(dict.fromkeys(per_fold.method))
    g = per_fold.groupby(["setting", "method"], sort=False)
    out = pd.concat({"mean": g[list(METRICS)].mean(), "sd": g[list(METRICS)].std()}, axis=1)
    out.columns = [f"{m} ({stat})" for stat, m in out.columns]
    out["folds"] = g.fold.nunique()
    out["users per fold"] = g.users.mean().round().astype(int)
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


def metric_name(setting: str, method: str, metric: str) -> str:
    """The recorded number's name: ranking_<warm|coldnew|coldall>_<method>_<recall10|recall20|ndcg10>
    (coldnew: new movies among new movies; coldall: new movies among all)."""
    return f"ranking_{SETTING_KEYS[setting]}_{method}_{metric.replace('@', '')}"
