"""Bayesian factorization machine with myfm, equivalent to libFM's default MCMC.

libFM: `-method mcmc -dim '1,1,32' -iter 100 -init_stdev 0.1` on one-hot user and item ids.
myfm's Gibbs sampler has the same model and hyper-priors; its prediction is the posterior
mean over the kept samples, which we clip to the rating range as libFM does.

    pred = fm_predict(train, test_u, test_i, rank=32, n_iter=100, init_stdev=0.1, seed=fold)
"""
from __future__ import annotations

import contextlib
import functools
import warnings

import numpy as np
import scipy.sparse as sp

from .predictors import RATING_MAX, RATING_MIN, Prediction, Ratings


def one_hot(users: np.ndarray, items: np.ndarray, n_users: int, n_items: int,
            side: sp.csr_matrix | None = None) -> sp.csr_matrix:
    """[user one-hot | item one-hot | optional item side features (rows by item)]."""
    n = len(users)
    rows = np.repeat(np.arange(n), 2)
    cols = np.column_stack([users, n_users + np.asarray(items)]).ravel()
    X = sp.csr_matrix((np.ones(2 * n, np.float64), (rows, cols)), shape=(n, n_users + n_items))
    if side is not None:
        X = sp.hstack([X, side[items]], format="csr")
    return X


def _import_myfm():
    # myfm imports pkg_resources (hence the setuptools<82 pin), which warns on import
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
        import myfm
    return myfm


@contextlib.contextmanager
def _quiet_myfm():
    """myfm draws a text progress bar for every fit (60+ lines per fold in a notebook);
    our fold loop already shows progress, so the sampler's bar is switched off."""
    base = _import_myfm().base
    original = base.tqdm
    base.tqdm = functools.partial(original, disable=True)
    try:
        yield
    finally:
        base.tqdm = original


def fm_predict(train: Ratings, test_u, test_i, rank: int = 32, n_iter: int = 100, init_stdev: float = 0.1,
               seed: int = 42, grouping: bool = False, item_side: sp.csr_matrix | None = None,
               side_groups: list[int] | None = None) -> Prediction:
    """Posterior-mean FM predictions; `grouping` gives users and items their own priors (libFM -meta)."""
    myfm = _import_myfm()
    X = one_hot(train.user, train.item, train.n_users, train.n_items, item_side)
    Xt = one_hot(np.asarray(test_u), np.asarray(test_i), train.n_users, train.n_items, item_side)
    groups = None
    if grouping or item_side is not None:
        groups = [train.n_users, train.n_items] + (side_groups or ([item_side.shape[1]] if item_side is not None else []))
    fm = myfm.MyFMRegressor(rank=rank, init_stdev=init_stdev, random_seed=int(seed))
    with _quiet_myfm():
        fm.fit(X, train.rating.astype(np.float64), n_iter=n_iter, group_shapes=groups)
    pred = fm.predict(Xt)
    return Prediction(np.clip(pred, RATING_MIN, RATING_MAX).astype(np.float32))
