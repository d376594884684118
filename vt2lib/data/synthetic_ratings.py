"""ML20M-sized synthetic ratings for the `scale` profile (vt2lib.data.synthetic_scale): user
activity, popularity-weighted movies without repeats, star ratings, and the CSV.

Each user's movies, drawn by popularity without repeats (sorted by user, then movie):

>>> users, items, missing = sample_user_items(np.random.default_rng(0), np.array([2, 3]), np.ones(10))
>>> users.tolist(), len(set(zip(users.tolist(), items.tolist()))), missing
([0, 0, 1, 1, 1], 5, 0)
"""
from __future__ import annotations

import numpy as np

from vt2lib.data.synthetic_common import FACTOR_DIM, quantise_ratings
from vt2lib.io import atomic_path

MIN_USER_RATINGS, MAX_USER_SHARE = 20, 0.35  # a user rates at least ML20M's 20 movies, at most this share


def user_activity(rng, n_users: int, mean: float, n_movies: int) -> np.ndarray:
    """Log-normal ratings per user in [20, 35 % of the movies], its location solved for `mean`."""
    z = rng.standard_normal(n_users)
    hi = max(MIN_USER_RATINGS, int(MAX_USER_SHARE * n_movies))
    lo, up = 0.0, np.log(hi)
    for _ in range(50):  # bisection: the clipped mean grows with the location
        mu = (lo + up) / 2
        lo, up = (mu, up) if np.clip(np.exp(mu + 1.2 * z), MIN_USER_RATINGS, hi).mean() < mean else (lo, mu)
    return np.clip(np.exp(mu + 1.2 * z), MIN_USER_RATINGS, hi).astype(np.int64)


def sample_user_items(rng, activity: np.ndarray, popularity: np.ndarray, rounds: int = 8):
    """Distinct (user, item) pairs, `activity[u]` per user drawn by popularity; sorted by user, then item.

    Returns (users, items, shortfall): the pairs still missing after `rounds` redraws."""
    n_users, n_items = len(activity), len(popularity)
    cdf = np.cumsum(popularity) / popularity.sum()
    keys, need = np.empty(0, np.int64), activity.copy()
    for _ in range(rounds):
        users = np.repeat(np.arange(n_users, dtype=np.int64), need)
        items = np.minimum(np.searchsorted(cdf, rng.random(users.size), side="right"), n_items - 1)
        keys = np.sort(np.concatenate([keys, users * n_items + items]))  # np.unique is ~70x slower here
        keys = keys[np.r_[True, keys[1:] != keys[:-1]]]
        need = activity - np.bincount(keys // n_items, minlength=n_users)
        if not need.any():
            break
    return (keys // n_items).astype(np.int32), (keys % n_items).astype(np.int32), int(need.sum())


def star_ratings(rng, n_users: int, users, items, item_factors, item_bias, chunk: int = 2_000_000) -> np.ndarray:
    user_factors = rng.normal(0, 0.45, (n_users, FACTOR_DIM)).astype(np.float32)
    user_bias = rng.normal(0, 0.35, n_users)
    out = np.empty(users.size, np.float32)
    for a in range(0, users.size, chunk):  # chunks: the factor gathers of 20M ratings would take ~2 GB
        u, i = users[a:a + chunk], items[a:a + chunk]
        raw = (3.6 + user_bias[u] + item_bias[i] + np.einsum("ij,ij->i", user_factors[u], item_factors[i])
               + rng.normal(0, 0.45, u.size))
        out[a:a + chunk] = quantise_ratings(rng, raw)
    return out


def write_ratings_csv(path, users, movie_ids, stars, timestamps) -> None:
    """ML20M's ratings.csv byte format (userId,movieId,rating,timestamp; '4.0'), fast: 20M rows in ~5 s."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    labels = pa.array([f"{k / 2:.1f}" for k in range(11)])
    table = pa.table({"userId": users, "movieId": movie_ids,
                      "rating": pa.DictionaryArray.from_arrays(pa.array((stars * 2).astype(np.int8)), labels),
                      "timestamp": timestamps})
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        f.write(b"userId,movieId,rating,timestamp\n")  # pyarrow would quote the header's names
        pacsv.write_csv(table, f, pacsv.WriteOptions(include_header=False, quoting_style="none"))
