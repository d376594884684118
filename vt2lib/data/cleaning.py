"""Dataset cleaning of paper section 3.1: which movies keep a usable trailer, which ratings stay.

    result = clean_dataset(raw, cfg)
    result.log       # one row per filter step: what it removed, what is left, or why it was skipped
    result.table2    # paper Table 2 (the source as loaded / ML20M-YT original / filtered)
    result.table2_paper_columns  # which published column each of ours stands beside
    result.trailers  # one row per mapped movie: status, metadata, drop_reason ("" = kept)

>>> is_not_a_trailer("Movie X - Part 2 of 9"), is_not_a_trailer("Movie X Official Trailer #2")
(True, False)

Each movie gets the first reason that applies, in the paper's order; every step counts
the movies, users and ratings it removes, so nothing disappears silently. A step whose input
is missing (no ML20M-YT mapping, no availability file, no metadata) is logged as skipped,
with n/a counts, never as a step that removed nothing. The trailer filters run whenever a
mapping is given, also without trailers (`trailer_source = "none"`): the paper's movie set
for the rating-only analyses.
"""
from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from vt2lib.config import Profile
from vt2lib.data.raw import RawData

# "Part 2 of 3", "part 4/5", "Pt. 2" ... are clips of a movie unless they say trailer or TV spot;
# "full movie" is never a trailer.
_PART = re.compile(r"\b(part|pt\.?)\s*\d+", re.IGNORECASE)
_TRAILERISH = re.compile(r"trailer|tv\s*spot", re.IGNORECASE)
_FULL_MOVIE = re.compile(r"full\s*movie", re.IGNORECASE)


def is_not_a_trailer(video_title: str) -> bool:
    """True for titles that are obviously not trailers (paper 3.1.1)."""
    t = str(video_title)
    return bool(_FULL_MOVIE.search(t)) or (bool(_PART.search(t)) and not _TRAILERISH.search(t))


def rating_stats(ratings: pd.DataFrame) -> dict[str, float]:
    r = ratings["rating"].to_numpy(dtype=np.float64)
    return {"movies": int(ratings.movieId.nunique()), "users": int(ratings.userId.nunique()),
            "ratings": int(len(ratings)), "mean": float(r.mean()) if len(r) else np.nan,
            "median": float(np.median(r)) if len(r) else np.nan}


@dataclass
class CleanResult:
    ratings: pd.DataFrame
    movies: pd.DataFrame
    trailers: pd.DataFrame
    log: pd.DataFrame
    table2: pd.DataFrame
    counts: dict[str, float | None]
    table2_paper_columns: dict[str, str]   # our Table 2 column -> the published column it reproduces


# (reason code, description in the cleaning log), in the order they are applied.
MOVIE_STEPS = (
    ("not_in_ml20m_yt", "movie not in ML20M-YT"),
    ("status_unknown", "trailer availability unknown"),
    ("unavailable", "trailer unavailable (HTTP status != 200)"),
    ("no_metadata", "no YouTube metadata"),
    ("not_2d", "video is not 2D"),
    ("too_long", "video longer than max_trailer_seconds"),
    ("not_a_trailer", "title is not a trailer (part N / full movie)"),
)
# the input each step reads, beyond the mapping
STEP_INPUT = {"status_unknown": "availability", "unavailable": "availability", "no_metadata": "metadata",
              "not_2d": "metadata", "too_long": "metadata", "not_a_trailer": "metadata"}


def _missing_input(raw: RawData, code: str) -> str | None:
    """What a movie step lacks to run ("ML20M-YT mapping", "availability file", ...), or None."""
    if raw.mapping is None:
        return "ML20M-YT mapping"
    need = STEP_INPUT.get(code)
    return f"{need} file" if need and getattr(raw, need) is None else None


