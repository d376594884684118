"""Correlation analysis of paper 3.5: how well do trailer features explain a movie's mean rating?

    y = movie_mean_ratings(ratings)
    fit = ols_fit(X, y)               # statsmodels OLS with intercept: r, r2, adj_r2 (in-sample)
    fit["cv_r2"] = cv_r2(X, y, 10)    # out-of-fold R^2: with 256 regressors in-sample R^2 is inflated
    cv_r2_pca(X, y, 10), cv_r2_ridge(X, y, 10)   # regularised fits, their settings chosen inside the CV
    chance_r2(n, p)                   # in-sample R^2 that p pure-noise regressors reach on n movies

>>> round(chance_r2(177, 256), 3), round(chance_r2(13571, 256), 3)   # demo vs ML20M movie counts
(1.0, 0.019)

The paper reports in-sample R and R^2 only; we add adjusted and cross-validated R^2, and
flag the in-sample numbers where p regressors on n movies make them meaningless.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd


def movie_mean_ratings(ratings: pd.DataFrame) -> pd.Series:
    return ratings.groupby("movieId").rating.mean().rename("mean_rating")


def ols_fit(X: np.ndarray, y: np.ndarray) -> dict:
    """In-sample OLS (with intercept): R = sqrt(R^2) as the paper reports, plus adjusted R^2
    (NaN where there are at least as many parameters as movies: R^2 is 1 by construction)."""
    import statsmodels.api as sm
    X = np.asarray(X, np.float64).reshape(len(y), -1)
    saturated = X.shape[1] + 1 >= len(y)
    with warnings.catch_warnings():
        if saturated:  # statsmodels' rank-deficiency and divide-by-zero warnings; Table 3 flags the row
            warnings.simplefilter("ignore")
        res = sm.OLS(np.asarray(y, np.float64), sm.add_constant(X, has_constant="add")).fit()
        r2 = float(res.rsquared)
        adj_r2 = float("nan") if saturated else float(res.rsquared_adj)
    return {"r": float(np.sqrt(max(r2, 0.0))), "r2": r2, "adj_r2": adj_r2,
            "n": int(len(y)), "p": int(X.shape[1]), "fitted": res.fittedvalues, "residuals": res.resid,
            "params": res.params}


def cv_r2(X: np.ndarray, y: np.ndarray, n_folds: int = 10, seed: int = 42) -> float:
    """Out-of-fold R^2 of the same linear regression: 1 - SS_res(oof) / SS_tot."""
    from sklearn.linear_model import LinearRegression
    return _oof_r2(LinearRegression(), X, y, n_folds, seed)


def _r2_of(y: np.ndarray, oof: np.ndarray) -> float:
    """Out-of-fold R^2: 1 - SS_res(oof) / SS_tot."""
    return float(1 - ((y - oof) ** 2).sum() / ((y - y.mean()) ** 2).sum())


def _oof_r2(model, X, y, n_folds: int, seed: int) -> float:
    from sklearn.model_selection import KFold, cross_val_predict
    X = np.asarray(X, np.float64).reshape(len(y), -1)
    y = np.asarray(y, np.float64)
    oof = cross_val_predict(model, X, y, cv=KFold(n_folds, shuffle=True, random_state=seed))
    return _r2_of(y, oof)


def principal_component_regression(X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray,
                                   ks) -> np.ndarray:
    """Predictions for X_test of OLS on the first k principal components of X_train, for every k
    in `ks`: an array (len(ks), len(X_test)).

    The training scores of the components are centred and uncorrelated, so each component's OLS
    coefficient is the same in every model that contains it: one SVD gives all k as running sums
    (what PCA(k) + LinearRegression fit one k at a time)."""
    mean, y_mean = X_train.mean(0), y_train.mean()
    u, s, vt = np.linalg.svd(X_train - mean, full_matrices=False)
    k_max = max(ks)
    # on the scores z_j = X v_j = u_j s_j; a component without variance gets 0, as least squares gives it
    spread = s[:k_max] > s[0] * max(X_train.shape) * np.finfo(np.float64).eps
    coef = np.where(spread, u[:, :k_max].T @ (y_train - y_mean) / np.where(spread, s[:k_max], 1.0), 0.0)
    running = np.cumsum(((X_test - mean) @ vt[:k_max].T) * coef, axis=1)
    return y_mean + running[:, np.asarray(ks) - 1].T


def ridge_regression(X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray, alphas) -> np.ndarray:
    """Predictions for X_test of ridge regression with intercept (scikit-learn's Ridge) for every
    alpha in `alphas`: an array (len(alphas), len(X_test)), from one SVD of the centred X_train
    (coefficients V diag(s / (s^2 + alpha)) U^T y for each alpha)."""
    mean, y_mean = X_train.mean(0), y_train.mean()
    u, s, vt = np.linalg.svd(X_train - mean, full_matrices=False)
    shrunk = s / (s ** 2 + np.asarray(alphas, np.float64)[:, None]) * (u.T @ (y_train - y_mean))
    return y_mean + shrunk @ (vt @ (X_test - mean).T)


def _nested_cv_r2(X, y, n_folds: int, seed: int, inner_splits: int, grid, predict, inner_loss,
                  scale: bool = False) -> float:
    """Out-of-fold R^2 of `predict(X_fit, y_fit, X_check, grid)` (one row per grid point), the grid
    point chosen on each outer training part by an inner KFold(inner_splits): the lowest sum of
    `inner_loss(predictions, y_check)` over the inner folds, the first on ties (GridSearchCV's
    choice). `scale`: standardise on the outer training part first (a StandardScaler pipeline)."""
    from sklearn.model_selection import KFold
    from sklearn.preprocessing import StandardScaler
    X = np.asarray(X, np.float64).reshape(len(y), -1)
    y = np.asarray(y, np.float64)
    inner = KFold(inner_splits, shuffle=True, random_state=seed)
    oof = np.empty_like(y)
    for train, test in KFold(n_folds, shuffle=True, random_state=seed).split(X):
        X_train, X_test, y_train = X[train], X[test], y[train]
        if scale:
            scaler = StandardScaler().fit(X_train)
            X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
        loss = np.zeros(len(grid))
        for fit, check in inner.split(X_train):
            loss += inner_loss(predict(X_train[fit], y_train[fit], X_train[check], grid), y_train[check])
        oof[test] = predict(X_train, y_train, X_test, [grid[int(np.argmin(loss))]])[0]
    return _r2_of(y, oof)


def cv_r2_pca(X: np.ndarray, y: np.ndarray, n_folds: int = 10, seed: int = 42) -> float:
    """Out-of-fold R^2 of OLS on the first k principal components, k chosen by an inner CV on
    each outer training part (the outer test movies never choose k): the lowest mean inner-fold
    MSE, the smaller k on ties, as GridSearchCV chooses."""
    X = np.asarray(X, np.float64).reshape(len(y), -1)
    inner_splits = min(5, n_folds)
    # at most as many components as the smallest inner training part can fit
    limit = min(X.shape[1], len(y) * (n_folds - 1) // n_folds * (inner_splits - 1) // inner_splits - 2)
    grid = sorted({k for k in (1, 2, 3, 5, 10, 20, 50, 100, 200) if k <= max(limit, 1)})
    return _nested_cv_r2(X, y, n_folds, seed, inner_splits, grid, principal_component_regression,
                         lambda pred, y_check: ((pred - y_check) ** 2).mean(1))


RIDGE_ALPHAS = np.logspace(-3, 5, 17)


def cv_r2_ridge(X: np.ndarray, y: np.ndarray, n_folds: int = 10, seed: int = 42) -> float:
    """Out-of-fold R^2 of ridge regression on standardised regressors, its alpha chosen by an inner
    5-fold CV on each outer training part: the highest mean inner-fold R^2, as scikit-learn's
    StandardScaler + RidgeCV(RIDGE_ALPHAS, cv=KFold(5)) choose it (tests/test_fusion_correlation.py
    checks the two agree); one SVD per fit gives every alpha. Not RidgeCV's efficient
    leave-one-out: with about as many regressors as training movies it picked a near-zero alpha in
    1 of 50 planted cases, and R^2 fell to -3.8 (tests/benchmarks/spreads.json, correlation)."""
    return _nested_cv_r2(X, y, n_folds, seed, 5, RIDGE_ALPHAS, ridge_regression, _minus_r2, scale=True)


def _minus_r2(pred: np.ndarray, y_check: np.ndarray) -> np.ndarray:
    """-R^2 of each row of `pred` on y_check, as scikit-learn's r2_score scores an inner fold (one
    whose ratings are all equal: 1 where a row fits them exactly, else 0)."""
    residual, total = ((pred - y_check) ** 2).sum(1), ((y_check - y_check.mean()) ** 2).sum()
    if total == 0:
        return -(residual == 0).astype(np.float64)
    return residual / total - 1


def chance_r2(n: int, p: int) -> float:
    """Expected in-sample R^2 of OLS with p pure-noise regressors on n observations: p / (n - 1)."""
    return min(1.0, p / max(n - 1, 1))


UNRELIABLE_CHANCE_R2 = 0.1   # flag in-sample R^2 where noise alone would reach this


def regression_row(X: np.ndarray, y: np.ndarray, n_folds: int, seed: int) -> dict:
    """One row of Table 3: the paper's in-sample OLS, its reliability, and out-of-fold R^2
    of OLS, PCA + OLS and ridge (their settings chosen inside each training part)."""
    fit = ols_fit(X, y)
    fit["cv_r2"] = cv_r2(X, y, n_folds, seed)
    fit["cv_r2_pca"] = cv_r2_pca(X, y, n_folds, seed)
    fit["cv_r2_ridge"] = cv_r2_ridge(X, y, n_folds, seed)
    fit["chance_r2"] = chance_r2(fit["n"], fit["p"])
    return fit


def vector_regression(cfg, source, mean_rating: pd.Series) -> dict:
    """regression_row of each movie's mean rating (`mean_rating`, by movieId) on its item vectors
    (a VectorSource: Table 3's row (a) regresses on a trailer embedding), over the movies that have one."""
    from vt2lib.rating.item_vectors import load_vectors
    ids, X = load_vectors(cfg, source)
    emb = pd.DataFrame(X, index=ids).reindex(mean_rating.index).dropna()
    return regression_row(emb.to_numpy(), mean_rating.loc[emb.index].to_numpy(), cfg.cv_folds_r2, cfg.seed)


TABLE3_COLUMNS = ["R", "R^2", "adjusted R^2", "CV R^2 (OLS)", "CV R^2 (PCA)", "CV R^2 (ridge)", "noise R^2 p/(n-1)",
                  "in-sample R, R^2", "movies", "regressors"]


def table3_frame(rows: dict[str, dict], published: pd.DataFrame) -> pd.DataFrame:
    """Table 3 in the paper's row order with our columns beside the published R and R^2.

    In-sample R and R^2 are marked unreliable where p regressors on n movies give noise alone
    an R^2 >= UNRELIABLE_CHANCE_R2 (the demo's 256 regressors on < 257 movies fit exactly)."""
    table = pd.DataFrame({name: {
        "R": f["r"], "R^2": f["r2"], "adjusted R^2": f["adj_r2"], "CV R^2 (OLS)": f["cv_r2"],
        "CV R^2 (PCA)": f["cv_r2_pca"], "CV R^2 (ridge)": f["cv_r2_ridge"],
        "noise R^2 p/(n-1)": f["chance_r2"],
        "in-sample R, R^2": (f"UNRELIABLE: noise alone reaches R^2 {f['chance_r2']:.2f}"
                             if f["chance_r2"] >= UNRELIABLE_CHANCE_R2 else "ok"),
        "movies": f["n"], "regressors": f["p"]} for name, f in rows.items()}).T
    table = table.reindex(index=published.index, columns=TABLE3_COLUMNS)  # rows without data: n/a
    for col in ("movies", "regressors"):
        table[col] = table[col].astype("Int64")
    table.insert(0, "Independent variable X", published.description)
    table["R (paper)"], table["R^2 (paper)"] = published.r, published.r2
    return table


def popularity_filter(meta: pd.DataFrame, percentile: float) -> tuple[pd.Series, dict]:
    """The authors kept trailers above the p-th percentile of views, likes and dislikes.

    Returns (mask, counts of what each condition dropped). Columns without data (no
    dislikes from YouTube) are not filtered on and reported as such.
    """
    mask = pd.Series(True, index=meta.index)
    counts = {}
    for col in ("views", "likes", "dislikes"):
        v = pd.to_numeric(meta[col], errors="coerce")
        if v.notna().sum() == 0:
            counts[col] = "no data"
            continue
        cut = np.nanpercentile(v, percentile)
        keep = v > cut
        counts[col] = int((mask & ~keep).sum())
        mask &= keep
    return mask, counts


def log_like_ratio(likes: pd.Series, dislikes: pd.Series) -> tuple[pd.Series, int]:
    """log(likes / dislikes); zero dislikes (infinite ratio) or zero likes give NaN and are counted."""
    likes, dislikes = pd.to_numeric(likes, errors="coerce"), pd.to_numeric(dislikes, errors="coerce")
    undefined = (dislikes <= 0) | (likes <= 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.log(likes / dislikes)
    return ratio.where(~undefined), int((undefined & dislikes.notna() & likes.notna()).sum())


def fit_figure(x, y, fitted, xlabel: str, title: str):
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    ax.scatter(x, y, s=8, alpha=0.5, label="movies")
    order = np.argsort(np.asarray(x))
    ax.plot(np.asarray(x)[order], np.asarray(fitted)[order], color="red", label="linear fit")
    ax.set(xlabel=xlabel, ylabel="mean rating of the movie", title=title)
    ax.legend(fontsize=8)
    return fig


def residual_figure(fitted, residuals, title: str):
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    ax.scatter(fitted, residuals, s=8, alpha=0.5)
    ax.axhline(0, color="red", lw=1)
    ax.set(xlabel="fitted mean rating", ylabel="residual", title=title)
    return fig
