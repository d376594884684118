"""Top-N ranking (issue 24): the metrics by hand, and chunked scoring equal to unchunked."""
import numpy as np
import pandas as pd
import pytest

from vt2lib.rating import predictors as P
from vt2lib.ranking import scorers as RS
from vt2lib.ranking.metrics import evaluate_ranking, ranked_users, ranking_metrics, summarise

LOG2 = np.log2


def _metrics(scores, hits, candidates=None, ks=(2,)):
    scores, hits = np.atleast_2d(np.asarray(scores, np.float32)), np.atleast_2d(np.asarray(hits, bool))
    candidates = np.ones_like(hits) if candidates is None else np.atleast_2d(np.asarray(candidates, bool))
    return {k: v.tolist() for k, v in ranking_metrics(scores, hits, candidates, ks).items()}


def test_metrics_by_hand():
    # order 0, 1, 2, 3: hits at ranks 2 and 3 (1-based)
    m = _metrics([0.9, 0.8, 0.7, 0.1], [False, True, True, False], ks=(2, 3))
    assert m["recall@2"] == [0.5] and m["recall@3"] == [1.0]
    assert m["ndcg@2"] == pytest.approx([(1 / LOG2(3)) / (1 + 1 / LOG2(3))])
    assert m["ndcg@3"] == pytest.approx([(1 / LOG2(3) + 1 / LOG2(4)) / (1 + 1 / LOG2(3))])


def test_ties_are_ordered_at_random_in_expectation():
    # the hit ties with two non-hits at 0.5 behind one higher score: 2nd, 3rd or 4th, a third each
    m = _metrics([0.9, 0.5, 0.5, 0.5], [False, False, True, False], ks=(3, 4))
    assert m["recall@3"] == pytest.approx([2 / 3]) and m["recall@4"] == [1.0]
    assert m["ndcg@4"] == pytest.approx([(1 / LOG2(3) + 1 / LOG2(4) + 1 / LOG2(5)) / 3])
    # a constant scorer gets what chance gets: K of the 5 candidates
    assert _metrics([1.0] * 5, [True, False, False, False, False], ks=(4,))["recall@4"] == pytest.approx([0.8])
    # ties among hits only: their order does not matter
    assert _metrics([0.5, 0.5, 0.1], [True, True, False])["ndcg@2"] == pytest.approx([1.0])


def _every_tie_order(scores, hits, candidates, k):
    """Brute force: the mean recall@k and ndcg@k over every order of the candidates that sorts
    their scores (each equally likely when ties are broken at random)."""
    import itertools
    idx = [j for j in range(len(scores)) if candidates[j]]
    recall, ndcg = [], []
    ideal = sum(1 / LOG2(p + 2) for p in range(min(k, int(np.sum(hits)))))
    for order in itertools.permutations(idx):
        if all(scores[a] >= scores[b] for a, b in zip(order, order[1:])):
            top = [hits[j] for j in order[:k]]
            recall.append(sum(top) / np.sum(hits))
            ndcg.append(sum(h / LOG2(p + 2) for p, h in enumerate(top)) / ideal)
    return np.mean(recall), np.mean(ndcg)


def test_expected_metric_equals_the_mean_over_every_tie_order():
    """40 random small rows with many ties (scores drawn from 3 values): the closed form equals
    the average over all tie orders, for every k."""
    rng = np.random.default_rng(4)
    for _ in range(40):
        n = int(rng.integers(2, 7))
        scores = rng.choice(np.array([0.1, 0.5, 0.9], np.float32), n)
        candidates = rng.random(n) < 0.85
        hits = candidates & (rng.random(n) < 0.5)
        if not hits.any():
            continue
        for k in (1, 2, 4):
            m = _metrics(scores, hits, candidates, ks=(k,))
            recall, ndcg = _every_tie_order(scores, hits, candidates, k)
            assert m[f"recall@{k}"] == pytest.approx([recall]) and m[f"ndcg@{k}"] == pytest.approx([ndcg])


