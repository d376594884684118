"""Top-N ranking on the CV folds (issue 24): Recall@K and NDCG@K over every candidate movie.

For each user of a fold's test part, every movie the user has not rated in training is a
candidate; the hits are the user's test movies rated >= HIT_RATING. Ties in score are broken
against the hits (a hit ranks after every non-hit of equal score), so a scorer gains nothing
from ties: a constant score gets 0. Users without a hit are left out of the means (counted).
Recall@K = hits in the top K / the user's hits; NDCG@K with binary gains and log2 discounts,
its ideal over min(K, hits) positions. K larger than the candidates: all of them are the top.

    per_user = evaluate_ranking(score_rows, train, test_u, test_i, test_r, users, ks=(10, 20))

>>> scores = np.array([[0.9, 0.5, 0.5, 0.1]])
>>> hits = np.array([[False, True, False, True]])
>>> m = ranking_metrics(scores, hits, np.ones_like(hits), ks=(2,))
>>> float(m["recall@2"][0]), round(float(m["ndcg@2"][0]), 4)   # the tied hit ranks 3rd, not 2nd
(0.0, 0.0)
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

from vt2lib.rating.predictors import Ratings

HIT_RATING = 4.0
USER_CHUNK = 512      # users scored at once: a (chunk x movies) float matrix (28 MB at ML20M's 13.6k movies)


def ranking_metrics(scores: np.ndarray, hits: np.ndarray, candidates: np.ndarray,
                    ks=(10, 20)) -> dict[str, np.ndarray]:
    """Per row (user): recall@k and ndcg@k for each k, and the row's hit count.

    scores, hits, candidates: (users, movies); hits must be candidates. Exact pessimistic ties:
    in float64 a hit's float32 score moves down by one float64 step, far below float32's
    resolution, so it falls behind equal non-hits and ahead of every lower float32 score."""
    if (hits & ~candidates).any():
        raise ValueError("a hit that is not a candidate (rated in training?)")
    key = np.where(candidates, np.asarray(scores, np.float32).astype(np.float64), -np.inf)
    key[hits] = np.nextafter(key[hits], -np.inf)
    n_hits = hits.sum(1)
    n_cand = candidates.sum(1)
    k_max = min(max(ks), key.shape[1])
    top = np.argpartition(-key, k_max - 1, axis=1)[:, :k_max] if k_max < key.shape[1] else \
        np.broadcast_to(np.arange(key.shape[1]), key.shape)
    top = np.take_along_axis(top, np.argsort(-np.take_along_axis(key, top, 1), axis=1, kind="stable"), 1)
    hit_at = np.take_along_axis(hits, top, 1) & (np.arange(k_max) < n_cand[:, None])
    discount = 1.0 / np.log2(np.arange(2, k_max + 2))
    out = {"n_hits": n_hits}
    with np.errstate(invalid="ignore", divide="ignore"):
        for k in ks:
            kk = min(k, k_max)
            found = hit_at[:, :kk]
            ideal = np.cumsum(discount)[np.minimum(n_hits, kk) - 1]
            out[f"recall@{k}"] = np.where(n_hits > 0, found.sum(1) / n_hits, np.nan)
            out[f"ndcg@{k}"] = np.where(n_hits > 0, (found * discount[:kk]).sum(1) / ideal, np.nan)
    return out


def evaluate_ranking(score_rows: Callable[[np.ndarray], np.ndarray], train: Ratings, test_u: np.ndarray,
                     test_i: np.ndarray, test_r: np.ndarray, users: np.ndarray, ks=(10, 20),
                     chunk: int = USER_CHUNK) -> pd.DataFrame:
    """Per-user metrics of a scorer on one fold; `score_rows(users) -> (len(users), n_items)`.

    `users`: the users to rank for (those without a hit come out with NaN metrics). Scores
    are computed `chunk` users at a time."""
    n_items = train.n_items
    pos = np.full(train.n_users, -1)
    pos[users] = np.arange(len(users))
    rows, trows = pos[train.user], np.where(test_r >= HIT_RATING, pos[test_u], -1)  # -1: not ranked, or no hit
    frames = []
    for start in range(0, len(users), chunk):
        block = users[start:start + chunk]
        mine = (rows >= start) & (rows < start + len(block))
        candidates = np.ones((len(block), n_items), bool)
        candidates[rows[mine] - start, train.item[mine]] = False
        is_hit = (trows >= start) & (trows < start + len(block))
        hits = np.zeros((len(block), n_items), bool)
        hits[trows[is_hit] - start, test_i[is_hit]] = True
        m = ranking_metrics(score_rows(block), hits, candidates, ks)
        frames.append(pd.DataFrame({"user": block, **m}))
    return pd.concat(frames, ignore_index=True)


def summarise(per_user: pd.DataFrame) -> dict[str, float]:
    """Means over users with at least one hit, and how many users that is."""
    has = per_user[per_user.n_hits > 0]
    metrics = [c for c in per_user.columns if "@" in c]
    return {**{c: float(has[c].mean()) for c in metrics}, "users": int(len(has)),
            "users_without_hits": int((per_user.n_hits == 0).sum())}


def ranked_users(test_u: np.ndarray, test_r: np.ndarray, n: int | None, seed: int) -> np.ndarray:
    """The test users with a hit, or a seeded sample of n of them (sorted)."""
    users = np.unique(test_u[test_r >= HIT_RATING])
    if n is not None and n < len(users):
        users = np.sort(np.random.default_rng(seed).choice(users, n, replace=False))
    return users
