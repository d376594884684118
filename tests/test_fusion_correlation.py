"""Fusion sweep, percentile bands, OLS/R^2 against numpy, cross-validated R^2, like-ratio handling."""
import numpy as np
import pandas as pd
import pytest

from vt2lib.analysis import correlation as C
from vt2lib.analysis import fusion


def _preds(seed):
    n = 300
    base = pd.DataFrame({"userId": np.arange(n), "movieId": np.arange(n) % 17, "fold": np.arange(n) % 3,
                         "rating": np.random.default_rng(99).integers(1, 11, n) / 2})
    rng = np.random.default_rng(seed)
    return base.assign(prediction=base.rating + rng.normal(0, 0.5 + seed * 0.3, n))


def test_sweep_endpoints_reproduce_inputs():
    fm, content = _preds(0), _preds(1)
    sweep = fusion.fusion_sweep(fm, content, fusion.k_grid(0.25))
    assert sweep.k.unique().tolist() == [0, 0.25, 0.5, 0.75, 1]
    for k, p in ((1.0, fm), (0.0, content)):
        got = sweep[sweep.k == k].set_index("fold").rmse
        want = p.groupby("fold").apply(lambda g: np.sqrt(((g.prediction - g.rating) ** 2).mean()), include_groups=False)
        np.testing.assert_allclose(got.sort_index(), want.sort_index())


def test_mismatched_prediction_sets_are_refused():
    with pytest.raises(ValueError):
        fusion.fusion_sweep(_preds(0), _preds(1).iloc[:-5], fusion.k_grid(0.5))


def test_percentile_bands():
    sweep = pd.DataFrame({"fold": [0, 1, 2, 3, 4] * 2, "k": [0.0] * 5 + [1.0] * 5,
                          "rmse": [1, 2, 3, 4, 5, 2, 2, 2, 2, 12.0]})
    b = fusion.percentile_bands(sweep, "rmse")
    assert b.loc[0.0].to_dict() == pytest.approx({"mean": 3, "median": 3, "p0": 1, "p10": 1.4, "p90": 4.6, "p100": 5})
    assert b.loc[1.0, "mean"] == 4 and b.loc[1.0, "median"] == 2
    assert fusion.best_k_per_fold(sweep).tolist() == [0.0, 0.0, 1.0, 1.0, 0.0]  # a tie goes to the smaller k


def test_ols_matches_numpy_lstsq():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = X @ [0.5, -1, 0.2] + 1 + rng.normal(0, 1, 200)
    fit = C.ols_fit(X, y)
    A = np.column_stack([np.ones(200), X])
    beta = np.linalg.lstsq(A, y, rcond=None)[0]
    r2 = 1 - ((y - A @ beta) ** 2).sum() / ((y - y.mean()) ** 2).sum()
    assert fit["r2"] == pytest.approx(r2) and fit["r"] == pytest.approx(np.sqrt(r2))
    np.testing.assert_allclose(fit["params"], beta)
    assert fit["adj_r2"] == pytest.approx(1 - (1 - r2) * 199 / 196)


