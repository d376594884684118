"""Benchmark: the vectorised content-based predictor vs the authors' dense method, an
ML20M-sized fold, and FM seconds per Gibbs iteration.

    .venv/bin/python tests/benchmarks/bench_content_based.py [--skip-ml20m]

1. One demo fold, and one MovieLens-1M-sized synthetic fold (6,040 users, 3,700 items,
   1M ratings, every test pair): our numba predictor vs a faithful re-implementation of
   the authors' method (per test item: the dense block of that item's test users' rows of
   the users x items rating and mask matrices, weighted by the item's similarity row); both
   must give the same predictions; prints the speed ratio (target >= 100x).
2. A synthetic ML20M-sized fold (138,493 users, 13,600 items, ~15.1M train / ~1.7M test
   ratings, popularity-skewed like ML20M, 256-d item vectors): time of one full fold
   (target < 30 s on 2 cores), similarity matrix included.
3. myfm (rank 32) seconds per Gibbs iteration on that fold.
"""
from __future__ import annotations

import sys
import time

from pathlib import Path

import numpy as np

from vt2lib.rating import predictors as P

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the test-only reference predictor
from reference_predictors import content_based_dense_reference  # noqa: E402


def demo_fold():
    from vt2lib.profiles import load_profile
    from vt2lib.data.raw import load_raw_data
    from vt2lib.rating.evaluation import CVData, assign_folds
    from vt2lib.rating.item_vectors import genre_vectors
    cfg = load_profile("demo")
    raw = load_raw_data(cfg)
    table = raw.ratings[["userId", "movieId", "rating"]].copy()
    table["fold"] = assign_folds(len(table), 10, 42)
    data = CVData.from_folds(table)
    train, test = data.split(0)
    rows, usable = P.vector_rows(data.movie_ids, *genre_vectors(raw.movies))
    return train, data.user[test], data.item[test], P.similarity_matrix(usable), rows


def compare_with_authors(label, train, u, i, sim, rows):
    P.content_based(train, u[:10], i[:10], sim, rows)  # numba compile
    t0 = time.perf_counter()
    ours = P.content_based(train, u, i, sim, rows).values
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    ref = content_based_dense_reference(train, u, i, sim, rows)
    t_ref = time.perf_counter() - t0
    ok = np.isfinite(ref)
    same = np.allclose(ours[ok], ref[ok], rtol=1e-4)
    print(f"{label}: {len(train.user):,} train / {len(u):,} test ratings, {train.n_users:,} users, {train.n_items:,} items")
    print(f"  vectorised {t_ours * 1e3:9.1f} ms   authors' dense method {t_ref * 1e3:9.1f} ms   "
          f"speed-up {t_ref / t_ours:.0f}x (target >= 100x)   same predictions: {same} ({ok.sum():,} compared)")


def synthetic_fold(n_users=138_493, n_items=13_600, n_ratings=16_800_000, dim=256, seed=0):
    """Popularity- and activity-skewed ratings (log-normal, like ML20M), 10% test."""
    rng = np.random.default_rng(seed)
    pop = rng.lognormal(0, 1.5, n_items)
    activity = rng.lognormal(np.log(70), 1.0, n_users)
    activity *= n_ratings / activity.sum()
    users = np.repeat(np.arange(n_users, dtype=np.int32), np.maximum(1, activity.astype(np.int64)))
    items = rng.choice(n_items, size=len(users), p=pop / pop.sum()).astype(np.int32)
    key = np.sort(users.astype(np.int64) * n_items + items)
    key = key[np.r_[True, key[1:] != key[:-1]]]  # numpy 2.4's np.unique takes ~1 min here
    users, items = (key // n_items).astype(np.int32), (key % n_items).astype(np.int32)
    ratings = (rng.integers(1, 11, len(users)) / 2).astype(np.float32)
    test = rng.random(len(users)) < 0.1
    train = P.Ratings(users[~test], items[~test], ratings[~test], n_users, n_items)
    return train, users[test], items[test], rng.normal(size=(n_items, dim)).astype(np.float32)


def main(argv):
    compare_with_authors("demo fold", *demo_fold())
    train, u, i, vectors = synthetic_fold(6_040, 3_700, 1_000_209, dim=64)
    rows, usable = P.vector_rows(np.arange(train.n_items), np.arange(train.n_items), vectors)
    compare_with_authors("ML-1M-sized fold", train, u, i, P.similarity_matrix(usable), rows)
    if "--skip-ml20m" in argv:
        return
    t0 = time.perf_counter()
    train, u, i, vectors = synthetic_fold()
    print(f"ML20M-sized fold: {len(train.user):,} train / {len(u):,} test ratings "
          f"(generated in {time.perf_counter() - t0:.0f} s)")
    t0 = time.perf_counter()
    rows, usable = P.vector_rows(np.arange(train.n_items), np.arange(train.n_items), vectors)
    sim = P.similarity_matrix(usable)
    t_sim = time.perf_counter() - t0
    t0 = time.perf_counter()
    pred = P.content_based(train, u, i, sim, rows)
    t_pred = time.perf_counter() - t0
    print(f"  similarity matrix {t_sim:.1f} s + Eq. 1 for every test pair {t_pred:.1f} s "
          f"= {t_sim + t_pred:.1f} s per fold (target < 30 s); fallbacks {pred.fallbacks}")
    del sim
    import myfm

    from vt2lib.rating.fm import myfm_design
    X, X_rel = myfm_design(train.user, train.item, train.n_users, train.n_items)
    fm = myfm.MyFMRegressor(rank=32, random_seed=0)
    t0 = time.perf_counter()
    fm.fit(X, train.rating.astype(np.float64), X_rel=X_rel, n_iter=3)
    print(f"  myfm rank 32: {(time.perf_counter() - t0) / 3:.1f} s per Gibbs iteration "
          f"(100 iterations x 10 folds = {(time.perf_counter() - t0) / 3 * 1000 / 3600:.1f} h)")


if __name__ == "__main__":
    main(sys.argv[1:])
