"""What both synthetic generators share: the sagas of the PCA figures, star quantisation, YouTube
counts and metadata format, video specs and rendering, and the dataset folder's resume logic.

>>> quantise_ratings(np.random.default_rng(0), np.array([3.26, 0.2, 7.0])).tolist()
[3.0, 1.0, 5.0]
>>> franchise_rows()[0]
('Wand Academy (2001)', 'Adventure|Children|Fantasy', 'Wand Academy')
"""
from __future__ import annotations

import hashlib
import json
import string
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from vt2lib.config import GENRES, Profile
from vt2lib.data.synthetic_video import frame_palette, render_trailer
from vt2lib.io import write_json_atomic

REGULAR_GENRES = GENRES[:-1]  # without "(no genres listed)"

# (title stem, number of parts, genres, first year); the PCA figures' groups (demo profile).
FRANCHISES = (
    ("Wand Academy", 7, "Adventure|Children|Fantasy", 2001),
    ("Ring Bearers", 3, "Action|Adventure|Fantasy", 2001),
    ("Galaxy Wars", 6, "Action|Adventure|Sci-Fi", 1977),
)
REFERENCES = (("Toy Town", "Adventure|Animation|Children|Comedy|Fantasy", 1995),
              ("Alone at Home", "Children|Comedy", 1990))
WORDS = ("Silent Harbor Midnight Express Broken Crown Iron Garden Distant Shore Last Winter Red "
         "River Glass City Hidden Storm Golden Hour Lost Signal Paper Moon Velvet Road Northern "
         "Light Wild Heart Stone Bridge Empty Room Burning Sky Second Chance Dark Water").split()
NUMERALS = ("", " II", " III", " IV", " V", " VI", " VII")
ID_CHARS = string.ascii_letters + string.digits + "-_"
FACTOR_DIM = 6


def dataset_key(cfg: Profile) -> str:
    fields = ("seed", "synth_n_movies", "synth_n_users", "synth_ratings_per_user",
              "synth_trailer_seconds", "synth_frame_size")
    values = [getattr(cfg, f) for f in fields]
    if cfg.synth_generator != "demo":  # (the demo's datasets keep their key)
        values += [cfg.synth_generator, cfg.synth_n_videos]
    return hashlib.sha256(json.dumps(values).encode()).hexdigest()[:16]


def franchise_rows() -> list[tuple[str, str, str]]:
    """(title, genres, franchise or "") of the PCA figures' sagas and reference movies."""
    rows = []
    for stem, parts, genres, year in FRANCHISES:
        for p in range(parts):
            rows.append((f"{stem}{NUMERALS[p]} ({year + 2 * p})", genres, stem))
    for stem, genres, year in REFERENCES:
        rows.append((f"{stem} ({year})", genres, ""))
    return rows


def multi_hot(genres: str) -> np.ndarray:
    v = np.zeros(len(GENRES), np.float32)
    for g in genres.split("|"):
        v[GENRES.index(g)] = 1.0
    return v


def quantise_ratings(rng, raw: np.ndarray) -> np.ndarray:
    """Stars in 0.5..5 from a continuous score, with ML20M's bias towards whole stars."""
    whole = rng.random(raw.size) < 0.7
    rating = np.where(whole, np.round(raw), np.round(raw * 2) / 2)
    rating = np.clip(rating, 0.5, 5.0)
    return np.where(rating < 1.0, np.where(whole, 1.0, rating), rating)


def youtube_counts(rng, item_bias: np.ndarray, popularity: np.ndarray):
    """(views, likes, dislikes) per trailer; the like share follows the item bias (Table 3's signal)."""
    n = len(item_bias)
    views = (rng.lognormal(11, 1.2, n) * popularity ** 0.5).astype(np.int64) + 50
    like_share = 1 / (1 + np.exp(-(2.8 + 1.5 * item_bias + rng.normal(0, 0.4, n))))
    reactions = views * rng.uniform(0.002, 0.01, n)
    return views, (reactions * like_share).astype(np.int64), (reactions * (1 - like_share)).astype(np.int64)


def metadata_table(yt_ids, views, likes, dislikes, seconds, video_seconds, three_d, video_titles, movie_ids,
                   titles, status) -> pd.DataFrame:
    """The authors' YouTube-API export format (youtube_extracted.csv), one row per trailer."""
    iso = [f"PT{int(s // 60)}M{int(s % 60)}S" for s in seconds]
    return pd.DataFrame({
        "id": yt_ids, "statistics.viewCount": views, "statistics.likeCount": likes,
        "statistics.dislikeCount": dislikes, "contentDetails.duration": iso,
        "contentDetails.dimension": np.where(three_d, "3d", "2d"), "snippet.localized.title": video_titles,
        "duration": np.round(video_seconds, 1), "custom.movielens_id": movie_ids, "custom.title": titles,
        "custom.status_code": status,
    })


def dataset_paths(root: Path) -> dict[str, Path]:
    return {
        "movies": root / "movielens" / "movies.csv",
        "ratings": root / "movielens" / "ratings.csv",
        "youtube_mapping": root / "ml-youtube.csv",
        "availability": root / "youtube_availability.csv",
        "metadata": root / "youtube_extracted.csv",
        "trailers": root / "trailers",
        "truth": root / "synthetic_truth.json",
    }


def start_dataset(cfg: Profile) -> bool:
    """True when the dataset of `cfg` is complete; else prepare its folder for (re)generation.

    Finished videos of an interrupted run are reused only if they came from the same settings."""
    root, key = cfg.data_path, dataset_key(cfg)
    manifest, marker = root / "manifest.json", root / ".generating"
    if manifest.is_file() and json.loads(manifest.read_text()).get("key") == key:
        return True
    if manifest.is_file() or (marker.is_file() and marker.read_text() != key):
        import shutil
        shutil.rmtree(root / "trailers", ignore_errors=True)
        manifest.unlink(missing_ok=True)
    root.mkdir(parents=True, exist_ok=True)
    marker.write_text(key)
    return False


def finish_dataset(cfg: Profile, summary: dict) -> None:
    root = cfg.data_path
    write_json_atomic(root / "manifest.json", {"key": dataset_key(cfg), **summary})
    (root / ".generating").unlink()


def video_spec(cfg: Profile, path: Path, index: int, franchise: str, fps: int, seconds: float,
               end_screen_seconds: float, fourcc: str, genres: np.ndarray, item_bias: float) -> dict:
    """What render_trailer needs for one movie's trailer (franchise "" = none)."""
    stems = [f[0] for f in FRANCHISES]
    franchise_seed = 10_000 + (stems.index(franchise) if franchise else 100 + index)
    return dict(path=str(path), seed=[cfg.seed, index], franchise_seed=[cfg.seed, franchise_seed],
                frame_size=cfg.synth_frame_size, fps=fps, seconds=seconds, end_screen_seconds=end_screen_seconds,
                fourcc=fourcc, palette=frame_palette(genres).tolist(),
                brightness=float(np.clip(0.8 + 0.25 * item_bias, 0.4, 1.2)))


def render_videos(cfg: Profile, specs: list[dict], progress: bool) -> None:
    """Encode the videos not yet on disk, in cfg.n_workers processes."""
    todo = [s for s in specs if not Path(s["path"]).is_file()]
    from vt2lib.progress import tqdm
    with ProcessPoolExecutor(max_workers=max(1, cfg.n_workers)) as pool:
        list(tqdm(pool.map(render_trailer, todo), total=len(todo), desc="synthetic trailers",
                  disable=not progress))


