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

The ratings are drawn by vt2lib.data.synthetic_ratings.

>>> _youtube_ids(np.random.default_rng(0), 2).shape
(2,)
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
    render_videos,
    start_dataset,
    video_spec,
    youtube_counts,
)
from vt2lib.data.synthetic_ratings import sample_user_items, star_ratings, user_activity, write_ratings_csv
from vt2lib.io import write_csv_atomic, write_json_atomic

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
POPULARITY_SIGMA, POPULARITY_TILT = 2.7, 0.15


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


def _youtube_ids(rng, n: int) -> np.ndarray:
    chars = np.array(list(ID_CHARS))
    ids = chars[rng.integers(0, len(chars), (n, 11))].view("<U11").ravel()
    if len(np.unique(ids)) != n:  # 64^11 ids: a collision means a broken generator, not bad luck
        raise RuntimeError("synthetic YouTube ids collide")
    return ids


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
    rng = np.random.default_rng(cfg.seed)  # one stream, drawn in this order: movies, ratings, trailers, videos
    movies = _catalogue(rng, cfg, paths["movies"])
    n_ratings, shortfall = _rating_file(rng, cfg, movies, paths["ratings"])
    trailers = _trailer_files(rng, movies, paths)
    videos = _video_files(rng, cfg, movies, trailers, paths, progress)
    m = movies["movie_ids"]
    write_json_atomic(paths["truth"], {
        "franchise": {int(m[i]): movies["saga"][i] for i in np.flatnonzero(movies["saga"] != "")},
        "video_movie_ids": m[videos].tolist(),
        "item_bias": dict(zip(m.tolist(), movies["item_bias"].round(4).tolist()))})
    finish_dataset(cfg, {"n_movies": movies["n"], "n_ratings": n_ratings, "ratings_shortfall": shortfall,
                         "n_videos": int(len(videos)), "n_trailers_mapped": int(len(trailers["mapped"]))})
    return paths


def _catalogue(rng: np.random.Generator, cfg: Profile, movies_csv) -> dict:
    """Movies (titles, genres, sagas, movieIds; movies.csv) and what ratings are drawn from."""
    n = cfg.synth_n_movies
    titles, genre_mat, saga = _movies(rng, n)
    movie_ids = np.sort(rng.choice(np.arange(1, max(131_263, 5 * n)), n, replace=False)).astype(np.int32)
    genre_factors = rng.normal(0, 0.5, (len(GENRES), FACTOR_DIM))
    item_factors = (genre_mat @ genre_factors / np.sqrt(genre_mat.sum(1, keepdims=True))
                    + rng.normal(0, 0.25, (n, FACTOR_DIM))).astype(np.float32)
    item_bias = rng.normal(0, 0.35, n)
    popularity = rng.lognormal(0, POPULARITY_SIGMA, n)
    popularity = np.minimum(popularity, np.quantile(popularity, 0.999))
    genre_names = np.array(GENRES, dtype=object)
    genres = ["|".join(genre_names[row > 0]) for row in genre_mat]
    write_csv_atomic(pd.DataFrame({"movieId": movie_ids, "title": titles, "genres": genres}), movies_csv)
    return {"n": n, "titles": titles, "genre_mat": genre_mat, "saga": saga, "movie_ids": movie_ids,
            "item_factors": item_factors, "item_bias": item_bias, "popularity": popularity}


def _rating_file(rng: np.random.Generator, cfg: Profile, movies: dict, ratings_csv) -> tuple[int, int]:
    """ratings.csv; returns (ratings written, the sampler's shortfall)."""
    activity = user_activity(rng, cfg.synth_n_users, cfg.synth_ratings_per_user, movies["n"])
    users, items, shortfall = sample_user_items(rng, activity, movies["popularity"])
    stars = star_ratings(rng, cfg.synth_n_users, users, items, movies["item_factors"], movies["item_bias"])
    timestamps = rng.integers(789_652_009, 1_427_784_002, users.size)
    write_ratings_csv(ratings_csv, users + 1, movies["movie_ids"][items], stars, timestamps)
    return int(users.size), shortfall


def _trailer_files(rng: np.random.Generator, movies: dict, paths: dict) -> dict:
    """The ML20M-YT mapping and the availability file, with the planted defects."""
    n, titles, movie_ids = movies["n"], movies["titles"], movies["movie_ids"]
    mapped, status, defect = _trailers(rng, n, movies["saga"], movies["popularity"])
    yt_ids = np.full(n, "", dtype=object)
    yt_ids[mapped] = _youtube_ids(rng, len(mapped))
    write_csv_atomic(pd.DataFrame({"youtubeId": yt_ids, "movieId": movie_ids, "title": titles}).iloc[mapped],
                     paths["youtube_mapping"])
    write_csv_atomic(pd.DataFrame({"youtube_id": yt_ids, "movielens_id": movie_ids, "title": titles,
                                   "status_code": status}).iloc[mapped], paths["availability"])
    return {"mapped": mapped, "status": status, "defect": defect, "yt_ids": yt_ids}


def _video_files(rng: np.random.Generator, cfg: Profile, movies: dict, tr: dict, paths: dict,
                 progress: bool) -> np.ndarray:
    """YouTube metadata for every trailer and real videos for the sagas, then random movies with
    a fine trailer, up to synth_n_videos; returns the movies (indices) with a video."""
    n, saga, titles, status, defect, yt_ids = (movies["n"], movies["saga"], movies["titles"], tr["status"],
                                               tr["defect"], tr["yt_ids"])
    fine = np.flatnonzero((status == 200) & (defect == ""))
    sagas = fine[saga[fine] != ""]
    extra = max(0, cfg.synth_n_videos - len(sagas))
    videos = np.sort(np.concatenate([sagas[: cfg.synth_n_videos],
                                     rng.choice(fine[saga[fine] == ""], extra, replace=False)]))
    seconds = np.clip(rng.lognormal(np.log(140), 0.35, n), 30, 590).round(1)
    seconds[videos] = rng.uniform(*cfg.synth_trailer_seconds, len(videos)).round(1)
    seconds[defect == "too_long"] = rng.uniform(700, 7200, int((defect == "too_long").sum())).round(0)
    suffix = {"": " Official Trailer", "part": " Part 2 of 3", "full_movie": " Full Movie HD"}
    video_titles = [t.rsplit(" (", 1)[0] + suffix.get(d, " Official Trailer") for t, d in zip(titles, defect)]
    views, likes, dislikes = youtube_counts(rng, movies["item_bias"], movies["popularity"])
    with_metadata = (status == 200) & (defect != "no_metadata")
    write_csv_atomic(metadata_table(yt_ids, views, likes, dislikes, seconds, seconds, defect == "3d", video_titles,
                                    movies["movie_ids"], titles, status)[with_metadata], paths["metadata"])
    fps = rng.choice([24, 25, 30], size=n, p=[0.2, 0.6, 0.2])
    codec = np.where(rng.random(n) < 0.8, "mp4v", "MJPG")
    paths["trailers"].mkdir(parents=True, exist_ok=True)
    render_videos(cfg, [video_spec(cfg, paths["trailers"] / f"{yt_ids[i]}{'.mp4' if codec[i] == 'mp4v' else '.avi'}",
                                   int(i), saga[i], int(fps[i]), float(seconds[i]), 0.0, str(codec[i]),
                                   movies["genre_mat"][i], movies["item_bias"][i]) for i in videos], progress)
    return videos
