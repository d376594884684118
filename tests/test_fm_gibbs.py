"""The JAX Gibbs sampler is libFM's / myfm's model: exact parallel draws, same posterior, clear errors."""
import numpy as np
import pytest

from vt2lib.rating import fm_gibbs as G
from vt2lib.rating.evaluation import assign_folds
from vt2lib.rating.fm import fm_fit, prior_groups
from vt2lib.rating.predictors import Ratings

from fm_reference_data import planted


def ratings(u, i, y, n_users, n_items):
    return Ratings(u.astype(np.int32), i.astype(np.int32), y.astype(np.float32), n_users, n_items)


# ------------------------------------------------------------------ exactness of the parallel draw
def dense_prediction(w0, w, V, X):
    """The FM's prediction from a dense design matrix, float64."""
    return w0 + X @ w + 0.5 * ((X @ V) ** 2 - (X ** 2) @ (V ** 2)).sum(1)


def coordinate_sweep(s: dict, d: G.Draws, X: np.ndarray, y: np.ndarray, group: np.ndarray, n_groups: int,
                     flavour: G.Flavour) -> dict:
    """libFM's / myfm's sweep written plainly: every coordinate on its own, dense X, float64."""
    s = {k: np.array(v, np.float64) for k, v in s.items()}
    d = G.Draws(*(np.asarray(a, np.float64) for a in d))
    n, F = X.shape
    w, V = s["w"], s["V"]
    r = y - dense_prediction(s["w0"], w, V, X)
    alpha = d.g_alpha / ((G.BETA_0 + r @ r) / 2)
    quad = alpha * n + flavour.reg_0
    w0 = alpha * (r + s["w0"]).sum() / quad + d.z_w0 / np.sqrt(quad)
    r -= w0 - s["w0"]

    def hyper(theta, mu, g_lam, z_mu):
        lam, new_mu = np.empty_like(mu), np.empty_like(mu)
        for g in range(n_groups):
            t = theta[group == g]
            rate = G.BETA_0 + ((t - mu[g]) ** 2).sum(0) + (G.GAMMA_0 * (mu[g] - G.MU_0) ** 2
                                                          if flavour.mu_in_lambda_rate else 0)
            lam[g] = g_lam[g] / (rate / 2)
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


@pytest.mark.parametrize("rows", ["built", "reversed"])
@pytest.mark.parametrize("flavour", ["libfm", "myfm"])
def test_parallel_sweep_equals_coordinate_by_coordinate_sweep(flavour, rows):
    """Exact on any row order: FMData.build interleaves the users (fm_data.interleaved_by_user),
    reversed rows have users descending (the sampler once required them ascending)."""
    import dataclasses

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
    if rows == "reversed":
        data = dataclasses.replace(data, user=data.user[::-1], item=data.item[::-1], y=data.y[::-1])
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
    parallel = jax.jit(G._sweep, static_argnames=("n_users", "n_items", "G", "flavour"))(
        state, draws, **arrays, n_users=n_users, n_items=n_items, G=4, flavour=G.FLAVOURS[flavour])

    X = np.zeros((len(data.y), F))
    X[np.arange(len(data.y)), data.user] = 1
    X[np.arange(len(data.y)), n_users + data.item] = 1
    X[:, n_users + n_items:] = data.side[data.item]
    start = {k: v for k, v in state._asdict().items() if k != "r"}
    reference = coordinate_sweep(start, draws, X, data.y.astype(np.float64), data.group, 4, G.FLAVOURS[flavour])
    for k, v in reference.items():
        np.testing.assert_allclose(np.asarray(getattr(parallel, k)), v, rtol=2e-4, atol=2e-5, err_msg=k)
    # the residual the sampler carries is that of the reference's new state (dense, float64), and 0 on padding
    n = len(data.y)
    exact = data.y - dense_prediction(reference["w0"], reference["w"], reference["V"], X)
    np.testing.assert_allclose(np.asarray(parallel.r)[:n], exact, atol=2e-4)
    assert not np.asarray(parallel.r)[n:].any()


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
    """10-fold median RMSE within 0.0045 of myfm's; fold 0's predictions r > 0.98; posterior means
    of alpha and of the groups' lambdas within 15% of myfm's (averaged over the folds: which
    factors a single chain switches on varies from chain to chain, in both samplers).

    Spread over 4 chain pairs per setting (seed offsets 0-3000; tests/benchmarks/spreads.json,
    planted; another machine's rounding makes another chain, so this is its spread too): the
    median's JAX - myfm difference is -0.0014 / +0.0002 / +0.0002 (ids / grouped / genres) with
    sd 0.0004 / 0.0013 / 0.0008 (pooled 0.0009), at most 0.00182: the bound is >= 3.2 sd from each
    mean, 4.8 pooled sd.
    Fold 0's r: 0.993-0.997 (sd <= 0.0014, the bound 10 sd away). Largest relative difference
    of a lambda: 0.031 / 0.027 / 0.024 (sd <= 0.023), 0.061 at most: 15% is >= 5 sd away."""
    import scipy.sparse as sp
    kwargs = {"ids": {}, "grouped": {"grouping": True},
              "genres": {"item_side": sp.csr_matrix(planted_data[3])}}[setting]
    jax_rmse, jax_pred, a = _cv(planted_data, "jax", **kwargs)
    myfm_rmse, myfm_pred, b = _cv(planted_data, "myfm", **kwargs)
    assert abs(jax_rmse - myfm_rmse) <= 0.0045, (jax_rmse, myfm_rmse)
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


