"""The JAX Gibbs sampler is libFM's / myfm's model: exact parallel draws, same posterior, clear errors."""
import numpy as np
import pytest

from vt2lib.rating import fm_gibbs as G
from vt2lib.rating.evaluation import assign_folds
from vt2lib.rating.fm import fm_fit, prior_groups
from vt2lib.rating.predictors import Ratings


def planted(n_users=943, n_items=1682, n_ratings=100_000, k=3, seed=0):
    """ML-100k-sized ratings from planted biases and factors, rounded to half stars; item genres."""
    rng = np.random.default_rng(seed)
    P, Q = rng.normal(0, 0.6, (n_users, k)), rng.normal(0, 0.6, (n_items, k))
    genres = (rng.random((n_items, 6)) < 0.25).astype(np.float64)
    bi = rng.normal(0, 0.3, n_items) + genres @ rng.normal(0, 0.4, 6)
    pop = rng.lognormal(0, 1.0, n_items)
    u = rng.integers(0, n_users, n_ratings)
    i = rng.choice(n_items, n_ratings, p=pop / pop.sum())
    key = np.unique(u * n_items + i)
    u, i = key // n_items, key % n_items
    y = 3.5 + rng.normal(0, 0.3, n_users)[u] + bi[i] + (P[u] * Q[i]).sum(1) + rng.normal(0, 0.7, len(u))
    y = np.clip(np.round(y * 2) / 2, 0.5, 5.0)
    return u.astype(np.int32), i.astype(np.int32), y.astype(np.float32), genres


def ratings(u, i, y, n_users, n_items):
    return Ratings(u.astype(np.int32), i.astype(np.int32), y.astype(np.float32), n_users, n_items)


# ------------------------------------------------------------------ exactness of the parallel draw
def coordinate_sweep(s: dict, d: G.Draws, X: np.ndarray, y: np.ndarray, group: np.ndarray, n_groups: int) -> dict:
    """myfm's sweep written plainly: every coordinate on its own, dense X, float64."""
    s = {k: np.array(v, np.float64) for k, v in s.items()}
    d = G.Draws(*(np.asarray(a, np.float64) for a in d))
    n, F = X.shape
    w, V = s["w"], s["V"]
    pred = lambda: s["w0"] + X @ w + 0.5 * ((X @ V) ** 2 - (X ** 2) @ (V ** 2)).sum(1)  # noqa: E731
    r = y - pred()
    alpha = d.g_alpha / ((G.BETA_0 + r @ r) / 2)
    quad = alpha * n + G.REG_0
    w0 = alpha * (r + s["w0"]).sum() / quad + d.z_w0 / np.sqrt(quad)
    r -= w0 - s["w0"]

    def hyper(theta, mu, g_lam, z_mu):
        lam, new_mu = np.empty_like(mu), np.empty_like(mu)
        for g in range(n_groups):
            t = theta[group == g]
            lam[g] = g_lam[g] / ((G.BETA_0 + ((t - mu[g]) ** 2).sum(0)) / 2)
            q = lam[g] * (G.GAMMA_0 + len(t))
            new_mu[g] = lam[g] * (G.GAMMA_0 * G.MU_0 + t.sum(0)) / q + z_mu[g] / np.sqrt(q)
        return new_mu, lam

    def draw(old, h, lam, mu, z):
        quad = lam + alpha * h @ h
        return (lam * mu + alpha * h @ (r + old * h)) / quad + z / np.sqrt(quad)

    mu_w, lambda_w = hyper(w, s["mu_w"], d.g_lambda_w, d.z_mu_w)
    for j in range(F):
        g, h = group[j], X[:, j]
        new = draw(w[j], h, lambda_w[g], mu_w[g], d.z_w[j])
        r -= (new - w[j]) * h
        w[j] = new
    mu_V, lambda_V = hyper(V, s["mu_V"], d.g_lambda_V, d.z_mu_V)
    for f in range(V.shape[1]):
        for j in range(F):
            g, x = group[j], X[:, j]
            h = x * (X @ V[:, f] - V[j, f] * x)
            new = draw(V[j, f], h, lambda_V[g, f], mu_V[g, f], d.z_V[f, j])
            r -= (new - V[j, f]) * h
            V[j, f] = new
    return dict(w0=w0, w=w, V=V, alpha=alpha, mu_w=mu_w, lambda_w=lambda_w, mu_V=mu_V, lambda_V=lambda_V)


