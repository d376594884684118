"""libFM's MCMC factorization machine as an exact, parallel Gibbs sampler in JAX (CPU or GPU).

    data = FMData.build(train, item_side=S, groups=[n_users, n_items, 19])   # validated, before compiling
    fit = gibbs_fm(data, test_u, test_i, rank=32, n_iter=100, init_stdev=0.1, seed=0, flavour="libfm")
    fit.prediction      # posterior-mean predictions on the test pairs (see the flavours below)
    fit.hyper_means     # means of alpha, lambda_w (G,), lambda_V (G, rank) over the averaged sweeps

Model (libFM `-method mcmc`, myfm's `MyFMRegressor`): x = [one-hot user | one-hot item |
item side features], y = w0 + sum_j w_j x_j + sum_{j<l} <v_j, v_l> x_j x_l + noise of
precision alpha. Per prior group g: w_j ~ N(mu_w_g, 1/lambda_w_g), v_jf ~ N(mu_V_gf,
1/lambda_V_gf); w0 ~ N(0, 1/reg_0). One group for all features unless `groups` splits them
(libFM's -meta file).

Both samplers share, in myFM's names (fm_state.py maps them to libFM's):
- alpha ~ Gamma((alpha_0 + N)/2, rate (beta_0 + sum_i e_i^2)/2), N the training ratings
- lambda_g ~ Gamma((alpha_0 + n_g + extra)/2, rate (beta_0 + sum_j (theta_j - mu_g)^2 + extra_rate)/2)
- mu_g ~ N((gamma_0 mu_0 + sum_j theta_j) / (gamma_0 + n_g), 1 / ((gamma_0 + n_g) lambda_g))
- alpha_0 = beta_0 = gamma_0 = 1, mu_0 = 0; start: w, V ~ N(0, init_stdev^2), mu = 0
- one sweep: alpha, w0, lambda_w, mu_w, w (features in index order), lambda_V, mu_V, then for
  each factor f the column V[:, f] in feature order; the residual is recomputed exactly at the end.
The flavour (fm_state.FLAVOURS) sets where they differ:
- `libfm` (srendle/libfm, fm_learn_mcmc*.h): extra = 1 and extra_rate = gamma_0 (mu_g - mu_0)^2
  (libFM calls that weight beta_0 and the rate gamma_0); a flat prior on w0 (reg_0 = 0) and
  w0 = 0 at the start; the prediction is the mean over *all* sweeps, from the first, of each
  sweep's prediction clipped to the training ratings' range.
- `myfm` (tohtsky/myFM, FMTrainer.hpp): extra = extra_rate = 0; reg_0 = 1 and w0 ~ N(0,
  init_stdev^2) at the start; the prediction is the unclipped mean of the kept sweeps, the last
  min(max(n_iter - 5, 5), n_iter) (`clip` then clips that mean to 0.5..5).

Why the parallel draw is exact: libFM and myfm draw one coordinate at a time, each from its
conditional given all others. Two users never share a rating row, so a user's conditional
does not depend on any other user's parameter: drawing all users of one factor at once from
their conditionals gives the same joint draw as drawing them one after another (the same
holds for items and for the bias terms). Side-feature columns do share rows, so they are
drawn one column at a time, but on per-item sums (myFM's relation blocks): a rating's side
features are its item's, so a column's conditional needs the item's sums of the ratings' user
factors, their squares and residuals, and a column costs O(items) instead of O(ratings).
tests/test_fm_gibbs.py checks the parallel sweep against a coordinate-by-coordinate sweep fed
the same random numbers.

Memory: O(ratings + parameters): the residual lives on the device and is updated after
every block, the test predictions are accumulated inside the loop, no sample is stored.
Determinism: bit-identical for a seed on the CPU. On a GPU XLA's scatter-add sums in
arbitrary order, so runs agree to float32 rounding unless XLA_FLAGS has
--xla_gpu_deterministic_ops=true (tests/benchmarks/device_check.sh checks it, with the RMSE).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from vt2lib.rating.fm_data import FMData, FMInputError  # noqa: F401 - FMInputError: part of this module's interface
from vt2lib.rating.fm_state import (  # noqa: F401 - the constants, State, Draws: this module's interface
    ALPHA_0, BETA_0, FLAVOURS, GAMMA_0, LAMBDA_START, MU_0, Draws, Flavour, State, _hyper, _jax, draw_normals,
    gamma_draws)
from vt2lib.rating.predictors import RATING_MAX, RATING_MIN


def _predict(state_w0, w, V, user, item, side, n_users, n_items):
    """FM prediction on rows (user, item): (n,) without materialising (n, rank) arrays."""
    jax, jnp = _jax()
    wu, wi, ws = w[:n_users], w[n_users:n_users + n_items], w[n_users + n_items:]
    Vu, Vi, Vs = V[:n_users], V[n_users:n_users + n_items], V[n_users + n_items:]
    item_lin = wi + side @ ws                                   # (n_items,)
    item_q = Vi + side @ Vs                                     # (n_items, rank): sum_j x_j v_j of the item part
    item_sq = Vi ** 2 + (side ** 2) @ (Vs ** 2)                 # (n_items, rank): sum_j x_j^2 v_j^2
    # 0.5 * [(a + b)^2 - a^2 - sq_b] per factor, with a = user part, b = item part
    item_self = 0.5 * jnp.sum(item_q ** 2 - item_sq, axis=1)    # (n_items,) pairs inside the item part

    # unrolled over the factors: XLA fuses the gathers into one pass (a fori_loop: 2.7x the time on a CPU)
    cross = sum(Vu[:, f][user] * item_q[:, f][item] for f in range(V.shape[1]))
    return state_w0 + wu[user] + item_lin[item] + item_self[item] + cross


def _sweep(s: State, d: Draws, user, item, y, mask, n_real, side, group, n_g,
           n_users: int, n_items: int, G: int, flavour: Flavour = FLAVOURS["myfm"]) -> State:
    """One Gibbs sweep in libFM's (= myfm's) order; users and items of a block are drawn at once (exact).

    Rows with mask 0 are padding (so that folds of nearly equal size share one compiled
    program): their derivative h is 0, so they never enter a conditional, and r stays 0 there.
    """
    jax, jnp = _jax()
    U, I = n_users, n_items
    seg_u = lambda x: jax.ops.segment_sum(x, user, U)  # noqa: E731 - rows in any order (fm_data.interleaved_by_user)
    seg_i = lambda x: jax.ops.segment_sum(x, item, I)  # noqa: E731
    r = s.r

    alpha = d.g_alpha / ((BETA_0 + jnp.sum(r * r)) / 2)
    quad = alpha * n_real + flavour.reg_0
    w0 = alpha * (jnp.sum(r) + s.w0 * n_real) / quad + d.z_w0 / jnp.sqrt(quad)
    r = r - (w0 - s.w0) * mask

    mu_w, lambda_w = _hyper(s.w, s.mu_w, group, n_g, d.g_lambda_w, d.z_mu_w, G, flavour)

    def conditional(lam, lm, z, old, hh, hr):
        """A coordinate's draw from its sums over its rows of h^2 and h r (h: d prediction / d coordinate)."""
        quad = lam + alpha * hh
        lin = lm + alpha * (hr + hh * old)
        return lin / quad + z / jnp.sqrt(quad)

    def draw(lam, lm, z, old, h, seg, r):
        """New values of coordinates whose rows are disjoint; h: (n,) d prediction / d coordinate."""
        return conditional(lam, lm, z, old, seg(h * h), seg(h * r))

    def blocks(theta, lam, lm, z, q, r):
        """Users at once, items at once, then side columns one by one (they share rows).

        theta: (F,) one column of parameters; q: (n,) sum_j x_j theta_j per row for factors
        (None for the linear terms, whose derivative is x_j itself)."""
        for idx, seg, sl in ((user, seg_u, slice(0, U)), (item, seg_i, slice(U, U + I))):
            old = theta[sl]
            h = mask if q is None else (q - old[idx]) * mask
            new = draw(lam[sl], lm[sl], z[sl], old, h, seg, r)
            delta = (new - old)[idx]
            theta, r = theta.at[sl].set(new), r - delta * h
            q = None if q is None else q + delta

        if side.shape[1]:  # static: no side block, no loop to trace
            theta, r = _side_columns(theta, lam, lm, z, q, r, user, item, mask, side, U, I, conditional)
        return theta, r

    w, r = blocks(s.w, lambda_w[group], (lambda_w * mu_w)[group], d.z_w, None, r)

    mu_V, lambda_V = _hyper(s.V, s.mu_V, group, n_g, d.g_lambda_V, d.z_mu_V, G, flavour)

    def factor(f, carry):
        V, r = carry
        v = V[:, f]
        q = v[:U][user] + (v[U:U + I] + side @ v[U + I:])[item]   # (n,) sum_j x_j v_jf per row
        v, r = blocks(v, lambda_V[:, f][group], (lambda_V[:, f] * mu_V[:, f])[group], d.z_V[f], q, r)
        return V.at[:, f].set(v), r
    V, r = jax.lax.fori_loop(0, s.V.shape[1], factor, (s.V, r))

    r = (y - _predict(w0, w, V, user, item, side, U, I)) * mask   # exact residual: no float32 drift
    return State(w0, w, V, alpha, mu_w, lambda_w, mu_V, lambda_V, r)


