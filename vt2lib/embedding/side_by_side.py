"""Notebook 03's networks, trained side by side: as towers of one model, or one process each.

A batch-32 BiLSTM leaves most of a GPU idle. The paper and the leak-free network of one S see
the same batches, so `train_towers` trains them as two towers of one model in one step
(vt2lib.embedding.towers; each tower's weights equal those of training it alone); the ml20m
profile does. Other networks can run `cfg.train_workers` processes at once; separate processes
time-slice one GPU unless CUDA MPS runs, and on a 2-core CPU it does not pay either (RESULTS.md):
every profile trains them one at a time.

Each worker process trains one network with `train_model`, as the notebook's own process would:
it reseeds itself, so its weights are those of training the networks one after the other (the
demo's were identical; tests/test_notebooks.py compares every number of two smoke runs), and it
leaves its store folder complete. The notebook's process then opens every folder with
`train_model`, which finds the training done, restores the best epoch and returns the same
`TrainResult` as a serial run.

    jobs = [(m, S) for m in MODELS for S in cfg.sequence_lengths] + [(m, S0) for m in diagnostic_models(cfg)]
    trained = train_networks(cfg, data, jobs)       # {(model, S): TrainResult}

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


def _train_job(cfg: Profile, progress: bool, job: tuple[str, int]) -> None:
    model, seq_len = job
    data = sequence_data_for(cfg, seq_len)
    train_model(cfg, *training_inputs(cfg, data, model), model, progress)


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
    towers (cfg.train_towers), the others `cfg.train_workers` processes at a time."""
    store = Store(cfg)
    todo = [(m, s) for m, s in jobs if not store.current(model_artifact(s, m))]
    for seq_len in sorted({s for _, s in todo}) if cfg.train_towers else ():
        pair = [(m, seq_len) for m in MODELS if (m, seq_len) in todo]
        if len(pair) == 2:
            train_as_towers(cfg, data[seq_len], [m for m, _ in pair], progress)
            todo = [job for job in todo if job not in pair]
    if cfg.train_workers > 1 and len(todo) > 1:
        # longest first (S = 20, then S = 10, the diagnostic last): no worker is left with a long tail
        todo.sort(key=lambda job: (-job[1], diagnostic_split(cfg, job[0]) is not None))
        workers = min(cfg.train_workers, len(todo))
        # on an error the networks not started are not trained, on Ctrl-C none goes on (vt2lib.workers)
        with stopped(ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))) as pool:
            for (model, seq_len), done in tqdm(as_finished(pool, partial(_train_job, cfg, progress), todo, workers),
                                               total=len(todo), unit="network", disable=not progress,
                                               desc=f"training {cfg.train_workers} side by side"):
                try:
                    done.result()
                except Exception as e:
                    raise RuntimeError(f"training {model_name(seq_len, model)} failed in its worker process: {e}") from e
    return {(m, s): train_model(cfg, *training_inputs(cfg, data[s], m), m, progress) for m, s in jobs}