def test_cv_r2_recovers_known_signal_and_exposes_overfitting():
    """Spread over 50 data seeds (tests/benchmarks/spreads.json, correlation): the true-0.8 CV R^2
    0.8006 sd 0.0050 (bound +-0.02: 4 sd); in-sample OLS R^2 on noise (50 regressors, 60 rows,
    expected 50/59) 0.856 sd 0.061 (bound 0.65: 3.4 sd); its CV R^2 is -24 sd 19, never above -6."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=5000)
    y = 2 * x + rng.normal(size=5000)  # true R^2 = 4/5
    assert C.cv_r2(x, y, 10) == pytest.approx(0.8, abs=0.02)
    noise = rng.normal(size=(60, 50))
    target = rng.normal(size=60)
    assert C.ols_fit(noise, target)["r2"] > 0.65 and C.cv_r2(noise, target, 10) < 0


def test_like_ratio_counts_infinite_ratios():
    ratio, n = C.log_like_ratio(pd.Series([10, 5, 0, 7]), pd.Series([5, 0, 3, np.nan]))
    assert n == 2 and ratio.iloc[0] == pytest.approx(np.log(2)) and ratio.iloc[1:].isna().all()


def test_popularity_filter_counts_and_missing_dislikes():
    meta = pd.DataFrame({"views": np.arange(1, 21), "likes": np.arange(1, 21)[::-1], "dislikes": np.nan})
    mask, counts = C.popularity_filter(meta, 10)
    assert counts["dislikes"] == "no data" and counts["views"] == 2 and counts["likes"] == 2
    assert mask.sum() == 16


def planted_embeddings(rng, n_movies=177, n_dims=140):
    """Embedding-like regressors (4 strong directions under isotropic noise) and a rating that
    depends on 2 of them (true R^2 ~0.6); 140 dimensions are about a 5-fold training part's rows,
    where OLS overfits worst."""
    Z = rng.normal(size=(n_movies, 4))
    X = Z @ rng.normal(size=(4, n_dims)) + 4 * rng.normal(size=(n_movies, n_dims))
    return X, Z[:, :2] @ [0.6, 0.4] + rng.normal(0, 0.5, n_movies)


def test_regularised_cv_r2_finds_signal_where_ols_cannot():
    """About as many regressors as training movies: OLS overfits; PCA and ridge, with their
    settings chosen inside each training part, recover the planted signal; on pure noise they
    stay near zero. Spread over 50 data seeds (tests/benchmarks/spreads.json, correlation): OLS
    CV R^2 -2400 sd 6500, never above -29 (bound 0); ridge 0.500 sd 0.067 (bound 0.28: 3.3 sd);
    PCA 0.561 sd 0.064 (bound 0.35: 3.3 sd); on noise PCA -0.019 sd 0.014 (bound 0.03: 3.6 sd)
    and ridge -0.012 sd 0.007 (5.7 sd)."""
    rng = np.random.default_rng(0)
    X, y = planted_embeddings(rng)
    assert C.cv_r2(X, y, 5) < 0
    assert C.cv_r2_ridge(X, y, 5) > 0.28 and C.cv_r2_pca(X, y, 5) > 0.35
    noise = rng.normal(size=300)
    for f in (C.cv_r2_pca, C.cv_r2_ridge):
        assert f(rng.normal(size=(300, 50)), noise, 5) < 0.03


def _sklearn_cv_r2_pca(X, y, n_folds, seed, grid):
    """The reference: scikit-learn's PCA + OLS pipeline, k chosen by GridSearchCV per outer part."""
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LinearRegression
    from sklearn.model_selection import GridSearchCV, KFold, cross_val_predict
    from sklearn.pipeline import Pipeline
    search = GridSearchCV(Pipeline([("pca", PCA()), ("ols", LinearRegression())]), {"pca__n_components": grid},
                          cv=KFold(min(5, n_folds), shuffle=True, random_state=seed),
                          scoring="neg_mean_squared_error")
    oof = cross_val_predict(search, X, y, cv=KFold(n_folds, shuffle=True, random_state=seed))
    return 1 - ((y - oof) ** 2).sum() / ((y - y.mean()) ** 2).sum()


