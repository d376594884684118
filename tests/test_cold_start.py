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
    with pytest.raises(DataError, match="side_pca_dim = 8: side block 'frozen' has vectors for only 5 rated movies"):
        side_features(np.arange(6), {"frozen": (np.arange(5), vectors)}, pca_dim=8, per_fold=("frozen",))
    # fitted per fold: a fold with fewer training movies than axes gets as many, the block keeps its width
    few = side_features(np.arange(6), {"frozen": (np.arange(5), vectors)}, pca_dim=4, per_fold=("frozen",))
    side = few.for_fold(np.array([0, 1, 2])).toarray()
    assert side.shape == (6, 4) and np.abs(side[:5, :2]).min() > 0 and not side[:, 3].any() and not side[5].any()


def test_fm_side_feature_sets_name_their_blocks_with_rows_aligned_to_the_movie_ids(smoke_cfg, monkeypatch):
    """09's and 10's side-feature sets (fm_side_feature_sets): each holds the blocks its name says,
    each row is its movie's vector (centred and scaled), zero where the movie has none; the frozen
    block is fitted on one fold's training movies (for_fold) and has no fold-free matrix."""
    import dataclasses

    import pandas as pd

    from vt2lib.rating import item_vectors
    from vt2lib.rating.cold_start import fm_side_feature_sets
    cfg = dataclasses.replace(smoke_cfg, side_pca_dim=None)  # no PCA: rows are the vectors, centred and scaled
    rng = np.random.default_rng(4)
    item_movie_ids = np.array([50, 10, 40, 20, 30])  # dense item order, not sorted
    planted = {"embedding": (np.array([30, 10, 99, 40]), rng.normal(size=(4, 6))),  # 99 not rated; 20, 50 none
               "frozen_mean": (np.array([40, 20, 10, 30, 50]), rng.normal(size=(5, 9)))}
    movies = pd.DataFrame({"movieId": [10, 20, 30, 40, 50],
                           "genres": ["Action|Comedy", "Drama", "(no genres listed)", "Comedy", "Action"]})
    genres = item_vectors.genre_vectors(movies)
    monkeypatch.setattr(item_vectors, "load_vectors", lambda cfg, source, movies=None: planted[source.kind])
    sets = fm_side_feature_sets(cfg, item_movie_ids, movies)
    g, t, f = genres[1].shape[1], 6, 9
    assert {n: (s.names, s.groups) for n, s in sets.items()} == {
        "genres": (["genres"], [g]), "trailer": (["trailer"], [t]), "genres+trailer": (["genres", "trailer"], [g, t]),
        "genres+frozen": (["genres", "frozen"], [g, f]),
        "genres+trailer_shuffled": (["genres", "trailer"], [g, t])}  # the permutation control

    def by_id(ids, X):  # each dense item's vector by hand, zeros where it has none
        return np.array([X[list(ids).index(m)] if m in ids else np.zeros(X.shape[1]) for m in item_movie_ids])

    def standardised(X, fit):
        Z = X - X[fit].mean(0)
        return Z / np.linalg.norm(Z[fit], axis=1).mean()
    G = by_id(*genres)
    np.testing.assert_array_equal(sets["genres"].matrix.toarray(), G)
    ids_t, E = planted["embedding"]
    np.testing.assert_allclose(sets["genres+trailer"].matrix.toarray(),
                               np.hstack([G, by_id(ids_t, standardised(E, slice(None)))]))
    control = sets["genres+trailer_shuffled"].matrix.toarray()  # each movie another's trailer row
    np.testing.assert_array_equal(control[:, :g], G)
    assert (by_id(ids_t, E) != 0).any(1).tolist() == (control[:, g:] != 0).any(1).tolist()  # who has one: unchanged
    real, shuffled = sets["genres+trailer"].matrix.toarray()[:, g:], control[:, g:]
    assert sorted(map(tuple, real.round(9))) == sorted(map(tuple, shuffled.round(9)))  # the same rows...
    assert not np.allclose(real, shuffled)                                           # ...dealt to other movies
    train_items = np.array([1, 2, 2, 3])  # one fold's training ratings: movies 10, 40, 20
    ids_f, F = planted["frozen_mean"]
    np.testing.assert_allclose(sets["genres+frozen"].for_fold(train_items).toarray(),
                               np.hstack([G, by_id(ids_f, standardised(F, np.isin(ids_f, [10, 40, 20])))]))
    with pytest.raises(ValueError, match="fitted per fold"):
        _ = sets["genres+frozen"].matrix


