"""Scores of every (user, movie) pair on one fold, for the ranking evaluation (vt2lib.ranking.metrics).

Each ranked method becomes `score_rows(users) -> (len(users), n_items)`:
- popularity: the movie's training ratings count;
- bias: the user + item bias baseline (ranked by its item bias);
- Eq. 1: a sparse (users x rated movies) times dense (movies x movies) similarity product per
  chunk of users, with the pairwise predictor's fallbacks (vt2lib.rating.predictors.content_based);
- any run_cv predictor (the FM): one call over every ranked user x every movie, so a fitted
  model is fitted once per fold, not per chunk.

    score_rows = vector_scorer(cfg, data, source, ids, vectors)(train)   # Eq. 1 of an item-vector source

>>> train = Ratings(np.array([0, 0, 1]), np.array([0, 1, 1]), np.array([5.0, 2.0, 4.0], np.float32), 2, 3)
>>> popularity_rows(train)(np.array([0, 1])).tolist()
[[1.0, 2.0, 0.0], [1.0, 2.0, 0.0]]
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from vt2lib.config import Profile
from vt2lib.rating import predictors as P
from vt2lib.rating.predictors import Ratings

POPULARITY = "popularity"   # not a rating predictor: ranked only


def popularity_rows(train: Ratings):
    counts = np.bincount(train.item, minlength=train.n_items).astype(np.float32)
    return lambda users: np.broadcast_to(counts, (len(users), train.n_items)).copy()


def bias_rows(train: Ratings):
    """The bias baseline's b_i: mu + b_u is the same for all of a user's movies, so b_i orders them
    as the unclipped mu + b_u + b_i does (the clipped prediction of one user would tie some)."""
    _, _, b_i = P.bias_terms(train)
    return lambda users: np.broadcast_to(b_i, (len(users), train.n_items)).copy()


def eq1_rows(train: Ratings, sim: np.ndarray, vec_row: np.ndarray, top_k: int | None = None):
    """Eq. 1 for users x every movie, equal to content_based's unclipped values on those pairs (to float32
    rounding; raw cosine similarities can take them beyond 0.5..5), on either path."""
    if top_k:  # the top-k rule is per pair: the pairwise kernel
        return lambda users: P.content_based(train, np.repeat(users, train.n_items),
                                             np.tile(np.arange(train.n_items), len(users)), sim, vec_row,
                                             top_k).ranking.reshape(len(users), train.n_items)
    has = vec_row[train.item] >= 0
    R = sp.csr_matrix((train.rating[has].astype(np.float32), (train.user[has], vec_row[train.item[has]])),
                      shape=(train.n_users, len(sim)))
    B = R.copy()
    B.data[:] = 1.0
    mu = float(train.rating.mean())
    means = P.user_mean(train, np.arange(train.n_users), np.zeros(train.n_users, np.int64)).values
    n_rated = np.bincount(train.user, minlength=train.n_users)
    scored = np.flatnonzero(vec_row >= 0)
    cols = vec_row[scored]   # each scored movie's column of the similarities (once, not per chunk)
    sim = np.ascontiguousarray(sim if np.array_equal(cols, np.arange(len(sim))) else sim[:, cols], np.float32)

    def rows(users):
        out = np.repeat(np.where(n_rated[users] > 0, means[users], mu)[:, None], train.n_items, 1)
        num, den = R[users] @ sim, B[users] @ sim
        with np.errstate(invalid="ignore", divide="ignore"):
            value = np.where(np.abs(den) >= 1e-9, num / den, out[:, scored])
        out[:, scored] = np.where(n_rated[users][:, None] > 0, value, mu)
        return out.astype(np.float32)
    return rows


def pair_rows(predict, train: Ratings, users: np.ndarray, fold: int):
    """A run_cv predictor over every ranked user x every movie, called once; rows looked up after."""
    values = predict(train, np.repeat(users, train.n_items), np.tile(np.arange(train.n_items), len(users)),
                     fold).ranking.reshape(len(users), train.n_items)  # unclipped: no ties at 5.0
    where = {int(u): k for k, u in enumerate(users)}
    return lambda block: values[[where[int(u)] for u in block]]


def vector_scorer(cfg: Profile, data, source, ids: np.ndarray, vectors: np.ndarray):
    """fold's training ratings -> score_rows: Eq. 1 of an item-vector source. Its similarity matrix
    is built once, or per fold for frozen_mean (its PCA fitted on the fold's training movies)."""
    from vt2lib.rating.frozen_mean import fold_similarity
    rows, usable = P.vector_rows(data.movie_ids, ids, vectors)
    fixed = None if source.kind == "frozen_mean" else P.similarity_matrix(usable, cfg.similarity)

    def for_fold(train: Ratings):
        sim = fixed if fixed is not None else fold_similarity(cfg, rows, usable, train, source.dim)
        return eq1_rows(train, sim, rows, cfg.top_k)
    return for_fold
