"""The scale profile's generator on a reduced size (the same code path as ML20M's size) and the
profile's validation; the full-size run is `./run_all.sh scale` (tests/benchmarks/RESULTS.md)."""
import dataclasses
import json

import cv2
import numpy as np
import pandas as pd
import pytest

from vt2lib.profiles import load_profile
from vt2lib.data import cleaning
from vt2lib.data.synthetic_ratings import sample_user_items
from vt2lib.data.synthetic_scale import STATUS_COUNTS, generate_scale_dataset


@pytest.fixture(scope="module")
def small_scale(_output_root):
    from vt2lib.data.raw import load_raw_data
    cfg = dataclasses.replace(load_profile("scale"), name="scale_small", synth_n_movies=3000, synth_n_users=1500,
                              synth_ratings_per_user=60.0, synth_n_videos=24, n_workers=1)
    return cfg, load_raw_data(cfg)


def test_the_scale_profile_is_ml20m_sized():
    cfg = load_profile("scale")
    assert (cfg.synth_n_movies, cfg.synth_n_users, cfg.synth_generator) == (27278, 138493, "scale")
    assert abs(cfg.synth_n_users * cfg.synth_ratings_per_user - 20_000_263) < 0.01 * 20_000_263
    assert cfg.keep_movies_without_trailer and cfg.evaluate_folds < cfg.n_folds == 10


@pytest.mark.parametrize("field, value, message", [
    ("synth_generator", "huge", "synth_generator = 'huge'; allowed: one of 'demo', 'scale'"),
    ("evaluate_folds", 11, r"evaluate_folds = 11; allowed: 1\.\.n_folds \(10\) or none"),
    ("evaluate_folds", 0, "evaluate_folds = 0; allowed: integers >= 1 or none"),
    ("n_folds", 1, "n_folds = 1; allowed: integers >= 2"),
    ("synth_n_videos", -1, "synth_n_videos = -1; allowed: integers >= 0"),
    ("train_workers", 0, "train_workers = 0; allowed: integers >= 1"),
])
def test_profile_validation_names_the_field(field, value, message):
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(load_profile("scale"), **{field: value})


def test_profile_file_with_a_bad_evaluate_folds_fails_on_load(tmp_path):
    f = tmp_path / "p.toml"
    f.write_text('base = "scale"\nevaluate_folds = 12\n')
    with pytest.raises(ValueError, match="evaluate_folds"):
        load_profile(f)


def test_sampled_user_items_are_distinct_sorted_and_never_exceed_the_activity():
    rng = np.random.default_rng(0)
    activity = np.array([3, 50, 1, 7])
    users, items, shortfall = sample_user_items(rng, activity, rng.lognormal(0, 2.7, 60))
    keys = users.astype(np.int64) * 60 + items
    assert (np.diff(keys) > 0).all()  # distinct, sorted by user then item
    got = np.bincount(users, minlength=4)
    assert (got <= activity).all() and shortfall == int((activity - got).sum())
    users, _, shortfall = sample_user_items(rng, activity, np.ones(1000))  # plenty of items: nothing missing
    assert shortfall == 0 and np.bincount(users).tolist() == activity.tolist()


def test_reduced_scale_dataset_has_ml20m_formats_sizes_and_skew(small_scale):
    cfg, raw = small_scale
    manifest = json.loads((cfg.data_path / "manifest.json").read_text())
    assert manifest["n_ratings"] == len(raw.ratings)
    assert manifest["n_ratings"] + manifest["ratings_shortfall"] == pytest.approx(1500 * 60, rel=0.02)
    first = (cfg.data_path / "movielens" / "ratings.csv").read_text().splitlines()[:2]
    stars = {f"{k / 2:.1f}" for k in range(1, 11)}
    assert first[0] == "userId,movieId,rating,timestamp" and first[1].split(",")[2] in stars
    per_user = raw.ratings.groupby("userId").size()
    assert per_user.index.nunique() == 1500 and per_user.median() < per_user.mean()  # right-skewed activity
    per_movie = raw.ratings.groupby("movieId").size()
    assert per_movie.max() > 20 * per_movie.median()  # a long-tailed popularity
    assert len(raw.mapping) == round(3000 * 25623 / 27278)
    shares = raw.availability.status_code.value_counts(normalize=True)
    assert shares[200] == pytest.approx(STATUS_COUNTS[200] / sum(STATUS_COUNTS.values()), abs=0.01)
    assert shares[404] == pytest.approx(STATUS_COUNTS[404] / sum(STATUS_COUNTS.values()), abs=0.01)
    genres = raw.movies.genres.str.split("|").explode().value_counts()
    assert genres.index[0] == "Drama" and genres.index[1] == "Comedy"  # ML20M's genre frequencies
    assert raw.movies.title.str.match(r"^Galaxy Wars").sum() == 6  # the PCA figures' sagas are there


def test_reduced_scale_dataset_fires_every_cleaning_rule_and_renders_only_its_videos(small_scale):
    cfg, raw = small_scale
    result = cleaning.clean_dataset(raw, cfg)
    removed = result.log.set_index("step").movies_removed
    for step in ("movie not in ML20M-YT", "trailer unavailable (HTTP status != 200)", "no YouTube metadata",
                 "video longer than max_trailer_seconds", "title is not a trailer (part N / full movie)"):
        assert removed[step] > 0, step
    videos = sorted(raw.trailer_dir.iterdir())
    assert len(videos) == cfg.synth_n_videos
    kept = set(result.trailers.query("drop_reason == ''").youtube_id)
    assert {v.stem for v in videos} <= kept  # every video belongs to a movie the cleaning keeps
    cap = cv2.VideoCapture(str(videos[0]))
    assert cap.isOpened() and cap.read()[0]


def test_movies_without_a_video_keep_their_ratings_when_the_profile_says_so(small_scale):
    cfg, raw = small_scale
    result = cleaning.clean_dataset(raw, cfg)
    status = pd.DataFrame({"movieId": result.movies.movieId, "youtube_id": "x", "status": "missing_file"})
    status.loc[status.index[:5], "status"] = "ok"
    kept, log = cleaning.apply_trailer_feedback(result.ratings, status, cfg)
    assert len(kept) == len(result.ratings)
    assert log.movies_kept_without_trailer.iloc[0] == len(status) - 5
    dropped, log = cleaning.apply_trailer_feedback(result.ratings, status,
                                                   dataclasses.replace(cfg, keep_movies_without_trailer=False))
    assert set(dropped.movieId) <= set(status.movieId[:5]) and log.movies_removed.iloc[0] == len(status) - 5


def test_keeping_movies_without_a_trailer_changes_the_evaluation_ratings_key():
    from vt2lib.store import SPECS
    fields = SPECS["evaluation_ratings"].fields
    assert fields(load_profile("scale"), "") != fields(load_profile("demo"), "")
    assert fields(load_profile("scale"), "")["keep_movies_without_trailer"] is True


def test_the_scale_generator_is_deterministic(small_scale, tmp_path):
    cfg, _ = small_scale
    again = dataclasses.replace(cfg, data_dir=str(tmp_path / "again"), synth_n_videos=0)
    paths = generate_scale_dataset(again, progress=False)
    for name in ("ratings", "movies", "youtube_mapping", "availability"):
        assert paths[name].read_bytes() == (cfg.data_path / paths[name].relative_to(again.data_path)).read_bytes(), name