def trailer_table(raw: RawData, cfg: Profile) -> pd.DataFrame:
    """One row per movie of movies.csv with its trailer's status, metadata and drop reason."""
    t = raw.movies[["movieId", "title"]].copy()
    t["drop_reason"] = ""
    if raw.mapping is None:
        return t
    t = t.merge(raw.mapping[["movieId", "youtubeId"]].rename(columns={"youtubeId": "youtube_id"}),
                on="movieId", how="left")
    if raw.availability is not None:
        status = raw.availability[["movielens_id", "status_code"]].drop_duplicates("movielens_id")
        t = t.merge(status.rename(columns={"movielens_id": "movieId"}), on="movieId", how="left")
    else:
        t["status_code"] = np.nan
    if raw.metadata is not None:
        t = t.merge(raw.metadata, on="youtube_id", how="left")
    reason = pd.Series("", index=t.index, dtype=object)

    def mark(mask, code):
        reason[(reason == "") & np.asarray(mask, bool)] = code

    mark(t.youtube_id.isna(), "not_in_ml20m_yt")
    if raw.availability is not None:
        mark(t.status_code.isna(), "status_unknown")
        mark(t.status_code != 200, "unavailable")
    if raw.metadata is not None:
        mark(t.duration_s.isna(), "no_metadata")
        mark(t.dimension.fillna("").str.lower() == "3d", "not_2d")
        mark(t.duration_s > cfg.max_trailer_seconds, "too_long")
        mark(t.video_title.fillna("").map(is_not_a_trailer), "not_a_trailer")
    t["drop_reason"] = reason.to_numpy()
    return t


def _log_row(step, before: dict, after: dict) -> dict:
    return {"step": step,
            "movies_removed": before["movies"] - after["movies"],
            "users_removed": before["users"] - after["users"],
            "ratings_removed": before["ratings"] - after["ratings"],
            "movies_left": after["movies"], "users_left": after["users"], "ratings_left": after["ratings"],
            "status": "ran"}


def _skipped_row(step: str, missing: str) -> dict:
    return {"step": step, "status": f"skipped: no {missing}"}  # its counts stay n/a (NaN), not 0


def drop_movies(ratings: pd.DataFrame, movie_ids, log: list, step: str) -> pd.DataFrame:
    """Remove the ratings of `movie_ids` and log what that removed."""
    before = rating_stats(ratings)
    kept = ratings[~ratings.movieId.isin(np.asarray(list(movie_ids)))]
    log.append(_log_row(step, before, rating_stats(kept)))
    return kept


def drop_sparse_users(ratings: pd.DataFrame, min_ratings: int, log: list) -> pd.DataFrame:
    before = rating_stats(ratings)
    counts = ratings.groupby("userId").size()
    kept = ratings[ratings.userId.isin(counts.index[counts >= min_ratings])]
    log.append(_log_row(f"users with < {min_ratings} ratings", before, rating_stats(kept)))
    return kept


def source_label(cfg: Profile, raw: RawData) -> str:
    """Table 2's name for the ratings as loaded: ML20M, the MovieLens folder's name, or synthetic."""
    if cfg.ratings_source == "synthetic":
        return f"synthetic ({cfg.synth_generator})"
    folder = Path(raw.files["ratings"]).parent.name if "ratings" in raw.files else "MovieLens"
    return "ML20M" if folder == "ml-20m" else folder


def clean_dataset(raw: RawData, cfg: Profile) -> CleanResult:
    trailers = trailer_table(raw, cfg)
    ratings = raw.ratings
    original = rating_stats(ratings)
    source = source_label(cfg, raw)
    log = [_log_row(f"{source} ratings as loaded", original, original)]
    mapped_stats = None
    skipped = []
    for code, description in MOVIE_STEPS:
        missing = _missing_input(raw, code)
        if missing:
            log.append(_skipped_row(description, missing))
            skipped.append(f"{description} (no {missing})")
            continue
        ids = trailers.movieId[trailers.drop_reason == code]
        ratings = drop_movies(ratings, ids, log, description)
        if code == "not_in_ml20m_yt":
            mapped_stats = rating_stats(ratings)
    ratings = drop_sparse_users(ratings, cfg.min_user_ratings, log)
    filtered = rating_stats(ratings)
    log = pd.DataFrame(log)
    if skipped and cfg.trailer_source == "youtube":  # 02 would fetch what these steps drop
        warnings.warn(f"profile {cfg.name!r}: {len(skipped)} trailer filter(s) skipped: {'; '.join(skipped)}. 02 then "
                      "fetches every trailer they would drop; give availability_file / metadata_file, or "
                      "check_availability = true", stacklevel=2)

    columns = {source: original}
    paper = {source: "ML20M"}
    if mapped_stats is not None:
        columns["ML20M-YT original"] = mapped_stats
        paper["ML20M-YT original"] = "ML20M-YT original"
    filtered_name = "ML20M-YT filtered" if raw.mapping is not None else "filtered"
    columns[filtered_name] = filtered
    paper[filtered_name] = "ML20M-YT filtered"
    table2 = pd.DataFrame(columns).rename(index={
        "movies": "No. of Movies", "users": "No. of Users", "ratings": "No. of Ratings",
        "mean": "Mean Rating", "median": "Median Rating"})

    kept_movies = raw.movies[raw.movies.movieId.isin(ratings.movieId.unique())].reset_index(drop=True)
    counts = {
        "n_movies_ml20m": original["movies"], "n_users_ml20m": original["users"],
        "n_ratings_ml20m": original["ratings"],
        "n_movies_mapped": mapped_stats["movies"] if mapped_stats else original["movies"],
        "n_trailers_mapped": int(len(raw.mapping)) if raw.mapping is not None else None,
        "n_trailers_unavailable": _count_unavailable(raw),
        "n_movies_filtered": filtered["movies"], "n_users_filtered": filtered["users"],
        "n_ratings_filtered": filtered["ratings"], "mean_rating_filtered": filtered["mean"],
        "median_rating_filtered": filtered["median"],
    }
    return CleanResult(ratings.reset_index(drop=True), kept_movies, trailers, log, table2, counts, paper)


