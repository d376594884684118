"""Top-N ranking on the CV folds (issue 24): Recall@K and NDCG@K over every candidate movie.

For each user of a fold's test part, every movie the user has not rated in training is a
candidate; the hits are the user's test movies rated >= HIT_RATING. Tied scores are ordered
at random, as Microsoft Recommenders, Cornac and RecBole leave them, and the metrics are their
exact expectation over that order (no sampling): a constant score gets what chance gets, not 0
(the earlier rule, ties against the hits, was a lower bound). Users without a hit are left out
of the means (counted).
Recall@K = hits in the top K / the user's hits; NDCG@K with binary gains and log2 discounts,
its ideal over min(K, hits) positions. K larger than the candidates: all of them are the top.

    per_user = evaluate_ranking(score_rows, train, test_u, test_i, test_r, users, ks=(10, 20))

>>> scores = np.array([[0.9, 0.5, 0.5, 0.1]])
>>> hits = np.array([[False, True, False, True]])
>>> m = ranking_metrics(scores, hits, np.ones_like(hits), ks=(2,))
>>> float(m["recall@2"][0]), round(float(m["ndcg@2"][0]), 4)   # the tied hit is 2nd or 3rd, each half the time
(0.25, 0.1934)
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

from vt2lib.rating.predictors import Ratings

HIT_RATING = 4.0
USER_CHUNK = 512      # users scored at once: a (chunk x movies) float matrix (28 MB at ML20M's 13.6k movies)
HIT_BLOCK = 1 << 22   # hit x movie comparisons at once (the compared rows' scores: 16-32 MB)
# Comparing a hit with its row costs ~2 ns per movie; sorting the row ~10 ns per movie plus ~25 us of Python
# (from bench_ranking.py's metrics at 27 hits per user, and notebook 10 on the demo: tests/benchmarks/RESULTS.md):
# a row with more hits than SORT_HITS + SORT_MOVIES / movies is sorted
SORT_HITS, SORT_MOVIES = 5, 12_500


def ranking_metrics(scores: np.ndarray, hits: np.ndarray, candidates: np.ndarray,
                    ks=(10, 20)) -> dict[str, np.ndarray]:
    """Per row (user): the expected recall@k and ndcg@k for each k under a uniformly random order
    of tied scores, and the row's hit count.

    scores, hits, candidates: (users, movies); hits must be candidates. Ties are compared in the
    scores' own precision (float32 scores are never rounded further). Exact, no sampling: a hit
    whose score has `a` candidates above it and ties with `t` candidates (itself included) sits
    at each position a .. a + t - 1 with probability 1/t, so by linearity its expected share of
    the top k is clip(k - a, 0, t) / t, and its expected discounted gain is the mean of the
    discounts over those positions (tests/test_ranking.py checks both against every tie order).
    A NaN score among the candidates has no place in an order and is refused."""
    if (hits & ~candidates).any():
        raise ValueError("a hit that is not a candidate (rated in training?)")
    key = np.where(candidates, scores, -np.inf)  # float32 scores stay float32 (NumPy 2: -inf is a weak scalar)
    if np.isnan(key).any():
        raise ValueError("a candidate's score is NaN: it has no place in a ranking")
    n_hits = hits.sum(1)
    k_max = max(ks)
    discount = 1.0 / np.log2(np.arange(2, k_max + 2))
    cum = np.r_[0.0, np.cumsum(discount)]          # cum[p]: the discounts of positions 0 .. p - 1
    hit_row, above, tie = _hit_places(key, hits, n_hits)
    top_share, gain = {}, {}
    for k in ks:
        top_share[k] = np.bincount(hit_row, np.clip(k - above, 0, tie) / tie, minlength=len(key))
        gain[k] = np.bincount(hit_row, (cum[np.minimum(above + tie, k)] - cum[np.minimum(above, k)]) / tie,
                              minlength=len(key))
    out = {"n_hits": n_hits}
    with np.errstate(invalid="ignore", divide="ignore"):
        for k in ks:
            ideal = cum[np.minimum(n_hits, k)]
            out[f"recall@{k}"] = np.where(n_hits > 0, top_share[k] / n_hits, np.nan)
            out[f"ndcg@{k}"] = np.where(n_hits > 0, gain[k] / ideal, np.nan)
    return out


def _hit_places(key: np.ndarray, hits: np.ndarray, n_hits: np.ndarray):
    """(row, a, t) of every hit: its row's candidates above it (a) and tied with it, itself included (t);
    n_hits: the hits per row.

    Rows with few hits compare each hit with the row, all such hits at once; a row with many (ML20M's
    heavy raters) is sorted once and its hits looked up in it."""
    n_items = key.shape[1]
    sort = n_hits > SORT_HITS + SORT_MOVIES / max(n_items, 1)
    hit_row, hit_col = np.nonzero(hits & ~sort[:, None])
    above, tie = np.empty(len(hit_row), np.int64), np.empty(len(hit_row), np.int64)
    step = max(1, HIT_BLOCK // max(n_items, 1))
    for a in range(0, len(hit_row), step):
        r, s = hit_row[a:a + step], key[hit_row[a:a + step], hit_col[a:a + step]][:, None]
        above[a:a + step], tie[a:a + step] = (key[r] > s).sum(1), (key[r] == s).sum(1)
    rows, aboves, ties = [hit_row], [above], [tie]
    sorted_rows = np.flatnonzero(sort)
    for row, column in zip(sorted_rows, np.sort(key[sorted_rows], axis=1)):  # ascending, for searchsorted
        s = key[row, hits[row]]
        below_or_equal, below = np.searchsorted(column, s, side="right"), np.searchsorted(column, s, side="left")
        rows.append(np.full(len(s), row))
        aboves.append(n_items - below_or_equal)
        ties.append(below_or_equal - below)
    return np.concatenate(rows), np.concatenate(aboves), np.concatenate(ties)


def evaluate_ranking(score_rows: Callable[[np.ndarray], np.ndarray], train: Ratings, test_u: np.ndarray,
                     test_i: np.ndarray, test_r: np.ndarray, users: np.ndarray, ks=(10, 20),
                     chunk: int = USER_CHUNK, among: np.ndarray | None = None) -> pd.DataFrame:
    """Per-user metrics of a scorer on one fold; `score_rows(users) -> (len(users), n_items)`.

    `users`: the users to rank for (those without a hit come out with NaN metrics). Scores
    are computed `chunk` users at a time. Candidates: every movie the user has not rated in
    training, or only those of them in `among` (a mask over the movies; the item cold-start
    protocol ranks the new movies among the new movies)."""
    return evaluate_rankings(score_rows, train, test_u, test_i, test_r, users, {"": among}, ks, chunk)[""]


def evaluate_rankings(score_rows: Callable[[np.ndarray], np.ndarray], train: Ratings, test_u: np.ndarray,
                      test_i: np.ndarray, test_r: np.ndarray, users: np.ndarray,
                      among: dict[str, np.ndarray | None], ks=(10, 20), chunk: int = USER_CHUNK
                      ) -> dict[str, pd.DataFrame]:
    """evaluate_ranking for several candidate sets ({name: mask or None}) from one scoring of each chunk."""
    n_items = train.n_items
    pos = np.full(train.n_users, -1)
    pos[users] = np.arange(len(users))
    rows, trows = pos[train.user], np.where(test_r >= HIT_RATING, pos[test_u], -1)  # -1: not ranked, or no hit
    frames: dict[str, list] = {name: [] for name in among}
    # a restricted candidate set is ranked on its own columns: a movie outside it is never above or tied
    # with a candidate of finite score (it would score -inf), so the metrics are the same, over far fewer movies
    columns = {name: None if mask is None else np.flatnonzero(mask) for name, mask in among.items()}
    for start in range(0, len(users), chunk):
        block = users[start:start + chunk]
        mine = (rows >= start) & (rows < start + len(block))
        unrated = np.ones((len(block), n_items), bool)
        unrated[rows[mine] - start, train.item[mine]] = False
        is_hit = (trows >= start) & (trows < start + len(block))
        hits = np.zeros((len(block), n_items), bool)
        hits[trows[is_hit] - start, test_i[is_hit]] = True
        scores = score_rows(block)
        for name, cols in columns.items():
            if cols is not None and (hits & ~among[name]).any():
                raise ValueError(f"candidates {name!r}: a hit outside them")
            m = (ranking_metrics(scores, hits, unrated, ks) if cols is None else
                 ranking_metrics(scores[:, cols], hits[:, cols], unrated[:, cols], ks))
            candidates = (unrated if cols is None else unrated[:, cols]).sum(1)
            frames[name].append(pd.DataFrame({"user": block, **m, "candidates": candidates}))
    return {name: pd.concat(f, ignore_index=True) for name, f in frames.items()}


def summarise(per_user: pd.DataFrame) -> dict[str, float]:
    """Means over users with at least one hit, how many users that is, and their median and largest
    number of candidates."""
    has = per_user[per_user.n_hits > 0]
    metrics = [c for c in per_user.columns if "@" in c]
    return {**{c: float(has[c].mean()) for c in metrics}, "users": int(len(has)),
            "users_without_hits": int((per_user.n_hits == 0).sum()),
            "median candidates": float(has.candidates.median()) if len(has) else np.nan,
            "most candidates": float(has.candidates.max()) if len(has) else np.nan}


def ranked_users(test_u: np.ndarray, test_r: np.ndarray, n: int | None, seed: int) -> np.ndarray:
    """The test users with a hit, or a seeded sample of n of them (sorted)."""
    users = np.unique(test_u[test_r >= HIT_RATING])
    if n is not None and n < len(users):
        users = np.sort(np.random.default_rng(seed).choice(users, n, replace=False))
    return users