def test_ties_are_found_in_the_scores_own_precision():
    """Two float64 scores that float32 would merge stay apart: the higher one ranks first."""
    scores = np.array([[1.0 + 1e-12, 1.0, 0.0]])
    m = ranking_metrics(scores, np.array([[True, False, False]]), np.ones((1, 3), bool), ks=(1,))
    assert m["recall@1"].tolist() == [1.0]


def test_users_without_hits_and_k_beyond_the_candidates():
    m = _metrics([[0.9, 0.1, 0.3], [0.2, 0.3, 0.4]], [[False, False, False], [True, False, False]],
                 candidates=[[True, True, True], [True, False, False]], ks=(10,))
    assert np.isnan(m["recall@10"][0]) and m["n_hits"] == [0, 1]
    # user 1 has one candidate, its hit: K = 10 > 1 candidate, it ranks first
    assert m["recall@10"][1] == 1.0 and m["ndcg@10"][1] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="not a candidate"):
        _metrics([0.1, 0.2], [True, False], candidates=[False, True])
    with pytest.raises(ValueError, match="score is NaN"):   # where would it rank? a scorer's bug, said
        _metrics([0.1, np.nan, 0.3], [True, False, False])
    # a NaN outside the candidates (a movie rated in training) is never ranked: no error
    assert _metrics([0.1, np.nan, 0.3], [True, False, False], candidates=[True, False, True])["recall@2"] == [1.0]


def test_sorted_and_compared_rows_place_hits_alike(monkeypatch):
    """A row with many hits is sorted once, one with few compares each hit with it (ranking.metrics:
    the cheaper way per row); both give the same metrics, ties included."""
    from vt2lib.ranking import metrics as M
    rng = np.random.default_rng(3)
    scores = np.round(rng.random((12, 300)) * 40).astype(np.float32)    # many ties
    hits = rng.random((12, 300)) < np.linspace(0.003, 0.2, 12)[:, None]  # 1 to ~60 hits per row
    candidates = hits | (rng.random((12, 300)) < 0.8)
    out = {}
    for mode, (h, m) in {"mixed": (M.SORT_HITS, M.SORT_MOVIES), "sorted": (-1, 0), "compared": (10**9, 0)}.items():
        monkeypatch.setattr(M, "SORT_HITS", h)
        monkeypatch.setattr(M, "SORT_MOVIES", m)
        out[mode] = ranking_metrics(scores, hits, candidates, ks=(5, 20))
    for mode in ("sorted", "compared"):
        for key, value in out["mixed"].items():
            np.testing.assert_allclose(out[mode][key], value, rtol=1e-12, err_msg=f"{mode} {key}")


def _fold(seed=0, n_users=40, n_items=25, n=500):
    rng = np.random.default_rng(seed)
    pairs = pd.DataFrame({"u": rng.integers(0, n_users, n), "i": rng.integers(0, n_items, n)}).drop_duplicates()
    r = (rng.integers(1, 11, len(pairs)) / 2).astype(np.float32)
    test = rng.random(len(pairs)) < 0.25
    u, i = pairs.u.to_numpy(np.int32), pairs.i.to_numpy(np.int32)
    train = P.Ratings(u[~test], i[~test], r[~test], n_users, n_items)
    return train, u[test], i[test], r[test]


def test_chunked_scoring_equals_one_pass():
    train, tu, ti, tr = _fold()
    vectors = np.random.default_rng(1).normal(size=(train.n_items, 6))
    vec_row = np.arange(train.n_items)
    vec_row[[3, 7]] = -1          # movies without a vector: the user-mean fallback
    scorer = RS.eq1_rows(train, P.similarity_matrix(vectors, "cosine01"), vec_row)
    users = ranked_users(tu, tr, None, 0)
    whole = evaluate_ranking(scorer, train, tu, ti, tr, users, chunk=len(users))
    for chunk in (1, 3, 7):
        pd.testing.assert_frame_equal(evaluate_ranking(scorer, train, tu, ti, tr, users, chunk=chunk), whole)
    np.testing.assert_array_equal(scorer(users[:5]), scorer(users)[:5])
    assert summarise(whole)["users"] == len(users)