def _count_unavailable(raw: RawData) -> int | None:
    """Trailers of ML20M-YT (rows of the mapping) whose status is not 200 (paper: 6,511 of 25,623);
    None (n/a) without a mapping or an availability file."""
    if raw.mapping is None or raw.availability is None:
        return None
    status = raw.mapping.merge(raw.availability, left_on=["youtubeId", "movieId"],
                               right_on=["youtube_id", "movielens_id"], how="left").status_code
    return int((status != 200).sum())


def apply_trailer_feedback(ratings: pd.DataFrame, keyframe_status: pd.DataFrame, cfg: Profile):
    """Drop the movies whose trailer gave no usable keyframes (download or decoding failed),
    then users left with < min ratings; returns (ratings, log rows) like clean_dataset.

    With `keep_movies_without_trailer` (the scale rehearsal: few real videos) those movies stay,
    without a trailer vector, and the log counts them in a row that removes nothing."""
    log: list = []
    failed = keyframe_status.movieId[keyframe_status.status != "ok"]
    if cfg.keep_movies_without_trailer:
        stats = rating_stats(ratings)
        row = _log_row("trailer unusable: movie kept without a trailer vector", stats, stats)
        kept = ratings.movieId.isin(np.asarray(failed))
        log.append(row | {"movies_kept_without_trailer": int(ratings.movieId[kept].nunique()),
                          "ratings_kept_without_trailer": int(kept.sum())})
    else:
        ratings = drop_movies(ratings, failed, log, "trailer unusable (download/keyframes failed)")
    ratings = drop_sparse_users(ratings, cfg.min_user_ratings, log)
    return ratings.reset_index(drop=True), pd.DataFrame(log)


# ------------------------------------------------------------------ persistence for later notebooks
CLEAN_TABLES = ("ratings", "movies", "trailers", "cleaning_log")


def save_clean(cfg: Profile, result: CleanResult) -> str:
    """Store 01's cleaned dataset (artifact `clean`); returns "computed", or "reused" when current."""
    from vt2lib.store import Store
    return Store(cfg).save_tables("clean", {
        "ratings": result.ratings, "movies": result.movies.astype({"title": str, "genres": str}),
        "trailers": result.trailers, "cleaning_log": result.log})


def load_clean(cfg: Profile) -> dict[str, pd.DataFrame]:
    """The cleaned dataset of notebook 01, as DataFrames (DataError if missing or stale)."""
    from vt2lib.store import Store
    store = Store(cfg)
    return {t: store.load_table("clean", t) for t in CLEAN_TABLES}


def save_evaluation_ratings(cfg: Profile, ratings: pd.DataFrame) -> str:
    from vt2lib.store import Store
    return Store(cfg).save_tables("evaluation_ratings", {"ratings": ratings})


def load_evaluation_ratings(cfg: Profile) -> pd.DataFrame:
    """The ratings every evaluation uses: 01's cleaned ratings minus 02's unusable trailers
    (a profile without trailers: 01's cleaned ratings)."""
    from vt2lib.store import Store
    if cfg.trailer_source == "none":
        return load_clean(cfg)["ratings"]
    return Store(cfg).load_table("evaluation_ratings", "ratings")
