"""09's new-movie settings: a fit each, or one fit per fold shared by groups of the new movies (cold_shared_fit)."""
import dataclasses

import numpy as np
import pandas as pd
import pytest

from vt2lib.io import DataError
from vt2lib.rating.cold_settings import movie_settings, setting_predictions, setting_split, shared_setting_split
from vt2lib.rating.cold_start import item_disjoint_folds
from vt2lib.rating.evaluation import CVData

SETTINGS = [0, 1, 3, 5]


@pytest.fixture(scope="module")
def cold():
    """A skewed toy catalogue in 4 item-disjoint folds: 160 movies, a few with many ratings."""
    rng = np.random.default_rng(3)
    weights = 1 / np.arange(1, 161) ** 0.8
    movie = rng.choice(np.arange(1000, 1160), size=12_000, p=weights / weights.sum())
    rating = np.clip(np.round(2 * (3.5 + rng.normal(0, 0.6, 1160)[movie] + rng.normal(0, 0.8, len(movie)))) / 2, .5, 5)
    table = pd.DataFrame({"userId": rng.integers(0, 300, len(movie)), "movieId": movie, "rating": rating,
                          "fold": item_disjoint_folds(movie, 4, seed=5)})
    return CVData.from_folds(table)


def _movie_fold(data):
    fold = np.zeros(data.n_items, np.int64)
    fold[data.item] = data.table.fold.to_numpy()
    return fold


def test_each_fold_deals_its_movies_evenly_to_the_settings(cold):
    kept, fold = movie_settings(cold, SETTINGS, seed=1), _movie_fold(cold)
    count = np.bincount(cold.item, minlength=cold.n_items)
    assert np.array_equal(kept, movie_settings(cold, SETTINGS, seed=1))  # seeded
    assert not np.array_equal(kept, movie_settings(cold, SETTINGS, seed=2))
    for k in range(cold.n_folds):
        movies = [int(((kept == n) & (fold == k)).sum()) for n in SETTINGS]
        assert max(movies) - min(movies) <= 1
        # stratified by rating count: the biggest movies of a fold go one to each setting
        biggest = np.argsort(-np.where(fold == k, count, -1))[:len(SETTINGS)]
        assert sorted(kept[biggest]) == SETTINGS
        # dealt by count, block after block: the settings' rating counts differ by at most the biggest movie's
        ratings = [count[(kept == n) & (fold == k)].sum() for n in SETTINGS]
        assert max(ratings) - min(ratings) <= count[biggest].max()


def test_a_shared_fit_keeps_for_each_movie_what_its_settings_own_fit_keeps(cold):
    """Every rating in one part; a new movie dealt to n keeps exactly the rows setting n's own split keeps,
    and its test rows are that split's."""
    shared = SETTINGS[1:]  # the few-ratings settings share a fit; the fully cold one keeps its own
    kept = movie_settings(cold, shared, seed=0)[cold.item]
    fold = cold.table.fold.to_numpy()
    for k in range(cold.n_folds):
        train, test = shared_setting_split(cold, shared, seed=0)(k)
        expected = [np.flatnonzero(fold != k)]
        for n in shared:
            own_train, own_test = setting_split(cold, n, seed=0)(k)
            movies = kept == n
            assert np.array_equal(test[movies[test]], own_test[movies[own_test]])
            expected.append(np.setdiff1d(np.flatnonzero(movies & (fold == k)), own_test))
        assert np.array_equal(np.sort(np.concatenate([np.concatenate(expected), test])), np.arange(len(fold)))
        rows = cold.ratings(np.sort(np.concatenate(expected)))
        for field in ("user", "item", "rating"):
            np.testing.assert_array_equal(getattr(train, field), getattr(rows, field), err_msg=field)


