"""Rating predictors (paper 2.3.1): baselines and the content-based predictor of Eq. 1.

Every predictor has the same shape: `(train: Ratings, test_users, test_items, ...) ->
Prediction(values, fallbacks)`, with users/items as dense indices (`evaluation.CVData` makes them).

The paper's worked example (Fig. 4): similarities 0.92 and 0.34 to movies rated 5.0 and 2.0.

>>> train = Ratings(np.array([0, 0]), np.array([1, 2]), np.array([5.0, 2.0], np.float32), 1, 3)
>>> sim = np.array([[1, 0.92, 0.34], [0.92, 1, 0], [0.34, 0, 1]], np.float32)
>>> pred = content_based(train, np.array([0]), np.array([0]), sim, np.arange(3))   # Eq. 1
>>> round(float(pred.values[0]), 2), pred.fallbacks["no_vector"]
(4.19, 0)

Eq. 1: r(u,i) = sum_j s(i,j) r(u,j) / sum_j s(i,j) over the items j the user rated in
training. Defined fallbacks, counted: a user without training ratings gets the global
mean; a test item without a vector, or zero similarity mass, gets the user's mean. Items
j without a vector are skipped in the sums. All predictions are clipped to 0.5..5.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

RATING_MIN, RATING_MAX = 0.5, 5.0
FALLBACK_CODES = {1: "no_train_ratings", 2: "no_vector", 3: "zero_similarity"}


@dataclass
class Ratings:
    user: np.ndarray      # (n,) int32 dense user index
    item: np.ndarray      # (n,) int32 dense item index
    rating: np.ndarray    # (n,) float32
    n_users: int
    n_items: int

    def csr(self):
        """Per-user rows: (indptr, items, ratings), users sorted."""
        order = np.argsort(self.user, kind="stable")
        indptr = np.zeros(self.n_users + 1, np.int64)
        np.cumsum(np.bincount(self.user, minlength=self.n_users), out=indptr[1:])
        return indptr, self.item[order].astype(np.int32), self.rating[order].astype(np.float32)


@dataclass
class Prediction:
    values: np.ndarray                 # the rating prediction (clipped to 0.5..5, as RMSE is taken on)
    fallbacks: dict[str, int] = field(default_factory=dict)
    chains: np.ndarray | None = None   # (C, n): each Monte Carlo chain's predictions, `values` their mean
    scores: np.ndarray | None = None   # what a ranking orders by where it is not `values`: the unclipped value

    @property
    def ranking(self) -> np.ndarray:
        """The scores a top-N ranking orders by: unclipped, so that movies predicted above 5 keep their order."""
        return self.values if self.scores is None else self.scores


def _clip(x):
    return np.clip(x, RATING_MIN, RATING_MAX).astype(np.float32)


def _group_mean(index, values, n, default):
    s = np.bincount(index, weights=values, minlength=n)
    c = np.bincount(index, minlength=n)
    out = np.full(n, default, np.float64)
    np.divide(s, c, out=out, where=c > 0)
    return out, c


# ------------------------------------------------------------------ baselines
def global_mean(train: Ratings, test_u, test_i) -> Prediction:
    return Prediction(_clip(np.full(len(test_u), train.rating.mean())))


def user_mean(train: Ratings, test_u, test_i) -> Prediction:
    mu = float(train.rating.mean())
    means, counts = _group_mean(train.user, train.rating, train.n_users, mu)
    return Prediction(_clip(means[test_u]), {"no_train_ratings": int((counts[test_u] == 0).sum())})


def item_mean(train: Ratings, test_u, test_i) -> Prediction:
    mu = float(train.rating.mean())
    means, counts = _group_mean(train.item, train.rating, train.n_items, mu)
    return Prediction(_clip(means[test_i]), {"item_without_train_ratings": int((counts[test_i] == 0).sum())})


def bias_baseline(train: Ratings, test_u, test_i, reg_item: float = 10.0, reg_user: float = 15.0,
                  n_sweeps: int = 3) -> Prediction:
    """mu + b_u + b_i with shrinkage (Koren's baseline predictor), a few alternating sweeps."""
    mu, b_u, b_i = bias_terms(train, reg_item, reg_user, n_sweeps)
    return Prediction(_clip(mu + b_u[test_u] + b_i[test_i]))


def bias_terms(train: Ratings, reg_item: float = 10.0, reg_user: float = 15.0, n_sweeps: int = 3):
    """The bias baseline's (mu, b_u per user, b_i per item): ranking orders a user's movies by b_i."""
    mu = float(train.rating.mean())
    b_u = np.zeros(train.n_users)
    b_i = np.zeros(train.n_items)
    n_i = np.bincount(train.item, minlength=train.n_items)
    n_u = np.bincount(train.user, minlength=train.n_users)
    for _ in range(n_sweeps):
        b_i = np.bincount(train.item, weights=train.rating - mu - b_u[train.user], minlength=train.n_items) / (reg_item + n_i)
        b_u = np.bincount(train.user, weights=train.rating - mu - b_i[train.item], minlength=train.n_users) / (reg_user + n_u)
    return mu, b_u, b_i


# ------------------------------------------------------------------ similarities
def similarity_matrix(vectors: np.ndarray, kind: str = "cosine01") -> np.ndarray:
    """Item-item similarity from item vectors (rows). Zero vectors must be excluded beforehand.

    cosine01: (cos + 1) / 2 in [0, 1], the paper's text; cosine: raw cosine in [-1, 1], as
    the authors' code computed it (negative weights can push Eq. 1 outside the rating range).
    """
    v = np.asarray(vectors, np.float64)
    if not np.isfinite(v).all():
        bad = int((~np.isfinite(v)).any(1).sum())
        raise ValueError(f"{bad} item vectors contain NaN or inf")
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    if (norms == 0).any():
        raise ValueError(f"{int((norms == 0).sum())} item vectors are all zero; drop them (they count as 'no vector')")
    u = (v / norms).astype(np.float32)
    cos = u @ u.T
    if kind == "cosine01":
        return (cos + 1.0) * 0.5
    if kind == "cosine":
        return cos
    raise ValueError(f"unknown similarity {kind!r}; valid: cosine01, cosine")


def random_similarity(n: int, seed: int) -> np.ndarray:
    """Symmetric uniform [0, 1] similarities: the authors' own control."""
    rng = np.random.default_rng(seed)
    a = rng.random((n, n), dtype=np.float32)
    return np.triu(a) + np.triu(a, 1).T


def vector_rows(item_movie_ids: np.ndarray, vector_movie_ids: np.ndarray, vectors: np.ndarray):
    """Map dense item index -> row of `vectors` (-1 = no vector); zero vectors count as none."""
    if len(np.unique(vector_movie_ids)) != len(vector_movie_ids):
        raise ValueError("item vectors: duplicate movie ids")
    if len(vector_movie_ids) != len(vectors):
        raise ValueError(f"item vectors: {len(vector_movie_ids)} ids for {len(vectors)} vectors")
    usable = np.linalg.norm(np.asarray(vectors, np.float64), axis=1) > 0
    pos = {int(m): k for k, m in enumerate(np.asarray(vector_movie_ids)[usable])}
    rows = np.array([pos.get(int(m), -1) for m in item_movie_ids], np.int64)
    return rows, np.asarray(vectors)[usable]


# ------------------------------------------------------------------ content-based (Eq. 1)
@functools.cache
def _compiled_content_kernel():
    """_content_kernel through numba (compiled, or loaded from numba's cache, on first use): numba is
    imported by Eq. 1's callers only, so the FM and the baselines run where numba is not installed."""
    global numba  # the kernel's numba.prange is looked up in this module's globals when numba compiles it
    import numba
    return numba.njit(parallel=True, cache=True)(_content_kernel)


def _content_kernel(indptr, items, ratings, user_means, global_mean, test_u, test_i, vec_row, sim, top_k):
    n = test_u.shape[0]
    out = np.empty(n, np.float32)
    code = np.zeros(n, np.int8)
    for t in numba.prange(n):
        u = test_u[t]
        a, b = indptr[u], indptr[u + 1]
        if a == b:
            out[t] = global_mean
            code[t] = 1
            continue
        ri = vec_row[test_i[t]]
        if ri < 0:
            out[t] = user_means[u]
            code[t] = 2
            continue
        threshold = -np.inf
        if top_k > 0 and b - a > top_k:
            sims = np.empty(b - a, np.float32)
            m = 0
            for p in range(a, b):
                rj = vec_row[items[p]]
                sims[m] = sim[ri, rj] if rj >= 0 else -np.inf
                m += 1
            # np.sort, not np.partition: numba compiles this kernel in a third of the time
            threshold = np.sort(sims)[(b - a) - top_k]
        num = 0.0
        den = 0.0
        for p in range(a, b):
            rj = vec_row[items[p]]
            if rj < 0:
                continue
            s = sim[ri, rj]
            if s < threshold:
                continue
            num += s * ratings[p]
            den += s
        if abs(den) < 1e-9:
            out[t] = user_means[u]
            code[t] = 3
        else:
            out[t] = num / den
    return out, code


def content_based(train: Ratings, test_u, test_i, sim: np.ndarray, vec_row: np.ndarray,
                  top_k: int | None = None) -> Prediction:
    """Eq. 1 for every test pair; `sim` is indexed by `vec_row[item]` (see vector_rows)."""
    if len(vec_row) != train.n_items:
        raise ValueError(f"vec_row has {len(vec_row)} entries for {train.n_items} items")
    if np.any(np.asarray(test_u) >= train.n_users) or np.any(np.asarray(test_i) >= train.n_items):
        raise ValueError("test pairs reference users or items outside the index")
    indptr, items, ratings = train.csr()
    mu = float(train.rating.mean())
    means, _ = _group_mean(train.user, train.rating, train.n_users, mu)
    kernel = _compiled_content_kernel()
    values, code = kernel(indptr, items, ratings, means.astype(np.float32), np.float32(mu),
                          np.asarray(test_u, np.int64), np.asarray(test_i, np.int64),
                          np.asarray(vec_row, np.int64), np.ascontiguousarray(sim, np.float32), int(top_k or 0))
    counts = np.bincount(code, minlength=4)
    return Prediction(_clip(values), {name: int(counts[c]) for c, name in FALLBACK_CODES.items()},
                      scores=np.asarray(values, np.float32))
