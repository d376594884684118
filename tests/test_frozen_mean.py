"""The frozen-feature baseline (issue 24): per-trailer keyframe means, and a PCA that never sees test movies."""
import dataclasses

import numpy as np
import pandas as pd
import pytest

from vt2lib.rating import frozen_mean as F
from vt2lib.rating.cold_start import item_disjoint_folds
from vt2lib.rating.evaluation import CVData


def test_keyframe_means_equal_each_trailers_mean_across_blocks():
    from vt2lib.embedding.embeddings import keyframe_means
    rng = np.random.default_rng(0)
    counts = rng.integers(1, 9, 23)
    offset = np.concatenate([[0], np.cumsum(counts)[:-1]])
    features = rng.normal(size=(counts.sum(), 5)).astype(np.float16)
    naive = np.stack([features[o:o + n].astype(np.float32).mean(0) for o, n in zip(offset, counts)])
    for block in (1, 4, 23, 100):  # trailers per read: blocks end mid-array and at its end
        np.testing.assert_allclose(keyframe_means(features, offset, counts, block), naive, rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="without keyframes"):
        keyframe_means(features, offset, np.where(np.arange(23) == 3, 0, counts))


@pytest.fixture
def item_disjoint(smoke_cfg):
    """A small CV table whose folds deal movies, not ratings (notebook 09): every test movie is new."""
    rng = np.random.default_rng(1)
    table = pd.DataFrame({"userId": rng.integers(1, 40, 600), "movieId": rng.integers(1, 25, 600)})
    table = table.drop_duplicates().reset_index(drop=True)
    table["rating"] = rng.integers(1, 11, len(table)) / 2
    table["fold"] = item_disjoint_folds(table.movieId.to_numpy(), 3, 0)
    cfg = dataclasses.replace(smoke_cfg, name="frozen_mean_test")
    return cfg, CVData.from_folds(table)


def test_the_pca_is_fitted_on_the_folds_training_movies_only(item_disjoint, monkeypatch):
    """No test movie's trailer enters the PCA of its fold (the leak test of issue 24), and every
    training movie with a vector does."""
    cfg, data = item_disjoint
    ids = np.arange(1, 30)                       # vectors for more movies than are rated
    vectors = np.random.default_rng(2).normal(size=(len(ids), 8))
    fitted = []
    real = F.fold_pca
    monkeypatch.setattr(F, "fold_pca", lambda X, rows, dim, seed=0: fitted.append(ids[rows]) or real(X, rows, dim, seed))
    predict, _ = F.frozen_mean_predictor(cfg, data, ids, vectors, dim=4)
    for k in range(data.n_folds):
        train, test = data.split(k)
        pred = predict(train, data.user[test], data.item[test], k)
        test_movies = set(data.table.movieId.to_numpy()[test])
        train_movies = set(data.movie_ids[np.unique(train.item)])
        assert test_movies and not test_movies & set(fitted[-1].tolist())
        assert set(fitted[-1].tolist()) == train_movies
        assert np.isfinite(pred.values).all()



def test_the_fm_side_features_frozen_block_is_fitted_on_the_folds_training_movies_only(item_disjoint, monkeypatch):
    """The same leak test for 09's FM + genres + frozen features: the side rows the FM gets in a
    fold are centred, PCA'd and scaled on that fold's training movies, so moving a new movie's
    frozen features moves its own row only."""
    from vt2lib.rating import fm as fm_module
    from vt2lib.rating import item_vectors
    from vt2lib.rating import methods as M
    from vt2lib.rating.cold_start import fm_side_feature_sets
    from vt2lib.rating.predictors import Prediction
    cfg, data = item_disjoint
    cfg = dataclasses.replace(cfg, side_pca_dim=3, fm_backend="myfm", fm_flavour="myfm")
    ids = np.arange(1, 30)                       # vectors for more movies than are rated
    rng = np.random.default_rng(4)
    planted = {"embedding": (ids, rng.normal(size=(len(ids), 6))), "frozen_mean": (ids, rng.normal(size=(len(ids), 8)))}
    monkeypatch.setattr(item_vectors, "load_vectors", lambda cfg, source, movies=None: planted[source.kind])
    movies = pd.DataFrame({"movieId": ids, "genres": "Drama"})
    given = []                                   # the item side matrix the FM is fitted with
    monkeypatch.setattr(fm_module, "fm_predict", lambda train, u, i, *a, item_side=None, **kw:
                        given.append(item_side.toarray()) or Prediction(np.zeros(len(u), np.float32)))

    def fm_side_rows(k):
        side = fm_side_feature_sets(cfg, data.movie_ids, movies)["genres+frozen"]
        fn, key = M.fm(cfg, side, name="fm_genres_frozen").predictor(cfg, data)
        train, test = data.split(k)
        fn(train, data.user[test], data.item[test], k)
        return given[-1][:, -3:], key            # the frozen block: the last side_pca_dim columns
    frozen = planted["frozen_mean"][1].copy()
    for k in range(data.n_folds):
        train, test = data.split(k)
        warm_items, new_item = np.unique(train.item), data.item[test][0]
        before, key = fm_side_rows(k)
        np.testing.assert_allclose(before[warm_items].mean(0), 0, atol=1e-9)  # centred and scaled on them
        assert np.linalg.norm(before[warm_items], axis=1).mean() == pytest.approx(1.0)
        planted["frozen_mean"][1][data.movie_ids[new_item] - 1] = [-40.0, 7.0] * 4  # one new movie's trailer moves
        after, other_key = fm_side_rows(k)
        planted["frozen_mean"][1][:] = frozen
        np.testing.assert_allclose(after[warm_items], before[warm_items], rtol=1e-9, atol=1e-12)
        assert not np.allclose(after[new_item], before[new_item]) and key != other_key

def test_changing_a_test_movies_trailer_changes_only_its_own_predictions(item_disjoint):
    cfg, data = item_disjoint
    ids = data.movie_ids
    vectors = np.random.default_rng(3).normal(size=(len(ids), 8))
    predict, key = F.frozen_mean_predictor(cfg, data, ids, vectors, dim=4)
    train, test = data.split(0)
    u, i = data.user[test], data.item[test]
    before = predict(train, u, i, 0).values
    moved = vectors.copy()
    target = i[0]
    moved[target] *= -3
    after_fn, other_key = F.frozen_mean_predictor(cfg, data, ids, moved, dim=4)
    after = after_fn(train, u, i, 0).values
    assert key != other_key  # the cache key follows the vectors
    # Eq. 1 for a test movie sums over the user's *training* movies: only pairs of the moved
    # movie can change, because the projection of every other movie stays where it was
    np.testing.assert_allclose(after[i != target], before[i != target], rtol=1e-5)
