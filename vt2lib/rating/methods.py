"""The registry of rating predictors: every row of Table 1, of the fusion and of notebook 09.

Each method is one object: its name (the key of its predictions and metrics), its
description and kind for the tables, the item vectors it needs, and how to build its
predictor and cache key. Notebooks, `table1` and `report` read this list; nothing parses
method names.

    for m in table1_methods(cfg):
        run(cfg, data, m)                      # run_cv(cfg, data, m.name, *m.predictor(cfg, data))
    get(cfg, "emb512_s10_leakfree").vectors    # VectorSource(... model='leakfree')

>>> from vt2lib.profiles import load_profile
>>> cfg = load_profile("smoke")
>>> [m.name for m in table1_methods(cfg)][:3]
['fm', 'emb256_s10', 'emb512_s10']
>>> m = get(cfg, "emb512_s20_leakfree")
>>> m.kind, m.sequence, m.description
('content-based', '20 frames', '512-dim. embeddings, leak-free model (no rating head)')
>>> analysis_method(cfg, "emb256_s10").name    # the embeddings 08 and 09 use (cfg.analysis_embeddings)
'emb256_s10_leakfree'
>>> side_method(cfg).name                      # 09's and 10's: side_embedding_variant (auto) of that model
'emb256_s10_leakfree'
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from vt2lib.config import Profile
from vt2lib.rating import predictors as P
from vt2lib.rating.item_vectors import (
    VectorSource,
    embedding_sources,
    frozen_mean_sources,
    load_vectors,
    metadata_sources,
)

BASELINE, CONTENT, COLLABORATIVE = "baseline", "content-based", "collaborative"


@dataclass(frozen=True)
class Method:
    name: str
    description: str
    kind: str                                  # baseline | content-based | collaborative
    sequence: str = "—"                        # Table 1's "Sequence length" column
    vectors: VectorSource | None = None        # item vectors of a content-based method
    build: Callable | None = None              # (cfg, data) -> (predictor, cache key)
    parallel_folds: bool = False               # single-threaded and fork-safe: folds in cfg.n_workers processes

    def predictor(self, cfg: Profile, data):
        """(fn(train, test_u, test_i, fold) -> Prediction, cache key of everything it depends on)."""
        if self.vectors is not None and self.vectors.kind == "frozen_mean":
            from vt2lib.rating.frozen_mean import frozen_mean_predictor
            return frozen_mean_predictor(cfg, data, *load_vectors(cfg, self.vectors), self.vectors.dim)
        if self.vectors is not None:
            from vt2lib.rating.evaluation import content_method
            return content_method(data, *load_vectors(cfg, self.vectors), cfg.similarity, cfg.top_k)
        return self.build(cfg, data)


def run(cfg: Profile, data, method: Method, name: str | None = None, split=None, split_key: str = "",
        progress: bool = True, max_folds: int | None = None):
    """run_cv for a registered method: its predictions stored under `name` (default: its own) and
    its cache key; `split` replaces the CV folds (inner or cold-start splits), `split_key` says
    what defines that split (it joins the key); `max_folds`: the first folds only."""
    from vt2lib.rating.evaluation import run_cv
    from vt2lib.store import digest
    fn, key = method.predictor(cfg, data)
    return run_cv(cfg, data, name or method.name, fn, key=digest(key, split_key) if split_key else key,
                  split=split, progress=progress, workers=cfg.n_workers if method.parallel_folds else 1,
                  max_folds=max_folds)


def _baseline(name: str, description: str, fn) -> Method:
    return Method(name, description, BASELINE, build=lambda cfg, data: (lambda tr, u, i, k: fn(tr, u, i), name))


BASELINES = (
    _baseline("global_mean", "Global mean", P.global_mean),
    _baseline("user_mean", "User mean", P.user_mean),
    _baseline("item_mean", "Item mean", P.item_mean),
    _baseline("bias", "User + item bias (regularised)", P.bias_baseline),
)


def _random_similarity(cfg: Profile, data):
    import numpy as np

    from vt2lib.store import digest
    rows = np.arange(data.n_items)
    fn = lambda tr, u, i, k: P.content_based(tr, u, i, P.random_similarity(data.n_items, cfg.seed + k),  # noqa: E731
                                             rows, cfg.top_k)
    return fn, digest(cfg.seed, cfg.top_k)


RANDOM_SIMILARITY = Method("random_similarity", "Random similarities (authors' control)", CONTENT,
                           build=_random_similarity)


def content_methods(cfg: Profile, model: str = "paper") -> list[Method]:
    """Eq. 1 on the trailer embeddings of one embedding model, in Table 1 order."""
    suffix = ", leak-free model (no rating head)" if model == "leakfree" else ""
    return [Method(s.name, f"{s.dim}-dim. embeddings{suffix}", CONTENT, f"{s.seq_len} frames", s)
            for s in embedding_sources(cfg, model)]


def metadata_methods(cfg: Profile) -> list[Method]:
    labels = {"metadata": "Movie meta data (genres)", "genome": "Movie meta data (tag genome)"}
    return [Method(s.name, labels[s.name], CONTENT, vectors=s) for s in metadata_sources(cfg)]


def frozen_mean_methods(cfg: Profile) -> list[Method]:
    """Eq. 1 on frozen keyframe features, no network trained (not in the paper; vt2lib.rating.frozen_mean)."""
    return [Method(s.name, f"Frozen MobileNetV2 features, trailer mean, PCA to {s.dim} on each fold's training "
                   "movies (no training)", CONTENT, "all keyframes", s) for s in frozen_mean_sources(cfg)]


def fm(cfg: Profile, side=None, name: str = "fm", chains: int = 1) -> Method:
    """libFM's Bayesian FM on user and item ids (+ item side features, notebook 09); `chains` > 1: the
    mean of that many chains (09's side-feature FMs and 10's FM rows: fm_side_chains)."""
    from vt2lib.rating.fm import fm_description, fm_method, resolve_backend
    backend = resolve_backend(cfg.fm_backend, cfg.fm_flavour)  # once: the description, predictor and forking agree
    return Method(name, fm_description(cfg, backend, side, chains), COLLABORATIVE,
                  build=lambda c, data: fm_method(c, side, backend, chains),
                  parallel_folds=backend == "myfm")  # JAX is threaded: never forked


def table1_methods(cfg: Profile) -> list[Method]:
    """Table 1's rows: the paper's (FM, the four embedding variants, metadata), the leak-free
    variants, the frozen-feature baseline, then controls and baselines that are not in the paper."""
    return ([fm(cfg)] + content_methods(cfg) + metadata_methods(cfg) + content_methods(cfg, "leakfree")
            + frozen_mean_methods(cfg) + [RANDOM_SIMILARITY] + list(BASELINES))


def get(cfg: Profile, name: str) -> Method:
    for m in table1_methods(cfg):
        if m.name == name:
            return m
    raise ValueError(f"unknown method {name!r}; valid: {', '.join(m.name for m in table1_methods(cfg))}")


def model_variant(cfg: Profile, paper_name: str, model: str) -> Method:
    """The content method `paper_name` (e.g. emb256_s10) from embedding model `model`; a
    metadata method (no embedding model, no leak) is returned as it is."""
    by_paper_name = dict(zip((m.name for m in content_methods(cfg)), content_methods(cfg, model)))
    if paper_name in by_paper_name:
        return by_paper_name[paper_name]
    if paper_name in {m.name for m in metadata_methods(cfg)}:
        return get(cfg, paper_name)
    raise ValueError(f"{paper_name!r} is not a content variant; valid: {', '.join(by_paper_name)}, metadata")


def analysis_method(cfg: Profile, paper_name: str) -> Method:
    """The content method `paper_name` (e.g. emb256_s10) from the model the analyses use."""
    if paper_name not in {m.name for m in content_methods(cfg)}:
        raise ValueError(f"{paper_name!r} is not an embedding variant; valid: "
                         f"{', '.join(m.name for m in content_methods(cfg))}")
    return model_variant(cfg, paper_name, cfg.analysis_embeddings)


def side_method(cfg: Profile) -> Method:
    """The content method 09 and 10 add to genres as the FM's side features and rank with Eq. 1:
    side_embedding_variant from the analyses' model; genres themselves (metadata) without trailers."""
    return model_variant(cfg, cfg.variant("side_embedding_variant"), cfg.analysis_embeddings)
