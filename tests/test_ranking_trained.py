"""Rankers trained for top-N (issue 33 §3) and the paired tests over users (§4), on cases whose answer is known."""
import numpy as np
import pandas as pd
import pytest

from vt2lib.profiles import load_profile
from vt2lib.rating.predictors import Ratings
from vt2lib.ranking import scorers as RS
from vt2lib.ranking import trained as T
from vt2lib.ranking.content_map import fit_content_maps, mapped_item_factors, predict_factors, ridge_maps
from vt2lib.ranking.metrics import evaluate_ranking, ranked_users, summarise
from vt2lib.ranking.paired import paired_over_users, user_differences


def test_ease_is_one_constrained_ridge_per_movie():
    """EASE's closed form equals, column by column, the ridge regression of movie j's column on the other
    movies' columns (B_jj = 0 is the constraint): Steck's derivation, checked on random data."""
    rng = np.random.default_rng(0)
    X = (rng.random((60, 8)) < 0.3).astype(np.float32)
    import scipy.sparse as sp
    B = T.ease_weights(sp.csr_matrix(X), l2=2.0)
    for j in range(8):
        others = [k for k in range(8) if k != j]
        A = X[:, others].astype(np.float64)
        w = np.linalg.solve(A.T @ A + 2.0 * np.eye(7), A.T @ X[:, j])
        assert np.allclose(B[others, j], w, atol=1e-5) and B[j, j] == 0


def _two_groups(n_users=80, n_items=20, seed=0):
    """Users of group g rate only movies of block g (movies 0-9 or 10-19), each a random 60% of them."""
    rng = np.random.default_rng(seed)
    u, i = [], []
    for user in range(n_users):
        block = np.arange(10) + 10 * (user % 2)
        chosen = block[rng.random(10) < 0.6]
        u += [user] * len(chosen)
        i += list(chosen)
    u, i = np.array(u), np.array(i)
    return Ratings(u, i, np.full(len(u), 4.5, np.float32), n_users, n_items)


def _held_out_recall(score_rows, ratings, seed=1):
    inner, hu, hi, hr, _ = T.inner_split(ratings, seed)
    users = ranked_users(hu, hr, None, 0)
    return summarise(evaluate_ranking(score_rows(inner), inner, hu, hi, hr, users, ks=(10,)))["recall@10"]


@pytest.mark.parametrize("ranker", ["ease", "als", "popularity"])
def test_trained_rankers_put_the_users_own_block_first(ranker):
    """Planted: a user's held-out movies are among the unrated ones of their own block (~4 of the ~14
    candidates), so a ranker that learnt the blocks puts every one in its top 10 (Recall@10 = 1), and one
    that had not gets chance, ~10/14 = 0.71 (popularity: the blocks are equally popular). Measured over
    data seeds 0-3 (smoke's ALS: 8 factors, 5 sweeps): EASE 1.0 each, ALS 0.93-0.99, popularity 0.59-0.69;
    bounds: the mean over the 4 seeds >= 0.9 for the trained, <= 0.8 for popularity."""
    cfg = load_profile("smoke")
    fit = T.als_fitter(cfg, seed=0)
    rows = {"ease": lambda tr: T.ease_fitter()(tr, {"l2": 10.0, "positives": 0.5}),
            "als": lambda tr: T.factor_rows(*fit(tr, {"l2": 1.0, "alpha": 10.0, "positives": 0.5})),
            "popularity": RS.popularity_rows}[ranker]
    recall = np.mean([_held_out_recall(rows, _two_groups(n_users=200, seed=s)) for s in range(4)])
    assert recall >= 0.9 if ranker != "popularity" else recall <= 0.8


def test_the_inner_split_holds_out_a_tenth_of_ratings_or_of_movies():
    ratings = _two_groups(n_users=200)
    inner, hu, hi, hr, among = T.inner_split(ratings, seed=3)
    assert len(hu) + len(inner.user) == len(ratings.user) and abs(len(hu) / len(ratings.user) - 0.1) < 0.03
    assert among is None
    inner, hu, hi, hr, among = T.inner_split(ratings, seed=3, item_disjoint=True)
    assert among.sum() == 2 and set(np.unique(hi)) == set(np.flatnonzero(among))  # 10% of 20 movies
    assert not np.isin(inner.item, np.flatnonzero(among)).any()                  # new to the inner model