def test_eq1_for_every_pair_equals_the_pairwise_predictor():
    train, *_ = _fold(seed=2)
    vectors = np.random.default_rng(3).normal(size=(train.n_items - 2, 5))
    vec_row = np.r_[np.arange(train.n_items - 2), -1, -1]
    sim = P.similarity_matrix(vectors, "cosine01")
    users = np.arange(train.n_users)  # users without training ratings too: the global mean
    scores = RS.eq1_rows(train, sim, vec_row)(users)
    pairwise = P.content_based(train, np.repeat(users, train.n_items), np.tile(np.arange(train.n_items), len(users)),
                               sim, vec_row).values.reshape(scores.shape)
    np.testing.assert_allclose(scores, pairwise, rtol=2e-6, atol=2e-6)
    topk = RS.eq1_rows(train, sim, vec_row, top_k=3)(users[:4])
    assert topk.shape == (4, train.n_items)


def test_a_fitted_predictor_is_called_once_per_fold():
    train, tu, ti, tr = _fold(seed=4)
    calls = []

    def predictor(tr_, u, i, k):
        calls.append(len(u))
        return P.user_mean(tr_, u, i)
    users = ranked_users(tu, tr, None, 0)
    scorer = RS.pair_rows(predictor, train, users, 0)
    evaluate_ranking(scorer, train, tu, ti, tr, users, chunk=2)
    assert calls == [len(users) * train.n_items]
    np.testing.assert_array_equal(scorer(users[[2, 0]]),
                                  P.user_mean(train, np.repeat(users[[2, 0]], train.n_items),
                                              np.tile(np.arange(train.n_items), 2)).values.reshape(2, -1))


def test_ranked_users_are_a_seeded_sample_of_users_with_hits():
    u = np.array([0, 1, 2, 3, 4, 5])
    r = np.array([4.0, 3.5, 5.0, 4.5, 1.0, 4.0])
    assert ranked_users(u, r, None, 0).tolist() == [0, 2, 3, 5]
    a = ranked_users(u, r, 2, 7)
    assert len(a) == 2 and set(a) <= {0, 2, 3, 5} and np.array_equal(a, ranked_users(u, r, 2, 7))


def test_vector_scorer_ranks_frozen_mean_in_each_folds_pca_as_its_predictor(smoke_cfg):
    """Notebook 10's Eq. 1 scores per source (rank_setting -> vector_scorer): frozen_mean's are
    the per-fold PCA'd vectors of its Table 1 predictor, not one similarity of the raw features;
    any other source's the fixed similarity of content_method."""
    import dataclasses

    from vt2lib.rating import methods as M
    from vt2lib.rating.evaluation import CVData, content_method
    from vt2lib.rating.frozen_mean import frozen_mean_predictor
    rng = np.random.default_rng(5)
    table = pd.DataFrame({"userId": rng.integers(1, 30, 500), "movieId": rng.integers(1, 20, 500)}).drop_duplicates()
    table = table.assign(rating=rng.integers(1, 11, len(table)) / 2, fold=rng.integers(0, 3, len(table)))
    data = CVData.from_folds(table.reset_index(drop=True))
    ids = np.arange(1, 26)                               # vectors for movies nobody rated too
    vectors = rng.normal(size=(len(ids), 8))
    frozen = dataclasses.replace(M.frozen_mean_methods(smoke_cfg)[0].vectors, dim=3)  # the registry's source
    trained = M.side_method(smoke_cfg).vectors
    users = np.arange(data.n_users)
    pairs = np.repeat(users, data.n_items), np.tile(np.arange(data.n_items), len(users))
    for source, (predict, _) in ((frozen, frozen_mean_predictor(smoke_cfg, data, ids, vectors, 3)),
                                 (trained, content_method(data, ids, vectors, smoke_cfg.similarity, smoke_cfg.top_k))):
        scorer = RS.vector_scorer(smoke_cfg, data, source, ids, vectors)
        for k in range(data.n_folds):
            train, _ = data.split(k)
            scores = scorer(train)(users)
            np.testing.assert_allclose(scores, predict(train, *pairs, k).values.reshape(scores.shape),
                                       rtol=2e-6, atol=2e-6)
    rows, usable = P.vector_rows(data.movie_ids, ids, vectors)
    raw = RS.eq1_rows(train, P.similarity_matrix(usable, smoke_cfg.similarity), rows)(users)
    assert not np.allclose(raw, RS.vector_scorer(smoke_cfg, data, frozen, ids, vectors)(train)(users), atol=1e-3)


