"""A CV method's folds predicted and stored, one file per finished fold: in this process, or in
forked worker processes for a single-threaded, fork-safe predictor (myfm).

A predictor averaged over independent parts (the FM over `fm_side_chains` chains: `fm.fm_method`)
says so with three attributes: `fn.parts` (how many), `fn.part(train, test_u, test_i, fold, c)` and
`fn.combine(predictions)`, which gives what `fn` itself returns. The workers then take (fold, part)
tasks: 5 folds of 2 chains are 10 tasks that keep 2 workers busy to the end, where 5 fold tasks left
one idle for the last fold (notebook 09 on the demo: 30 such FMs). Each part depends on its fold and
part alone, so the stored numbers are those of one process (tests/test_predictors.py).

This process writes every fold (its parts combined) once the fold is complete: a killed run keeps
its finished folds and recomputes the rest (the finished chains of an unfinished fold included).

>>> import tempfile, types
>>> import pandas as pd
>>> data = types.SimpleNamespace(table=pd.DataFrame({"rating": [4.0, 3.0, 5.0, 2.0]}), user=np.arange(4),
...                              item=np.arange(4))
>>> split = lambda k: (None, np.array([k, k + 2]))         # (training ratings, test rows) of fold k
>>> chain = lambda train, u, i, k, c: Prediction(np.full(len(u), 3.0 + c + k))
>>> fn = lambda train, u, i, k: fn.combine([chain(train, u, i, k, c) for c in range(2)])
>>> fn.parts, fn.part, fn.combine = 2, chain, lambda runs: Prediction(np.mean([r.values for r in runs], axis=0))
>>> out = Path(tempfile.mkdtemp())
>>> predict_folds(out, data, "toy", fn, split, todo=[0, 1], progress=False, workers=2)  # 4 tasks, 2 forked workers
>>> [pd.read_parquet(out / f"fold{k}.parquet").prediction.tolist() for k in (0, 1)]
[[3.5, 3.5], [4.5, 4.5]]
"""
from __future__ import annotations

import contextlib
import multiprocessing
import signal
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import numpy as np

from vt2lib.io import write_json_atomic, write_parquet_atomic
from vt2lib.progress import tqdm
from vt2lib.rating.predictors import Prediction
from vt2lib.workers import as_finished, stopped

FALLBACKS_FILE, CHAIN_COLUMN = "fold{}.fallbacks.json", "chain"  # fallback counts per fold; chain0, ... columns
_FORKED_TASK: tuple | None = None  # what forked workers inherit: closures are never pickled


def predict_folds(out: Path, data, method: str, fn, split, todo: list[int], progress: bool, workers: int) -> None:
    """Predict and store the folds `todo` of `data` with `fn` (see the module's docstring)."""
    parts = getattr(fn, "parts", 1) if workers > 1 else 1
    tasks = [(k, c) for k in todo for c in range(parts)]
    with tqdm(total=len(todo), desc=method, disable=not progress, leave=False) as bar:
        if workers > 1 and len(tasks) > 1:
            workers = min(workers, len(tasks))
            with _forked_pool(data, fn, split, parts, workers) as pool:
                for k, test, pred in _forked_folds(pool, fn, tasks, parts, workers, method):
                    _store_fold(out, data, method, test, k, pred)
                    bar.update()
        else:
            for k in todo:
                train, test = split(k)
                _store_fold(out, data, method, test, k, fn(train, data.user[test], data.item[test], k))
                bar.update()


@contextlib.contextmanager
def _forked_pool(data, fn, split, parts: int, workers: int):
    """Forked workers that inherit the task's data and predictor, stopped as vt2lib.workers.stopped says.

    Not multiprocessing.Pool: on an error its terminate() killed a worker that was sending a result,
    and so held the result queue's lock, and the parent then waited on that lock forever
    (tests/test_predictors.py). The workers ignore SIGINT (a terminal's Ctrl-C and Jupyter's interrupt
    reach the whole process group): this process stops them."""
    global _FORKED_TASK
    _FORKED_TASK = (data, fn, split, parts)
    try:
        with stopped(ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                                         initializer=signal.signal, initargs=(signal.SIGINT, signal.SIG_IGN))) as pool:
            yield pool
    finally:
        _FORKED_TASK = None  # the workers have their own copy


def _forked_folds(pool, fn, tasks: list[tuple[int, int]], parts: int, workers: int, method: str):
    """(fold, its test rows, its prediction) as each fold's parts are done. A worker killed from
    outside while it computes (out of memory) is an error naming the method, where Pool waited forever."""
    done: dict[int, dict[int, Prediction]] = {}
    try:
        for _, future in as_finished(pool, _forked_task, tasks, workers):
            k, c, test, pred = future.result()
            done.setdefault(k, {})[c] = pred
            if len(done[k]) == parts:  # its test rows from the worker: no second split(k) here
                yield k, test, pred if parts == 1 else fn.combine([done[k][j] for j in range(parts)])
                del done[k]
    except BrokenProcessPool as e:
        raise RuntimeError(f"{method}: a worker process died while predicting its folds (killed from outside, "
                           "out of memory?); finished folds are kept, a rerun does the rest") from e


def _forked_task(task: tuple[int, int]) -> tuple[int, int, np.ndarray, Prediction]:
    data, fn, split, parts = _FORKED_TASK
    k, c = task
    train, test = split(k)
    args = (train, data.user[test], data.item[test], k)
    return k, c, test, fn(*args) if parts == 1 else fn.part(*args, c)


def _store_fold(out: Path, data, method: str, test: np.ndarray, k: int, pred: Prediction) -> None:
    values = np.asarray(pred.values, np.float32)
    if values.shape != (len(test),) or not np.isfinite(values).all():
        raise ValueError(f"{method}, fold {k}: {int((~np.isfinite(values)).sum())} predictions are NaN/inf "
                         f"or the shape {values.shape} != ({len(test)},)")
    frame = data.table.iloc[test].assign(fold=np.int8(k), prediction=values)  # inner splits: k, not the row's own fold
    if pred.chains is not None:  # an averaged sampler's chains, each kept: their spread is its Monte Carlo error
        frame = frame.assign(**{f"{CHAIN_COLUMN}{c}": np.asarray(v, np.float32) for c, v in enumerate(pred.chains)})
    write_json_atomic(out / FALLBACKS_FILE.format(k), pred.fallbacks)
    write_parquet_atomic(frame, out / f"fold{k}.parquet")  # written last: marks the fold as done
