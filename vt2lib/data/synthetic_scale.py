"""ML20M at full size, for the `scale` profile: the demo generator's files, at ML20M's sizes and skew.

    paths = generate_scale_dataset(cfg)      # idempotent, like generate_demo_dataset; vectorised

What it writes (the formats of synthetic.py, read by the real loaders):
- movies: `synth_n_movies` (ML20M: 27,278) with ML20M's genre frequencies (GENRE_COUNTS, about
  two genres per movie, 0.9 % "(no genres listed)") and the PCA figures' sagas among them;
- ratings: `synth_n_users` (138,493) users with log-normal activity, at least 20 ratings each
  (as in ML20M) and a mean of `synth_ratings_per_user` (144.4); movie popularity log-normal
  (sigma 2.7, the top 0.1 % capped): the most rated movie gets tens of thousands of ratings, the
  median movie a few dozen. Stars as in the demo (biases + genre-shaped factors + noise, with
  ML20M's whole-star bias). A user's movies are distinct: repeated draws are drawn again for a
  few rounds; what is still missing then is reported (`ratings_shortfall` in the manifest);
- ML20M-YT: 25,623 / 27,278 of the movies mapped, status codes in the authors' proportions
  (STATUS_COUNTS); YouTube metadata for the available trailers, with DEFECTS (no metadata, 3-D,
  over 10 minutes, "Part N of M", "Full Movie") so that every cleaning rule fires;
- videos: only `synth_n_videos` movies get a real file (the sagas first, then random movies that
  pass the cleaning); the other trailers have none, and notebook 02 reports them `missing_file`.

Each user's movies, drawn by popularity without repeats (sorted by user, then movie):

>>> users, items, missing = sample_user_items(np.random.default_rng(0), np.array([2, 3]), np.ones(10))
>>> users.tolist(), len(set(zip(users.tolist(), items.tolist()))), missing
([0, 0, 1, 1, 1], 5, 0)
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from vt2lib.config import GENRES, Profile
from vt2lib.data.synthetic_common import (
    FACTOR_DIM,
    ID_CHARS,
    WORDS,
    dataset_paths,
    finish_dataset,
    franchise_rows,
    metadata_table,
    multi_hot,
    quantise_ratings,
    render_videos,
    start_dataset,
    video_spec,
    youtube_counts,
)
from vt2lib.io import atomic_path, write_csv_atomic, write_json_atomic

# ML20M movies.csv: movies per genre label (of 27,278).
GENRE_COUNTS = {"Drama": 13344, "Comedy": 8374, "Thriller": 4178, "Romance": 4127, "Action": 3520, "Crime": 2939,
                "Horror": 2611, "Documentary": 2471, "Adventure": 2329, "Sci-Fi": 1743, "Mystery": 1514,
                "Fantasy": 1412, "War": 1194, "Children": 1139, "Musical": 1036, "Animation": 1027, "Western": 676,
                "Film-Noir": 330, "IMAX": 196}
NO_GENRE_SHARE = 246 / 27278
# The authors' youtube_availability.csv: HTTP status per ML20M-YT row (25,623 rows).
STATUS_COUNTS = {200: 19112, 404: 5738, 403: 434, 401: 338, 400: 1}
ML20M_YT_SHARE = 25623 / 27278
# Shares of the available trailers with a defect the cleaning removes (the rest are fine trailers).
DEFECTS = {"no_metadata": 0.01, "3d": 0.005, "too_long": 0.03, "part": 0.02, "full_movie": 0.01}
POPULARITY_SIGMA, POPULARITY_TILT, MIN_USER_RATINGS, MAX_USER_SHARE = 2.7, 0.15, 20, 0.35


def _genre_matrix(rng, n: int) -> np.ndarray:
    """(n, 20) multi-hot: 1 + Poisson(1) labels per movie, drawn without replacement by ML20M's frequencies."""
    regular = GENRES[:-1]
    logp = np.log(np.array([GENRE_COUNTS[g] for g in regular], np.float64))
    keys = logp - np.log(-np.log(rng.random((n, len(regular)))))  # Gumbel top-k = weighted draws w/o replacement
    rank = np.argsort(np.argsort(-keys, axis=1), axis=1)
    k = np.minimum(1 + rng.poisson(1.0, n), len(regular))
    mat = np.zeros((n, len(GENRES)), np.float32)
    mat[:, :-1] = rank < k[:, None]
    none = rng.random(n) < NO_GENRE_SHARE
    mat[none] = 0
    mat[none, -1] = 1
    return mat