def test_the_ranking_table_says_how_many_folds_its_sd_is_over():
    """One ranked fold (scale's ranking_folds = 1): the sd is NaN, and folds_note says it is undefined."""
    from vt2lib.ranking.runs import METRICS
    from vt2lib.ranking.tables import few_candidates_notes, folds_note, ranking_table
    runs = pd.DataFrame([{"setting": s, "method": m, "fold": k, "users": 10, "seconds": 0.1, **dict.fromkeys(METRICS, 0.5),
                          "median candidates": {"warm": 300.0, "new movies": 9.0 + k}[s],
                          "most candidates": {"warm": 400.0, "new movies": 18.0 + k}[s]}
                         for s, folds in (("warm", 1), ("new movies", 2)) for m in ("bias", "fm_ids")
                         for k in range(folds)])
    table = ranking_table(runs)
    assert table["folds"].tolist() == [1, 1, 2, 2]
    assert table.loc["warm", "ndcg@10 (sd)"].isna().all() and table.loc["new movies", "ndcg@10 (sd)"].notna().all()
    assert folds_note(table) == ("warm: mean over 1 fold: its sd over folds is undefined (NaN, no error bar); "
                                 "new movies: mean and sd over 2 folds")
    assert folds_note(table.loc[["new movies"]]) == "mean and sd over 2 folds"
    # among new movies at most 19 candidates per user (median 9.5): Recall@20 is 1 for every user, Recall@10 for
    # at least half, whatever the method, and the notes say so
    assert table["median candidates"].tolist() == [300, 300, 9.5, 9.5] and table["most candidates"].tolist()[2:] == [19, 19]
    note = ["new movies: Recall@20 is 1 for every ranked user, whatever the method (median 9.5 candidate movies, at most "
            "19): it cannot tell the methods apart there at this data size (NDCG@10 still can).",
            "new movies: Recall@10 is 1 for at least half the ranked users, whatever the method (median 9.5 candidate "
            "movies, at most 19): it tells the methods apart on the other users only."]
    assert few_candidates_notes(table) == note
    assert few_candidates_notes(table.reset_index(level=1)) == note  # as the summary reads the saved CSV


def test_the_bias_ranking_is_b_i_never_a_clipped_prediction():
    """Every user's row is b_i: the order of the unclipped mu + b_u + b_i for any user, never one
    user's clipped prediction (whose ties at 5 would depend on which user was picked)."""
    from vt2lib.rating.predictors import bias_terms
    u = np.array([0, 0, 1, 1, 2, 2, 2], np.int32)
    i = np.array([0, 1, 0, 1, 0, 1, 2], np.int32)
    r = np.array([5, 5, 5, 4.5, 5, 5, 1], np.float32)
    train = P.Ratings(u, i, r, 3, 4)
    rows = RS.bias_rows(train)(np.array([0, 2]))
    _, _, b_i = bias_terms(train)
    np.testing.assert_array_equal(rows, np.broadcast_to(b_i, (2, 4)))
    assert rows[0, 0] > rows[0, 1] > rows[0, 3] > rows[0, 2]


