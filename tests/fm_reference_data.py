"""The rating sets the FM sampler is compared on: planted ML-100k-sized data and ml-latest-small.

Used by tests/test_fm_gibbs.py, tests/test_libfm_reference.py and the script that recorded
libFM's own numbers on them (tests/benchmarks/record_libfm_reference.py): both sides must see
the same ratings, index and folds.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from vt2lib.rating.evaluation import assign_folds

N_FOLDS, FOLD_SEED = 10, 42


def planted(n_users=943, n_items=1682, n_ratings=100_000, k=3, seed=0):
    """ML-100k-sized ratings from planted biases and factors, rounded to half stars; item genres."""
    rng = np.random.default_rng(seed)
    P, Q = rng.normal(0, 0.6, (n_users, k)), rng.normal(0, 0.6, (n_items, k))
    genres = (rng.random((n_items, 6)) < 0.25).astype(np.float64)
    bi = rng.normal(0, 0.3, n_items) + genres @ rng.normal(0, 0.4, 6)
    pop = rng.lognormal(0, 1.0, n_items)
    u = rng.integers(0, n_users, n_ratings)
    i = rng.choice(n_items, n_ratings, p=pop / pop.sum())
    key = np.unique(u * n_items + i)
    u, i = key // n_items, key % n_items
    y = 3.5 + rng.normal(0, 0.3, n_users)[u] + bi[i] + (P[u] * Q[i]).sum(1) + rng.normal(0, 0.7, len(u))
    y = np.clip(np.round(y * 2) / 2, 0.5, 5.0)
    return u.astype(np.int32), i.astype(np.int32), y.astype(np.float32), genres


def movielens(folder: Path):
    """ratings.csv of a MovieLens folder as dense (user, item, rating), users and items in id order."""
    r = pd.read_csv(Path(folder) / "ratings.csv", usecols=["userId", "movieId", "rating"])
    u, _ = pd.factorize(r.userId, sort=True)
    i, _ = pd.factorize(r.movieId, sort=True)
    return u.astype(np.int32), i.astype(np.int32), r.rating.to_numpy(np.float32)


def reference_set(name: str, shared_data: Path | None = None):
    """(user, item, rating, n_users, n_items, fold) of `planted` or `ml-latest-small`."""
    if name == "planted":
        u, i, y, _ = planted()
        n_users, n_items = 943, 1682
    elif name == "ml-latest-small":
        u, i, y = movielens(shared_data / "ml-latest-small")
        n_users, n_items = int(u.max()) + 1, int(i.max()) + 1
    else:
        raise ValueError(f"unknown reference set {name!r}")
    return u, i, y, n_users, n_items, assign_folds(len(y), N_FOLDS, FOLD_SEED)