def test_too_few_movies_for_the_settings_is_a_clear_error():
    table = pd.DataFrame({"userId": [1, 2, 3, 4], "movieId": [10, 20, 30, 40], "rating": 4.0,
                          "fold": np.array([0, 0, 1, 1], np.int8)})
    with pytest.raises(DataError, match=r"an item-disjoint fold has only 2 movie\(s\) for 4 few-ratings"):
        movie_settings(CVData.from_folds(table), SETTINGS, seed=0)


def test_the_shared_fit_gives_each_movie_its_own_settings_prediction(smoke_cfg, cold):
    """The fully cold setting keeps its own run (the same stored predictions in both designs). The item
    mean of a movie that keeps ratings depends on those alone: the same in both designs. The shared design
    stores one run for the few-ratings settings, and each setting's rows are its movies' test rows."""
    from vt2lib.rating import methods as M
    from vt2lib.store import Store
    cfg = dataclasses.replace(smoke_cfg, name="smoke_cold_settings", cold_start_folds=3)
    item_mean = M.get(cfg, "item_mean")
    own = setting_predictions(cfg, cold, item_mean, "item_mean", SETTINGS)
    shared = setting_predictions(dataclasses.replace(cfg, cold_shared_fit=True), cold, item_mean, "item_mean", SETTINGS)
    assert Store(cfg).current("predictions/cold_shared_item_mean") and list(shared) == SETTINGS
    pd.testing.assert_frame_equal(own[0], shared[0])
    for n in SETTINGS[1:]:
        assert set(shared[n].fold) == {0, 1, 2}  # cold_start_folds
        mine = own[n][own[n].movieId.isin(shared[n].movieId)].reset_index(drop=True)
        pd.testing.assert_frame_equal(mine.drop(columns="prediction"), shared[n].drop(columns="prediction"))
        np.testing.assert_array_equal(mine.prediction, shared[n].prediction)
    movies = [set(shared[n].movieId) for n in SETTINGS[1:]]
    assert sum(map(len, movies)) == len(set().union(*movies))  # each new movie in one of them
    assert set().union(*movies) <= set(shared[0].movieId)


def test_a_run_with_a_shared_fit_says_its_settings_have_their_own_movies(smoke_cfg, cold, capsys):
    """The table's and figure's labels mark the shared settings; shared_fit_groups counts each one's scored
    movies, gives the user mean's range across them, and flags groups too thin to compare (this toy: ~13)."""
    from vt2lib.rating.cold_settings import THIN_GROUP, setting_label, shared_fit_groups
    cfg = dataclasses.replace(smoke_cfg, cold_n_ratings=(1, 3, 5), cold_start_folds=2)
    shared = dataclasses.replace(cfg, cold_shared_fit=True)
    assert [setting_label(cfg, s) for s in (0, 1, "warm")] == ["0 ratings", "1 ratings", "warm"]
    assert [setting_label(shared, s) for s in (0, 1, "warm")] == ["0 ratings", "1 ratings (own movies)", "warm"]
    assert shared_fit_groups(cfg, cold, {}) is None and not capsys.readouterr().out
    user_mean = {n: pd.DataFrame({"rmse": [0.9 + n / 100, 0.9 + n / 100]}) for n in SETTINGS}
    table = shared_fit_groups(shared, cold, user_mean)
    kept, count = movie_settings(cold, [1, 3, 5], shared.seed), np.bincount(cold.item)
    fold = _movie_fold(cold)
    scored = [np.mean([((kept == n) & (count > n) & (fold == k)).sum() for k in range(2)]) for n in (1, 3, 5)]
    assert table["new movies scored per fold"].tolist() == scored and max(scored) < THIN_GROUP
    assert table["user mean's median RMSE"].tolist() == pytest.approx([0.91, 0.93, 0.95])
    note = capsys.readouterr().out
    assert "differs by 0.0400 across them" in note and "too few to compare these settings" in note
    assert shared_fit_groups(dataclasses.replace(shared, cold_n_ratings=(1,)), cold, user_mean) is None
    assert "cold_shared_fit changes nothing here: 1 few-ratings setting(s)" in capsys.readouterr().out
