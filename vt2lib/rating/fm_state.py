"""The FM sampler's state, the random numbers of a sweep, and the prior groups' conditionals.

Constants and conditionals are myfm's (see vt2lib.rating.fm_gibbs for the model).

>>> g = gamma_draws(seed=0, n_iter=3, n=100, group_sizes=[4, 5], rank=2)
>>> {k: v.shape for k, v in g.items()}
{'g_alpha': (3,), 'g_lambda_w': (3, 2), 'g_lambda_V': (3, 2, 2)}
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

ALPHA_0 = BETA_0 = GAMMA_0 = 1.0
MU_0 = 0.0
REG_0 = 1.0
LAMBDA_START = 1e-5


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


def gamma_draws(seed: int, n_iter: int, n: int, group_sizes, rank: int) -> dict[str, np.ndarray]:
    """Standard gamma variates (rate 1) for every sweep, drawn once on the host.

    A handful per sweep; jax.random.gamma would add seconds of compile time per fit."""
    rng = np.random.default_rng([seed, 1])
    shape_g = (ALPHA_0 + np.asarray(group_sizes, np.float64)) / 2
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


def _hyper(theta, mu, group, n_g, g_lambda, z_mu, G):
    """lambda, then mu, of every group (theta: (F,) or (F, rank)); myfm's conditionals."""
    jax, jnp = _jax()
    seg = lambda x: jax.ops.segment_sum(x, group, G)  # noqa: E731
    lam = g_lambda / ((BETA_0 + seg((theta - mu[group]) ** 2)) / 2)
    n_g = n_g.reshape((-1,) + (1,) * (theta.ndim - 1))
    quad = lam * (GAMMA_0 + n_g)
    lin = lam * (GAMMA_0 * MU_0 + seg(theta))
    return lin / quad + z_mu / jnp.sqrt(quad), lam


