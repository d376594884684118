"""Correlation analysis of paper 3.5: how well do trailer features explain a movie's mean rating?

    y = movie_mean_ratings(ratings)
    fit = ols_fit(X, y)               # statsmodels OLS with intercept: r, r2, adj_r2 (in-sample)
    fit["cv_r2"] = cv_r2(X, y, 10)    # out-of-fold R^2: with 256 regressors in-sample R^2 is inflated

The paper reports in-sample R and R^2 only; we add adjusted and cross-validated R^2.
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def movie_mean_ratings(ratings: pd.DataFrame) -> pd.Series:
    return ratings.groupby("movieId").rating.mean().rename("mean_rating")


def ols_fit(X: np.ndarray, y: np.ndarray) -> dict:
    """In-sample OLS (with intercept): R = sqrt(R^2) as the paper reports, plus adjusted R^2."""
    import statsmodels.api as sm
    X = np.asarray(X, np.float64).reshape(len(y), -1)
    res = sm.OLS(np.asarray(y, np.float64), sm.add_constant(X, has_constant="add")).fit()
    r2 = float(res.rsquared)
    return {"r": float(np.sqrt(max(r2, 0.0))), "r2": r2, "adj_r2": float(res.rsquared_adj),
            "n": int(len(y)), "p": int(X.shape[1]), "fitted": res.fittedvalues, "residuals": res.resid,
            "params": res.params}


def cv_r2(X: np.ndarray, y: np.ndarray, n_folds: int = 10, seed: int = 42) -> float:
    """Out-of-fold R^2 of the same linear regression: 1 - SS_res(oof) / SS_tot."""
    from sklearn.linear_model import LinearRegression
    from sklearn.model_selection import KFold, cross_val_predict
    X = np.asarray(X, np.float64).reshape(len(y), -1)
    y = np.asarray(y, np.float64)
    oof = cross_val_predict(LinearRegression(), X, y, cv=KFold(n_folds, shuffle=True, random_state=seed))
    return float(1 - ((y - oof) ** 2).sum() / ((y - y.mean()) ** 2).sum())


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