def test_parallel_sweep_equals_coordinate_by_coordinate_sweep():
    import jax
    rng = np.random.default_rng(3)
    n_users, n_items, rank = 7, 5, 3
    u, i = np.meshgrid(np.arange(n_users), np.arange(n_items), indexing="ij")
    keep = rng.random(u.size) < 0.7
    u, i = u.ravel()[keep], i.ravel()[keep]
    y = rng.integers(1, 11, len(u)) / 2
    side = np.column_stack([rng.random(n_items) < 0.5, rng.normal(size=n_items), rng.normal(size=n_items)])
    train = ratings(u, i, y, n_users, n_items)
    data = G.FMData.build(train, side, [n_users, n_items, 1, 2])   # 4 prior groups
    F = data.n_features
    state = G.State(np.float32(3.1), rng.normal(0, 0.3, F), rng.normal(0, 0.3, (F, rank)), np.float32(1.0),
                    rng.normal(size=4), rng.gamma(2, size=4), rng.normal(size=(4, rank)), rng.gamma(2, size=(4, rank)),
                    np.zeros(1))
    state = state._replace(**{k: np.asarray(v, np.float32) for k, v in state._asdict().items()})
    draws = G.Draws(np.float32(rng.gamma((1 + len(y)) / 2)), *(rng.normal(size=s).astype(np.float32) for s in [()]),
                    rng.gamma(3, size=4).astype(np.float32), rng.normal(size=4).astype(np.float32),
                    rng.normal(size=F).astype(np.float32), rng.gamma(3, size=(4, rank)).astype(np.float32),
                    rng.normal(size=(4, rank)).astype(np.float32), rng.normal(size=(rank, F)).astype(np.float32))
    arrays = G._device_arrays(data)
    _, predict = G._compiled()
    pred = predict(state.w0, state.w, state.V, arrays["user"], arrays["item"], arrays["side"],
                   n_users=n_users, n_items=n_items)
    state = state._replace(r=(arrays["y"] - pred) * arrays["mask"])
    parallel = jax.jit(G._sweep, static_argnames=("n_users", "n_items", "G"))(
        state, draws, **arrays, n_users=n_users, n_items=n_items, G=4)

    X = np.zeros((len(data.y), F))
    X[np.arange(len(data.y)), data.user] = 1
    X[np.arange(len(data.y)), n_users + data.item] = 1
    X[:, n_users + n_items:] = data.side[data.item]
    start = {k: v for k, v in state._asdict().items() if k != "r"}
    reference = coordinate_sweep(start, draws, X, data.y.astype(np.float64), data.group, 4)
    for k, v in reference.items():
        np.testing.assert_allclose(np.asarray(getattr(parallel, k)), v, rtol=2e-4, atol=2e-5, err_msg=k)
    # the residual the sampler carries is the exact residual of the new state
    exact = data.y - predict(parallel.w0, parallel.w, parallel.V, arrays["user"], arrays["item"], arrays["side"],
                             n_users=n_users, n_items=n_items)[: len(data.y)]
    np.testing.assert_allclose(np.asarray(parallel.r)[: len(data.y)], exact, atol=1e-5)


# ------------------------------------------------------------------ same posterior as myfm
@pytest.fixture(scope="module")
def planted_data():
    u, i, y, genres = planted()
    return u, i, y, genres, assign_folds(len(y), 10, 42)


def _cv(planted_data, backend, **kwargs):
    """(median RMSE over 10 folds, fold 0's predictions, hyper-parameter means averaged over folds)."""
    u, i, y, genres, fold = planted_data
    rmse, fits = [], []
    for k in range(10):
        tr, te = fold != k, fold == k
        fit = fm_fit(ratings(u[tr], i[tr], y[tr], 943, 1682), u[te], i[te], rank=8, n_iter=100, seed=k,
                     backend=backend, **kwargs)
        rmse.append(float(np.sqrt(np.mean((fit.prediction - y[te]) ** 2))))
        fits.append(fit)
    hyper = {h: np.mean([f.hyper_means[h] for f in fits], axis=0) for h in fits[0].hyper_means}
    return np.median(rmse), fits[0].prediction, hyper


