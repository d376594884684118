"""The synthetic dataset, the real loaders on it, and every cleaning rule (paper 3.1)."""
import dataclasses
import hashlib

import numpy as np
import pandas as pd
import pytest

from vt2lib.config import GENRES
from vt2lib.data.cleaning import clean_dataset, is_not_a_trailer, rating_stats
from vt2lib.data.synthetic import generate_demo_dataset


@pytest.mark.parametrize("title,expected", [
    ("Heat Official Trailer", False),
    ("Heat Part 2 of 3", True),
    ("Heat part 4/5", True),
    ("Heat Part 2 - Official Trailer", False),
    ("Heat Part 1 TV Spot", False),
    ("Heat FULL MOVIE HD", True),
    ("Heat Full Movie Trailer", True),
    ("Apartment 143 Trailer", False),
])
def test_not_a_trailer_titles(title, expected):
    assert is_not_a_trailer(title) is expected


def test_synthetic_files_have_ml20m_formats(smoke_raw):
    r, m = smoke_raw.ratings, smoke_raw.movies
    assert list(r.columns) == ["userId", "movieId", "rating", "timestamp"]
    assert set(np.unique(r.rating)) <= set(np.arange(0.5, 5.01, 0.5))
    whole = np.isin(r.rating, np.arange(1, 6)).mean()
    assert whole > 0.6  # ML20M's bias towards whole stars
    assert m.title.str.match(r".+ \(\d{4}\)$").all()
    assert set("|".join(m.genres).split("|")) <= set(GENRES)
    assert list(smoke_raw.mapping.columns) == ["youtubeId", "movieId", "title"]
    assert {401, 403, 404} & set(smoke_raw.availability.status_code) and 200 in set(smoke_raw.availability.status_code)
    assert smoke_raw.metadata.dislikes.notna().all()


def test_synthetic_is_deterministic(smoke_cfg, tmp_path):
    other = dataclasses.replace(smoke_cfg, data_dir=str(tmp_path / "again"))
    a = generate_demo_dataset(smoke_cfg, progress=False)
    b = generate_demo_dataset(other, progress=False)
    for key in ("ratings", "movies", "youtube_mapping", "availability", "metadata"):
        assert hashlib.sha256(a[key].read_bytes()).digest() == hashlib.sha256(b[key].read_bytes()).digest(), key


def test_every_cleaning_rule_fires(smoke_raw, smoke_cfg):
    res = clean_dataset(smoke_raw, smoke_cfg)
    removed = res.log.set_index("step").movies_removed
    for step in ("movie not in ML20M-YT", "trailer unavailable (HTTP status != 200)", "video is not 2D",
                 "video longer than max_trailer_seconds", "title is not a trailer (part N / full movie)"):
        assert removed[step] >= 1, step
    assert res.log.set_index("step").users_removed.iloc[-1] >= 1  # users with < 5 ratings
    # the log adds up: what every step removed equals original minus filtered
    assert res.log.ratings_removed.sum() == len(smoke_raw.ratings) - len(res.ratings)
    assert res.ratings.groupby("userId").size().min() >= smoke_cfg.min_user_ratings
    kept = set(res.trailers.movieId[res.trailers.drop_reason == ""])
    assert set(res.ratings.movieId) <= kept
    assert res.counts["n_ratings_filtered"] == len(res.ratings)
    assert res.table2.loc["No. of Ratings", "ML20M-YT filtered"] == len(res.ratings)


def test_rating_stats():
    df = pd.DataFrame({"userId": [1, 1, 2], "movieId": [1, 2, 2], "rating": [1.0, 4.0, 4.0]})
    assert rating_stats(df) == {"movies": 2, "users": 2, "ratings": 3, "mean": 3.0, "median": 4.0}


def test_ratings_only_profile(smoke_raw, smoke_cfg):
    raw = dataclasses.replace(smoke_raw, mapping=None, availability=None, metadata=None)
    res = clean_dataset(raw, smoke_cfg)
    ran = res.log[res.log.status == "ran"]
    assert list(ran.step) == ["synthetic (demo) ratings as loaded", "users with < 5 ratings"]
    assert list(res.table2.columns) == ["synthetic (demo)", "filtered"]


def test_synthetic_is_deterministic_across_processes(tmp_path):
    """Same files whatever PYTHONHASHSEED (string hashing must not leak into the data)."""
    import os
    import subprocess
    import sys
    code = ("import hashlib; from vt2lib.profiles import load_profile; from vt2lib.data.synthetic import generate_demo_dataset;"
            "p = generate_demo_dataset(load_profile('smoke'), progress=False);"
            "print(''.join(hashlib.sha256(p[k].read_bytes()).hexdigest() for k in ('ratings', 'youtube_mapping', 'metadata')))")
    digests = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "VT2_OUTPUT_ROOT": str(tmp_path / seed)}
        digests.append(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                                      check=True).stdout.strip())
    assert digests[0] == digests[1]
