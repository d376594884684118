"""Notebook 09's new-movie settings (each new movie keeps 0 or n of its ratings): a fit per setting, or
with `cold_shared_fit` the fully cold setting's fit and one fit per fold shared by the few-ratings settings,
each of those on its own group of the fold's new movies.

    preds = setting_predictions(cfg, cold, method, "fm_ids", [0, 1, 3, 5])   # {n: that setting's predictions}

The few-ratings settings' training sets differ only in the handful of ratings the fold's new movies keep,
so one fit per fold can serve them: the fold's new movies are dealt to those settings (stratified by
rating count, so each gets its share of blockbusters), and a movie dealt to n keeps exactly the ratings it
keeps in setting n's own fit. Each of them is then scored on its group only (a third of the new movies
with three settings), at two runs per fold instead of four (ml20m: 09's longest part,
tests/benchmarks/project_ml20m.py). The fully cold setting, on which 09's recorded numbers and tests
rest, keeps its own fit on every new movie. Methods stay paired within a setting (the same movies).

>>> import pandas as pd
>>> from vt2lib.rating.evaluation import CVData
>>> table = pd.DataFrame({"userId": [1, 2, 3] * 4, "movieId": np.repeat([10, 20, 30, 40], 3), "rating": 4.0,
...                       "fold": np.repeat([0, 0, 1, 1], 3).astype(np.int8)})
>>> kept = movie_settings(CVData.from_folds(table), [1, 2], seed=0)   # per movie: the ratings it keeps
>>> sorted(kept[:2].tolist()), sorted(kept[2:].tolist())              # each fold: one movie per setting
([1, 2], [1, 2])
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from vt2lib.io import DataError
from vt2lib.rating.cold_start import few_ratings_split, kept_ratings, split_keeping


def setting_split(data, n: int, seed: int):
    """split(k) -> (training ratings, test rows) of `data`'s item-disjoint fold k in which each
    test movie keeps n of its ratings for training (few_ratings_split; n = 0: fully cold)."""
    movie_ids, fold = data.table.movieId.to_numpy(), data.table.fold.to_numpy()

    def split(k):
        train, test = few_ratings_split(movie_ids, fold, k, n, seed)
        return data.ratings(train), test
    return split


def _movie_folds(data) -> np.ndarray:
    """Each movie's item-disjoint fold (dense item index)."""
    movie_fold = np.zeros(data.n_items, np.int64)
    movie_fold[data.item] = data.table.fold.to_numpy()
    return movie_fold


def movie_settings(data, settings, seed: int) -> np.ndarray:
    """Per movie (dense item index), the ratings it keeps when the settings share a fit: within each
    item-disjoint fold the movies, by rating count, are dealt in blocks of len(settings), each block's
    in a seeded random order (the smallest movies' last block gets the first settings)."""
    settings = np.asarray(settings, np.int64)
    count, movie_fold = np.bincount(data.item, minlength=data.n_items), _movie_folds(data)
    per_fold = np.bincount(movie_fold, minlength=data.n_folds)
    if per_fold.min() < len(settings):
        raise DataError(f"cold_shared_fit: an item-disjoint fold has only {per_fold.min()} movie(s) for "
                        f"{len(settings)} few-ratings settings (each needs a group of its own); set cold_shared_fit = "
                        "false, or lower n_folds or the number of cold_n_ratings")
    rng = np.random.default_rng([seed, len(settings)])
    by_count = np.lexsort((rng.random(data.n_items), -count, movie_fold))
    fold_sorted = movie_fold[by_count]
    block = (np.arange(data.n_items) - np.searchsorted(fold_sorted, fold_sorted)) // len(settings)
    dealt = np.lexsort((rng.random(data.n_items), block, fold_sorted))  # each block's movies in a random order
    group = fold_sorted[dealt] * data.n_items + block[dealt]
    place = np.arange(data.n_items) - np.searchsorted(group, group)     # a movie's place in its block
    kept = np.empty(data.n_items, np.int64)
    kept[by_count[dealt]] = settings[place]
    return kept