@pytest.mark.parametrize("similarity", ["cosine01", "cosine"])
def test_eq1_ranks_unclipped_on_the_dense_and_the_top_k_path_alike(similarity):
    """Raw cosine similarities (negative weights) take Eq. 1 beyond 0.5..5: both ranking paths order by
    the unclipped value (content_based's `scores`), while its rating prediction stays clipped."""
    train, *_ = _fold(seed=2)
    vectors = np.random.default_rng(5).normal(size=(train.n_items, 3))
    vec_row, users = np.arange(train.n_items), np.arange(train.n_users)
    sim = P.similarity_matrix(vectors, similarity)
    dense = RS.eq1_rows(train, sim, vec_row)(users)
    top_all = RS.eq1_rows(train, sim, vec_row, top_k=train.n_items)(users)  # the pairwise kernel, every neighbour
    np.testing.assert_allclose(dense, top_all, rtol=1e-4, atol=1e-4)
    pred = P.content_based(train, np.repeat(users, train.n_items), np.tile(vec_row, len(users)), sim, vec_row)
    assert pred.values.min() >= 0.5 and pred.values.max() <= 5.0
    if similarity == "cosine":
        assert ((dense < 0.5) | (dense > 5)).any()  # what clipping would have tied


def test_the_fm_ranks_by_its_unclipped_posterior_mean():
    """A movie the FM predicts above 5 keeps its order in a ranking: Prediction.ranking is the
    unclipped posterior mean (both backends), its rating prediction the clipped one."""
    from vt2lib.rating.fm import fm_predict
    rng = np.random.default_rng(0)
    n_users, n_items = 60, 40
    u, i = np.meshgrid(np.arange(n_users), np.arange(n_items), indexing="ij")
    u, i = u.ravel(), i.ravel()
    keep = rng.random(len(u)) < 0.6
    truth = 4.2 + rng.normal(0, 0.5, n_users)[u] + np.linspace(-1.5, 1.5, n_items)[i]  # many above 5
    y = np.clip(np.round(2 * (truth + rng.normal(0, 0.3, len(u)))) / 2, 0.5, 5).astype(np.float32)
    train = P.Ratings(u[keep], i[keep], y[keep], n_users, n_items)
    for backend, flavour in (("myfm", "myfm"), ("jax", "libfm")):
        pred = fm_predict(train, u[~keep], i[~keep], 2, 30, 0.1, seed=1, backend=backend, flavour=flavour)
        assert pred.values.max() <= 5.0 and (pred.ranking > 5).sum() > 20, backend
        top = pred.ranking > 5
        assert len(np.unique(pred.ranking[top])) == top.sum()  # no ties where the clipped values all read 5.0
        if flavour == "myfm":  # the rating prediction is the clipped posterior mean
            np.testing.assert_array_equal(np.clip(pred.ranking, 0.5, 5), pred.values)
        else:  # libFM's: the mean of each sweep's clipped prediction, never above the clipped mean (Jensen)
            assert (pred.values <= np.clip(pred.ranking, 0.5, 5) + 1e-5).all()


def test_new_movies_are_ranked_among_new_movies_and_among_all():
    """The item cold-start protocol ranks a fold's new movies among themselves: a scorer that puts
    every old movie first scores 0 among all and well among new; `among` only narrows the candidates,
    so among every movie it equals the unrestricted ranking."""
    train, tu, ti, tr = _fold(seed=6)
    new = np.zeros(train.n_items, bool)
    new[ti] = True
    users = ranked_users(tu, tr, None, 0)
    truth = np.zeros((train.n_users, train.n_items))
    truth[tu, ti] = np.where(tr >= 4, 1.0, 0.5)  # the hits on top among the new movies...
    scores = np.where(new, 0.0, 10.0)[None, :] + truth   # ...behind every old movie
    score_rows = lambda users: scores[users]  # noqa: E731
    among_all = summarise(evaluate_ranking(score_rows, train, tu, ti, tr, users, (1, 2)))
    among_new = summarise(evaluate_ranking(score_rows, train, tu, ti, tr, users, (1, 2), among=new))
    everything = summarise(evaluate_ranking(score_rows, train, tu, ti, tr, users, (1, 2),
                                            among=np.ones(train.n_items, bool)))
    assert among_all["recall@1"] == 0 and among_new["recall@1"] > 0.3 and among_new["ndcg@1"] == 1.0
    assert everything == among_all
