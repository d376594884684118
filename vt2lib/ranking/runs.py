"""Notebook 10's ranking runs: which methods are ranked, in which settings, on which folds and users.

    ranked = ranking_methods(cfg, side)                      # popularity ... the content maps
    warm_run = rank_setting(cfg, warm, ranked, {WARM: ALL})  # .per_fold: one row per method and fold
    cold_run = rank_setting(cfg, cold, ranked, {NEW: NEW_ONLY, NEW_AMONG_ALL: ALL})  # 09's item-disjoint folds
    # .per_user: each ranked user's metrics, for the paired tests (vt2lib.ranking.tables: the tables, the names)

The new-movie folds are ranked two ways from the same scores: among the fold's new movies only
(the standard item cold-start protocol: can content order new movies?) and among every unrated
movie (can trailers get a new movie into a top-10 at all, against the old ones?). The rankers trained
for top-N (EASE, ALS) rank the warm folds, where their ids know every movie; the content maps (item
vectors mapped to ALS factors) rank the new movies.

>>> import dataclasses
>>> from vt2lib.profiles import load_profile
>>> [r.name for r in ranking_methods(load_profile("smoke"), side=None)][:8]
['popularity', 'bias', 'fm_ids', 'ease', 'als', 'content_metadata', 'content_emb256_s10_leakfree', 'content_frozen_mean']
>>> ranked_names(dataclasses.replace(load_profile("smoke"), trailer_source="none"), NEW)   # ratings only
['popularity', 'bias', 'fm_ids', 'fm_genres', 'content_metadata', 'als_map_metadata']
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from vt2lib.config import Profile
from vt2lib.rating import methods as M
from vt2lib.rating import predictors as P
from vt2lib.rating.cold_start import fm_side_set, side_fm_name
from vt2lib.rating.item_vectors import load_vectors
from vt2lib.ranking import scorers as RS
from vt2lib.ranking.content_map import fit_content_maps
from vt2lib.ranking.metrics import evaluate_rankings, ranked_users, summarise
from vt2lib.ranking.trained import fit_als, fit_ease

KS = (10, 20)
METRICS = ("recall@10", "recall@20", "ndcg@10")
PAIRED_METRICS = ("recall@10", "ndcg@10")
# the settings' names (tables, figures, the report) and the candidates each ranks
WARM, NEW, NEW_AMONG_ALL = "warm", "new movies among new", "new movies among all"
SETTINGS = (WARM, NEW, NEW_AMONG_ALL)
ALL, NEW_ONLY = "every unrated movie", "the fold's new movies"
SETTING_KEYS = {WARM: "warm", NEW: "coldnew", NEW_AMONG_ALL: "coldall"}  # in the recorded numbers' names
TRAINED_FOR_RANKING = ("ease", "als")
CONTENT_MAP = "content_map"


@dataclass(frozen=True)
class Ranked:
    name: str
    method: M.Method | None = None   # a rating predictor of the registry, ranked by its unclipped score
    trained: str | None = None       # or a ranker trained for top-N: ease, als, content_map (None: popularity)
    vectors: object = None           # a content ranker's item vectors (Eq. 1's, or those mapped to ALS factors)
    content: str | None = None       # what they are: trailer, frozen or genres
    settings: tuple[str, ...] = SETTINGS


def _content_kind(source) -> str:
    return {"embedding": "trailer", "frozen_mean": "frozen"}.get(source.kind, "genres")


def ranking_methods(cfg: Profile, side) -> list[Ranked]:
    """Popularity, the bias baseline, FM on ids, FM + genres + trailer (FM + genres without trailers;
    `side`: its SideFeatures, or None to leave it out), EASE and ALS (warm), Eq. 1 with genres, with the
    analyses' trained embedding and with frozen_mean (these two where the profile has trailers), and the
    same three vectors mapped to ALS factors (new movies). Each FM scores with the mean of fm_side_chains
    chains, as 09's FMs with side features (one chain's Monte Carlo error)."""
    chains = cfg.fm_side_chains
    out = [Ranked(RS.POPULARITY), Ranked("bias", M.get(cfg, "bias")), Ranked("fm_ids", M.fm(cfg, chains=chains))]
    if side is not None:
        name = side_fm_name(fm_side_set(cfg))
        out.append(Ranked(name, M.fm(cfg, side, name=name, chains=chains)))
    out += [Ranked(t, trained=t, settings=(WARM,)) for t in TRAINED_FOR_RANKING]
    trained = [M.side_method(cfg)] if M.content_methods(cfg) else []  # trailers
    content = M.metadata_methods(cfg)[:1] + trained + M.frozen_mean_methods(cfg)
    out += [Ranked(f"content_{m.name}", m, vectors=m.vectors, content=_content_kind(m.vectors)) for m in content]
    return out + [Ranked(f"als_map_{m.name}", trained=CONTENT_MAP, vectors=m.vectors, content=_content_kind(m.vectors),
                         settings=(NEW, NEW_AMONG_ALL)) for m in content]


NAMES_ONLY = object()  # stands in for the side features: an FM reads them only when it is built


def ranked_names(cfg: Profile, setting: str) -> list[str]:
    """The names ranking_methods gives notebook 10's methods in `setting` (outputs.py declares their numbers)."""
    return [r.name for r in ranking_methods(cfg, NAMES_ONLY) if setting in r.settings]