def _user_activity(rng, n_users: int, mean: float, n_movies: int) -> np.ndarray:
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


def _star_ratings(rng, n_users: int, users, items, item_factors, item_bias, chunk: int = 2_000_000) -> np.ndarray:
    user_factors = rng.normal(0, 0.45, (n_users, FACTOR_DIM)).astype(np.float32)
    user_bias = rng.normal(0, 0.35, n_users)
    out = np.empty(users.size, np.float32)
    for a in range(0, users.size, chunk):  # chunks: the factor gathers of 20M ratings would take ~2 GB
        u, i = users[a:a + chunk], items[a:a + chunk]
        raw = (3.6 + user_bias[u] + item_bias[i] + np.einsum("ij,ij->i", user_factors[u], item_factors[i])
               + rng.normal(0, 0.45, u.size))
        out[a:a + chunk] = quantise_ratings(rng, raw)
    return out


def _youtube_ids(rng, n: int) -> np.ndarray:
    chars = np.array(list(ID_CHARS))
    ids = chars[rng.integers(0, len(chars), (n, 11))].view("<U11").ravel()
    if len(np.unique(ids)) != n:  # 64^11 ids: a collision means a broken generator, not bad luck
        raise RuntimeError("synthetic YouTube ids collide")
    return ids


def _write_ratings_csv(path, users, movie_ids, stars, timestamps) -> None:
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


def _movies(rng, n: int):
    """Titles, genre matrix and saga of each movie; the sagas sit at random positions."""
    sagas = franchise_rows()
    if n < len(sagas) + 10:
        raise ValueError(f"synth_n_movies must be >= {len(sagas) + 10} to hold the franchises")
    words, n_words, years = rng.integers(0, len(WORDS), (n, 3)), rng.integers(1, 4, n), rng.integers(1915, 2015, n)
    titles = [f"{' '.join(WORDS[w] for w in words[r, :n_words[r]])} ({years[r]})" for r in range(n)]
    genre_mat = _genre_matrix(rng, n)
    saga = np.full(n, "", dtype=object)
    at = rng.choice(n, len(sagas), replace=False)
    for j, (title, genres, stem) in zip(at, sagas):
        titles[j], genre_mat[j], saga[j] = title, multi_hot(genres), stem
    return np.array(titles, dtype=object), genre_mat, saga


def _weighted_pick(rng, pool: np.ndarray, k: int, weights: np.ndarray) -> np.ndarray:
    return rng.choice(pool, k, replace=False, p=weights[pool] / weights[pool].sum())


def _trailers(rng, n: int, saga: np.ndarray, popularity: np.ndarray):
    """Mapped movies (sagas always), their HTTP status (sagas: 200) and defect ("" = a fine trailer).

    As in ML20M-YT, the rare movies are the unmapped ones (ML20M-YT keeps 99.9 % of the ratings),
    and lost or defective trailers lean a little towards rare movies (ML20M: 84 % of the ratings
    survive the cleaning; POPULARITY_TILT gives about that here)."""
    others = np.flatnonzero(saga == "")
    n_mapped = min(n, int(round(ML20M_YT_SHARE * n)))
    unmapped = _weighted_pick(rng, others, n - n_mapped, 1 / popularity)
    mapped = np.setdiff1d(np.arange(n), unmapped)
    total = sum(STATUS_COUNTS.values())
    codes = np.concatenate([np.full(int(k * len(mapped) / total), c) for c, k in STATUS_COUNTS.items() if c != 200])
    tilt = popularity ** -POPULARITY_TILT
    status = np.full(n, 0)
    status[mapped] = 200
    lost = _weighted_pick(rng, np.setdiff1d(mapped, np.flatnonzero(saga != "")), len(codes), tilt)
    status[lost] = rng.permutation(codes)
    defect = np.full(n, "", dtype=object)
    avail = np.flatnonzero((status == 200) & (saga == ""))
    for name, share in DEFECTS.items():
        hit = _weighted_pick(rng, avail, int(round(share * len(avail))), tilt)
        defect[hit] = name
        avail = np.setdiff1d(avail, hit)
    return mapped, status, defect


