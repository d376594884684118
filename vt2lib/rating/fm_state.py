"""The FM sampler's state, the random numbers of a sweep, the prior groups' conditionals, and
the two flavours of the sampler (libFM's and myFM's; vt2lib.rating.fm_gibbs has the model).

>>> g = gamma_draws(seed=0, n_iter=3, n=100, group_sizes=[4, 5], rank=2)
>>> {k: v.shape for k, v in g.items()}
{'g_alpha': (3,), 'g_lambda_w': (3, 2), 'g_lambda_V': (3, 2, 2)}
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

# Hyper-priors in myFM's names: alpha_0 (gamma shape), beta_0 (gamma rate), gamma_0 (weight of
# mu's prior mean mu_0). libFM has the same values (all 1, mu_0 = 0) but calls the rate gamma_0
# and the weight beta_0 (fm_learn_mcmc.h).
ALPHA_0 = BETA_0 = GAMMA_0 = 1.0
MU_0 = 0.0
LAMBDA_START = 1e-5


@dataclass(frozen=True)
class Flavour:
    """Where libFM's MCMC (srendle/libfm, fm_learn_mcmc*.h) and myFM's (tohtsky/myFM,
    FMTrainer.hpp) differ; everything else (model, update order, alpha's and mu's
    conditionals) is the same."""
    name: str
    reg_0: float              # precision of w0's N(0, 1/reg_0) prior: myFM 1; libFM 0 (flat, no -regular)
    lambda_shape_extra: float  # lambda ~ Gamma((alpha_0 + n_g + extra)/2, ...): libFM 1, myFM 0
    mu_in_lambda_rate: bool   # libFM adds gamma_0 (mu_g - mu_0)^2 (its beta_0) to lambda's rate (beta_0 + ...)
    w0_starts_at_zero: bool   # libFM: w0 = 0; myFM: w0 ~ N(0, init_stdev^2) (w, V ~ N(0, init_stdev^2) in both)
    average_all_sweeps: bool  # libFM: mean of every sweep's prediction, each clipped to the training targets'
                              # range; myFM: mean of the kept (post burn-in) sweeps, unclipped


FLAVOURS = {
    "libfm": Flavour("libfm", reg_0=0.0, lambda_shape_extra=1.0, mu_in_lambda_rate=True, w0_starts_at_zero=True,
                     average_all_sweeps=True),
    "myfm": Flavour("myfm", reg_0=1.0, lambda_shape_extra=0.0, mu_in_lambda_rate=False, w0_starts_at_zero=False,
                    average_all_sweeps=False),
}


class State(NamedTuple):
    w0: "jax.Array"         # ()
    w: "jax.Array"          # (F,) users, items, side columns
    V: "jax.Array"          # (F, rank)
    alpha: "jax.Array"      # ()
    mu_w: "jax.Array"       # (G,)
    lambda_w: "jax.Array"   # (G,)
    mu_V: "jax.Array"       # (G, rank)
    lambda_V: "jax.Array"   # (G, rank)
    r: "jax.Array"          # (n,) residual y - prediction on the training rows


class Draws(NamedTuple):
    """The random numbers of one sweep: standard normals and standard gammas (rate 1)."""
    g_alpha: "jax.Array"    # ()
    z_w0: "jax.Array"       # ()
    g_lambda_w: "jax.Array"  # (G,)
    z_mu_w: "jax.Array"     # (G,)
    z_w: "jax.Array"        # (F,)
    g_lambda_V: "jax.Array"  # (G, rank)
    z_mu_V: "jax.Array"     # (G, rank)
    z_V: "jax.Array"        # (rank, F)


def _jax():
    import jax
    import jax.numpy as jnp
    return jax, jnp


def gamma_draws(seed: int, n_iter: int, n: int, group_sizes, rank: int,
                flavour: Flavour = FLAVOURS["myfm"]) -> dict[str, np.ndarray]:
    """Standard gamma variates (rate 1) for every sweep, drawn once on the host; their shapes
    are the conditionals' (n: training ratings, not padded rows; group_sizes: features per group).

    A handful per sweep; jax.random.gamma would add seconds of compile time per fit."""
    rng = np.random.default_rng([seed, 1])
    shape_g = (ALPHA_0 + np.asarray(group_sizes, np.float64) + flavour.lambda_shape_extra) / 2
    return {"g_alpha": rng.gamma((ALPHA_0 + n) / 2, size=n_iter).astype(np.float32),
            "g_lambda_w": rng.gamma(shape_g, size=(n_iter, len(shape_g))).astype(np.float32),
            "g_lambda_V": rng.gamma(shape_g[:, None], size=(n_iter, len(shape_g), rank)).astype(np.float32)}


def draw_normals(key, gammas: dict, n_features: int, rank: int) -> Draws:
    """One sweep's random numbers: standard normals from `key`, gammas of this sweep."""
    jax, _ = _jax()
    k = jax.random.split(key, 5)
    G = gammas["g_lambda_w"].shape[0]
    return Draws(gammas["g_alpha"], jax.random.normal(k[0]), gammas["g_lambda_w"],
                 jax.random.normal(k[1], (G,)), jax.random.normal(k[2], (n_features,)),
                 gammas["g_lambda_V"], jax.random.normal(k[3], (G, rank)),
                 jax.random.normal(k[4], (rank, n_features)))


def _hyper(theta, mu, group, n_g, g_lambda, z_mu, G, flavour: Flavour):
    """lambda (given the current mu), then mu, of every group (theta: (F,) or (F, rank))."""
    jax, jnp = _jax()
    seg = lambda x: jax.ops.segment_sum(x, group, G)  # noqa: E731
    rate = BETA_0 + seg((theta - mu[group]) ** 2)
    if flavour.mu_in_lambda_rate:
        rate = rate + GAMMA_0 * (mu - MU_0) ** 2
    lam = g_lambda / (rate / 2)
    n_g = n_g.reshape((-1,) + (1,) * (theta.ndim - 1))
    quad = lam * (GAMMA_0 + n_g)
    lin = lam * (GAMMA_0 * MU_0 + seg(theta))
    return lin / quad + z_mu / jnp.sqrt(quad), lam


