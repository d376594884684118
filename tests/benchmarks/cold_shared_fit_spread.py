"""What `cold_shared_fit` costs 09's curve from cold to warm, on real ratings: with one fit per fold, each
new-movie setting is scored on its own group of the fold's new movies, so two settings compare different
movies. A predictor that does not depend on the setting (the user mean: the new movies' few kept ratings
hardly move it) should give every setting the same RMSE; the spread of its per-setting RMSE over the
seeded deals (vt2lib.rating.cold_settings.movie_settings) is the noise the shared fit adds between
settings. Within a setting, methods are still compared on the same movies.

    .venv/bin/python tests/benchmarks/cold_shared_fit_spread.py [--ratings ../shared/data/ml-latest-small/ratings.csv]

MovieLens' small real file (9.7k movies, 100k ratings): about as many new movies per fold as ML20M's
(~970 against ~1,360), with the same long tail. Numbers: tests/benchmarks/RESULTS.md ("09's settings share a fit").
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from vt2lib.rating.cold_settings import movie_settings
from vt2lib.rating.cold_start import item_disjoint_folds
from vt2lib.rating.evaluation import CVData

SETTINGS = [0, 1, 3, 5]  # ml20m's: fully cold and cold_n_ratings
FOLDS, SCORED_FOLDS, DEALS = 10, 4, 200  # ml20m's item-disjoint folds, its cold_start_folds


def user_mean_errors(data: CVData) -> np.ndarray:
    """Each rating's squared error under the user mean of its item-disjoint fold's training part."""
    fold, y, u = data.table.fold.to_numpy(), data.table.rating.to_numpy(), data.user
    se = np.empty(len(y))
    for k in range(data.n_folds):
        train = fold != k
        total, count = np.bincount(u[train], y[train], data.n_users), np.bincount(u[train], minlength=data.n_users)
        mean = np.where(count > 0, total / np.maximum(count, 1), y[train].mean())
        se[~train] = (mean[u[~train]] - y[~train]) ** 2
    return se


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    small = Path(__file__).parents[3] / "shared/data/ml-latest-small/ratings.csv"  # ../shared beside the checkout
    ap.add_argument("--ratings", type=Path, default=small)
    args = ap.parse_args(argv)
    ratings = pd.read_csv(args.ratings)
    fold = item_disjoint_folds(ratings.movieId.to_numpy(), FOLDS, seed=42)
    data = CVData.from_folds(ratings.assign(fold=fold.astype(np.int8)))
    se, fold = user_mean_errors(data), data.table.fold.to_numpy()
    medians, spreads = [], []
    for seed in range(DEALS):
        setting = movie_settings(data, SETTINGS, seed)[data.item]
        rmse = np.array([[np.sqrt(se[(fold == k) & (setting == n)].mean()) for n in SETTINGS]
                         for k in range(SCORED_FOLDS)])
        spreads.append(rmse.std(axis=1, ddof=1).mean())
        medians.append(np.median(rmse, axis=0))
    medians = np.array(medians)
    print(f"{args.ratings}: {data.n_items:,} movies, {len(se):,} ratings; {FOLDS} item-disjoint folds, the first "
          f"{SCORED_FOLDS} scored, {DEALS} deals to the settings {SETTINGS}")
    print(f"the user mean's RMSE for new movies, all of a fold's: "
          f"{np.sqrt([se[fold == k].mean() for k in range(SCORED_FOLDS)]).round(4).tolist()}")
    print(f"one fold, sd across its settings' groups: {np.mean(spreads):.4f} (mean over deals)")
    print(f"a setting's median over the folds: sd over deals {medians.std(axis=0).mean():.4f}; "
          f"the settings' range (max - min) {(medians.max(1) - medians.min(1)).mean():.4f} (mean over deals)")


if __name__ == "__main__":
    main()