def _side_columns(theta, lam, lm, z, q, r, user, item, mask, side, U: int, I: int, conditional):
    """Side columns one by one, on per-item sums (myFM's relation blocks). A rating's side
    features are its item's, so with h = x_i (vu + a_i) per rating (vu: its user's factor,
    a_i: the item's part of q without this column) every sum a conditional needs is a sum
    over items of per-item sums: O(items) per column instead of O(ratings)."""
    jax, jnp = _jax()
    seg_i = lambda x: jax.ops.segment_sum(x, item, I)  # noqa: E731
    n_i, R = seg_i(mask), seg_i(r)
    vu = None if q is None else theta[:U][user] * mask
    S1, S2, UR = (None, None, None) if q is None else (seg_i(vu), seg_i(vu * vu), seg_i(vu * r))
    m = None if q is None else theta[U:U + I] + side @ theta[U + I:]      # item part of q

    def column(c, carry):
        theta, m, R, UR, A, B = carry
        j, x = U + I + c, side[:, c]
        if q is None:                    # linear terms: h = x_i
            hh, hr = jnp.sum(x * x * n_i), jnp.sum(x * R)
        else:
            a = m - theta[j] * x
            hh = jnp.sum(x * x * (S2 + 2 * a * S1 + n_i * a * a))   # sum over ratings of h^2
            hr = jnp.sum(x * (UR + a * R))                          # sum over ratings of h r
        new = conditional(lam[j], lm[j], z[j], theta[j], hh, hr)
        dx = (new - theta[j]) * x
        if q is None:
            R, B = R - dx * n_i, B + dx
        else:   # r -= delta * h on every rating, kept as per-item sums; applied once below
            R, UR = R - dx * (S1 + a * n_i), UR - dx * (S2 + a * S1)
            A, B, m = A + dx, B + dx * a, m + dx
        return theta.at[j].set(new), m, R, UR, A, B
    zeros = jnp.zeros(I, r.dtype)
    theta, _, _, _, A, B = jax.lax.fori_loop(0, side.shape[1], column,
                                             (theta, m, R, UR, None if q is None else zeros, zeros))
    return theta, r - (B[item] * mask if q is None else vu * A[item] + B[item] * mask)