def shared_setting_split(data, settings, seed: int):
    """split(k) for one fit shared by the settings: each new movie of fold k keeps the ratings setting
    movie_settings gives it, exactly those that setting's own split (setting_split) keeps for it."""
    movie_ids, fold = data.table.movieId.to_numpy(), data.table.fold.to_numpy()
    kept_per_rating = movie_settings(data, settings, seed)[data.item]

    def split(k):
        kept = [np.zeros(0, np.int64)]
        for n in sorted(set(settings) - {0}):  # each setting's own kept rows, of the movies dealt to it
            rows = kept_ratings(movie_ids, fold, k, n, seed)
            kept.append(rows[kept_per_rating[rows] == n])
        train, test = split_keeping(fold, k, np.concatenate(kept))
        return data.ratings(train), test
    return split


def setting_predictions(cfg, data, method, name: str, settings) -> dict:
    """{n: the predictions of `method` in setting n} on the first cfg.cold_start_folds folds: a fit
    per setting (stored as cold{n}_{name}), or with cfg.cold_shared_fit the fully cold one (cold0_{name})
    and one shared by the others (cold_shared_{name}), each of their settings' rows those of its movies."""
    from vt2lib.rating import methods as M
    from vt2lib.store import digest
    run = dict(progress=False, max_folds=cfg.cold_start_folds)
    shared = [n for n in settings if n > 0] if cfg.cold_shared_fit else []
    out = {n: M.run(cfg, data, method, name=f"cold{n}_{name}", split=setting_split(data, n, cfg.seed),
                    split_key=digest(n, cfg.seed), **run) for n in settings if n not in shared}
    if shared:
        preds = M.run(cfg, data, method, name=f"cold_shared_{name}", split=shared_setting_split(data, shared, cfg.seed),
                      split_key=digest("shared", shared, cfg.seed), **run)
        kept = movie_settings(data, shared, cfg.seed)[np.searchsorted(data.movie_ids, preds.movieId.to_numpy())]
        out |= {n: preds[kept == n].reset_index(drop=True) for n in shared}
    return {n: out[n] for n in settings}


THIN_GROUP = 100  # new movies scored per setting and fold below which groups differ as much as settings (RESULTS.md)


def setting_label(cfg, setting) -> str:
    """A setting's column in 09's tables and figure: 'warm', 'n ratings', or with cold_shared_fit
    'n ratings (own movies)' for the few-ratings settings, which are scored on different movies."""
    if setting == "warm":
        return "warm"
    return f"{setting} ratings" + (" (own movies)" if cfg.cold_shared_fit and setting > 0 else "")


def shared_fit_groups(cfg, data, user_mean: dict) -> pd.DataFrame | None:
    """With cold_shared_fit: per few-ratings setting, the new movies it is scored on per fold (those with a
    test rating left) and the user mean's median RMSE there (`user_mean`: {setting: per-fold metrics}). The
    user mean hardly depends on the setting, so its range is how far the settings' movie groups differ; a
    note says so, and where the groups are thin. None (and a note) where there is nothing to share."""
    from vt2lib.paper import NOTE_PREFIX
    shared = [n for n in cfg.cold_n_ratings if n > 0]
    if not cfg.cold_shared_fit:
        return None
    if len(shared) < 2:
        print(f"{NOTE_PREFIX}cold_shared_fit changes nothing here: {len(shared)} few-ratings setting(s) "
              "(cold_n_ratings), each with its own fit.")
        return None
    kept, count = movie_settings(data, shared, cfg.seed), np.bincount(data.item, minlength=data.n_items)
    movie_fold = _movie_folds(data)
    folds = min(data.n_folds, cfg.cold_start_folds or data.n_folds)
    table = pd.DataFrame({setting_label(cfg, n): {
        "new movies scored per fold": np.mean([((kept == n) & (count > n) & (movie_fold == k)).sum()
                                               for k in range(folds)]),
        "user mean's median RMSE": user_mean[n].rmse.median()} for n in shared}).T
    spread, fewest = np.ptp(table["user mean's median RMSE"]), table["new movies scored per fold"].min()
    print(f"{NOTE_PREFIX}cold_shared_fit: the settings {', '.join(map(str, shared))} are each scored on their own "
          f"movies; the user mean, which hardly depends on the setting, differs by {spread:.4f} across them here: "
          "read their differences against that" + (f" (only {fewest:.0f} new movies per setting and fold: below "
                                                   f"{THIN_GROUP}, too few to compare these settings)"
                                                   if fewest < THIN_GROUP else ""))
    return table
