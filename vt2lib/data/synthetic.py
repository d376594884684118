"""A synthetic dataset in exactly the ML20M / ML20M-YT file formats, with real video files.

    paths = generate_demo_dataset(cfg)      # idempotent: reuses a finished dataset

Written into `cfg.data_path`:
    movielens/movies.csv, movielens/ratings.csv   ML20M format
    ml-youtube.csv                                ML20M-YT format (youtubeId,movieId,title)
    youtube_availability.csv                      the authors' status format (HTTP status per id)
    youtube_extracted.csv                         the authors' YouTube-API export format
    trailers/<youtubeId>.mp4|.avi                 encoded videos (mp4v or MJPG; 24/25/30 fps)
    synthetic_truth.json                          what the generator planted (for the reader)

What carries signal, so every stage has something real to find:
- ratings = global mean + user bias + item bias + user.item factors + noise, quantised with
  ML20M's bias towards whole stars; item factors depend on genres (metadata carries signal);
- trailer pictures: background colours from the genres, a franchise emblem shared by all
  parts of a saga, a per-movie pattern (identity), brightness tied to the item bias;
- YouTube like/dislike ratio tied to the item bias (Table 3 has something to measure).
Every cleaning rule fires: unmapped movies, 404/403/401 ids, "Part N of M" and "Full Movie"
titles, > 10 min videos (metadata only), a 3D video, appended end screens, a truncated file,
an empty file, a trailer shorter than one sequence, users with < 5 ratings.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from vt2lib.config import GENRES, Profile
from vt2lib.data.synthetic_common import (
    FACTOR_DIM,
    ID_CHARS,
    REFERENCES,
    REGULAR_GENRES,
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
from vt2lib.io import write_csv_atomic, write_json_atomic


def _titles_and_genres(rng: np.random.Generator, n_movies: int):
    rows = franchise_rows()
    if n_movies < len(rows) + 10:
        raise ValueError(f"synth_n_movies must be >= {len(rows) + 10} to hold the franchises")
    genre_weights = np.linspace(2.0, 0.5, len(REGULAR_GENRES))
    genre_weights /= genre_weights.sum()
    used = {r[0] for r in rows}
    while len(rows) < n_movies:
        title = f"{' '.join(rng.choice(WORDS, size=rng.integers(1, 4), replace=False))} ({rng.integers(1950, 2015)})"
        if title in used:
            continue
        used.add(title)
        k = int(rng.integers(1, 4))
        gs = sorted(rng.choice(len(REGULAR_GENRES), size=k, replace=False, p=genre_weights))
        rows.append((title, "|".join(REGULAR_GENRES[g] for g in gs), ""))
    # Two movies without genres, as in ML20M (the genre head masks them).
    for j in (len(rows) - 1, len(rows) - 2):
        rows[j] = (rows[j][0], "(no genres listed)", "")
    return rows


def _youtube_ids(rng, n):
    ids, seen = [], set()  # a list keeps the order independent of string hashing (PYTHONHASHSEED)
    while len(ids) < n:
        y = "".join(rng.choice(list(ID_CHARS), size=11))
        if y not in seen:
            seen.add(y)
            ids.append(y)
    return ids


def _ratings(rng, cfg: Profile, item_factors, item_bias, popularity):
    n_users, n_movies = cfg.synth_n_users, len(item_bias)
    user_factors = rng.normal(0, 0.45, (n_users, FACTOR_DIM))
    user_bias = rng.normal(0, 0.35, n_users)
    activity = np.clip(rng.lognormal(np.log(cfg.synth_ratings_per_user), 0.7, n_users), 5, 0.7 * n_movies)
    activity[: max(3, n_users // 50)] = rng.integers(1, 5, max(3, n_users // 50))  # users with < 5 ratings
    p = popularity / popularity.sum()
    users, items = [], []
    for u in range(n_users):  # per user, not per rating: a few hundred draws
        chosen = rng.choice(n_movies, size=int(activity[u]), replace=False, p=p)
        users.append(np.full(chosen.size, u))
        items.append(chosen)
    users, items = np.concatenate(users), np.concatenate(items)
    raw = (3.6 + user_bias[users] + item_bias[items]
           + np.einsum("ij,ij->i", user_factors[users], item_factors[items])
           + rng.normal(0, 0.45, users.size))
    rating = quantise_ratings(rng, raw)
    timestamps = rng.integers(946_684_800, 1_420_070_400, users.size)
    return users, items, rating, timestamps


def generate_demo_dataset(cfg: Profile, progress: bool = True) -> dict[str, Path]:
    """Write (or reuse) the synthetic dataset for `cfg`; returns the paths of its files."""
    paths = dataset_paths(cfg.data_path)
    if start_dataset(cfg):
        return paths
    rng = np.random.default_rng(cfg.seed)  # one stream, drawn in this order: movies, ratings, defects, YouTube
    movies = _movies(rng, cfg)
    ratings = _rating_table(rng, cfg, movies)
    defects = _planted_defects(rng, movies)
    youtube = _youtube(rng, cfg, movies, defects)
    specs = _videos(cfg, paths["trailers"], movies, youtube, progress)
    broken = _break_files(specs, defects, youtube["yt_ids"])
    write_csv_atomic(movies["table"], paths["movies"])
    write_csv_atomic(ratings, paths["ratings"])
    for name in ("youtube_mapping", "availability", "metadata"):
        write_csv_atomic(youtube[name], paths[name])
    write_json_atomic(paths["truth"], _truth(movies, defects, youtube, broken))
    finish_dataset(cfg, {"n_movies": movies["n"], "n_ratings": int(len(ratings)), "n_videos": len(specs)})
    return paths


def _movies(rng: np.random.Generator, cfg: Profile) -> dict:
    """Titles, genres, scattered movieIds, and the latent factors, bias and popularity ratings follow."""
    rows = _titles_and_genres(rng, cfg.synth_n_movies)
    n = len(rows)
    order = rng.permutation(n)  # franchise movies get scattered movieIds, as in ML20M
    movie_ids = np.sort(rng.choice(np.arange(1, 20 * n), size=n, replace=False))[order]
    genre_mat = np.stack([multi_hot(r[1]) for r in rows])
    genre_factors = rng.normal(0, 0.5, (len(GENRES), FACTOR_DIM))
    item_factors = genre_mat @ genre_factors / np.sqrt(genre_mat.sum(1, keepdims=True)) \
        + rng.normal(0, 0.25, (n, FACTOR_DIM))
    item_bias = rng.normal(0, 0.35, n)
    popularity = rng.zipf(1.6, n).clip(1, 200).astype(float)
    table = pd.DataFrame({"movieId": movie_ids, "title": [r[0] for r in rows], "genres": [r[1] for r in rows]})
    return {"rows": rows, "n": n, "movie_ids": movie_ids, "genre_mat": genre_mat, "item_factors": item_factors,
            "item_bias": item_bias, "popularity": popularity, "table": table.sort_values("movieId")}


def _rating_table(rng: np.random.Generator, cfg: Profile, movies: dict) -> pd.DataFrame:
    users, items, rating, ts = _ratings(rng, cfg, movies["item_factors"], movies["item_bias"], movies["popularity"])
    return pd.DataFrame({"userId": users + 1, "movieId": movies["movie_ids"][items], "rating": rating,
                         "timestamp": ts}).sort_values(["userId", "movieId"])


def _planted_defects(rng: np.random.Generator, movies: dict) -> dict:
    """Which movies carry the real world's defects (never a franchise or reference movie)."""
    rows, n = movies["rows"], movies["n"]
    protected = np.array([bool(r[2]) or r[0].startswith(tuple(s for s, _, _ in REFERENCES)) for r in rows])
    free = np.flatnonzero(~protected)
    rng.shuffle(free)
    take = iter(free)

    def pick(k):
        return [next(take) for _ in range(k)]
    d = {"unmapped": set(pick(max(1, int(0.06 * n)))), "unavailable": pick(max(3, int(0.18 * n))),
         "part_titles": pick(max(1, n // 40)), "full_movie": pick(1), "too_long": pick(max(1, n // 40)),
         "three_d": pick(1), "empty_file": pick(1), "truncated": pick(1), "too_short": pick(1),
         "part_trailer": pick(1)}  # "Part 2 ... Trailer": must be kept
    d["end_screen"] = set(pick(max(1, n // 12))) | {i for i, r in enumerate(rows) if r[0].startswith("Wand Academy III")}
    d["zero_dislikes"] = pick(1)  # a zero-dislike trailer: the like/dislike ratio is infinite
    return d


def _video_titles(rows, d: dict) -> list[str]:
    titles = [f"{r[0].rsplit(' (', 1)[0]} Official Trailer" for r in rows]
    for key, form in (("part_titles", "{} Part 2 of 3"), ("full_movie", "{} Full Movie HD"),
                      ("part_trailer", "{} Part 2 - Official Trailer")):
        for i in d[key]:
            titles[i] = form.format(rows[i][0].rsplit(' (', 1)[0])
    return titles


def _youtube(rng: np.random.Generator, cfg: Profile, movies: dict, d: dict) -> dict:
    """ML20M-YT mapping, availability and YouTube metadata with the planted defects."""
    rows, n, movie_ids = movies["rows"], movies["n"], movies["movie_ids"]
    yt_ids = _youtube_ids(rng, n)
    status = np.full(n, 200)
    status[d["unavailable"]] = rng.choice([404, 403, 401], size=len(d["unavailable"]), p=[0.7, 0.15, 0.15])
    lo, hi = cfg.synth_trailer_seconds
    seconds = rng.uniform(lo, hi, n).round(1)
    seconds[d["too_long"]] = rng.uniform(700, 5400, len(d["too_long"])).round(0)
    seconds[d["too_short"]] = 3.0
    end_secs = np.array([5.0 if i in d["end_screen"] else 0.0 for i in range(n)])
    views, likes, dislikes = youtube_counts(rng, movies["item_bias"], movies["popularity"])
    dislikes[d["zero_dislikes"]] = 0
    fps = rng.choice([24, 25, 30], size=n, p=[0.2, 0.6, 0.2])
    codec = np.where(rng.random(n) < 0.8, "mp4v", "MJPG")
    mapped = np.array([i not in d["unmapped"] for i in range(n)])
    trailers = pd.DataFrame({"youtubeId": yt_ids, "movieId": movie_ids, "title": [r[0] for r in rows],
                             "status_code": status})[mapped].sort_values("movieId")
    ok = mapped & (status == 200)
    metadata = metadata_table(yt_ids, views, likes, dislikes, seconds, seconds + end_secs,
                              np.isin(np.arange(n), d["three_d"]), _video_titles(rows, d), movie_ids,
                              [r[0] for r in rows], status)[ok]
    return {"yt_ids": yt_ids, "ok": ok, "seconds": seconds, "end_secs": end_secs, "fps": fps, "codec": codec,
            "youtube_mapping": trailers[["youtubeId", "movieId", "title"]],
            "availability": trailers.rename(columns={"youtubeId": "youtube_id", "movieId": "movielens_id"}),
            "metadata": metadata, "downloadable": [i for i in np.flatnonzero(ok)
                                                   if i not in d["too_long"] and i not in d["three_d"]]}


def _videos(cfg: Profile, folder: Path, movies: dict, yt: dict, progress: bool) -> dict[str, dict]:
    """Render a video for every id a user could download (available, <= 10 min, 2D): youtube id -> spec."""
    folder.mkdir(parents=True, exist_ok=True)
    specs = {}
    for i in yt["downloadable"]:
        ext = ".mp4" if yt["codec"][i] == "mp4v" else ".avi"
        specs[yt["yt_ids"][i]] = video_spec(cfg, folder / f"{yt['yt_ids'][i]}{ext}", int(i), movies["rows"][i][2],
                                            int(yt["fps"][i]), float(yt["seconds"][i]), float(yt["end_secs"][i]),
                                            str(yt["codec"][i]), movies["genre_mat"][i], movies["item_bias"][i])
    render_videos(cfg, list(specs.values()), progress)
    return specs


def _break_files(specs: dict[str, dict], d: dict, yt_ids) -> dict[str, str]:
    """Empty one video file and cut another to a third: the loaders must report both."""
    broken = {}
    for key, why in (("empty_file", "empty file"), ("truncated", "truncated file")):
        for youtube_id in (yt_ids[i] for i in d[key]):
            f = Path(specs[youtube_id]["path"])
            data = f.read_bytes()
            f.write_bytes(b"" if key == "empty_file" else data[: len(data) // 3])
            broken[youtube_id] = why
    return broken


def _truth(movies: dict, d: dict, yt: dict, broken: dict) -> dict:
    rows, movie_ids, yt_ids = movies["rows"], movies["movie_ids"], yt["yt_ids"]
    return {"franchise": {int(movie_ids[i]): r[2] for i, r in enumerate(rows) if r[2]},
            "end_screen_youtube_ids": sorted(yt_ids[i] for i in d["end_screen"] if yt["ok"][i]),
            "broken_files": broken,
            "too_short_youtube_ids": [yt_ids[i] for i in d["too_short"]],
            "item_bias": {int(movie_ids[i]): float(movies["item_bias"][i]) for i in range(movies["n"])}}
