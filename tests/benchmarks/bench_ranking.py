"""Ranking (notebook 10) at ML20M's size: Eq. 1 scores of users x every movie, the top-K metrics, and the
rankers trained for top-N (EASE, ALS, the content map).

    python tests/benchmarks/bench_ranking.py [--users 1024] [--trained] [--json rates.json]

A synthetic fold (bench_content_based.synthetic_fold: ML20M's sizes and skew, 256-d vectors); prints
seconds per 1,000 users for the sparse x dense Eq. 1 product and for ranking_metrics, which
project_ml20m.py scales to `ranking_users` (RESULTS.md). --trained adds, at the ml20m profile's
settings: EASE's Gram matrix of 13,600 movies (once per X), one EASE fit (its inverse) and its scores, one ALS fit (als_factors,
als_iterations, every training rating an interaction), scoring 1,000 users from factors, and the content
map's ridge (SVD of 13,600 x 1280 frozen features, one map per l2). --json adds the rates to a rates.json
that project_ml20m.py reads (rates_cpu.json: measured here).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[2])]
from bench_content_based import synthetic_fold  # noqa: E402

from vt2lib.profiles import load_profile  # noqa: E402
from vt2lib.rating import predictors as P  # noqa: E402
from vt2lib.ranking import scorers as RS  # noqa: E402
from vt2lib.ranking import trained as T  # noqa: E402
from vt2lib.ranking.content_map import mapped_item_factors  # noqa: E402
from vt2lib.ranking.metrics import ranking_metrics  # noqa: E402


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def trained_rates(train, users) -> dict:
    cfg = load_profile("ml20m")
    X = T.interactions(train, 0.5)
    G, gram = timed(lambda: T.gram(X))
    B, inverse = timed(lambda: T.ease_weights(X, 500.0, G))
    scorer = T.ease_rows(X, B)
    _, ease_score = timed(lambda: scorer(users))
    del G, B, scorer
    (user_f, item_f), als = timed(lambda: T.als_factors(X, cfg.als_factors, 10.0, 10.0, cfg.als_iterations, 0))
    _, score = timed(lambda: T.factor_rows(user_f, item_f)(users))
    frozen = np.random.default_rng(2).gamma(0.6, 0.5, (train.n_items, 1280)).astype(np.float32)
    rated = np.random.default_rng(3).random(train.n_items) < 0.9
    _, ridge = timed(lambda: mapped_item_factors(item_f, rated, np.arange(train.n_items), frozen, cfg.content_map_l2))
    per = 1000 / len(users)
    n = f"{train.n_items:,} movies, {len(train.user):,} ratings"
    return {"ranking_ease_gram": (gram, "s/X", f"X'X of the training interactions, sparse (scipy's: one thread), {n}"),
            "ranking_ease_fit": (inverse, "s/fit", f"(X'X + l2 I)^-1 and B from it, {train.n_items:,} movies"),
            "ranking_ease_scores": (ease_score * per, "s/1000 users", f"users' rows of X times B, sparse x dense "
                                    f"(scipy's: one thread), {train.n_items:,} movies"),
            "ranking_als_fit": (als, "s/fit", f"implicit ALS, {cfg.als_factors} factors, {cfg.als_iterations} "
                                f"sweeps, {n}, {os.cpu_count()} threads"),
            "ranking_factor_scores": (score * per, "s/1000 users", f"user x item factors, {train.n_items:,} movies"),
            "ranking_map_fit": (ridge, "s/source", f"ridge of 1280-d vectors to ALS factors, SVD once, "
                                f"{len(cfg.content_map_l2)} l2 values, {train.n_items:,} movies")}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=1024)
    ap.add_argument("--trained", action="store_true", help="time EASE, ALS and the content map too")
    ap.add_argument("--json", type=Path, help="add the rates to this rates.json (project_ml20m.py --rates)")
    args = ap.parse_args(argv)
    train, _, _, vectors = synthetic_fold()
    sim = P.similarity_matrix(vectors)
    users = np.sort(np.random.default_rng(0).choice(train.n_users, args.users, replace=False))
    scores, eq1 = timed(lambda: RS.eq1_rows(train, sim, np.arange(train.n_items))(users))
    hits = np.random.default_rng(1).random(scores.shape) < 0.002
    _, metrics = timed(lambda: ranking_metrics(scores, hits, np.ones_like(hits), (10, 20)))
    per = 1000 / args.users
    rates = {"ranking_eq1": (eq1 * per, "s/1000 users", f"Eq. 1 of users x {train.n_items:,} movies, "
                             f"{len(train.user):,} ratings: a sparse x dense product (scipy's: one thread)"),
             "ranking_metrics": (metrics * per, "s/1000 users", f"top-20 of {train.n_items:,} movies")}
    if args.trained:
        rates |= trained_rates(train, users)
    where = f"measured here: {os.cpu_count()} cores, bench_ranking.py"
    for name, (value, unit, note) in rates.items():
        print(f"RATE {name} {value:.4g} {unit}  {note}")
        if args.json:
            from vt2lib.io import update_json
            update_json(args.json, name, {"value": value, "unit": unit, "note": note, "where": where,
                                          "threads": os.cpu_count()})


if __name__ == "__main__":
    main()