def permutation_gain(data_seed: int, planted: bool, n_folds: int = 4) -> float:
    """09's permutation control on planted data: new movies (item-disjoint folds), an FM with one side
    block (4 columns) against the same FM with the block's rows shuffled among the movies; returns the
    mean over folds of what the block buys (control RMSE minus real). `planted`: each movie's mean
    rating is a linear function of its block; else the block is noise, unrelated to the ratings."""
    import pandas as pd

    from vt2lib.rating.monte_carlo import shuffled_rows, trailer_permutation_gain
    from vt2lib.rating.fm import fm_fit
    from vt2lib.rating.predictors import Ratings
    rng = np.random.default_rng(data_seed)
    n_users, n_items, per_user = 300, 160, 30
    X = rng.normal(size=(n_items, 4))
    effect = X @ np.array([0.5, -0.4, 0.3, 0.2]) if planted else rng.normal(0, 0.45, n_items)
    user = np.repeat(np.arange(n_users), per_user)
    item = np.concatenate([rng.choice(n_items, per_user, replace=False) for _ in range(n_users)])
    rating = np.clip(np.round(2 * (3.5 + effect[item] + rng.normal(0, 0.3, n_users)[user]
                                   + rng.normal(0, 0.6, len(user)))) / 2, 0.5, 5).astype(np.float32)
    fold = item_disjoint_folds(item, n_folds, seed=data_seed)
    ids = np.arange(n_items)
    blocks = {"real": side_features(ids, {"trailer": (ids, X)}),
              "control": side_features(ids, {"trailer": shuffled_rows(ids, X, seed=data_seed)})}
    rmse = {}
    for name, side in blocks.items():
        per_fold = []
        for k in range(n_folds):
            tr, te = fold != k, fold == k
            fit = fm_fit(Ratings(user[tr], item[tr], rating[tr], n_users, n_items), user[te], item[te], rank=4,
                         n_iter=60, seed=k, item_side=side.matrix, side_groups=side.groups)
            per_fold.append(np.sqrt(np.mean((fit.prediction - rating[te]) ** 2)))
        rmse[(0, "fm_genres_trailer" if name == "real" else "fm_genres_trailer_shuffled")] = pd.Series(per_fold)
    return float(trailer_permutation_gain(rmse, [0], n_folds).loc[0, "gain_mean"])


@pytest.mark.parametrize("planted", [True, False])
def test_the_permutation_control_sees_planted_signal_and_only_that(planted):
    """Shuffling a side block's rows among the movies costs the FM accuracy on new movies when the
    block carries planted signal, and changes nothing when it is noise.

    Spread over 12 data seeds, each with its own chains (tests/benchmarks/measure_spreads.py,
    `permutation`): planted gain mean 0.329, sd 0.023 (bound 0.2: 5.6 sd below); noise gain mean
    0.0039, sd 0.0076 (bound |gain| < 0.03: 3.4 sd above, 4.5 sd below)."""
    gain = permutation_gain(3, planted)
    if planted:
        assert gain > 0.2
    else:
        assert abs(gain) < 0.03


def test_fm_chains_are_averaged_and_each_is_kept(smoke_cfg):
    """fm_method with chains > 1 (09's FMs with side features, 10's FM rows): the prediction is the
    mean of the chains, chain 0 is the single-chain run (same seed), each chain's predictions are kept
    (their fold RMSE spread: chain_fold_rmse), and the ranking scores are the chains' unclipped mean."""
    import dataclasses

    import pandas as pd

    from vt2lib.rating.fm import fm_method
    from vt2lib.rating.monte_carlo import chain_fold_rmse, chain_spread
    from vt2lib.rating.predictors import Ratings
    cfg = dataclasses.replace(smoke_cfg, fm_backend="myfm", fm_flavour="myfm", fm_rank=2, fm_iters=15)
    rng = np.random.default_rng(1)
    u, i = rng.integers(0, 40, 800), rng.integers(0, 30, 800)
    y = np.clip(np.round(2 * (3.5 + rng.normal(0, 0.5, 30)[i] + rng.normal(0, 0.7, 800))) / 2, 0.5, 5)
    train, test = Ratings(u[:600], i[:600], y[:600].astype(np.float32), 40, 30), slice(600, None)
    one = fm_method(cfg, chains=1)[0](train, u[test], i[test], 0)
    three = fm_method(cfg, chains=3)[0](train, u[test], i[test], 0)
    assert one.chains is None and three.chains.shape == (3, 200)
    np.testing.assert_array_equal(three.chains[0], one.values)
    np.testing.assert_allclose(three.values, three.chains.mean(0), rtol=1e-6)
    assert not np.allclose(three.chains[1], three.chains[0])  # independent chains
    assert fm_method(cfg, chains=1)[1] != fm_method(cfg, chains=3)[1]  # their predictions are stored apart
    frame = pd.DataFrame({"fold": 0, "rating": y[test], **{f"chain{c}": three.chains[c] for c in range(3)}})
    per_chain = chain_fold_rmse(frame)
    one_rmse = np.sqrt(np.mean((one.values - y[test]) ** 2))
    assert per_chain.shape == (1, 3) and per_chain.iloc[0, 0] == pytest.approx(one_rmse, rel=1e-5)
    spread = chain_spread({(0, "fm"): per_chain, ("warm", "fm"): per_chain}, 3)
    assert spread.loc[("0", "fm"), "one_chain_sd_mean"] == pytest.approx(per_chain.iloc[0].std(ddof=1))


def test_the_permutation_controls_default_names_are_the_side_fms():
    """monte_carlo cannot import cold_start (cold_start imports it): its defaults spell the names out."""
    import inspect

    from vt2lib.rating.cold_start import SHUFFLED, side_fm_name
    from vt2lib.rating.monte_carlo import trailer_permutation_gain
    defaults = inspect.signature(trailer_permutation_gain).parameters
    assert defaults["fm"].default == side_fm_name("genres+trailer")
    assert defaults["control"].default == side_fm_name(SHUFFLED)
