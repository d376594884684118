"""What `cold_shared_fit` costs 09's curve from cold to warm, on real ratings: the few-ratings settings
(1, 3 and 5 kept ratings) share one fit per fold, each scored on its own group of the fold's new movies, so
two of them compare different movies (the fully cold setting keeps its own fit on every new movie). A
predictor that does not depend on the setting (the user mean: the few kept ratings hardly move it) would
give every setting the same RMSE; the spread of its per-setting RMSE over seeded deals
(vt2lib.rating.cold_settings: the real splits, its test rows, its training ratings) is the noise the shared
fit adds between those settings. Within a setting, methods are still compared on the same movies.

    .venv/bin/python tests/benchmarks/cold_shared_fit_spread.py [--ratings ../shared/data/ml-latest-small/ratings.csv]
    .venv/bin/python tests/benchmarks/cold_shared_fit_spread.py --ratings data/ml20m/ml-20m/ratings.csv --deals 20

MovieLens' small real file (9.7k movies, 100k ratings): about as many new movies per fold as ML20M's
(~970 against ~1,360), with a long tail; a movie with no more ratings than its setting keeps has no test
row, so fewer movies are scored (more on this small file than on ML20M, where movies have more ratings).
Numbers: tests/benchmarks/RESULTS.md ("09's few-ratings settings share a fit").
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from vt2lib.rating.cold_settings import movie_settings, shared_setting_split
from vt2lib.rating.cold_start import item_disjoint_folds
from vt2lib.rating.evaluation import CVData

SETTINGS = [1, 3, 5]  # ml20m's cold_n_ratings: the settings that share a fit
FOLDS, SCORED_FOLDS = 10, 4  # ml20m's item-disjoint folds, its cold_start_folds


def user_mean_rmse(data: CVData, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Per scored fold and setting: the user mean's RMSE on that setting's test rows, and its scored movies."""
    setting_of = movie_settings(data, SETTINGS, seed)
    split = shared_setting_split(data, SETTINGS, seed)
    rmse, movies = np.empty((SCORED_FOLDS, len(SETTINGS))), np.empty((SCORED_FOLDS, len(SETTINGS)))
    for k in range(SCORED_FOLDS):
        train, test = split(k)
        total = np.bincount(train.user, train.rating, data.n_users)
        count = np.bincount(train.user, minlength=data.n_users)
        mean = np.where(count > 0, total / np.maximum(count, 1), train.rating.mean())
        se = (mean[data.user[test]] - data.table.rating.to_numpy()[test]) ** 2
        setting = setting_of[data.item[test]]
        for j, n in enumerate(SETTINGS):
            rmse[k, j] = np.sqrt(se[setting == n].mean())
            movies[k, j] = len(np.unique(data.item[test][setting == n]))
    return rmse, movies


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    small = Path(__file__).parents[3] / "shared/data/ml-latest-small/ratings.csv"  # ../shared beside the checkout
    ap.add_argument("--ratings", type=Path, default=small)
    ap.add_argument("--deals", type=int, default=200, help="seeded deals of the movies to the settings")
    args = ap.parse_args(argv)
    if not args.ratings.is_file():
        ap.exit(2, f"cold_shared_fit_spread.py: no ratings file at {args.ratings}; give a MovieLens ratings.csv "
                   "with --ratings (userId, movieId, rating)\n")
    ratings = pd.read_csv(args.ratings)
    fold = item_disjoint_folds(ratings.movieId.to_numpy(), FOLDS, seed=42)
    data = CVData.from_folds(ratings.assign(fold=fold.astype(np.int8)))
    runs = [user_mean_rmse(data, seed) for seed in range(args.deals)]
    medians = np.array([np.median(rmse, axis=0) for rmse, _ in runs])  # per deal: each setting's median
    within = np.mean([rmse.std(axis=1, ddof=1).mean() for rmse, _ in runs])
    print(f"{args.ratings}: {data.n_items:,} movies, {len(data.item):,} ratings; {FOLDS} item-disjoint folds, the "
          f"first {SCORED_FOLDS} scored, {args.deals} deals to the settings {SETTINGS}")
    print(f"movies scored per fold and setting: {np.mean([m for _, m in runs], axis=(0, 1)).round(0).tolist()}")
    print(f"one fold, sd across its settings' groups: {within:.4f} (mean over deals)")
    print(f"a setting's median over the folds: sd over deals {medians.std(axis=0).mean():.4f}; the difference of "
          f"two settings' medians: sd {(medians[:, 0] - medians[:, -1]).std():.4f}; the settings' range "
          f"(max - min): {(medians.max(1) - medians.min(1)).mean():.4f} (mean over deals)")


if __name__ == "__main__":
    main()