@pytest.mark.parametrize("shape, rank", [((177, 256), 256), ((120, 8), 8), ((120, 8), 3)])
def test_pca_regression_is_scikit_learns_pca_and_ols(shape, rank):
    """One SVD for every k gives what PCA(k) + LinearRegression fit one k at a time, and the
    cross-validated R^2 is GridSearchCV's (same folds, same choice of k); also where X has fewer
    directions than components asked for (rank 3 of 8 columns)."""
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LinearRegression
    from sklearn.pipeline import make_pipeline
    rng = np.random.default_rng(3)
    X = rng.normal(size=(shape[0], rank)) @ rng.normal(size=(rank, shape[1]))  # correlated columns
    y = X[:, :2] @ [0.02, -0.01] + rng.normal(0, 0.5, shape[0])
    ks = [1, 2, 5, 8]
    ours = C.principal_component_regression(X[:100], y[:100], X[100:], ks)
    for k, row in zip(ks, ours):
        reference = make_pipeline(PCA(k), LinearRegression()).fit(X[:100], y[:100]).predict(X[100:])
        np.testing.assert_allclose(row, reference, rtol=1e-7, atol=1e-9)
    n, n_folds = shape[0], 5  # 5 outer folds: GridSearchCV's PCA fits are this test's time
    limit = min(shape[1], n * (n_folds - 1) // n_folds * 4 // 5 - 2)
    grid = sorted({k for k in (1, 2, 3, 5, 10, 20, 50, 100, 200) if k <= limit})
    assert C.cv_r2_pca(X, y, n_folds, 7) == pytest.approx(_sklearn_cv_r2_pca(X, y, n_folds, 7, grid), abs=1e-9)


def _sklearn_cv_r2_ridge(X, y, n_folds, seed):
    """The reference: scikit-learn's StandardScaler + RidgeCV (a GridSearchCV over alpha, R^2) per outer part."""
    from sklearn.linear_model import RidgeCV
    from sklearn.model_selection import KFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    model = make_pipeline(StandardScaler(), RidgeCV(alphas=C.RIDGE_ALPHAS, cv=KFold(5, shuffle=True, random_state=seed)))
    oof = cross_val_predict(model, X, y, cv=KFold(n_folds, shuffle=True, random_state=seed))
    return 1 - ((y - oof) ** 2).sum() / ((y - y.mean()) ** 2).sum()


@pytest.mark.parametrize("n_folds", [5, 3])
def test_ridge_from_one_svd_is_scikit_learns_ridge_and_ridgecv(n_folds):
    """One SVD gives scikit-learn's Ridge for every alpha, and cv_r2_ridge's nested CV is the
    StandardScaler + RidgeCV pipeline's (same folds, same alpha chosen): with more regressors than a
    training part has movies (the demo's case), a constant column, and fewer outer folds than inner."""
    from sklearn.linear_model import Ridge
    rng = np.random.default_rng(5)  # data on which 3 inner folds choose other alphas than 5 (asserted below)
    X, y = planted_embeddings(rng, n_movies=150, n_dims=160)
    X[:, 7] = 2.5  # a feature no trailer varies (a dead unit of the frozen features)
    ours = C.ridge_regression(X[:100], y[:100], X[100:], C.RIDGE_ALPHAS)
    for alpha, row in zip(C.RIDGE_ALPHAS, ours):
        np.testing.assert_allclose(row, Ridge(alpha).fit(X[:100], y[:100]).predict(X[100:]), rtol=1e-7, atol=1e-9)
    reference = _sklearn_cv_r2_ridge(X, y, n_folds, 7)
    assert C.cv_r2_ridge(X, y, n_folds, 7) == pytest.approx(reference, abs=1e-9)
    # an inner fold whose ratings are all equal scores as r2_score scores it: 1 for an exact fit, else 0
    np.testing.assert_array_equal(C._minus_r2(np.array([[3.0, 3.0], [3.0, 3.5]]), np.array([3.0, 3.0])), [-1, 0])
    if n_folds == 3:  # RidgeCV keeps 5 inner folds under 3 outer ones: min(5, n_folds) would be caught here
        three_inner = C._nested_cv_r2(X, y, 3, 7, 3, C.RIDGE_ALPHAS, C.ridge_regression, C._minus_r2, scale=True)
        assert abs(three_inner - reference) > 1e-3


def test_saturated_ols_is_flagged_not_warned_about():
    """More regressors than movies (the demo's 256-d embeddings on 177 movies): R^2 is 1 by
    construction, adjusted R^2 undefined (NaN), and statsmodels' warnings stay out of 08."""
    import warnings
    rng = np.random.default_rng(2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = C.ols_fit(rng.normal(size=(30, 40)), rng.normal(size=30))
    assert fit["r2"] == pytest.approx(1.0) and np.isnan(fit["adj_r2"])
    ordinary = C.ols_fit(rng.normal(size=(30, 2)), rng.normal(size=30))
    assert ordinary["adj_r2"] < ordinary["r2"] < 1


def test_table3_flags_p_close_to_n_and_prints_integer_counts():
    from vt2lib.paper import published_table
    from vt2lib.results import to_markdown
    rng = np.random.default_rng(1)
    y = rng.normal(size=40)
    rows = {"embeddings": C.regression_row(rng.normal(size=(40, 60)), y, 5, 0),
            "like_ratio": C.regression_row(y + rng.normal(size=40), y, 5, 0)}
    table = C.table3_frame(rows, published_table(3))
    assert C.chance_r2(40, 60) == 1.0 and C.chance_r2(1001, 1) == pytest.approx(0.001)
    assert table.loc["embeddings", "in-sample R, R^2"].startswith("UNRELIABLE")
    assert table.loc["like_ratio", "in-sample R, R^2"] == "ok"
    assert pd.isna(table.loc["views_likes_dislikes", "R"])  # not computed: shown empty, not faked
    md = to_markdown(table)
    assert "| 40 | 60 |" in md and "40.0000" not in md
    counts = pd.DataFrame({"no_vector": [0, 1], "share": [0.0, 1.0]}, index=["a", "b"])  # a count column of 0s and 1s
    assert to_markdown(counts).splitlines()[2:] == ["| a | 0 | 0.0000 |", "| b | 1 | 1.0000 |"]