@pytest.mark.parametrize("with_side", [True, False], ids=["side features", "ids only"])
def test_posterior_mean_from_the_samples_is_myfms_predict(with_side):
    """fm_fit's predictions (fm.posterior_mean, per-user and per-item parts of each kept sample)
    equal myfm's own predict on the same pairs, side features and all, and fm_fit returns them."""
    import scipy.sparse as sp

    from vt2lib.rating.fm import _import_myfm, _quiet_myfm, myfm_design, posterior_mean
    myfm = _import_myfm()
    rng = np.random.default_rng(1)
    n_users, n_items, n = 150, 60, 4000
    u, i = rng.integers(0, n_users, n), rng.integers(0, n_items, n)
    side = sp.random(n_items, 12, density=0.4, format="csr", random_state=2) if with_side else None
    y = np.clip(3 + rng.normal(size=n), 0.5, 5)
    train = ratings(u[:3000], i[:3000], y[:3000], n_users, n_items)
    fm = myfm.MyFMRegressor(rank=5, random_seed=4)
    features, blocks = myfm_design(train.user, train.item, n_users, n_items, side)
    with _quiet_myfm():
        fm.fit(features, train.rating.astype(np.float64), X_rel=blocks, n_iter=25,
               group_shapes=prior_groups(train, False, side, None))
    tu, ti = np.repeat(np.arange(n_users), n_items), np.tile(np.arange(n_items), n_users)  # a ranking grid
    X, X_rel = myfm_design(tu, ti, n_users, n_items, side)
    expected = fm.predict(X, X_rel)
    np.testing.assert_allclose(posterior_mean(fm.predictor_.samples, tu, ti, n_users, n_items, side, block=999),
                               expected, rtol=1e-6, atol=1e-6)   # the grid: blocks of 16 users
    some = rng.choice(len(tu), 500, replace=False)                 # scattered pairs: one dot product each
    np.testing.assert_allclose(posterior_mean(fm.predictor_.samples, tu[some], ti[some], n_users, n_items, side,
                                              block=99), expected[some], rtol=1e-6, atol=1e-6)
    fit = fm_fit(train, tu, ti, rank=5, n_iter=25, seed=4, item_side=side, backend="myfm")
    np.testing.assert_allclose(fit.unclipped, expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(fit.prediction, np.clip(fit.unclipped, 0.5, 5.0))


def test_prior_groups_follow_myfm():
    tr = ratings(np.array([0, 1]), np.array([0, 1]), np.array([3.0, 4.0]), 2, 3)
    assert prior_groups(tr, False, None, None) is None
    assert prior_groups(tr, True, None, None) == [2, 3]
    assert prior_groups(tr, False, np.zeros((3, 4)), [1, 3]) == [2, 3, 1, 3]


def test_deterministic_for_a_seed():
    """Bit-identical on the CPU, where XLA sums in a fixed order. On a GPU the scatter-adds sum
    in arbitrary order, so two runs agree to float32 rounding only (tests/benchmarks/device_check.sh
    measures that); the test is pinned to the CPU so that it means the same everywhere."""
    import jax
    u, i, y, _ = planted(50, 40, 1500, seed=1)
    tr = ratings(u, i, y, 50, 40)
    with jax.default_device(jax.devices("cpu")[0]):
        a, b, c = (G.gibbs_fm(G.FMData.build(tr), u[:30], i[:30], rank=4, n_iter=12, seed=s).prediction
                   for s in (5, 5, 6))
    assert np.array_equal(a, b) and not np.array_equal(a, c)


# ------------------------------------------------------------------ the driver, the start, the draws' shapes
@pytest.mark.parametrize("flavour, n_iter, expected", [
    ("myfm", 12, range(5, 12)), ("myfm", 7, range(2, 7)), ("myfm", 4, range(0, 4)), ("libfm", 12, range(0, 12))])
def test_averaged_sweeps(flavour, n_iter, expected):
    """myfm keeps the last min(max(n_iter - 5, 5), n_iter) sweeps; libFM averages all, from the first."""
    assert G.averaged_sweeps(n_iter, G.FLAVOURS[flavour]) == expected


@pytest.mark.parametrize("flavour", ["libfm", "myfm"])
def test_driver_averages_the_flavours_sweeps_and_clips_as_the_flavour_does(monkeypatch, flavour):
    """A stand-in sweep sets w0 to the sweep number (1, 2, ...) and the prediction is w0 - 1.5
    on every test pair: the sweeps' predictions are -0.5, 0.5, ..., n_iter - 1.5. libfm clips
    each to the training range [1, 4] before averaging; myfm averages its kept sweeps and then
    clips the mean to 0.5..5."""
    import jax.numpy as jnp

    def step(state, key, gammas, **kwargs):
        return state._replace(w0=state.w0 + 1)

    def predict(w0, w, V, user, item, side, **kwargs):
        return jnp.full(user.shape[0], w0 - 1.5, jnp.float32)
    monkeypatch.setattr(G, "_compiled", lambda: (step, predict))
    tr = ratings(np.array([0, 1, 1]), np.array([0, 0, 1]), np.array([1.0, 4.0, 2.5]), 2, 2)
    n_iter = 9
    fit = G.gibbs_fm(G.FMData.build(tr), [0, 1], [1, 0], rank=2, n_iter=n_iter, flavour=flavour)
    sweeps = np.arange(1, n_iter + 1) - 1.5    # -0.5, 0.5, ..., 7.5
    if flavour == "libfm":
        expected = np.clip(sweeps, 1.0, 4.0).mean()                   # (1+1+1+1.5+2.5+3.5+4+4+4)/9
    else:
        expected = np.clip(sweeps[-5:].mean(), 0.5, 5.0)               # mean 5.5 of the last 5, clipped to 5
    np.testing.assert_array_equal(fit.prediction, np.float32(expected))


@pytest.mark.parametrize("flavour", ["libfm", "myfm"])
def test_initial_state(flavour):
    """w, V ~ N(0, init_stdev^2) from the init key; w0 = 0 (libFM) or drawn the same way (myfm);
    alpha 1, mu 0, lambda LAMBDA_START; r the residual of that start."""
    import jax
    tr = ratings(np.array([0, 1, 1]), np.array([0, 0, 1]), np.array([1.0, 4.0, 2.5]), 2, 2)
    data = G.FMData.build(tr)
    key = jax.random.PRNGKey(3)
    s = G.initial_state(key, data, G._device_arrays(data), rank=2, init_stdev=0.25, flavour=G.FLAVOURS[flavour])
    k = jax.random.split(key, 3)
    w0 = 0.0 if flavour == "libfm" else 0.25 * float(jax.random.normal(k[0]))
    assert float(s.w0) == pytest.approx(w0, abs=0)
    np.testing.assert_array_equal(s.w, 0.25 * jax.random.normal(k[1], (4,)))
    np.testing.assert_array_equal(s.V, 0.25 * jax.random.normal(k[2], (4, 2)))
    assert float(s.alpha) == 1.0 and not np.asarray(s.mu_w).any() and not np.asarray(s.mu_V).any()
    assert np.all(np.asarray(s.lambda_w) == np.float32(G.LAMBDA_START))
    X = np.array([[1, 0, 1, 0], [0, 1, 1, 0], [0, 1, 0, 1]], np.float64)   # rows in FMData.build's order
    expected = data.y - dense_prediction(float(s.w0), np.asarray(s.w, np.float64), np.asarray(s.V, np.float64), X)
    np.testing.assert_allclose(np.asarray(s.r)[:3], expected, atol=1e-6)


@pytest.mark.parametrize("flavour", ["libfm", "myfm"])
def test_gamma_draws_use_the_real_counts_not_the_padded_rows(monkeypatch, flavour):
    """alpha's shape is (alpha_0 + N)/2 with N the training ratings (1000 here), not the 1024
    padded rows; lambda's is (alpha_0 + n_g + extra)/2 with n_g the features of group g."""
    seen = {}
    real = G.gamma_draws

    def spy(seed, n_iter, n, group_sizes, rank, flavour):
        seen.update(n=n, group_sizes=list(group_sizes), flavour=flavour)
        return real(seed, n_iter, n, group_sizes, rank, flavour)
    monkeypatch.setattr(G, "gamma_draws", spy)
    rng = np.random.default_rng(2)
    u, i, y = rng.integers(0, 60, 1000), rng.integers(0, 50, 1000), rng.integers(1, 11, 1000) / 2
    data = G.FMData.build(ratings(u, i, y, 60, 50), groups=[60, 50])
    assert len(data.y) == 1000 and G._padded(1000) == 1024
    G.gibbs_fm(data, u[:5], i[:5], rank=2, n_iter=1, flavour=flavour)
    assert seen == {"n": 1000, "group_sizes": [60, 50], "flavour": G.FLAVOURS[flavour]}
    rng = np.random.default_rng([7, 1])
    draws = G.gamma_draws(7, 2, 1000, [60, 50], 2, G.FLAVOURS[flavour])
    extra = 1.0 if flavour == "libfm" else 0.0
    np.testing.assert_array_equal(draws["g_alpha"], rng.gamma((1 + 1000) / 2, size=2).astype(np.float32))
    np.testing.assert_array_equal(draws["g_lambda_w"],
                                  rng.gamma((1 + np.array([60.0, 50.0]) + extra) / 2, size=(2, 2)).astype(np.float32))


def test_no_scatter_promises_sorted_indices():
    """Rows come in any order (interleaved by user): a per-row scatter-add told its indices are
    sorted (indices_are_sorted) may mis-sum unsorted ones on a GPU, while a CPU ignores the hint,
    so this looks at the traced sweep itself (the per-group sums over sorted groups may say so)."""
    import jax
    data = G.FMData.build(ratings(np.array([1, 0, 1]), np.array([0, 1, 1]), np.array([3.0, 4.0, 5.0]), 2, 2),
                          np.ones((2, 1)))
    arrays = G._device_arrays(data)
    state = G.initial_state(jax.random.PRNGKey(0), data, arrays, 2, 0.1)
    draws = G.draw_normals(jax.random.PRNGKey(1), {k: v[0] for k, v in G.gamma_draws(0, 1, 3, [5], 2,
                                                                                    G.FLAVOURS["myfm"]).items()}, 5, 2)
    jaxpr = jax.make_jaxpr(lambda s, d: G._sweep(s, d, **arrays, n_users=2, n_items=2, G=1))(state, draws)

    def scatters(j):
        for eqn in j.eqns:
            if eqn.primitive.name.startswith("scatter"):
                yield eqn
            for sub in jax.core.jaxprs_in_params(eqn.params):
                yield from scatters(sub)
    per_row = [e for e in scatters(jaxpr.jaxpr) if e.invars[2].aval.shape == arrays["user"].shape]  # row sums
    assert len(per_row) >= 4 and not any(e.params["indices_are_sorted"] for e in per_row)


def test_fm_data_rows_interleave_the_users():
    """FMData.build's row order: each user's first rating, then each user's second, ...; the
    ratings themselves unchanged (the same (user, item, rating) rows, permuted)."""
    rng = np.random.default_rng(5)
    u, i = rng.integers(0, 30, 500), rng.integers(0, 40, 500)
    y = rng.integers(1, 11, 500) / 2
    data = G.FMData.build(ratings(u, i, y, 30, 40))
    nth = np.array([np.sum(data.user[:k] == data.user[k]) for k in range(len(data.user))])
    assert (np.diff(nth) >= 0).all() and all((np.diff(data.user[nth == k]) > 0).all() for k in set(nth))
    assert sorted(zip(data.user, data.item, data.y)) == sorted(zip(u, i, y.astype(np.float32)))


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