def ranking_folds(cfg: Profile, n_folds: int) -> range:
    return range(min(n_folds, cfg.evaluate_folds or n_folds, cfg.ranking_folds or n_folds))


@dataclass
class RankingRun:
    per_fold: pd.DataFrame   # setting, method, fold, the mean metrics, users, seconds, chosen, validation
    per_user: pd.DataFrame   # setting, method, fold, user and the metrics of each user with a hit


class _FoldScorers:
    """Each ranked method's score_rows on one fold; the content maps share one fit (their inner ALS)."""

    def __init__(self, cfg: Profile, data, train, users, fold: int, eq1: dict, maps: dict):
        self.cfg, self.data, self.train, self.users, self.fold, self.eq1, self.maps = \
            cfg, data, train, users, fold, eq1, maps
        self.fitted_maps, self.map_seconds = None, 0.0

    def __call__(self, r: Ranked):
        """(score_rows, Choice or None)."""
        cfg, train, seed = self.cfg, self.train, self.cfg.seed + self.fold
        if r.trained == "ease":
            return fit_ease(cfg, train, seed)
        if r.trained == "als":
            return fit_als(cfg, train, seed)
        if r.trained == CONTENT_MAP:
            if self.fitted_maps is None:  # one fit for every map: each is charged its share of the time
                t0 = time.perf_counter()
                self.fitted_maps = fit_content_maps(cfg, train, self.maps, seed)
                self.map_seconds = time.perf_counter() - t0
            return self.fitted_maps[r.name]
        if r.method is None:
            return RS.popularity_rows(train), None
        if r.name in self.eq1:
            return self.eq1[r.name](train), None
        if r.method.name == "bias":
            return RS.bias_rows(train), None
        return RS.pair_rows(r.method.predictor(cfg, self.data)[0], train, self.users, self.fold), None


def rank_setting(cfg: Profile, data, ranked: list[Ranked], settings: dict[str, str], progress: bool = True
                 ) -> RankingRun:
    """Every method ranked in any of `settings` ({name: candidates}: ALL, every movie the user has not
    rated in training, or NEW_ONLY, only the fold's test movies, which on item-disjoint folds are the new
    movies) on the first ranking folds of `data`; each chunk of users is scored once for every setting.
    per_fold: one row per (setting, method, fold): the mean metrics over its ranked users, their count,
    the seconds the method took on that fold (fitting, choosing, scoring and every setting's metrics), and
    for a ranker trained for top-N its chosen hyper-parameters and their inner-split Recall@10."""
    from vt2lib.progress import tqdm  # text under the runner: a widget in an executed copy stays at 0/N
    unknown = set(settings.values()) - {ALL, NEW_ONLY}
    if unknown:
        raise ValueError(f"unknown candidates {sorted(unknown)}; valid: {ALL!r}, {NEW_ONLY!r}")
    todo = [r for r in ranked if set(r.settings) & set(settings)]
    eq1 = {r.name: RS.vector_scorer(cfg, data, r.vectors, *load_vectors(cfg, r.vectors))
           for r in todo if r.method and r.vectors}  # a similarity matrix built once per method
    maps = {r.name: P.vector_rows(data.movie_ids, *load_vectors(cfg, r.vectors))
            for r in todo if r.trained == CONTENT_MAP}
    rating = data.table.rating.to_numpy(np.float32)
    rows, users_rows = [], []
    folds = ranking_folds(cfg, data.n_folds)
    with tqdm(total=len(folds) * len(todo), desc=f"ranking, {', '.join(settings)}", disable=not progress) as bar:
        for k in folds:
            train, test = data.split(k)
            u, i, r_ = data.user[test], data.item[test], rating[test]
            users = ranked_users(u, r_, cfg.ranking_users, cfg.seed + k)
            test_movies = np.zeros(data.n_items, bool)
            test_movies[i] = True
            scorer = _FoldScorers(cfg, data, train, users, k, eq1, maps)
            for r in todo:
                t0 = time.perf_counter()
                score_rows, chosen = scorer(r)
                mine = {s: c for s, c in settings.items() if s in r.settings}
                per_user = evaluate_rankings(score_rows, train, u, i, r_, users,
                                             {s: test_movies if c == NEW_ONLY else None for s, c in mine.items()}, KS)
                seconds = time.perf_counter() - t0  # one scoring, every setting's metrics
                if r.trained == CONTENT_MAP:  # their one shared fit (timed in the first map) split evenly
                    first = r.name == next(iter(maps))
                    seconds += scorer.map_seconds / len(maps) - (scorer.map_seconds if first else 0.0)
                extra = {"chosen": chosen.describe() if chosen else "",
                         "validation recall@10": chosen.validation if chosen else np.nan}
                for s in mine:
                    rows.append({"setting": s, "method": r.name, "fold": k, **summarise(per_user[s]),
                                 "seconds": seconds, **extra})
                    has = per_user[s][per_user[s].n_hits > 0].drop(columns="n_hits")
                    users_rows.append(has.assign(setting=s, method=r.name, fold=k))
                bar.update()
    return RankingRun(pd.DataFrame(rows), pd.concat(users_rows, ignore_index=True))