@pytest.mark.parametrize("setting", ["ids", "grouped", "genres"])
def test_jax_backend_matches_myfm_on_planted_data(planted_data, setting):
    """10-fold median RMSE within 0.004 of myfm's; fold 0's predictions r > 0.98; posterior means
    of alpha and of the groups' lambdas within 15% of myfm's (averaged over the folds: which
    factors a single chain switches on varies from chain to chain, in both samplers)."""
    import scipy.sparse as sp
    kwargs = {"ids": {}, "grouped": {"grouping": True},
              "genres": {"item_side": sp.csr_matrix(planted_data[3])}}[setting]
    jax_rmse, jax_pred, a = _cv(planted_data, "jax", **kwargs)
    myfm_rmse, myfm_pred, b = _cv(planted_data, "myfm", **kwargs)
    assert abs(jax_rmse - myfm_rmse) <= 0.004, (jax_rmse, myfm_rmse)
    assert np.corrcoef(jax_pred, myfm_pred)[0, 1] > 0.98
    assert a["alpha"] == pytest.approx(b["alpha"], rel=0.15)
    np.testing.assert_allclose(a["lambda_w"], b["lambda_w"], rtol=0.15)
    np.testing.assert_allclose(a["lambda_V"].mean(1), b["lambda_V"].mean(1), rtol=0.15)


def test_myfm_relation_block_is_the_per_rating_design():
    """fm_fit hands myfm the item one-hot and side features as a relation block (rows by item);
    with the same seed it must give what the long per-rating rows gave, to rounding."""
    import scipy.sparse as sp

    from vt2lib.rating.fm import _import_myfm, _quiet_myfm, myfm_design
    myfm = _import_myfm()
    rng = np.random.default_rng(0)
    n_users, n_items, n = 200, 80, 6000
    u, i = rng.integers(0, n_users, n), rng.integers(0, n_items, n)
    side = sp.csr_matrix(rng.normal(size=(n_items, 16)))
    y = np.clip(3 + rng.normal(size=n), 0.5, 5)
    X, X_rel = myfm_design(u, i, n_users, n_items, side)
    long_rows = sp.hstack([X, sp.csr_matrix((np.ones(n), (np.arange(n), i)), shape=(n, n_items)), side[i]], format="csr")
    predictions = []
    for features, blocks in ((long_rows, []), (X, X_rel)):
        fm = myfm.MyFMRegressor(rank=4, random_seed=3)
        with _quiet_myfm():
            fm.fit(features, y, X_rel=blocks, n_iter=30, group_shapes=[n_users, n_items, 6, 10])
        predictions.append(fm.predict(features, blocks))
    np.testing.assert_allclose(predictions[1], predictions[0], atol=1e-9)


def test_prior_groups_follow_myfm():
    tr = ratings(np.array([0, 1]), np.array([0, 1]), np.array([3.0, 4.0]), 2, 3)
    assert prior_groups(tr, False, None, None) is None
    assert prior_groups(tr, True, None, None) == [2, 3]
    assert prior_groups(tr, False, np.zeros((3, 4)), [1, 3]) == [2, 3, 1, 3]


def test_deterministic_for_a_seed():
    u, i, y, _ = planted(50, 40, 1500, seed=1)
    tr = ratings(u, i, y, 50, 40)
    a, b, c = (G.gibbs_fm(G.FMData.build(tr), u[:30], i[:30], rank=4, n_iter=12, seed=s).prediction for s in (5, 5, 6))
    assert np.array_equal(a, b) and not np.array_equal(a, c)


# ------------------------------------------------------------------ bad input, before compiling
@pytest.fixture
def no_compile(monkeypatch):
    monkeypatch.setattr(G, "_compiled", lambda: pytest.fail("compiled before the input was checked"))


@pytest.mark.parametrize("bad, message", [
    ({"rating": [3.0, np.nan]}, "NaN or inf"),
    ({"rating": [3.0, np.inf]}, "NaN or inf"),
    ({"user": [0, 5]}, "user ids"),
    ({"item": [-1, 0]}, "item ids"),
    ({"side": np.array([[0.0], [np.nan], [1.0]])}, "side features are NaN"),
    ({"side": np.zeros((2, 1))}, "one row per item"),
    ({"user": [], "item": [], "rating": []}, "empty"),
])
def test_bad_input_is_refused_before_compiling(no_compile, bad, message):
    cols = {"user": [0, 1], "item": [0, 2], "rating": [3.0, 4.0]} | {k: v for k, v in bad.items() if k != "side"}
    tr = Ratings(np.array(cols["user"], np.int32), np.array(cols["item"], np.int32),
                 np.array(cols["rating"], np.float32), 2, 3)
    with pytest.raises(G.FMInputError, match=message):
        G.gibbs_fm(G.FMData.build(tr, bad.get("side")), [0], [0], rank=2, n_iter=2)


def test_test_ids_out_of_range_are_refused_before_compiling(no_compile):
    data = G.FMData.build(ratings(np.array([0, 1]), np.array([0, 2]), np.array([3.0, 4.0]), 2, 3))
    with pytest.raises(G.FMInputError, match="out of range"):
        G.gibbs_fm(data, [0, 2], [0, 0], rank=2, n_iter=2)
