"""Cold-start splits and FM side features (notebook 09)."""
import numpy as np
import pytest

from vt2lib.rating.cold_start import few_ratings_split, item_disjoint_folds, side_features


@pytest.fixture
def movie_per_rating():
    rng = np.random.default_rng(0)
    return rng.choice(np.arange(100, 160), size=2000, p=np.linspace(2, 0.2, 60) / np.linspace(2, 0.2, 60).sum())


def test_item_disjoint_folds_are_disjoint_and_cover_everything(movie_per_rating):
    fold = item_disjoint_folds(movie_per_rating, 5, seed=42)
    assert len(fold) == len(movie_per_rating) and set(fold) == set(range(5))
    for m in np.unique(movie_per_rating):
        assert len(set(fold[movie_per_rating == m])) == 1  # a movie never spans two folds
    sizes = np.bincount(fold)
    assert sizes.max() < 1.5 * sizes.min()  # balanced by ratings
    assert np.array_equal(fold, item_disjoint_folds(movie_per_rating, 5, seed=42))


@pytest.mark.parametrize("n_keep", [0, 1, 3, 5])
def test_few_ratings_split_keeps_every_rating_once(movie_per_rating, n_keep):
    fold = item_disjoint_folds(movie_per_rating, 5, seed=1)
    train, test = few_ratings_split(movie_per_rating, fold, 2, n_keep, seed=7)
    assert np.array_equal(np.sort(np.concatenate([train, test])), np.arange(len(movie_per_rating)))
    assert not set(train) & set(test)
    test_movies = np.unique(movie_per_rating[fold == 2])
    in_train = movie_per_rating[train]
    for m in test_movies:
        total = int((movie_per_rating == m).sum())
        assert int((in_train == m).sum()) == min(n_keep, total)
    assert set(movie_per_rating[test]) <= set(test_movies)


def test_side_feature_rows_follow_movie_ids():
    item_movie_ids = np.array([10, 20, 30, 40])
    ids = np.array([30, 10, 40])
    X = np.array([[1.0, 0], [0, 1.0], [1.0, 1.0]])
    s = side_features(item_movie_ids, {"genres": (ids, X)})
    dense = s.matrix.toarray()
    assert dense.tolist() == [[0, 1], [0, 0], [1, 0], [1, 1]]  # movie 20 has no vector
    perm = np.array([2, 0, 1])  # the same pairs in another order: same matrix
    assert np.array_equal(side_features(item_movie_ids, {"genres": (ids[perm], X[perm])}).matrix.toarray(), dense)
    shuffled = side_features(item_movie_ids, {"genres": (ids[perm], X)}).matrix.toarray()
    assert not np.array_equal(shuffled, dense)  # ids shuffled against their vectors: rows move with the ids
    with pytest.raises(ValueError, match="2 ids for 3 vectors"):
        side_features(item_movie_ids, {"trailer": (ids[:2], X)})
    with pytest.raises(ValueError, match="duplicate"):
        side_features(item_movie_ids, {"trailer": (np.array([10, 10, 30]), X)})
    with pytest.raises(ValueError, match="NaN"):
        side_features(item_movie_ids, {"trailer": (ids, X * np.nan)})


def test_real_valued_blocks_are_standardised_and_reduced():
    rng = np.random.default_rng(0)
    ids = np.arange(50)
    E = rng.normal(5, 10, (50, 16))
    s = side_features(ids, {"genres": (ids, (rng.random((50, 4)) > 0.5).astype(float)), "trailer": (ids, E)},
                      pca_dim=3)
    assert s.groups == [4, 3] and s.matrix.shape == (50, 7)
    t = s.matrix.toarray()[:, 4:]
    np.testing.assert_allclose(t.mean(0), 0, atol=1e-9)
    assert np.linalg.norm(t, axis=1).mean() == pytest.approx(1.0)
    const = side_features(ids, {"trailer": (ids, np.c_[E[:, :1], np.full(50, 3.0) + 1e-12 * E[:, 1]])}).matrix.toarray()
    assert np.abs(const[:, 1]).max() < 1e-6  # a near-constant column stays near zero, not blown up


def test_what_needs_the_data_fails_where_09_first_sees_it_naming_the_field():
    """More folds than movies, or a side PCA wider than the movies with vectors: one line naming
    the profile field, not a numpy or scikit-learn error."""
    from vt2lib.io import DataError
    from vt2lib.rating.cold_start import item_disjoint_folds, side_features
    with pytest.raises(DataError, match="n_folds = 4: only 3 movies"):
        item_disjoint_folds(np.array([10, 10, 20, 30]), n_folds=4, seed=0)
    vectors = np.random.default_rng(0).normal(size=(5, 40))
    with pytest.raises(DataError, match="side_pca_dim = 8: side block 'trailer' has vectors for only 5 movies"):
        side_features(np.arange(6), {"trailer": (np.arange(5), vectors)}, pca_dim=8)
    assert side_features(np.arange(6), {"trailer": (np.arange(5), vectors)}, pca_dim=4).groups == [4]