def generate_scale_dataset(cfg: Profile, progress: bool = True) -> dict:
    """Write (or reuse) the ML20M-sized dataset of `cfg`; returns the paths of its files."""
    paths = dataset_paths(cfg.data_path)
    if start_dataset(cfg):
        return paths
    rng = np.random.default_rng(cfg.seed)
    n = cfg.synth_n_movies
    titles, genre_mat, saga = _movies(rng, n)
    movie_ids = np.sort(rng.choice(np.arange(1, max(131_263, 5 * n)), n, replace=False)).astype(np.int32)
    genre_factors = rng.normal(0, 0.5, (len(GENRES), FACTOR_DIM))
    item_factors = (genre_mat @ genre_factors / np.sqrt(genre_mat.sum(1, keepdims=True))
                    + rng.normal(0, 0.25, (n, FACTOR_DIM))).astype(np.float32)
    item_bias = rng.normal(0, 0.35, n)
    popularity = rng.lognormal(0, POPULARITY_SIGMA, n)
    popularity = np.minimum(popularity, np.quantile(popularity, 0.999))

    activity = _user_activity(rng, cfg.synth_n_users, cfg.synth_ratings_per_user, n)
    users, items, shortfall = sample_user_items(rng, activity, popularity)
    stars = _star_ratings(rng, cfg.synth_n_users, users, items, item_factors, item_bias)
    timestamps = rng.integers(789_652_009, 1_427_784_002, users.size)
    _write_ratings_csv(paths["ratings"], users + 1, movie_ids[items], stars, timestamps)
    genre_names = np.array(GENRES, dtype=object)
    genres = ["|".join(genre_names[row > 0]) for row in genre_mat]
    write_csv_atomic(pd.DataFrame({"movieId": movie_ids, "title": titles, "genres": genres}), paths["movies"])

    mapped, status, defect = _trailers(rng, n, saga, popularity)
    yt_ids = np.full(n, "", dtype=object)
    yt_ids[mapped] = _youtube_ids(rng, len(mapped))
    write_csv_atomic(pd.DataFrame({"youtubeId": yt_ids, "movieId": movie_ids, "title": titles}).iloc[mapped],
                     paths["youtube_mapping"])
    write_csv_atomic(pd.DataFrame({"youtube_id": yt_ids, "movielens_id": movie_ids, "title": titles,
                                   "status_code": status}).iloc[mapped], paths["availability"])

    # Videos: the sagas, then random movies with a fine trailer, up to synth_n_videos.
    fine = np.flatnonzero((status == 200) & (defect == ""))
    sagas = fine[saga[fine] != ""]
    extra = max(0, cfg.synth_n_videos - len(sagas))
    videos = np.sort(np.concatenate([sagas[: cfg.synth_n_videos],
                                     rng.choice(fine[saga[fine] == ""], extra, replace=False)]))
    seconds = np.clip(rng.lognormal(np.log(140), 0.35, n), 30, 590).round(1)
    seconds[videos] = rng.uniform(*cfg.synth_trailer_seconds, len(videos)).round(1)
    seconds[defect == "too_long"] = rng.uniform(700, 7200, int((defect == "too_long").sum())).round(0)
    stems = [t.rsplit(" (", 1)[0] for t in titles]
    suffix = {"": " Official Trailer", "part": " Part 2 of 3", "full_movie": " Full Movie HD"}
    video_titles = [s + suffix.get(d, " Official Trailer") for s, d in zip(stems, defect)]
    views, likes, dislikes = youtube_counts(rng, item_bias, popularity)
    with_metadata = (status == 200) & (defect != "no_metadata")
    write_csv_atomic(metadata_table(yt_ids, views, likes, dislikes, seconds, seconds, defect == "3d", video_titles,
                                    movie_ids, titles, status)[with_metadata], paths["metadata"])

    fps = rng.choice([24, 25, 30], size=n, p=[0.2, 0.6, 0.2])
    codec = np.where(rng.random(n) < 0.8, "mp4v", "MJPG")
    paths["trailers"].mkdir(parents=True, exist_ok=True)
    render_videos(cfg, [video_spec(cfg, paths["trailers"] / f"{yt_ids[i]}{'.mp4' if codec[i] == 'mp4v' else '.avi'}",
                                   int(i), saga[i], int(fps[i]), float(seconds[i]), 0.0, str(codec[i]), genre_mat[i],
                                   item_bias[i]) for i in videos], progress)
    write_json_atomic(paths["truth"], {
        "franchise": {int(movie_ids[i]): saga[i] for i in np.flatnonzero(saga != "")},
        "video_movie_ids": movie_ids[videos].tolist(),
        "item_bias": dict(zip(movie_ids.tolist(), item_bias.round(4).tolist()))})
    finish_dataset(cfg, {"n_movies": n, "n_ratings": int(users.size), "ratings_shortfall": shortfall,
                         "n_videos": int(len(videos)), "n_trailers_mapped": int(len(mapped))})
    return paths
