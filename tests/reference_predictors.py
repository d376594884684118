"""Test-only reference implementations (never imported by vt2lib)."""
import numpy as np

from vt2lib.rating.predictors import RATING_MAX, RATING_MIN, Ratings


def content_based_dense_reference(train: Ratings, test_u, test_i, sim: np.ndarray, vec_row: np.ndarray) -> np.ndarray:
    """A faithful re-implementation of the authors' method, for the benchmark and tests only.

    The training ratings as a dense (users x items) matrix with its rated-mask; per test
    item, the rows of that item's test users are taken as a dense block, the item's
    similarity row is broadcast over it, and Eq. 1's numerator and denominator are its row
    sums: O(test users of the item x items) work per test item, as in their script. No
    fallbacks beyond Eq. 1 (pairs with zero similarity mass are NaN).
    """
    R = np.zeros((train.n_users, train.n_items), np.float32)
    R[train.user, train.item] = train.rating
    M = (R > 0).astype(np.float32)
    has = vec_row >= 0
    out = np.full(len(test_u), np.nan, np.float32)
    for i in np.unique(test_i):
        if vec_row[i] < 0:
            continue
        s = np.zeros(train.n_items, np.float32)
        s[has] = sim[vec_row[i], vec_row[has]]
        pairs = np.flatnonzero(test_i == i)
        users = test_u[pairs]
        weights = M[users] * s[None, :]                 # (test users of i, items)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[pairs] = (R[users] * weights).sum(1) / weights.sum(1)
    return np.clip(out, RATING_MIN, RATING_MAX)
