"""Bayesian factorization machine (libFM's MCMC) in two flavours, on two backends.

The paper ran libFM: `-method mcmc -dim '1,1,32' -iter 100 -init_stdev 0.1` on one-hot user
and item ids. The `jax` backend (vt2lib.rating.fm_gibbs: the Gibbs sampler, parallel and
exact, on the CPU or a GPU) runs it in libFM's flavour (`libfm`: its hyper-priors, start and
average of every sweep's clipped prediction; checked against libFM's own runs in
tests/test_libfm_reference.py) or in myFM's (`myfm`); the `myfm` backend (the single-threaded
C++ package, fast on a CPU) runs myFM's only and is that flavour's reference. Predictions
are clipped to the rating range either way.

    pred = fm_predict(train, test_u, test_i, rank=32, n_iter=100, init_stdev=0.1, seed=fold, backend="jax",
                      flavour="libfm")
    fn, key = fm_method(cfg, side=None)                 # the CV predictor every notebook uses (+ cache key)
    resolve_backend("auto", "myfm")                     # "jax" where JAX sees a GPU, else "myfm"

The features of a rating: [user one-hot | item one-hot | the item's side features]. myfm
gets the item part as a relation block (one row per item, myFM's `RelationBlock`): the
same model, but a side feature then costs once per item and sweep, not once per rating
(256-d trailer embeddings made every rating's row 129x longer).

>>> X, (items,) = myfm_design(np.array([0, 1]), np.array([2, 0]), n_users=2, n_items=3)
>>> X.toarray().astype(int).tolist(), list(items.original_to_block), items.data.shape
([[1, 0], [0, 1]], [2, 0], (3, 3))
"""
from __future__ import annotations

import contextlib
import functools
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from vt2lib.rating.predictors import RATING_MAX, RATING_MIN, Prediction, Ratings


def myfm_design(users: np.ndarray, items: np.ndarray, n_users: int, n_items: int,
                side: sp.csr_matrix | None = None):
    """(X = user one-hot, [relation block: item one-hot | side features, rows by item]).

    myfm numbers the features X's columns first, then the block's: the prior groups
    (users, items, side blocks) keep their order."""
    n = len(users)
    X = sp.csr_matrix((np.ones(n), (np.arange(n), np.asarray(users))), shape=(n, n_users))
    block = sp.identity(n_items, dtype=np.float64, format="csr")
    if side is not None:
        block = sp.hstack([block, side], format="csr")
    return X, [_import_myfm().RelationBlock(np.asarray(items, np.int64), block)]


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


BACKENDS = ("myfm", "jax", "auto")


# What a GPU that JAX can use leaves in /dev (NVIDIA's driver, AMD's ROCm, WSL2's GPU). JAX's GPU
# builds run on Linux only; without one of these there is nothing to ask a child about.
GPU_DEVICE_NODES = ("/dev/nvidiactl", "/dev/kfd", "/dev/dxg")