def test_choose_takes_the_best_inner_score_and_fits_on_the_inner_part_only():
    """A fake model family: grid point 1 scores each user's own block first (it knows the answer), 0 and
    2 score at random. Point 1 must win, from the middle of the grid; every fit sees the inner
    training part only (the held-out tenth is not in it), and the test ratings are never passed."""
    ratings = _two_groups(n_users=200)
    seen = []

    def fit(train, p):
        seen.append(len(train.user))
        if p["k"] == 1:
            return lambda users: (np.arange(train.n_items)[None, :] // 10 == (users[:, None] % 2)).astype(np.float32)
        rng = np.random.default_rng(p["k"])
        return lambda users: rng.random((len(users), train.n_items)).astype(np.float32)
    chosen = T.choose([{"k": 0}, {"k": 1}, {"k": 2}], fit, ratings, load_profile("smoke"), seed=2)
    assert chosen.params == {"k": 1} and chosen.tried == 3 and chosen.validation == pytest.approx(1.0)
    inner = T.inner_split(ratings, 2)[0]
    assert seen == [len(inner.user)] * 3 and len(inner.user) < len(ratings.user)


def _liked_and_disliked(n_users=200, seed=0):
    """_two_groups' users also rate every movie of the other block, at 1.0: which movies a user rated
    says nothing, which they liked (>= 4) says everything."""
    liked = _two_groups(n_users, seed=seed)
    other = [(u, j) for u in range(n_users) for j in np.arange(10) + 10 * (1 - u % 2)]
    u, i = np.array(other).T
    return Ratings(np.r_[liked.user, u], np.r_[liked.item, i], np.r_[liked.rating, np.ones(len(u), np.float32)],
                   n_users, liked.n_items)


def test_the_positives_threshold_is_chosen_on_the_inner_split_and_the_winner_refitted_on_every_rating():
    """On _liked_and_disliked, X of every rating makes all users alike; X of the liked ones shows the
    blocks: EASE's search must pick positives = 4, and its scores are EASE refitted on the whole fold."""
    ratings = _liked_and_disliked()
    cfg = load_profile("smoke")
    score_rows, chosen = T.fit_ease(cfg, ratings, seed=0)
    assert chosen.params["positives"] == 4.0 and chosen.tried == len(cfg.ease_l2) * 2
    users = np.arange(ratings.n_users)
    np.testing.assert_array_equal(score_rows(users), T.ease_fitter()(ratings, chosen.params)(users))


def _planted_content(n_users=300, n_items=60, seed=0):
    """Movies have 2-d content; user u likes movie j when their content points the same way. Movies 50-59
    are new (no training rating); their hits are held out as a test."""
    rng = np.random.default_rng(seed)
    content = rng.normal(size=(n_items, 2))
    taste = rng.normal(size=(n_users, 2))
    liked = (taste @ content.T) > 0.8
    u, i = np.nonzero(liked)
    r = np.full(len(u), 4.5, np.float32)
    new = i >= 50
    train = Ratings(u[~new], i[~new], r[~new], n_users, n_items)
    return train, (u[new], i[new], r[new]), content


def test_content_maps_rank_new_movies_by_their_content_and_noise_by_chance():
    """Planted: what a user likes is a function of the movies' content, so ALS factors are one too, and
    a map from the real content ranks new movies among new far above one from noise vectors. Measured
    over data seeds 0-4 (smoke's grids): real content Recall@5 0.967-1.0 (sd 0.014), noise 0.45-0.72
    (mean 0.54, sd 0.10; chance is 0.5: 5 of the 10 new movies); bounds 0.9 and 0.85, >= 3 sd away."""
    cfg = load_profile("smoke")
    train, (tu, ti, tr), content = _planted_content()
    noise = np.random.default_rng(9).normal(size=content.shape)
    rows = np.arange(len(content))
    maps = fit_content_maps(cfg, train, {"real": (rows, content), "noise": (rows, noise)}, seed=0)
    among = np.zeros(train.n_items, bool)
    among[50:] = True
    users = ranked_users(tu, tr, None, 0)
    recall = {name: summarise(evaluate_ranking(score_rows, train, tu, ti, tr, users, ks=(5,), among=among))["recall@5"]
              for name, (score_rows, _) in maps.items()}
    assert recall["real"] > 0.9 and recall["noise"] < 0.85, recall
    assert "map_l2" in maps["real"][1].params


def test_a_new_movie_without_a_vector_gets_the_old_movies_mean_factor():
    item_f = np.arange(12, dtype=np.float32).reshape(6, 2)
    rated = np.array([True, True, True, True, False, False])
    rows = np.array([0, 1, 2, 3, 4, -1])
    vectors = np.random.default_rng(0).normal(size=(5, 3))
    factors = mapped_item_factors(item_f, rated, rows, vectors, [1.0])[0]
    assert np.allclose(factors[:4], item_f[:4])                       # old movies keep their own
    assert np.allclose(factors[5], item_f[:4].mean(0), atol=1e-5)     # no vector: the intercept
    (w, b), = ridge_maps(vectors[:4], item_f[:4], [1.0])               # with a vector: the map of it
    assert np.allclose(factors[4], predict_factors(vectors[4], w, b), atol=1e-5)
    with pytest.raises(ValueError, match="no movie with a training interaction has a vector"):
        mapped_item_factors(item_f, rated, np.full(6, -1), vectors, [1.0])


def _per_user(values_a, values_b, folds=None):
    n = len(values_a)
    folds = folds if folds is not None else [0] * n
    users = list(range(n)) if len(set(folds)) == 1 else [k // 2 for k in range(n)]
    return pd.DataFrame({"setting": "warm", "method": ["a"] * n + ["b"] * n, "fold": folds * 2,
                         "user": users * 2, "recall@10": list(values_a) + list(values_b)})


def test_the_paired_interval_by_hand():
    """d = (0.2, 0.4, 0.0, 0.6): mean 0.3, sd 0.2582, se 0.1291, t(0.975, 3) = 3.1824, so the interval is
    0.3 -/+ 0.4108; t = 2.3238, p = 0.1028."""
    r = paired_over_users(_per_user([0.2, 0.5, 0.1, 0.6], [0.0, 0.1, 0.1, 0.0]), "warm", "a", "b", "recall@10")
    assert r["users"] == 4 and r["mean_diff"] == pytest.approx(0.3)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((0.3 - 0.41082, 0.3 + 0.41082), abs=1e-4)
    assert r["t_p"] == pytest.approx(0.1028, abs=1e-4)


def test_a_users_folds_are_averaged_before_the_test():
    """User 0 in folds 0 and 1 (d = 0.2, 0.4), user 1 in folds 0 and 1 (d = 0, 0): two users, d = 0.3, 0;
    and the difference's sd over folds (each fold's mean difference), which the interval leaves out."""
    per_user = _per_user([0.2, 0.4, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], folds=[0, 1, 0, 1])
    d = user_differences(per_user, "warm", "a", "b", "recall@10")
    assert d.to_dict() == pytest.approx({0: 0.3, 1: 0.0})
    # what refitting moves: fold 0's mean difference is 0.1, fold 1's 0.2
    assert paired_over_users(per_user, "warm", "a", "b", "recall@10")["fold_sd"] == pytest.approx(np.std([0.1, 0.2], ddof=1))


def test_no_variance_and_too_few_users_say_so():
    r = paired_over_users(_per_user([0.5, 0.6], [0.4, 0.5]), "warm", "a", "b", "recall@10")
    assert r["ci_low"] == pytest.approx(0.1) and r["ci_high"] == pytest.approx(0.1)
    assert np.isnan(r["t_p"]) and "no variance" in r["note"]
    r = paired_over_users(_per_user([0.5], [0.4]), "warm", "a", "b", "recall@10")
    assert np.isnan(r["ci_low"]) and "at least 2" in r["note"]


def test_the_comparisons_pick_the_best_of_each_side_and_pair_the_content_kinds():
    from vt2lib.ranking.runs import NEW, NEW_AMONG_ALL, WARM, ranked_names, ranking_methods
    from vt2lib.ranking.tables import paired_comparisons
    cfg = load_profile("smoke")
    ranked = ranking_methods(cfg, side=None)
    warm_names = ranked_names(cfg, WARM)
    assert {"ease", "als"} <= set(warm_names) and not any(n.startswith("als_map") for n in warm_names)
    assert "ease" not in ranked_names(cfg, NEW) and "als_map_frozen_mean" in ranked_names(cfg, NEW)
    recall = {"popularity": 0.5, "bias": 0.1, "fm_ids": 0.3, "ease": 0.4, "als": 0.45, "content_metadata": 0.2}
    table = pd.DataFrame({"recall@10 (mean)": list(recall.values())},
                         index=pd.MultiIndex.from_tuples([(WARM, m) for m in recall]))
    pairs = {(key, s): (a, b) for key, s, a, b in paired_comparisons(ranked, table)}
    assert pairs[("ranker_vs_predictor", WARM)] == ("als", "fm_ids")
    assert pairs[("ranker_vs_popularity", WARM)] == ("als", "popularity")
    for s in (NEW, NEW_AMONG_ALL):
        assert pairs[("eq1_trailer_vs_frozen", s)] == ("content_emb256_s10_leakfree", "content_frozen_mean")
        assert pairs[("map_frozen_vs_genres", s)] == ("als_map_frozen_mean", "als_map_metadata")
