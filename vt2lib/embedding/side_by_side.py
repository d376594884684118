"""Notebook 03's networks, trained side by side: as towers of one model, or one process each.

A batch-32 BiLSTM leaves most of a GPU idle. The paper and the leak-free network of one S see
the same batches, so `train_towers` trains them as two towers of one model in one step
(vt2lib.embedding.towers; each tower's weights equal those of training it alone); the ml20m
profile does. With `cfg.train_workers` > 1 that many units train at once, one process each: a
unit is such a tower pair or one other network (a genre diagnostic). Separate processes
time-slice one GPU unless CUDA MPS runs; how much that gains on a GPU is what
`bench_gpu_box.py side_by_side` measures (03's two tower pairs and the diagnostic), and on a
2-core CPU it does not pay (RESULTS.md): every profile trains them one at a time until a box
has measured it.

Each worker process trains its unit with `train_as_towers` or `train_model`, as the notebook's
own process would: it reseeds itself, so its weights are those of training the networks one
after the other (tests/test_notebooks.py compares every number of a smoke run trained side by
side with one trained in turn), and it leaves its store folders complete. The notebook's
process then opens every folder with `train_model`, which finds the training done, restores the
best epoch and returns the same `TrainResult` as a serial run.

    jobs = [(m, S) for m in MODELS for S in cfg.sequence_lengths] + [(m, S0) for m in diagnostic_models(cfg)]
    trained = train_networks(cfg, data, jobs)       # {(model, S): TrainResult}

>>> from vt2lib.profiles import load_profile
>>> cfg = load_profile("smoke")
>>> sorted([("genre_unseen0", 10), (TOWERS, 10), (TOWERS, 20)], key=lambda unit: _unit_order(cfg, unit))
[('towers', 20), ('towers', 10), ('genre_unseen0', 10)]

Workers are spawned, not forked: JAX and TensorFlow must not be forked once initialised. Their
per-epoch lines go to the process's stdout (papermill's log), not to the notebook.
"""
from __future__ import annotations

import contextlib
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from functools import partial

from vt2lib.config import MODELS, Profile, diagnostic_split, model_name
from vt2lib.embedding.towers import train_towers
from vt2lib.embedding.training import (SequenceData, TrainResult, model_config, network_label, sequence_data_for,
                                       train_model)
from vt2lib.embedding.validation import unseen_trailer_inputs
from vt2lib.progress import tqdm
from vt2lib.store import Store, model_artifact
from vt2lib.workers import as_finished, stopped


def training_inputs(cfg: Profile, data: SequenceData, model: str) -> tuple[SequenceData, tuple]:
    """What a network trains on: its sequences and their (train, validation) window indices."""
    part = diagnostic_split(cfg, model)
    if part is not None:
        seen, split, _ = unseen_trailer_inputs(cfg, data, part)
        return seen, split
    return data, data.split(cfg.val_share)


TOWERS = "towers"  # a unit of training: the paper and leak-free network of one S, as towers of one model


def _unit_order(cfg: Profile, unit: tuple[str, int]) -> tuple:
    """Longest first (S = 20, then S = 10; a tower pair before one network; the diagnostics last): no
    worker is left with a long tail."""
    model, seq_len = unit
    return -seq_len, model != TOWERS, model != TOWERS and diagnostic_split(cfg, model) is not None


def _train_unit(cfg: Profile, progress: bool, unit: tuple[str, int]) -> None:
    model, seq_len = unit
    data = sequence_data_for(cfg, seq_len)
    if model == TOWERS:
        train_as_towers(cfg, data, list(MODELS), progress)
    else:
        train_model(cfg, *training_inputs(cfg, data, model), model, progress)


def unit_label(unit: tuple[str, int]) -> str:
    model, seq_len = unit
    return f"the S = {seq_len} towers ({' + '.join(MODELS)})" if model == TOWERS else model_name(seq_len, model)


def train_as_towers(cfg: Profile, data: SequenceData, models, progress: bool = True) -> None:
    """The networks `models` of one S (same batches) as towers of one model, into their store folders."""
    store = Store(cfg)
    with contextlib.ExitStack() as stack:
        folders = {m: stack.enter_context(store.produce(model_artifact(data.seq_len, m))).path for m in models}
        train_towers({m: model_config(cfg, m) for m in models}, data, data.split(cfg.val_share), folders,
                     progress=progress, labels={m: network_label(data.seq_len, m) for m in models})


def train_networks(cfg: Profile, data: dict[int, SequenceData], jobs, progress: bool = True
                   ) -> dict[tuple[str, int], TrainResult]:
    """Train each (model, S) of `jobs` (resumable): the paper and leak-free network of one S as
    towers (cfg.train_towers), each such pair and every other network a unit; `cfg.train_workers`
    units at a time, one process each, or one after the other in this process."""
    store = Store(cfg)
    todo = [(m, s) for m, s in jobs if not store.current(model_artifact(s, m))]
    units = []
    for seq_len in sorted({s for _, s in todo}) if cfg.train_towers else ():
        pair = [(m, seq_len) for m in MODELS if (m, seq_len) in todo]
        if len(pair) == 2:
            units.append((TOWERS, seq_len))
            todo = [job for job in todo if job not in pair]
    units += todo
    if cfg.train_workers > 1 and len(units) > 1:
        units.sort(key=partial(_unit_order, cfg))
        workers = min(cfg.train_workers, len(units))
        # on an error the units not started are not trained, on Ctrl-C none goes on (vt2lib.workers)
        with stopped(ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))) as pool:
            for unit, done in tqdm(as_finished(pool, partial(_train_unit, cfg, progress), units, workers),
                                   total=len(units), unit="unit", disable=not progress,
                                   desc=f"training {cfg.train_workers} side by side"):
                try:
                    done.result()
                except Exception as e:
                    raise RuntimeError(f"training {unit_label(unit)} failed in its worker process: {e}") from e
    else:
        for seq_len in [s for model, s in units if model == TOWERS]:  # the other networks: train_model below
            train_as_towers(cfg, data[seq_len], list(MODELS), progress)
    return {(m, s): train_model(cfg, *training_inputs(cfg, data[s], m), m, progress) for m, s in jobs}