@functools.lru_cache(maxsize=1)
def _jax_sees_gpu() -> bool:
    """Asked in a child process: JAX's first device query starts its thread pools, and the myfm
    fold workers are forked from this one (a fork after them can deadlock; JAX warns on each).
    The child costs ~2 s (it imports JAX), once per process, so a machine without a GPU device
    is answered without it (every notebook's summary names Table 1's FM by its backend)."""
    if not sys.platform.startswith("linux") or not any(Path(p).exists() for p in GPU_DEVICE_NODES):
        return False
    ask = "import jax; print(any(d.platform == 'gpu' for d in jax.devices()))"
    try:
        answer = subprocess.run([sys.executable, "-c", ask], capture_output=True, text=True, timeout=300, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    # no JAX, or a broken CUDA install (an error, no "True"): use the CPU reference
    return answer.returncode == 0 and answer.stdout.strip().endswith("True")


def resolve_backend(name: str, flavour: str = "myfm") -> str:
    """The backend that will run: `auto` is `jax` where JAX sees a GPU or the flavour is libfm
    (only the JAX sampler has it), else `myfm`."""
    if name not in BACKENDS:
        raise ValueError(f"unknown fm_backend {name!r}; valid: {', '.join(BACKENDS)}")
    if name == "myfm" and flavour != "myfm":
        raise ValueError(f"the myfm backend runs the myfm flavour only, not {flavour!r}; use fm_backend jax or auto")
    if name == "auto":
        return "jax" if flavour != "myfm" or _jax_sees_gpu() else "myfm"
    return name


def prior_groups(train: Ratings, grouping: bool, item_side, side_groups) -> list[int] | None:
    """Feature count per prior group (myfm's group_shapes); None = one group for all features."""
    if not grouping and item_side is None:
        return None
    side = side_groups or ([item_side.shape[1]] if item_side is not None else [])
    return [train.n_users, train.n_items] + list(side)


@dataclass
class FMFit:
    prediction: np.ndarray               # (n_test,) float32 posterior mean, clipped to 0.5..5 (RMSE, as libFM)
    hyper_means: dict[str, np.ndarray]   # alpha, lambda_w (G,), lambda_V (G, rank) over the kept samples
    backend: str
    unclipped: np.ndarray | None = None  # (n_test,) the unclipped posterior mean: what a ranking orders by


def fm_fit(train: Ratings, test_u, test_i, rank: int = 32, n_iter: int = 100, init_stdev: float = 0.1,
           seed: int = 42, grouping: bool = False, item_side: sp.csr_matrix | None = None,
           side_groups: list[int] | None = None, backend: str = "myfm", flavour: str = "myfm") -> FMFit:
    """Posterior-mean FM predictions and hyper-parameters; `grouping` gives users and items
    their own priors (libFM -meta), as does every side-feature block."""
    groups = prior_groups(train, grouping, item_side, side_groups)
    backend = resolve_backend(backend, flavour)
    if backend == "jax":
        from vt2lib.jax_cache import use_jax_compilation_cache
        from vt2lib.rating.fm_gibbs import FMData, gibbs_fm
        use_jax_compilation_cache()
        fit = gibbs_fm(FMData.build(train, item_side, groups), test_u, test_i, rank, n_iter, init_stdev, seed,
                       flavour=flavour)
        return FMFit(fit.prediction, fit.hyper_means, backend, fit.unclipped)
    myfm = _import_myfm()
    X, X_rel = myfm_design(train.user, train.item, train.n_users, train.n_items, item_side)
    fm = myfm.MyFMRegressor(rank=rank, init_stdev=init_stdev, random_seed=int(seed))
    with _quiet_myfm():
        fm.fit(X, train.rating.astype(np.float64), X_rel=X_rel, n_iter=n_iter, group_shapes=groups)
    kept = fm.history_.hypers[-len(fm.predictor_.samples):]
    hyper = {"alpha": np.mean([h.alpha for h in kept]), "lambda_w": np.mean([h.lambda_w for h in kept], axis=0),
             "lambda_V": np.mean([h.lambda_V for h in kept], axis=0)}
    unclipped = posterior_mean(fm.predictor_.samples, test_u, test_i, train.n_users, train.n_items, item_side)
    return FMFit(np.clip(unclipped, RATING_MIN, RATING_MAX), hyper, backend, unclipped)


def _sample_parts(sample, U: int, I: int, side, side_sq):
    """One sample's prediction as w0 + w_u + item_i + v_u . q_i: (user part (U,), V_users (U, k),
    item part (I,), q (I, k)), with x = [one-hot user | one-hot item | the item's side features]:
    q_i sums the item's factors, item_i its linear terms and the interactions inside its part."""
    w, V = np.asarray(sample.w), np.asarray(sample.V)
    lin, q, sq = w[U:U + I], V[U:U + I], V[U:U + I] ** 2
    if side is not None:
        lin, q, sq = lin + side @ w[U + I:], q + side @ V[U + I:], sq + side_sq @ V[U + I:] ** 2
    return sample.w0 + w[:U], V[:U], lin + 0.5 * np.sum(q * q - sq, axis=1), q


def posterior_mean(samples, users, items, n_users: int, n_items: int, side=None, block: int = 1 << 22) -> np.ndarray:
    """What myfm's `predict` returns (the mean over the kept samples of each sample's prediction), for
    any (user, item) pairs, from each sample's per-user and per-item parts (float32).

    myfm's own predict redoes every pair's item part per sample: on notebook 10's ranking grids
    (every ranked user x every movie) that was 2/3 of an FM's time (tests/benchmarks/RESULTS.md).
    Pairs that fill at least a quarter of their users x movies grid are one matrix product of the
    samples' stacked factors, in blocks of about `block` predictions; sparser pairs (test ratings)
    take a rank-sized dot product per pair and sample, about `block` numbers at a time."""
    if not len(samples):
        raise ValueError("the FM kept no samples to average")
    users, items = np.asarray(users, np.int64), np.asarray(items, np.int64)
    side = None if side is None else sp.csr_matrix(side)
    side_sq = None if side is None else side.multiply(side).tocsr()
    parts = (_sample_parts(s, n_users, n_items, side, side_sq) for s in samples)
    uu, u_at = np.unique(users, return_inverse=True)
    ii, i_at = np.unique(items, return_inverse=True)
    user_sum, item_sum, products = np.zeros(n_users), np.zeros(n_items), np.zeros(len(users))
    if len(uu) * len(ii) <= 4 * len(users):
        A, B = [], []
        for user_part, Vu, item_part, q in parts:
            user_sum, item_sum = user_sum + user_part, item_sum + item_part
            A.append(Vu[uu])
            B.append(q[ii])
        A, B = np.concatenate(A, axis=1), np.concatenate(B, axis=1)
        order = np.argsort(u_at, kind="stable")
        sorted_u = u_at[order]
        step = max(1, block // max(len(ii), 1))
        for a in range(0, len(uu), step):
            rows = order[np.searchsorted(sorted_u, a):np.searchsorted(sorted_u, a + step)]
            products[rows] = (A[a:a + step] @ B.T)[u_at[rows] - a, i_at[rows]]
    else:
        for user_part, Vu, item_part, q in parts:
            user_sum, item_sum = user_sum + user_part, item_sum + item_part
            step = max(1, block // Vu.shape[1])
            for a in range(0, len(users), step):
                u, i = users[a:a + step], items[a:a + step]
                products[a:a + step] += np.einsum("nk,nk->n", Vu[u], q[i])
    return ((user_sum[users] + item_sum[items] + products) / len(samples)).astype(np.float32)


def fm_predict(train: Ratings, test_u, test_i, *args, **kwargs) -> Prediction:
    """`fm_fit`'s predictions as a CV predictor's Prediction (same arguments): the clipped posterior mean,
    and the unclipped one to rank by."""
    fit = fm_fit(train, test_u, test_i, *args, **kwargs)
    return Prediction(fit.prediction, scores=fit.unclipped)


CHAIN_SEED_STEP = 7919  # chain c of fold k samples with seed + k + c * step: chain 0 is the single-chain run


def fm_method(cfg, side=None, backend: str | None = None, chains: int = 1):
    """The FM as a run_cv predictor (seed = cfg.seed + fold) and the cache key of its inputs.

    Every notebook that fits an FM (06, 07, 09, 10) builds it here, so settings, backend and key
    cannot drift apart. `side`: cold_start.SideFeatures or None (ids only). `chains` > 1 averages
    that many independent chains' posterior means (Monte Carlo error down by ~sqrt(chains)) and
    keeps each chain's predictions (Prediction.chains): their spread is measured, not assumed.
    """
    from vt2lib.store import digest
    backend = resolve_backend(backend or cfg.fm_backend, cfg.fm_flavour)
    groups = None if side is None else side.groups

    def side_matrix(train):  # per-fold blocks fitted on its training movies
        return None if side is None else side.for_fold(train.item)

    def chain(train, test_u, test_i, fold, c, matrix=None):
        matrix = side_matrix(train) if matrix is None else matrix
        return fm_predict(train, test_u, test_i, cfg.fm_rank, cfg.fm_iters, cfg.fm_init_stdev,
                          seed=cfg.seed + fold + CHAIN_SEED_STEP * c, item_side=matrix, side_groups=groups,
                          backend=backend, flavour=cfg.fm_flavour)

    def combine(runs: list[Prediction]) -> Prediction:  # the chains' mean, each chain kept
        stacked = np.stack([r.values for r in runs])
        return Prediction(stacked.mean(0).astype(np.float32), chains=stacked,
                          scores=np.mean([r.ranking for r in runs], axis=0).astype(np.float32))

    def fn(train, test_u, test_i, fold):
        matrix = side_matrix(train)  # once per fold; forked, each (fold, chain) task makes its own
        runs = [chain(train, test_u, test_i, fold, c, matrix) for c in range(chains)]
        return runs[0] if chains == 1 else combine(runs)
    if chains > 1:  # forked fold workers take (fold, chain) tasks (vt2lib.rating.fold_runner)
        fn.parts, fn.part, fn.combine = chains, chain, combine
    side_digest = () if side is None else side.digest_parts()
    per_chains = () if chains == 1 else (f"mean of {chains} chains",)
    return fn, digest(cfg.fm_rank, cfg.fm_iters, cfg.fm_init_stdev, cfg.seed, backend, cfg.fm_flavour, *side_digest,
                      *per_chains)


def fm_description(cfg, backend: str, side=None, chains: int = 1) -> str:
    """A table's description of an FM row: which sampler ran it, and which prior grouping (prior_groups):
    ids only, one group for every feature (the paper's command line); with side features, a group
    each for users, items and every side block (libFM's -meta grouping); chains averaged, if more than one."""
    grouping = "one prior group" if side is None else "prior groups: users, items, each side block (libFM's -meta)"
    averaged = f"; mean of {chains} chains" if chains > 1 else ""
    return f"libFM (Bayesian FM, {cfg.fm_flavour} flavour on the {backend} sampler; {grouping}{averaged})"
