"""The raw inputs of a profile, from whichever source it names.

    raw = load_raw_data(cfg)   # ratings, movies, ML20M-YT mapping, availability, metadata, trailer folder

Sources: the synthetic generator (smoke/demo), a MovieLens folder in ML20M format
(`movielens_dir`, or ML20M downloaded from GroupLens when `download_ml20m`), YouTube
status/metadata files, and for ids the files lack the YouTube Data API (a key in
$YOUTUBE_API_KEY: minutes) or else oEmbed and yt-dlp (days at ML20M: vt2lib.data.youtube_api).
With `trailer_source = "none"`, a given `youtube_mapping` (and status and metadata files) is still read, so that
cleaning keeps the paper's movie set.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from vt2lib.config import Profile, movielens_folder, trailer_dir
from vt2lib.data.download import ensure_ml20m, ensure_ml20m_youtube
from vt2lib.data.synthetic import generate_demo_dataset
from vt2lib.data.synthetic_scale import generate_scale_dataset
from vt2lib.data.youtube import check_availability, fetch_metadata_ytdlp, load_trailer_metadata
from vt2lib.data.youtube_api import api_availability, api_key, fetch_metadata_api
from vt2lib.io import DataError, load_availability, load_movies, load_ratings, load_youtube_mapping


@dataclass
class RawData:
    ratings: pd.DataFrame
    movies: pd.DataFrame
    mapping: pd.DataFrame | None           # ML20M-YT; None when the profile has no trailers
    availability: pd.DataFrame | None      # youtube_id, movielens_id, title, status_code
    metadata: pd.DataFrame | None          # youtube.METADATA_COLUMNS
    trailer_dir: Path | None
    files: dict[str, Path] = field(default_factory=dict)  # every input file, for provenance


def _movielens_folder(cfg: Profile) -> Path:
    """config.movielens_folder, downloaded first where it is ML20M's default folder."""
    if cfg.movielens_dir:
        return movielens_folder(cfg)
    if cfg.download_ml20m:
        return ensure_ml20m(cfg.data_path)
    raise DataError(f"profile {cfg.name!r}: ratings_source='movielens' needs movielens_dir or download_ml20m")


def load_raw_data(cfg: Profile) -> RawData:
    if cfg.ratings_source == "synthetic" or cfg.trailer_source == "synthetic":
        synth = (generate_scale_dataset if cfg.synth_generator == "scale" else generate_demo_dataset)(cfg)
    if cfg.ratings_source == "synthetic":
        files = {"ratings": synth["ratings"], "movies": synth["movies"]}
    elif cfg.ratings_source == "movielens":
        folder = _movielens_folder(cfg)
        files = {"ratings": folder / "ratings.csv", "movies": folder / "movies.csv"}
    else:
        raise ValueError(f"unknown ratings_source {cfg.ratings_source!r}; valid: synthetic, movielens")
    ratings, movies = load_ratings(files["ratings"]), load_movies(files["movies"])

    mapping = availability = metadata = videos = None
    if cfg.trailer_source == "synthetic":
        files.update(youtube_mapping=synth["youtube_mapping"], availability=synth["availability"],
                     metadata=synth["metadata"])
        videos = synth["trailers"]
    elif cfg.trailer_source == "youtube" or cfg.youtube_mapping:
        # without trailers too: a mapping (+ status, metadata) gives the paper's movie set (cleaning)
        files["youtube_mapping"] = Path(cfg.youtube_mapping) if cfg.youtube_mapping else (
            ensure_ml20m_youtube(cfg.data_path) if cfg.download_ml20m else cfg.data_path / "ml-youtube.csv")
        if cfg.availability_file:
            files["availability"] = Path(cfg.availability_file)
        if cfg.metadata_file:
            files["metadata"] = Path(cfg.metadata_file)
        videos = trailer_dir(cfg) if cfg.trailer_source == "youtube" else None

    if "youtube_mapping" in files:
        mapping = load_youtube_mapping(files["youtube_mapping"])
        if "availability" in files:
            availability = load_availability(files["availability"])
        if cfg.check_availability:
            cache = cfg.data_path / "youtube_availability.csv"
            known = availability if availability is not None else pd.DataFrame(columns=["youtube_id"])
            missing = mapping[~mapping.youtubeId.isin(known.youtube_id)]
            if len(missing):
                key = api_key()
                checked = api_availability(missing, cache, key) if key else check_availability(missing, cache)
                availability = pd.concat([known, checked]).drop_duplicates(["youtube_id", "movielens_id"])
                files["availability_checked"] = cache
        if "metadata" in files:
            metadata = load_trailer_metadata(files["metadata"])
        elif cfg.trailer_source == "youtube" and availability is not None:
            ok = availability.youtube_id[availability.status_code == 200]
            files["metadata"] = cfg.data_path / "trailer_metadata.csv"
            key, path = api_key(), files["metadata"]
            metadata = fetch_metadata_api(ok, path, key) if key else fetch_metadata_ytdlp(ok, path)
    return RawData(ratings, movies, mapping, availability, metadata, videos, files)
