"""Ranking (notebook 10) at ML20M's size: Eq. 1 scores of users x every movie, and the top-K metrics.

    python tests/benchmarks/bench_ranking.py [users]      # default 1,024 users of 13,600 movies

A synthetic fold (bench_content_based.synthetic_fold: ML20M's sizes and skew, 256-d vectors);
prints seconds per 1,000 users for the sparse x dense Eq. 1 product and for ranking_metrics,
which project_ml20m.py scales to `ranking_users` (RESULTS.md).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[2])]
from bench_content_based import synthetic_fold  # noqa: E402

from vt2lib.rating import predictors as P  # noqa: E402
from vt2lib.rating import ranking_scores as RS  # noqa: E402
from vt2lib.rating.ranking import ranking_metrics  # noqa: E402


def main(n_users: int = 1024) -> None:
    train, _, _, vectors = synthetic_fold()
    sim = P.similarity_matrix(vectors)
    users = np.sort(np.random.default_rng(0).choice(train.n_users, n_users, replace=False))
    scorer = RS.eq1_rows(train, sim, np.arange(train.n_items))
    t0 = time.perf_counter()
    scores = scorer(users)
    t1 = time.perf_counter()
    hits = np.random.default_rng(1).random(scores.shape) < 0.002
    ranking_metrics(scores, hits, np.ones_like(hits), (10, 20))
    t2 = time.perf_counter()
    per = 1000 / n_users
    print(f"RATE ranking_eq1 {(t1 - t0) * per:.3f} s/1000 users  {train.n_items:,} movies, {len(train.user):,} ratings")
    print(f"RATE ranking_metrics {(t2 - t1) * per:.3f} s/1000 users  top-20 of {train.n_items:,} movies")


if __name__ == "__main__":
    main(*map(int, sys.argv[1:]))