def _step(state, key, gammas, user, item, y, mask, n_real, side, group, n_g, *, n_users, n_items, G, flavour):
    draws = draw_normals(key, gammas, group.shape[0], state.V.shape[1])
    return _sweep(state, draws, user, item, y, mask, n_real, side, group, n_g, n_users, n_items, G, flavour)


def _padded(n: int) -> int:
    """Row count rounded up (<= ~3% more) so that CV folds of similar size reuse one compilation."""
    grain = max(256, 1 << max(0, int(np.ceil(np.log2(max(n, 1)))) - 6))
    return -(-n // grain) * grain


@functools.cache
def _compiled():
    jax, _ = _jax()
    return (jax.jit(_step, static_argnames=("n_users", "n_items", "G", "flavour"), donate_argnums=0),
            jax.jit(_predict, static_argnames=("n_users", "n_items")))


def _pad(a: np.ndarray, n: int, value) -> np.ndarray:
    return np.concatenate([a, np.full(n - len(a), value, a.dtype)])


def _device_arrays(data: FMData) -> dict:
    """Training rows padded to `_padded(n)` (mask 0: they enter no sum), their users and items spread
    over all (one id for all would queue their scatter-adds on one address: fm_data.interleaved_by_user)."""
    _, jnp = _jax()
    n, N = len(data.y), _padded(len(data.y))
    spread = np.arange(N - n, dtype=np.int32)
    return dict(user=jnp.asarray(np.concatenate([data.user, spread % data.n_users])),
                item=jnp.asarray(np.concatenate([data.item, spread % data.n_items])),
                y=jnp.asarray(_pad(data.y, N, 0)), mask=jnp.asarray(_pad(np.ones(n, np.float32), N, 0)),
                n_real=jnp.float32(n), side=jnp.asarray(data.side), group=jnp.asarray(data.group),
                n_g=jnp.asarray(np.bincount(data.group, minlength=data.n_groups), jnp.float32))


def initial_state(key, data: FMData, arrays: dict, rank: int, init_stdev: float,
                  flavour: Flavour = FLAVOURS["myfm"]) -> State:
    """The start: w, V ~ N(0, init_stdev^2); w0 the same (myfm) or 0 (libfm); alpha 1, mu 0,
    lambda 1e-5 (libFM starts lambda at 0; both are drawn before they are first used)."""
    jax, jnp = _jax()
    k = jax.random.split(key, 3)
    F, G = data.n_features, data.n_groups
    w0 = 0.0 if flavour.w0_starts_at_zero else init_stdev * jax.random.normal(k[0])
    w = init_stdev * jax.random.normal(k[1], (F,))
    V = init_stdev * jax.random.normal(k[2], (F, rank))
    _, predict = _compiled()
    pred = predict(w0, w, V, arrays["user"], arrays["item"], arrays["side"], n_users=data.n_users,
                   n_items=data.n_items)
    r = (arrays["y"] - pred) * arrays["mask"]
    state = State(w0, w, V, 1.0, np.zeros(G), np.full(G, LAMBDA_START), np.zeros((G, rank)),
                  np.full((G, rank), LAMBDA_START), r)
    # strongly typed float32 leaves: the same signature as step's output, so one compilation
    return State(*(jnp.asarray(x, jnp.float32) for x in state))


def averaged_sweeps(n_iter: int, flavour: Flavour) -> range:
    """The sweeps whose predictions are averaged: all (libFM), or myfm's kept samples, the last
    min(max(n_iter - 5, 5), n_iter)."""
    return range(n_iter) if flavour.average_all_sweeps else range(n_iter - min(max(n_iter - 5, 5), n_iter), n_iter)


@dataclass
class GibbsFit:
    prediction: np.ndarray            # (n_test,) float32 posterior mean (the flavour's clipping)
    hyper_means: dict[str, np.ndarray]  # alpha, lambda_w, lambda_V averaged over the averaged sweeps
    device: str
    unclipped: np.ndarray | None = None  # (n_test,) the mean of the same sweeps' unclipped predictions (ranking)


def gibbs_fm(data: FMData, test_u, test_i, rank: int = 32, n_iter: int = 100, init_stdev: float = 0.1,
             seed: int = 42, clip: bool = True, flavour: str = "myfm") -> GibbsFit:
    """Run n_iter sweeps; average the test predictions (and hyper-parameters) of the flavour's sweeps.

    libfm clips each sweep's prediction to the training ratings' range before averaging, as
    libFM does; myfm averages unclipped predictions, and `clip` clips the mean to 0.5..5."""
    jax, jnp = _jax()
    test_u, test_i = np.asarray(test_u, np.int32), np.asarray(test_i, np.int32)
    if flavour not in FLAVOURS:
        raise FMInputError(f"unknown FM flavour {flavour!r}; valid: {', '.join(FLAVOURS)}")
    flavour = FLAVOURS[flavour]
    if len(test_u) != len(test_i):
        raise FMInputError(f"{len(test_u)} test users for {len(test_i)} test items")
    if len(test_u) and (test_u.min() < 0 or test_u.max() >= data.n_users or
                        test_i.min() < 0 or test_i.max() >= data.n_items):
        raise FMInputError("test user or item ids are out of range of the training index")
    if rank < 1 or n_iter < 1:
        raise FMInputError(f"rank ({rank}) and n_iter ({n_iter}) must be >= 1")
    step, predict = _compiled()
    arrays = _device_arrays(data)
    dims = dict(n_users=data.n_users, n_items=data.n_items)
    n_test = _padded(len(test_u))
    tu, ti = jnp.asarray(_pad(test_u, n_test, 0)), jnp.asarray(_pad(test_i, n_test, 0))
    gammas = gamma_draws(seed, n_iter, len(data.y), np.bincount(data.group, minlength=data.n_groups), rank, flavour)
    low, high = float(data.y.min()), float(data.y.max())  # libFM's min_target, max_target: the training range

    key, init_key = jax.random.split(jax.random.PRNGKey(seed))
    state = initial_state(init_key, data, arrays, rank, init_stdev, flavour)
    averaged = averaged_sweeps(n_iter, flavour)
    acc, raw = jnp.zeros(n_test, jnp.float32), jnp.zeros(n_test, jnp.float32)
    hyper = {"alpha": 0.0, "lambda_w": 0.0, "lambda_V": 0.0}
    for it in range(n_iter):
        key, sub = jax.random.split(key)
        state = step(state, sub, {k: v[it] for k, v in gammas.items()}, **arrays, **dims, G=data.n_groups,
                     flavour=flavour)
        if it in averaged:
            pred = predict(state.w0, state.w, state.V, tu, ti, arrays["side"], **dims)
            if flavour.average_all_sweeps:  # libFM clips each sweep: the unclipped mean is kept beside it
                acc, raw = acc + jnp.clip(pred, low, high), raw + pred
            else:
                acc = acc + pred
            hyper = {k: v + getattr(state, k) for k, v in hyper.items()}
    pred = np.asarray(acc / len(averaged))[: len(test_u)]
    if clip:
        pred = np.clip(pred, RATING_MIN, RATING_MAX)
    return GibbsFit(pred.astype(np.float32), {k: np.asarray(v) / len(averaged) for k, v in hyper.items()},
                    str(jax.devices()[0].platform),
                    np.asarray((raw if flavour.average_all_sweeps else acc) / len(averaged))[: len(test_u)]
                    .astype(np.float32))
